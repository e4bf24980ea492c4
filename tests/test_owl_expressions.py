"""Reading OWL 2 RL class expressions (kgsynth.logic.owl_expressions): the Schema structures,
the line where support ends (errors naming construct, subject and file), and --lenient."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import rdflib
from helpers import PREFIXES, fact, isa

from kgsynth.errors import OntologyError
from kgsynth.logic.ontology import load_schema
from kgsynth.logic.oracle import CONTRADICTED, ENTAILED, UNKNOWN, Oracle
from kgsynth.logic.owl_expressions import UnsupportedConstruct
from kgsynth.logic.statement import ISA, Form, Statement
from kgsynth.tasks import build_world

FAMILY = Path(__file__).resolve().parent / "data" / "family_owl.ttl"
BNODE_ID = re.compile(r"BNode|N[0-9a-f]{32}|_:")
HEAD = PREFIXES + ":A a owl:Class . :B a owl:Class . :C a owl:Class .\n:p a owl:ObjectProperty . :q a owl:ObjectProperty .\n"


def write(tmp_path: Path, body: str, name: str = "onto.ttl") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body, encoding="utf-8")
    return path


# --- a family ontology in the style of the public ones --------------------------------


def test_family_ontology_loads_with_its_expressions() -> None:
    schema = load_schema(FAMILY)
    assert not {"Parent", "Mother", "Adult"} - schema.classes
    assert ("Mother", (("isa", "Woman", "class"), ("isa", "Parent", "class"))) in schema.intersections
    assert ("Parent", (("isa", "Person", "class"), ("hasChild", "Person", "some"))) in schema.intersections
    assert ("Person", "hasChild", "Person") in schema.all_values
    assert ("Man", "hasSex", "male") in schema.has_values and ("Man", "hasSex", "male") in schema.value_classes
    assert ("Person", "hasBirthMother", 1) in schema.max_cardinality
    assert schema.properties["hasSex"].functional and schema.properties["hasHusband"].inverse_functional
    assert schema.properties["hasOffspring"].equivalents == ["hasChild"]
    assert ("hasSpouse", "hasParent") in schema.disjoint_properties
    # no anonymous class became a class of the world
    assert all(not term.startswith(("N", "_")) or term in schema.iris for term in schema.classes)
    assert len(schema.one_way) == 1 and "owl:unionOf" in schema.one_way[0] and "Adult" in schema.one_way[0]


def test_family_ontology_closes_as_expected() -> None:
    oracle = Oracle(build_world(load_schema(FAMILY), 0))
    for statement in (isa("ann", "Mother"), isa("bob", "Father"), isa("carl", "Father"), isa("ann", "Grandparent"),
                      fact("carl", "hasSex", "male"), fact("carl", "hasChild", "eve"), isa("carl", "Adult")):
        assert oracle.query(statement).value == ENTAILED, statement
    assert oracle.query(fact("carl", "hasSex", "female")).value == CONTRADICTED  # hasSex is functional
    assert oracle.query(fact("ann", "hasSpouse", "carl")).value != ENTAILED
    assert set(oracle.unsatisfiable) == {"Hermaphrodite"}


def test_the_extension_may_lie(tmp_path: Path) -> None:
    """Turtle in a .owl file and RDF/XML in a .ttl file are read by their content."""
    turtle_as_owl = tmp_path / "family.owl"
    shutil.copy(FAMILY, turtle_as_owl)
    graph = rdflib.Graph().parse(FAMILY, format="turtle")
    xml_as_ttl = tmp_path / "family_xml.ttl"
    xml_as_ttl.write_text(graph.serialize(format="xml"), encoding="utf-8")
    reference = load_schema(FAMILY)
    for path in (turtle_as_owl, xml_as_ttl):
        schema = load_schema(path)
        assert schema.intersections == reference.intersections and schema.asserted == reference.asserted


def test_reading_is_independent_of_blank_node_ids(tmp_path: Path) -> None:
    first, second = load_schema(FAMILY), load_schema(FAMILY)
    assert (first.intersections, first.inclusions, first.one_way) == (second.intersections, second.inclusions,
                                                                       second.one_way)


def test_a_named_class_with_its_own_intersection_list(tmp_path: Path) -> None:
    """RDF/XML often writes C owl:intersectionOf (A B) on the named class itself: C ≡ A ⊓ B."""
    schema = load_schema(write(tmp_path, ":C owl:intersectionOf ( :A :B ) .\n"))
    assert ("C", (("isa", "A", "class"), ("isa", "B", "class"))) in schema.intersections
    assert (Statement("C", ISA, "A", Form.ALL), "scm-int") in schema.inclusions


def test_owl_thing_as_a_superclass_says_nothing(tmp_path: Path) -> None:
    schema = load_schema(write(tmp_path, ":A rdfs:subClassOf owl:Thing . :x a owl:Thing , :A .\n"))
    assert "Thing" not in schema.classes and Statement("x", ISA, "A") in schema.asserted


# --- where support ends: one line naming the construct, the subject and the file -----------

UNSUPPORTED = {
    "union as a superclass": (":C rdfs:subClassOf [ owl:unionOf ( :A :B ) ] .\n",
                              "an owl:unionOf class expression of (A, B) in the rdfs:subClassOf of C"),
    "union as a domain": (":p rdfs:domain [ owl:unionOf ( :A :B ) ] .\n",
                          "an owl:unionOf class expression of (A, B) in the rdfs:domain of p"),
    "allValuesFrom as a subclass": (
        "[ a owl:Restriction ; owl:onProperty :p ; owl:allValuesFrom :B ] rdfs:subClassOf :A .\n",
        "an owl:allValuesFrom restriction on p"),
    "maxCardinality 3": (":A rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :p ; owl:maxCardinality 3 ] .\n",
                         "an owl:maxCardinality restriction on p in the rdfs:subClassOf of A"),
    "minCardinality": (":A rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :p ; owl:minCardinality 1 ] .\n",
                       "an owl:minCardinality restriction on p in the rdfs:subClassOf of A"),
    "complementOf": (":A owl:equivalentClass [ owl:complementOf :B ] .\n",
                     "an owl:complementOf class expression of B in the owl:equivalentClass of A"),
    "datatype property": (":age a owl:DatatypeProperty .\n", "<http://example.org/t#age> rdf:type owl:DatatypeProperty"),
    "reflexive property": (":p a owl:ReflexiveProperty .\n", "rdf:type owl:ReflexiveProperty"),
}


@pytest.mark.parametrize("case", list(UNSUPPORTED))
def test_unsupported_construct_names_construct_subject_and_file(tmp_path: Path, case: str) -> None:
    body, expected = UNSUPPORTED[case]
    path = write(tmp_path, body)
    with pytest.raises(UnsupportedConstruct) as info:
        load_schema(path)
    message = str(info.value)
    assert isinstance(info.value, OntologyError)
    assert message.startswith(f"{path}: unsupported construct: ") and expected in message
    assert "\n" not in message and not BNODE_ID.search(message), message


# --- --lenient: skip, record, and never close the world over what was skipped -----------------

LENIENT = """
:D a owl:Class ; rdfs:subClassOf [ owl:unionOf ( :A :B ) ] .
:r a owl:ObjectProperty , owl:ReflexiveProperty ; rdfs:subPropertyOf :s ; kgs:closed true .
:s a owl:ObjectProperty ; kgs:closed true .
:p kgs:closed true .
:x a [ owl:complementOf :C ] .
:age a owl:DatatypeProperty .
:a :p :b . :a :r :b . :c a :A . :d :age :e .
[] a owl:AllDifferent ; owl:distinctMembers ( :a :b :c ) .
:a owl:differentFrom :c .
"""


def test_lenient_skips_and_records_per_construct(tmp_path: Path) -> None:
    path = write(tmp_path, LENIENT)
    with pytest.raises(UnsupportedConstruct):
        load_schema(path)
    schema = load_schema(path, lenient=True)
    assert set(schema.skipped) == {"owl:unionOf class expression", "owl:complementOf class expression",
                                   "rdf:type owl:ReflexiveProperty", "rdf:type owl:DatatypeProperty",
                                   "assertion of a skipped property"}
    assert schema.skipped["owl:unionOf class expression"] == [
        "an owl:unionOf class expression of (A, B) in the rdfs:subClassOf of D (OWL 2 RL allows a union only as a "
        "subclass, not as a superclass)"]
    assert all(not BNODE_ID.search(e) for examples in schema.skipped.values() for e in examples)
    # the rest is read as usual
    assert Statement("a", "p", "b") in schema.asserted and Statement("c", ISA, "A") in schema.asserted


def test_lenient_never_closes_the_world_over_a_touched_term(tmp_path: Path) -> None:
    schema = load_schema(write(tmp_path, LENIENT), lenient=True)
    assert {"D", "A", "B", "r", "s", "x", "C", "age"} <= schema.open_terms  # s: r's facts become s's
    assert not schema.properties["r"].closed and not schema.properties["s"].closed
    assert schema.properties["p"].closed
    oracle = Oracle(build_world(schema, 0))
    assert oracle.query(fact("b", "r", "a"), closed_world=True).value == UNKNOWN  # r is reflexive: not "false"
    assert oracle.query(fact("b", "s", "a"), closed_world=True).value == UNKNOWN
    assert oracle.query(fact("b", "p", "a"), closed_world=True).value == CONTRADICTED  # untouched, kgs:closed


def test_lenient_keeps_the_members_of_an_intersection_that_rl_reads(tmp_path: Path) -> None:
    """C ≡ A ⊓ (B ⊔ C'): scm-int's C ⊑ A holds alone, so skipping the union keeps it (the pizza
    ontology's Country ≡ DomainConcept ⊓ {America, …} needs this to match owlrl)."""
    path = write(tmp_path, ":D a owl:Class .\n:D owl:equivalentClass [ owl:intersectionOf ( [ owl:unionOf ( :B :C ) ] :A ) ] .\n"
                           ":d a :D .\n")
    with pytest.raises(UnsupportedConstruct, match="owl:unionOf class expression of \\(B, C\\)"):
        load_schema(path)
    schema = load_schema(path, lenient=True)
    assert list(schema.skipped) == ["owl:unionOf class expression"]
    assert Statement("D", ISA, "A", Form.ALL) in Oracle(build_world(schema, 0)).closure
    assert Statement("d", ISA, "A") in Oracle(build_world(schema, 0)).closure


def test_an_import_and_what_it_declares_are_skipped_under_lenient(tmp_path: Path) -> None:
    """As in the W3C wine ontology: it imports food and names food's properties without declaring them."""
    path = write(tmp_path, "<http://example.org/test> a owl:Ontology ; owl:imports <http://example.org/food> .\n"
                           ":p rdfs:subPropertyOf <http://example.org/food#madeFrom> .\n:a :p :b .\n")
    with pytest.raises(UnsupportedConstruct, match="owl:imports on .*fetches nothing: merge the imported ontology"):
        load_schema(path)
    schema = load_schema(path, lenient=True)
    assert set(schema.skipped) == {"owl:imports", "use of an undeclared property"}
    assert schema.skipped["use of an undeclared property"] == [
        "rdfs:subPropertyOf names <http://example.org/food#madeFrom>, which is not an owl:ObjectProperty"]
    assert Statement("a", "p", "b") in schema.asserted and "p" in schema.open_terms


SWRL_RULE = """@prefix swrl: <http://www.w3.org/2003/11/swrl#> .
:x a swrl:Variable .
[ a swrl:Imp ; rdfs:comment "A(x) -> B(x)" ;
  swrl:body ( [ a swrl:ClassAtom ; swrl:classPredicate :A ; swrl:argument1 :x ] ) ;
  swrl:head ( [ a swrl:ClassAtom ; swrl:classPredicate :B ; swrl:argument1 :x ] ) ] .
:a a :A .
"""


def test_a_swrl_rule_is_named_and_skipped_under_lenient(tmp_path: Path) -> None:
    """Protégé family ontologies carry SWRL rules: outside OWL 2 RL, so an error, or skipped with their terms opened."""
    path = write(tmp_path, SWRL_RULE)
    with pytest.raises(UnsupportedConstruct, match="SWRL rule") as info:
        load_schema(path)
    assert not BNODE_ID.search(str(info.value))
    schema = load_schema(path, lenient=True)
    assert "swrl:Imp" in schema.skipped and "rdf:type swrl:Variable" in schema.skipped
    assert "x" not in schema.individuals and "Variable" not in schema.classes
    assert {"A", "B"} <= schema.open_terms  # the rule would make a a B: never closed-world false
