"""How the ontology reader names what it reads: reserved terms by prefix, blank nodes by their
construct and where they appear (never by their id, which differs between parses)."""

from __future__ import annotations

import rdflib
from rdflib import BNode, URIRef
from rdflib.namespace import OWL, RDF, RDFS, Namespace

from .owl_expressions import UnsupportedConstruct
from .settings import KGS

CLASS_TYPES = {OWL.Class, RDFS.Class}
SWRL = Namespace("http://www.w3.org/2003/11/swrl#")  # rules beyond OWL 2 RL: named as such, skipped by --lenient
RESERVED = (str(OWL), str(RDF), str(RDFS), str(KGS), str(SWRL))
ANNOTATIONS = {RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy, OWL.versionInfo}  # say nothing about a node's kind
RESTRICTION_KINDS = (
    OWL.someValuesFrom, OWL.allValuesFrom, OWL.hasValue, OWL.hasSelf, OWL.cardinality, OWL.minCardinality,
    OWL.maxCardinality, OWL.qualifiedCardinality, OWL.minQualifiedCardinality, OWL.maxQualifiedCardinality,
)
EXPRESSIONS = {
    OWL.unionOf: "class expression", OWL.intersectionOf: "class expression", OWL.complementOf: "class expression",
    OWL.oneOf: "enumeration", OWL.inverseOf: "property expression",
}


def local_name(iri: str) -> str:
    for sep in ("#", "/", ":"):
        if sep in iri:
            tail = iri.rsplit(sep, 1)[1]
            if tail:
                return tail
    return iri


class NodeNames:
    """Mixed into SchemaReader, which sets graph, path and the sets of special blank nodes."""

    graph: rdflib.Graph
    path: str
    restrictions: set
    task_nodes: set
    list_nodes: set

    def show(self, node) -> str:
        text = str(node)
        for prefix, ns in (("owl", OWL), ("rdfs", RDFS), ("rdf", RDF), ("kgs", KGS), ("swrl", SWRL)):
            if text.startswith(str(ns)):
                return f"{prefix}:{text[len(str(ns)):]}"
        if isinstance(node, BNode):
            return self.construct(node)
        return f"<{text}>" if isinstance(node, URIRef) else f"the literal {' '.join(text.split())[:60]!r}"

    # --- blank nodes: named by their construct and where they appear, never by their id

    def anonymous(self, node: BNode) -> UnsupportedConstruct:
        return UnsupportedConstruct(self.path, f"{self.construct(node)} {self.where(node)} "
                                    "(only named terms are supported here)", self.kind(node))

    def kind(self, node: BNode) -> str:
        """The construct of a blank node, without its members: the key of --lenient's summary."""
        if node in self.restrictions:
            kinds = [p for p in RESTRICTION_KINDS if (node, p, None) in self.graph]
            return f"{self.show(kinds[0])} restriction" if kinds else "owl:Restriction"
        for p, kind in EXPRESSIONS.items():
            if (node, p, None) in self.graph:
                return f"{self.show(p)} {kind}"
        types = sorted(self.show(o) for o in self.graph.objects(node, RDF.type) if str(o).startswith(RESERVED))
        return types[0] if types else "blank node"

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
        if (node, RDF.type, SWRL.Imp) in self.graph:
            said = self.graph.value(node, RDFS.label) or self.graph.value(node, RDFS.comment)
            named = f" {' '.join(str(said).split())[:60]!r}" if said else ""
            return f"a SWRL rule{named} (swrl:Imp; rules are outside OWL 2 RL)"
        reserved = sorted(self.show(p) for p in self.graph.predicates(node)
                          if p != RDF.type and p not in ANNOTATIONS and str(p).startswith(RESERVED))
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
