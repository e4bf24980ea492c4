"""kgsynth.data.export: the copy of the ontology is named by the format kgsynth read it as
(ontology.ttl, .rdf, .jsonld, .nt), whatever the original's name, so that the dataset reads
back (`load_dataset`, `check --kb`) however the user named the file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

import kgsynth
from kgsynth.data.export import ontology_copy_name
from kgsynth.data.synth import synthesize
from kgsynth.logic.rdf_input import graph_format

ROOT = Path(__file__).resolve().parent.parent
SYLLOGISMS = ROOT / "ontologies" / "syllogisms.ttl"


def answer_sentence(dataset) -> str:
    item = dataset.items["syllogism"][0]
    return item.options[item.answer].strip()


def test_an_ontology_without_an_extension_is_copied_as_turtle_and_reads_back(tmp_path):
    """The report: a file without an extension was copied as `ontology`, which `ontology.*`
    does not match, so `check --kb` failed and synthesizing again did not help."""
    source = tmp_path / "syllogisms"
    shutil.copy(SYLLOGISMS, source)
    synthesize(source, 0, tmp_path / "data")
    manifest = json.loads((tmp_path / "data" / "manifest.json").read_text())
    assert (tmp_path / "data" / "ontology.ttl").read_bytes() == SYLLOGISMS.read_bytes()
    assert not (tmp_path / "data" / "ontology").exists()
    assert "ontology.ttl" in manifest["outputs"] and manifest["inputs"]["ontology"]["name"] == "syllogisms"
    dataset = kgsynth.load_dataset(tmp_path / "data")
    sentence = answer_sentence(dataset)
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "check", "--kb", str(tmp_path / "data"), "--json",
                           sentence], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "entailed"


def test_the_same_dataset_whatever_the_file_is_called(tmp_path):
    shutil.copy(SYLLOGISMS, tmp_path / "syllogisms")
    synthesize(SYLLOGISMS, 0, tmp_path / "shipped")
    synthesize(tmp_path / "syllogisms", 0, tmp_path / "bare")
    for name in ("kb.ttl", "closure.ttl", "documents.jsonl", "items/syllogism.jsonl", "ontology.ttl"):
        assert (tmp_path / "bare" / name).read_bytes() == (tmp_path / "shipped" / name).read_bytes()


@pytest.mark.parametrize("fmt,name,copy", [
    ("xml", "onto.owl", "ontology.rdf"),
    ("xml", "onto", "ontology.rdf"),
    ("json-ld", "onto", "ontology.jsonld"),
    ("nt", "onto.nt", "ontology.nt"),
    ("turtle", "onto.owl", "ontology.ttl"),  # Turtle in a .owl file is read as Turtle
])
def test_the_copy_is_named_by_the_format_it_was_read_as(tmp_path, fmt, name, copy):
    source = tmp_path / name
    rdflib.Graph().parse(SYLLOGISMS).serialize(source, format=fmt, encoding="utf-8")
    assert ontology_copy_name(source) == copy
    synthesize(source, 0, tmp_path / "data")
    assert (tmp_path / "data" / copy).read_bytes() == source.read_bytes()
    assert json.loads((tmp_path / "data" / "manifest.json").read_text())["outputs"][copy]
    assert graph_format(tmp_path / "data" / copy) == graph_format(source)
    dataset = kgsynth.load_dataset(tmp_path / "data")
    assert dataset.ontology == tmp_path / "data" / copy
    assert dataset.oracle.query(dataset.items["syllogism"][0].answer_statement, closed_world=True).value == "entailed"


def test_a_dataset_with_the_old_bare_copy_still_reads(tmp_path):
    """Written before the fix: the copy `ontology`, listed under that name in the manifest."""
    synthesize(SYLLOGISMS, 0, tmp_path / "data")
    (tmp_path / "data" / "ontology.ttl").rename(tmp_path / "data" / "ontology")
    manifest = json.loads((tmp_path / "data" / "manifest.json").read_text())
    manifest["outputs"]["ontology"] = manifest["outputs"].pop("ontology.ttl")
    (tmp_path / "data" / "manifest.json").write_text(json.dumps(manifest))
    assert kgsynth.load_dataset(tmp_path / "data").ontology == tmp_path / "data" / "ontology"


def test_graph_format_follows_read_graph(tmp_path):
    assert graph_format(SYLLOGISMS) == "turtle"
    source = tmp_path / "onto.ttl"
    rdflib.Graph().parse(SYLLOGISMS).serialize(source, format="xml", encoding="utf-8")  # XML content, Turtle extension
    assert graph_format(source) == "xml"
