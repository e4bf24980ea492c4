"""One generator per kgs: task; each samples fresh terms and asserted statements."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import categorical
from .errors import SettingsError
from .ontology import Schema
from .settings import (
    CelebrityTask,
    ComparisonTask,
    FamilyTask,
    HierarchyTask,
    SyllogismTask,
    TaskConfig,
)
from .statement import ISA, Form, Statement


@dataclass
class Generated:
    classes: set[str] = field(default_factory=set)
    individuals: set[str] = field(default_factory=set)
    statements: list[Statement] = field(default_factory=list)
    term_groups: list[tuple[str, ...]] = field(default_factory=list)
    proper_names: set[str] = field(default_factory=set)  # individuals named by two capitalized words

    def fact(self, subject: str, relation: str, obj: str, form: Form = Form.FACT) -> None:
        self.statements.append(Statement(subject, relation, obj, form))


class FreshNames:
    """Ids that collide with nothing in the schema nor with each other."""

    def __init__(self, taken: set[str]):
        self.taken = taken
        self.counters: dict[str, int] = {}

    def __call__(self, prefix: str) -> str:
        while True:
            self.counters[prefix] = self.counters.get(prefix, 0) + 1
            name = f"{prefix}{self.counters[prefix]}"
            if name not in self.taken:
                self.taken.add(name)
                return name


def generate(task: TaskConfig, schema: Schema, rng: random.Random, names: FreshNames) -> Generated:
    generator = GENERATORS.get(type(task))
    return generator(task, schema, rng, names) if generator else Generated()


def require_class(schema: Schema, term: str, task: TaskConfig, setting: str) -> None:
    if term not in schema.classes:
        raise SettingsError(f"{schema.path}: kgs:{setting} of {task.kind()} names '{term}', which is not a class")


def require_property(schema: Schema, term: str, task: TaskConfig, setting: str):
    if term not in schema.properties:
        raise SettingsError(f"{schema.path}: kgs:{setting} of {task.kind()} names '{term}', which is not an object property")
    return schema.properties[term]


def comparison_dimensions(task: ComparisonTask, schema: Schema) -> list[str]:
    if task.dimension:
        for term in task.dimension:
            if not require_property(schema, term, task, "dimension").strict_order:
                raise SettingsError(f"{schema.path}: kgs:dimension '{term}' is not a strict order (transitive and asymmetric)")
        return list(task.dimension)
    dims = sorted(p.id for p in schema.properties.values() if p.strict_order and p.id in schema.forward_inverses)
    if not dims:
        raise SettingsError(f"{schema.path}: {task.kind()} found no strict-order property with an owl:inverseOf")
    return dims


def generate_comparisons(task: ComparisonTask, schema: Schema, rng: random.Random, names: FreshNames) -> Generated:
    """Chains of `chain_length` facts p(e0,e1), p(e1,e2), ... over fresh entities."""
    if task.entity_class:
        require_class(schema, task.entity_class, task, "entityClass")
    dims = comparison_dimensions(task, schema)
    out = Generated()
    remaining = task.facts
    while remaining > 0:
        length = min(task.chain_length, remaining)
        prop = rng.choice(dims)
        inverse = schema.properties[prop].inverse
        if inverse and schema.properties[inverse].strict_order and rng.random() < 0.5:
            prop = inverse  # half the facts in each wording, so no phrase is always the answer
        chain = [names("entity") for _ in range(length + 1)]
        for left, right in zip(chain, chain[1:], strict=False):
            out.fact(left, prop, right)
        for entity in chain:
            out.individuals.add(entity)
            if task.entity_class:
                out.fact(entity, ISA, task.entity_class)
        remaining -= length
    return out




def generate_syllogisms(task: SyllogismTask, schema: Schema, rng: random.Random, names: FreshNames) -> Generated:
    """Two premises over three fresh terms S, M, P, in a random figure and mood."""
    out = Generated()
    for _ in range(task.syllogisms):
        s, m, p = names("term"), names("term"), names("term")
        while True:
            major = _premise(rng, m, p)
            minor = _premise(rng, s, m)
            premises = [major, minor]
            if not categorical.consistent(premises):
                continue
            if not task.valid_only or _has_conclusion(premises, s, p):
                break
        out.classes.update((s, m, p))
        out.statements.extend(premises)
        out.term_groups.append((s, m, p))
    return out


def _premise(rng: random.Random, a: str, b: str) -> Statement:
    if rng.random() < 0.5:
        a, b = b, a
    return Statement(a, ISA, b, rng.choice(categorical.FORMS))


def _has_conclusion(premises: list[Statement], s: str, p: str) -> bool:
    return any(c.form in categorical.CANDIDATE_FORMS for c in categorical.valid_conclusions(premises, [s, p]))


def generate_families(task: FamilyTask, schema: Schema, rng: random.Random, names: FreshNames) -> Generated:
    """Trees of couples and children; spouses marry in from outside the tree."""
    require_class(schema, task.person_class, task, "personClass")
    parent = require_property(schema, task.parent_property, task, "parentProperty").id
    sibling = require_property(schema, task.sibling_property, task, "siblingProperty").id
    out = Generated()

    def person() -> str:
        name = names("person")
        out.individuals.add(name)
        out.fact(name, ISA, task.person_class)
        return name

    for _ in range(task.families):
        couples = [(person(), person())]
        for generation in range(1, task.generations):
            has_children = generation < task.generations - 1  # only they marry in a spouse
            next_couples = []
            for couple in couples:
                children = [person() for _ in range(rng.randint(1, task.max_children))]
                for child in children:
                    for adult in couple:
                        out.fact(adult, parent, child)
                for i, left in enumerate(children):
                    for right in children[i + 1:]:
                        out.fact(left, sibling, right)
                if has_children:
                    next_couples.extend((child, person()) for child in children)
            couples = next_couples
    return out


def generate_celebrities(task: CelebrityTask, schema: Schema, rng: random.Random, names: FreshNames) -> Generated:
    """Each celebrity is described by one relation to one work of their own."""
    require_class(schema, task.person_class, task, "personClass")
    require_class(schema, task.work_class, task, "workClass")
    props = [require_property(schema, p, task, "descriptionProperty").id for p in task.description_property]
    out = Generated()
    for _ in range(task.celebrities):
        celebrity, work = names("celebrity"), names("work")
        out.individuals.update((celebrity, work))
        out.proper_names.update((celebrity, work))
        out.fact(celebrity, ISA, task.person_class)
        out.fact(work, ISA, task.work_class)
        out.fact(celebrity, rng.choice(props), work)
    return out


def generate_hierarchy(task: HierarchyTask, schema: Schema, rng: random.Random, names: FreshNames) -> Generated:
    """A tree of fresh classes under `root_class`, with class-level properties and members."""
    require_class(schema, task.root_class, task, "rootClass")
    props = [require_property(schema, p, task, "featureProperty").id for p in task.feature_property]
    out = Generated()
    features = [names("feature") for _ in range(task.features)]
    out.classes.update(features)
    level = [task.root_class]
    for _depth in range(task.depth):
        next_level = []
        for parent in level:
            for _ in range(task.branching):
                child = names("class")
                out.classes.add(child)
                out.fact(child, ISA, parent, Form.ALL)
                for _ in range(task.properties_per_class):
                    out.fact(child, rng.choice(props), rng.choice(features), Form.ALL)
                next_level.append(child)
        level = next_level
    for leaf in level:
        for _ in range(task.individuals_per_leaf):
            member = names("member")
            out.individuals.add(member)
            out.fact(member, ISA, leaf)
    return out


GENERATORS = {
    ComparisonTask: generate_comparisons,
    SyllogismTask: generate_syllogisms,
    FamilyTask: generate_families,
    CelebrityTask: generate_celebrities,
    HierarchyTask: generate_hierarchy,
}
