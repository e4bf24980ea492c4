"""The task-family registry: adding a family is one module and one `register(Family(...))`.

A small family (kgs:ChainTask: chains of fresh classes, "all c1 are c2, all c2 are c3, ...")
is registered inside the test, read from an ontology, synthesized in memory and by
`python cli.py synth`; every built-in family's items are judged again by a fresh oracle.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from kgsynth.data.dataset import create_dataset
from kgsynth.data.export import dataset_files
from kgsynth.errors import SettingsError
from kgsynth.logic.ontology import Schema, load_schema
from kgsynth.logic.oracle import CONTRADICTED, ENTAILED, UNKNOWN, Oracle
from kgsynth.logic.settings import TASKS, TaskConfig, setting
from kgsynth.logic.statement import ISA, Form, Statement
from kgsynth.logic.world import FreshNames, Generated
from kgsynth.tasks import SPLITS, Family, ItemBuilder, families, family_of, register, unregister

ROOT = Path(__file__).resolve().parent.parent
BUILT_IN = ["ComparisonTask", "SyllogismTask", "CelebrityTask", "FamilyTask", "HierarchyTask"]


# --- a family of our own -------------------------------------------------------------------


@dataclass(frozen=True)
class ChainTask(TaskConfig):
    links: int = setting(3, minimum=2)
    chains: int = setting(2, minimum=2)


def generate_chains(task: ChainTask, schema: Schema, rng: random.Random, names: FreshNames) -> Generated:
    """`chains` chains of `links` subclass links over fresh classes; neighbouring chains' tops are disjoint."""
    out = Generated()
    tops = []
    for _ in range(task.chains):
        chain = [names("link") for _ in range(task.links + 1)]
        out.classes.update(chain)
        for sub, sup in zip(chain, chain[1:], strict=False):
            out.fact(sub, ISA, sup, Form.ALL)
        tops.append(chain[-1])
    for left, right in zip(tops, tops[1:], strict=False):
        out.fact(left, ISA, right, Form.NO)  # what holds of one chain is false of the next
    return out


def chain_items(builder: ItemBuilder, tasks: list[ChainTask]) -> None:
    """Per chain: its first class is a kind of its top (a multihop inference)."""
    parent = {s.subject: s.object for s in builder.world.asserted if s.relation == ISA and s.form is Form.ALL}
    for start in sorted(set(parent) - set(parent.values())):
        top = start
        while top in parent:
            top = parent[top]
        answer = Statement(start, ISA, top, Form.ALL)
        builder.add("multihop", answer, builder.distractors(answer, builder.settings.options - 1), "plain", chain=start)


CHAIN = Family(ChainTask, generate_chains, items=chain_items)  # documents: wiki
CHAIN_WIKI = Family(ChainTask, generate_chains)  # documents and items: wiki

CHAIN_TTL = """\
@prefix kgs: <https://kgsynth.org/ns#> .
[] a kgs:ChainTask ; kgs:links 3 ; kgs:chains 3 .
[] a kgs:Documents ; kgs:minSentences 2 ; kgs:maxSentences 4 ; kgs:itemsPerSplit 20 .
"""

# what a package (or $KGSYNTH_TASKS) would import to register the family in another process
PLUGIN = """\
from test_registry import CHAIN
from kgsynth.tasks import register

register(CHAIN)
"""


@pytest.fixture
def chain_ontology(tmp_path: Path) -> Path:
    path = tmp_path / "chains.ttl"
    path.write_text(CHAIN_TTL, encoding="utf-8")
    return path


@pytest.fixture(params=[CHAIN, CHAIN_WIKI], ids=["own items", "wiki items"])
def chain_family(request):
    family = register(request.param)
    try:
        yield family
    finally:
        unregister(ChainTask)


def chain_statements(dataset) -> set[Statement]:
    return {s for s in dataset.world.asserted if s.relation == ISA and s.form in (Form.ALL, Form.NO)}


def test_a_registered_family_is_synthesized(chain_family, chain_ontology: Path) -> None:
    assert TASKS["ChainTask"] is ChainTask and families()[-1] is chain_family
    dataset = create_dataset(chain_ontology, seed=3)
    (task,) = [t for t in dataset.schema.tasks if isinstance(t, ChainTask)]
    assert task == ChainTask(links=3, chains=3) and family_of(task) is chain_family
    assert len(dataset.world.asserted) == 3 * 3 + 2 == len(chain_statements(dataset))
    assert all(term.startswith("link") for term in dataset.world.classes)
    # documents: the family has none of its own, so the chains become wiki documents
    assert dataset.documents and {d.kind for d in dataset.documents} == {"wiki"}
    trained = {s.statement for d in dataset.documents for s in d.sentences}
    assert trained == chain_statements(dataset)
    items = [item for found in dataset.items.values() for item in found]
    assert items
    if chain_family.items is not None:
        assert [split for split, found in dataset.items.items() if found] == ["multihop"]
        assert {i.answer_statement.subject for i in items} == {s.subject for s in trained} - {s.object for s in trained}
        assert all(i.derivation.hops >= 2 and len(i.support) == 3 for i in items)
    else:
        assert set(dataset.items) <= set(SPLITS)
    for item in items:
        assert item.verdicts[item.answer] == ENTAILED
        assert set(item.support) <= trained


