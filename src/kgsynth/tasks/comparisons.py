"""Simple reversals (kgs:ComparisonTask): chains of comparison facts over fresh entities,
each fact in short texts with lead-ins; items ask each fact reversed and rephrased."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..errors import SettingsError
from ..logic.ontology import Schema
from ..logic.settings import DOCUMENT_BUDGET, TaskConfig, setting
from ..logic.statement import ISA, Form, Statement
from ..logic.world import FreshNames, Generated
from ..text.wording import HELD_OUT
from .documents import DocumentBuilder
from .items import ItemBuilder
from .registry import Family, register, require_class, require_property


@dataclass(frozen=True)
class ComparisonTask(TaskConfig):
    facts: int = setting(100, minimum=1, maximum=2_000_000)  # the statement budget's size
    chain_length: int = setting(1, minimum=1, maximum=1_000)  # and facts × (chainLength + 1) ≤ CLOSURE_BUDGET
    dimension: tuple[str, ...] = setting((), many=True)
    entity_class: str = setting("")
    repetitions: int = setting(10, minimum=1, maximum=1_000)  # documents per fact

    def validate(self, where: str) -> None:
        super().validate(where)
        pairs = self.facts * (self.chain_length + 1)  # a chain of n facts closes to n(n+1) ordered pairs
        if pairs > CLOSURE_BUDGET:
            raise SettingsError(f"{where}: {self.kind()} would order about {pairs:,} pairs of entities "
                                f"(facts {self.facts}, chainLength {self.chain_length}), over the limit of "
                                f"{CLOSURE_BUDGET:,}; lower kgs:facts or kgs:chainLength")
        documents = self.facts * self.repetitions
        if documents > DOCUMENT_BUDGET:
            raise SettingsError(f"{where}: {self.kind()} would write {documents:,} documents "
                                f"(facts {self.facts}, repetitions {self.repetitions}), over the limit of "
                                f"{DOCUMENT_BUDGET:,}; lower kgs:facts or kgs:repetitions")


# the closure of the comparison chains: bench/ontologies/scale_1m.ttl orders 2,520,000 pairs
CLOSURE_BUDGET = 10_000_000


def estimate(task: ComparisonTask) -> int:
    """The statements `generate` asserts: each fact, and each entity's type when there is an entity class."""
    chains = -(-task.facts // task.chain_length)
    return task.facts + (task.facts + chains if task.entity_class else 0)


def dimensions(task: ComparisonTask, schema: Schema) -> list[str]:
    if task.dimension:
        for term in task.dimension:
            if not require_property(schema, term, task, "dimension").strict_order:
                raise SettingsError(f"{schema.path}: kgs:dimension '{term}' is not a strict order (transitive and asymmetric)")
        return list(task.dimension)
    dims = sorted(p.id for p in schema.properties.values() if p.strict_order and p.id in schema.forward_inverses)
    if not dims:
        raise SettingsError(f"{schema.path}: {task.kind()} found no strict-order property with an owl:inverseOf")
    return dims


def generate(task: ComparisonTask, schema: Schema, rng: random.Random, names: FreshNames) -> Generated:
    """Chains of `chain_length` facts p(e0,e1), p(e1,e2), ... over fresh entities."""
    if task.entity_class:
        require_class(schema, task.entity_class, task, "entityClass")
    dims = dimensions(task, schema)
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


def comparison_facts(builder: DocumentBuilder | ItemBuilder) -> list[Statement]:
    props = builder.world.schema.properties
    return [s for s in builder.world.asserted
            if s.form is Form.FACT and s.relation in props and props[s.relation].strict_order]


def documents(builder: DocumentBuilder, task: ComparisonTask) -> None:
    """Each fact in `repetitions` one-sentence texts, each with a lead-in."""
    for fact in comparison_facts(builder):
        for _ in range(task.repetitions):
            builder.new_document("comparison", [(builder.sentence(fact, lead_chance=1.0), fact)])


def items(builder: ItemBuilder, tasks: list[ComparisonTask]) -> None:
    """Each fact reversed (its inverse) and rephrased, against the contradicting swap."""
    props = builder.world.schema.properties
    for fact in comparison_facts(builder):
        inverse = props[fact.relation].inverse
        swapped = Statement(fact.object, fact.relation, fact.subject)
        builder.add("reversal", Statement(fact.object, inverse, fact.subject), [swapped], "plain")
        builder.add("rephrased", fact, [swapped], HELD_OUT["fact"])


register(Family(ComparisonTask, generate, documents, items, estimate, ("facts",)))
