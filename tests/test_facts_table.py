"""kgsynth.logic.facts_table and facts as data: a table of (subject, relation, object) rows read
against an ontology (CSV, TSV, JSONL; one-line errors naming the row), and a world with no
generation task, whose facts are the whole truth, making items in every split its logic
supports, each answer entailed and each distractor false (contradicted or closed-world)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kgsynth.data.dataset import create_dataset, load_dataset
from kgsynth.data.synth import synthesize
from kgsynth.errors import KgsynthError
from kgsynth.logic.facts_table import FactsError, add_facts, read_rows
from kgsynth.logic.ontology import load_schema
from kgsynth.logic.oracle import CONTRADICTED, ENTAILED, UNKNOWN
from kgsynth.logic.statement import ISA, Form, Statement

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontologies" / "examples" / "company_tools.ttl"
TABLE = ROOT / "ontologies" / "examples" / "company_tools.csv"
ROWS = [("XYZ", "is a", "data analysis tool"), ("Data Platform Team", "the maintainer of", "XYZ"),
        ("Ann", "uses", "XYZ"), ("Ann", "a member of", "Data Platform Team")]


def write(path: Path, rows, header: bool = False) -> Path:
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(dict(zip(("subject", "relation", "object"), r, strict=True))) + "\n" for r in rows))
        return path
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t" if path.suffix == ".tsv" else ",", lineterminator="\n")
    if header:
        writer.writerow(["subject", "relation", "object"])
    writer.writerows(rows)
    path.write_text(out.getvalue())
    return path


def facts_of(path: Path) -> set[Statement]:
    schema = load_schema(ONTOLOGY)
    return set(add_facts(schema, path).asserted) - set(schema.asserted)


# --- reading ---------------------------------------------------------------------------------


def test_csv_rows_become_statements_and_labelled_individuals(tmp_path) -> None:
    schema = add_facts(load_schema(ONTOLOGY), write(tmp_path / "f.csv", ROWS, header=True))
    assert {Statement("XYZ", ISA, "DataTool"), Statement("DataPlatformTeam", "maintains", "XYZ"),
            Statement("Ann", "uses", "XYZ"), Statement("Ann", "memberOf", "DataPlatformTeam")} <= set(schema.asserted)
    assert schema.labels["DataPlatformTeam"] == "Data Platform Team"
    assert {"XYZ", "Ann", "DataPlatformTeam"} <= schema.individuals


@pytest.mark.parametrize("name", ["f.tsv", "f.jsonl"])
def test_tsv_jsonl_and_headerless_csv_read_the_same(tmp_path, name) -> None:
    expected = facts_of(write(tmp_path / "h.csv", ROWS, header=True))
    assert facts_of(write(tmp_path / "n.csv", ROWS)) == expected
    assert facts_of(write(tmp_path / name, ROWS)) == expected


def test_relations_by_local_name_label_or_is_label_alike(tmp_path) -> None:
    spellings = [("Ann", "uses", "XYZ"), ("Ann", "a user of", "XYZ"), ("Ann", "Is  A User Of", "XYZ")]
    for index, row in enumerate(spellings):
        assert facts_of(write(tmp_path / f"{index}.csv", [row])) == {Statement("Ann", "uses", "XYZ")}


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(len(ROWS)))), st.sampled_from([".csv", ".tsv", ".jsonl"]))
def test_row_order_and_format_do_not_change_the_facts(order, suffix) -> None:
    """The facts are a set: any order, any format, the same statements."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        shuffled = write(Path(folder) / f"t{suffix}", [ROWS[i] for i in order])
        plain = write(Path(folder) / "plain.csv", ROWS)
        assert facts_of(shuffled) == facts_of(plain)


