"""Read an RDF/OWL file with rdflib into a Schema: the logic, the labels, the tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from ..errors import OntologyError
from .rdf_input import read_graph
from .settings import KGS, TaskConfig, parse_task
from .statement import ISA, Form, Statement

CLASS_TYPES = {OWL.Class, RDFS.Class}
CHARACTERISTICS = {
    OWL.TransitiveProperty: "transitive",
    OWL.SymmetricProperty: "symmetric",
    OWL.AsymmetricProperty: "asymmetric",
    OWL.IrreflexiveProperty: "irreflexive",
}
IGNORED_TYPES = {OWL.NamedIndividual, OWL.Ontology, OWL.Restriction}
ANNOTATIONS = {RDFS.label, RDFS.comment, OWL.versionInfo, RDFS.seeAlso, RDFS.isDefinedBy}
RESTRICTION_PARTS = {OWL.onProperty, OWL.someValuesFrom}
RESERVED = (str(OWL), str(RDF), str(RDFS), str(KGS))
RESTRICTION_KINDS = (
    OWL.someValuesFrom, OWL.allValuesFrom, OWL.hasValue, OWL.hasSelf, OWL.cardinality, OWL.minCardinality,
    OWL.maxCardinality, OWL.qualifiedCardinality, OWL.minQualifiedCardinality, OWL.maxQualifiedCardinality,
)
EXPRESSIONS = {
    OWL.unionOf: "class expression", OWL.intersectionOf: "class expression", OWL.complementOf: "class expression",
    OWL.oneOf: "enumeration", OWL.inverseOf: "property expression",
}


@dataclass
class Property:
    id: str
    transitive: bool = False
    symmetric: bool = False
    asymmetric: bool = False
    irreflexive: bool = False
    inverse: str | None = None
    supers: list[str] = field(default_factory=list)
    domain: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    closed: bool = False

    @property
    def strict_order(self) -> bool:
        return self.transitive and (self.asymmetric or self.irreflexive)


@dataclass
class Schema:
    """Everything the ontology file says, with terms named by their local ids."""

    path: str
    iris: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    classes: set[str] = field(default_factory=set)
    properties: dict[str, Property] = field(default_factory=dict)
    chains: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    forward_inverses: set[str] = field(default_factory=set)  # subjects of owl:inverseOf
    individuals: set[str] = field(default_factory=set)
    asserted: list[Statement] = field(default_factory=list)
    tasks: list[TaskConfig] = field(default_factory=list)

    def iri(self, term_id: str) -> str:
        return self.iris[term_id]


def local_name(iri: str) -> str:
    for sep in ("#", "/", ":"):
        if sep in iri:
            tail = iri.rsplit(sep, 1)[1]
            if tail:
                return tail
    return iri


def load_schema(path: str | Path) -> Schema:
    """Parse `path` and return its Schema, or raise OntologyError naming the problem."""
    graph = parse_graph(Path(path))
    schema = SchemaReader(graph, str(path)).read()
    if not (schema.classes or schema.individuals or schema.asserted or schema.tasks):
        raise OntologyError(f"{path}: the ontology is empty: nothing to generate")
    return schema


def parse_graph(path: Path) -> rdflib.Graph:
    """The file's triples; reading it never opens another file or the network (see rdf_input)."""
    return read_graph(path)


