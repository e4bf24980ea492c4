"""Tests for kgsynth.logic.world and the task families' generators (kgsynth.tasks.*): each task samples what
its settings say."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from pathlib import Path

import networkx as nx
import pytest

from kgsynth.errors import SettingsError
from kgsynth.logic.categorical import consistent, valid_conclusions
from kgsynth.logic.ontology import Schema, load_schema
from kgsynth.logic.settings import TaskConfig
from kgsynth.logic.statement import ISA, Form
from kgsynth.logic.world import FreshNames, World
from kgsynth.tasks import CelebrityTask, ComparisonTask, FamilyTask, HierarchyTask, SyllogismTask, build_world, registry

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGIES = ROOT / "ontologies"
ONTOLOGY_NAMES = sorted(p.stem for p in ONTOLOGIES.glob("*.ttl"))
GENERATIVE = [name for name in ONTOLOGY_NAMES if name != "semantic_structure"]

HIERARCHY_TTL = """\
@prefix :     <http://example.org/hierarchy#> .
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix kgs:  <https://kgsynth.org/ns#> .
:Thing a owl:Class .
:has a owl:ObjectProperty .
:can a owl:ObjectProperty .
[] a kgs:HierarchyTask ; kgs:rootClass :Thing ; kgs:featureProperty :has , :can ;
   kgs:depth 2 ; kgs:branching 3 ; kgs:features 5 ; kgs:individualsPerLeaf 2 .
"""


@pytest.fixture(scope="module")
def schemas() -> dict[str, Schema]:
    return {name: load_schema(ONTOLOGIES / f"{name}.ttl") for name in ONTOLOGY_NAMES}


@pytest.fixture(scope="module")
def hierarchy_schema(tmp_path_factory) -> Schema:
    path = tmp_path_factory.mktemp("hierarchy") / "hierarchy.ttl"
    path.write_text(HIERARCHY_TTL, encoding="utf-8")
    return load_schema(path)


def world_with(schema: Schema, task: TaskConfig, seed: int = 0) -> World:
    """The world of `schema` with its tasks replaced by `task` (the schema is not changed)."""
    copy = Schema(**{**schema.__dict__, "tasks": [task]})
    return build_world(copy, seed)


def generated(world: World) -> list:
    """The statements the tasks added to the schema's own."""
    own = set(world.schema.asserted)
    return [s for s in world.asserted if s not in own]


# --- ComparisonTask -------------------------------------------------------------


def comparison_facts(world: World) -> list:
    return [s for s in world.asserted if s.relation != ISA]


def test_comparison_default_is_100_independent_pairs(schemas) -> None:
    schema = schemas["simple_reversals"]
    world = build_world(schema, 0)
    facts = comparison_facts(world)
    assert len(facts) == 100
    entities = {e for s in facts for e in (s.subject, s.object)}
    assert len(entities) == 200  # chainLength 1: every fact has two fresh entities
    assert world.individuals == entities
    for s in facts:
        assert s.form is Form.FACT
        assert schema.properties[s.relation].strict_order
    # each fact in either wording of its dimension, so no phrase is always the answer
    forward = sum(s.relation in schema.forward_inverses for s in facts)
    assert 25 <= forward <= 75
    # kgs:entityClass: every entity is typed
    typed = {s.subject for s in world.asserted if s.relation == ISA and s.object == "Entity" and s.form is Form.FACT}
    assert typed == entities
    assert len(world.asserted) == 300
    assert len({s.relation for s in facts}) > 1  # dimensions are sampled from all 28


@pytest.mark.parametrize(("facts", "chain", "chains"), [(100, 5, [5] * 20), (7, 5, [5, 2]), (12, 4, [4, 4, 4])])
def test_comparison_chains(schemas, facts: int, chain: int, chains: list[int]) -> None:
    world = world_with(schemas["simple_reversals"], ComparisonTask(facts=facts, chain_length=chain))
    statements = comparison_facts(world)
    assert len(statements) == facts
    graph = nx.DiGraph()
    for s in statements:
        graph.add_edge(s.subject, s.object, relation=s.relation)
    components = [graph.subgraph(c) for c in nx.weakly_connected_components(graph)]
    assert sorted(c.number_of_edges() for c in components) == sorted(chains)
    for component in components:
        # a simple path a0 -> a1 -> ... over one strict order
        assert nx.is_directed_acyclic_graph(component)
        assert max(d for _, d in component.in_degree()) <= 1
        assert max(d for _, d in component.out_degree()) <= 1
        assert component.number_of_nodes() == component.number_of_edges() + 1
        assert len({r for _, _, r in component.edges(data="relation")}) == 1
    assert len(world.individuals) == facts + len(chains)


