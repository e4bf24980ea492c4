"""kgsynth.data.dataset: the in-memory dataset, settings overrides, shipped names, and a
world closed once per process (synth, then every reload)."""

from __future__ import annotations

import os

import pytest

import kgsynth
import kgsynth.logic.oracle as oracle_module
from kgsynth.data import dataset as dataset_module
from kgsynth.data.synth import synthesize
from kgsynth.errors import KgsynthError, SettingsError
from kgsynth.logic.statement import Form
from kgsynth.resources import ontology_path
from kgsynth.tasks.records import Document, Item


@pytest.fixture
def oracles_built(monkeypatch):
    """Counts Oracle constructions (each one closes a world); starts from an empty cache."""
    monkeypatch.setattr(dataset_module, "CACHE", type(dataset_module.CACHE)())
    count = [0]
    original = oracle_module.Oracle.__init__

    def counting(self, *args, **kwargs):
        count[0] += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(oracle_module.Oracle, "__init__", counting)
    return count


def test_create_dataset_is_in_memory_and_complete(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dataset = kgsynth.create_dataset("syllogisms", seed=3, syllogisms=7)
    assert os.listdir(tmp_path) == []  # nothing written
    assert len(dataset.documents) == 7 and all(isinstance(d, Document) for d in dataset.documents)
    assert dataset.splits() == ["syllogism"]
    items = dataset.items["syllogism"]
    assert items and all(isinstance(i, Item) for i in items)
    for item in items:
        assert dataset.oracle.query(item.answer_statement, closed_world=True).value == "entailed"
        assert item.answer_statement.form in (Form.ALL, Form.SOME, Form.NO, Form.SOME_NOT)
        assert dataset.grammar.parse(item.options[item.answer].strip()) == item.answer_statement


def test_settings_override_and_unknown_settings():
    assert len(kgsynth.create_dataset("simple_reversals", facts=5, repetitions=2).documents) == 10
    with pytest.raises(SettingsError, match="no task of this ontology has the setting.*kgs:colour"):
        kgsynth.create_dataset("simple_reversals", colour=3)
    with pytest.raises(SettingsError, match="kgs:facts"):
        kgsynth.create_dataset("simple_reversals", facts=0)


def test_shipped_names_and_near_misses():
    assert kgsynth.create_dataset("syllogisms.ttl", syllogisms=2).ontology.name == "syllogisms.ttl"
    with pytest.raises(KgsynthError, match="did you mean syllogisms"):
        kgsynth.create_dataset("syllogism")


def test_the_world_is_closed_once_for_synth_and_every_reload(tmp_path, oracles_built):
    synthesize("syllogisms", 0, tmp_path / "data")
    first = kgsynth.load_dataset(tmp_path / "data")
    second = kgsynth.load_dataset(tmp_path / "data")
    assert oracles_built[0] == 1
    assert first.oracle is second.oracle
    assert [i.to_json() for i in first.items["syllogism"]] == [i.to_json() for i in second.items["syllogism"]]


def test_a_reload_matches_what_was_built_in_memory(tmp_path):
    built = kgsynth.create_dataset("simple_reversals", seed=1, facts=6)
    synthesize("simple_reversals", 1, tmp_path / "data", facts=6)
    loaded = kgsynth.load_dataset(tmp_path / "data")
    assert loaded.manifest["settings"] == {"facts": 6}
    assert [d.to_json() for d in loaded.documents] == [d.to_json() for d in built.documents]
    assert {s: [i.to_json() for i in found] for s, found in loaded.items.items()} == \
        {s: [i.to_json() for i in found] for s, found in built.items.items()}


def relabelled(tmp_path, label: str):
    """semantic_structure.ttl with the class cat labelled `label`."""
    text = ontology_path("semantic_structure").read_text(encoding="utf-8")
    assert text.count('rdfs:label "cat"') == 1
    path = tmp_path / "relabelled.ttl"
    path.write_text(text.replace('rdfs:label "cat"', f'rdfs:label "{label}"'), encoding="utf-8")
    return path


def test_synth_carries_a_real_label_and_checks_every_sentence(tmp_path):
    dataset = kgsynth.create_dataset(relabelled(tmp_path, "Frank Stallone Sr."), seed=0, keep_labels=True)
    texts = [s.text for d in dataset.documents for s in d.sentences if "Frank Stallone Sr." in s.text]
    assert texts and not [t for t in texts if "Sr.." in t]
    grammar = dataset.grammar
    assert all(grammar.parse(s.text) == s.statement for d in dataset.documents for s in d.sentences if s.statement)


def test_synth_stops_on_a_label_it_cannot_carry_and_names_it(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(KgsynthError, match=r"cannot carry the label 'dog' \(term 'Cat', also the name of 'Dog'\): the "
                                           r"sentence '.*' does not parse back"):
        synthesize(relabelled(tmp_path, "dog"), 0, out, keep_labels=True)
    assert not out.exists()