BAD = [
    ("f.csv", "Ann,uses,XYZ\nAnn,likes,XYZ\n", "row 2: unknown relation 'likes'"),
    ("f.csv", "Ann,uses,XYZ\nAnn,,XYZ\n", "row 2: the relation is empty"),
    ("f.csv", "subject,relation,object\nAnn,uses\n", "row 2: 2 cells, expected 3"),
    ("f.csv", "Ann,uses,tool\n", "row 1: the object 'tool' is a class of the ontology; an individual is needed"),
    ("f.csv", "Ann,uses,XYZ\nXYZ,is a,Ann\n", "row 2: 'Ann' is an individual, not a class"),
    ("f.csv", "XYZ,is a,gadget\n", "row 1: unknown class 'gadget'"),
    ("f.tsv", "Ann\tuses\tXYZ\tmore\n", "row 1: 4 cells, expected 3"),
    ("f.jsonl", '{"subject": "Ann", "relation": "uses", "object": "XYZ"}\n{"subject": "Ann"}\n',
     "row 2: expected an object with the keys subject, relation, object"),
    ("f.jsonl", "\n{oops\n", "row 2: not JSON"),
    ("f.jsonl", '{"subject": "Ann", "relation": "uses", "object": 3}\n', "row 1: the object must be a string"),
    ("f.csv", "subject,relation,object\n", "the facts table has no rows"),
    ("f.xlsx", "Ann,uses,XYZ\n", "a facts table is .csv, .tsv or .jsonl"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD, ids=[m for _, _, m in BAD])
def test_each_error_is_one_line_naming_the_file_and_row(tmp_path, name, text, message) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(FactsError) as raised:
        add_facts(load_schema(ONTOLOGY), path)
    shown = str(raised.value)
    assert message in shown and str(path) in shown and "\n" not in shown


def test_a_missing_table_is_named(tmp_path) -> None:
    with pytest.raises(KgsynthError, match="facts table not found"):
        read_rows(tmp_path / "nope.csv")


# --- facts as data: items --------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset():
    return create_dataset(ONTOLOGY, 0, keep_labels=True, facts_table=TABLE)


def test_a_facts_only_world_is_closed_for_individual_facts(dataset) -> None:
    oracle = dataset.oracle
    assert dataset.world.facts_as_data
    unstated = Statement("Ann", "uses", "Tally")
    assert oracle.query(unstated).value == UNKNOWN  # open world: not known
    verdict = oracle.query(unstated, closed_world=True)
    assert verdict.value == CONTRADICTED and verdict.derivation.rule == "closed-world"
    assert oracle.query(Statement("Tool", ISA, "Team", Form.SOME), closed_world=True).value == UNKNOWN


def test_items_in_every_split_the_logic_supports(dataset) -> None:
    splits = {split for split, found in dataset.items.items() if found}
    assert {"rephrased", "reversal", "syllogism", "multihop"} <= splits
    rules = {item.derivation.rule for item in dataset.items["reversal"]}
    assert "inverse" in rules  # reversal through owl:inverseOf
    rules = {item.derivation.rule for split in ("syllogism", "multihop") for item in dataset.items[split]}
    assert {"transitive", "chain"} <= rules


def test_answers_entailed_and_distractors_false(dataset) -> None:
    oracle = dataset.oracle
    for item in (i for found in dataset.items.values() for i in found):
        assert len(item.options) >= 2
        for index, statement in enumerate(item.statements):
            verdict = oracle.query(statement, closed_world=True).value
            assert verdict == (ENTAILED if index == item.answer else CONTRADICTED), (item.id, statement)
            assert item.verdicts[index] == verdict


def test_a_small_table_draws_distractors_from_entities_of_the_same_kind(tmp_path) -> None:
    """Few entities share a relation: distractors come from the individuals sharing a class."""
    rows = [("XYZ", "is a", "data analysis tool"), ("Kite", "is a", "data analysis tool"),
            ("Ann", "uses", "XYZ"), ("Bob", "uses", "XYZ")]
    small = create_dataset(ONTOLOGY, 0, facts_table=write(tmp_path / "small.csv", rows))
    items = small.items.get("rephrased", [])
    assert any(s == Statement("Ann", "uses", "Kite") for item in items for s in item.statements)


# --- synth: the manifest, the copy, determinism, errors ------------------------------------------


def test_synth_copies_the_table_records_its_hash_and_reloads(tmp_path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    synthesize(ONTOLOGY, 0, first, keep_labels=True, facts_table=TABLE)
    synthesize(ONTOLOGY, 0, second, keep_labels=True, facts_table=TABLE)
    names = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(second)) for p in second.rglob("*") if p.is_file())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["inputs"]["facts"]["name"] == "company_tools.csv"
    assert (first / "facts.csv").read_bytes() == TABLE.read_bytes()
    assert "closed world" in (first / "README.md").read_text()
    reloaded = load_dataset(first)
    assert reloaded.world.asserted == create_dataset(ONTOLOGY, 0, keep_labels=True, facts_table=TABLE).world.asserted
    (first / "facts.csv").write_text("Ann,uses,XYZ\n")
    with pytest.raises(KgsynthError):
        load_dataset(first)


def test_cli_error_names_the_row_exits_2_and_writes_nothing(tmp_path) -> None:
    table = tmp_path / "bad.csv"
    table.write_text("subject,relation,object\nAnn,uses,XYZ\nAnn,admires,XYZ\n")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "synth", "--ontology", str(ONTOLOGY),
                           "--facts", str(table), "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert f"{table}, row 3: unknown relation 'admires'" in done.stderr
    assert not out.exists()


def test_an_ontology_that_marks_closed_relations_keeps_the_others_open(tmp_path) -> None:
    """kgs:closed on one relation says which are closed: facts as data does not close the rest."""
    text = ONTOLOGY.read_text().replace(':usedBy a owl:ObjectProperty ; rdfs:label "used by" .',
                                        ':usedBy a owl:ObjectProperty ; rdfs:label "used by" ; kgs:closed true .')
    ontology = tmp_path / "closed.ttl"
    ontology.write_text(text)
    oracle = create_dataset(ontology, 0, facts_table=TABLE).oracle
    assert not oracle.world.facts_as_data
    assert oracle.query(Statement("Tally", "usedBy", "Ann"), closed_world=True).value == CONTRADICTED
    assert oracle.query(Statement("Ann", "memberOf", "GrowthTeam"), closed_world=True).value == UNKNOWN


def test_synth_names_a_missing_table_before_anything_is_written(tmp_path) -> None:
    out = tmp_path / "out"
    with pytest.raises(FactsError, match="facts table not found: .*nope.csv"):
        synthesize(ONTOLOGY, 0, out, facts_table=tmp_path / "nope.csv")
    assert not out.exists()