def test_comparison_dimension_setting(schemas) -> None:
    world = world_with(schemas["simple_reversals"], ComparisonTask(facts=30, dimension=("heavierThan",)))
    assert {s.relation for s in comparison_facts(world)} == {"heavierThan", "lighterThan"}  # both wordings


def test_comparison_dimension_must_be_a_strict_order(schemas) -> None:
    with pytest.raises(SettingsError, match="not a strict order"):
        world_with(schemas["family"], ComparisonTask(facts=3, dimension=("siblingOf",)))
    with pytest.raises(SettingsError, match="not an object property"):
        world_with(schemas["simple_reversals"], ComparisonTask(facts=3, dimension=("nosuchThing",)))


def test_comparison_needs_a_strict_order_with_an_inverse(schemas) -> None:
    with pytest.raises(SettingsError, match="no strict-order property"):
        world_with(schemas["syllogisms"], ComparisonTask(facts=3))


# --- SyllogismTask --------------------------------------------------------------


def check_syllogisms(world: World, n: int, valid_only: bool) -> None:
    premises = generated(world)
    assert len(premises) == 2 * n
    assert len(world.term_groups) == n
    terms = [t for group in world.term_groups for t in group]
    assert len(terms) == len(set(terms)) == 3 * n  # three fresh terms each
    assert set(terms) <= world.classes
    by_group = defaultdict(list)
    group_of = {t: i for i, group in enumerate(world.term_groups) for t in group}
    for s in premises:
        assert s.relation == ISA and s.form.is_categorical
        assert group_of[s.subject] == group_of[s.object]
        by_group[group_of[s.subject]].append(s)
    for i, (s_term, m_term, p_term) in enumerate(world.term_groups):
        pair = by_group[i]
        assert len(pair) == 2
        assert consistent(pair)
        # one premise links M and P, the other S and M
        assert sorted(sorted((s.subject, s.object)) for s in pair) == sorted([sorted((m_term, p_term)), sorted((s_term, m_term))])
        if valid_only:
            assert valid_conclusions(pair, [s_term, p_term]), f"no valid conclusion from {[str(s) for s in pair]}"


def test_syllogisms_69_valid_pairs(schemas) -> None:
    world = build_world(schemas["syllogisms"], 0)
    check_syllogisms(world, 69, valid_only=True)
    assert Counter(s.form for s in generated(world)).keys() >= {Form.ALL, Form.SOME, Form.NO}


def test_syllogisms_not_valid_only(schemas) -> None:
    world = world_with(schemas["syllogisms"], SyllogismTask(syllogisms=40, valid_only=False))
    check_syllogisms(world, 40, valid_only=False)


# --- FamilyTask -----------------------------------------------------------------


def family_world(schemas, seed: int = 0, **settings) -> World:
    task = FamilyTask(person_class="Person", parent_property="parentOf", sibling_property="siblingOf", **settings)
    return world_with(schemas["family"], task, seed)


