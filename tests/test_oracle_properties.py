"""Properties of the closure and the oracle on random small consistent ontologies."""

from __future__ import annotations

from helpers import Onto, fact, isa, ontologies, queries, rebuild, rename_statement, renamings, rule_instance_error
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgsynth.logic.closure import Derivation, close
from kgsynth.logic.oracle import CONTRADICTED, ENTAILED, Oracle
from kgsynth.logic.statement import Form, Statement

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DUAL = {ENTAILED: CONTRADICTED, CONTRADICTED: ENTAILED}


@SETTINGS
@given(ontologies())
def test_closure_is_idempotent(onto: Onto) -> None:
    world = onto.world()
    first = close(world).statements()
    again = close(rebuild(world, first)).statements()
    assert again == first


@st.composite
def ontology_and_more_facts(draw):
    onto = draw(ontologies())
    more_types = draw(st.lists(st.tuples(st.sampled_from(onto.individuals), st.sampled_from(onto.classes)), max_size=3))
    more_facts = draw(st.lists(st.tuples(st.sampled_from(onto.individuals), st.sampled_from(onto.properties),
                                         st.sampled_from(onto.individuals)), min_size=1, max_size=3))
    return onto, more_types, more_facts


@SETTINGS
@given(ontology_and_more_facts())
def test_closure_is_monotone(case) -> None:
    """Adding asserted facts never removes an entailment (both through the world and the file)."""
    onto, more_types, more_facts = case
    world = onto.world()
    before = set(close(world).statements())
    extra = [isa(a, c) for a, c in more_types] + [fact(a, p, b) for a, p, b in more_facts]
    bigger = rebuild(world, world.asserted + extra)
    bigger.individuals |= {a for a, _ in more_types} | {t for a, _, b in more_facts for t in (a, b)}
    after = set(close(bigger).statements())
    assert before <= after
    assert set(extra) <= after
    from_file = set(close(onto.with_facts(more_types, more_facts).world()).statements())
    assert from_file == after


@st.composite
def ontology_and_renaming(draw):
    onto = draw(ontologies())
    return onto, draw(renamings(onto))


@SETTINGS
@given(ontology_and_renaming())
def test_renaming_changes_no_verdict(case) -> None:
    """A bijective renaming of every class, property and individual id changes no verdict,
    and maps the closure onto the renamed world's closure."""
    onto, mapping = case
    oracle = Oracle(onto.world())
    renamed = Oracle(onto.renamed(mapping).world())
    assert renamed.world.individuals == {mapping[a] for a in oracle.world.individuals}
    assert renamed.world.classes == {mapping[c] for c in oracle.world.classes}
    assert set(renamed.closure.statements()) == {rename_statement(s, mapping) for s in oracle.closure.statements()}
    for query in queries(oracle.world):
        for closed_world in (False, True):
            expected = oracle.query(query, closed_world).value
            actual = renamed.query(rename_statement(query, mapping), closed_world).value
            assert actual == expected, (query, closed_world)


statements = st.builds(
    Statement,
    st.sampled_from(["a", "b", "Dog", "Cat"]),
    st.sampled_from(["isa", "p", "q"]),
    st.sampled_from(["a", "b", "Dog", "Cat"]),
    st.sampled_from(list(Form)),
)


@given(statements)
def test_negation_is_an_involution(statement: Statement) -> None:
    negated = statement.negated()
    assert negated != statement
    assert (negated.subject, negated.relation, negated.object) == (statement.subject, statement.relation, statement.object)
    assert negated.negated() == statement
    assert Statement.from_json(statement.to_json()) == statement


@SETTINGS
@given(ontologies())
def test_inverse_of_inverse_property_is_the_property(onto: Onto) -> None:
    """p owl:inverseOf q ⇒ q's inverse is p; the inverse rule applied twice gives the fact back."""
    schema = onto.schema()
    closure = close(onto.world())
    for prop in schema.properties.values():
        if prop.inverse is not None:
            assert schema.properties[prop.inverse].inverse == prop.id
    for p, q in onto.inverses:
        assert schema.properties[p].inverse == q and schema.properties[q].inverse == p
    for s in closure.statements():
        if s.form is Form.FACT and s.relation in schema.properties and schema.properties[s.relation].inverse:
            back = Statement(s.object, schema.properties[s.relation].inverse, s.subject)
            assert back in closure
            assert Statement(s.subject, schema.properties[back.relation].inverse, s.object) == s


@SETTINGS
@given(ontologies())
def test_derivations_rest_on_earlier_statements(onto: Onto) -> None:
    """Every premise is in the closure with strictly fewer hops; asserted statements have 0 hops,
    no premises and rule 'asserted'; derived ones have ≥ 1 hop; each step is an instance of its rule."""
    world = onto.world()
    closure = close(world)
    for statement in world.asserted:
        assert closure.derivation(statement) == Derivation("asserted", (), 0)
    for statement in closure.statements():
        derivation = closure.derivation(statement)
        if derivation.rule == "asserted":
            assert statement in world.asserted
            continue
        assert derivation.hops >= 1 and derivation.premises
        for premise in derivation.premises:
            assert premise in closure, (statement, premise)
            assert closure.derivation(premise).hops < derivation.hops, (statement, premise)
        assert rule_instance_error(world.schema, statement, derivation) is None
        assert closure.support(statement) <= set(world.asserted)


@SETTINGS
@given(ontologies())
def test_verdicts_are_closed_under_negation(onto: Onto) -> None:
    """q is entailed iff its negation is contradicted, and contradicted iff its negation is entailed."""
    oracle = Oracle(onto.world())
    for query in queries(oracle.world):
        verdict = oracle.query(query).value
        negated = oracle.query(query.negated()).value
        assert negated == DUAL.get(verdict, verdict), (str(query), verdict, str(query.negated()), negated)


@SETTINGS
@given(ontologies())
def test_verdict_agrees_with_the_closure(onto: Onto) -> None:
    """entailed ⇔ in the closure (for everything the closure can hold); no FACT is contradicted
    in these worlds (no asymmetry, irreflexivity or disjointness)."""
    oracle = Oracle(onto.world())
    for query in queries(oracle.world):
        verdict = oracle.query(query)
        if query.form in (Form.FACT, Form.ALL):
            assert (verdict.value == ENTAILED) == (query in oracle.closure), query
        if query.form is Form.FACT:
            assert verdict.value != CONTRADICTED, query
