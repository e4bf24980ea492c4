"""Tests for kgsynth.logic.settings: the kgs: task settings (of the built-in families), their defaults, names,
minimums and maximums."""

from __future__ import annotations

from dataclasses import fields

import pytest

from kgsynth.errors import KgsynthError, SettingsError
from kgsynth.logic.settings import DEFAULT_MAXIMUM, TASKS, camel, parse_task, snake
from kgsynth.tasks import CelebrityTask, ComparisonTask, FamilyTask, HierarchyTask, SyllogismTask

WHERE = "test.ttl"
FAMILY_REQUIRED = {"personClass": ["Person"], "parentProperty": ["parentOf"], "siblingProperty": ["siblingOf"]}
CELEBRITY_REQUIRED = {"personClass": ["Celebrity"], "workClass": ["Work"], "descriptionProperty": ["authorOf"]}
HIERARCHY_REQUIRED = {"rootClass": ["Thing"], "featureProperty": ["has"]}


# --- defaults (README.md, "Ontology format", "Generation settings") ---------------


def test_comparison_defaults() -> None:
    task = parse_task("ComparisonTask", {}, WHERE)
    assert task == ComparisonTask(facts=100, chain_length=1, dimension=(), entity_class="", repetitions=10)


def test_syllogism_defaults() -> None:
    task = parse_task("SyllogismTask", {}, WHERE)
    assert task == SyllogismTask(syllogisms=69, valid_only=True)


def test_family_defaults() -> None:
    task = parse_task("FamilyTask", FAMILY_REQUIRED, WHERE)
    assert isinstance(task, FamilyTask)
    assert (task.families, task.generations, task.max_children) == (20, 3, 3)
    assert (task.person_class, task.parent_property, task.sibling_property) == ("Person", "parentOf", "siblingOf")


def test_celebrity_defaults() -> None:
    task = parse_task("CelebrityTask", CELEBRITY_REQUIRED, WHERE)
    assert isinstance(task, CelebrityTask)
    assert task.celebrities == 900
    assert task.description_property == ("authorOf",)


def test_hierarchy_defaults() -> None:
    task = parse_task("HierarchyTask", HIERARCHY_REQUIRED, WHERE)
    assert isinstance(task, HierarchyTask)
    assert (task.depth, task.branching, task.features) == (4, 3, 50)
    assert (task.properties_per_class, task.individuals_per_leaf) == (1, 0)
    assert task.feature_property == ("has",)


def test_task_registry_names_every_task() -> None:
    assert set(TASKS) >= {"ComparisonTask", "SyllogismTask", "FamilyTask", "CelebrityTask", "HierarchyTask"}
    for name, cls in TASKS.items():
        assert cls.kind() == f"kgs:{name}"


# --- names --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("snake_name", "camel_name"),
    [("facts", "facts"), ("chain_length", "chainLength"), ("individuals_per_leaf", "individualsPerLeaf"),
     ("valid_only", "validOnly"), ("description_property", "descriptionProperty")],
)
def test_camel_and_snake(snake_name: str, camel_name: str) -> None:
    assert camel(snake_name) == camel_name
    assert snake(camel_name) == snake_name


@pytest.mark.parametrize("cls", list(TASKS.values()), ids=list(TASKS))
def test_every_field_round_trips_through_camel_case(cls) -> None:
    for f in fields(cls):
        assert snake(camel(f.name)) == f.name


def test_camel_case_settings_set_snake_case_fields() -> None:
    task = parse_task(
        "ComparisonTask",
        {"facts": [7], "chainLength": [3], "entityClass": ["Entity"], "repetitions": [2], "dimension": ["b", "a"]},
        WHERE,
    )
    assert task == ComparisonTask(facts=7, chain_length=3, dimension=("a", "b"), entity_class="Entity", repetitions=2)


def test_repeatable_setting_collects_every_value_sorted() -> None:
    values = dict(CELEBRITY_REQUIRED, descriptionProperty=["painterOf", "authorOf", "directorOf"])
    task = parse_task("CelebrityTask", values, WHERE)
    assert task.description_property == ("authorOf", "directorOf", "painterOf")


def test_bool_setting() -> None:
    assert parse_task("SyllogismTask", {"validOnly": [False]}, WHERE).valid_only is False