@pytest.mark.parametrize(("families", "generations", "max_children"), [(20, 3, 3), (5, 4, 2), (3, 2, 1)])
def test_family_trees(schemas, families: int, generations: int, max_children: int) -> None:
    world = family_world(schemas, families=families, generations=generations, max_children=max_children)
    statements = generated(world)
    people = world.individuals
    assert {s.subject for s in statements if s.relation == ISA and s.object == "Person"} == people
    assert set(Counter(s.relation for s in statements)) <= {ISA, "parentOf", "siblingOf"}

    parents: defaultdict[str, set[str]] = defaultdict(set)
    tree = nx.DiGraph()
    tree.add_nodes_from(people)
    for s in statements:
        if s.relation == "parentOf":
            parents[s.object].add(s.subject)
            tree.add_edge(s.subject, s.object)
    # every child has two parents, and a couple has 1..max_children children
    assert all(len(p) == 2 for p in parents.values())
    children_of: defaultdict[frozenset, set[str]] = defaultdict(set)
    for child, couple in parents.items():
        children_of[frozenset(couple)].add(child)
    assert all(1 <= len(c) <= max_children for c in children_of.values())
    # siblings: exactly the pairs of children of one couple, each pair once
    siblings = {frozenset((s.subject, s.object)) for s in statements if s.relation == "siblingOf"}
    expected = {frozenset((a, b)) for c in children_of.values() for a in c for b in c if a != b}
    assert siblings == expected
    assert len([s for s in statements if s.relation == "siblingOf"]) == len(expected)
    # one tree per family, `generations` deep (people in no parentOf fact: see the next test)
    related = tree.subgraph([p for p in people if tree.degree(p) > 0])
    assert nx.number_weakly_connected_components(related) == families
    assert nx.is_directed_acyclic_graph(related)
    for component in nx.weakly_connected_components(related):
        assert nx.dag_longest_path_length(related.subgraph(component)) == generations - 1
    if max_children == 1:  # one child per couple: 2 founders, then 1 child and 1 spouse per generation
        assert related.number_of_nodes() == (2 * generations - 1) * families


@pytest.mark.parametrize(("families", "generations", "max_children"), [(20, 3, 3), (3, 2, 1)])
def test_every_person_belongs_to_a_family(schemas, families: int, generations: int, max_children: int) -> None:
    """Each generated person is a parent or a child in one of the trees.

    A spouse is only useful as a parent: a spouse for the youngest generation has no
    children, so they would be a Person with no relation to anyone.
    """
    world = family_world(schemas, families=families, generations=generations, max_children=max_children)
    related = {t for s in generated(world) if s.relation == "parentOf" for t in (s.subject, s.object)}
    isolated = sorted(world.individuals - related)
    assert not isolated, f"{len(isolated)} of {len(world.individuals)} people are in no family tree, e.g. {isolated[:3]}"


def test_family_needs_declared_terms(schemas) -> None:
    with pytest.raises(SettingsError, match="personClass .*'Human', which is not a class"):
        world_with(schemas["family"], FamilyTask(person_class="Human", parent_property="parentOf", sibling_property="siblingOf"))
    with pytest.raises(SettingsError, match="parentProperty .*'motherOf', which is not an object property"):
        world_with(schemas["family"], FamilyTask(person_class="Person", parent_property="motherOf", sibling_property="siblingOf"))


# --- CelebrityTask --------------------------------------------------------------


def test_celebrities(schemas) -> None:
    schema = schemas["celebrities"]
    (task,) = schema.tasks
    world = build_world(schema, 0)
    statements = generated(world)
    celebrities = {s.subject for s in statements if s.relation == ISA and s.object == "Celebrity"}
    works = {s.subject for s in statements if s.relation == ISA and s.object == "Work"}
    assert len(celebrities) == len(works) == 900
    assert world.individuals == celebrities | works
    descriptions = [s for s in statements if s.relation != ISA]
    assert len(descriptions) == 900
    assert {s.subject for s in descriptions} == celebrities  # one description each
    assert {s.object for s in descriptions} == works  # of a work of their own
    assert {s.relation for s in descriptions} <= set(task.description_property)
    assert len({s.relation for s in descriptions}) == len(task.description_property)  # 900 draws hit all 10
    assert len(statements) == 3 * 900


def test_celebrity_count_setting(schemas) -> None:
    task = CelebrityTask(celebrities=7, person_class="Celebrity", work_class="Work", description_property=("authorOf",))
    world = world_with(schemas["celebrities"], task)
    descriptions = [s for s in generated(world) if s.relation != ISA]
    assert len(descriptions) == 7 and {s.relation for s in descriptions} == {"authorOf"}
    assert len(world.individuals) == 14


# --- HierarchyTask --------------------------------------------------------------


