"""Read an RDF/OWL file with rdflib into a Schema: the logic, the labels, the tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from ..errors import OntologyError
from .node_names import ANNOTATIONS, CLASS_TYPES, RESERVED, NodeNames, local_name
from .owl_expressions import CLASS_EXPRESSIONS, ExpressionReader, UnsupportedConstruct, open_world, settle
from .rdf_input import read_graph
from .settings import KGS, TaskConfig, parse_task
from .statement import ISA, Form, Statement

CHARACTERISTICS = {
    OWL.TransitiveProperty: "transitive",
    OWL.SymmetricProperty: "symmetric",
    OWL.AsymmetricProperty: "asymmetric",
    OWL.IrreflexiveProperty: "irreflexive",
    OWL.FunctionalProperty: "functional",
    OWL.InverseFunctionalProperty: "inverse_functional",
}
IGNORED_TYPES = {OWL.NamedIndividual, OWL.Ontology, OWL.Restriction, OWL.AnnotationProperty}


@dataclass
class Property:
    id: str
    transitive: bool = False
    symmetric: bool = False
    asymmetric: bool = False
    irreflexive: bool = False
    functional: bool = False
    inverse_functional: bool = False
    inverse: str | None = None
    supers: list[str] = field(default_factory=list)
    equivalents: list[str] = field(default_factory=list)  # owl:equivalentProperty
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
    # OWL 2 RL structures beside the named classes (see owl_expressions, owl_rules)
    inclusions: list[tuple[Statement, str]] = field(default_factory=list)  # A ⊑ B from rule scm-eqc1/scm-int/scm-uni
    # (C, members): B1 ⊓ … ⊑ C, a member (isa, B, "class"), (p, D, "some") for ∃p.D or (p, v, "value") for ∃p.{v}
    intersections: list[tuple[str, tuple[tuple[str, str, str], ...]]] = field(default_factory=list)
    all_values: list[tuple[str, str, str]] = field(default_factory=list)  # (C, p, D): C ⊑ ∀p.D
    has_values: list[tuple[str, str, str]] = field(default_factory=list)  # (C, p, v): C ⊑ ∃p.{v}
    value_classes: list[tuple[str, str, str]] = field(default_factory=list)  # (C, p, v): ∃p.{v} ⊑ C
    some_values_classes: list[tuple[str, str, str]] = field(default_factory=list)  # (C, p, D): ∃p.D ⊑ C
    max_cardinality: list[tuple[str, str, int]] = field(default_factory=list)  # (C, p, n): C ⊑ ≤n p, n ∈ {0, 1}
    disjoint_properties: list[tuple[str, str]] = field(default_factory=list)
    # where support ends: skipped axioms (--lenient) by construct, halves of equivalences
    # OWL 2 RL drops, and the terms they touch (never given closed-world verdicts)
    lenient: bool = False
    skipped: dict[str, list[str]] = field(default_factory=dict)
    one_way: list[str] = field(default_factory=list)
    open_terms: set[str] = field(default_factory=set)

    def iri(self, term_id: str) -> str:
        return self.iris[term_id]


def load_schema(path: str | Path, lenient: bool = False) -> Schema:
    """Parse `path` and return its Schema, or raise OntologyError naming the problem.
    `lenient`: skip unsupported axioms instead, recording them in `Schema.skipped`."""
    graph = parse_graph(Path(path))
    schema = SchemaReader(graph, str(path), lenient).read()
    if not (schema.classes or schema.individuals or schema.asserted or schema.tasks):
        raise OntologyError(f"{path}: the ontology is empty: nothing to generate")
    return schema


def parse_graph(path: Path) -> rdflib.Graph:
    """The file's triples; reading it never opens another file or the network (see rdf_input)."""
    return read_graph(path)


