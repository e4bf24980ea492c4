"""The deductive closure of a world, each derived statement with its derivation.

Statements are handled here as plain tuples (subject, relation, object, form value),
which hash far faster than dataclasses; `Statement` appears only at the edges.
Semi-naive forward chaining: every new fact is indexed when added and joined with
the indexes once, when it leaves the queue, so every pair of premises meets.
"""

from __future__ import annotations

import gc
from collections import defaultdict, deque
from dataclasses import dataclass

from . import categorical
from .owl_rules import OwlRules
from .statement import ISA, Form, Statement
from .world import World

Key = tuple[str, str, str, str]
ALL, NO, FACT = Form.ALL.value, Form.NO.value, Form.FACT.value
FORMS = {form.value: form for form in Form}
ASSERTED = "asserted"


@dataclass(frozen=True)
class Derivation:
    rule: str
    premises: tuple[Statement, ...]
    hops: int

    def to_json(self) -> dict:
        return {"rule": self.rule, "premises": [p.to_json() for p in self.premises], "hops": self.hops}

    @classmethod
    def from_json(cls, data: dict) -> Derivation:
        return cls(data["rule"], tuple(Statement.from_json(p) for p in data["premises"]), data["hops"])


def to_statement(key: Key) -> Statement:
    return Statement(key[0], key[1], key[2], FORMS[key[3]])


def to_key(statement: Statement) -> Key:
    return (statement.subject, statement.relation, statement.object, statement.form.value)


