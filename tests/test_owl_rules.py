"""One test per OWL 2 RL rule over class expressions and property axioms (kgsynth.logic.owl_rules),
each docstring quoting the rule from W3C OWL 2 Profiles, section 4.3, tables 4–9
(https://www.w3.org/TR/owl2-profiles/#Reasoning_in_OWL_2_RL_and_RDF_Graphs_using_Rules).

Contradictions (rules concluding `false`, and `owl:sameAs` between two names, which unique
names make false) raise InconsistencyError naming the statements; an empty class is reported,
not fatal, until something is in it.
"""

from __future__ import annotations

import pytest
from helpers import all_, closure_from_turtle, fact, isa, oracle_from_turtle

from kgsynth.errors import InconsistencyError
from kgsynth.logic.oracle import CONTRADICTED, UNKNOWN

PROPS = ":p a owl:ObjectProperty . :q a owl:ObjectProperty .\n"
CLASSES = ":A a owl:Class . :B a owl:Class . :C a owl:Class . :D a owl:Class .\n"


def closure_of(text: str, tmp_path):
    return closure_from_turtle(CLASSES + PROPS + text, tmp_path)


def assert_derived(closure, statement, rule: str, premises: tuple = ()) -> None:
    found = closure.derivation(statement)
    assert found is not None, f"{statement} is not in the closure"
    assert found.rule == rule
    if premises:
        assert found.premises == premises


def inconsistent(text: str, tmp_path) -> str:
    with pytest.raises(InconsistencyError) as info:
        oracle_from_turtle(CLASSES + PROPS + text, tmp_path)
    return str(info.value)


# --- table 9: the schema vocabulary ------------------------------------------------


def test_scm_eqc1(tmp_path) -> None:
    """scm-eqc1: T(?c1, owl:equivalentClass, ?c2) → T(?c1, rdfs:subClassOf, ?c2) T(?c2, rdfs:subClassOf, ?c1)"""
    closure = closure_of(":A owl:equivalentClass :B . :x a :B .", tmp_path)
    assert_derived(closure, all_("A", "B"), "scm-eqc1")
    assert_derived(closure, all_("B", "A"), "scm-eqc1")
    assert isa("x", "A") in closure


def test_scm_int(tmp_path) -> None:
    """scm-int: T(?c, owl:intersectionOf, ?x) LIST[?x, ?c1, ..., ?cn] → T(?c, rdfs:subClassOf, ?c1) ...
    T(?c, rdfs:subClassOf, ?cn)"""
    closure = closure_of(":C owl:equivalentClass [ owl:intersectionOf ( :A :B ) ] .", tmp_path)
    assert_derived(closure, all_("C", "A"), "scm-int")
    assert_derived(closure, all_("C", "B"), "scm-int")


def test_scm_uni(tmp_path) -> None:
    """scm-uni: T(?c, owl:unionOf, ?x) LIST[?x, ?c1, ..., ?cn] → T(?c1, rdfs:subClassOf, ?c) ...
    T(?cn, rdfs:subClassOf, ?c)"""
    closure = closure_of(":C owl:equivalentClass [ owl:unionOf ( :A :B ) ] .", tmp_path)
    assert_derived(closure, all_("A", "C"), "scm-uni")
    assert_derived(closure, all_("B", "C"), "scm-uni")
    assert all_("C", "A") not in closure  # C ⊑ A ⊔ B is outside OWL 2 RL


def test_scm_svf1(tmp_path) -> None:
    """scm-svf1: T(?c1, owl:someValuesFrom, ?y1) T(?c1, owl:onProperty, ?p) T(?c2, owl:someValuesFrom, ?y2)
    T(?c2, owl:onProperty, ?p) T(?y1, rdfs:subClassOf, ?y2) → T(?c1, rdfs:subClassOf, ?c2)
    — with C ≡ ∃p.B and A ⊑ ∃p.D, D ⊑ B: A ⊑ C."""
    closure = closure_of(
        ":C owl:equivalentClass [ a owl:Restriction ; owl:onProperty :p ; owl:someValuesFrom :B ] . :D rdfs:subClassOf :B ."
        ":A rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :p ; owl:someValuesFrom :D ] . :a a :A .", tmp_path)
    assert_derived(closure, all_("A", "C"), "scm-svf1", (all_("A", "D", "p"), all_("D", "B")))
    assert isa("a", "C") in closure


