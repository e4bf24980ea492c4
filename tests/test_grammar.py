"""The English grammar both ways: every statement kind, every style, with and without a lead-in,
parses back to the statement it was rendered from; bad sentences fail with a useful ParseError."""

from __future__ import annotations

import random
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from real_names import organization, person, real_names

from kgsynth.errors import KgsynthError
from kgsynth.logic.statement import ISA, Form, Statement
from kgsynth.text.grammar import KINDS, Grammar, Names, ParseError, RoundTripError
from kgsynth.text.lexicon import LexiconConfig, draw_words, plural

# Relation phrases of the kinds the ontologies use: comparisons, kinship, roles, and the
# bare verbs of class-level properties ("gruds have zept", "gruds can zarp", "gruds are zept").
RELATIONS = {
    "moreDangerousThan": "more dangerous than",
    "lessDangerousThan": "less dangerous than",
    "parentOf": "a parent of",
    "directorOf": "the director of",
    "has": "have",
    "can": "can",
    "is": "are",
    "livesIn": "live in",
    "madeOf": "are made of",
}
RELATION_WORDS = sorted({w for phrase in RELATIONS.values() for w in phrase.split()})
# templates of random relation phrases, filled with nonsense words
PHRASE_TEMPLATES = ("more {} than", "less {} than", "a {} of", "the {} of", "{}", "can {}", "{} in", "are {} by")

N_CLASSES, N_MULTI_CLASSES, N_INDS, N_PROPER = 10, 2, 6, 3


def names_table(seed: int) -> tuple[Names, list[str], list[str]]:
    """Nonsense names: single- and two-word classes, lower-case and two-word proper individuals."""
    needed = N_CLASSES + 2 * N_MULTI_CLASSES + N_INDS + 2 * N_PROPER
    words = iter(draw_words(needed, LexiconConfig(seed=seed), reserved=RELATION_WORDS + phrase_words()))
    names = Names()
    classes, individuals = [], []
    for i in range(N_CLASSES):
        word = next(words)
        names.add(f"C{i}", sg=word, pl=plural(word))
        classes.append(f"C{i}")
    for i in range(N_MULTI_CLASSES):
        first, last = next(words), next(words)
        names.add(f"M{i}", sg=f"{first} {last}", pl=f"{first} {plural(last)}")
        classes.append(f"M{i}")
    for i in range(N_INDS):
        names.add(f"i{i}", ind=next(words))
        individuals.append(f"i{i}")
    for i in range(N_PROPER):
        names.add(f"P{i}", ind=f"{next(words).title()} {next(words).title()}")
        individuals.append(f"P{i}")
    return names, classes, individuals


@lru_cache(maxsize=1)
def phrase_words() -> list[str]:
    """Nonsense words for random relation phrases, kept apart from the names' words."""
    return draw_words(12, LexiconConfig(seed=99), reserved=RELATION_WORDS)


@lru_cache(maxsize=4)
def world_grammar(seed: int) -> tuple[Grammar, list[str], list[str]]:
    names, classes, individuals = names_table(seed)
    return Grammar(RELATIONS, names), classes, individuals


GRAMMAR_SEEDS = (11, 12, 13)


@st.composite
def statements(draw, kind: str, grammar: Grammar, classes: list[str], individuals: list[str]) -> Statement:
    isa, form = KINDS[kind]
    relation = ISA if isa else draw(st.sampled_from(sorted(grammar.relations)))
    if kind in ("type", "not_type"):
        return Statement(draw(st.sampled_from(individuals)), ISA, draw(st.sampled_from(classes)), form)
    if kind in ("fact", "not_fact"):
        return Statement(draw(st.sampled_from(individuals)), relation, draw(st.sampled_from(individuals)), form)
    return Statement(draw(st.sampled_from(classes)), relation, draw(st.sampled_from(classes)), form)


def check_round_trip(grammar: Grammar, statement: Statement, style: str, lead: str | None) -> None:
    sentence = grammar.render(statement, style, lead=lead)
    assert not sentence[0].islower(), sentence
    question = lead is not None and lead.split()[0] in ("did", "do", "does", "is", "are")
    assert sentence.endswith("?" if question else "."), sentence
    # exactly one reading, the statement itself (what `parse` returns, without parsing twice)
    assert grammar.readings(sentence) == [statement], f"{style!r} {sentence!r}"


# --- round trips -------------------------------------------------------------------------


def test_every_kind_has_several_styles_and_there_are_leads() -> None:
    grammar, _, _ = world_grammar(GRAMMAR_SEEDS[0])
    for kind in KINDS:
        assert len(grammar.styles(kind)) >= 2, kind
    assert len(grammar.leads()) >= 5


