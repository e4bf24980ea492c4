"""OWL 2 RL class expressions, read into Schema structures (never into classes of the world).

An anonymous class (an intersection, a union, a restriction) gets no words, documents or
items: it is kept beside the named classes, in the Schema lists the closure's OWL 2 RL rules
read (`owl_rules`). Only the positions OWL 2 RL gives a meaning are read:

  as a superclass (A ⊑ X): a named class, an intersection of such, owl:someValuesFrom,
      owl:allValuesFrom (cls-avf), owl:hasValue (cls-hv1), owl:maxCardinality 0/1 (cls-maxc1/2);
  as a subclass (X ⊑ A): a named class, an intersection of named classes (cls-int1), a union
      of such (scm-uni), owl:hasValue (cls-hv2), owl:someValuesFrom a named class (cls-svf1).

Anything else raises UnsupportedConstruct, naming the construct, where it appears and the
file (never a blank-node id). One half of an owl:equivalentClass outside OWL 2 RL (A ≡ B ⊔ C:
A ⊑ B ⊔ C) is dropped, as OWL 2 RL drops it, and recorded in `Schema.one_way`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF

from ..errors import OntologyError
from .statement import ISA, Form, Statement

if TYPE_CHECKING:
    from .ontology import SchemaReader

CLASS_EXPRESSIONS = (OWL.intersectionOf, OWL.unionOf, OWL.complementOf, OWL.oneOf)
RESTRICTION_FILLERS = (OWL.someValuesFrom, OWL.allValuesFrom, OWL.hasValue, OWL.maxCardinality)


class UnsupportedConstruct(OntologyError):
    """A construct kgsynth does not read; `kind` names it for `--lenient`'s summary."""

    def __init__(self, path: str, detail: str, kind: str):
        super().__init__(f"{path}: unsupported construct: {detail}")
        self.detail, self.kind = detail, kind