def test_scm_hv(tmp_path) -> None:
    """scm-hv: T(?c1, owl:hasValue, ?i) T(?c1, owl:onProperty, ?p1) T(?c2, owl:hasValue, ?i)
    T(?c2, owl:onProperty, ?p2) T(?p1, rdfs:subPropertyOf, ?p2) → T(?c1, rdfs:subClassOf, ?c2)
    — here p1 = p2: A ⊑ ∃p.{v} and ∃p.{v} ⊑ C give A ⊑ C."""
    closure = closure_of(
        ":A rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :p ; owl:hasValue :v ] ."
        ":C owl:equivalentClass [ a owl:Restriction ; owl:onProperty :p ; owl:hasValue :v ] .", tmp_path)
    assert_derived(closure, all_("A", "C"), "scm-hv")


# --- table 6: class expressions -------------------------------------------------


def test_cls_int1(tmp_path) -> None:
    """cls-int1: T(?c, owl:intersectionOf, ?x) LIST[?x, ?c1, ..., ?cn] T(?y, rdf:type, ?c1) ...
    T(?y, rdf:type, ?cn) → T(?y, rdf:type, ?c)"""
    closure = closure_of(":C owl:equivalentClass [ owl:intersectionOf ( :A :B ) ] . :y a :A , :B . :z a :A .", tmp_path)
    assert_derived(closure, isa("y", "C"), "cls-int1", (isa("y", "A"), isa("y", "B")))
    assert isa("z", "C") not in closure


def test_cls_int1_with_a_restriction_member(tmp_path) -> None:
    """cls-int1 over cls-svf1: Parent ≡ Person ⊓ ∃hasChild.Person; a member ∃p.D holds through a witness."""
    closure = closure_of(
        ":C owl:equivalentClass [ owl:intersectionOf ( :A [ a owl:Restriction ; owl:onProperty :p ; "
        "owl:someValuesFrom :B ] ) ] . :y a :A ; :p :w . :w a :B .", tmp_path)
    assert_derived(closure, isa("y", "C"), "cls-int1", (isa("y", "A"), fact("y", "p", "w"), isa("w", "B")))


def test_cls_int2(tmp_path) -> None:
    """cls-int2: T(?c, owl:intersectionOf, ?x) LIST[?x, ?c1, ..., ?cn] T(?y, rdf:type, ?c) →
    T(?y, rdf:type, ?c1) ... T(?y, rdf:type, ?cn)   (here scm-int, then type-inheritance: cax-sco)"""
    closure = closure_of(":C owl:equivalentClass [ owl:intersectionOf ( :A :B ) ] . :y a :C .", tmp_path)
    assert_derived(closure, isa("y", "A"), "type-inheritance", (isa("y", "C"), all_("C", "A")))
    assert isa("y", "B") in closure


def test_cls_uni(tmp_path) -> None:
    """cls-uni: T(?c, owl:unionOf, ?x) LIST[?x, ?c1, ..., ?cn] T(?y, rdf:type, ?ci) → T(?y, rdf:type, ?c)
    (here scm-uni, then type-inheritance: cax-sco)"""
    closure = closure_of(":C owl:equivalentClass [ owl:unionOf ( :A :B ) ] . :y a :B .", tmp_path)
    assert_derived(closure, isa("y", "C"), "type-inheritance", (isa("y", "B"), all_("B", "C")))


