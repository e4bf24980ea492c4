"""A concrete world: the schema's own facts plus what its tasks sample from one seed.

What each task samples is not decided here: `sample_world` is handed the generator
(kgsynth.tasks.build_world passes the registered task families' generators).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from .ontology import Schema
from .settings import Documents, TaskConfig
from .statement import Form, Statement

WORLD_NAMESPACE = "https://kgsynth.org/world/"


@dataclass
class World:
    schema: Schema
    seed: int
    classes: set[str] = field(default_factory=set)
    individuals: set[str] = field(default_factory=set)
    asserted: list[Statement] = field(default_factory=list)
    # groups of class terms whose categorical closure (all/some/no/some-not) is wanted
    term_groups: list[tuple[str, ...]] = field(default_factory=list)
    proper_names: set[str] = field(default_factory=set)

    def iri(self, term_id: str) -> str:
        return self.schema.iris.get(term_id) or WORLD_NAMESPACE + term_id

    def label(self, term_id: str) -> str | None:
        return self.schema.labels.get(term_id)

    @cached_property  # read per query and per distractor; the schema is settled before the world is made
    def facts_as_data(self) -> bool:
        """No task generates anything and no relation is marked kgs:closed: the asserted facts
        are the whole truth, so a fact about individuals (a relation or a membership) that the
        oracle cannot derive is false (closed world). An ontology that marks some relations
        kgs:closed has said which are closed: those alone are."""
        return (all(isinstance(task, Documents) for task in self.schema.tasks)
                and not any(prop.closed for prop in self.schema.properties.values()))

    def documents_settings(self) -> Documents:
        found = [task for task in self.schema.tasks if isinstance(task, Documents)]
        return found[0] if found else Documents()


@dataclass
class Generated:
    """What one task adds to a world."""

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


Generate = Callable[[TaskConfig, Schema, random.Random, FreshNames], Generated]


def sample_world(schema: Schema, seed: int, generate: Generate) -> World:
    """Sample a world from `schema`, each task through `generate`; the same schema and seed
    give the same world (each task draws from its own seeded random stream)."""
    world = World(schema, seed, set(schema.classes), set(schema.individuals))
    statements = set(schema.asserted)
    names = FreshNames(set(schema.iris))
    for index, task in enumerate(schema.tasks):
        rng = random.Random(f"{seed}:{index}:{task.kind()}")
        part = generate(task, schema, rng, names)
        world.classes |= part.classes
        world.individuals |= part.individuals
        world.term_groups.extend(part.term_groups)
        world.proper_names |= part.proper_names
        statements.update(part.statements)
    world.asserted = sorted(statements)
    return world
