"""One test per closure rule: the derived statement, its rule name, premises and hops.

Rule names are kgsynth's (kgsynth.logic.closure); the OWL 2 RL rule names are from
https://www.w3.org/TR/owl2-profiles/#Reasoning_in_OWL_2_RL_and_RDF_Graphs_using_Rules
"""

from __future__ import annotations

from helpers import all_, closure_from_turtle, fact, isa, no, some, some_not

from kgsynth.logic.closure import Derivation, close
from kgsynth.logic.ontology import Schema
from kgsynth.logic.statement import ISA, Form, Statement
from kgsynth.logic.world import World


def assert_derived(closure, statement: Statement, rule: str, premises: tuple[Statement, ...], hops: int) -> None:
    assert statement in closure, f"{statement} is not in the closure"
    assert closure.derivation(statement) == Derivation(rule, premises, hops)


def test_asserted_statements_have_no_premises_and_zero_hops(tmp_path) -> None:
    """asserted: every asserted statement is in the closure, rule 'asserted', 0 hops."""
    closure = closure_from_turtle(":A a owl:Class . :p a owl:ObjectProperty . :a a :A . :a :p :b .", tmp_path)
    assert_derived(closure, isa("a", "A"), "asserted", (), 0)
    assert_derived(closure, fact("a", "p", "b"), "asserted", (), 0)


def test_subclass_transitive(tmp_path) -> None:
    """subclass-transitive: A ⊑ B, B ⊑ C ⊢ A ⊑ C   (OWL 2 RL scm-sco)."""
    closure = closure_from_turtle(
        """
        :A a owl:Class ; rdfs:subClassOf :B .
        :B a owl:Class ; rdfs:subClassOf :C .
        :C a owl:Class .
        """,
        tmp_path,
    )
    assert_derived(closure, all_("A", "C"), "subclass-transitive", (all_("A", "B"), all_("B", "C")), 1)
    assert all_("C", "A") not in closure


def test_type_inheritance(tmp_path) -> None:
    """type-inheritance: C ⊑ D, C(a) ⊢ D(a)   (OWL 2 RL cax-sco)."""
    closure = closure_from_turtle(":Dog a owl:Class ; rdfs:subClassOf :Mammal . :Mammal a owl:Class . :rex a :Dog .", tmp_path)
    assert_derived(closure, isa("rex", "Mammal"), "type-inheritance", (isa("rex", "Dog"), all_("Dog", "Mammal")), 1)


def test_property_inheritance(tmp_path) -> None:
    """property-inheritance: D ⊑ C, C ⊑ ∃p.V ⊢ D ⊑ ∃p.V
    (OWL 2 RL scm-sco with the restriction ∃p.V as the superclass)."""
    closure = closure_from_turtle(
        """
        :has a owl:ObjectProperty .
        :Fur a owl:Class .
        :Mammal a owl:Class ;
            rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :has ; owl:someValuesFrom :Fur ] .
        :Dog a owl:Class ; rdfs:subClassOf :Mammal .
        """,
        tmp_path,
    )
    premises = (all_("Dog", "Mammal"), all_("Mammal", "Fur", "has"))
    assert_derived(closure, all_("Dog", "Fur", "has"), "property-inheritance", premises, 1)
    assert all_("Fur", "Dog", "has") not in closure


def test_disjoint_inheritance(tmp_path) -> None:
    """disjoint-inheritance: A ⊑ B, B ⊓ C ⊑ ⊥ ⊢ A ⊓ C ⊑ ⊥
    (no OWL 2 RL rule derives owl:disjointWith; it follows semantically from scm-sco and cax-dw)."""
    closure = closure_from_turtle(
        """
        :Puppy a owl:Class ; rdfs:subClassOf :Dog .
        :Dog a owl:Class ; owl:disjointWith :Cat .
        :Cat a owl:Class .
        """,
        tmp_path,
    )
    assert_derived(closure, no("Puppy", "Cat"), "disjoint-inheritance", (all_("Puppy", "Dog"), no("Dog", "Cat")), 1)
    # the other side: Cat disjoint Dog (symmetric), then inherited down Dog's subclass too
    assert no("Cat", "Puppy") in closure