def test_cls_svf1(tmp_path) -> None:
    """cls-svf1: T(?x, owl:someValuesFrom, ?y) T(?x, owl:onProperty, ?p) T(?u, ?p, ?v) T(?v, rdf:type, ?y)
    → T(?u, rdf:type, ?x)"""
    closure = closure_of(
        ":C owl:equivalentClass [ a owl:Restriction ; owl:onProperty :p ; owl:someValuesFrom :B ] . "
        ":u :p :v . :v a :B . :w :p :u .", tmp_path)
    assert_derived(closure, isa("u", "C"), "cls-svf1", (fact("u", "p", "v"), isa("v", "B")))
    assert isa("w", "C") not in closure
    assert all_("C", "B", "p") in closure  # the C ⊑ ∃p.B half: kgsynth's class-level statement


def test_cls_avf(tmp_path) -> None:
    """cls-avf: T(?x, owl:allValuesFrom, ?y) T(?x, owl:onProperty, ?p) T(?u, rdf:type, ?x) T(?u, ?p, ?v)
    → T(?v, rdf:type, ?y)"""
    closure = closure_of(
        ":A rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :p ; owl:allValuesFrom :B ] . "
        ":u a :A ; :p :v . :w :p :z .", tmp_path)
    assert_derived(closure, isa("v", "B"), "cls-avf", (isa("u", "A"), fact("u", "p", "v")))
    assert isa("z", "B") not in closure


def test_cls_hv1(tmp_path) -> None:
    """cls-hv1: T(?x, owl:hasValue, ?y) T(?x, owl:onProperty, ?p) T(?u, rdf:type, ?x) → T(?u, ?p, ?y)"""
    closure = closure_of(
        ":A rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :p ; owl:hasValue :v ] . :u a :A .", tmp_path)
    assert_derived(closure, fact("u", "p", "v"), "cls-hv1", (isa("u", "A"),))


def test_cls_hv2(tmp_path) -> None:
    """cls-hv2: T(?x, owl:hasValue, ?y) T(?x, owl:onProperty, ?p) T(?u, ?p, ?y) → T(?u, rdf:type, ?x)"""
    closure = closure_of(
        ":A owl:equivalentClass [ a owl:Restriction ; owl:onProperty :p ; owl:hasValue :v ] . "
        ":u :p :v . :w :p :other .", tmp_path)
    assert_derived(closure, isa("u", "A"), "cls-hv2", (fact("u", "p", "v"),))
    assert isa("w", "A") not in closure


# --- table 5: properties -------------------------------------------------------------


def test_prp_eqp1_and_eqp2(tmp_path) -> None:
    """prp-eqp1: T(?p1, owl:equivalentProperty, ?p2) T(?x, ?p1, ?y) → T(?x, ?p2, ?y)
    prp-eqp2: T(?p1, owl:equivalentProperty, ?p2) T(?x, ?p2, ?y) → T(?x, ?p1, ?y)"""
    closure = closure_of(":p owl:equivalentProperty :q . :a :p :b . :c :q :d .", tmp_path)
    assert_derived(closure, fact("a", "q", "b"), "prp-eqp", (fact("a", "p", "b"),))
    assert_derived(closure, fact("c", "p", "d"), "prp-eqp", (fact("c", "q", "d"),))


def test_prp_fp(tmp_path) -> None:
    """prp-fp: T(?p, rdf:type, owl:FunctionalProperty) T(?x, ?p, ?y1) T(?x, ?p, ?y2) → T(?y1, owl:sameAs, ?y2)
    — two names are two things (unique names), so two values are a contradiction."""
    message = inconsistent(":p a owl:FunctionalProperty . :x :p :y1 , :y2 .", tmp_path)
    assert "functional" in message and "x p y1" in message and "x p y2" in message


def test_prp_fp_makes_another_value_contradicted(tmp_path) -> None:
    """prp-fp in the oracle: with p(x, y1) entailed, p(x, y2) is contradicted, p(z, y2) unknown."""
    oracle = oracle_from_turtle(CLASSES + PROPS + ":p a owl:FunctionalProperty . :x :p :y1 . :z :q :y2 .", tmp_path)
    verdict = oracle.query(fact("x", "p", "y2"))
    assert verdict.value == CONTRADICTED and verdict.conflict == fact("x", "p", "y1")
    assert oracle.query(fact("z", "p", "y2")).value == UNKNOWN