class ExpressionReader:
    """Reads class expressions for a SchemaReader (which owns the graph, terms and errors)."""

    def __init__(self, reader: SchemaReader):
        self.reader = reader
        self.graph = reader.graph
        self.schema = reader.schema

    # -- what a node is -------------------------------------------------------------

    def shape(self, node) -> tuple[str, object]:
        """("named", node) | ("intersection"/"union", [members]) | ("restriction", (prop, kind, filler))."""
        if isinstance(node, URIRef):
            return "named", node
        if node in self.reader.restrictions:
            return "restriction", self.restriction(node)
        for p, kind in ((OWL.intersectionOf, "intersection"), (OWL.unionOf, "union")):
            value = self.graph.value(node, p)
            if value is not None and isinstance(node, BNode):
                return kind, self.items(value, node, p)
        raise self.reader.anonymous(node) if isinstance(node, BNode) else self.reader.fail(f"expected a class, got {node}")

    def items(self, value, owner, predicate) -> list:
        return self.reader.rdf_list(value, f"the {self.reader.show(predicate)} list of {self.reader.name(owner)}")

    def restriction(self, node) -> tuple[str, object, object]:
        parts = {p: o for p, o in self.graph.predicate_objects(node) if p != RDF.type}
        fillers = [p for p in RESTRICTION_FILLERS if p in parts]
        extra = set(parts) - {OWL.onProperty, *RESTRICTION_FILLERS}
        if extra or len(fillers) != 1 or OWL.onProperty not in parts:
            raise self.unsupported(node, "(supported: owl:onProperty with one of owl:someValuesFrom, owl:allValuesFrom, "
                                         "owl:hasValue, owl:maxCardinality 0 or 1)")
        prop = self.reader.known_prop(parts[OWL.onProperty], "owl:onProperty").id
        return prop, fillers[0], parts[fillers[0]]

    def unsupported(self, node, why: str) -> UnsupportedConstruct:
        reader = self.reader
        return UnsupportedConstruct(reader.path, f"{reader.construct(node)} {reader.where(node)} "
                                    f"{why}", reader.kind(node))

    # -- positions ------------------------------------------------------------------------

    def superclass(self, sub: str, node, rule: str) -> None:
        """sub ⊑ node; `rule` names the inclusion of a named superclass ("asserted": a statement)."""
        kind, value = self.shape(node)
        if kind == "named":
            if value != OWL.Thing:
                self.include(sub, self.reader.cls(value), rule)
        elif kind == "intersection":  # every member RL reads is kept: each inclusion holds alone (scm-int)
            failures = []
            for member in value:
                try:
                    self.superclass(sub, member, "scm-int")
                except UnsupportedConstruct as exc:
                    failures.append(exc)
            if failures:
                raise failures[0]
        elif kind == "restriction":
            self.super_restriction(sub, node, *value)
        else:
            raise self.unsupported(node, "(OWL 2 RL allows a union only as a subclass, not as a superclass)")

    def super_restriction(self, sub: str, node, prop: str, kind, filler) -> None:
        schema = self.schema
        if kind == OWL.someValuesFrom:
            self.reader.add(sub, prop, self.reader.cls(filler), Form.ALL)
        elif kind == OWL.allValuesFrom:
            schema.all_values.append((sub, prop, self.reader.cls(filler)))
        elif kind == OWL.hasValue:
            schema.has_values.append((sub, prop, self.individual(filler)))
        else:
            schema.max_cardinality.append((sub, prop, self.cardinality(node, filler)))

    def subclass(self, node, sup: str, rule: str) -> None:
        """node ⊑ sup."""
        kind, value = self.shape(node)
        if kind == "named":
            self.include(self.reader.cls(value), sup, rule)
        elif kind == "union":
            for member in value:
                self.subclass(member, sup, "scm-uni")
        elif kind == "intersection":
            self.schema.intersections.append((sup, tuple(self.condition(m, node) for m in value)))
        else:
            prop, kind, filler = value
            if kind == OWL.hasValue:
                self.schema.value_classes.append((sup, prop, self.individual(filler)))
            elif kind == OWL.someValuesFrom and isinstance(filler, URIRef):
                self.schema.some_values_classes.append((sup, prop, self.reader.cls(filler)))
            else:
                raise self.unsupported(node, "(OWL 2 RL allows it only as a superclass, not as a subclass)")

    def equivalent(self, named: str, node) -> None:
        """named ≡ node: both inclusions where OWL 2 RL reads them, at least one of them."""
        if isinstance(node, URIRef):
            other = self.reader.cls(node)
            self.include(named, other, "scm-eqc1")
            self.include(other, named, "scm-eqc1")
            return
        # a half is dropped when OWL 2 RL does not read it; what it alone would give is open:
        # the terms of node for named ⊑ node, named itself for node ⊑ named
        dropped = []
        try:
            self.superclass(named, node, "scm-eqc1")
        except UnsupportedConstruct as exc:
            dropped.append((exc, self.reader.touched(node)))
        try:
            self.subclass(node, named, "scm-eqc1")
        except UnsupportedConstruct as exc:
            dropped.append((exc, {named}))
        if len(dropped) == 2:
            raise dropped[0][0]
        for exc, opened in dropped:
            self.schema.one_way.append(exc.detail)
            self.schema.open_terms |= opened

    def defined(self, named: str, predicate, value) -> None:
        """A named class with its own owl:intersectionOf / owl:unionOf list: named ≡ that expression."""
        members = self.items(value, named, predicate)
        if predicate == OWL.unionOf:
            for member in members:
                self.subclass(member, named, "scm-uni")
            half, opened = f"{named} ⊑ the union of {self.reader.members(value)}", self.reader.touched(value)
        else:
            for member in members:
                self.superclass(named, member, "scm-int")
            try:
                self.schema.intersections.append((named, tuple(self.condition(m, value) for m in members)))
                return
            except UnsupportedConstruct:
                half, opened = f"the intersection of {self.reader.members(value)} ⊑ {named}", {named}
        self.schema.one_way.append(f"the {self.reader.show(predicate)} of {named}: {half} is outside OWL 2 RL")
        self.schema.open_terms |= opened

    def member(self, individual: str, node) -> None:
        """individual rdf:type node (cls-hv1 for a hasValue restriction; members of an intersection)."""
        kind, value = self.shape(node)
        if kind == "named":
            self.reader.add(individual, ISA, self.reader.cls(value), Form.FACT)
        elif kind == "intersection":
            for member in value:
                self.member(individual, member)
        elif kind == "restriction" and value[1] == OWL.hasValue:
            self.reader.add(individual, value[0], self.individual(value[2]), Form.FACT)
        else:
            raise self.unsupported(node, "(only named classes, intersections and owl:hasValue are supported as a type)")

    # -- helpers ----------------------------------------------------------------------

    def condition(self, member, owner) -> tuple[str, str, str]:
        """A member of an intersection read as a subclass: (isa, C, "class"), (p, D, "some") for
        ∃p.D, (p, v, "value") for ∃p.{v}; cls-int1 needs every one of them to hold."""
        kind, value = self.shape(member)
        if kind == "named":
            return ISA, self.reader.cls(value), "class"
        if kind == "restriction" and value[1] == OWL.hasValue:
            return value[0], self.individual(value[2]), "value"
        if kind == "restriction" and value[1] == OWL.someValuesFrom and isinstance(value[2], URIRef):
            return value[0], self.reader.cls(value[2]), "some"
        raise self.unsupported(owner, "(an intersection read as a subclass may hold only named classes, "
                                      "owl:hasValue and owl:someValuesFrom a named class)")

    def include(self, sub: str, sup: str, rule: str) -> None:
        if rule == "asserted":
            self.reader.add(sub, ISA, sup, Form.ALL)
        elif sub != sup:
            self.schema.inclusions.append((Statement(sub, ISA, sup, Form.ALL), rule))

    def individual(self, node) -> str:
        term_id = self.reader.term(node)
        self.schema.individuals.add(term_id)
        return term_id

    def cardinality(self, node, value) -> int:
        number = value.toPython() if isinstance(value, Literal) else None
        if number not in (0, 1) or isinstance(number, bool):
            raise self.unsupported(node, f"with {value} (OWL 2 RL reads owl:maxCardinality 0 or 1 only)")
        return int(number)


