"""The OWL 2 RL rules over class expressions and property axioms (W3C OWL 2 Profiles, 4.3).

Each conclusion's Derivation.rule is the name of the OWL 2 RL rule that draws it:
  scm-eqc1, scm-int, scm-uni   class inclusions read from equivalences, intersections and unions
                               (no premises: they are the ontology's own; cls-int2 and cls-uni
                               then follow by type-inheritance, OWL 2 RL's cax-sco)
  scm-hv     C ⊑ ∃p.{v} ⊑ D → C ⊑ D
  scm-svf1   T ⊑ ∃p.D2 (kgsynth's "every T has p some D2"), D2 ⊑ D, ∃p.D ⊑ C → T ⊑ C
  cls-int1   a in every member of an intersection → a in the class it defines (a member ∃p.D
             holds by an edge p(a, b) with b in D, or by a class of a that has p some D)
  cls-hv1    a in C, C ⊑ ∃p.{v} → p(a, v)
  cls-hv2    p(a, v), ∃p.{v} ⊑ C → a in C
  cls-svf1   p(a, b), b in D, ∃p.D ⊑ C → a in C
  cls-avf    a in C, C ⊑ ∀p.D, p(a, b) → b in D
  prp-eqp    prp-eqp1/2: p ≡ q, p(a, b) → q(a, b), and back
Contradictions (prp-fp, prp-ifp, cls-maxc1/2, prp-pdw under unique names) are found by
`consistency`, after the closure.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from .statement import ISA, Form, Statement

if TYPE_CHECKING:
    from .closure import Closure, Derivation, Key

FACT, ALL = Form.FACT.value, Form.ALL.value


def grouped(pairs) -> dict:
    found: defaultdict = defaultdict(list)
    for key, value in pairs:
        found[key].append(value)
    return dict(found)


def property_closure(properties) -> dict[str, tuple[str, ...]]:
    """Each property with every property above it (itself first)."""
    direct = {p.id: [*p.supers, *p.equivalents] for p in properties}
    found = {}
    for start in direct:
        reached, stack = [start], list(direct[start])
        while stack:
            q = stack.pop()
            if q not in reached:
                reached.append(q)
                stack.extend(direct.get(q, ()))
        found[start] = tuple(reached)
    return found


class OwlRules:
    """Indexes of the schema's OWL 2 RL structures, joined with the closure's facts as they come."""

    def __init__(self, closure: Closure):
        self.closure = closure
        self.schema = schema = closure.world.schema
        self.inclusions = schema.inclusions
        conditions = [(c, members, m) for c, members in schema.intersections for m in members]
        self.int_by_class = grouped((m[1], (c, members)) for c, members, m in conditions if m[2] == "class")
        self.int_by_prop = grouped((m[0], (c, members)) for c, members, m in conditions if m[2] != "class")
        self.int_by_filler = grouped((m[1], (m[0], c, members)) for c, members, m in conditions if m[2] == "some")
        self.has_values = grouped((c, (p, v)) for c, p, v in schema.has_values)
        self.value_classes = grouped(((p, v), c) for c, p, v in schema.value_classes)
        self.svf_by_prop = grouped((p, (d, c)) for c, p, d in schema.some_values_classes)
        self.svf_by_filler = grouped((d, (p, c)) for c, p, d in schema.some_values_classes)
        self.avf_by_class = grouped((c, (p, d)) for c, p, d in schema.all_values)
        self.avf_by_prop = grouped((p, (c, d)) for c, p, d in schema.all_values)
        self.equivalents = {p.id: tuple(p.equivalents) for p in schema.properties.values() if p.equivalents}
        # class level, p ⊑ q makes ∃p.D ⊑ ∃q.D (scm-svf2, scm-hv): each property with everything above
        # it (rdfs:subPropertyOf, owl:equivalentProperty) and below it, itself included
        self.up = property_closure(schema.properties.values())
        self.down = grouped((q, p) for p, ups in self.up.items() for q in ups)
        # the closure calls in only when there is something to do (most ontologies: nothing)
        self.active = bool(schema.intersections or schema.has_values or schema.value_classes or self.svf_by_prop
                           or schema.all_values or self.equivalents)

    def start(self) -> None:
        for statement, rule in self.inclusions:
            self.closure.add((statement.subject, ISA, statement.object, statement.form.value), rule, ())
        for c, p, v in self.schema.has_values:  # scm-hv: C ⊑ ∃p.{v} ⊑ ∃q.{v} ⊑ D
            for q in self.up.get(p, (p,)):
                for d in self.value_classes.get((q, v), ()):
                    if c != d:
                        self.closure.add((c, ISA, d, ALL), "scm-hv", ())

    def on_all(self, key: Key) -> None:
        """Class level, as OWL 2 RL's scm-svf1 and cls-int1 see restrictions: every T has p some
        D2 (kgsynth's T ⊑ ∃p.D2), D2 ⊑ D, ∃p.D ⊑ C → T ⊑ C; members of T meet a ∃p.D member of
        an intersection. `key` is T p D2 (all) or D2 ⊑ D."""
        s, r, o, _ = key
        closure = self.closure
        if r != ISA:
            for q in self.up.get(r, (r,)):
                for d, target in self.svf_by_prop.get(q, ()):
                    self.some_values_class(s, r, o, d, target)
                for target, members in self.int_by_prop.get(q, ()):
                    for a in list(closure.members.get(s, ())):
                        self.intersect(a, target, members)
            return
        for p, target in self.svf_by_filler.get(o, ()):
            for t, q in self.having(p, s):
                self.some_values_class(t, q, s, o, target)
        for p, target, members in self.int_by_filler.get(o, ()):
            for t, _ in self.having(p, s):
                for a in list(closure.members.get(t, ())):
                    self.intersect(a, target, members)

    def having(self, p: str, d: str) -> list[tuple[str, str]]:
        """(T, q): every T has q some D, q ⊑ p."""
        props = self.down.get(p, [p])
        return [(t, q) for t, found in self.closure.class_props.items() for q in props if (q, d) in found]

    def some_values_class(self, t: str, p: str, d2: str, d: str, target: str) -> None:
        """scm-svf1 with cls-svf1's definition: T ⊑ ∃p.D2, D2 ⊑ D (or D2 = D), ∃p.D ⊑ C → T ⊑ C."""
        if t == target:
            return
        premises: tuple[Key, ...] = ((t, p, d2, ALL),)
        if d2 != d:
            if d not in self.closure.supers.get(d2, ()):
                return
            premises += ((d2, ISA, d, ALL),)
        self.closure.add((t, ISA, target, ALL), "scm-svf1", premises)

    def on_member(self, key: Key) -> None:
        """a rdf:type C (cls-int1, cls-hv1, cls-avf, cls-svf1)."""
        a, _, c, _ = key
        closure = self.closure
        add = closure.add
        for target, members in self.int_by_class.get(c, ()):
            self.intersect(a, target, members)
        if self.int_by_prop:  # a is in ∃p.D for every class-level p of c (and p's super-properties)
            for p, _ in list(closure.class_props.get(c, ())):
                for q in self.up.get(p, (p,)):
                    for target, members in self.int_by_prop.get(q, ()):
                        self.intersect(a, target, members)
        for p, target, members in self.int_by_filler.get(c, ()):
            for x in list(closure.inn.get((p, a), ())):
                self.intersect(x, target, members)
        for p, v in self.has_values.get(c, ()):
            add((a, p, v, FACT), "cls-hv1", (key,))
        for p, d in self.avf_by_class.get(c, ()):
            for b in list(closure.out.get((p, a), ())):
                add((b, ISA, d, FACT), "cls-avf", (key, (a, p, b, FACT)))
        for p, target in self.svf_by_filler.get(c, ()):
            for x in list(closure.inn.get((p, a), ())):
                add((x, ISA, target, FACT), "cls-svf1", ((x, p, a, FACT), key))

    def on_edge(self, key: Key) -> None:
        """p(a, b) (cls-hv2, cls-svf1, cls-avf, prp-eqp1/2)."""
        a, p, b, _ = key
        closure = self.closure
        add = closure.add
        for c in self.value_classes.get((p, b), ()):
            add((a, ISA, c, FACT), "cls-hv2", (key,))
        for d, target in self.svf_by_prop.get(p, ()):
            if d in closure.types.get(b, ()):
                add((a, ISA, target, FACT), "cls-svf1", (key, (b, ISA, d, FACT)))
        for c, d in self.avf_by_prop.get(p, ()):
            if c in closure.types.get(a, ()):
                add((b, ISA, d, FACT), "cls-avf", ((a, ISA, c, FACT), key))
        for q in self.equivalents.get(p, ()):
            add((a, q, b, FACT), "prp-eqp", (key,))
        for target, members in self.int_by_prop.get(p, ()):
            self.intersect(a, target, members)

    def intersect(self, a: str, target: str, members: tuple[tuple[str, str, str], ...]) -> None:
        """cls-int1 when `a` meets every member: a class, ∃p.{v} (p(a, v)), ∃p.D (p(a, b), b in D)."""
        closure = self.closure
        if (a, ISA, target, FACT) in closure.facts:
            return
        premises: list[Key] = []
        for relation, filler, kind in members:
            values = closure.out.get((relation, a), {})
            if kind == "class" and filler in closure.types.get(a, ()):
                premises.append((a, ISA, filler, FACT))
            elif kind == "value" and filler in values:
                premises.append((a, relation, filler, FACT))
            elif kind == "some":
                found = self.some_value(a, relation, filler)
                if found is None:
                    return
                premises += found
            else:
                return
        closure.add((a, ISA, target, FACT), "cls-int1", tuple(premises))

    def some_value(self, a: str, p: str, d: str) -> list[Key] | None:
        """Why `a` is in ∃p.D: an edge p(a, b) with b in D, or a class T of a with T ⊑ ∃p.D2, D2 ⊑ D."""
        closure = self.closure
        for b in closure.out.get((p, a), ()):
            if d in closure.types.get(b, ()):
                return [(a, p, b, FACT), (b, ISA, d, FACT)]
        for t in closure.types.get(a, ()):
            for d2 in [d, *closure.subs.get(d, ())]:
                for q in self.down.get(p, [p]):
                    if (q, d2) in closure.class_props.get(t, ()):
                        return [(a, ISA, t, FACT), (t, q, d2, ALL)] + ([(d2, ISA, d, ALL)] if d2 != d else [])
        return None


def owl_fact_conflict(closure: Closure, a: str, p: str, b: str) -> tuple[Statement, Derivation] | None:
    """An entailed fact p(a, b) would contradict, under unique names: another value of a
    functional p (prp-fp) or a ≤1 p class of a (cls-maxc2), another subject of an
    inverse-functional p (prp-ifp), any value where a's class allows none (cls-maxc1), or
    the same pair under a disjoint property (prp-pdw)."""
    schema = closure.world.schema
    prop = schema.properties[p]
    limits = [(c, n) for c, q, n in schema.max_cardinality if q == p and c in closure.types.get(a, ())]
    for c, n in limits:
        if n == 0:
            return found(closure, Statement(a, ISA, c))
    if prop.functional or limits:
        others = sorted(v for v in closure.out.get((p, a), ()) if v != b)
        if others:
            return found(closure, Statement(a, p, others[0]))
    if prop.inverse_functional:
        others = sorted(x for x in closure.inn.get((p, b), ()) if x != a)
        if others:
            return found(closure, Statement(others[0], p, b))
    for left, right in schema.disjoint_properties:
        other = right if left == p else left if right == p else None
        if other is not None and (a, other, b, FACT) in closure.facts:
            return found(closure, Statement(a, other, b))
    return None


def found(closure: Closure, statement: Statement) -> tuple[Statement, Derivation]:
    return statement, closure.derivation(statement)