@pytest.mark.parametrize("kind", sorted(KINDS))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip_every_style(kind: str, data) -> None:
    grammar, classes, individuals = world_grammar(data.draw(st.sampled_from(GRAMMAR_SEEDS), label="names"))
    statement = data.draw(statements(kind, grammar, classes, individuals), label="statement")
    assert Grammar.kind_of(statement) == kind
    lead = data.draw(st.sampled_from(grammar.leads()), label="lead")
    for style in grammar.styles(kind):
        check_round_trip(grammar, statement, style, None)
        check_round_trip(grammar, statement, style, lead)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_round_trip_every_lead(kind: str) -> None:
    grammar, classes, individuals = world_grammar(GRAMMAR_SEEDS[0])
    rng = random.Random(kind)
    for lead in grammar.leads():
        isa, form = KINDS[kind]
        relation = ISA if isa else rng.choice(sorted(grammar.relations))
        pool_s = individuals if kind in ("type", "not_type", "fact", "not_fact") else classes
        pool_o = classes if kind in ("type", "not_type") else pool_s
        statement = Statement(rng.choice(pool_s), relation, rng.choice(pool_o), form)
        for style in grammar.styles(kind):
            check_round_trip(grammar, statement, style, lead)


@st.composite
def random_phrases(draw) -> dict[str, str]:
    words = phrase_words()
    chosen = draw(st.lists(st.tuples(st.sampled_from(PHRASE_TEMPLATES), st.sampled_from(words)),
                           min_size=1, max_size=5, unique=True))
    phrases = sorted({template.format(word) for template, word in chosen})
    extra = draw(st.lists(st.sampled_from(sorted(RELATIONS.values())), max_size=3, unique=True))
    return {f"rel{i}": phrase for i, phrase in enumerate(sorted(set(phrases) | set(extra)))}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(relations=random_phrases(), data=st.data())
def test_round_trip_with_random_relation_phrases(relations: dict[str, str], data) -> None:
    names, classes, individuals = names_table(GRAMMAR_SEEDS[1])
    grammar = Grammar(relations, names)
    for kind in ("prop", "fact", "not_fact"):
        statement = data.draw(statements(kind, grammar, classes, individuals), label=kind)
        lead = data.draw(st.none() | st.sampled_from(grammar.leads()), label="lead")
        for style in grammar.styles(kind):
            check_round_trip(grammar, statement, style, lead)


def test_rendering_keeps_the_first_surface_of_an_aliased_term() -> None:
    names = Names()
    names.add("A", sg="glon", pl="glons")
    names.add("B", sg="yomp", pl="yomps")
    names.alias("A", "pl", "glonnen")
    grammar = Grammar({}, names)
    statement = Statement("A", ISA, "B", Form.ALL)
    assert grammar.render(statement, "all") == "All glons are yomps."
    assert grammar.parse("All glonnen are yomps.") == statement


# --- articles ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vowel_grammar() -> Grammar:
    names = Names()
    for term, word in (("V", "ulbo"), ("W", "azpe"), ("K", "glon"), ("L", "troff")):
        names.add(term, sg=word, pl=plural(word))
    names.add("M", sg="ulbo glon", pl="ulbo glons")
    names.add("x", ind="Efri Tolm")
    names.add("y", ind="zarp")
    return Grammar({}, names)


@pytest.mark.parametrize(
    ("statement", "style", "expected"),
    [
        (Statement("y", ISA, "V"), "plain", "Zarp is an ulbo."),
        (Statement("y", ISA, "K"), "plain", "Zarp is a glon."),
        (Statement("x", ISA, "W"), "plain", "Efri Tolm is an azpe."),
        (Statement("x", ISA, "M"), "plain", "Efri Tolm is an ulbo glon."),
        (Statement("V", ISA, "K", Form.ALL), "every", "Every ulbo is a glon."),  # the next word, not the subject
        (Statement("K", ISA, "W", Form.ALL), "every", "Every glon is an azpe."),
        (Statement("L", ISA, "V", Form.SOME), "at_least", "At least one troff is an ulbo."),
        (Statement("V", ISA, "L", Form.SOME), "at_least", "At least one ulbo is a troff."),
        (Statement("K", ISA, "W", Form.NO), "singular", "No glon is an azpe."),
        (Statement("W", ISA, "K", Form.NO), "singular", "No azpe is a glon."),
    ],
)
def test_article_is_chosen_by_the_next_word(vowel_grammar: Grammar, statement: Statement, style: str,
                                            expected: str) -> None:
    assert vowel_grammar.render(statement, style) == expected
    assert vowel_grammar.parse(expected) == statement


