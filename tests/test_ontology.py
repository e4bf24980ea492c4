"""Tests for kgsynth.logic.ontology: reading RDF/OWL files into a Schema, and rejecting what it cannot read."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import rdflib

from kgsynth.errors import KgsynthError, OntologyError, SettingsError
from kgsynth.logic.ontology import Schema, load_schema, local_name
from kgsynth.logic.statement import ISA, Form, Statement
from kgsynth.tasks import CelebrityTask, ComparisonTask, FamilyTask, HierarchyTask, SyllogismTask

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGIES = ROOT / "ontologies"
ONTOLOGY_NAMES = sorted(p.stem for p in ONTOLOGIES.glob("*.ttl"))
GENERATIVE_TASKS = (ComparisonTask, SyllogismTask, FamilyTask, CelebrityTask, HierarchyTask)

HEADER = """\
@prefix :     <http://example.org/test#> .
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix kgs:  <https://kgsynth.org/ns#> .
"""

# A small ontology touching most of the logic terms, for the format round trip.
SMALL = HEADER + """\
<http://example.org/test> a owl:Ontology ; rdfs:comment "small test ontology" .
:Animal a owl:Class ; rdfs:label "animal" .
:Dog a owl:Class ; rdfs:label "dog" ;
    rdfs:subClassOf :Animal , [ a owl:Restriction ; owl:onProperty :has ; owl:someValuesFrom :Fur ] .
:Cat a owl:Class ; rdfs:subClassOf :Animal ; owl:disjointWith :Dog .
:Fur a owl:Class .
:has a owl:ObjectProperty ; rdfs:label "have" .
:biggerThan a owl:ObjectProperty , owl:TransitiveProperty , owl:AsymmetricProperty ;
    owl:inverseOf :smallerThan ; kgs:closed true ; rdfs:domain :Animal ; rdfs:range :Animal .
