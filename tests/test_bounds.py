"""Bounds on what a world may ask for (issue "Reliability and security"): every integer setting has a
maximum, every built-in family estimates the statements it will assert, and `build_world` refuses a
world over the budget before generating anything; `check` refuses a sentence too long to parse.

The reported cases: `kgs:syllogisms 99999999999999999999999` ran for minutes, `kgs:facts 10000000`
reached 1.7 GB in 60 s, a HierarchyTask of depth 30 ended in a MemoryError traceback, and `check`
took 99 s on a 960-word claim. Each is now a one-line error in well under a second.
"""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import schema_from_turtle

from kgsynth.data.dataset import create_dataset
from kgsynth.errors import KgsynthError, SettingsError
from kgsynth.logic.ontology import Schema, load_schema
from kgsynth.logic.settings import DEFAULT_MAXIMUM, STATEMENT_BUDGET, TaskConfig, setting
from kgsynth.logic.statement import ISA, Form
from kgsynth.logic.world import FreshNames, Generated
from kgsynth.tasks import Family, HierarchyTask, SyllogismTask, build_world, family_of, register, unregister
from kgsynth.tasks.registry import ESTIMATE_CAP, check_size
from kgsynth.text.check import MAX_CHARS, MAX_WORDS, check_kb, check_premises

ROOT = Path(__file__).resolve().parent.parent
QUICK = 1.0  # seconds: each refusal comes before any generation or parsing

HIERARCHY = """\
:Thing a owl:Class .
:has a owl:ObjectProperty .
[] a kgs:HierarchyTask ; kgs:rootClass :Thing ; kgs:depth {depth} ; kgs:branching {branching} ; kgs:featureProperty :has .
"""
FAMILY = """\
:Person a owl:Class .
:parentOf a owl:ObjectProperty .
:siblingOf a owl:ObjectProperty , owl:SymmetricProperty .
[] a kgs:FamilyTask ; kgs:families {families} ; kgs:generations {generations} ; kgs:maxChildren {children} ;
   kgs:personClass :Person ; kgs:parentProperty :parentOf ; kgs:siblingProperty :siblingOf .
"""


def one_line(error: BaseException) -> str:
    message = str(error)
    assert "\n" not in message and len(message) < 400, message
    return message


def refused(action, match: str, error=SettingsError) -> str:
    start = time.perf_counter()
    with pytest.raises(error, match=match) as info:
        action()
    assert time.perf_counter() - start < QUICK
    return one_line(info.value)


def hostile_syllogisms(tmp_path: Path) -> Path:
    path = tmp_path / "syllogisms.ttl"
    path.write_text((ROOT / "ontologies" / "syllogisms.ttl").read_text().replace(
        "kgs:syllogisms 69", "kgs:syllogisms 99999999999999999999999"))
    return path


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def assert_user_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kgsynth: error: "), result.stderr
    return lines[0]


# --- the reported cases ---------------------------------------------------------------------


def test_a_huge_number_of_syllogisms_is_refused_at_once(tmp_path: Path) -> None:
    path = hostile_syllogisms(tmp_path)
    message = refused(lambda: build_world(load_schema(path), 0),
                      r"kgs:syllogisms of kgs:SyllogismTask must be at most 100,000, got 99999999999999999999999")
    assert message.startswith(str(path))


def test_ten_million_facts_are_refused_at_once() -> None:
    refused(lambda: create_dataset("simple_reversals", facts=10_000_000),
            r"kgs:facts of kgs:ComparisonTask must be at most 2,000,000, got 10000000")


def test_a_hierarchy_of_depth_30_is_refused_at_once(tmp_path: Path) -> None:
    text = HIERARCHY.format(depth=30, branching=3)
    refused(lambda: build_world(schema_from_turtle(text, tmp_path), 0), r"kgs:depth of kgs:HierarchyTask must be at most 20")


def test_a_hierarchy_too_big_for_the_budget_is_refused_before_generating(tmp_path: Path) -> None:
    schema = schema_from_turtle(HIERARCHY.format(depth=20, branching=3), tmp_path)  # each setting within its maximum
    message = refused(lambda: build_world(schema, 0), r"kgs:HierarchyTask would assert about [\d,]+ statements")
    assert "(depth 20, branching 3" in message
    assert f"over the limit of {STATEMENT_BUDGET:,}" in message
    assert "lower kgs:depth, kgs:branching" in message