def test_a_registered_family_is_synthesized_by_the_cli(chain_ontology: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (tmp_path / "chain_plugin.py").write_text(PLUGIN, encoding="utf-8")
    env = dict(os.environ, KGSYNTH_TASKS="chain_plugin",
               PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "cli.py", "synth", "--ontology", str(chain_ontology), "--seed", "3",
                             "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    register(CHAIN)
    try:
        dataset = create_dataset(chain_ontology, seed=3)
    finally:
        unregister(ChainTask)
    expected = dataset_files(dataset.naming, dataset.documents, dataset.items)
    assert "items/multihop.jsonl" in expected
    for name, content in expected.items():
        assert (out / name).read_bytes() == content, name


def test_without_the_plugin_the_cli_does_not_know_the_task(chain_ontology: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KGSYNTH_TASKS"}
    result = subprocess.run([sys.executable, "cli.py", "synth", "--ontology", str(chain_ontology), "--out",
                             str(tmp_path / "out")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 2
    assert "unknown task kgs:ChainTask" in result.stderr


def test_unregister_forgets_the_task(chain_ontology: Path) -> None:
    register(CHAIN)
    unregister(ChainTask)
    assert "ChainTask" not in TASKS and ChainTask not in [f.settings for f in families()]
    with pytest.raises(SettingsError, match="unknown task kgs:ChainTask"):
        load_schema(chain_ontology)


def test_two_families_cannot_share_a_task_name() -> None:
    register(CHAIN)
    try:
        with pytest.raises(SettingsError, match="kgs:ChainTask is registered already"):
            register(CHAIN_WIKI)
        register(CHAIN)  # the same family again: no change
        assert [f.settings for f in families()].count(ChainTask) == 1
    finally:
        unregister(ChainTask)


def test_built_in_families_in_registration_order() -> None:
    names = [f.name for f in families()]
    assert names[: len(BUILT_IN)] == BUILT_IN
    for family in families():
        assert TASKS[family.name] is family.settings


# --- every built-in family: answers entailed, distractors false, by a fresh oracle ----------

HIERARCHY_TTL = """\
@prefix :     <http://example.org/hierarchy#> .
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix kgs:  <https://kgsynth.org/ns#> .
:Animal a owl:Class ; owl:disjointWith :Plant .
:Plant a owl:Class .
:has a owl:ObjectProperty .
[] a kgs:HierarchyTask ; kgs:rootClass :Animal ; kgs:featureProperty :has ;
   kgs:depth 2 ; kgs:branching 2 ; kgs:features 4 ; kgs:individualsPerLeaf 1 .
[] a kgs:HierarchyTask ; kgs:rootClass :Plant ; kgs:featureProperty :has ;
   kgs:depth 2 ; kgs:branching 2 ; kgs:features 4 ; kgs:individualsPerLeaf 1 .
[] a kgs:Documents ; kgs:itemsPerSplit 30 .
"""

# family -> (shipped ontology, or Turtle text; small settings)
ONTOLOGIES = {
    "ComparisonTask": ("simple_reversals", {"facts": 20, "repetitions": 2}),
    "SyllogismTask": ("syllogisms", {"syllogisms": 12}),
    "CelebrityTask": ("celebrities", {"celebrities": 24, "repetitions": 2}),
    "FamilyTask": ("family", {"families": 3}),
    "HierarchyTask": (HIERARCHY_TTL, {}),
}
MAY_BE_UNKNOWN = {"SyllogismTask"}  # an invalid syllogistic conclusion need not be false (STUDY.md)


@pytest.mark.parametrize("name", [f.name for f in families()])
def test_items_are_judged_again_by_a_fresh_oracle(name: str, tmp_path: Path) -> None:
    assert name in ONTOLOGIES, f"no ontology for the family kgs:{name}: add one to ONTOLOGIES"
    ontology, settings = ONTOLOGIES[name]
    if "\n" in ontology:
        path = tmp_path / "ontology.ttl"
        path.write_text(ontology, encoding="utf-8")
        ontology = path
    dataset = create_dataset(ontology, seed=5, **settings)
    assert any(family_of(task) and family_of(task).name == name for task in dataset.schema.tasks)
    assert dataset.documents
    items = [item for split in dataset.splits() for item in dataset.items[split]]
    assert items
    oracle = Oracle(dataset.world)
    for item in items:
        for index, statement in enumerate(item.statements):
            verdict = oracle.query(statement, closed_world=True).value
            if index == item.answer:
                assert verdict == ENTAILED, (item.id, str(statement))
            elif name in MAY_BE_UNKNOWN:
                assert verdict in (CONTRADICTED, UNKNOWN), (item.id, str(statement))
            else:
                assert verdict == CONTRADICTED, (item.id, str(statement))
