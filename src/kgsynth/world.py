"""A concrete world: the schema's own facts plus what its tasks sample from one seed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import generators
from .ontology import Schema
from .settings import Documents
from .statement import Statement

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

    def documents_settings(self) -> Documents:
        found = [task for task in self.schema.tasks if isinstance(task, Documents)]
        return found[0] if found else Documents()


def build_world(schema: Schema, seed: int) -> World:
    """Sample a world from `schema`; the same schema and seed give the same world."""
    world = World(schema, seed, set(schema.classes), set(schema.individuals))
    statements = set(schema.asserted)
    names = generators.FreshNames(set(schema.iris))
    for index, task in enumerate(schema.tasks):
        rng = random.Random(f"{seed}:{index}:{task.kind()}")
        part = generators.generate(task, schema, rng, names)
        world.classes |= part.classes
        world.individuals |= part.individuals
        world.term_groups.extend(part.term_groups)
        world.proper_names |= part.proper_names
        statements.update(part.statements)
    world.asserted = sorted(statements)
    return world
