"""Differential test: kgsynth's closure against owlrl's OWL 2 RL closure of the same graph.

Compared: triples between named resources (no blank nodes, no literals) whose predicate is
  - rdf:type with a class declared in the ontology as object,
  - rdfs:subClassOf between two distinct declared classes,
  - a declared object property.
Not compared: owlrl's reflexive subClassOf, owl:Thing/owl:Nothing, owl:sameAs and the like,
restriction (blank node) classes, and owl:disjointWith (OWL 2 RL has no rule deriving
inherited disjointness; kgsynth does). kgsynth assumes unique names: where owlrl concludes
owl:sameAs between two names (prp-fp, prp-ifp, cls-maxc2), kgsynth finds a contradiction.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import owlrl
import pytest
import rdflib
from helpers import Onto, ontologies
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kgsynth.data.export import closure_turtle, kb_turtle
from kgsynth.errors import InconsistencyError
from kgsynth.logic.ontology import load_schema
from kgsynth.logic.oracle import Oracle
from kgsynth.tasks import build_world

ONTOLOGIES = Path(__file__).resolve().parent.parent / "ontologies"


def compared(graph: rdflib.Graph, classes: set, properties: set) -> set:
    out = set()
    for s, p, o in graph:
        if not (isinstance(s, URIRef) and isinstance(o, URIRef)):
            continue
        if (p == RDF.type and o in classes) or (p == RDFS.subClassOf and s in classes and o in classes and s != o) or (
            p in properties
        ):
            out.add((s, p, o))
    return out


def declared(graph: rdflib.Graph) -> tuple[set, set]:
    classes = {c for c in graph.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    properties = {p for p in graph.subjects(RDF.type, OWL.ObjectProperty) if isinstance(p, URIRef)}
    return classes, properties


def owlrl_closure(graph: rdflib.Graph) -> rdflib.Graph:
    expanded = rdflib.Graph()
    for triple in graph:
        expanded.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(expanded)
    return expanded


def kgsynth_closure(path: Path, seed: int = 0) -> tuple[Oracle, rdflib.Graph]:
    oracle = Oracle(build_world(load_schema(path), seed))
    graph = rdflib.Graph()
    graph.parse(data=closure_turtle(oracle), format="turtle")
    return oracle, graph


def assert_same(ours: rdflib.Graph, theirs: rdflib.Graph, classes: set, properties: set) -> None:
    mine, reference = compared(ours, classes, properties), compared(theirs, classes, properties)
    missing = sorted(reference - mine)
    extra = sorted(mine - reference)
    assert not missing and not extra, f"kgsynth lacks {missing[:10]}; kgsynth has, owlrl does not: {extra[:10]}"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ontologies(max_facts=5))
def test_random_ontologies_match_owlrl(onto: Onto) -> None:
    text = onto.turtle()
    graph = rdflib.Graph()
    graph.parse(data=text, format="turtle")
    assert len(graph) <= 60
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.ttl"
        path.write_text(text, encoding="utf-8")
        _, ours = kgsynth_closure(path)
    classes, properties = declared(graph)
    assert_same(ours, owlrl_closure(graph), classes, properties)


def small_variant(name: str, replacements: dict[str, str], tmp_path: Path) -> Path:
    text = (ONTOLOGIES / name).read_text(encoding="utf-8")
    for pattern, value in replacements.items():
        text, n = re.subn(pattern, value, text)
        assert n == 1, pattern
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "name, replacements",
    [
        ("family.ttl", {r"kgs:families \d+": "kgs:families 2"}),
        ("simple_reversals.ttl", {r"kgs:facts \d+": "kgs:facts 12", r"kgs:chainLength \d+": "kgs:chainLength 3"}),
        ("celebrities.ttl", {r"kgs:celebrities \d+": "kgs:celebrities 8"}),
    ],
)
def test_shipped_ontology_matches_owlrl(name, replacements, tmp_path) -> None:
    """A small world of a shipped ontology: owlrl closes the ontology plus the world's kb."""
    path = small_variant(name, replacements, tmp_path)
    oracle, ours = kgsynth_closure(path, seed=3)
    graph = rdflib.Graph()
    graph.parse(str(path), format="turtle")
    graph.parse(data=kb_turtle(oracle.world), format="turtle")
    classes, properties = declared(graph)
    assert len(oracle.world.individuals) > 5
    theirs = owlrl_closure(graph)
    assert_same(ours, theirs, classes, properties)
    # the comparison is not vacuous: the closure derives property facts beyond the asserted ones
    asserted = rdflib.Graph()
    asserted.parse(data=kb_turtle(oracle.world), format="turtle")
    assert len(compared(theirs, classes, properties)) > len(compared(asserted, classes, properties))


# --- OWL 2 RL class expressions and property axioms --------------------------------------

RL_HEAD = (
    "@prefix : <http://example.org/t#> .\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
)
RL_CLASSES = [f"C{i}" for i in range(4)]
RL_PROPS = ["p0", "p1", "p2"]
RL_INDS = ["i0", "i1", "i2"]


