"""Inconsistent worlds raise InconsistencyError naming the statements involved."""

from __future__ import annotations

import pytest
from helpers import oracle_from_turtle

from kgsynth.errors import InconsistencyError, KgsynthError
from kgsynth.logic.statement import ISA, Form, Statement

STRICT = "owl:ObjectProperty , owl:TransitiveProperty , owl:AsymmetricProperty , owl:IrreflexiveProperty"
DANGER = f"""
:moreDangerousThan a {STRICT} ; owl:inverseOf :lessDangerousThan .
:lessDangerousThan a {STRICT} .
"""


def inconsistency(text: str, tmp_path) -> str:
    with pytest.raises(InconsistencyError) as info:
        oracle_from_turtle(text, tmp_path)
    assert isinstance(info.value, KgsynthError)  # the CLI reports it as a user error
    return str(info.value)


def test_subclass_cycle_is_an_equivalence(tmp_path) -> None:
    """A ⊑ B ⊑ C ⊑ A makes A, B and C equivalent (as owl:equivalentClass would): no error, and
    no class is said to include itself."""
    oracle = oracle_from_turtle(
        """
        :A a owl:Class ; rdfs:subClassOf :B .
        :B a owl:Class ; rdfs:subClassOf :C .
        :C a owl:Class ; rdfs:subClassOf :A .
        :D a owl:Class ; rdfs:subClassOf :A .
        :x a :C .
        """,
        tmp_path,
    )
    for sub, sup in (("A", "C"), ("B", "A"), ("C", "B"), ("D", "C")):
        assert Statement(sub, ISA, sup, Form.ALL) in oracle.closure
    assert {"A", "B", "C"} <= oracle.closure.members_types("x")
    assert all(s.subject != s.object for s in oracle.closure.statements())


def test_cyclic_strict_order(tmp_path) -> None:
    """a > b > c > a in a transitive, asymmetric order."""
    message = inconsistency(DANGER + ":a :moreDangerousThan :b . :b :moreDangerousThan :c . :c :moreDangerousThan :a .", tmp_path)
    assert "cycle in the strict order" in message
    for statement in ("a moreDangerousThan b", "b moreDangerousThan c", "c moreDangerousThan a"):
        assert statement in message


def test_cyclic_strict_order_through_an_inverse(tmp_path) -> None:
    """moreDangerousThan(a,b) and lessDangerousThan(a,b): each makes the other's reversal hold."""
    message = inconsistency(DANGER + ":a :moreDangerousThan :b . :a :lessDangerousThan :b .", tmp_path)
    assert "cycle in the strict order" in message
    assert "a moreDangerousThan b" in message
    assert "a lessDangerousThan b" in message


def test_cyclic_strict_order_mixing_a_property_and_its_inverse(tmp_path) -> None:
    """a > b, b > c, and a < c (lessDangerousThan(a,c))."""
    message = inconsistency(
        DANGER + ":a :moreDangerousThan :b . :b :moreDangerousThan :c . :a :lessDangerousThan :c .", tmp_path
    )
    for statement in ("a moreDangerousThan b", "b moreDangerousThan c", "a lessDangerousThan c"):
        assert statement in message


def test_individual_in_two_disjoint_classes(tmp_path) -> None:
    message = inconsistency(
        """
        :Dog a owl:Class ; owl:disjointWith :Cat .
        :Cat a owl:Class .
        :felix a :Cat , :Dog .
        """,
        tmp_path,
    )
    assert "disjoint" in message
    for statement in ("felix isa Dog", "felix isa Cat", "no Dog isa Cat"):
        assert statement in message


def test_individual_in_two_disjoint_classes_through_subclasses(tmp_path) -> None:
    """rex a Puppy, Puppy ⊑ Dog, Dog disjoint Cat, rex a Kitten, Kitten ⊑ Cat: the message
    names the asserted statements the conflict rests on."""
    message = inconsistency(
        """
        :Dog a owl:Class ; owl:disjointWith :Cat .
        :Cat a owl:Class .
        :Puppy a owl:Class ; rdfs:subClassOf :Dog .
        :Kitten a owl:Class ; rdfs:subClassOf :Cat .
        :rex a :Puppy , :Kitten .
        """,
        tmp_path,
    )
    assert "disjoint" in message
    for statement in ("rex isa Puppy", "rex isa Kitten", "all Puppy isa Dog", "all Kitten isa Cat", "no Dog isa Cat"):
        assert statement in message


