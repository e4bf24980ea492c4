"""Two oracles for logic/categorical.py, for its tests and bench/categorical.py.

The region method kgsynth used before the polynomial decision (region_*, classes
only). Over n terms a Venn region is a subset of the terms (a bitmask); a set of
regions is a big int with one bit per region (2**n bits, so n <= MAX_TERMS).
Universal statements force regions empty; existential statements (and existential
import: every mentioned term is non-empty) need some region of a set inhabited.
Constraints are satisfiable iff every such set keeps a region that is not forced empty.

Brute-force search over explicit models (brute_force_*, individuals included).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations, product

from kgsynth.logic.statement import ISA, Form, Statement

MAX_TERMS = 16
FORMS = (Form.ALL, Form.SOME, Form.NO, Form.SOME_NOT)
_UNIVERSAL = (Form.ALL, Form.NO)


def _term_sets(n: int) -> list[int]:
    """For each term index t, the set of regions (bits) whose mask contains t."""
    size = 1 << n
    sets = []
    for t in range(n):
        half = 1 << t
        block = ((1 << half) - 1) << half  # half zeros then half ones
        repeat = ((1 << size) - 1) // ((1 << (2 * half)) - 1)
        sets.append(block * repeat)
    return sets


@dataclass(frozen=True)
class _Space:
    index: dict[str, int]
    sets: tuple[int, ...]

    @classmethod
    def over(cls, statements: Iterable[Statement], extra: Iterable[str] = ()) -> _Space:
        terms = sorted({t for s in statements for t in (s.subject, s.object)} | set(extra))
        assert len(terms) <= MAX_TERMS, f"the region method handles at most {MAX_TERMS} terms"
        return cls({t: i for i, t in enumerate(terms)}, tuple(_term_sets(len(terms))))

    def regions(self, s: Statement) -> int:
        a, b = self.sets[self.index[s.subject]], self.sets[self.index[s.object]]
        return a & b if s.form in (Form.SOME, Form.NO) else a & ~b

    def forced(self, statements: Iterable[Statement]) -> int:
        out = 0
        for s in statements:
            if s.form in _UNIVERSAL:
                out |= self.regions(s)
        return out

    def satisfiable(self, statements: Sequence[Statement], forced: int | None = None) -> bool:
        empty = self.forced(statements) if forced is None else forced
        needs = [self.regions(s) for s in statements if s.form not in _UNIVERSAL]
        needs.extend(self.sets[self.index[t]] for s in statements for t in (s.subject, s.object))
        return all(need & ~empty for need in needs)


def region_consistent(premises: Sequence[Statement]) -> bool:
    ps = tuple(premises)
    return _Space.over(ps).satisfiable(ps)


def region_entails(premises: Sequence[Statement], conclusion: Statement) -> bool:
    ps = (*premises, conclusion.negated())
    return not _Space.over(ps).satisfiable(ps)


def region_verdict(premises: Sequence[Statement], claim: Statement) -> str:
    assert region_consistent(premises)
    if region_entails(premises, claim):
        return "entailed"
    return "contradicted" if region_entails(premises, claim.negated()) else "unknown"


def region_valid_conclusions(premises: Sequence[Statement], terms: Sequence[str]) -> list[Statement]:
    ps = tuple(premises)
    assert region_consistent(ps)
    space = _Space.over(ps, terms)
    forced = space.forced(ps)
    given = set(ps)
    out = []
    for a in dict.fromkeys(terms):
        for b in dict.fromkeys(terms):
            if a == b:
                continue
            for form in FORMS:
                claim = Statement(a, ISA, b, form)
                neg = claim.negated()
                if claim not in given and not space.satisfiable(ps + (neg,), forced | space.forced((neg,))):
                    out.append(claim)
    return sorted(out)


def region_minimal_support(premises: Sequence[Statement], conclusion: Statement) -> list[Statement]:
    support = list(dict.fromkeys(premises))
    assert region_entails(support, conclusion)
    for p in list(support):
        rest = [q for q in support if q != p]
        if region_entails(rest, conclusion):
            support = rest
    return support


# --- brute force over explicit models ---------------------------------------------

EXISTENTIAL = (Form.SOME, Form.SOME_NOT)


def _holds(s: Statement, ext: dict[str, set[int]], where: dict[str, int]) -> bool:
    """Set-theoretic truth of one statement; ext maps each class to the points in it."""
    if s.form in (Form.FACT, Form.NOT):
        return (where[s.subject] in ext[s.object]) == (s.form is Form.FACT)
    a, b = ext[s.subject], ext[s.object]
    return {Form.ALL: a <= b, Form.NO: not a & b, Form.SOME: bool(a & b), Form.SOME_NOT: bool(a - b)}[s.form]


def brute_force_satisfiable(statements: list[Statement]) -> bool:
    """Search every model: a domain of points, each in a subset of the classes, individuals named points.

    One witness point per existential requirement (a class is non-empty, or a some / some
    ... not statement) plus one point per individual suffice: removing every other point
    keeps a model a model. Two points in the same classes change no truth value, so the
    anonymous points are a set of distinct types. A point whose type alone breaks an
    all / no statement breaks every model it is in, so such types are skipped.
    """
    individuals = sorted({s.subject for s in statements if s.form in (Form.FACT, Form.NOT)})
    classes = sorted({s.object for s in statements} | {s.subject for s in statements if s.subject not in individuals})
    requirements = len(classes) + sum(s.form in EXISTENTIAL for s in statements)
    universal = [s for s in statements if s.form in (Form.ALL, Form.NO)]
    types = [frozenset(c for i, c in enumerate(classes) if m >> i & 1) for m in range(1 << len(classes))]
    types = [t for t in types if all(_holds(s, {c: {0} if c in t else set() for c in classes}, {}) for s in universal)]
    where = {x: i for i, x in enumerate(individuals)}
    for named in product(types, repeat=len(individuals)):
        for size in range(min(requirements, len(types)) + 1):
            for anonymous in combinations(types, size):
                points = [*named, *anonymous]
                ext = {c: {i for i, p in enumerate(points) if c in p} for c in classes}
                if all(ext[c] for c in classes) and all(_holds(s, ext, where) for s in statements):
                    return True
    return False


def brute_force_entails(premises: list[Statement], conclusion: Statement) -> bool:
    return not brute_force_satisfiable([*premises, conclusion.negated()])


def brute_force_verdict(premises: list[Statement], claim: Statement) -> str:
    if brute_force_entails(premises, claim):
        return "entailed"
    return "contradicted" if brute_force_entails(premises, claim.negated()) else "unknown"
