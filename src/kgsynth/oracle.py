"""The symbolic oracle: a consistent closure and three-valued, explained verdicts."""

from __future__ import annotations

from dataclasses import dataclass

from .closure import ALL, FACT, NO, Closure, Derivation, close
from .consistency import check_conflicts, check_cycles
from .errors import KgsynthError
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
        check_conflicts(self.closure)

    def entails(self, statement: Statement) -> bool:
        return statement in self.closure

    def query(self, statement: Statement, closed_world: bool = False) -> Verdict:
        """entailed / contradicted / unknown, with the derivation or the conflict.

        With `closed_world`, an unknown fact about a relation marked kgs:closed is
        contradicted (rule 'closed-world').
        """
        self.check_terms(statement)
        derivation = self.closure.derivation(statement)
        if derivation is not None:
            return Verdict(ENTAILED, statement, derivation)
        implied = self.existential_import(statement)
        if implied is not None:
            return implied
        for conflicting in self.conflicts_of(statement):
            found = self.closure.derivation(conflicting)
            if found is not None:
                return Verdict(CONTRADICTED, statement, found, conflicting)
        if closed_world and self.is_closed(statement):
            return Verdict(CONTRADICTED, statement, Derivation("closed-world", (), 0))
        return Verdict(UNKNOWN, statement)

    def check_terms(self, statement: Statement) -> None:
        known = self.world.classes | self.world.individuals | set(self.world.schema.properties) | {ISA}
        for term in (statement.subject, statement.relation, statement.object):
            if term not in known:
                raise KgsynthError(f"unknown term '{term}' in the statement '{statement}'")

    def conflicts_of(self, statement: Statement) -> list[Statement]:
        """Entailed statements any one of which makes `statement` false."""
        s, r, o, form = statement.subject, statement.relation, statement.object, statement.form
        negation = [statement.negated()]
        if form is Form.FACT and r == ISA:
            types = sorted(self.closure.members_types(s))
            return negation + [Statement(t, ISA, o, Form.NO) for t in types]
        if form is Form.FACT:
            prop = self.world.schema.properties[r]
            return negation + ([Statement(o, r, s)] if prop.asymmetric else [])
        if r != ISA:
            return negation
        if form is Form.ALL:
            return negation + [Statement(s, ISA, o, Form.NO)]
        if form is Form.SOME_NOT:
            return negation
        if form is Form.NO:
            return negation + [Statement(s, ISA, o, Form.ALL), Statement(o, ISA, s, Form.ALL)]
        return negation  # SOME

    def existential_import(self, statement: Statement) -> Verdict | None:
        """Particular statements the rules do not list but existential import gives."""
        s, o = statement.subject, statement.object
        if statement.relation != ISA or statement.form not in (Form.SOME, Form.SOME_NOT, Form.NO):
            return None
        if statement.form is Form.SOME:
            for premise in (Statement(s, ISA, o, Form.ALL), Statement(o, ISA, s, Form.ALL)):
                found = self.closure.derivation(premise)
                if found is not None:
                    return Verdict(ENTAILED, statement, Derivation("existential-import", (premise,), found.hops + 1))
            return None
        if statement.form is Form.SOME_NOT:
            premise = Statement(s, ISA, o, Form.NO)
            found = self.closure.derivation(premise)
            if found is not None:
                return Verdict(ENTAILED, statement, Derivation("existential-import", (premise,), found.hops + 1))
            return None
        common = self.closure.common_sub(s, o)  # NO is contradicted by a shared subclass/member
        if common is not None:
            return Verdict(CONTRADICTED, statement, Derivation("existential-import", common, 1), common[0])
        return None

    def is_closed(self, statement: Statement) -> bool:
        prop = self.world.schema.properties.get(statement.relation)
        return statement.form is Form.FACT and prop is not None and prop.closed


__all__ = ["Oracle", "Verdict", "ENTAILED", "CONTRADICTED", "UNKNOWN", "ALL", "FACT", "NO"]
