"""Three-valued verdicts of the oracle: entailed (with a derivation), contradicted (with
the entailed statement it conflicts with), unknown; closed-world; unknown terms."""

from __future__ import annotations

import pytest
from helpers import all_, fact, isa, no, oracle_from_turtle, some, some_not

from kgsynth.errors import KgsynthError
from kgsynth.logic.closure import Derivation
from kgsynth.logic.oracle import CONTRADICTED, ENTAILED, UNKNOWN, Oracle
from kgsynth.logic.statement import ISA, Form, Statement

DANGER = """
:Entity a owl:Class .
:moreDangerousThan a owl:ObjectProperty , owl:TransitiveProperty , owl:AsymmetricProperty , owl:IrreflexiveProperty ;
    owl:inverseOf :lessDangerousThan ;
    kgs:closed true .
:lessDangerousThan a owl:ObjectProperty , owl:TransitiveProperty , owl:AsymmetricProperty , owl:IrreflexiveProperty ;
    kgs:closed true .
:knows a owl:ObjectProperty .
:A a :Entity . :B a :Entity . :C a :Entity . :D a :Entity .
:A :moreDangerousThan :B .
:B :moreDangerousThan :C .
:A :knows :D .
"""

ANIMALS = """
:Animal a owl:Class .
:Mammal a owl:Class ; rdfs:subClassOf :Animal .
:Dog a owl:Class ; rdfs:subClassOf :Mammal ; owl:disjointWith :Cat .
:Cat a owl:Class ; rdfs:subClassOf :Mammal .
:Puppy a owl:Class ; rdfs:subClassOf :Dog .
:Whale a owl:Class ; rdfs:subClassOf :Mammal .
:Pet a owl:Class .
:Fish a owl:Class .
:rex a :Puppy .
:tom a :Cat .
"""


@pytest.fixture
def danger(tmp_path) -> Oracle:
    return oracle_from_turtle(DANGER, tmp_path)


@pytest.fixture
def animals(tmp_path) -> Oracle:
    return oracle_from_turtle(ANIMALS, tmp_path)


# --- entailed -----------------------------------------------------------------------


def test_asserted_fact_is_entailed(danger) -> None:
    verdict = danger.query(fact("A", "moreDangerousThan", "B"))
    assert verdict.value == ENTAILED
    assert verdict.derivation == Derivation("asserted", (), 0)
    assert verdict.conflict is None


def test_reversal_is_entailed_through_the_inverse(danger) -> None:
    """A moreDangerousThan B ⊢ B lessDangerousThan A."""
    verdict = danger.query(fact("B", "lessDangerousThan", "A"))
    assert verdict.value == ENTAILED
    assert verdict.statement == fact("B", "lessDangerousThan", "A")
    assert verdict.derivation == Derivation("inverse", (fact("A", "moreDangerousThan", "B"),), 1)


def test_transitive_fact_is_entailed_with_its_derivation(danger) -> None:
    verdict = danger.query(fact("A", "moreDangerousThan", "C"))
    assert verdict.value == ENTAILED
    assert verdict.derivation == Derivation(
        "transitive", (fact("A", "moreDangerousThan", "B"), fact("B", "moreDangerousThan", "C")), 1
    )
    two_hops = danger.query(fact("C", "lessDangerousThan", "A"))
    assert two_hops.value == ENTAILED and two_hops.derivation.hops == 2


def test_inherited_type_and_subclass_are_entailed(animals) -> None:
    assert animals.query(isa("rex", "Animal")).value == ENTAILED
    assert animals.query(isa("rex", "Animal")).derivation.hops == 3
    verdict = animals.query(all_("Puppy", "Mammal"))
    assert verdict.value == ENTAILED
    assert verdict.derivation == Derivation("subclass-transitive", (all_("Puppy", "Dog"), all_("Dog", "Mammal")), 1)


# --- contradicted ----------------------------------------------------------------------


def test_asymmetric_reversal_is_contradicted(danger) -> None:
    """A moreDangerousThan B makes B moreDangerousThan A contradicted (asymmetric)."""
    verdict = danger.query(fact("B", "moreDangerousThan", "A"))
    assert verdict.value == CONTRADICTED
    assert verdict.conflict == fact("A", "moreDangerousThan", "B")
    assert verdict.derivation == Derivation("asserted", (), 0)  # how the conflicting statement follows


