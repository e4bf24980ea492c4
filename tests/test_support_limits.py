"""Where OWL support ends, as synth reports it (kgsynth.data.export.support_limits): --lenient
skips unsupported axioms, prints them and records them in manifest.json; unsatisfiable classes
and equivalences read one way are reported the same way; the dataset reloads."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from kgsynth.cli import main
from kgsynth.data.dataset import load_dataset

FAMILY = Path(__file__).resolve().parent / "data" / "family_owl.ttl"
UNSUPPORTED = ":Person rdfs:subClassOf [ owl:unionOf ( :Man :Woman ) ] .\n:age a owl:DatatypeProperty .\n"


@pytest.fixture
def ontology(tmp_path: Path) -> Path:
    """The family test ontology plus two unsupported axioms, Turtle in a .owl file."""
    path = tmp_path / "family.owl"
    shutil.copy(FAMILY, path)
    with path.open("a", encoding="utf-8") as out:
        out.write(UNSUPPORTED)
    return path


def test_without_lenient_synth_stops_naming_the_construct(ontology: Path, tmp_path: Path, capsys) -> None:
    assert main(["synth", "--ontology", str(ontology), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert "unsupported construct" in error and str(ontology) in error and "owl:DatatypeProperty" in error
    assert not (tmp_path / "out").exists()


def test_lenient_synth_records_what_it_skipped(ontology: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["synth", "--ontology", str(ontology), "--out", str(out), "--lenient"]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "skipped 1 × owl:unionOf class expression" in printed and "rdfs:subClassOf of Person" in printed
    assert "unsatisfiable class Hermaphrodite" in printed
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["lenient"] is True
    assert manifest["skipped"]["rdf:type owl:DatatypeProperty"]["count"] == 1
    union = manifest["skipped"]["owl:unionOf class expression"]
    assert union["count"] == 1 and "(Man, Woman) in the rdfs:subClassOf of Person" in union["examples"][0]
    assert {"Person", "Man", "Woman", "age"} <= set(manifest["open_world_terms"])
    assert "Hermaphrodite" in manifest["unsatisfiable"] and len(manifest["one_way"]) == 1
    assert not re.search(r"N[0-9a-f]{32}|_:", json.dumps(manifest))
    dataset = load_dataset(out)  # reloads leniently, as recorded: `check --kb` works on it
    assert dataset.schema.lenient and "age" in dataset.oracle.open_terms