# --- errors -------------------------------------------------------------------


def test_unknown_task() -> None:
    with pytest.raises(SettingsError, match=r"unknown task kgs:RiddleTask") as info:
        parse_task("RiddleTask", {}, WHERE)
    assert WHERE in str(info.value)
    assert "kgs:ComparisonTask" in str(info.value)  # lists the known tasks


def test_unknown_setting_names_it_and_lists_the_known_ones() -> None:
    with pytest.raises(SettingsError, match=r"unknown setting kgs:colour for kgs:SyllogismTask") as info:
        parse_task("SyllogismTask", {"colour": ["red"]}, WHERE)
    assert "kgs:validOnly" in str(info.value)
    assert str(info.value).startswith(WHERE)


@pytest.mark.parametrize(
    ("kind", "values", "message"),
    [
        ("ComparisonTask", {"facts": ["ten"]}, "kgs:facts of kgs:ComparisonTask must be an integer, got 'ten'"),
        ("ComparisonTask", {"facts": [True]}, "must be an integer"),
        ("ComparisonTask", {"facts": [2.5]}, "must be an integer"),
        ("SyllogismTask", {"validOnly": ["yes"]}, "kgs:validOnly of kgs:SyllogismTask must be true or false"),
        ("SyllogismTask", {"validOnly": [1]}, "must be true or false"),
        ("ComparisonTask", {"facts": [3, 4]}, "kgs:facts of kgs:ComparisonTask is given 2 times"),
    ],
)
def test_bad_values(kind: str, values: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_task(kind, values, WHERE)


@pytest.mark.parametrize(
    ("kind", "values", "missing"),
    [
        ("FamilyTask", {k: v for k, v in FAMILY_REQUIRED.items() if k != "personClass"}, "personClass"),
        ("FamilyTask", {k: v for k, v in FAMILY_REQUIRED.items() if k != "siblingProperty"}, "siblingProperty"),
        ("CelebrityTask", {k: v for k, v in CELEBRITY_REQUIRED.items() if k != "descriptionProperty"}, "descriptionProperty"),
        ("HierarchyTask", {k: v for k, v in HIERARCHY_REQUIRED.items() if k != "rootClass"}, "rootClass"),
        ("HierarchyTask", {k: v for k, v in HIERARCHY_REQUIRED.items() if k != "featureProperty"}, "featureProperty"),
    ],
)
def test_missing_required_setting(kind: str, values: dict, missing: str) -> None:
    with pytest.raises(SettingsError, match=rf"kgs:{kind} needs kgs:{missing}"):
        parse_task(kind, values, WHERE)


# --- minimums -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "setting", "minimum", "required"),
    [
        ("ComparisonTask", "facts", 1, {}),
        ("ComparisonTask", "chainLength", 1, {}),
        ("ComparisonTask", "repetitions", 1, {}),
        ("SyllogismTask", "syllogisms", 1, {}),
        ("FamilyTask", "families", 1, FAMILY_REQUIRED),
        ("FamilyTask", "generations", 2, FAMILY_REQUIRED),
        ("FamilyTask", "maxChildren", 1, FAMILY_REQUIRED),
        ("CelebrityTask", "celebrities", 1, CELEBRITY_REQUIRED),
        ("HierarchyTask", "depth", 1, HIERARCHY_REQUIRED),
        ("HierarchyTask", "branching", 1, HIERARCHY_REQUIRED),
        ("HierarchyTask", "features", 1, HIERARCHY_REQUIRED),
        ("HierarchyTask", "propertiesPerClass", 0, HIERARCHY_REQUIRED),
        ("HierarchyTask", "individualsPerLeaf", 0, HIERARCHY_REQUIRED),
    ],
)
def test_minimums(kind: str, setting: str, minimum: int, required: dict) -> None:
    ok = parse_task(kind, dict(required, **{setting: [minimum]}), WHERE)
    assert getattr(ok, snake(setting)) == minimum
    with pytest.raises(SettingsError, match=rf"kgs:{setting} of kgs:{kind} must be at least {minimum}, got {minimum - 1}"):
        parse_task(kind, dict(required, **{setting: [minimum - 1]}), WHERE)


