"""Tests for kgsynth.logic.categorical: classical syllogistic with existential import."""

from __future__ import annotations

from itertools import product

import pytest
from categorical_oracles import (
    brute_force_entails,
    brute_force_satisfiable,
    brute_force_verdict,
    region_consistent,
    region_entails,
    region_minimal_support,
    region_valid_conclusions,
    region_verdict,
)
from helpers import all_, isa, no, some, some_not
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgsynth.errors import InconsistencyError, KgsynthError
from kgsynth.logic.categorical import (
    CANDIDATE_FORMS,
    FORMS,
    INDIVIDUAL_FORMS,
    candidates,
    consistent,
    entails,
    hops,
    minimal_support,
    valid_conclusions,
    verdict,
)
from kgsynth.logic.statement import ISA, Form, Statement

# --- valid syllogisms -------------------------------------------------------


def test_barbara() -> None:
    """All M are P; all S are M ⊢ all S are P."""
    assert verdict([all_("M", "P"), all_("S", "M")], all_("S", "P")) == "entailed"


def test_celarent() -> None:
    """No M are P; all S are M ⊢ no S are P."""
    assert verdict([no("M", "P"), all_("S", "M")], no("S", "P")) == "entailed"


def test_darii() -> None:
    """All M are P; some S are M ⊢ some S are P."""
    assert verdict([all_("M", "P"), some("S", "M")], some("S", "P")) == "entailed"


def test_ferio() -> None:
    """No M are P; some S are M ⊢ some S are not P."""
    assert verdict([no("M", "P"), some("S", "M")], some_not("S", "P")) == "entailed"


def test_barbari_needs_existential_import() -> None:
    """All M are P; all S are M ⊢ some S are P (needs S non-empty)."""
    assert verdict([all_("M", "P"), all_("S", "M")], some("S", "P")) == "entailed"


def test_darapti_needs_existential_import() -> None:
    """All M are P; all M are S ⊢ some S are P (needs M non-empty)."""
    assert verdict([all_("M", "P"), all_("M", "S")], some("S", "P")) == "entailed"


def test_felapton_needs_existential_import() -> None:
    """No M are P; all M are S ⊢ some S are not P (needs M non-empty)."""
    assert verdict([no("M", "P"), all_("M", "S")], some_not("S", "P")) == "entailed"


def test_subalternation() -> None:
    """All S are P ⊢ some S are P (existential import on S)."""
    assert entails([all_("S", "P")], some("S", "P"))


# --- invalid forms, contradictions, inconsistency ---------------------------


def test_undistributed_middle_is_unknown() -> None:
    """All P are M; all S are M ⊬ all S are P."""
    assert verdict([all_("P", "M"), all_("S", "M")], all_("S", "P")) == "unknown"


def test_illicit_minor_is_unknown() -> None:
    """All M are P; all M are S ⊬ all S are P."""
    assert verdict([all_("M", "P"), all_("M", "S")], all_("S", "P")) == "unknown"


def test_two_particular_premises_is_unknown() -> None:
    """Some M are P; some S are M ⊬ some S are P."""
    assert verdict([some("M", "P"), some("S", "M")], some("S", "P")) == "unknown"


def test_contradiction() -> None:
    """All S are P contradicts some S are not P."""
    assert verdict([all_("S", "P")], some_not("S", "P")) == "contradicted"


def test_celarent_contradicts_particular() -> None:
    """No M are P; all S are M contradicts some S are P."""
    assert verdict([no("M", "P"), all_("S", "M")], some("S", "P")) == "contradicted"


def test_inconsistent_premises_raise() -> None:
    premises = [all_("S", "P"), some_not("S", "P")]
    assert not consistent(premises)
    with pytest.raises(InconsistencyError, match="all S isa P"):
        verdict(premises, some("S", "P"))


def test_inconsistent_by_existential_import() -> None:
    """All S are P; no S are P is inconsistent because S is non-empty."""
    assert not consistent([all_("S", "P"), no("S", "P")])


def test_bad_statements_rejected() -> None:
    with pytest.raises(KgsynthError, match="all Dog has Fur"):
        entails([], Statement("Dog", "has", "Fur", Form.ALL))
    with pytest.raises(KgsynthError, match="rex has Fur"):
        consistent([Statement("rex", "has", "Fur")])