def test_hierarchy_counts(hierarchy_schema) -> None:
    (task,) = hierarchy_schema.tasks
    assert isinstance(task, HierarchyTask)
    part = registry.generate(task, hierarchy_schema, random.Random(0), FreshNames(set(hierarchy_schema.iris)))
    subclass = [s for s in part.statements if s.relation == ISA and s.form is Form.ALL]
    restrictions = [s for s in part.statements if s.relation != ISA]
    members = [s for s in part.statements if s.relation == ISA and s.form is Form.FACT]
    generated_classes = {s.subject for s in subclass}
    assert len(generated_classes) == len(subclass) == 3 + 9  # depth 2, branching 3
    features = part.classes - generated_classes
    assert len(features) == 5
    assert len(restrictions) == 12  # propertiesPerClass 1
    for s in restrictions:
        assert s.form is Form.ALL and s.relation in {"has", "can"}
        assert s.subject in generated_classes and s.object in features
    tree = nx.DiGraph((s.object, s.subject) for s in subclass)
    assert nx.is_arborescence(tree)
    assert [n for n in tree if tree.in_degree(n) == 0] == ["Thing"]
    assert all(tree.out_degree(n) in (0, 3) for n in tree)
    leaves = [n for n in tree if tree.out_degree(n) == 0]
    assert len(leaves) == 9
    assert all(nx.shortest_path_length(tree, "Thing", leaf) == 2 for leaf in leaves)
    assert len(members) == 9 * 2  # individualsPerLeaf 2
    assert Counter(s.object for s in members) == dict.fromkeys(leaves, 2)
    assert part.individuals == {s.subject for s in members}


@pytest.mark.parametrize(("depth", "branching", "per_class"), [(4, 3, 1), (1, 5, 0), (3, 2, 3)])
def test_hierarchy_settings(hierarchy_schema, depth: int, branching: int, per_class: int) -> None:
    task = HierarchyTask(depth=depth, branching=branching, root_class="Thing", features=4,
                         properties_per_class=per_class, feature_property=("has",))
    part = registry.generate(task, hierarchy_schema, random.Random(1), FreshNames(set(hierarchy_schema.iris)))
    n_classes = sum(branching**level for level in range(1, depth + 1))
    assert len([s for s in part.statements if s.relation == ISA]) == n_classes
    assert len([s for s in part.statements if s.relation == "has"]) == n_classes * per_class
    assert len(part.classes) == n_classes + 4
    world = world_with(hierarchy_schema, task)
    assert len(world.classes) == 1 + n_classes + 4  # with :Thing


# --- determinism ----------------------------------------------------------------


def snapshot(world: World) -> tuple:
    return (world.seed, sorted(world.classes), sorted(world.individuals), world.asserted, world.term_groups)


@pytest.mark.parametrize("name", ONTOLOGY_NAMES)
def test_same_seed_same_world(schemas, name: str) -> None:
    first = build_world(schemas[name], 11)
    again = build_world(load_schema(ONTOLOGIES / f"{name}.ttl"), 11)  # a fresh parse, too
    assert snapshot(first) == snapshot(again)


@pytest.mark.parametrize("name", GENERATIVE)
def test_other_seed_other_world(schemas, name: str) -> None:
    assert build_world(schemas[name], 11).asserted != build_world(schemas[name], 12).asserted


def test_hierarchy_seed(hierarchy_schema) -> None:
    assert snapshot(build_world(hierarchy_schema, 3)) == snapshot(build_world(hierarchy_schema, 3))
    assert build_world(hierarchy_schema, 3).asserted != build_world(hierarchy_schema, 4).asserted


def test_world_without_tasks_is_the_schema(schemas) -> None:
    schema = schemas["semantic_structure"]
    world = build_world(schema, 5)
    assert world.asserted == sorted(set(schema.asserted))
    assert world.classes == schema.classes and world.term_groups == []


def test_fresh_names_avoid_schema_terms() -> None:
    names = FreshNames({"entity1", "entity3"})
    assert [names("entity") for _ in range(3)] == ["entity2", "entity4", "entity5"]
    assert names("term") == "term1"
