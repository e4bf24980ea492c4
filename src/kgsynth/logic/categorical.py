"""Exact classical categorical logic over classes and named individuals, with existential import.

The forms ALL, SOME, NO, SOME_NOT relate two classes; FACT and NOT say that a named
individual is or is not in a class ("max isa Wumpus", "not max isa Sour"). Every class
mentioned is non-empty (existential import). A term is an individual iff it is the
subject of a FACT/NOT statement; it may never also be used as a class.

The decision is polynomial. Universal statements constrain every point of a model
alone: ALL a b is the implication a -> b, NO a b the clause not-a or not-b. Each
existential requirement (a class is non-empty; SOME a b needs a point in a and b;
SOME_NOT a b a point in a and not b; an individual is a point with its asserted
classes and without its negated ones) needs one witness point, and points do not
interact. These are Horn constraints, so a requirement has a witness iff its least
closure under the implications (reachability over ALL edges, as bitsets) contains no
NO pair and none of its excluded classes. The premises are satisfiable iff every
requirement has a witness: the model made of the least witnesses satisfies them all.
Entailment P |= c is unsatisfiability of P plus the contradictory of c.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property

from ..errors import InconsistencyError, KgsynthError
from .statement import ISA, Form, Statement


def hops(support) -> int:
    """The hop count of a categorical conclusion from its minimal support (one step per premise beyond the first)."""
    return max(1, len(support) - 1)


FORMS = (Form.ALL, Form.SOME, Form.NO, Form.SOME_NOT)  # the four categorical forms
CANDIDATE_FORMS = (Form.ALL, Form.SOME, Form.NO)
INDIVIDUAL_FORMS = (Form.FACT, Form.NOT)  # "max isa Wumpus", "not max isa Sour"


def _check(statement: Statement) -> Statement:
    """Return the statement if it is a categorical or individual ISA statement, else raise."""
    if not isinstance(statement, Statement):
        raise KgsynthError(f"not a statement: {statement!r}")
    if statement.relation != ISA:
        raise KgsynthError(
            f"not a categorical '{ISA}' statement: {statement} "
            "(need relation 'isa' and form all/some/no/some_not, or fact/not about an individual)"
        )
    return statement


def _prepare(statements: Iterable[Statement]) -> tuple[Statement, ...]:
    return tuple(_check(s) for s in statements)


def _roles(statements: Sequence[Statement]) -> tuple[set[str], set[str]]:
    """(classes, individuals) of the statements; raise if a term is used as both."""
    individuals = {s.subject for s in statements if s.form in INDIVIDUAL_FORMS}
    classes = {s.object for s in statements} | {s.subject for s in statements if s.form.is_categorical}
    for term in sorted(individuals & classes):
        named = next(s for s in statements if s.form in INDIVIDUAL_FORMS and s.subject == term)
        used = next(s for s in statements if s.object == term or (s.form.is_categorical and s.subject == term))
        raise KgsynthError(f"'{term}' is an individual (in '{named}') and cannot also be a class (in '{used}')")
    return classes, individuals


def _bits(mask: int) -> Iterator[int]:
    """The indices of the set bits of mask, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _components(succ: Sequence[int]) -> list[list[int]]:
    """Strongly connected components of a graph given as successor bitsets, sinks first (Tarjan, iterative)."""
    n = len(succ)
    order, low, on_stack = [-1] * n, [0] * n, [False] * n
    stack: list[int] = []
    out: list[list[int]] = []
    count = 0
    for root in range(n):
        if order[root] >= 0:
            continue
        order[root] = low[root] = count
        count += 1
        stack.append(root)
        on_stack[root] = True
        work = [(root, _bits(succ[root]))]
        while work:
            v, children = work[-1]
            for w in children:
                if order[w] < 0:
                    order[w] = low[w] = count
                    count += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, _bits(succ[w])))
                    break
                if on_stack[w]:
                    low[v] = min(low[v], order[w])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[v])
                if low[v] == order[v]:
                    out.append(_pop_component(stack, on_stack, v))
    return out


def _pop_component(stack: list[int], on_stack: list[bool], root: int) -> list[int]:
    component = []
    while True:
        w = stack.pop()
        on_stack[w] = False
        component.append(w)
        if w == root:
            return component


def _propagate(components: list[list[int]], succ: Sequence[int], own: Sequence[int]) -> list[int]:
    """For each node, the union of own[] over every node it reaches, itself included."""
    out = [0] * len(succ)
    for component in components:  # sinks first: every successor outside the component is done
        mask = 0
        for v in component:
            mask |= own[v]
            for w in _bits(succ[v]):
                mask |= out[w]
        for v in component:
            out[v] = mask
    return out


def _union(sets: Sequence[int], mask: int) -> int:
    """The union of sets[i] over the set bits i of mask."""
    out = 0
    for i in _bits(mask):
        out |= sets[i]
    return out