:smallerThan a owl:ObjectProperty , owl:TransitiveProperty , owl:AsymmetricProperty .
:parentOf a owl:ObjectProperty , owl:IrreflexiveProperty ; rdfs:subPropertyOf :relatedTo .
:relatedTo a owl:ObjectProperty , owl:SymmetricProperty .
:grandparentOf a owl:ObjectProperty ; owl:propertyChainAxiom ( :parentOf :parentOf ) .
:rex a owl:NamedIndividual , :Dog .
:tom a :Cat ; :biggerThan :rex ; :parentOf :tim .
[] a kgs:ComparisonTask ; kgs:facts 12 ; kgs:chainLength 3 ; kgs:entityClass :Animal .
"""


def write(tmp_path: Path, body: str, name: str = "test.ttl", header: bool = True) -> Path:
    path = tmp_path / name
    path.write_text((HEADER if header else "") + body, encoding="utf-8")
    return path


def without_path(schema: Schema) -> dict:
    data = dataclasses.asdict(schema)
    data.pop("path")
    return data


def all_isa(schema: Schema) -> dict[str, set[str]]:
    """class -> its direct subclasses, from the asserted ALL-isa statements."""
    subs: dict[str, set[str]] = {}
    for s in schema.asserted:
        if s.relation == ISA and s.form is Form.ALL:
            subs.setdefault(s.object, set()).add(s.subject)
    return subs


def descendants(subs: dict[str, set[str]], root: str) -> set[str]:
    found, stack = set(), [root]
    while stack:
        for child in subs.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


@pytest.fixture(scope="module")
def schemas() -> dict[str, Schema]:
    return {name: load_schema(ONTOLOGIES / f"{name}.ttl") for name in ONTOLOGY_NAMES}


# --- the shipped ontologies -----------------------------------------------------


def test_the_five_ontologies_are_there() -> None:
    assert ONTOLOGY_NAMES == ["celebrities", "family", "semantic_structure", "simple_reversals", "syllogisms"]


@pytest.mark.parametrize("name", ONTOLOGY_NAMES)
def test_every_ontology_loads(name: str, schemas) -> None:
    schema = schemas[name]
    assert isinstance(schema, Schema)
    assert schema.classes
    assert schema.path.endswith(f"{name}.ttl")
    # every term it names has an IRI
    for term in schema.classes | set(schema.properties) | schema.individuals:
        assert local_name(schema.iri(term)) == term


def test_semantic_structure_has_110_categories(schemas) -> None:
    schema = schemas["semantic_structure"]
    assert not [t for t in schema.tasks if isinstance(t, GENERATIVE_TASKS)]  # the world is the ontology itself
    subs = all_isa(schema)
    animals = {"Animal"} | descendants(subs, "Animal")
    objects = {"Object"} | descendants(subs, "Object")
    assert not animals & objects
    assert len(animals | objects) == 110
    assert {"Dog", "Canine", "Mammal"} <= animals
    assert {"Hammer", "Tool"} <= objects
    assert Statement("Dog", ISA, "Canine", Form.ALL) in schema.asserted
    assert Statement("Dog", "can", "Bark", Form.ALL) in schema.asserted  # a someValuesFrom restriction
    assert any(s.form is Form.NO for s in schema.asserted)  # disjoint siblings
    assert set(schema.properties) == {"has", "can", "is", "eats", "livesIn", "madeOf", "usedFor", "chases"}
    assert schema.labels["Dog"] == "dog"


def test_simple_reversals_has_28_strict_order_pairs(schemas) -> None:
    schema = schemas["simple_reversals"]
    forward = sorted(schema.forward_inverses)
    assert len(forward) == 28
    assert len(schema.properties) == 56
    for name in forward:
        prop = schema.properties[name]
        assert prop.strict_order and prop.closed
        inverse = schema.properties[prop.inverse]
        assert inverse.strict_order and inverse.closed
        assert inverse.inverse == name
        assert inverse.id not in schema.forward_inverses
    assert schema.properties["moreDangerousThan"].inverse == "lessDangerousThan"
    assert schema.labels["lessDangerousThan"] == "less dangerous than"
    (task,) = schema.tasks
    assert isinstance(task, ComparisonTask)
    assert (task.facts, task.chain_length, task.entity_class, task.dimension) == (100, 1, "Entity", ())


def test_family_chains_and_relations(schemas) -> None:
    schema = schemas["family"]
    assert ("grandparentOf", ("parentOf", "parentOf")) in schema.chains
    assert ("auntOrUncleOf", ("siblingOf", "parentOf")) in schema.chains
    props = schema.properties
    assert props["parentOf"].inverse == "childOf" and props["childOf"].inverse == "parentOf"
    assert props["parentOf"].supers == ["ancestorOf"]
    assert "ancestorOf" in props["grandparentOf"].supers
    assert props["ancestorOf"].transitive and props["ancestorOf"].strict_order
    assert props["siblingOf"].symmetric and props["siblingOf"].irreflexive
    assert props["parentOf"].asymmetric and not props["parentOf"].transitive
    assert props["parentOf"].domain == ["Person"] and props["parentOf"].range == ["Person"]
    (task,) = schema.tasks
    assert isinstance(task, FamilyTask)
    assert (task.families, task.generations, task.max_children) == (20, 3, 3)
    assert (task.person_class, task.parent_property, task.sibling_property) == ("Person", "parentOf", "siblingOf")


def test_celebrities_and_syllogisms(schemas) -> None:
    celebrities = schemas["celebrities"]
    (task,) = celebrities.tasks
    assert isinstance(task, CelebrityTask)
    assert task.celebrities == 900 and len(task.description_property) == 10
    assert Statement("Celebrity", ISA, "Work", Form.NO) in celebrities.asserted
    for name in task.description_property:
        assert celebrities.properties[name].inverse is not None
    (task,) = schemas["syllogisms"].tasks
    assert isinstance(task, SyllogismTask) and (task.syllogisms, task.valid_only) == (69, True)


# --- other RDF formats ----------------------------------------------------------

FORMATS = [("owl", "xml"), ("rdf", "xml"), ("nt", "nt"), ("jsonld", "json-ld")]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's JSON-LD parser uses ConjunctiveGraph
@pytest.mark.parametrize(("ext", "fmt"), FORMATS, ids=[ext for ext, _ in FORMATS])
@pytest.mark.parametrize("source", ["small", "family"])
def test_other_formats_give_the_same_schema(tmp_path: Path, source: str, ext: str, fmt: str) -> None:
    turtle = write(tmp_path, SMALL, header=False) if source == "small" else ONTOLOGIES / "family.ttl"
    expected = load_schema(turtle)
    graph = rdflib.Graph()
    graph.parse(turtle, format="turtle")
    converted = tmp_path / f"converted.{ext}"
    graph.serialize(destination=str(converted), format=fmt, encoding="utf-8")
    schema = load_schema(converted)
    assert schema.path == str(converted)
    assert without_path(schema) == without_path(expected)


def test_small_ontology_contents(tmp_path: Path) -> None:
    schema = load_schema(write(tmp_path, SMALL, header=False))
    assert schema.classes == {"Animal", "Dog", "Cat", "Fur"}
    assert schema.individuals == {"rex", "tom", "tim"}
    assert set(schema.asserted) == {
        Statement("Dog", ISA, "Animal", Form.ALL),
        Statement("Dog", "has", "Fur", Form.ALL),
        Statement("Cat", ISA, "Animal", Form.ALL),
        Statement("Cat", ISA, "Dog", Form.NO),
        Statement("rex", ISA, "Dog"),
        Statement("tom", ISA, "Cat"),
        Statement("tom", "biggerThan", "rex"),
        Statement("tom", "parentOf", "tim"),
    }
    assert schema.forward_inverses == {"biggerThan"}
    assert schema.properties["biggerThan"].closed and not schema.properties["smallerThan"].closed
    assert schema.chains == [("grandparentOf", ("parentOf", "parentOf"))]
    assert schema.tasks == [ComparisonTask(facts=12, chain_length=3, entity_class="Animal")]


# --- errors ---------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.ttl"
    with pytest.raises(OntologyError, match="ontology file not found") as info:
        load_schema(missing)
    assert str(missing) in str(info.value)


def test_malformed_turtle(tmp_path: Path) -> None:
    path = write(tmp_path, ":a :b .\n", name="broken.ttl")
    with pytest.raises(OntologyError, match="malformed RDF") as info:
        load_schema(path)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message


UNSUPPORTED = {
    "union as a superclass": (":A a owl:Class . :B a owl:Class .\n:C rdfs:subClassOf [ owl:unionOf ( :A :B ) ] .\n",
                              "owl:unionOf"),
    "allValuesFrom as a subclass": (
        ":A a owl:Class . :B a owl:Class . :p a owl:ObjectProperty .\n"
        "[ a owl:Restriction ; owl:onProperty :p ; owl:allValuesFrom :B ] rdfs:subClassOf :A .\n",
        "owl:allValuesFrom",
    ),
    "ReflexiveProperty": (":p a owl:ObjectProperty , owl:ReflexiveProperty .\n", "owl:ReflexiveProperty"),
    "maxCardinality 2": (":A a owl:Class . :p a owl:ObjectProperty .\n:A rdfs:subClassOf [ a owl:Restriction ; "
                         "owl:onProperty :p ; owl:maxCardinality 2 ] .\n", "owl:maxCardinality"),
    "complementOf": (":A a owl:Class . :B a owl:Class .\n:A owl:equivalentClass [ owl:complementOf :B ] .\n",
                     "owl:complementOf"),
    "sameAs": (":a owl:sameAs :b .\n", "owl:sameAs"),
    "unknown kgs term": (":p a owl:ObjectProperty ; kgs:open true .\n", "kgs:open"),
}


@pytest.mark.parametrize("case", list(UNSUPPORTED))
def test_unsupported_construct(tmp_path: Path, case: str) -> None:
    body, term = UNSUPPORTED[case]
    path = write(tmp_path, body)
    with pytest.raises(OntologyError, match="unsupported construct") as info:
        load_schema(path)
    assert term in str(info.value)
    assert str(path) in str(info.value)


def test_undeclared_property_between_resources(tmp_path: Path) -> None:
    path = write(tmp_path, ":a :knows :b .\n")
    with pytest.raises(OntologyError, match="not an owl:ObjectProperty") as info:
        load_schema(path)
    assert "knows" in str(info.value)
    assert str(path) in str(info.value)


def test_literal_valued_custom_predicate_is_an_annotation(tmp_path: Path) -> None:
    schema = load_schema(write(tmp_path, ":Dog a owl:Class ; :note \"a friendly animal\" .\n"))
    assert schema.asserted == [] and schema.classes == {"Dog"}


def test_undeclared_property_in_other_positions(tmp_path: Path) -> None:
    path = write(tmp_path, ":p a owl:ObjectProperty ; owl:inverseOf :q .\n")
    with pytest.raises(OntologyError, match="owl:inverseOf names .*q.*not an owl:ObjectProperty"):
        load_schema(path)


def test_a_local_name_shared_by_two_iris_is_numbered_in_sorted_order(tmp_path: Path) -> None:
    """food#Wine beside wine#Wine (the W3C wine and food ontologies): two terms, A and A_2."""
    path = write(tmp_path, ":A a owl:Class .\n<http://other.org/x#A> a owl:Class ; rdfs:subClassOf :A .\n")
    schema = load_schema(path)
    assert schema.iris == {"A": "http://example.org/test#A", "A_2": "http://other.org/x#A"}
    assert Statement("A_2", ISA, "A", Form.ALL) in schema.asserted


