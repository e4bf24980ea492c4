"""Class hierarchies (kgs:HierarchyTask): a tree of fresh classes under a root class, with
class-level properties and members. No documents or items of its own: the hierarchy
becomes wiki-like documents and wiki items (kgsynth.tasks.wiki)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..logic.ontology import Schema
from ..logic.settings import TaskConfig, setting
from ..logic.statement import ISA, Form
from ..logic.world import FreshNames, Generated
from .registry import ESTIMATE_CAP, Family, register, require_class, require_property


@dataclass(frozen=True)
class HierarchyTask(TaskConfig):
    depth: int = setting(4, minimum=1, maximum=20)  # the tree has branching ** depth leaves
    branching: int = setting(3, minimum=1, maximum=100)
    root_class: str = setting("", required=True)
    features: int = setting(50, minimum=1, maximum=100_000)  # fresh classes, no statements of their own
    properties_per_class: int = setting(1, maximum=1_000)
    feature_property: tuple[str, ...] = setting((), required=True, many=True)
    individuals_per_leaf: int = setting(0, maximum=1_000_000)


def generate(task: HierarchyTask, schema: Schema, rng: random.Random, names: FreshNames) -> Generated:
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


def estimate(task: HierarchyTask) -> int:
    """The statements `generate` asserts: per class its subclass link and its properties, per
    leaf its members' types; the sum stops growing past ESTIMATE_CAP (a deep tree is refused anyway)."""
    classes, level = 0, 1
    for _depth in range(task.depth):
        level = min(level * task.branching, ESTIMATE_CAP)
        classes += level
        if classes >= ESTIMATE_CAP:
            break
    return min(ESTIMATE_CAP, classes * (1 + task.properties_per_class) + level * task.individuals_per_leaf)


# documents and items: wiki
register(Family(HierarchyTask, generate, estimate=estimate,
                grows_with=("depth", "branching", "properties_per_class", "individuals_per_leaf")))
