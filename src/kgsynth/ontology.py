"""Read an RDF/OWL file with rdflib into a Schema: the logic, the labels, the tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.util import guess_format

from .errors import OntologyError
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
    return SchemaReader(graph, str(path)).read()


def parse_graph(path: Path) -> rdflib.Graph:
    if not path.is_file():
        raise OntologyError(f"ontology file not found: {path}")
    graph = rdflib.Graph()
    try:
        graph.parse(str(path), format=guess_format(str(path)) or "turtle")
    except Exception as exc:  # rdflib raises many types for malformed input
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise OntologyError(f"{path}: malformed RDF: {detail[:300]}") from None
    return graph


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
        if not isinstance(node, URIRef):
            raise self.fail(f"expected a named resource, got {node!r}")
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
        if isinstance(node, BNode):
            raise self.fail(f"anonymous class expressions are supported only as owl:someValuesFrom restrictions, got {node!r}")
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
        links = tuple(self.known_prop(item, "owl:propertyChainAxiom").id for item in Collection(self.graph, o))
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
        return f"<{text}>" if isinstance(node, URIRef) else repr(node)
