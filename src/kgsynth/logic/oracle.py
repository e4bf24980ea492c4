"""The symbolic oracle: a consistent closure and three-valued, explained verdicts."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import KgsynthError
from .closure import Closure, Derivation, close, to_key
from .consistency import check_conflicts, check_cycles
from .owl_rules import owl_fact_conflict
from .statement import ISA, Form, Statement
from .world import World

ENTAILED, CONTRADICTED, UNKNOWN = "entailed", "contradicted", "unknown"


@dataclass(frozen=True)
class Verdict:
    value: str  # entailed | contradicted | unknown
    statement: Statement
    derivation: Derivation | None = None  # how it (or what it conflicts with) follows
    conflict: Statement | None = None  # the entailed statement it contradicts


class Oracle:
    def __init__(self, world: World):
        check_cycles(world)
        self.world = world
        self.closure: Closure = close(world)
        # classes under two disjoint classes: empty, reported by synth, fatal only with a member
        self.unsatisfiable: dict[str, str] = check_conflicts(self.closure)
        self.properties = world.schema.properties
        self.open_terms = world.schema.open_terms
        self.known = world.classes | world.individuals | set(self.properties) | {ISA}

    def entails(self, statement: Statement) -> bool:
        return statement in self.closure

    def query(self, statement: Statement, closed_world: bool = False) -> Verdict:
        """entailed / contradicted / unknown, with the derivation or the conflict.

        With `closed_world`, an unknown fact about a relation marked kgs:closed, or any
        unknown fact of a world given as data, is contradicted (rule 'closed-world').
        """
        self.check_terms(statement)
        if statement.form is Form.NOT:
            return self.query_negative(statement, closed_world)
        derivation = self.closure.derivation(statement)
        if derivation is not None:
            return Verdict(ENTAILED, statement, derivation)
        implied = self.existential_import(statement)
        if implied is not None:
            return Verdict(ENTAILED, statement, implied)
        conflict = self.find_conflict(statement)
        if conflict is not None:
            conflicting, found = conflict
            return Verdict(CONTRADICTED, statement, found, conflicting)
        if closed_world and self.is_closed(statement):
            return Verdict(CONTRADICTED, statement, Derivation("closed-world", (), 0))
        return Verdict(UNKNOWN, statement)

    def query_negative(self, statement: Statement, closed_world: bool) -> Verdict:
        """"not p(a,b)" holds exactly when p(a,b) is contradicted."""
        positive = statement.negated()
        verdict = self.query(positive, closed_world)
        if verdict.value == CONTRADICTED:
            return Verdict(ENTAILED, statement, verdict.derivation, verdict.conflict)
        if verdict.value == ENTAILED:
            return Verdict(CONTRADICTED, statement, verdict.derivation, positive)
        return Verdict(UNKNOWN, statement)

    def check_terms(self, statement: Statement) -> None:
        for term in (statement.subject, statement.relation, statement.object):
            if term not in self.known:
                raise KgsynthError(f"unknown term '{term}' in the statement '{statement}'")

    def existential_import(self, statement: Statement) -> Derivation | None:
        """Particular statements the rules do not list, but existential import gives."""
        s, o = statement.subject, statement.object
        if statement.relation != ISA or s in self.unsatisfiable or o in self.unsatisfiable:
            return None  # an empty class imports no existence
        if statement.form is Form.SOME:
            for premise in (Statement(s, ISA, o, Form.ALL), Statement(o, ISA, s, Form.ALL)):
                if premise in self.closure:
                    return self.imported((premise,))
            common = self.closure.common_sub(s, o)
            return self.imported(common) if common else None
        if statement.form is Form.SOME_NOT:
            for sub in sorted(self.closure.subs.get(s, {}).keys() | {s}):
                premise = Statement(sub, ISA, o, Form.NO)
                if premise in self.closure:
                    return self.imported((premise,) if sub == s else (Statement(sub, ISA, s, Form.ALL), premise))
        return None

    def imported(self, premises: tuple[Statement, ...]) -> Derivation:
        hops = 1 + max(self.closure.facts[to_key(p)][2] for p in premises)  # the hops alone, no Derivation built
        return Derivation("existential-import", tuple(premises), hops)

    def find_conflict(self, statement: Statement) -> tuple[Statement, Derivation] | None:
        for conflicting in self.conflicts_of(statement):
            found = self.closure.derivation(conflicting) or self.existential_import(conflicting)
            if found is not None:
                return conflicting, found
        if statement.form is Form.FACT and statement.relation != ISA:
            return self.fact_conflict(statement)
        return None

    def conflicts_of(self, statement: Statement) -> list[Statement]:
        """Statements any one of which, if entailed, makes `statement` false (most direct first)."""
        s, r, o, form = statement.subject, statement.relation, statement.object, statement.form
        negation = statement.negated()
        if r != ISA:
            return [negation]
        if form is Form.FACT:
            return [Statement(t, ISA, o, Form.NO) for t in sorted(self.closure.members_types(s))] + [negation]
        if form is Form.ALL:
            return [Statement(s, ISA, o, Form.NO), negation]
        if form is Form.NO:
            return [Statement(s, ISA, o, Form.ALL), Statement(o, ISA, s, Form.ALL), negation]
        return [negation]

    def fact_conflict(self, statement: Statement) -> tuple[Statement, Derivation] | None:
        """p(a,b) is false if what it would entail at once clashes with the closure:
        an irreflexive or asymmetric (super- or inverse) property, or a disjoint domain/range."""
        for a, q, b in self.consequences(statement):
            prop = self.properties[q]
            if a == b and (prop.irreflexive or prop.asymmetric):
                return Statement(a, q, b), Derivation(f"{q} is irreflexive", (), 0)
            if prop.asymmetric and Statement(b, q, a) in self.closure:
                return Statement(b, q, a), self.closure.derivation(Statement(b, q, a))
            clash = owl_fact_conflict(self.closure, a, q, b)
            if clash is not None:
                return clash
            for subject, classes in ((a, prop.domain), (b, prop.range)):
                for c in classes:
                    if c not in self.closure.types.get(subject, ()):
                        clash = self.find_conflict(Statement(subject, ISA, c))
                        if clash is not None:
                            return clash
        return None

    def consequences(self, statement: Statement) -> list[tuple[str, str, str]]:
        """p(a,b) with every super-property of p, and their inverses, as (subject, property, object)."""
        found, stack = [], [(statement.subject, statement.relation, statement.object)]
        seen = set()
        while stack:
            a, q, b = stack.pop()
            if (a, q, b) in seen:
                continue
            seen.add((a, q, b))
            found.append((a, q, b))
            prop = self.properties[q]
            stack.extend((a, sup, b) for sup in (*prop.supers, *prop.equivalents))
            if prop.inverse:
                stack.append((b, prop.inverse, a))
            if prop.symmetric:
                stack.append((b, q, a))
        return found

    def is_closed(self, statement: Statement) -> bool:
        """A fact about a relation marked kgs:closed; any fact (membership too) of a world
        given as data, whose facts are the whole truth (World.facts_as_data)."""
        if statement.form is not Form.FACT:
            return False
        if {statement.subject, statement.relation, statement.object} & self.open_terms:
            return False  # a skipped axiom touches it: no verdict may rest on the missing axiom
        if self.world.facts_as_data:
            return True
        prop = self.properties.get(statement.relation)
        return prop is not None and prop.closed


__all__ = ["Oracle", "Verdict", "ENTAILED", "CONTRADICTED", "UNKNOWN"]
