"""The reversal curse (kgs:CelebrityTask, Berglund et al.): each celebrity described by one
relation to a work of their own; half are only ever named first in training, half are seen
in both orders; items ask for the name given the description."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..errors import SettingsError
from ..logic.ontology import Schema
from ..logic.settings import DOCUMENT_BUDGET, TaskConfig, setting
from ..logic.statement import ISA, Form, Statement
from ..logic.world import FreshNames, Generated
from .documents import DocumentBuilder
from .items import ItemBuilder
from .records import Document
from .registry import Family, register, require_class, require_property


@dataclass(frozen=True)
class CelebrityTask(TaskConfig):
    celebrities: int = setting(900, minimum=1, maximum=500_000)  # three statements each
    person_class: str = setting("", required=True)
    work_class: str = setting("", required=True)
    description_property: tuple[str, ...] = setting((), required=True, many=True)
    repetitions: int = setting(4, minimum=1, maximum=1_000)  # documents per celebrity
    both_orders_percent: int = setting(50, maximum=100)

    def validate(self, where: str) -> None:
        super().validate(where)
        documents = self.celebrities * self.repetitions
        if documents > DOCUMENT_BUDGET:
            raise SettingsError(f"{where}: {self.kind()} would write {documents:,} documents "
                                f"(celebrities {self.celebrities}, repetitions {self.repetitions}), over the limit of "
                                f"{DOCUMENT_BUDGET:,}; lower kgs:celebrities or kgs:repetitions")


def estimate(task: CelebrityTask) -> int:
    return 3 * task.celebrities  # the celebrity's type, the work's type, the description


def generate(task: CelebrityTask, schema: Schema, rng: random.Random, names: FreshNames) -> Generated:
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


def descriptions(builder: DocumentBuilder | ItemBuilder, task: CelebrityTask) -> list[Statement]:
    return [s for s in builder.world.asserted if s.relation in task.description_property and s.form is Form.FACT]


def documents(builder: DocumentBuilder, task: CelebrityTask) -> None:
    """Each description in `repetitions` texts; the both-orders group sees every second one reversed."""
    facts = descriptions(builder, task)
    order = list(range(len(facts)))
    builder.rng.shuffle(order)
    both = set(order[: len(facts) * task.both_orders_percent // 100])
    for index, fact in enumerate(facts):
        group = "both" if index in both else "name_first"
        for repetition in range(task.repetitions):
            if group == "both" and repetition % 2 == 1:
                text = builder.grammar.render(fact, "described_rev", lead=builder.maybe_lead(0.5))
            else:
                text = builder.sentence(fact, lead_chance=0.5)
            builder.new_document("celebrity", [(text, fact)], group=group)


def groups(documents: list[Document]) -> dict[str, str]:
    """celebrity -> the group its training documents put it in: name_first or both."""
    return {doc.sentences[0].statement.subject: doc.meta["group"] for doc in documents if doc.kind == "celebrity"}


def items(builder: ItemBuilder, tasks: list[CelebrityTask]) -> None:
    """The name among `options` celebrities, given the description, in a wording not trained."""
    group_of = groups(builder.corpus.documents)
    for task in tasks:
        for fact in descriptions(builder, task):
            group = group_of.get(fact.subject, "name_first")
            # the both-orders group saw "described_rev" in training: ask it in another wording
            split, style = ("reversal", "described_rev") if group == "name_first" else ("rephrased", "none_other_rev")
            wrong = builder.distractors(fact, builder.settings.options - 1, vary="subject")
            builder.add(split, fact, wrong, style, group=group)


register(Family(CelebrityTask, generate, documents, items, estimate, ("celebrities",)))