# --- errors ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_grammar() -> Grammar:
    names = Names()
    names.add("G", sg="glon", pl="glons")
    names.add("Y", sg="yomp", pl="yomps")
    names.add("f", ind="femp")
    return Grammar({"parentOf": "a parent of"}, names)


def test_parse_error_is_a_kgsynth_error() -> None:
    assert issubclass(ParseError, KgsynthError)


def test_unknown_word_is_named(small_grammar: Grammar) -> None:
    with pytest.raises(ParseError) as raised:
        small_grammar.parse("All glons are blargs.")
    message = str(raised.value)
    assert "'blargs'" in message
    assert "no known term" in message
    assert "All glons are blargs." in message


def test_unknown_word_message_blames_only_the_unknown_word(small_grammar: Grammar) -> None:
    # "all" is a word of the grammar and "glons" a known term: neither is an unknown term
    with pytest.raises(ParseError) as raised:
        small_grammar.parse("All glons are blargs.")
    assert "'all glons'" not in str(raised.value)


def test_unknown_individual_is_named(small_grammar: Grammar) -> None:
    with pytest.raises(ParseError, match="'quizzle'"):
        small_grammar.parse("Femp is a parent of quizzle.")


@pytest.mark.parametrize("sentence", ["All glons are", "Femp is a parent of", "Every glon is a", "Did you know that"])
def test_incomplete_sentence(small_grammar: Grammar, sentence: str) -> None:
    with pytest.raises(ParseError, match="ends too early") as raised:
        small_grammar.parse(sentence)
    assert repr(sentence) in str(raised.value)


def test_unexpected_characters_are_shown(small_grammar: Grammar) -> None:
    with pytest.raises(ParseError, match="unexpected") as raised:
        small_grammar.parse("All glons are 42 yomps.")
    assert "42" in str(raised.value)


def test_known_words_in_no_statement_form(small_grammar: Grammar) -> None:
    # every word is known, but an individual cannot stand where a plural class must
    with pytest.raises(ParseError, match="fit no statement form"):
        small_grammar.parse("Glons are femp.")


def test_sentence_with_two_readings_lists_both() -> None:
    names = Names()
    names.add("Glon", sg="glon", pl="glons")
    names.add("Troff", sg="troff", pl="troffs")
    names.add("Yomp", sg="yomp", pl="yomps")
    names.alias("Troff", "pl", "glons")  # "glons" now names two classes
    grammar = Grammar({}, names)
    first, second = Statement("Glon", ISA, "Yomp", Form.ALL), Statement("Troff", ISA, "Yomp", Form.ALL)
    assert grammar.readings("All glons are yomps.") == [first, second]
    with pytest.raises(ParseError) as raised:
        grammar.parse("All glons are yomps.")
    message = str(raised.value)
    assert "ambiguous" in message
    assert str(first) in message and str(second) in message
    # the unambiguous surface of the same term still parses
    assert grammar.parse("All troffs are yomps.") == second


def test_two_individuals_with_one_surface_are_ambiguous() -> None:
    names = Names()
    names.add("a1", ind="Zarp Tolm")
    names.add("a2", ind="femp")
    names.add("a3", ind="kliv")
    names.alias("a3", "ind", "zarp tolm")
    grammar = Grammar({"parentOf": "a parent of"}, names)
    with pytest.raises(ParseError) as raised:
        grammar.parse("Zarp Tolm is a parent of femp.")
    message = str(raised.value)
    assert str(Statement("a1", "parentOf", "a2")) in message
    assert str(Statement("a3", "parentOf", "a2")) in message


# --- real names (--keep-labels) ----------------------------------------------------------

REAL_RELATIONS = {"parentOf": "a parent of", "directorOf": "the director of"}
REAL_CLASSES = ("actor", "sea otter", "Crème Brûlée", "T. rex", "4x4 vehicle")


def real_grammar(people: list[str]) -> tuple[Grammar, list[str], list[str]]:
    names = Names()
    for i, label in enumerate(REAL_CLASSES):
        names.add(f"C{i}", sg=label, pl=plural(label))
    for i, label in enumerate(people):
        names.add(f"i{i}", ind=label)
    return Grammar(REAL_RELATIONS, names), [f"C{i}" for i in range(len(REAL_CLASSES))], [f"i{i}" for i in range(len(people))]


