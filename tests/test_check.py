"""Judging sentences in-process: premises as people write them (each form the issue lists,
plurals, multi-word nouns, individuals, negated membership) and negated membership against
a synthesized KB. The CLI itself is tested in tests/test_check_cli.py."""

from __future__ import annotations

import pytest
from helpers import SYNTH_SEED

from kgsynth.data.dataset import create_dataset
from kgsynth.errors import KgsynthError
from kgsynth.logic.oracle import CONTRADICTED, ENTAILED, UNKNOWN
from kgsynth.logic.statement import ISA, Form, Statement
from kgsynth.text.check import check_kb, check_premises


def verdicts(premises: list[str], claims: list[str]) -> list[str]:
    return [j.verdict for j in check_premises(premises, claims)[1]]


def statement(premises: list[str], claim: str) -> Statement:
    return check_premises(premises, [claim])[1][0].statement


@pytest.mark.parametrize(("sentence", "expected"), [
    ("Each fox is a mammal.", Statement("fox", ISA, "mammal", Form.ALL)),
    ("Every fox is sour.", Statement("fox", ISA, "sour", Form.ALL)),
    ("Each fox is sour.", Statement("fox", ISA, "sour", Form.ALL)),
    ("No fox is sour.", Statement("fox", ISA, "sour", Form.NO)),
    ("Foxes are not birds.", Statement("fox", ISA, "bird", Form.NO)),
    ("Max is a wumpus.", Statement("max", ISA, "wumpus", Form.FACT)),
    ("Max is sour.", Statement("max", ISA, "sour", Form.FACT)),
    ("Max is not a wumpus.", Statement("max", ISA, "wumpus", Form.NOT)),
    ("Max is not sour.", Statement("max", ISA, "sour", Form.NOT)),
])
def test_each_premise_form_reads_as_its_statement(sentence: str, expected: Statement) -> None:
    context = ["Every fox is an animal.", "Every bird is an animal."]  # the singulars of "foxes", "birds"
    assert statement(context, sentence) == expected


def test_each_and_every_without_article() -> None:
    premises = ["Each fox is a mammal.", "Every mammal is warm."]
    assert verdicts(premises, ["All foxes are warm.", "No fox is warm.", "Some warm are not foxes."]) == [
        ENTAILED, CONTRADICTED, UNKNOWN]


def test_plural_and_singular_of_es_and_ies_nouns_are_one_term() -> None:
    # the issue: "All foxes are mammals" beside "Every fox is an animal" was an ambiguous sentence
    assert verdicts(["All foxes are mammals.", "Every mammal is an animal."], ["Every fox is an animal."]) == [ENTAILED]
    assert verdicts(["All classes are berries.", "Every berry is a fruit."], ["Every class is a fruit."]) == [ENTAILED]


def test_multi_word_nouns() -> None:
    premises = ["All sea otters are marine mammals.", "Every marine mammal is a data analysis tool."]
    assert verdicts(premises, ["Every sea otter is a data analysis tool.", "No data analysis tools are sea otters."]) == [
        ENTAILED, CONTRADICTED]


def test_negated_class_membership_xs_are_not_ys() -> None:
    premises = ["Foxes are not birds.", "Tweety is a bird."]
    assert verdicts(premises, ["Tweety is not a fox.", "Tweety is a fox.", "No birds are foxes."]) == [
        ENTAILED, CONTRADICTED, ENTAILED]


def test_individuals_follow_from_classes() -> None:
    premises = ["Every wumpus is sour.", "Max is a wumpus."]
    assert verdicts(premises, ["Max is sour.", "Max is not sour."]) == [ENTAILED, CONTRADICTED]
    assert verdicts(["Max is not sour.", "Every wumpus is sour."], ["Max is not a wumpus."]) == [ENTAILED]


def test_derivation_shows_premises_as_written() -> None:
    grammar, [judgement] = check_premises(["Max is not sour.", "Every wumpus is sour."], ["Max is not a wumpus."])
    assert sorted(judgement.to_json(grammar)["premise_sentences"]) == ["Every wumpus is sour.", "Max is not sour."]


def test_explanation_names_the_derivation_and_its_premises_as_written() -> None:
    grammar, [entailed, unknown] = check_premises(["Max is not sour.", "Every wumpus is sour."],
                                                  ["Max is not a wumpus.", "Max is a fox."])
    lines = entailed.explanation(grammar)
    assert lines[0] == f"  by categorical ({entailed.derivation.hops} hop{'s' if entailed.derivation.hops != 1 else ''}) from:"
    assert sorted(lines[1:]) == ["    Every wumpus is sour.", "    Max is not sour."]
    assert unknown.verdict == UNKNOWN and unknown.explanation(grammar) == []


def test_ambiguous_premise_is_a_clear_error() -> None:
    with pytest.raises(KgsynthError, match="ambiguous sentence 'All foxes are animals.'"):
        check_premises(["Every fox is a dog.", "Every foxe is a cat.", "All foxes are animals."], ["Every fox is a dog."])


def test_individual_used_as_class_is_a_clear_error() -> None:
    with pytest.raises(KgsynthError, match="'max' is an individual"):
        check_premises(["Max is a wumpus.", "All max are sour."], ["Max is sour."])


def test_kb_judges_negated_membership() -> None:
    dataset = create_dataset("celebrities", SYNTH_SEED)
    grammar, oracle = dataset.grammar, dataset.oracle
    person = sorted(dataset.world.individuals)[0]
    classes = sorted(oracle.closure.types[person])
    other = sorted(dataset.world.classes - set(classes))[0]
    claims = [grammar.render(Statement(person, ISA, classes[0], Form.NOT)),
              grammar.render(Statement(person, ISA, other, Form.NOT), "untrue")]
    judged = check_kb(oracle, grammar, claims)
    assert [j.statement.form for j in judged] == [Form.NOT, Form.NOT]
    assert [j.verdict for j in judged] == [CONTRADICTED, ENTAILED]
    assert claims[0].split(" is not ")[0] == grammar.names.surface(person, "ind")