def test_synth_of_a_hostile_ontology_is_one_line_and_exit_2(tmp_path: Path) -> None:
    start = time.perf_counter()
    line = assert_user_error(cli("synth", "--ontology", hostile_syllogisms(tmp_path), "--out", tmp_path / "out"))
    assert time.perf_counter() - start < 30  # the process starting up; the refusal itself is instant
    assert "kgs:syllogisms" in line and "at most 100,000" in line
    assert not (tmp_path / "out").exists()


def test_a_960_word_claim_is_refused_at_once() -> None:
    claim = " ".join(["glon is a"] * 320) + "."
    message = refused(lambda: check_premises(["All glon are yomp."], [claim]), r"the claim .* has 960 words", KgsynthError)
    assert f"at most {MAX_WORDS} words and {MAX_CHARS:,} characters" in message  # `check` on the command line:
    # tests/test_check_cli.py


# --- the statement budget -------------------------------------------------------------------


def test_tasks_each_within_the_budget_are_refused_together(tmp_path: Path) -> None:
    text = "".join(f"[] a kgs:SyllogismTask ; kgs:syllogisms {100_000 - i} .\n" for i in range(11))
    schema = schema_from_turtle(text, tmp_path)
    message = refused(lambda: build_world(schema, 0), r"the world would assert about [\d,]+ statements")
    assert "kgs:SyllogismTask 2,199,890" in message and "make its tasks smaller" in message


def test_build_world_validates_tasks_built_directly(tmp_path: Path) -> None:
    schema = schema_from_turtle("[] a kgs:SyllogismTask .", tmp_path)
    schema = dataclasses.replace(schema, tasks=[SyllogismTask(syllogisms=10**30)])
    refused(lambda: build_world(schema, 0), r"must be at most 100,000, got 1000000000000000000000000000000")


def test_a_number_too_long_to_print_is_refused_by_its_size() -> None:
    message = refused(lambda: create_dataset("syllogisms", syllogisms=10**100_000), r"must be at most 100,000")
    assert "a number of about 100,000 digits" in message


@pytest.mark.parametrize("value", [1e30, "10", None])
def test_a_setting_that_is_not_an_integer_is_refused(value) -> None:
    refused(lambda: create_dataset("syllogisms", syllogisms=value), r"kgs:syllogisms of kgs:SyllogismTask must be an integer")


@pytest.mark.parametrize(
    ("settings", "match"),
    [({"facts": 2_000_000, "chain_length": 20, "repetitions": 1}, r"would order about 42,000,000 pairs of entities"),
     ({"facts": 1_000_000, "repetitions": 10}, r"would write 10,000,000 documents .* lower kgs:facts or kgs:repetitions")],
)
def test_comparison_closure_and_documents_are_bounded(settings: dict, match: str) -> None:
    refused(lambda: create_dataset("simple_reversals", **settings), match)


def test_celebrity_documents_are_bounded() -> None:
    refused(lambda: create_dataset("celebrities", celebrities=500_000, repetitions=20), r"would write 10,000,000 documents")


def test_the_benchmark_world_fits_the_budget() -> None:
    """bench/ontologies/scale_1m.ttl asserts about 1,000,000 statements; `bench/scale.py --scale 2` fits too."""
    schema = load_schema(ROOT / "bench" / "ontologies" / "scale_1m.ttl")
    assert 900_000 < check_size(schema) < 1_100_000
    doubled = [dataclasses.replace(t, individuals_per_leaf=360) if isinstance(t, HierarchyTask)
               else dataclasses.replace(t, facts=240_000) for t in schema.tasks]
    assert check_size(dataclasses.replace(schema, tasks=doubled)) < STATEMENT_BUDGET


# --- the estimates --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["simple_reversals", "syllogisms", "celebrities", "semantic_structure"])
def test_estimate_is_exact_for_the_shipped_ontologies(name: str) -> None:
    schema = load_schema(ROOT / "ontologies" / f"{name}.ttl")
    assert check_size(schema) == len(build_world(schema, 0).asserted)


