"""Naming: nonsense words by default; with keep_labels, the ontology's labels in plain English."""

from __future__ import annotations

import kgsynth
from kgsynth.resources import ontology_path


def test_a_kept_label_has_its_english_plural_and_the_regular_one_still_reads(tmp_path):
    text = ontology_path("semantic_structure").read_text(encoding="utf-8")
    path = tmp_path / "berry.ttl"
    path.write_text(text.replace('rdfs:label "cat"', 'rdfs:label "berry"'), encoding="utf-8")
    dataset = kgsynth.create_dataset(path, seed=0, keep_labels=True)
    forms = dataset.naming.names.forms["Cat"]
    assert forms["sg"] == "berry" and forms["pl"] == "berries"
    rendered = [s.text for d in dataset.documents for s in d.sentences if "berr" in s.text.lower()]
    assert any("berries" in t.lower() for t in rendered) and not any("berrys" in t.lower() for t in rendered)
    assert dataset.grammar.parse("All berrys are animals.") == dataset.grammar.parse("All berries are animals.")


def test_nonsense_words_keep_the_regular_plural():
    dataset = kgsynth.create_dataset(ontology_path("syllogisms"), seed=0)
    for term, forms in dataset.grammar.names.forms.items():
        if "sg" in forms:
            assert forms["pl"] == forms["sg"] + ("es" if forms["sg"].endswith(("s", "x", "z", "sh", "ch")) else "s"), term