class SchemaReader:
    """One pass over the triples; every triple is either understood or an error."""

    def __init__(self, graph: rdflib.Graph, path: str):
        self.graph = graph
        self.path = path
        self.schema = Schema(path=path)
        self.restrictions = {s for s in graph.subjects(RDF.type, OWL.Restriction)}
        self.task_nodes = {
            s for s, o in graph.subject_objects(RDF.type) if str(o).startswith(str(KGS))
        }
        self.list_nodes = {s for s in graph.subjects(RDF.first, None)}

    def fail(self, message: str) -> OntologyError:
        return OntologyError(f"{self.path}: {message}")

    def term(self, node) -> str:
        if isinstance(node, BNode):
            raise self.anonymous(node)
        if not isinstance(node, URIRef):
            raise self.fail(f"expected a named resource, got {self.show(node)}")
        iri = str(node)
        term_id = local_name(iri)
        known = self.schema.iris.setdefault(term_id, iri)
        if known != iri:
            raise self.fail(f"local name '{term_id}' is used by both <{known}> and <{iri}>")
        return term_id

    def read(self) -> Schema:
        self.read_declarations()
        for s, p, o in sorted(self.graph):
            self.read_triple(s, p, o)
        # blank-node ids differ between parses: order tasks by their settings instead
        self.schema.tasks = sorted((self.read_task(node) for node in self.task_nodes), key=repr)
        self.read_labels()
        self.schema.asserted = sorted(set(self.schema.asserted))
        return self.schema

    def read_declarations(self) -> None:
        for s, o in sorted(self.graph.subject_objects(RDF.type)):
            if s in self.restrictions or s in self.task_nodes:
                continue
            if o in CLASS_TYPES:
                self.schema.classes.add(self.term(s))
            elif o == OWL.ObjectProperty or o in CHARACTERISTICS:
                prop = self.prop(s)
                if o in CHARACTERISTICS:
                    setattr(prop, CHARACTERISTICS[o], True)
            elif o in IGNORED_TYPES:
                continue
            elif str(o).startswith(RESERVED):
                if isinstance(s, BNode):
                    raise self.anonymous(s)
                raise self.fail(f"unsupported construct: {self.show(s)} rdf:type {self.show(o)}")

    def prop(self, node) -> Property:
        term_id = self.term(node)
        return self.schema.properties.setdefault(term_id, Property(term_id))

    def known_prop(self, node, where: str) -> Property:
        term_id = self.term(node)
        if term_id not in self.schema.properties:
            raise self.fail(f"{where} names {self.show(node)}, which is not an owl:ObjectProperty")
        return self.schema.properties[term_id]

    def read_triple(self, s, p, o) -> None:
        if s in self.restrictions or s in self.task_nodes or s in self.list_nodes:
            return  # read through their owners
        if p == RDF.type:
            self.read_type(s, o)
        elif p in ANNOTATIONS or (isinstance(o, Literal) and not str(p).startswith(RESERVED)):
            return
        elif p == RDFS.subClassOf:
            self.read_subclass(s, o)
        elif p == OWL.disjointWith:
            self.add(self.cls(s), ISA, self.cls(o), Form.NO)
        elif p == OWL.inverseOf:
            self.read_inverse(s, o)
        elif p == RDFS.subPropertyOf:
            self.known_prop(s, "rdfs:subPropertyOf").supers.append(self.known_prop(o, "rdfs:subPropertyOf").id)
        elif p == OWL.propertyChainAxiom:
            self.read_chain(s, o)
        elif p in (RDFS.domain, RDFS.range):
            getattr(self.known_prop(s, self.show(p)), "domain" if p == RDFS.domain else "range").append(self.cls(o))
        elif p == KGS.closed:
            self.known_prop(s, "kgs:closed").closed = bool(o.toPython()) if isinstance(o, Literal) else True
        elif str(p).startswith(RESERVED):
            if isinstance(s, BNode):
                raise self.anonymous(s)
            raise self.fail(f"unsupported construct: {self.show(p)} on {self.show(s)}")
        else:
            self.read_assertion(s, p, o)

    def read_type(self, s, o) -> None:
        if o in CLASS_TYPES or o in CHARACTERISTICS or o in IGNORED_TYPES or o == OWL.ObjectProperty:
            return
        individual = self.term(s)
        self.schema.individuals.add(individual)
        self.add(individual, ISA, self.cls(o), Form.FACT)

    def cls(self, node) -> str:
        term_id = self.term(node)
        if str(node).startswith(RESERVED):
            raise self.fail(f"unsupported construct: {self.show(node)} used as a class")
        self.schema.classes.add(term_id)
        return term_id

    def read_subclass(self, s, o) -> None:
        sub = self.cls(s)
        if o in self.restrictions:
            prop, target = self.read_restriction(o)
            self.add(sub, prop, target, Form.ALL)
        else:
            self.add(sub, ISA, self.cls(o), Form.ALL)

    def read_restriction(self, node) -> tuple[str, str]:
        parts = {p: o for p, o in self.graph.predicate_objects(node) if p != RDF.type}
        unsupported = set(parts) - RESTRICTION_PARTS
        if unsupported:
            names = ", ".join(sorted(self.show(p) for p in unsupported))
            raise self.fail(f"unsupported construct: restriction with {names} (only owl:someValuesFrom is supported)")
        if set(parts) != RESTRICTION_PARTS:
            raise self.fail("a restriction needs owl:onProperty and owl:someValuesFrom")
        return self.known_prop(parts[OWL.onProperty], "owl:onProperty").id, self.cls(parts[OWL.someValuesFrom])

    def read_inverse(self, s, o) -> None:
        left, right = self.known_prop(s, "owl:inverseOf"), self.known_prop(o, "owl:inverseOf")
        self.schema.forward_inverses.add(left.id)
        for a, b in ((left, right), (right, left)):
            if a.inverse not in (None, b.id):
                raise self.fail(f"{a.id} has two inverses: {a.inverse} and {b.id}")
            a.inverse = b.id

    def read_chain(self, s, o) -> None:
        result = self.known_prop(s, "owl:propertyChainAxiom").id
        try:
            items = list(Collection(self.graph, o))
        except ValueError:  # rdflib refuses a list whose rdf:rest loops back
            raise self.fail(f"owl:propertyChainAxiom of {result} is not a proper RDF list (its rdf:rest loops)") from None
        links = tuple(self.known_prop(item, "owl:propertyChainAxiom").id for item in items)
        if len(links) < 2:
            raise self.fail(f"owl:propertyChainAxiom of {result} needs at least two properties")
        self.schema.chains.append((result, links))

    def read_assertion(self, s, p, o) -> None:
        prop = self.known_prop(p, f"the triple {self.show(s)} {self.show(p)} {self.show(o)}")
        subject, obj = self.term(s), self.term(o)
        self.schema.individuals.update((subject, obj))
        self.add(subject, prop.id, obj, Form.FACT)

    def read_task(self, node) -> TaskConfig:
        kinds = sorted(o for o in self.graph.objects(node, RDF.type) if str(o).startswith(str(KGS)))
        if len(kinds) > 1:
            names = " and ".join(self.show(k) for k in kinds)
            raise self.fail(f"one task node is typed both {names}: give each task its own node")
        values: dict[str, list] = {}
        for p, o in sorted(self.graph.predicate_objects(node)):
            if p == RDF.type or p in ANNOTATIONS:
                continue
            if not str(p).startswith(str(KGS)):
                raise self.fail(f"task node has a non-kgs: setting {self.show(p)}")
            values.setdefault(local_name(str(p)), []).append(o.toPython() if isinstance(o, Literal) else self.term(o))
        return parse_task(local_name(str(kinds[0])), values, self.path)

    def read_labels(self) -> None:
        for s, label in self.graph.subject_objects(RDFS.label):
            if isinstance(s, URIRef):
                self.schema.labels[self.term(s)] = str(label)

    def add(self, subject: str, relation: str, obj: str, form: Form) -> None:
        self.schema.asserted.append(Statement(subject, relation, obj, form))

    def show(self, node) -> str:
        text = str(node)
        for prefix, ns in (("owl", OWL), ("rdfs", RDFS), ("rdf", RDF), ("kgs", KGS)):
            if text.startswith(str(ns)):
                return f"{prefix}:{text[len(str(ns)):]}"
        if isinstance(node, BNode):
            return self.construct(node)
        return f"<{text}>" if isinstance(node, URIRef) else f"the literal {' '.join(text.split())[:60]!r}"

    # --- blank nodes: named by their construct and where they appear, never by their id

    def anonymous(self, node: BNode) -> OntologyError:
        return self.fail(
            f"unsupported construct: {self.construct(node)} {self.where(node)} (only named terms are supported here)"
        )

    def construct(self, node: BNode) -> str:
        """What a blank node is: "an owl:unionOf class expression of (A, B)", "an owl:allValuesFrom restriction on p"…"""
        if node in self.task_nodes:
            return f"a {min(self.show(o) for o in self.graph.objects(node, RDF.type) if str(o).startswith(str(KGS)))} node"
        if node in self.restrictions:
            kinds = [f"an {self.show(p)} restriction" for p in RESTRICTION_KINDS if (node, p, None) in self.graph]
            on = self.graph.value(node, OWL.onProperty)
            return (kinds or ["an owl:Restriction"])[0] + (f" on {self.name(on)}" if isinstance(on, URIRef) else "")
        for p, kind in EXPRESSIONS.items():
            value = self.graph.value(node, p)
            if value is not None:
                return f"an {self.show(p)} {kind} of {self.members(value)}"
        reserved = sorted(self.show(p) for p in self.graph.predicates(node) if p != RDF.type and str(p).startswith(RESERVED))
        if reserved:
            return f"a blank node with {reserved[0]}"
        if node in self.list_nodes:
            return f"an RDF list {self.members(node)}"
        types = sorted(self.name(o) for o in self.graph.objects(node, RDF.type) if o not in CLASS_TYPES)
        return f"a blank node of type {types[0]}" if types else "an anonymous class/blank node"

    def members(self, value) -> str:
        """`A` or `(A, B, …)`: a list walked at most six steps, so a looping list cannot hang it."""
        if value not in self.list_nodes:
            return self.name(value)
        names, node, seen = [], value, set()
        while node in self.list_nodes and node not in seen and len(names) < 6:
            seen.add(node)
            names.append(self.name(self.graph.value(node, RDF.first)))
            node = self.graph.value(node, RDF.rest)
        return f"({', '.join(names[:5])}{', …' if len(names) > 5 else ''})"

    def name(self, node) -> str:
        if isinstance(node, URIRef):
            return self.show(node) if str(node).startswith(RESERVED) else local_name(str(node))
        return "an anonymous class" if isinstance(node, BNode) else self.show(node)

    def where(self, node: BNode, depth: int = 0) -> str:
        """`in the rdfs:subClassOf of C`: the triple that refers to the node, through lists and nested blank nodes."""
        owner, predicate, seen = node, None, set()
        while predicate is None or (owner in self.list_nodes and predicate == RDF.rest) or predicate == RDF.first:
            refs = sorted(self.graph.subject_predicates(owner), key=lambda sp: (isinstance(sp[0], BNode), str(sp[1])))
            if not refs or owner in seen:
                return "that no named resource refers to"
            seen.add(owner)
            owner, predicate = refs[0]
        if isinstance(owner, BNode):
            outer = self.where(owner, depth + 1) if depth < 2 and owner not in self.task_nodes else ""
            return f"in the {self.name(predicate)} of {self.construct(owner)} {outer}".rstrip()
        return f"in the {self.name(predicate)} of {self.name(owner)}"