@pytest.mark.parametrize(("generations", "children"), [(2, 1), (3, 3), (4, 5), (6, 2)])
def test_family_estimate_is_about_the_mean(tmp_path: Path, generations: int, children: int) -> None:
    schema = schema_from_turtle(FAMILY.format(families=200, generations=generations, children=children), tmp_path)
    built = len(build_world(schema, 0).asserted)
    assert abs(check_size(schema) - built) <= 0.1 * built


@pytest.mark.parametrize(("depth", "branching", "per_class", "per_leaf"), [(1, 1, 0, 0), (3, 4, 2, 3), (5, 2, 1, 0)])
def test_hierarchy_estimate_is_exact(tmp_path: Path, depth: int, branching: int, per_class: int, per_leaf: int) -> None:
    text = HIERARCHY.format(depth=depth, branching=branching).replace(
        "kgs:featureProperty :has .",
        f"kgs:featureProperty :has ; kgs:features 1000 ; kgs:propertiesPerClass {per_class} ; "
        f"kgs:individualsPerLeaf {per_leaf} .")
    schema = schema_from_turtle(text, tmp_path)
    assert check_size(schema) == len(build_world(schema, 0).asserted)


def test_estimates_stop_growing_at_the_cap() -> None:
    task = HierarchyTask(depth=10**6, branching=10**6, root_class="Thing", feature_property=("has",))
    start = time.perf_counter()
    assert family_of(task).estimate(task) == ESTIMATE_CAP
    assert time.perf_counter() - start < QUICK


# --- a family outside kgsynth ---------------------------------------------------------------


@dataclass(frozen=True)
class PairTask(TaskConfig):
    pairs: int = setting(2, minimum=1)  # no maximum of its own


def generate_pairs(task: PairTask, schema: Schema, rng: random.Random, names: FreshNames) -> Generated:
    out = Generated()
    for _ in range(task.pairs):
        out.fact(names("a"), ISA, names("b"), Form.ALL)
    return out


def test_a_setting_without_a_maximum_of_its_own_has_the_default(tmp_path: Path) -> None:
    register(Family(PairTask, generate_pairs))  # no estimate: not sized
    try:
        with pytest.raises(SettingsError, match=f"kgs:pairs of kgs:PairTask must be at most {DEFAULT_MAXIMUM:,}"):
            schema_from_turtle(f"[] a kgs:PairTask ; kgs:pairs {DEFAULT_MAXIMUM + 1} .", tmp_path)
        with pytest.raises(SettingsError, match=f"kgs:pairs of kgs:PairTask must be at most {DEFAULT_MAXIMUM:,}"):
            PairTask(pairs=DEFAULT_MAXIMUM + 1).validate("plugin.ttl")
        small = schema_from_turtle("[] a kgs:PairTask ; kgs:pairs 3 .", tmp_path)
        assert check_size(small) == 0  # not sized: an unknown estimate adds nothing
        assert len(build_world(small, 0).asserted) == 3
    finally:
        unregister(PairTask)


# --- check ----------------------------------------------------------------------------------


def test_a_sentence_at_the_limit_is_parsed() -> None:
    claim = "All glon are " + " ".join(["yomp", "are"] * ((MAX_WORDS - 3) // 2))  # "yomp yomp ..." is one (long) noun
    with pytest.raises(KgsynthError, match="cannot parse"):  # parsed (and not read), not refused for its length
        check_premises(["All glon are yomp."], [claim])


@pytest.mark.parametrize("premise", [True, False])
def test_long_premises_and_claims_are_refused(premise: bool) -> None:
    long = "All glon are " + "y" * MAX_CHARS + "."
    premises, claims = (["All glon are yomp.", long], ["All glon are yomp."]) if premise else (["All glon are yomp."], [long])
    what = "premise" if premise else "claim"
    refused(lambda: check_premises(premises, claims), rf"the {what} .* has 1,\d\d\d characters", KgsynthError)


def test_check_kb_refuses_a_long_claim() -> None:
    dataset = create_dataset("syllogisms", syllogisms=2)
    claim = " ".join(["glon"] * (MAX_WORDS + 1))
    refused(lambda: check_kb(dataset.oracle, dataset.grammar, [claim]), rf"has {MAX_WORDS + 1} words", KgsynthError)
