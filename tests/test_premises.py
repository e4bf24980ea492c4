"""The names of free premises: runs of words as terms, singular and plural as one term
(lexicon.plural_forms), individuals, and a term used both ways refused."""

from __future__ import annotations

import pytest

from kgsynth.errors import KgsynthError
from kgsynth.logic.statement import ISA, Form, Statement
from kgsynth.text.grammar import Grammar, Names
from kgsynth.text.premises import check_roles, premise_grammar, runs

LITERALS = Grammar({}, Names()).literals()


def read(premises: list[str], sentence: str) -> Statement:
    return premise_grammar(premises + [sentence]).parse(sentence)


def test_runs_are_the_words_between_the_grammar_words() -> None:
    assert runs("All sea otters are marine mammals.", LITERALS) == ["sea otters", "marine mammals"]
    assert runs("Interestingly, Max is not a data analysis tool!", LITERALS) == ["Max", "data analysis tool"]


@pytest.mark.parametrize(("singular", "plural"),
                         [("fox", "foxes"), ("class", "classes"), ("berry", "berries"), ("berry", "berrys"),
                          ("mammal", "mammals"), ("sea otter", "sea otters"), ("data analysis tool", "data analysis tools")])
def test_singular_and_plural_are_one_term(singular: str, plural: str) -> None:
    premises = [f"Every {singular} is an animal."]
    assert read(premises, f"All {plural} are animals.") == Statement(singular, ISA, "animal", Form.ALL)
    assert read(premises, f"Some animals are {plural}.") == Statement("animal", ISA, singular, Form.SOME)


def test_a_term_written_only_in_the_plural_reads_as_the_study_writes_it() -> None:
    assert read(["All glon are yomp."], "All glons are yomps.") == Statement("glon", ISA, "yomp", Form.ALL)
    assert read([], "All mammals are animals.") == Statement("mammals", ISA, "animals", Form.ALL)


def test_an_individual_keeps_its_capitals_for_rendering() -> None:
    grammar = premise_grammar(["Max is a wumpus."])
    statement = grammar.parse("Max is a wumpus.")
    assert statement == Statement("max", ISA, "wumpus", Form.FACT)
    assert grammar.render(statement) == "Max is a wumpus."
    assert grammar.render(statement.negated()) == "Max is not a wumpus."


def test_a_term_used_as_individual_and_class_is_refused_with_both_sentences() -> None:
    sentences = ["Max is a wumpus.", "All max are sour."]
    grammar = premise_grammar(sentences)
    with pytest.raises(KgsynthError, match="'max' is an individual in 'Max is a wumpus.'.*class in 'All max are sour.'"):
        check_roles(sentences, [grammar.parse(s) for s in sentences])


def test_two_singulars_for_one_plural_is_an_ambiguous_sentence() -> None:
    with pytest.raises(KgsynthError, match="ambiguous sentence 'All foxes are animals.': reads as"):
        read(["Every fox is a dog.", "Every foxe is a cat."], "All foxes are animals.")
