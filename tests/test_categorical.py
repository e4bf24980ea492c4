"""Tests for kgsynth.logic.categorical: classical syllogistic with existential import."""

from __future__ import annotations

from itertools import product

import pytest
from helpers import all_, no, some, some_not
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgsynth.errors import InconsistencyError, KgsynthError
from kgsynth.logic.categorical import (
    CANDIDATE_FORMS,
    candidates,
    consistent,
    entails,
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
    with pytest.raises(KgsynthError, match="rex isa Dog"):
        consistent([Statement("rex", ISA, "Dog")])
    with pytest.raises(KgsynthError, match="all Dog has Fur"):
        entails([], Statement("Dog", "has", "Fur", Form.ALL))


def test_too_many_terms() -> None:
    chain = [all_(f"T{i}", f"T{i + 1}") for i in range(16)]  # 17 terms
    with pytest.raises(KgsynthError, match="at most 16 terms"):
        consistent(chain)
    assert entails(chain[:11], all_("T0", "T11"))  # 12 terms is fine


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


# --- brute force over every model (independent of the module) ---------------


def brute_force_satisfiable(statements: list[Statement], terms: list[str]) -> bool:
    """Enumerate every model: each subset of the non-empty Venn regions is inhabited.

    Region r (1 .. 2**n - 1) is the set of terms whose index bit is set in r;
    model m has bit r-1 set iff region r is inhabited. Every mentioned term
    must be non-empty (existential import).
    """
    n = len(terms)
    regions = range(1, 1 << n)
    pos = {t: i for i, t in enumerate(terms)}

    def in_(r: int, t: str) -> bool:
        return bool(r >> pos[t] & 1)

    def mask(pred) -> int:
        return sum(1 << (r - 1) for r in regions if pred(r))

    must_empty, must_hit = 0, []
    for s in statements:
        a, b = s.subject, s.object
        if s.form is Form.ALL:
            must_empty |= mask(lambda r, a=a, b=b: in_(r, a) and not in_(r, b))
        elif s.form is Form.NO:
            must_empty |= mask(lambda r, a=a, b=b: in_(r, a) and in_(r, b))
        elif s.form is Form.SOME:
            must_hit.append(mask(lambda r, a=a, b=b: in_(r, a) and in_(r, b)))
        else:
            must_hit.append(mask(lambda r, a=a, b=b: in_(r, a) and not in_(r, b)))
        for t in (a, b):
            must_hit.append(mask(lambda r, t=t: in_(r, t)))
    for model in range(1 << len(regions)):
        if model & must_empty == 0 and all(model & h for h in must_hit):
            return True
    return False


def brute_force_entails(premises: list[Statement], conclusion: Statement, terms) -> bool:
    return not brute_force_satisfiable([*premises, conclusion.negated()], terms)


FORMS = [Form.ALL, Form.SOME, Form.NO, Form.SOME_NOT]


@st.composite
def problems(draw, sizes=(3, 4)):
    n = draw(st.sampled_from(sizes))
    terms = ["A", "B", "C", "D"][:n]
    stmt = st.builds(
        Statement,
        st.sampled_from(terms),
        st.just(ISA),
        st.sampled_from(terms),
        st.sampled_from(FORMS),
    )
    premises = draw(st.lists(stmt, min_size=1, max_size=4))
    return premises, draw(stmt), terms


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(sizes=(3,)))
def test_entails_matches_brute_force_3_terms(problem) -> None:
    premises, conclusion, terms = problem
    assert entails(premises, conclusion) == brute_force_entails(premises, conclusion, terms)
    assert consistent(premises) == brute_force_satisfiable(premises, terms)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(sizes=(4,)))
def test_entails_matches_brute_force_4_terms(problem) -> None:
    premises, conclusion, terms = problem
    assert entails(premises, conclusion) == brute_force_entails(premises, conclusion, terms)


def test_brute_force_sanity() -> None:
    terms = ["M", "P", "S"]
    assert brute_force_entails([all_("M", "P"), all_("S", "M")], some("S", "P"), terms)
    assert not brute_force_entails([all_("P", "M"), all_("S", "M")], all_("S", "P"), terms)
    assert not brute_force_satisfiable([all_("S", "P"), no("S", "P")], terms)


def test_exhaustive_two_premise_syllogisms() -> None:
    """Every two-premise syllogism over 3 terms agrees with the brute force."""
    terms = ["M", "P", "S"]
    pairs = [(a, b) for a, b in product(terms, repeat=2) if a != b]
    stmts = [Statement(a, ISA, b, f) for (a, b), f in product(pairs, FORMS)]
    conclusions = [Statement(a, ISA, b, f) for (a, b), f in product([("S", "P")], FORMS)]
    for p1, p2, c in product(stmts, stmts, conclusions):
        assert entails([p1, p2], c) == brute_force_entails([p1, p2], c, terms), (p1, p2, c)


@settings(max_examples=300, deadline=None)
@given(problems())
def test_entailed_claim_negation_is_contradicted(problem) -> None:
    premises, conclusion, _ = problem
    if consistent(premises) and entails(premises, conclusion):
        assert verdict(premises, conclusion.negated()) == "contradicted"
        assert verdict(premises, conclusion) == "entailed"
