"""kgsynth.experiments.oracle_ceiling: the sentences oracle-ft adds, on three families' worlds."""

from __future__ import annotations

import random

import pytest
from helpers import SYLLOGISM_FRAME as FRAME
from helpers import without_frame, write_synth

from kgsynth.data.dataset import load_dataset
from kgsynth.experiments.audit import AugmentationJudge
from kgsynth.experiments.oracle_ceiling import oracle_augmentations
from kgsynth.logic.statement import Form


@pytest.fixture(scope="module")
def world(synthesized, tmp_path_factory):
    """world(family name) -> its dataset, synthesized once for this module."""
    loaded = {}

    def load(name: str):
        if name not in loaded:
            loaded[name] = load_dataset(write_synth(synthesized(name), tmp_path_factory.mktemp("ceiling") / name))
        return loaded[name]

    return load


def answer_text(dataset, statement) -> str:
    """How the ceiling writes an answer: a syllogism as its item's whole text (the question
    frame, then the conclusion), else in the plain style."""
    if dataset.splits() == ["syllogism"]:
        return next(i.answer_text for i in dataset.items["syllogism"] if i.answer_statement == statement)
    return dataset.naming.grammar.render(statement, "plain")


@pytest.mark.parametrize("family", ["simple_reversals", "semantic_structure", "syllogisms"])
def test_oracle_augmentations_parse_back_entailed(family, world):
    dataset = world(family)
    judge = AugmentationJudge(dataset)
    records = oracle_augmentations(dataset)
    assert records and all(r["shape"] == "independent" and r["doc_id"] == "augment" for r in records)
    assert len({r["id"] for r in records}) == len(records)
    sample = records if len(records) <= 300 else random.Random(0).sample(records, 300)
    statements = set()
    for record in sample:
        statement, verdict, _, _ = judge.classify(without_frame(record["text"]))
        assert verdict == "entailed", record["text"]
        statements.add(statement)
    assert len(statements) == len(sample)  # one sentence per statement
    answers = judge.answer_set
    first = {r["text"] for r in records[: len(answers)]}
    assert first == {answer_text(dataset, s) for s in answers}  # the items' answers come first
    limited = oracle_augmentations(dataset, limit=7)
    assert limited == records[:7]


def test_the_syllogism_conclusions_are_written_inside_their_items_frame(world):
    syl = world("syllogisms")
    texts = [r["text"] for r in oracle_augmentations(syl)]
    items = syl.items["syllogism"]
    assert {i.answer_statement.form for i in items} == {Form.ALL, Form.SOME, Form.NO}
    for item in items:
        frame, conclusion = item.prompt, item.options[item.answer]
        assert frame.startswith(FRAME) and frame.endswith(":")
        assert frame + conclusion in texts  # "The relationships between X and Y are: All X are Y."
        assert conclusion.strip() not in texts  # not bare
        assert syl.grammar.render(item.answer_statement, "plain") not in texts  # nor "Xs are Ys."
    framed = [t for t in texts if t.startswith(FRAME)]
    assert len(framed) == len({i.answer_statement for i in items})  # the other inferences stay plain
