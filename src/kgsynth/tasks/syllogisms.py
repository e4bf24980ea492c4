"""Syllogisms (kgs:SyllogismTask): two categorical premises over three fresh terms, one
document each; the item asks for the strongest valid conclusion among all candidates."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..logic import categorical
from ..logic.ontology import Schema
from ..logic.settings import TaskConfig, setting
from ..logic.statement import ISA, Form, Statement
from ..logic.world import FreshNames, Generated
from ..text.wording import study_wording
from .documents import DocumentBuilder
from .items import ItemBuilder
from .registry import Family, register


@dataclass(frozen=True)
class SyllogismTask(TaskConfig):
    syllogisms: int = setting(69, minimum=1, maximum=100_000)  # generating them takes about 0.3 ms each
    valid_only: bool = setting(True)


def estimate(task: SyllogismTask) -> int:
    return 2 * task.syllogisms  # two premises each


def generate(task: SyllogismTask, schema: Schema, rng: random.Random, names: FreshNames) -> Generated:
    """Two premises over three fresh terms S, M, P, in a random figure and mood."""
    out = Generated()
    for _ in range(task.syllogisms):
        s, m, p = names("term"), names("term"), names("term")
        while True:
            major = premise(rng, m, p)
            minor = premise(rng, s, m)
            premises = [major, minor]
            if not categorical.consistent(premises):
                continue
            if not task.valid_only or has_conclusion(premises, s, p):
                break
        out.classes.update((s, m, p))
        out.statements.extend(premises)
        out.term_groups.append((s, m, p))
    return out


def premise(rng: random.Random, a: str, b: str) -> Statement:
    if rng.random() < 0.5:
        a, b = b, a
    return Statement(a, ISA, b, rng.choice(categorical.FORMS))


def has_conclusion(premises: list[Statement], s: str, p: str) -> bool:
    return any(c.form in categorical.CANDIDATE_FORMS for c in categorical.valid_conclusions(premises, [s, p]))


def documents(builder: DocumentBuilder, task: SyllogismTask) -> None:
    """One document per term group: an introduction listing the terms, then the premises."""
    premises_of: dict[str, list[Statement]] = {}
    for s in builder.world.asserted:
        if s.relation == ISA and s.form.is_categorical:
            premises_of.setdefault(s.subject, []).append(s)
    for group in builder.world.term_groups:
        terms = set(group)
        premises = [s for t in group for s in premises_of.get(t, []) if s.object in terms]
        builder.rng.shuffle(premises)
        order = list(group)
        builder.rng.shuffle(order)
        intro = f"The relationships between {builder.list_of(order)} are:"
        sentences = [(intro, None)] + [(study_wording(builder.grammar, p), p) for p in premises]
        builder.new_document("syllogism", sentences, terms=list(group))


def items(builder: ItemBuilder, tasks: list[SyllogismTask]) -> None:
    """Per syllogism document: the strongest valid conclusion against every invalid candidate."""
    for doc in builder.corpus.documents:
        if doc.kind != "syllogism":
            continue
        s, _, p = doc.meta["terms"]
        premises = [x.statement for x in doc.sentences if x.statement is not None]
        candidates = categorical.candidates(s, p)
        valid = [c for c in candidates if categorical.entails(premises, c)]
        if not valid:
            continue
        answer = min(valid, key=lambda c: (c.form is Form.SOME, candidates.index(c)))
        wrong = [c for c in candidates if c not in valid]
        pair = [s, p]
        builder.rng.shuffle(pair)
        first, second = (builder.names.surface(term, "pl") for term in pair)
        prompt = f"The relationships between {first} and {second} are:"
        builder.add("syllogism", answer, wrong, "categorical", prompt=prompt, document=doc.id)


register(Family(SyllogismTask, generate, documents, items, estimate, ("syllogisms",)))
