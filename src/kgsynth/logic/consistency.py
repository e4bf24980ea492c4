"""Consistency: cycles before the closure, conflicts after it, each named precisely."""

from __future__ import annotations

import networkx as nx

from ..errors import InconsistencyError
from .closure import ALL, FACT, NO, Closure, to_statement
from .statement import ISA, Statement
from .world import World

MAX_SHOWN = 6


def check_cycles(world: World) -> None:
    """Cycles in strict orders, found in the asserted statements. (A cycle of subclass
    inclusions is no error: its classes are equivalent, as with owl:equivalentClass.)"""
    orders: dict[str, list[tuple[str, str, Statement]]] = {}
    props = world.schema.properties
    for s in world.asserted:
        if s.form.value == FACT and s.relation in props:
            add_order_edge(orders, props, s)
    for prop, edges in sorted(orders.items()):
        report_cycle(edges, f"cycle in the strict order {prop}")


def add_order_edge(orders: dict[str, list], props, s: Statement) -> None:
    prop = props[s.relation]
    if prop.strict_order:
        orders.setdefault(prop.id, []).append((s.subject, s.object, s))
    inverse = props.get(prop.inverse) if prop.inverse else None
    if inverse is not None and inverse.strict_order:
        orders.setdefault(inverse.id, []).append((s.object, s.subject, s))


def report_cycle(edges: list[tuple[str, str, Statement]], what: str) -> None:
    """Peel off sources (Kahn) in plain Python; only a graph with a cycle goes to networkx."""
    remaining = cyclic_part(edges)
    if not remaining:
        return
    graph = nx.DiGraph()
    for u, v, statement in remaining:
        graph.add_edge(u, v, statement=statement)
    cycle = nx.find_cycle(graph)
    statements = sorted({str(graph.edges[u, v]["statement"]) for u, v in cycle})
    raise InconsistencyError(f"{what}: {'; '.join(statements)}")


def cyclic_part(edges: list[tuple[str, str, Statement]]) -> list[tuple[str, str, Statement]]:
    """The edges left after repeatedly removing nodes with no incoming edge: empty iff acyclic."""
    indegree: dict[str, int] = {}
    successors: dict[str, list[str]] = {}
    for u, v, _ in edges:
        indegree[v] = indegree.get(v, 0) + 1
        indegree.setdefault(u, 0)
        successors.setdefault(u, []).append(v)
    ready = [node for node, n in indegree.items() if n == 0]
    while ready:
        node = ready.pop()
        for nxt in successors.get(node, ()):
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    return [(u, v, s) for u, v, s in edges if indegree[u] > 0 and indegree[v] > 0]


def check_conflicts(closure: Closure) -> dict[str, str]:
    """Irreflexive and asymmetric violations, members of disjoint classes, and the OWL 2 RL
    contradictions under unique names (see owl_conflicts). Returns the unsatisfiable classes
    (those under two disjoint classes), each with why: reported, not fatal, while empty."""
    props = closure.world.schema.properties
    facts = closure.facts
    unsatisfiable: dict[str, str] = {}
    for (s, r, o, f) in facts:
        if f == FACT and r in props:
            prop = props[r]
            if s == o and (prop.irreflexive or prop.asymmetric):
                conflict(closure, f"{r} is irreflexive, yet", (s, r, o, f))
            if prop.asymmetric and (o, r, s, f) in facts:
                conflict(closure, f"{r} is asymmetric, yet", (s, r, o, f), (o, r, s, f))
        elif f == NO and r == ISA:
            check_disjoint(closure, s, o, unsatisfiable)
    check_owl_conflicts(closure)
    return dict(sorted(unsatisfiable.items()))


def check_disjoint(closure: Closure, left: str, right: str, unsatisfiable: dict[str, str]) -> None:
    disjoint = (left, ISA, right, NO)
    both = closure.members[left].keys() & closure.members[right].keys()
    if both:
        a = min(both)
        conflict(closure, "an individual is in two disjoint classes:", (a, ISA, left, FACT), (a, ISA, right, FACT), disjoint)
    for c in (closure.subs[left].keys() | {left}) & (closure.subs[right].keys() | {right}):
        if c not in unsatisfiable:
            keys = [(c, ISA, x, ALL) for x in (left, right) if x != c] + [disjoint]
            unsatisfiable[c] = "; ".join(str(to_statement(k)) for k in keys)


def check_owl_conflicts(closure: Closure) -> None:
    """prp-fp, prp-ifp, cls-maxc1/2 and prp-pdw: two distinct values are two things (unique names)."""
    schema = closure.world.schema
    props = schema.properties
    for (p, a), values in list(closure.out.items()):
        if len(values) > 1 and props[p].functional:
            b, c = sorted(values)[:2]
            conflict(closure, f"{p} is functional (prp-fp), yet", (a, p, b, FACT), (a, p, c, FACT))
    for (p, b), values in list(closure.inn.items()):
        if len(values) > 1 and props[p].inverse_functional:
            a, c = sorted(values)[:2]
            conflict(closure, f"{p} is inverse-functional (prp-ifp), yet", (a, p, b, FACT), (c, p, b, FACT))
    for c, p, n in schema.max_cardinality:
        for a in sorted(closure.members.get(c, ())):
            values = sorted(closure.out.get((p, a), ()))
            if len(values) > n:
                keys = [(a, p, v, FACT) for v in values[:n + 1]]
                conflict(closure, f"every {c} has at most {n} {p} (cls-maxc{n + 1}), yet", (a, ISA, c, FACT), *keys)
    partners: dict[str, list[str]] = {}
    for p, q in schema.disjoint_properties:
        partners.setdefault(p, []).append(q)
    for (p, a), values in list(closure.out.items()):
        for q in partners.get(p, ()):
            shared = sorted(values.keys() & closure.out.get((q, a), {}).keys())
            if shared:
                conflict(closure, f"{p} and {q} are disjoint (prp-pdw), yet", (a, p, shared[0], FACT),
                         (a, q, shared[0], FACT))


def conflict(closure: Closure, why: str, *keys) -> None:
    shown = "; ".join(str(to_statement(k)) for k in keys)
    support: set[Statement] = set()
    for key in keys:
        support |= closure.support(to_statement(key))
    listed = sorted(str(s) for s in support)
    more = f" (+{len(listed) - MAX_SHOWN} more)" if len(listed) > MAX_SHOWN else ""
    raise InconsistencyError(f"contradictory facts: {why} {shown} — from: {'; '.join(listed[:MAX_SHOWN])}{more}")