class Closure:
    """Facts of a world closed under its ontology's rules; see the README, "Ontology format"."""

    def __init__(self, world: World):
        self.world = world
        schema = world.schema
        self.facts: dict[Key, tuple[str, tuple[Key, ...], int]] = {}
        self.queue: deque[Key] = deque()
        # Indexes are dicts used as ordered sets: iteration follows insertion order, so
        # the derivation found first (and kept) is the same on every run, whatever the
        # hash seed. class-level:
        self.supers: defaultdict[str, dict[str, None]] = defaultdict(dict)
        self.subs: defaultdict[str, dict[str, None]] = defaultdict(dict)
        self.members: defaultdict[str, dict[str, None]] = defaultdict(dict)
        self.types: defaultdict[str, dict[str, None]] = defaultdict(dict)
        self.class_props: defaultdict[str, dict[tuple[str, str], None]] = defaultdict(dict)
        self.disjoint: defaultdict[str, dict[str, None]] = defaultdict(dict)
        # individual-level, keyed by (property, individual):
        self.out: defaultdict[tuple[str, str], dict[str, None]] = defaultdict(dict)
        self.inn: defaultdict[tuple[str, str], dict[str, None]] = defaultdict(dict)
        # edges of transitive properties not themselves derived by transitivity
        self.base_out: defaultdict[tuple[str, str], dict[str, None]] = defaultdict(dict)
        props = schema.properties
        self.inverse = {p.id: p.inverse for p in props.values() if p.inverse}
        self.symmetric = {p.id for p in props.values() if p.symmetric}
        self.transitive = {p.id for p in props.values() if p.transitive}
        self.prop_supers = {p.id: tuple(p.supers) for p in props.values() if p.supers}
        self.domain = {p.id: tuple(p.domain) for p in props.values() if p.domain}
        self.range = {p.id: tuple(p.range) for p in props.values() if p.range}
        self.chains: defaultdict[str, list[tuple[str, tuple[str, ...], int]]] = defaultdict(list)
        for result, links in schema.chains:
            for position, link in enumerate(links):
                self.chains[link].append((result, links, position))
        self.owl = OwlRules(self)

    # -- building ---------------------------------------------------------------

    def run(self) -> Closure:
        # millions of small tuples, none of them cyclic: the cycle collector only costs time
        collecting = gc.isenabled()
        gc.disable()
        try:
            for statement in self.world.asserted:
                self.add(to_key(statement), ASSERTED, ())
            self.owl.start()
            self.add_categorical()
            handlers = {ALL: self.on_all, NO: self.on_no, FACT: self.on_fact}
            queue = self.queue
            while queue:
                key = queue.popleft()
                handler = handlers.get(key[3])
                if handler is not None:
                    handler(key)
        finally:
            if collecting:
                gc.enable()
        return self

    def add(self, key: Key, rule: str, premises: tuple[Key, ...], hops: int | None = None) -> None:
        """Record a new fact (callers on hot paths test `key not in facts` first); `hops`
        defaults to one more than the premises' most."""
        facts = self.facts
        if key in facts:
            return
        if hops is None:
            hops = self.hops_after(premises)
        facts[key] = (rule, premises, hops)
        self.index(key)
        self.queue.append(key)

    def hops_after(self, premises: tuple[Key, ...]) -> int:
        facts = self.facts
        if len(premises) == 2:  # the common case, without a generator
            first, second = facts[premises[0]][2], facts[premises[1]][2]
            return (first if first > second else second) + 1
        return 1 + max(facts[p][2] for p in premises) if premises else 0

    def index(self, key: Key) -> None:
        s, r, o, f = key
        if r == ISA:
            if f == ALL:
                self.supers[s][o] = None
                self.subs[o][s] = None
            elif f == FACT:
                self.members[o][s] = None
                self.types[s][o] = None
            elif f == NO:
                self.disjoint[s][o] = None
        elif f == ALL:
            self.class_props[s][(r, o)] = None
        elif f == FACT:
            self.out[(r, s)][o] = None
            self.inn[(r, o)][s] = None
            if r in self.transitive and self.facts[key][0] != "transitive":
                self.base_out[(r, s)][o] = None

    def add_categorical(self) -> None:
        """Every valid categorical conclusion within each group of terms (syllogisms)."""
        by_term: defaultdict[str, list[Statement]] = defaultdict(list)
        for statement in self.world.asserted:
            if statement.relation == ISA and statement.form.is_categorical:
                by_term[statement.subject].append(statement)
        for group in self.world.term_groups:
            terms = set(group)
            premises = [s for t in group for s in by_term[t] if s.object in terms]
            for conclusion in categorical.valid_conclusions(premises, list(group)):
                support = categorical.minimal_support(premises, conclusion)
                self.add(to_key(conclusion), "categorical", tuple(map(to_key, support)), categorical.hops(support))

    # -- rules --------------------------------------------------------------------

    def on_all(self, key: Key) -> None:
        s, r, o, _ = key
        add, facts = self.add, self.facts
        if self.owl.active:
            self.owl.on_all(key)
        if r != ISA:  # every s has r some o: so does every subclass of s
            for y in list(self.subs[s]):
                add((y, r, o, ALL), "property-inheritance", ((y, ISA, s, ALL), key))
            return
        # a cycle of inclusions is an equivalence: its members are not said to include themselves
        for x in list(self.supers[o]):
            if x != s:
                add((s, ISA, x, ALL), "subclass-transitive", (key, (o, ISA, x, ALL)))
        for y in list(self.subs[s]):
            if y != o:
                add((y, ISA, o, ALL), "subclass-transitive", ((y, ISA, s, ALL), key))
        for a in list(self.members[s]):
            derived = (a, ISA, o, FACT)
            if derived not in facts:
                add(derived, "type-inheritance", ((a, ISA, s, FACT), key))
        for p, v in list(self.class_props[o]):
            add((s, p, v, ALL), "property-inheritance", (key, (o, p, v, ALL)))
        for d in list(self.disjoint[o]):
            add((s, ISA, d, NO), "disjoint-inheritance", (key, (o, ISA, d, NO)))

    def on_no(self, key: Key) -> None:
        s, r, o, _ = key
        if r != ISA:
            return
        self.add((o, ISA, s, NO), "disjoint-symmetric", (key,))
        for y in list(self.subs[s]):
            self.add((y, ISA, o, NO), "disjoint-inheritance", ((y, ISA, s, ALL), key))

    def on_fact(self, key: Key) -> None:
        a, p, b, _ = key
        add, facts = self.add, self.facts
        if p == ISA:
            for x in list(self.supers[b]):
                derived = (a, ISA, x, FACT)
                if derived not in facts:
                    add(derived, "type-inheritance", (key, (b, ISA, x, ALL)))
            if self.owl.active:
                self.owl.on_member(key)
            return
        inverse = self.inverse.get(p)
        if inverse:
            add((b, inverse, a, FACT), "inverse", (key,))
        if p in self.symmetric:
            add((b, p, a, FACT), "symmetric", (key,))
        for q in self.prop_supers.get(p, ()):
            add((a, q, b, FACT), "subproperty", (key,))
        for d in self.domain.get(p, ()):
            add((a, ISA, d, FACT), "domain", (key,))
        for c in self.range.get(p, ()):
            add((b, ISA, c, FACT), "range", (key,))
        if p in self.transitive:
            self.extend_transitive(key)
        for result, links, position in self.chains.get(p, ()):
            self.extend_chain(key, result, links, position)
        if self.owl.active:
            self.owl.on_edge(key)

    def extend_transitive(self, key: Key) -> None:
        """Right-linear transitivity: any p-edge joins the base (not transitivity-derived)
        p-edges after it; a base edge also joins every p-edge before it. Every path is
        still built, with far fewer repeated derivations than joining both sides always."""
        a, p, b, _ = key
        add, facts = self.add, self.facts
        for y in list(self.base_out.get((p, b), ())):
            derived = (a, p, y, FACT)
            if derived not in facts:
                add(derived, "transitive", (key, (b, p, y, FACT)))
        if facts[key][0] != "transitive":
            for x in list(self.inn[(p, a)]):
                derived = (x, p, b, FACT)
                if derived not in facts:
                    add(derived, "transitive", ((x, p, a, FACT), key))

    def extend_chain(self, key: Key, result: str, links: tuple[str, ...], position: int) -> None:
        a, _, b, _ = key
        for start, before in self.walk(a, links[:position][::-1], backwards=True):
            for end, after in self.walk(b, links[position + 1:], backwards=False):
                premises = tuple(before[::-1]) + (key,) + tuple(after)
                self.add((start, result, end, FACT), "chain", premises)

    def walk(self, node: str, links: tuple[str, ...], backwards: bool):
        """Every path from `node` along `links`: (end node, premise keys in walk order)."""
        if not links:
            yield node, []
            return
        link, rest = links[0], links[1:]
        index = self.inn if backwards else self.out
        for nxt in list(index.get((link, node), ())):
            step = (nxt, link, node, FACT) if backwards else (node, link, nxt, FACT)
            for end, path in self.walk(nxt, rest, backwards):
                yield end, [step, *path]

    # -- reading ------------------------------------------------------------------

    def __contains__(self, statement: Statement) -> bool:
        return to_key(statement) in self.facts

    def __len__(self) -> int:
        return len(self.facts)

    def derivation(self, statement: Statement) -> Derivation | None:
        found = self.facts.get(to_key(statement))
        if found is None:
            return None
        rule, premises, hops = found
        return Derivation(rule, tuple(map(to_statement, premises)), hops)

    def statements(self) -> list[Statement]:
        return sorted(map(to_statement, self.facts))

    def derived(self) -> list[tuple[Statement, Derivation]]:
        """Every statement not asserted, sorted, with its derivation."""
        derived = sorted(((k, found) for k, found in self.facts.items() if found[0] != ASSERTED), key=lambda kf: kf[0])
        return [(to_statement(k), Derivation(rule, tuple(map(to_statement, premises)), hops))
                for k, (rule, premises, hops) in derived]

    def members_types(self, individual: str) -> set[str]:
        return set(self.types.get(individual, ()))

    def common_sub(self, left: str, right: str) -> tuple[Statement, Statement] | None:
        """Two entailed statements putting one class or individual under both classes."""
        classes = (self.subs.get(left, {}).keys() | {left}) & (self.subs.get(right, {}).keys() | {right})
        for c in sorted(classes):
            pair = tuple(Statement(c, ISA, x, Form.ALL) for x in (left, right) if x != c)
            if len(pair) == 2:
                return pair
        shared = self.members.get(left, {}).keys() & self.members.get(right, {}).keys()
        if shared:
            a = min(shared)
            return Statement(a, ISA, left), Statement(a, ISA, right)
        return None

    def support(self, statement: Statement) -> set[Statement]:
        """The asserted statements a derivation rests on."""
        found, stack, seen = set(), [to_key(statement)], set()
        while stack:
            key = stack.pop()
            if key in seen or key not in self.facts:
                continue
            seen.add(key)
            rule, premises, _ = self.facts[key]
            if rule == ASSERTED or not premises:  # asserted, or read from the ontology's axioms
                found.add(to_statement(key))
            stack.extend(premises)
        return found


def close(world: World) -> Closure:
    return Closure(world).run()