def test_individual_typed_by_domain_into_a_disjoint_class(tmp_path) -> None:
    """owns rdfs:domain Person, Person disjoint Car, car1 a Car, car1 owns x."""
    message = inconsistency(
        """
        :Person a owl:Class ; owl:disjointWith :Car .
        :Car a owl:Class .
        :owns a owl:ObjectProperty ; rdfs:domain :Person .
        :car1 a :Car . :car1 :owns :x .
        """,
        tmp_path,
    )
    for statement in ("car1 isa Car", "car1 owns x", "no Person isa Car"):
        assert statement in message


def test_irreflexive_violation_through_a_chain(tmp_path) -> None:
    """q irreflexive, q ≡ p∘r, p(a,b), r(b,a) ⊢ q(a,a): inconsistent."""
    message = inconsistency(
        """
        :p a owl:ObjectProperty . :r a owl:ObjectProperty .
        :q a owl:ObjectProperty , owl:IrreflexiveProperty ; owl:propertyChainAxiom ( :p :r ) .
        :a :p :b . :b :r :a .
        """,
        tmp_path,
    )
    assert "irreflexive" in message
    for statement in ("a q a", "a p b", "b r a"):
        assert statement in message


def test_irreflexive_violation_through_a_symmetric_property(tmp_path) -> None:
    """s symmetric, transitive and irreflexive: s(a,b) ⊢ s(b,a) ⊢ s(a,a): inconsistent."""
    message = inconsistency(
        """
        :s a owl:ObjectProperty , owl:SymmetricProperty , owl:TransitiveProperty , owl:IrreflexiveProperty .
        :a :s :b .
        """,
        tmp_path,
    )
    assert "irreflexive" in message
    assert "a s a" in message or "b s b" in message
    assert "a s b" in message


def test_irreflexive_violation_through_a_symmetric_chain(tmp_path) -> None:
    """siblingOf symmetric, q ≡ siblingOf∘siblingOf irreflexive: siblingOf(a,b) ⊢ q(a,a)."""
    message = inconsistency(
        """
        :siblingOf a owl:ObjectProperty , owl:SymmetricProperty .
        :q a owl:ObjectProperty , owl:IrreflexiveProperty ; owl:propertyChainAxiom ( :siblingOf :siblingOf ) .
        :a :siblingOf :b .
        """,
        tmp_path,
    )
    assert "irreflexive" in message
    assert "a q a" in message or "b q b" in message
    assert "a siblingOf b" in message


def test_asserted_self_fact_of_an_irreflexive_property(tmp_path) -> None:
    message = inconsistency(":p a owl:ObjectProperty , owl:IrreflexiveProperty . :a :p :a .", tmp_path)
    assert "irreflexive" in message and "a p a" in message


def test_asymmetric_violation_through_an_inverse(tmp_path) -> None:
    """parentOf asymmetric, inverse childOf: parentOf(a,b), childOf(a,b) ⊢ parentOf(b,a)."""
    message = inconsistency(
        """
        :parentOf a owl:ObjectProperty , owl:AsymmetricProperty ; owl:inverseOf :childOf .
        :childOf a owl:ObjectProperty .
        :a :parentOf :b . :a :childOf :b .
        """,
        tmp_path,
    )
    assert "asymmetric" in message
    assert "a parentOf b" in message and "a childOf b" in message


def test_consistent_world_raises_nothing(tmp_path) -> None:
    oracle_from_turtle(
        DANGER
        + """
        :Dog a owl:Class ; owl:disjointWith :Cat . :Cat a owl:Class .
        :a :moreDangerousThan :b . :b :moreDangerousThan :c . :c :lessDangerousThan :d .
        :rex a :Dog . :tom a :Cat .
        """,
        tmp_path,
    )
