"""Family trees (kgs:FamilyTask): couples and their children over several generations,
spouses marrying in from outside the tree. No documents or items of its own: the trees
become wiki-like documents and wiki items (kgsynth.tasks.wiki)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..logic.ontology import Schema
from ..logic.settings import TaskConfig, setting
from ..logic.statement import ISA
from ..logic.world import FreshNames, Generated
from .registry import ESTIMATE_CAP, Family, register, require_class, require_property


@dataclass(frozen=True)
class FamilyTask(TaskConfig):
    families: int = setting(20, minimum=1, maximum=100_000)
    generations: int = setting(3, minimum=2, maximum=12)  # trees grow as (maxChildren + 1) / 2 per generation
    max_children: int = setting(3, minimum=1, maximum=20)
    person_class: str = setting("", required=True)
    parent_property: str = setting("", required=True)
    sibling_property: str = setting("", required=True)


def generate(task: FamilyTask, schema: Schema, rng: random.Random, names: FreshNames) -> Generated:
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


def estimate(task: FamilyTask) -> int:
    """The statements `generate` asserts, on average: each person's type, two parent facts per
    child, a sibling fact per pair of children, and a spouse for each child but the last generation's."""
    mean = (task.max_children + 1) / 2  # children per couple, uniform in 1..max_children
    pairs = ((task.max_children + 1) * (2 * task.max_children + 1) / 6 - mean) / 2  # E[n(n-1)/2]
    couples, total = 1.0, 2.0  # the first couple's types
    for generation in range(1, task.generations):
        children = couples * mean
        total += children * 3 + couples * pairs
        if generation < task.generations - 1:
            total += children  # their spouses' types
        couples = children
        if total > ESTIMATE_CAP:
            break
    return min(ESTIMATE_CAP, round(total * task.families))


# documents and items: wiki
register(Family(FamilyTask, generate, estimate=estimate, grows_with=("families", "generations", "max_children")))