def test_asymmetric_reversal_of_a_derived_fact_is_contradicted(danger) -> None:
    """A > B > C: C moreDangerousThan A and A lessDangerousThan B are both contradicted."""
    verdict = danger.query(fact("C", "moreDangerousThan", "A"))
    assert verdict.value == CONTRADICTED
    assert verdict.conflict == fact("A", "moreDangerousThan", "C")
    assert verdict.derivation.rule == "transitive"
    inverse = danger.query(fact("A", "lessDangerousThan", "B"))
    assert inverse.value == CONTRADICTED
    assert inverse.conflict == fact("B", "lessDangerousThan", "A")
    assert inverse.derivation == Derivation("inverse", (fact("A", "moreDangerousThan", "B"),), 1)


def test_membership_in_a_disjoint_class_is_contradicted(animals) -> None:
    """tom is a Cat, Dog disjointWith Cat: tom is a Dog is contradicted; so is rex (a Puppy) a Cat."""
    verdict = animals.query(isa("tom", "Dog"))
    assert verdict.value == CONTRADICTED
    assert verdict.conflict == no("Cat", "Dog")
    assert verdict.derivation == Derivation("disjoint-symmetric", (no("Dog", "Cat"),), 1)
    inherited = animals.query(isa("rex", "Cat"))
    assert inherited.value == CONTRADICTED
    assert inherited.conflict in (no("Dog", "Cat"), no("Puppy", "Cat"))


def test_all_is_contradicted_by_no_and_no_by_all(animals) -> None:
    """no Dog are Cat contradicts all Dog are Cat (and all Puppy are Cat);
    all Whale are Mammal contradicts no Whale are Mammal."""
    verdict = animals.query(all_("Dog", "Cat"))
    assert verdict.value == CONTRADICTED
    assert verdict.conflict == no("Dog", "Cat")
    assert animals.query(all_("Puppy", "Cat")).value == CONTRADICTED
    assert animals.query(all_("Cat", "Dog")).value == CONTRADICTED
    verdict = animals.query(no("Whale", "Mammal"))
    assert verdict.value == CONTRADICTED
    assert verdict.conflict == all_("Whale", "Mammal")
    assert verdict.derivation == Derivation("asserted", (), 0)
    assert animals.query(no("Mammal", "Whale")).value == CONTRADICTED


@pytest.mark.parametrize("shared", ["subclass", "member"])
def test_no_is_contradicted_by_a_shared_subclass_or_member(tmp_path, shared) -> None:
    """E ⊑ C and E ⊑ D (or an individual e in both): no C are D is false (existential import)."""
    extra = ":E a owl:Class ; rdfs:subClassOf :C , :D ." if shared == "subclass" else ":e a :C , :D ."
    oracle = oracle_from_turtle(f":C a owl:Class . :D a owl:Class . {extra}", tmp_path)
    verdict = oracle.query(no("C", "D"))
    assert verdict.value == CONTRADICTED
    assert verdict.derivation.rule == "existential-import"
    expected = (all_("E", "C"), all_("E", "D")) if shared == "subclass" else (isa("e", "C"), isa("e", "D"))
    assert verdict.derivation.premises == expected
    assert all(oracle.entails(p) for p in verdict.derivation.premises)


# --- unknown -------------------------------------------------------------------------


def test_unknown(danger, animals) -> None:
    for oracle, statement in (
        (danger, fact("C", "moreDangerousThan", "D")),
        (danger, fact("D", "moreDangerousThan", "A")),
        (danger, fact("D", "knows", "A")),
        (animals, isa("rex", "Pet")),
        (animals, isa("tom", "Fish")),
        (animals, all_("Pet", "Animal")),
        (animals, no("Pet", "Fish")),
    ):
        verdict = oracle.query(statement)
        assert verdict.value == UNKNOWN, statement
        assert verdict.derivation is None and verdict.conflict is None


# --- closed world ------------------------------------------------------------------------


def test_closed_world_turns_unknown_facts_of_closed_properties_into_contradicted(danger) -> None:
    statement = fact("C", "moreDangerousThan", "D")
    assert danger.query(statement).value == UNKNOWN
    verdict = danger.query(statement, closed_world=True)
    assert verdict.value == CONTRADICTED
    assert verdict.derivation == Derivation("closed-world", (), 0)
    assert danger.query(fact("D", "lessDangerousThan", "C"), closed_world=True).value == CONTRADICTED