def test_individual_used_as_class_is_rejected() -> None:
    with pytest.raises(KgsynthError, match="'max' is an individual"):
        consistent([isa("max", "Wumpus"), all_("max", "Sour")])
    with pytest.raises(KgsynthError, match="'max' is an individual"):
        verdict([not_isa("max", "Sour")], some("Sour", "max"))
    with pytest.raises(KgsynthError, match="'max' is an individual"):
        entails([], isa("max", "max"))


# --- no term cap: long chains -----------------------------------------------

LETTERS = [chr(ord("A") + i) for i in range(26)]


def test_26_term_textbook_chain() -> None:
    """All A are B, all B are C, ... all Y are Z (shuffled): a sorites over 26 terms."""
    chain = [all_(a, b) for a, b in zip(LETTERS, LETTERS[1:], strict=False)]
    premises = chain[1::2] + chain[::2]
    assert verdict(premises, all_("A", "Z")) == "entailed"
    assert verdict(premises, some("Z", "A")) == "entailed"  # existential import of A
    assert verdict(premises, no("A", "Z")) == "contradicted"
    assert verdict(premises, all_("Z", "A")) == "unknown"
    support = minimal_support([no("Q", "Z"), *premises], all_("A", "Z"))
    assert support == premises and hops(support) == 24
    assert verdict([*premises, no("Z", "Zed")], no("A", "Zed")) == "entailed"  # Celarent at the end of the chain


def test_200_term_chain_and_individual() -> None:
    terms = [f"T{i:03}" for i in range(200)]
    chain = [all_(a, b) for a, b in zip(terms, terms[1:], strict=False)]
    premises = [*chain, isa("max", terms[0]), no(terms[-1], "Sour")]
    assert verdict(premises, all_(terms[0], terms[-1])) == "entailed"
    assert verdict(premises, isa("max", terms[-1])) == "entailed"
    assert verdict(premises, isa("max", "Sour")) == "contradicted"
    assert verdict(premises, some_not(terms[5], "Sour")) == "entailed"
    assert verdict(premises, all_(terms[-1], terms[0])) == "unknown"
    found = valid_conclusions(premises, terms[:20])
    assert all_(terms[3], terms[17]) in found and all_(terms[17], terms[3]) not in found
    assert not consistent([*premises, some(terms[0], "Sour")])


def test_cycle_of_all_makes_equal_classes() -> None:
    premises = [all_("A", "B"), all_("B", "C"), all_("C", "A"), all_("C", "D"), no("D", "E")]
    assert verdict(premises, all_("B", "A")) == "entailed"
    assert verdict(premises, no("B", "E")) == "entailed"
    assert verdict(premises, all_("D", "A")) == "unknown"
    assert set(valid_conclusions(premises, ["A", "B", "C"])) >= {all_("A", "C"), all_("B", "A"), all_("C", "B")}


# --- individuals --------------------------------------------------------------


def test_individual_inherits_and_excludes() -> None:
    premises = [all_("Wumpus", "Sour"), isa("max", "Wumpus")]
    assert verdict(premises, isa("max", "Sour")) == "entailed"
    assert verdict(premises, not_isa("max", "Sour")) == "contradicted"
    assert verdict([no("Wumpus", "Sour"), isa("max", "Wumpus")], not_isa("max", "Sour")) == "entailed"
    assert verdict([isa("max", "Wumpus")], isa("max", "Sour")) == "unknown"
    assert verdict([isa("max", "Wumpus")], isa("rex", "Wumpus")) == "unknown"


def test_individual_witnesses_particular() -> None:
    """Max is a wumpus and not sour: some wumpus is not sour, so not all wumpuses are sour."""
    premises = [isa("max", "Wumpus"), not_isa("max", "Sour")]
    assert verdict(premises, some_not("Wumpus", "Sour")) == "entailed"
    assert verdict(premises, all_("Wumpus", "Sour")) == "contradicted"
    assert verdict(premises, some("Wumpus", "Sour")) == "unknown"
    assert verdict([isa("max", "Wumpus"), isa("max", "Sour")], no("Sour", "Wumpus")) == "contradicted"