@st.composite
def rl_member(draw) -> str:
    """A member of an intersection: a named class, ∃p.D or ∃p.{v}."""
    kind = draw(st.sampled_from(["class", "class", "some", "value"]))
    p, c, v = draw(st.sampled_from(RL_PROPS)), draw(st.sampled_from(RL_CLASSES)), draw(st.sampled_from(RL_INDS))
    if kind == "class":
        return f":{c}"
    filler = f"owl:someValuesFrom :{c}" if kind == "some" else f"owl:hasValue :{v}"
    return f"[ a owl:Restriction ; owl:onProperty :{p} ; {filler} ]"


@st.composite
def rl_axiom(draw) -> str:
    c, d = draw(st.sampled_from(RL_CLASSES)), draw(st.sampled_from(RL_CLASSES))
    p, q, v = draw(st.sampled_from(RL_PROPS)), draw(st.sampled_from(RL_PROPS)), draw(st.sampled_from(RL_INDS))
    members = " ".join(draw(st.lists(rl_member(), min_size=2, max_size=3)))
    names = " ".join(f":{x}" for x in draw(st.lists(st.sampled_from(RL_CLASSES), min_size=2, max_size=3)))
    restriction = "[ a owl:Restriction ; owl:onProperty :{} ; {} ]".format
    return draw(st.sampled_from([
        f":{c} rdfs:subClassOf :{d} .",
        f":{c} owl:equivalentClass :{d} .",
        f":{c} owl:equivalentClass [ owl:intersectionOf ( {members} ) ] .",
        f":{c} owl:equivalentClass [ owl:unionOf ( {names} ) ] .",
        f":{c} rdfs:subClassOf {restriction(p, f'owl:allValuesFrom :{d}')} .",
        f":{c} rdfs:subClassOf {restriction(p, f'owl:hasValue :{v}')} .",
        f":{c} owl:equivalentClass {restriction(p, f'owl:hasValue :{v}')} .",
        f":{c} owl:equivalentClass {restriction(p, f'owl:someValuesFrom :{d}')} .",
        f":{c} rdfs:subClassOf {restriction(p, 'owl:maxCardinality 1')} .",
        f":{p} a owl:FunctionalProperty .",
        f":{p} a owl:InverseFunctionalProperty .",
        f":{p} owl:equivalentProperty :{q} .",
        f":{p} owl:propertyDisjointWith :{q} ." if p != q else f":{c} owl:disjointWith :{d} .",
    ]))


@st.composite
def rl_ontologies(draw) -> str:
    lines = [f":{c} a owl:Class ." for c in RL_CLASSES] + [f":{p} a owl:ObjectProperty ." for p in RL_PROPS]
    lines += draw(st.lists(rl_axiom(), min_size=1, max_size=5))
    lines += [f":{a} a :{c} ." for a, c in draw(st.lists(st.tuples(st.sampled_from(RL_INDS), st.sampled_from(RL_CLASSES)),
                                                           min_size=1, max_size=6))]
    lines += [f":{a} :{p} :{b} ." for a, p, b in draw(st.lists(
        st.tuples(st.sampled_from(RL_INDS), st.sampled_from(RL_PROPS), st.sampled_from(RL_INDS)), min_size=1, max_size=6))]
    return RL_HEAD + "\n".join(lines) + "\n"


def owlrl_contradiction(graph: rdflib.Graph) -> bool:
    """owlrl found `false`, or made two distinct names the same thing (unique names: false)."""
    errors = any(True for _ in graph.subjects(RDF.type, URIRef("http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage")))
    merged = any(isinstance(a, URIRef) and isinstance(b, URIRef) and a != b for a, b in graph.subject_objects(OWL.sameAs))
    return errors or merged


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rl_ontologies())
def test_random_rl_ontologies_match_owlrl(text: str) -> None:
    """Intersections, unions, equivalences, allValuesFrom, hasValue, someValuesFrom definitions,
    maxCardinality 1, functional / inverse-functional / equivalent / disjoint properties: the
    same closure as owlrl, and a contradiction exactly when owlrl finds one (or a sameAs)."""
    graph = rdflib.Graph()
    graph.parse(data=text, format="turtle")
    theirs = owlrl_closure(graph)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.ttl"
        path.write_text(text, encoding="utf-8")
        try:
            _, ours = kgsynth_closure(path)
        except InconsistencyError:
            assert owlrl_contradiction(theirs), "kgsynth finds a contradiction owlrl does not"
            return
    assert not owlrl_contradiction(theirs), "owlrl finds a contradiction kgsynth does not"
    classes, properties = declared(graph)
    assert_same(ours, theirs, classes, properties)


def test_family_ontology_matches_owlrl() -> None:
    """The family test ontology (tests/data): unions, intersections with restrictions, hasValue,
    functional and equivalent properties, sample individuals."""
    path = Path(__file__).resolve().parent / "data" / "family_owl.ttl"
    _, ours = kgsynth_closure(path)
    graph = rdflib.Graph()
    graph.parse(path, format="turtle")
    classes, properties = declared(graph)
    theirs = owlrl_closure(graph)
    assert_same(ours, theirs, classes, properties)
    assert len(compared(theirs, classes, properties)) > len(compared(graph, classes, properties)) + 30
