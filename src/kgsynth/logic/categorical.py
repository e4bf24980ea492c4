"""Exact classical categorical logic over classes, with existential import.

The four forms (ALL, SOME, NO, SOME_NOT) are decided by Venn regions. Over n
terms a region is a subset of the terms (a bitmask); a set of regions is a
big int with one bit per region. Universal statements force regions empty;
existential statements (and existential import: every mentioned term is
non-empty) need some region of a set to be inhabited. Constraints are
satisfiable iff every such set keeps a region that is not forced empty: the
model that inhabits every unforced region then satisfies them all.
Entailment P |= c is unsatisfiability of P plus the contradictory of c.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import InconsistencyError, KgsynthError
from .statement import ISA, Form, Statement

MAX_TERMS = 16
def hops(support) -> int:
    """The hop count of a categorical conclusion from its minimal support (one step per premise beyond the first)."""
    return max(1, len(support) - 1)


FORMS = (Form.ALL, Form.SOME, Form.NO, Form.SOME_NOT)  # the four categorical forms
CANDIDATE_FORMS = (Form.ALL, Form.SOME, Form.NO)
_UNIVERSAL = (Form.ALL, Form.NO)


def _check(statement: Statement) -> Statement:
    """Return the statement if it is a categorical ISA statement, else raise."""
    if not isinstance(statement, Statement):
        raise KgsynthError(f"not a statement: {statement!r}")
    if statement.relation != ISA or not statement.form.is_categorical:
        raise KgsynthError(
            f"not a categorical '{ISA}' statement: {statement} "
            "(need relation 'isa' and form all/some/no/some_not)"
        )
    return statement


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
    """Region sets for a fixed list of terms."""

    index: dict[str, int]
    sets: tuple[int, ...]

    @classmethod
    def over(cls, statements: Iterable[Statement], extra: Iterable[str] = ()) -> _Space:
        """Build the region space for the terms of the statements and extra terms."""
        terms = sorted({t for s in statements for t in (s.subject, s.object)} | set(extra))
        if len(terms) > MAX_TERMS:
            raise KgsynthError(
                f"categorical reasoning supports at most {MAX_TERMS} terms, got {len(terms)}"
            )
        return cls({t: i for i, t in enumerate(terms)}, tuple(_term_sets(len(terms))))

    def regions(self, s: Statement) -> int:
        """Regions the statement forces empty (universal) or needs inhabited."""
        a, b = self.sets[self.index[s.subject]], self.sets[self.index[s.object]]
        return a & b if s.form in (Form.SOME, Form.NO) else a & ~b

    def forced(self, statements: Iterable[Statement]) -> int:
        """Union of regions forced empty by the universal statements."""
        out = 0
        for s in statements:
            if s.form in _UNIVERSAL:
                out |= self.regions(s)
        return out

    def satisfiable(self, statements: Sequence[Statement], forced: int | None = None) -> bool:
        """True iff every existential requirement keeps an unforced region."""
        empty = self.forced(statements) if forced is None else forced
        needs = [self.regions(s) for s in statements if s.form not in _UNIVERSAL]
        needs.extend(self.sets[self.index[t]] for s in statements for t in (s.subject, s.object))
        return all(need & ~empty for need in needs)


def _prepare(statements: Iterable[Statement]) -> tuple[Statement, ...]:
    return tuple(_check(s) for s in statements)


def consistent(premises: Iterable[Statement]) -> bool:
    """True iff the premises have a model (every mentioned term non-empty)."""
    ps = _prepare(premises)
    return _Space.over(ps).satisfiable(ps)


def entails(premises: Iterable[Statement], conclusion: Statement) -> bool:
    """True iff every model of the premises satisfies the conclusion."""
    ps = _prepare(premises) + (_check(conclusion).negated(),)
    return not _Space.over(ps).satisfiable(ps)


def _require_consistent(premises: tuple[Statement, ...]) -> None:
    if not consistent(premises):
        listed = "; ".join(str(p) for p in premises)
        raise InconsistencyError(f"categorical premises are inconsistent: {listed}")


def verdict(premises: Iterable[Statement], claim: Statement) -> str:
    """'entailed', 'contradicted' or 'unknown'; raise if the premises are inconsistent."""
    ps = _prepare(premises)
    _check(claim)
    _require_consistent(ps)
    if entails(ps, claim):
        return "entailed"
    if entails(ps, claim.negated()):
        return "contradicted"
    return "unknown"


def valid_conclusions(premises: Iterable[Statement], terms: Sequence[str]) -> list[Statement]:
    """Every non-premise categorical statement over two distinct terms that is entailed.

    Raises InconsistencyError for inconsistent premises (they would entail everything).
    """
    ps = _prepare(premises)
    _require_consistent(ps)
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
                extra = space.forced((neg,))
                if claim not in given and not space.satisfiable(ps + (neg,), forced | extra):
                    out.append(claim)
    return sorted(out)


def minimal_support(premises: Iterable[Statement], conclusion: Statement) -> list[Statement]:
    """A subset-minimal list of the premises (in order) that still entails the conclusion."""
    support = list(dict.fromkeys(_prepare(premises)))
    if not entails(support, conclusion):
        raise KgsynthError(f"premises do not entail {conclusion}")
    for p in list(support):
        rest = [q for q in support if q != p]
        if entails(rest, conclusion):
            support = rest
    return support


def candidates(a: str, b: str) -> list[Statement]:
    """The 6 test candidates between two terms: ALL/SOME/NO in both directions."""
    return [Statement(x, ISA, y, f) for x, y in ((a, b), (b, a)) for f in CANDIDATE_FORMS]
