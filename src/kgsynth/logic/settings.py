"""Generation settings: the small kgs: namespace, the config base class and the registry of
config classes the ontology reader consults (each task family registers its own)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

from rdflib import Namespace

from ..errors import SettingsError

KGS = Namespace("https://kgsynth.org/ns#")

# Bounds on what a world may ask for (the README's "Generation settings" table lists each
# setting's maximum). A world asserts at most STATEMENT_BUDGET statements: its schema's own
# plus every task's estimate (kgsynth.tasks.registry.check_size), checked before any is
# generated. bench/ontologies/scale_1m.ttl asserts about 1,000,000 (`bench/scale.py --scale 2`
# still fits); past that the closure outgrows the 8 GiB the benchmark targets.
STATEMENT_BUDGET = 2_000_000
# training documents one task may write (kgs:facts or kgs:celebrities × kgs:repetitions)
DOCUMENT_BUDGET = 5_000_000
# an integer setting without a maximum of its own (a task family outside kgsynth)
DEFAULT_MAXIMUM = 1_000_000_000


@dataclass(frozen=True)
class TaskConfig:
    """Base of every task; subclasses list their settings as fields."""

    def validate(self, where: str) -> None:
        """Each setting present when required, an integer where one is expected, within its bounds."""
        for f in fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("required") and not value:
                raise SettingsError(f"{where}: {self.kind()} needs kgs:{camel(f.name)}")
            if type(f.default) is int and (isinstance(value, bool) or not isinstance(value, int)):
                raise SettingsError(f"{where}: kgs:{camel(f.name)} of {self.kind()} must be an integer, got {value!r:.40}")
            if isinstance(value, int) and not isinstance(value, bool):
                check_bounds(self, f, value, where)

    @classmethod
    def kind(cls) -> str:
        return "kgs:" + cls.__name__


def setting(default, *, required: bool = False, minimum: int = 0, maximum: int | None = None, many: bool = False):
    """A task setting. An integer one is within [minimum, maximum]; without a maximum of its own,
    at most DEFAULT_MAXIMUM (the bounds are the "Generation settings" table of the README)."""
    meta = {"required": required, "min": minimum, "max": DEFAULT_MAXIMUM if maximum is None else maximum, "many": many}
    if many:
        return field(default=(), metadata=meta)
    return field(default=default, metadata=meta)


def check_bounds(config: TaskConfig, f, value: int, where: str) -> None:
    """One-line SettingsError when `value` of setting `f` is out of its bounds (any int, however large)."""
    low, high = f.metadata.get("min", 0), f.metadata.get("max", DEFAULT_MAXIMUM)
    if value < low:
        raise SettingsError(f"{where}: kgs:{camel(f.name)} of {config.kind()} must be at least {low}, got {shown(value)}")
    if value > high:
        raise SettingsError(f"{where}: kgs:{camel(f.name)} of {config.kind()} must be at most {high:,}, got {shown(value)}")


def shown(value: int) -> str:
    """An int as a message shows it: its digits, or its size when it has too many to print."""
    if value.bit_length() <= 100:
        return str(value)
    return f"a number of about {int(value.bit_length() * 0.30103):,} digits"


# kgs:<name> -> its config class; task families (kgsynth.tasks) register theirs
TASKS: dict[str, type[TaskConfig]] = {}


def register_settings(cls: type[TaskConfig]) -> type[TaskConfig]:
    """Make `kgs:<cls.__name__>` a task the ontology reader knows."""
    known = TASKS.get(cls.__name__)
    if known is not None and known is not cls:
        raise SettingsError(f"a task kgs:{cls.__name__} is registered already ({known.__module__}.{known.__qualname__})")
    TASKS[cls.__name__] = cls
    return cls


def unregister_settings(cls: type[TaskConfig]) -> None:
    if TASKS.get(cls.__name__) is cls:
        del TASKS[cls.__name__]


@register_settings
@dataclass(frozen=True)
class Documents(TaskConfig):
    """How the world becomes training documents and test items (no facts of its own)."""

    documents: int = setting(0, maximum=1_000_000)  # 0: one per topic; at most about one per statement is useful
    min_sentences: int = setting(4, minimum=1, maximum=1_000)  # sentences per wiki document
    max_sentences: int = setting(20, minimum=1, maximum=1_000)
    holdout_categories: int = setting(10, maximum=100_000)  # a fifth of the leaf categories at most anyway
    options: int = setting(4, minimum=2, maximum=26)  # choice scoring letters them A-Z
    items_per_split: int = setting(500, minimum=1, maximum=1_000_000)

    def validate(self, where: str) -> None:
        super().validate(where)
        if self.min_sentences > self.max_sentences:
            raise SettingsError(f"{where}: kgs:minSentences of {self.kind()} ({self.min_sentences}) "
                                f"is more than kgs:maxSentences ({self.max_sentences})")


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