SETTINGS_ERRORS = {
    "unknown setting": ("[] a kgs:SyllogismTask ; kgs:colour \"red\" .\n", "unknown setting kgs:colour"),
    "unknown task": ("[] a kgs:RiddleTask ; kgs:facts 3 .\n", "unknown task kgs:RiddleTask"),
    "string for int": ("[] a kgs:ComparisonTask ; kgs:facts \"ten\" .\n", "kgs:facts of kgs:ComparisonTask must be an integer"),
    "decimal for int": ("[] a kgs:ComparisonTask ; kgs:facts 2.5 .\n", "must be an integer"),
    "below minimum": ("[] a kgs:ComparisonTask ; kgs:facts 0 .\n", "must be at least 1, got 0"),
    "given twice": ("[] a kgs:ComparisonTask ; kgs:facts 3 , 4 .\n", "is given 2 times"),
    "missing required": (
        ":Person a owl:Class . :parentOf a owl:ObjectProperty . :siblingOf a owl:ObjectProperty .\n"
        "[] a kgs:FamilyTask ; kgs:parentProperty :parentOf ; kgs:siblingProperty :siblingOf .\n",
        "kgs:FamilyTask needs kgs:personClass",
    ),
}


@pytest.mark.parametrize("case", list(SETTINGS_ERRORS))
def test_settings_errors(tmp_path: Path, case: str) -> None:
    body, message = SETTINGS_ERRORS[case]
    path = write(tmp_path, body)
    with pytest.raises(SettingsError, match=message) as info:
        load_schema(path)
    assert str(path) in str(info.value)


