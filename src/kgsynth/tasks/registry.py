"""The registry of task families. A family is one module: its settings (a kgs: task), its
world generator, and how its facts become training documents and test items.

    register(Family(ChainTask, generate_chains))  # documents and items: the wiki defaults

registers `kgs:ChainTask` with the ontology reader too. `build_world` samples a world
with the registered generators, once the statements each task would assert (its family's
`estimate`) fit the budget (kgsynth.logic.settings.STATEMENT_BUDGET); documents.build_corpus and items.build_items dispatch
to the families' `documents` and `items` the same way. A family outside kgsynth is
registered when its module is imported: name it in $KGSYNTH_TASKS (comma-separated module
names) or as a "kgsynth.tasks" entry point of its package, and every kgsynth command
(`synth` included) imports it.
"""

from __future__ import annotations

import importlib
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from ..errors import KgsynthError, SettingsError
from ..logic.ontology import Property, Schema
from ..logic.settings import STATEMENT_BUDGET, TaskConfig, camel, register_settings, unregister_settings
from ..logic.world import FreshNames, Generated, World, sample_world

if TYPE_CHECKING:
    from .documents import DocumentBuilder
    from .items import ItemBuilder


@dataclass(frozen=True)
class Family:
    """One task family.

    settings:  its config dataclass; `kgs:<class name>` in an ontology asks for it
    generate:  (task, schema, rng, fresh names) -> Generated, what one task adds to the world
    documents: (builder, task) -> None, adds the task's training documents (builder.new_document);
               None: the world's facts become wiki-like documents (kgsynth.tasks.wiki)
    items:     (builder, tasks of this family) -> None, adds test items (builder.add);
               None: wiki items (kgsynth.tasks.wiki)
    estimate:  (task) -> int, about how many statements `generate` asserts, computed without
               generating (at most ESTIMATE_CAP); None: not known, the task is not sized
    grows_with: the settings (field names) the estimate grows with, named when it is too big
    """

    settings: type[TaskConfig]
    generate: Callable[[TaskConfig, Schema, random.Random, FreshNames], Generated]
    documents: Callable[[DocumentBuilder, TaskConfig], None] | None = None
    items: Callable[[ItemBuilder, list[TaskConfig]], None] | None = None
    estimate: Callable[[TaskConfig], int] | None = None
    grows_with: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.settings.__name__


FAMILIES: dict[type[TaskConfig], Family] = {}  # in registration order
PLUGINS_VARIABLE = "KGSYNTH_TASKS"
ENTRY_POINTS = "kgsynth.tasks"
ESTIMATE_CAP = 10**15  # an estimate stops growing here: far over any budget, and quick to compute


def register(family: Family) -> Family:
    """Register `family` and its settings class (kgs:<name>); returns it."""
    known = FAMILIES.get(family.settings)
    if known is not None and known != family:
        raise SettingsError(f"the task family kgs:{family.name} is registered already")
    register_settings(family.settings)
    FAMILIES[family.settings] = family
    return family


def unregister(settings: type[TaskConfig]) -> None:
    """Forget the family whose settings class is `settings` (and the kgs: task)."""
    FAMILIES.pop(settings, None)
    unregister_settings(settings)


def families() -> list[Family]:
    return list(FAMILIES.values())


def family_of(task: TaskConfig) -> Family | None:
    return FAMILIES.get(type(task))


def generate(task: TaskConfig, schema: Schema, rng: random.Random, names: FreshNames) -> Generated:
    """What `task` adds to the world: its family's generator; nothing for a task with no family."""
    family = family_of(task)
    return family.generate(task, schema, rng, names) if family else Generated()


def build_world(schema: Schema, seed: int) -> World:
    """Sample a world from `schema`; the same schema and seed give the same world. Its tasks
    are validated and sized first (check_size): a world too big is refused before any work."""
    check_size(schema)
    return sample_world(schema, seed, generate)


def check_size(schema: Schema, budget: int = STATEMENT_BUDGET) -> int:
    """About how many statements the world of `schema` asserts: its own and its tasks' estimates.
    SettingsError (one line, naming the task and what to lower) when that is over `budget`."""
    total = len(schema.asserted)
    sizes: dict[str, int] = {}  # task kind -> its tasks' estimates together
    for task in schema.tasks:
        task.validate(schema.path)
        family = family_of(task)
        if family is None or family.estimate is None:
            continue
        size = family.estimate(task)
        if size > budget:
            grows = [name for name in family.grows_with if getattr(task, name)]
            raise SettingsError(f"{schema.path}: {task.kind()} would assert about {about(size)} statements "
                                f"({', '.join(f'{camel(n)} {getattr(task, n)}' for n in grows)}), over the limit "
                                f"of {budget:,}; lower {either([f'kgs:{camel(n)}' for n in grows])}")
        total += size
        sizes[task.kind()] = sizes.get(task.kind(), 0) + size
    if total > budget:
        parts = ", ".join(f"{kind} {size:,}" for kind, size in sizes.items())
        raise SettingsError(f"{schema.path}: the world would assert about {total:,} statements "
                            f"({len(schema.asserted):,} of the ontology's own, {parts}), "
                            f"over the limit of {budget:,}; make its tasks smaller")
    return total


def either(names: list[str]) -> str:
    return " or ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " or " + names[-1]


def about(size: int) -> str:
    return f"{size:,}" if size < ESTIMATE_CAP else f"more than {ESTIMATE_CAP:,}"


def load_plugins() -> None:
    """Import the modules that register more families: the "kgsynth.tasks" entry points of
    installed packages, then the modules named (comma-separated) in $KGSYNTH_TASKS."""
    for entry in entry_points(group=ENTRY_POINTS):
        entry.load()
    for name in (n.strip() for n in os.environ.get(PLUGINS_VARIABLE, "").split(",")):
        if not name:
            continue
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise KgsynthError(f"${PLUGINS_VARIABLE} names the module {name!r}, which cannot be imported: {exc}") from exc


# -- helpers for generators ------------------------------------------------------------------


def require_class(schema: Schema, term: str, task: TaskConfig, setting: str) -> None:
    if term not in schema.classes:
        raise SettingsError(f"{schema.path}: kgs:{setting} of {task.kind()} names '{term}', which is not a class")


def require_property(schema: Schema, term: str, task: TaskConfig, setting: str) -> Property:
    if term not in schema.properties:
        raise SettingsError(f"{schema.path}: kgs:{setting} of {task.kind()} names '{term}', which is not an object property")
    return schema.properties[term]