def test_individual_inconsistency() -> None:
    assert not consistent([isa("max", "Wumpus"), not_isa("max", "Wumpus")])
    assert not consistent([all_("Wumpus", "Sour"), isa("max", "Wumpus"), not_isa("max", "Sour")])
    assert consistent([isa("max", "Wumpus"), not_isa("rex", "Wumpus")])
    with pytest.raises(InconsistencyError, match="max isa Wumpus; max isa Sour"):
        verdict([no("Wumpus", "Sour"), isa("max", "Wumpus"), isa("max", "Sour")], isa("max", "Sour"))


def test_valid_conclusions_about_individuals() -> None:
    premises = [all_("Wumpus", "Sour"), no("Sour", "Sweet"), isa("max", "Wumpus")]
    found = valid_conclusions(premises, ["max", "Wumpus", "Sour", "Sweet"])
    assert isa("max", "Sour") in found and not_isa("max", "Sweet") in found
    assert isa("max", "Wumpus") not in found  # a premise
    assert minimal_support(premises, not_isa("max", "Sweet")) == premises


# --- valid_conclusions, minimal_support, candidates -------------------------


def test_valid_conclusions_barbara() -> None:
    premises = [all_("M", "P"), all_("S", "M")]
    found = valid_conclusions(premises, ["S", "M", "P"])
    assert all_("S", "P") in found
    assert some("S", "P") in found and some("P", "S") in found
    assert all_("M", "P") not in found  # premises excluded
    assert all_("P", "S") not in found
    assert found == sorted(found)
    assert all(s.subject != s.object for s in found)
    assert all(entails(premises, c) for c in found)


def test_minimal_support_drops_irrelevant() -> None:
    premises = [all_("A", "B"), all_("M", "P"), no("X", "Y"), all_("S", "M")]
    support = minimal_support(premises, all_("S", "P"))
    assert support == [all_("M", "P"), all_("S", "M")]
    with pytest.raises(KgsynthError):
        minimal_support(premises, all_("P", "S"))


def test_candidates() -> None:
    assert CANDIDATE_FORMS == (Form.ALL, Form.SOME, Form.NO)
    cands = candidates("A", "B")
    assert len(cands) == 6 and len(set(cands)) == 6
    assert all_("A", "B") in cands and no("B", "A") in cands
    assert all(c.form is not Form.SOME_NOT for c in cands)


# --- brute force over explicit models (independent of the module) -------------

CLASSES = ["A", "B", "C", "D"]
INDIVIDUALS = ["x", "y"]


def not_isa(x: str, c: str) -> Statement:
    return Statement(x, ISA, c, Form.NOT)


def pair_statements(classes: list[str], individuals: list[str]) -> list[Statement]:
    """Every statement over the terms, a class's relation to itself included."""
    out = [Statement(a, ISA, b, f) for a, b in product(classes, repeat=2) for f in FORMS]
    return out + [Statement(x, ISA, c, f) for x, c in product(individuals, classes) for f in INDIVIDUAL_FORMS]


@st.composite
def small_problems(draw, max_premises: int = 4):
    """Premises and a claim over at most 4 terms: 2-4 classes and 0-2 individuals."""
    n_individuals = draw(st.integers(0, 2))
    classes = CLASSES[: draw(st.integers(2, 4 - n_individuals))]
    individuals = INDIVIDUALS[:n_individuals]
    statement = st.sampled_from(pair_statements(classes, individuals))
    return draw(st.lists(statement, max_size=max_premises)), draw(statement), classes + individuals


def test_brute_force_sanity() -> None:
    assert brute_force_entails([all_("M", "P"), all_("S", "M")], some("S", "P"))
    assert not brute_force_entails([all_("P", "M"), all_("S", "M")], all_("S", "P"))
    assert not brute_force_satisfiable([all_("S", "P"), no("S", "P")])
    assert brute_force_entails([isa("x", "W"), not_isa("x", "S")], some_not("W", "S"))
    assert not brute_force_satisfiable([isa("x", "W"), all_("W", "S"), not_isa("x", "S")])
    assert brute_force_satisfiable([isa("x", "W"), not_isa("y", "W")])