def test_closed_world_changes_nothing_else(danger) -> None:
    # knows is not kgs:closed
    assert danger.query(fact("D", "knows", "A"), closed_world=True).value == UNKNOWN
    # entailed stays entailed, with its own derivation
    entailed = danger.query(fact("A", "moreDangerousThan", "C"), closed_world=True)
    assert entailed.value == ENTAILED and entailed.derivation.rule == "transitive"
    # an open-world contradiction keeps its conflict
    reversed_ = danger.query(fact("B", "moreDangerousThan", "A"), closed_world=True)
    assert reversed_.value == CONTRADICTED and reversed_.conflict == fact("A", "moreDangerousThan", "B")
    # types are no closed property
    assert danger.query(isa("A", "Entity"), closed_world=True).value == ENTAILED


# --- unknown terms -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement, term",
    [
        (fact("Zed", "moreDangerousThan", "A"), "Zed"),
        (fact("A", "moreDangerousThan", "Zed"), "Zed"),
        (fact("A", "morePerilousThan", "B"), "morePerilousThan"),
        (isa("A", "Animal"), "Animal"),
        (Statement("Entity", ISA, "Nope", Form.ALL), "Nope"),
    ],
)
def test_unknown_term_raises(danger, statement, term) -> None:
    with pytest.raises(KgsynthError, match=term):
        danger.query(statement)


# --- completeness of contradiction, and negation duality ---------------------------------
#
# A three-valued verdict must be closed under negation: q is contradicted exactly when its
# negation (Statement.negated) is entailed, and vice versa. The tests below check cases
# whose answer follows from the ontology by the documented rules.


def test_irreflexive_self_fact_is_contradicted(danger) -> None:
    """moreDangerousThan is irreflexive (and asymmetric): A moreDangerousThan A can never hold."""
    assert danger.query(fact("A", "moreDangerousThan", "A")).value == CONTRADICTED


def test_reversal_through_an_asymmetric_super_property_is_contradicted(tmp_path) -> None:
    """parentOf ⊑ ancestorOf (asymmetric), ancestorOf(ann, cid) entailed: parentOf(cid, ann)
    would entail ancestorOf(cid, ann), so it is contradicted."""
    oracle = oracle_from_turtle(
        """
        :parentOf a owl:ObjectProperty , owl:AsymmetricProperty ; rdfs:subPropertyOf :ancestorOf .
        :ancestorOf a owl:ObjectProperty , owl:TransitiveProperty , owl:AsymmetricProperty .
        :ann :parentOf :bob . :bob :parentOf :cid .
        """,
        tmp_path,
    )
    assert oracle.query(fact("cid", "ancestorOf", "ann")).value == CONTRADICTED
    assert oracle.query(fact("cid", "parentOf", "ann")).value == CONTRADICTED


def test_negated_fact_of_a_contradicted_fact_is_entailed(danger) -> None:
    """B moreDangerousThan A is contradicted, so 'not B moreDangerousThan A' is entailed."""
    statement = fact("B", "moreDangerousThan", "A")
    assert danger.query(statement).value == CONTRADICTED
    assert danger.query(statement.negated()).value == ENTAILED


def test_negated_fact_of_an_entailed_fact_is_contradicted(danger) -> None:
    assert danger.query(fact("A", "moreDangerousThan", "C").negated()).value == CONTRADICTED


@pytest.mark.parametrize("shared", ["subclass", "member"])
def test_some_is_entailed_when_no_is_contradicted(tmp_path, shared) -> None:
    """E ⊑ C and E ⊑ D (or an individual e in both): 'no C are D' is contradicted, so its
    negation 'some C are D' is entailed (existential import on E)."""
    extra = ":E a owl:Class ; rdfs:subClassOf :C , :D ." if shared == "subclass" else ":e a :C , :D ."
    oracle = oracle_from_turtle(f":C a owl:Class . :D a owl:Class . {extra}", tmp_path)
    assert oracle.query(no("C", "D")).value == CONTRADICTED
    assert oracle.query(some("C", "D")).value == ENTAILED
    assert oracle.query(some("D", "C")).value == ENTAILED


def test_categorical_negation_duality(animals) -> None:
    """all/some-not and some/no are each other's negations."""
    for statement in (all_("Dog", "Mammal"), no("Dog", "Cat"), some("Puppy", "Animal"), some_not("Dog", "Cat")):
        assert animals.query(statement).value == ENTAILED, statement
        assert animals.query(statement.negated()).value == CONTRADICTED, statement.negated()
