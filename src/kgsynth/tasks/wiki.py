"""The default documents and items, for worlds no task family claims (semantic structure,
family trees, hierarchies, a user's own ontology): wiki-like documents about each topic,
and items in every split of the study, drawn from the trained facts and the oracle's
derivations.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ..errors import KgsynthError
from ..logic.statement import ISA, Form, Statement
from ..text.wording import HELD_OUT
from .items import SPLITS

if TYPE_CHECKING:
    from .documents import DocumentBuilder
    from .items import ItemBuilder

FORMATS = ("prose", "heading", "list", "qa")
FORMAT_WEIGHTS = (0.4, 0.25, 0.25, 0.1)
REVERSAL_RULES = {"inverse", "symmetric", "disjoint-symmetric"}


# -- documents --------------------------------------------------------------------------------


def documents(builder: DocumentBuilder) -> None:
    """Documents about topics (a fact's subject) until each topic has one and every fact is covered."""
    facts = trainable_facts(builder)
    builder.corpus.holdout = pick_holdout(builder, facts)
    holdout = set(builder.corpus.holdout)
    # a held-out category is trained on its parent fact alone: nothing else names it
    facts = [f for f in facts if (f.subject in holdout and is_parent_fact(f))
             or (f.subject not in holdout and f.object not in holdout)]
    by_topic: dict[str, list[Statement]] = {}
    for fact in facts:
        by_topic.setdefault(fact.subject, []).append(fact)
    topics = sorted(by_topic)
    builder.rng.shuffle(topics)
    uncovered = set(facts)
    count = max(builder.settings.documents, len(topics))
    index = 0
    while index < count or uncovered:
        topic = topics[index % len(topics)]
        chosen = topic_facts(builder, topic, by_topic, facts, uncovered)
        uncovered.difference_update(chosen)
        wiki_document(builder, topic, chosen)
        index += 1


def trainable_facts(builder: DocumentBuilder) -> list[Statement]:
    found = []
    for s in builder.world.asserted:
        try:
            kind = builder.grammar.kind_of(s)
        except KgsynthError:
            continue
        if kind in ("fact", "not_fact", "prop") and s.relation not in builder.grammar.relations:
            continue
        found.append(s)
    return found


def is_parent_fact(statement: Statement) -> bool:
    return statement.relation == ISA and statement.form is Form.ALL


def pick_holdout(builder: DocumentBuilder, facts: list[Statement]) -> list[str]:
    """Leaf categories with one parent and facts of their own: up to holdout_categories, a fifth at most."""
    parents: dict[str, int] = {}
    own: dict[str, int] = {}
    has_children = set()
    for f in facts:
        if is_parent_fact(f):
            parents[f.subject] = parents.get(f.subject, 0) + 1
            has_children.add(f.object)
        elif f.form is Form.ALL:
            own[f.subject] = own.get(f.subject, 0) + 1
    candidates = sorted(c for c in parents if parents[c] == 1 and own.get(c) and c not in has_children)
    wanted = min(builder.settings.holdout_categories, len(candidates) // 5)
    return sorted(builder.rng.sample(candidates, wanted)) if wanted > 0 else []


def topic_facts(builder: DocumentBuilder, topic, by_topic, facts, uncovered) -> list[Statement]:
    rng = builder.rng
    length = rng.randint(builder.settings.min_sentences, builder.settings.max_sentences)
    own = list(by_topic[topic])
    rng.shuffle(own)
    own.sort(key=lambda f: f not in uncovered)  # uncovered facts first
    chosen = own[:length]
    neighbours = [f for f in related(topic, by_topic) if f not in chosen]
    rng.shuffle(neighbours)
    chosen += neighbours[: length - len(chosen)]
    while len(chosen) < min(length, len(facts)):
        extra = rng.choice(facts)
        if extra not in chosen:
            chosen.append(extra)
    return chosen


def related(topic: str, by_topic: dict[str, list[Statement]]) -> list[Statement]:
    linked = {f.object for f in by_topic[topic]}
    return [f for t in sorted(linked) for f in by_topic.get(t, [])]


def wiki_document(builder: DocumentBuilder, topic: str, chosen: list[Statement]) -> None:
    sentences = [(builder.sentence(f, lead_chance=0.05), f) for f in chosen]
    fmt = builder.rng.choices(FORMATS, FORMAT_WEIGHTS)[0]
    title = builder.title(topic)
    texts = [t for t, _ in sentences]
    if fmt == "heading":
        text = f"# {title}\n\n" + " ".join(texts)
    elif fmt == "list":
        text = f"{title}:\n" + "\n".join(f"- {t}" for t in texts)
    elif fmt == "qa":
        text = f"Q: What do you know about {builder.title(topic).lower()}?\nA: " + " ".join(texts)
    else:
        text = " ".join(texts)
    builder.new_document("wiki", sentences, text=text, topic=topic, format=fmt)


# -- items ------------------------------------------------------------------------------------


def items(builder: ItemBuilder) -> None:
    """Trained facts in a held-out or reversed wording; derived facts by how much support they need."""
    candidates: dict[str, list[tuple[Statement, str]]] = defaultdict(list)
    trained = set(builder.trained)
    holdout = set(builder.corpus.holdout)
    grammar = builder.grammar
    for statement in sorted(trained):
        kind = grammar.kind_of(statement)
        if kind in HELD_OUT:
            candidates["rephrased"].append((statement, HELD_OUT[kind]))
        reversed_styles = [s for s in grammar.styles(kind) if s.endswith("_rev")]
        if reversed_styles and kind != "fact":
            candidates["reversal"].append((statement, reversed_styles[0]))
    for statement, derivation in builder.oracle.closure.derived():
        split = derived_split(builder, statement, derivation, trained, holdout)
        if split:
            candidates[split].append((statement, "plain"))
    for split in SPLITS:
        builder.fill_split(split, candidates[split])


def derived_split(builder: ItemBuilder, statement: Statement, derivation, trained: set, holdout: set) -> str | None:
    if statement.relation not in builder.grammar.relations and statement.relation != ISA:
        return None
    support = builder.oracle.closure.support(statement)
    if not support <= trained:
        return None
    if statement.subject in holdout:
        parent_facts = {f for f in support if f.subject == statement.subject}
        held = all(f.relation == ISA and f.form is Form.ALL for f in parent_facts)
        return "category_holdout" if parent_facts and held else None
    if derivation.rule in REVERSAL_RULES and len(support) == 1:
        return "reversal"
    if len(support) == 2:
        return "syllogism"
    if len(support) >= 3:
        return "multihop"
    return None