def test_exhaustive_two_premise_syllogisms() -> None:
    """Every two-premise syllogism over 3 terms agrees with the brute force."""
    terms = ["M", "P", "S"]
    stmts = [Statement(a, ISA, b, f) for a, b in product(terms, repeat=2) if a != b for f in FORMS]
    conclusions = [Statement("S", ISA, "P", f) for f in FORMS]
    for p1, p2, c in product(stmts, stmts, conclusions):
        assert entails([p1, p2], c) == brute_force_entails([p1, p2], c), (p1, p2, c)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_decisions_match_brute_force(problem) -> None:
    premises, claim, _ = problem
    assert consistent(premises) == brute_force_satisfiable(premises)
    assert entails(premises, claim) == brute_force_entails(premises, claim)
    if consistent(premises):
        assert verdict(premises, claim) == brute_force_verdict(premises, claim)
    else:
        with pytest.raises(InconsistencyError):
            verdict(premises, claim)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems(max_premises=3))
def test_valid_conclusions_match_brute_force(problem) -> None:
    premises, _, terms = problem
    if not consistent(premises):
        return
    individuals = {p.subject for p in premises if p.form in INDIVIDUAL_FORMS}
    expected = [c for c in pair_statements([t for t in terms if t not in individuals], sorted(individuals))
                if c.subject != c.object and c not in premises and brute_force_entails(premises, c)]
    assert valid_conclusions(premises, terms) == sorted(expected)


@settings(max_examples=300, deadline=None)
@given(small_problems())
def test_entailed_claim_negation_is_contradicted(problem) -> None:
    premises, conclusion, _ = problem
    if consistent(premises) and entails(premises, conclusion):
        assert verdict(premises, conclusion.negated()) == "contradicted"
        assert verdict(premises, conclusion) == "entailed"


# --- against the region method up to 16 terms, and the fast path at any size -----


@st.composite
def class_problems(draw, max_terms: int = 16):
    """Premises and a claim over 2..max_terms classes, mostly ALL edges (so that long chains form)."""
    terms = [f"K{i:02}" for i in range(draw(st.integers(2, max_terms)))]
    term = st.sampled_from(terms)
    form = st.sampled_from([Form.ALL] * 5 + [Form.NO, Form.SOME, Form.SOME_NOT])
    premises = draw(st.lists(st.builds(Statement, term, st.just(ISA), term, form), max_size=2 * len(terms)))
    return premises, draw(st.builds(Statement, term, st.just(ISA), term, st.sampled_from(FORMS))), terms


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(class_problems())
def test_decisions_match_region_method(problem) -> None:
    premises, claim, _ = problem
    assert consistent(premises) == region_consistent(premises)
    assert entails(premises, claim) == region_entails(premises, claim)
    if consistent(premises):
        assert verdict(premises, claim) == region_verdict(premises, claim)
        if entails(premises, claim):
            assert minimal_support(premises, claim) == region_minimal_support(premises, claim)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(class_problems(max_terms=9))
def test_valid_conclusions_match_region_method(problem) -> None:
    premises, _, terms = problem
    if consistent(premises):
        assert valid_conclusions(premises, terms) == region_valid_conclusions(premises, terms)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(class_problems(max_terms=40), st.lists(st.sampled_from(["x", "y"]), max_size=4), st.randoms())
def test_valid_conclusions_match_entails_at_any_size(problem, named, rng) -> None:
    """The bitset shortcut of valid_conclusions agrees with one entailment check per candidate."""
    premises, _, terms = problem
    premises = premises + [Statement(x, ISA, rng.choice(terms), rng.choice(INDIVIDUAL_FORMS)) for x in named]
    if not consistent(premises):
        return
    listed = terms + sorted(set(named))
    individuals = sorted(set(named))
    expected = [c for c in pair_statements(terms, individuals)
                if c.subject != c.object and c not in premises and entails(premises, c)]
    assert valid_conclusions(premises, listed) == sorted(expected)


@settings(max_examples=100, deadline=None)
@given(class_problems(max_terms=12))
def test_minimal_support_is_subset_minimal(problem) -> None:
    premises, claim, _ = problem
    if not consistent(premises) or not entails(premises, claim):
        return
    support = minimal_support(premises, claim)
    assert support == [p for p in dict.fromkeys(premises) if p in support]  # in premise order
    assert entails(support, claim)
    assert all(not entails([q for q in support if q != p], claim) for p in support)