def test_typed_integer_literal_is_an_integer(tmp_path: Path) -> None:
    schema = load_schema(write(tmp_path, "[] a kgs:ComparisonTask ; kgs:facts \"5\"^^xsd:integer .\n"))
    assert schema.tasks == [ComparisonTask(facts=5)]


def test_a_node_typed_as_two_tasks_is_not_silently_halved(tmp_path: Path) -> None:
    """README.md, "Ontology format": nothing in the kgs: namespace is silently ignored.

    A node typed as two tasks must give both tasks or an error, not quietly drop one.
    """
    body = (
        ":gt a owl:ObjectProperty , owl:TransitiveProperty , owl:AsymmetricProperty ; owl:inverseOf :lt .\n"
        ":lt a owl:ObjectProperty , owl:TransitiveProperty , owl:AsymmetricProperty .\n"
        "[] a kgs:SyllogismTask , kgs:ComparisonTask .\n"
    )
    try:
        schema = load_schema(write(tmp_path, body))
    except KgsynthError as exc:
        assert "ComparisonTask" in str(exc) and "SyllogismTask" in str(exc)
    else:
        kinds = sorted(type(task).__name__ for task in schema.tasks)
        assert kinds == ["ComparisonTask", "SyllogismTask"], f"tasks read: {schema.tasks}"


def test_all_errors_are_kgsynth_errors() -> None:
    assert issubclass(OntologyError, KgsynthError)
    assert issubclass(SettingsError, KgsynthError)


def test_a_one_link_property_chain_is_a_subproperty(tmp_path: Path) -> None:
    """Protégé writes `q owl:propertyChainAxiom ( p )`; prp-spo2 with one link is prp-spo1, p ⊑ q."""
    path = write(tmp_path, ":A a owl:Class .\n:p a owl:ObjectProperty .\n"
                           ":q a owl:ObjectProperty ; owl:propertyChainAxiom ( :p ) .\n")
    schema = load_schema(path)
    assert schema.properties["p"].supers == ["q"] and schema.chains == []
    empty = write(tmp_path, ":A a owl:Class .\n:q a owl:ObjectProperty ; owl:propertyChainAxiom () .\n")
    with pytest.raises(OntologyError, match="owl:propertyChainAxiom of q is an empty list"):
        load_schema(empty)