def real_statements(i: int, classes: list[str], individuals: list[str]) -> list[Statement]:
    me, other, cls = individuals[i], individuals[(i + 1) % len(individuals)], classes[i % len(classes)]
    relation = sorted(REAL_RELATIONS)[i % len(REAL_RELATIONS)]
    return [Statement(me, ISA, cls), Statement(me, ISA, cls, Form.NOT), Statement(me, relation, other),
            Statement(other, relation, me, Form.NOT)]


def test_a_thousand_real_names_round_trip() -> None:
    """The issue's names (accents, initials, suffixes, digits, ...): every one, in every kind it can fill."""
    grammar, classes, individuals = real_grammar(real_names(1_000, seed=3))
    for i in range(len(individuals)):
        for statement in real_statements(i, classes, individuals):
            style = grammar.styles(grammar.kind_of(statement))[i % 2]
            assert grammar.parse(grammar.render(statement, style)) == statement


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rng=st.randoms(use_true_random=False), data=st.data())
def test_round_trip_real_names_every_style(rng, data) -> None:
    people = list(dict.fromkeys(person(rng) if rng.random() < 0.7 else organization(rng) for _ in range(3)))
    grammar, classes, individuals = real_grammar(people)
    statement = data.draw(st.sampled_from(real_statements(0, classes, individuals)), label="statement")
    lead = data.draw(st.none() | st.sampled_from(grammar.leads()), label="lead")
    for style in grammar.styles(grammar.kind_of(statement)):
        check_round_trip(grammar, statement, style, lead)


@pytest.mark.parametrize(("statement", "style", "expected"), [
    (Statement("j", "parentOf", "f"), "plain", "J.C. Chandor is a parent of Frank Stallone Sr."),
    (Statement("f", "parentOf", "j"), "plain", "Frank Stallone Sr. is a parent of J.C. Chandor."),
    (Statement("a", ISA, "C0", Form.NOT), "plain", "Alexander Skarsgård is not an actor."),
    (Statement("w", "parentOf", "a"), "described_rev", "A parent of Alexander Skarsgård is 2025 World Hoverboard Championship."),
])
def test_real_labels_keep_their_spelling_and_one_final_period(statement: Statement, style: str, expected: str) -> None:
    names = Names()
    names.add("C0", sg="actor", pl="actors")
    for term, label in (("j", "J.C. Chandor"), ("f", "Frank Stallone Sr."), ("a", "Alexander Skarsgård"),
                        ("w", "2025 World Hoverboard Championship")):
        names.add(term, ind=label)
    grammar = Grammar(REAL_RELATIONS, names)
    assert grammar.render(statement, style) == expected
    assert grammar.parse(expected) == statement
    assert grammar.parse(grammar.render(statement, style, lead="did you know that")) == statement  # "... Sr.?"


def test_a_label_that_cannot_be_carried_stops_rendering_and_is_named() -> None:
    names = Names()
    names.add("a", ind="Max Power")
    names.add("b", ind="max power")  # two people, one name: no sentence can tell them apart
    names.add("c", ind="femp")
    grammar = Grammar(REAL_RELATIONS, names)
    with pytest.raises(RoundTripError, match=r"cannot carry the label 'Max Power' \(term 'a', also the name of 'b'\)"):
        grammar.render(Statement("a", "parentOf", "c"))


# --- read-only wordings -------------------------------------------------------------------


def test_read_only_styles_are_never_rendered(small_grammar: Grammar) -> None:
    for kind in KINDS:
        assert not [s for s in small_grammar.styles(kind) if s.startswith("read_")], kind
    with pytest.raises(KgsynthError, match="unknown style 'read_each'"):
        small_grammar.render(Statement("G", ISA, "Y", Form.ALL), "read_each")


@pytest.mark.parametrize(("sentence", "expected"), [
    ("Each glon is a yomp.", Statement("G", ISA, "Y", Form.ALL)),
    ("Every glon is yomp.", Statement("G", ISA, "Y", Form.ALL)),
    ("No glon is yomp.", Statement("G", ISA, "Y", Form.NO)),
    ("Glons are not yomps.", Statement("G", ISA, "Y", Form.NO)),
    ("Femp is yomp.", Statement("f", ISA, "Y", Form.FACT)),
    ("Femp is not yomp.", Statement("f", ISA, "Y", Form.NOT)),
    ("Femp is not a yomp.", Statement("f", ISA, "Y", Form.NOT)),
])
def test_wordings_people_write_are_read(small_grammar: Grammar, sentence: str, expected: Statement) -> None:
    assert small_grammar.parse(sentence) == expected