def open_world(schema) -> None:
    """Every term a skipped axiom or a dropped half touches, and every term whose facts or
    members may follow from one, is open: no closed-world verdict rests on it."""
    if not schema.open_terms:
        return
    feeds: dict[str, set[str]] = {}

    def feed(source: str, *targets: str) -> None:
        feeds.setdefault(source, set()).update(targets)

    for prop in schema.properties.values():
        feed(prop.id, *prop.supers, *prop.equivalents, *prop.domain, *prop.range, *filter(None, [prop.inverse]))
        if prop.inverse:
            feed(prop.inverse, prop.id)
    for result, links in schema.chains:
        for link in links:
            feed(link, result)
    for statement in schema.asserted:
        if statement.form is Form.ALL:
            feed(statement.subject, statement.object)
    for statement, _ in schema.inclusions:
        feed(statement.subject, statement.object)
    for target, members in schema.intersections:
        for relation, filler, _ in members:
            feed(filler, target)
            feed(relation, target)
    for c, p, d in schema.all_values:
        feed(c, d)
        feed(p, d)
    for c, p, _ in schema.has_values:
        feed(c, p)
    for c, p, _ in schema.value_classes + schema.some_values_classes:
        feed(p, c)
    reached, stack = set(schema.open_terms), list(schema.open_terms)
    while stack:
        for target in feeds.get(stack.pop(), ()):
            if target not in reached:
                reached.add(target)
                stack.append(target)
    schema.open_terms = reached
    for term in reached & schema.properties.keys():
        schema.properties[term].closed = False


OWL_LISTS = ("inclusions", "intersections", "all_values", "has_values", "value_classes", "some_values_classes",
             "max_cardinality", "disjoint_properties", "one_way")


def settle(schema) -> None:
    """Sort what was read in triple order: blank-node ids, and so that order, differ between parses."""
    for name in OWL_LISTS:
        setattr(schema, name, sorted(set(getattr(schema, name))))
    schema.skipped = {kind: sorted(examples) for kind, examples in sorted(schema.skipped.items())}