class _Theory:
    """Statements compiled: for each class the classes it implies (reach) and those they exclude (blocked),
    and for each existential requirement its least witness (classes, classes it must avoid)."""

    def __init__(self, statements: Sequence[Statement], extra_classes: Iterable[str] = ()) -> None:
        classes, individuals = _roles(statements)
        names = sorted(classes | (set(extra_classes) - individuals))
        self.names = names
        self.index = {t: i for i, t in enumerate(names)}
        succ, nogood = [0] * len(names), [0] * len(names)
        wanted = [(1 << self.index[t], 0) for t in sorted(classes)]  # existential import
        points = {x: [0, 0] for x in sorted(individuals)}  # asserted, negated classes
        for s in statements:
            b = 1 << self.index[s.object]
            if s.form in INDIVIDUAL_FORMS:
                points[s.subject][s.form is Form.NOT] |= b
                continue
            i = self.index[s.subject]
            if s.form is Form.ALL:
                succ[i] |= b
            elif s.form is Form.NO:
                nogood[i] |= b
                nogood[self.index[s.object]] |= 1 << i
            else:
                wanted.append((1 << i | b, 0) if s.form is Form.SOME else (1 << i, b))
        components = _components(succ)
        self.reach = _propagate(components, succ, [1 << i for i in range(len(names))])
        self.blocked = _propagate(components, succ, nogood)
        self.points = {x: self.witness(pos, neg) for x, (pos, neg) in points.items()}
        self.needs = [self.witness(pos, neg) for pos, neg in wanted] + list(self.points.values())

    def witness(self, classes: int, excluded: int) -> tuple[int, int]:
        """The least point in every class of the mask: (its classes, the classes it must avoid)."""
        if classes and classes & (classes - 1) == 0:  # one class, as for every existential import
            i = classes.bit_length() - 1
            return self.reach[i], excluded | self.blocked[i]
        return _union(self.reach, classes), excluded | _union(self.blocked, classes)

    def satisfiable(self) -> bool:
        return not any(has & avoid for has, avoid in self.needs)

    @cached_property
    def implied_by(self) -> list[int]:
        """For each class v, the classes whose members are all in v."""
        out = [0] * len(self.names)
        for u, reached in enumerate(self.reach):
            for v in _bits(reached):
                out[v] |= 1 << u
        return out


def consistent(premises: Iterable[Statement]) -> bool:
    """True iff the premises have a model (every mentioned class non-empty)."""
    return _Theory(_prepare(premises)).satisfiable()


def entails(premises: Iterable[Statement], conclusion: Statement) -> bool:
    """True iff every model of the premises satisfies the conclusion."""
    return not _Theory(_prepare(premises) + (_check(conclusion).negated(),)).satisfiable()


def _require_consistent(premises: tuple[Statement, ...]) -> None:
    if not consistent(premises):
        _inconsistent(premises)


def _inconsistent(premises: tuple[Statement, ...]) -> None:
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
    """Every non-premise statement over two distinct terms that is entailed: the four categorical
    forms between classes, FACT/NOT from an individual of the premises to a class.

    Raises InconsistencyError for inconsistent premises (they would entail everything).
    """
    ps = _prepare(premises)
    _, individuals = _roles(ps)
    listed = list(dict.fromkeys(terms))
    classes = [t for t in listed if t not in individuals]
    named = [t for t in listed if t in individuals]
    theory = _Theory(ps, classes)  # the extra classes import no existence: satisfiable iff the premises are
    if not theory.satisfiable():
        _inconsistent(ps)
    found = _class_conclusions(theory, classes) + _individual_conclusions(theory, named, classes)
    given = set(ps)
    return sorted(c for c in found if c not in given)


def _class_conclusions(theory: _Theory, classes: list[str]) -> list[Statement]:
    """Entailed categorical statements between the classes, each form decided by bitsets (P is consistent).

    ALL a b: b is implied by a. NO a b: a point of a and b would meet an exclusion.
    SOME a b: some witness (the one of a's import included) has both. SOME_NOT a b: adding
    a -> b spoils some witness that has a, i.e. b implies a class that witness must avoid.
    """
    index, reach, blocked, names = theory.index, theory.reach, theory.blocked, theory.names
    implied_by = theory.implied_by
    together, spoiled = [0] * len(names), [0] * len(names)
    witnesses = set(theory.needs) | {(reach[index[t]], blocked[index[t]]) for t in classes}
    for has, avoid in witnesses:
        spoilers = _union(implied_by, avoid)
        for a in _bits(has):
            together[a] |= has
            spoiled[a] |= spoilers
    wanted = sum(1 << index[t] for t in classes)
    out = []
    for a in classes:
        i = index[a]
        masks = {Form.ALL: reach[i], Form.SOME: together[i], Form.NO: _union(implied_by, blocked[i]), Form.SOME_NOT: spoiled[i]}
        for form, mask in masks.items():
            out.extend(Statement(a, ISA, names[j], form) for j in _bits(mask & wanted & ~(1 << i)))
    return out


def _individual_conclusions(theory: _Theory, individuals: list[str], classes: list[str]) -> list[Statement]:
    """FACT x C iff C is in x's least witness; NOT x C iff C implies a class x must avoid."""
    wanted = sum(1 << theory.index[t] for t in classes)
    implied_by = theory.implied_by
    out = []
    for x in individuals:
        has, avoid = theory.points[x]
        out.extend(Statement(x, ISA, theory.names[j], Form.FACT) for j in _bits(has & wanted))
        out.extend(Statement(x, ISA, theory.names[j], Form.NOT) for j in _bits(_union(implied_by, avoid) & wanted))
    return out


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
