"""Generation settings: the small kgs: namespace, one config dataclass per task."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

from rdflib import Namespace

from .errors import SettingsError

KGS = Namespace("https://kgsynth.org/ns#")


@dataclass(frozen=True)
class TaskConfig:
    """Base of every task; subclasses list their settings as fields."""

    def validate(self, where: str) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("required") and not value:
                raise SettingsError(f"{where}: {self.kind()} needs kgs:{camel(f.name)}")
            if isinstance(value, int) and not isinstance(value, bool) and value < f.metadata.get("min", 0):
                raise SettingsError(
                    f"{where}: kgs:{camel(f.name)} of {self.kind()} must be at least {f.metadata.get('min', 0)}, got {value}"
                )

    @classmethod
    def kind(cls) -> str:
        return "kgs:" + cls.__name__


def setting(default, *, required: bool = False, minimum: int = 0, many: bool = False):
    meta = {"required": required, "min": minimum, "many": many}
    if many:
        return field(default=(), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class ComparisonTask(TaskConfig):
    facts: int = setting(100, minimum=1)
    chain_length: int = setting(1, minimum=1)
    dimension: tuple[str, ...] = setting((), many=True)
    entity_class: str = setting("")
    repetitions: int = setting(10, minimum=1)


@dataclass(frozen=True)
class SyllogismTask(TaskConfig):
    syllogisms: int = setting(69, minimum=1)
    valid_only: bool = setting(True)


@dataclass(frozen=True)
class FamilyTask(TaskConfig):
    families: int = setting(20, minimum=1)
    generations: int = setting(3, minimum=2)
    max_children: int = setting(3, minimum=1)
    person_class: str = setting("", required=True)
    parent_property: str = setting("", required=True)
    sibling_property: str = setting("", required=True)


@dataclass(frozen=True)
class CelebrityTask(TaskConfig):
    celebrities: int = setting(900, minimum=1)
    person_class: str = setting("", required=True)
    work_class: str = setting("", required=True)
    description_property: tuple[str, ...] = setting((), required=True, many=True)
    repetitions: int = setting(4, minimum=1)
    both_orders_percent: int = setting(50)


@dataclass(frozen=True)
class HierarchyTask(TaskConfig):
    depth: int = setting(4, minimum=1)
    branching: int = setting(3, minimum=1)
    root_class: str = setting("", required=True)
    features: int = setting(50, minimum=1)
    properties_per_class: int = setting(1)
    feature_property: tuple[str, ...] = setting((), required=True, many=True)
    individuals_per_leaf: int = setting(0)


@dataclass(frozen=True)
class Documents(TaskConfig):
    """How the world becomes training documents and test items (no facts of its own)."""

    documents: int = setting(0)  # 0: one per topic
    min_sentences: int = setting(4, minimum=1)
    max_sentences: int = setting(20, minimum=1)
    holdout_categories: int = setting(10)
    options: int = setting(4, minimum=2)
    items_per_split: int = setting(500, minimum=1)


TASKS: dict[str, type[TaskConfig]] = {
    cls.__name__: cls for cls in (ComparisonTask, SyllogismTask, FamilyTask, CelebrityTask, HierarchyTask, Documents)
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def parse_task(kind: str, values: dict[str, list], where: str) -> TaskConfig:
    """Build the task `kind` from its kgs: settings (local name -> list of values)."""
    if kind not in TASKS:
        known = ", ".join(f"kgs:{name}" for name in TASKS)
        raise SettingsError(f"{where}: unknown task kgs:{kind} (known: {known})")
    cls = TASKS[kind]
    by_name = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, items in values.items():
        f = by_name.get(snake(key))
        if f is None:
            known = ", ".join(f"kgs:{camel(name)}" for name in by_name)
            raise SettingsError(f"{where}: unknown setting kgs:{key} for kgs:{kind} (known: {known})")
        kwargs[f.name] = convert(f, items, where, kind)
    config = cls(**kwargs)
    config.validate(where)
    return config


def convert(f, items: list, where: str, kind: str):
    if f.metadata["many"]:
        return tuple(sorted(str(item) for item in items))
    if len(items) != 1:
        raise SettingsError(f"{where}: kgs:{camel(f.name)} of kgs:{kind} is given {len(items)} times")
    value, expected = items[0], type(f.default)
    if expected is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{where}: kgs:{camel(f.name)} of kgs:{kind} must be true or false, got {value!r}")
        return value
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{where}: kgs:{camel(f.name)} of kgs:{kind} must be an integer, got {value!r}")
        return value
    return str(value)