class SchemaReader(NodeNames):
    """One pass over the triples; every triple is either understood or an error."""

    def __init__(self, graph: rdflib.Graph, path: str, lenient: bool = False):
        self.graph = graph
        self.path = path
        self.schema = Schema(path=path, lenient=lenient)
        self.ids: dict[str, str] = {}  # IRI -> term id
        self.restrictions = {s for s in graph.subjects(RDF.type, OWL.Restriction)}
        self.restrictions |= {s for s in graph.subjects(OWL.onProperty, None) if isinstance(s, BNode)}
        self.expressions = {s for p in CLASS_EXPRESSIONS for s in graph.subjects(p, None) if isinstance(s, BNode)}
        self.owl = ExpressionReader(self)
        self.task_nodes = {
            s for s, o in graph.subject_objects(RDF.type) if str(o).startswith(str(KGS))
        }
        self.list_nodes = {s for s in graph.subjects(RDF.first, None)}
        # owl:AllDifferent and owl:differentFrom say what unique names assume already
        self.all_different = set(graph.subjects(RDF.type, OWL.AllDifferent))

    def fail(self, message: str) -> OntologyError:
        return OntologyError(f"{self.path}: {message}")

    def term(self, node) -> str:
        if isinstance(node, BNode):
            raise self.anonymous(node)
        if not isinstance(node, URIRef):
            raise self.fail(f"expected a named resource, got {self.show(node)}")
        iri = str(node)
        return self.ids.get(iri) or self.new_id(iri)

    def new_id(self, iri: str) -> str:
        """The IRI's local name, or, when another IRI has it already (food#Wine beside wine#Wine),
        the local name with the first free number: Wine_2 (triples are read in sorted order)."""
        base = local_name(iri)
        term_id, number = base, 1
        while term_id in self.schema.iris:
            number += 1
            term_id = f"{base}_{number}"
        self.schema.iris[term_id] = iri
        self.ids[iri] = term_id
        return term_id

    def id_of(self, node) -> str:
        """The id of a named node met already (or its local name)."""
        return self.ids.get(str(node)) or local_name(str(node))

    def read(self) -> Schema:
        for s, o in sorted(self.graph.subject_objects(OWL.imports)):  # first: it explains undeclared terms
            self.guarded(self.read_triple, s, OWL.imports, o)
        for s, o in sorted(self.graph.subject_objects(RDF.type)):
            self.guarded(self.read_declaration, s, RDF.type, o)
        for s, p, o in sorted(self.graph):
            if p != OWL.imports:  # read first, above
                self.guarded(self.read_triple, s, p, o)
        for node in sorted(self.restrictions | self.expressions):
            if not any(True for _ in self.graph.subjects(None, node)) and (node, RDFS.subClassOf, None) not in self.graph:
                self.guarded(self.orphan, node, None, None)
        # blank-node ids differ between parses: order tasks by their settings instead
        self.schema.tasks = sorted((self.read_task(node) for node in self.task_nodes), key=repr)
        self.read_labels()
        self.schema.asserted = sorted(set(self.schema.asserted))
        settle(self.schema)
        open_world(self.schema)
        return self.schema

    def guarded(self, read, s, p, o) -> None:
        """read(s, p, o); under --lenient an unsupported construct is recorded, not raised."""
        try:
            read(s, p, o)
        except UnsupportedConstruct as exc:
            if not self.schema.lenient:
                raise
            shown = exc.detail
            examples = self.schema.skipped.setdefault(exc.kind, [])
            if shown not in examples:
                examples.append(shown)
            self.schema.open_terms |= self.touched(s) | self.touched(o)

    def orphan(self, node, *_) -> None:
        raise self.anonymous(node)

    def touched(self, node) -> set[str]:
        """The named terms in `node` and the blank nodes under it: what a skipped axiom is about."""
        found, stack, seen = set(), [node], set()
        while stack:
            current = stack.pop()
            if isinstance(current, URIRef) and not str(current).startswith(RESERVED):
                found.add(self.id_of(current))
            elif isinstance(current, BNode) and current not in seen:
                seen.add(current)
                stack.extend(o for _, o in self.graph.predicate_objects(current))
        return found

    def read_declaration(self, s, _, o) -> None:
        if s in self.restrictions or s in self.task_nodes or s in self.expressions or s in self.all_different:
            return
        if o in CLASS_TYPES:
            self.schema.classes.add(self.term(s))
        elif o == OWL.ObjectProperty or o in CHARACTERISTICS:
            prop = self.prop(s)
            if o in CHARACTERISTICS:
                setattr(prop, CHARACTERISTICS[o], True)
        elif str(o).startswith(RESERVED) and o not in IGNORED_TYPES and o != OWL.Thing:
            if isinstance(s, BNode):
                raise self.anonymous(s)
            raise UnsupportedConstruct(self.path, f"{self.show(s)} rdf:type {self.show(o)}",
                                       f"rdf:type {self.show(o)}")

    def prop(self, node) -> Property:
        term_id = self.term(node)
        return self.schema.properties.setdefault(term_id, Property(term_id))

    def known_prop(self, node, where: str) -> Property:
        term_id = self.term(node)
        if term_id not in self.schema.properties:
            # not fatal under --lenient: the declaration may be in an ontology this one imports
            raise UnsupportedConstruct(self.path, f"{where} names {self.show(node)}, which is not "
                                       "an owl:ObjectProperty",
                                       "use of an undeclared property")
        return self.schema.properties[term_id]

    def read_triple(self, s, p, o) -> None:
        if s in self.task_nodes or s in self.list_nodes or s in self.all_different or p == OWL.differentFrom:
            return  # read through their owners
        if s in self.restrictions or s in self.expressions:
            if p in (RDFS.subClassOf, OWL.equivalentClass) and isinstance(o, URIRef):  # a general class axiom X ⊑ A
                self.owl.subclass(s, self.cls(o), "asserted") if p == RDFS.subClassOf else self.owl.equivalent(self.cls(o), s)
            return  # otherwise read through their owners
        if p == RDF.type:
            self.read_type(s, o)
        elif p in ANNOTATIONS or (isinstance(o, Literal) and not str(p).startswith(RESERVED)):
            return
        elif p == RDFS.subClassOf:
            self.owl.superclass(self.cls(s), o, "asserted")
        elif p == OWL.equivalentClass:
            self.owl.equivalent(self.cls(s), o)
        elif p in (OWL.intersectionOf, OWL.unionOf) and isinstance(s, URIRef):  # a named class defined by a list
            self.owl.defined(self.cls(s), p, o)
        elif p == OWL.equivalentProperty:
            left, right = self.known_prop(s, "owl:equivalentProperty"), self.known_prop(o, "owl:equivalentProperty")
            left.equivalents.append(right.id)
            right.equivalents.append(left.id)
        elif p == OWL.propertyDisjointWith:
            pair = (self.known_prop(s, "owl:propertyDisjointWith").id, self.known_prop(o, "owl:propertyDisjointWith").id)
            self.schema.disjoint_properties.append(pair)
        elif p == OWL.disjointWith:
            self.add(self.cls(s), ISA, self.cls(o), Form.NO)
        elif p == OWL.inverseOf:
            self.read_inverse(s, o)
        elif p == RDFS.subPropertyOf:
            self.known_prop(s, "rdfs:subPropertyOf").supers.append(self.known_prop(o, "rdfs:subPropertyOf").id)
        elif p == OWL.propertyChainAxiom:
            self.read_chain(s, o)
        elif p in (RDFS.domain, RDFS.range):
            getattr(self.known_prop(s, self.show(p)), "domain" if p == RDFS.domain else "range").extend(self.classes_of(o))
        elif p == KGS.closed:
            self.known_prop(s, "kgs:closed").closed = bool(o.toPython()) if isinstance(o, Literal) else True
        elif str(p).startswith(RESERVED):
            if isinstance(s, BNode):
                raise self.anonymous(s)
            why = " (kgsynth reads one file and fetches nothing: merge the imported ontology into it)" if p == OWL.imports else ""
            raise UnsupportedConstruct(self.path, f"{self.show(p)} on {self.show(s)}{why}", self.show(p))
        else:
            self.read_assertion(s, p, o)

    def read_type(self, s, o) -> None:
        if o in CLASS_TYPES or o in CHARACTERISTICS or o in IGNORED_TYPES or o == OWL.ObjectProperty:
            return
        if str(o).startswith(RESERVED) and o != OWL.Thing:
            return  # an unsupported rdf:type: reported (or skipped) by read_declaration
        individual = self.term(s)
        self.schema.individuals.add(individual)
        if o != OWL.Thing:
            self.owl.member(individual, o)

    def cls(self, node) -> str:
        term_id = self.term(node)
        if str(node).startswith(RESERVED):
            raise UnsupportedConstruct(self.path, f"{self.show(node)} used as a class",
                                       f"{self.show(node)} as a class")
        self.schema.classes.add(term_id)
        return term_id

    def classes_of(self, node) -> list[str]:
        """A domain or range: owl:Thing (nothing to say), a named class, or an intersection of named classes."""
        if node == OWL.Thing:
            return []
        kind, value = self.owl.shape(node) if isinstance(node, BNode) else ("named", [node])
        if kind not in ("named", "intersection") or not all(isinstance(m, URIRef) for m in value):
            raise self.owl.unsupported(node, "(a domain or range must be a named class or an intersection of them)")
        return [self.cls(m) for m in value]

    def read_inverse(self, s, o) -> None:
        left, right = self.known_prop(s, "owl:inverseOf"), self.known_prop(o, "owl:inverseOf")
        self.schema.forward_inverses.add(left.id)
        for a, b in ((left, right), (right, left)):
            if a.inverse not in (None, b.id):
                raise self.fail(f"{a.id} has two inverses: {a.inverse} and {b.id}")
            a.inverse = b.id

    def rdf_list(self, node, what: str) -> list:
        """The members of the RDF list at `node`; `what` names it in the error for a looping list."""
        try:
            return list(Collection(self.graph, node))
        except ValueError:  # rdflib refuses a list whose rdf:rest loops back
            raise self.fail(f"{what} is not a proper RDF list (its rdf:rest loops)") from None

    def read_chain(self, s, o) -> None:
        result = self.known_prop(s, "owl:propertyChainAxiom").id
        items = self.rdf_list(o, f"owl:propertyChainAxiom of {result}")
        links = tuple(self.known_prop(item, "owl:propertyChainAxiom").id for item in items)
        if not links:
            raise self.fail(f"owl:propertyChainAxiom of {result} is an empty list")
        if len(links) == 1:  # as ontology editors write p ⊑ q: prp-spo2 with one link is prp-spo1
            self.schema.properties[links[0]].supers.append(result)
        else:
            self.schema.chains.append((result, links))

    def read_assertion(self, s, p, o) -> None:
        if self.id_of(p) in self.schema.open_terms and self.id_of(p) not in self.schema.properties:
            raise UnsupportedConstruct(self.path, f"the triple {self.show(s)} {self.show(p)} "
                                       f"{self.show(o)}, whose property was skipped", "assertion of a skipped property")
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