def test_disjoint_symmetric(tmp_path) -> None:
    """disjoint-symmetric: A owl:disjointWith B ⊢ B owl:disjointWith A
    (owl:disjointWith is symmetric by its semantics; OWL 2 RL cax-dw checks both orders, no named rule)."""
    closure = closure_from_turtle(":Dog a owl:Class ; owl:disjointWith :Cat . :Cat a owl:Class .", tmp_path)
    assert_derived(closure, no("Cat", "Dog"), "disjoint-symmetric", (no("Dog", "Cat"),), 1)


def test_inverse(tmp_path) -> None:
    """inverse: p owl:inverseOf q, p(a,b) ⊢ q(b,a)   (OWL 2 RL prp-inv1; and q(a,b) ⊢ p(b,a), prp-inv2)."""
    closure = closure_from_turtle(
        """
        :parentOf a owl:ObjectProperty ; owl:inverseOf :childOf .
        :childOf a owl:ObjectProperty .
        :ann :parentOf :bob .
        :cid :childOf :dan .
        """,
        tmp_path,
    )
    assert_derived(closure, fact("bob", "childOf", "ann"), "inverse", (fact("ann", "parentOf", "bob"),), 1)
    assert_derived(closure, fact("dan", "parentOf", "cid"), "inverse", (fact("cid", "childOf", "dan"),), 1)
    assert fact("bob", "parentOf", "ann") not in closure


def test_symmetric(tmp_path) -> None:
    """symmetric: p a owl:SymmetricProperty, p(a,b) ⊢ p(b,a)   (OWL 2 RL prp-symp)."""
    closure = closure_from_turtle(":siblingOf a owl:ObjectProperty , owl:SymmetricProperty . :ann :siblingOf :bob .", tmp_path)
    assert_derived(closure, fact("bob", "siblingOf", "ann"), "symmetric", (fact("ann", "siblingOf", "bob"),), 1)


def test_subproperty(tmp_path) -> None:
    """subproperty: p rdfs:subPropertyOf q, p(a,b) ⊢ q(a,b)   (OWL 2 RL prp-spo1)."""
    closure = closure_from_turtle(
        """
        :parentOf a owl:ObjectProperty ; rdfs:subPropertyOf :ancestorOf .
        :ancestorOf a owl:ObjectProperty .
        :ann :parentOf :bob .
        """,
        tmp_path,
    )
    assert_derived(closure, fact("ann", "ancestorOf", "bob"), "subproperty", (fact("ann", "parentOf", "bob"),), 1)
    assert fact("bob", "ancestorOf", "ann") not in closure


def test_domain(tmp_path) -> None:
    """domain: p rdfs:domain C, p(a,b) ⊢ C(a)   (OWL 2 RL prp-dom)."""
    closure = closure_from_turtle(
        ":Person a owl:Class . :owns a owl:ObjectProperty ; rdfs:domain :Person . :ann :owns :car .", tmp_path
    )
    assert_derived(closure, isa("ann", "Person"), "domain", (fact("ann", "owns", "car"),), 1)
    assert isa("car", "Person") not in closure


def test_range(tmp_path) -> None:
    """range: p rdfs:range C, p(a,b) ⊢ C(b)   (OWL 2 RL prp-rng)."""
    closure = closure_from_turtle(
        ":Thing2 a owl:Class . :owns a owl:ObjectProperty ; rdfs:range :Thing2 . :ann :owns :car .", tmp_path
    )
    assert_derived(closure, isa("car", "Thing2"), "range", (fact("ann", "owns", "car"),), 1)
    assert isa("ann", "Thing2") not in closure


def test_transitive(tmp_path) -> None:
    """transitive: p a owl:TransitiveProperty, p(a,b), p(b,c) ⊢ p(a,c)   (OWL 2 RL prp-trp)."""
    closure = closure_from_turtle(
        ":gt a owl:ObjectProperty , owl:TransitiveProperty . :a :gt :b . :b :gt :c . :c :gt :d .", tmp_path
    )
    assert_derived(closure, fact("a", "gt", "c"), "transitive", (fact("a", "gt", "b"), fact("b", "gt", "c")), 1)
    assert_derived(closure, fact("b", "gt", "d"), "transitive", (fact("b", "gt", "c"), fact("c", "gt", "d")), 1)
    # two steps: from a derived and an asserted premise, either way round
    derivation = closure.derivation(fact("a", "gt", "d"))
    assert derivation is not None and derivation.rule == "transitive" and derivation.hops == 2
    assert derivation.premises in (
        (fact("a", "gt", "c"), fact("c", "gt", "d")),
        (fact("a", "gt", "b"), fact("b", "gt", "d")),
    )
    assert fact("c", "gt", "a") not in closure