def test_validate_on_a_directly_built_config() -> None:
    with pytest.raises(SettingsError, match="must be at least 2"):
        FamilyTask(generations=1, person_class="P", parent_property="p", sibling_property="s").validate(WHERE)
    with pytest.raises(SettingsError, match="needs kgs:personClass"):
        FamilyTask(parent_property="p", sibling_property="s").validate(WHERE)
    ComparisonTask().validate(WHERE)  # the defaults are valid


def test_settings_errors_are_kgsynth_errors() -> None:
    assert issubclass(SettingsError, KgsynthError)


# --- maximums (README.md, "Generation settings": the bounds table) --------------------------


@pytest.mark.parametrize(
    ("kind", "setting", "maximum", "others"),
    [
        ("ComparisonTask", "facts", 2_000_000, {"repetitions": [1]}),
        ("ComparisonTask", "chainLength", 1_000, {}),
        ("ComparisonTask", "repetitions", 1_000, {}),
        ("SyllogismTask", "syllogisms", 100_000, {}),
        ("FamilyTask", "families", 100_000, FAMILY_REQUIRED),
        ("FamilyTask", "generations", 12, FAMILY_REQUIRED),
        ("FamilyTask", "maxChildren", 20, FAMILY_REQUIRED),
        ("CelebrityTask", "celebrities", 500_000, CELEBRITY_REQUIRED),
        ("CelebrityTask", "repetitions", 1_000, CELEBRITY_REQUIRED),
        ("CelebrityTask", "bothOrdersPercent", 100, CELEBRITY_REQUIRED),
        ("HierarchyTask", "depth", 20, HIERARCHY_REQUIRED),
        ("HierarchyTask", "branching", 100, HIERARCHY_REQUIRED),
        ("HierarchyTask", "features", 100_000, HIERARCHY_REQUIRED),
        ("HierarchyTask", "propertiesPerClass", 1_000, HIERARCHY_REQUIRED),
        ("HierarchyTask", "individualsPerLeaf", 1_000_000, HIERARCHY_REQUIRED),
        ("Documents", "documents", 1_000_000, {}),
        ("Documents", "minSentences", 1_000, {"maxSentences": [1_000]}),
        ("Documents", "maxSentences", 1_000, {}),
        ("Documents", "holdoutCategories", 100_000, {}),
        ("Documents", "options", 26, {}),
        ("Documents", "itemsPerSplit", 1_000_000, {}),
    ],
)
def test_maximums(kind: str, setting: str, maximum: int, others: dict) -> None:
    ok = parse_task(kind, dict(others, **{setting: [maximum]}), WHERE)
    assert getattr(ok, snake(setting)) == maximum
    with pytest.raises(SettingsError, match=rf"^{WHERE}: kgs:{setting} of kgs:{kind} must be at most {maximum:,}, "
                                            rf"got {maximum + 1}$"):
        parse_task(kind, dict(others, **{setting: [maximum + 1]}), WHERE)


@pytest.mark.parametrize("cls", list(TASKS.values()), ids=list(TASKS))
def test_every_integer_setting_has_a_maximum(cls) -> None:
    for f in fields(cls):
        if type(f.default) is int:
            assert 0 < f.metadata["max"] <= DEFAULT_MAXIMUM, f.name


def test_a_huge_value_is_refused_by_its_size_without_printing_it() -> None:
    with pytest.raises(SettingsError, match=r"must be at most 100,000, got a number of about 5,000 digits"):
        parse_task("SyllogismTask", {"syllogisms": [10**5000]}, WHERE)  # str() of it would raise ValueError
    with pytest.raises(SettingsError, match=r"must be at least 1, got -99999999999999999999999$"):
        parse_task("SyllogismTask", {"syllogisms": [-99999999999999999999999]}, WHERE)


def test_min_sentences_over_max_sentences_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"kgs:minSentences of kgs:Documents \(30\) is more than kgs:maxSentences \(20\)"):
        parse_task("Documents", {"minSentences": [30]}, WHERE)


def test_validate_refuses_a_value_of_the_wrong_type() -> None:
    with pytest.raises(SettingsError, match=r"kgs:facts of kgs:ComparisonTask must be an integer, got 2.5"):
        ComparisonTask(facts=2.5).validate(WHERE)
    with pytest.raises(SettingsError, match=r"must be an integer, got True"):
        ComparisonTask(facts=True).validate(WHERE)