def test_prp_ifp(tmp_path) -> None:
    """prp-ifp: T(?p, rdf:type, owl:InverseFunctionalProperty) T(?x1, ?p, ?z) T(?x2, ?p, ?z) →
    T(?x1, owl:sameAs, ?x2)"""
    message = inconsistent(":p a owl:InverseFunctionalProperty . :x1 :p :z . :x2 :p :z .", tmp_path)
    assert "inverse-functional" in message and "x1 p z" in message and "x2 p z" in message


def test_prp_pdw(tmp_path) -> None:
    """prp-pdw: T(?p1, owl:propertyDisjointWith, ?p2) T(?x, ?p1, ?y) T(?x, ?p2, ?y) → false"""
    message = inconsistent(":p owl:propertyDisjointWith :q . :x :p :y . :x :q :y .", tmp_path)
    assert "disjoint" in message and "x p y" in message and "x q y" in message
    oracle = oracle_from_turtle(CLASSES + PROPS + ":p owl:propertyDisjointWith :q . :x :p :y .", tmp_path)
    assert oracle.query(fact("x", "q", "y")).value == CONTRADICTED


def test_cls_maxc1(tmp_path) -> None:
    """cls-maxc1: T(?x, owl:maxCardinality, "0"^^xsd:nonNegativeInteger) T(?x, owl:onProperty, ?p)
    T(?u, rdf:type, ?x) T(?u, ?p, ?y) → false"""
    restriction = ":A rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :p ; owl:maxCardinality 0 ] . "
    message = inconsistent(restriction + ":u a :A ; :p :y .", tmp_path)
    assert "at most 0" in message and "u isa A" in message and "u p y" in message
    oracle = oracle_from_turtle(CLASSES + PROPS + restriction + ":u a :A . :y a :B .", tmp_path)
    assert oracle.query(fact("u", "p", "y")).value == CONTRADICTED


def test_cls_maxc2(tmp_path) -> None:
    """cls-maxc2: T(?x, owl:maxCardinality, "1"^^xsd:nonNegativeInteger) T(?x, owl:onProperty, ?p)
    T(?u, rdf:type, ?x) T(?u, ?p, ?y1) T(?u, ?p, ?y2) → T(?y1, owl:sameAs, ?y2)"""
    restriction = ":A rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :p ; owl:maxCardinality 1 ] . "
    message = inconsistent(restriction + ":u a :A ; :p :y1 , :y2 .", tmp_path)
    assert "at most 1" in message and "u p y1" in message and "u p y2" in message
    oracle_from_turtle(CLASSES + PROPS + restriction + ":w :p :y1 , :y2 .", tmp_path)  # w is no A: consistent


# --- table 7: unsatisfiable classes (cax-dw) -----------------------------------------


def test_cax_dw_unsatisfiable_class_is_reported_not_fatal(tmp_path) -> None:
    """cax-dw: T(?c1, owl:disjointWith, ?c2) T(?x, rdf:type, ?c1) T(?x, rdf:type, ?c2) → false.
    A ⊑ B, A ⊑ C, B disjoint C: A is empty, reported; fatal only once something is in A."""
    body = ":A rdfs:subClassOf :B , :C . :B owl:disjointWith :C . "
    oracle = oracle_from_turtle(CLASSES + PROPS + body + ":b a :B .", tmp_path)
    assert set(oracle.unsatisfiable) == {"A"}
    assert "no B isa C" in oracle.unsatisfiable["A"]
    message = inconsistent(body + ":a a :A .", tmp_path)
    assert "a isa B" in message and "a isa C" in message


def test_unsatisfiable_intersection(tmp_path) -> None:
    """D ≡ B ⊓ C with B disjoint C: D is empty (scm-int, then cax-dw on any member)."""
    oracle = oracle_from_turtle(
        CLASSES + PROPS + ":D owl:equivalentClass [ owl:intersectionOf ( :B :C ) ] . :B owl:disjointWith :C .",
        tmp_path)
    assert set(oracle.unsatisfiable) == {"D"}