def test_chain(tmp_path) -> None:
    """chain: q owl:propertyChainAxiom (p1 p2), p1(a,b), p2(b,c) ⊢ q(a,c)   (OWL 2 RL prp-spo2)."""
    closure = closure_from_turtle(
        """
        :parentOf a owl:ObjectProperty .
        :grandparentOf a owl:ObjectProperty ; owl:propertyChainAxiom ( :parentOf :parentOf ) .
        :ann :parentOf :bob . :bob :parentOf :cid .
        """,
        tmp_path,
    )
    assert_derived(
        closure, fact("ann", "grandparentOf", "cid"), "chain", (fact("ann", "parentOf", "bob"), fact("bob", "parentOf", "cid")), 1
    )
    assert fact("ann", "grandparentOf", "bob") not in closure
    assert fact("cid", "grandparentOf", "ann") not in closure


def test_chain_of_length_three(tmp_path) -> None:
    """chain: q owl:propertyChainAxiom (p1 p2 p3), p1(a,b), p2(b,c), p3(c,d) ⊢ q(a,d)   (OWL 2 RL prp-spo2).

    The premises are listed in chain order whichever premise arrives last; with a
    derived premise the hops count it."""
    closure = closure_from_turtle(
        """
        :p1 a owl:ObjectProperty . :p2 a owl:ObjectProperty . :p3 a owl:ObjectProperty .
        :p0 a owl:ObjectProperty ; rdfs:subPropertyOf :p2 .
        :q a owl:ObjectProperty ; owl:propertyChainAxiom ( :p1 :p2 :p3 ) .
        :a :p1 :b . :b :p2 :c . :c :p3 :d .
        :e :p1 :f . :f :p0 :g . :g :p3 :h .
        :x :p1 :y . :y :p3 :z .
        """,
        tmp_path,
    )
    assert_derived(
        closure, fact("a", "q", "d"), "chain", (fact("a", "p1", "b"), fact("b", "p2", "c"), fact("c", "p3", "d")), 1
    )
    assert_derived(
        closure, fact("e", "q", "h"), "chain", (fact("e", "p1", "f"), fact("f", "p2", "g"), fact("g", "p3", "h")), 2
    )
    assert fact("x", "q", "z") not in closure  # a missing middle link
    assert not [s for s in closure.statements() if s.relation == "q" and s not in (fact("a", "q", "d"), fact("e", "q", "h"))]


def test_categorical() -> None:
    """categorical: valid syllogistic conclusions within a term group, e.g. Darii:
    all M are P, some S are M ⊢ some S are P; and Ferio: no M are P, some S are M ⊢ some S are not P
    (no OWL 2 RL counterpart: classical syllogistic with existential import)."""
    schema = Schema(path="test", classes={"S", "M", "P", "T", "U", "V"})
    darii = [all_("M", "P"), some("S", "M")]
    ferio = [no("V", "U"), some("T", "V")]
    world = World(schema, 0, set(schema.classes), set(), sorted(darii + ferio), [("S", "M", "P"), ("T", "V", "U")])
    closure = close(world)
    for conclusion, premises in ((some("S", "P"), darii), (some_not("T", "U"), ferio)):
        derivation = closure.derivation(conclusion)  # premises: the minimal support, in no set order
        assert derivation is not None and derivation.rule == "categorical" and derivation.hops == 1
        assert sorted(derivation.premises) == sorted(premises)
    # nothing across groups, nothing invalid (undistributed middle is not concluded)
    assert some("S", "U") not in closure and all_("S", "P") not in closure
    assert Statement("P", ISA, "S", Form.SOME) in closure  # conversion of the conclusion is valid too
