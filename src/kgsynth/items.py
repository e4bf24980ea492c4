"""Test items: multiple choice over sentences, answers and distractors judged by the oracle.

Splits (STUDY.md): rephrased, reversal, syllogism, multihop, category_holdout.
An item's options share the longest common word prefix as its prompt; the
options are never shown, only scored as continuations.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

from . import categorical
from .documents import HELD_OUT, Corpus, normalize_text, study_wording
from .errors import KgsynthError
from .naming import Naming
from .oracle import CONTRADICTED, ENTAILED, Oracle
from .settings import CelebrityTask, ComparisonTask, SyllogismTask
from .statement import ISA, Form, Statement

SPLITS = ("rephrased", "reversal", "syllogism", "multihop", "category_holdout")
REVERSAL_RULES = {"inverse", "symmetric", "disjoint-symmetric"}


@dataclass
class Item:
    id: str
    split: str
    prompt: str
    options: list[str]
    answer: int
    statements: list[Statement]
    verdicts: list[str]
    derivation: dict
    depends_on: list[str]
    meta: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "id": self.id, "split": self.split, "prompt": self.prompt, "options": self.options,
            "answer": self.answer, "statements": [s.to_json() for s in self.statements],
            "verdicts": self.verdicts, "derivation": self.derivation, "depends_on": self.depends_on,
            "meta": self.meta,
        }


def split_prompt(sentences: list[str]) -> tuple[str, list[str]]:
    """The longest common prefix of whole words, and each sentence's rest."""
    words = [s.split(" ") for s in sentences]
    common = 0
    while all(len(w) > common + 1 for w in words) and len({w[common] for w in words}) == 1:
        common += 1
    prompt = " ".join(words[0][:common])
    return prompt, [(" " if common else "") + " ".join(w[common:]) for w in words]


class ItemBuilder:
    def __init__(self, oracle: Oracle, naming: Naming, corpus: Corpus):
        self.oracle = oracle
        self.world = oracle.world
        self.grammar = naming.grammar
        self.names = naming.names
        self.corpus = corpus
        self.settings = self.world.documents_settings()
        self.rng = random.Random(f"{self.world.seed}:items")
        self.trained = corpus.sentence_ids()
        self.training_texts = corpus.texts()
        self.items: dict[str, list[Item]] = defaultdict(list)
        self._objects: dict | None = None
        self.verdicts: dict[Statement, str] = {}

    # -- one item -------------------------------------------------------------------

    def add(self, split: str, answer: Statement, distractors: list[Statement], style, prompt: str | None = None,
            **meta) -> bool:
        """Render and record an item; False (nothing recorded) if it would leak or has no distractor."""
        if not distractors:
            return False
        options = [answer, *distractors]
        order = list(range(len(options)))
        self.rng.shuffle(order)
        statements = [options[i] for i in order]
        sentences = [self.render(s, style) for s in statements]
        if normalize_text(sentences[order.index(0)]) in self.training_texts:
            return False
        if prompt is None:
            prompt, continuations = split_prompt(sentences)
        else:
            continuations = [" " + s for s in sentences]
        verdicts = [self.verdict(s) for s in statements]
        if verdicts[order.index(0)] != ENTAILED or any(v == ENTAILED for i, v in enumerate(verdicts) if order[i] != 0):
            raise KgsynthError(f"internal: item for '{answer}' has a wrong answer or an entailed distractor")
        item_id = f"{split}-{len(self.items[split]) + 1:05d}"
        support = self.oracle.closure.support(answer)
        self.items[split].append(Item(item_id, split, prompt, continuations, order.index(0), statements, verdicts,
                                      self.derivation(answer, support), self.depends_on(support), meta))
        return True

    def render(self, statement: Statement, style) -> str:
        if style == "categorical":
            return study_wording(self.grammar, statement)
        return self.grammar.render(statement, style)

    def verdict(self, statement: Statement) -> str:
        """The closed-world verdict, asked once per statement (distractor search asks many times)."""
        if statement not in self.verdicts:
            self.verdicts[statement] = self.oracle.query(statement, closed_world=True).value
        return self.verdicts[statement]

    def derivation(self, statement: Statement, support) -> dict:
        found = self.oracle.query(statement).derivation
        return {"rule": found.rule, "premises": [p.to_json() for p in found.premises], "hops": found.hops,
                "support": [s.to_json() for s in sorted(support)]}

    def depends_on(self, support) -> list[str]:
        return sorted({sid for fact in support for sid in self.trained.get(fact, [])[:3]})

    # -- distractors ----------------------------------------------------------------

    def objects(self) -> dict:
        """(relation, form) -> object -> subjects it is entailed for."""
        if self._objects is None:
            index: dict = defaultdict(lambda: defaultdict(set))
            for (s, r, o, f) in self.oracle.closure.facts:
                index[(r, f)][o].add(s)
            self._objects = index
        return self._objects

    def distractors(self, answer: Statement, count: int, vary: str = "object") -> list[Statement]:
        """Statements true of another entity, contradicted for this one (closed world where declared)."""
        pool = self.objects()[(answer.relation, answer.form.value)]
        if vary == "subject":
            pool = {s: {o} for o, subjects in pool.items() for s in subjects}
            fixed, vary_key = answer.object, answer.subject
        else:
            fixed, vary_key = answer.subject, answer.object
        candidates = sorted(t for t, holders in pool.items() if t not in (vary_key, fixed) and holders - {fixed})
        self.rng.shuffle(candidates)
        chosen = []
        for term in candidates:
            option = (Statement(fixed, answer.relation, term, answer.form) if vary == "object"
                      else Statement(term, answer.relation, fixed, answer.form))
            if self.verdict(option) == CONTRADICTED:
                chosen.append(option)
                if len(chosen) == count:
                    break
        return chosen

    # -- families -------------------------------------------------------------------

    def build(self) -> dict[str, list[Item]]:
        tasks = self.world.schema.tasks
        kinds = {type(t) for t in tasks}
        if ComparisonTask in kinds:
            self.comparison_items()
        if SyllogismTask in kinds:
            self.syllogism_items()
        for task in tasks:
            if isinstance(task, CelebrityTask):
                self.celebrity_items(task)
        if not kinds & {ComparisonTask, SyllogismTask, CelebrityTask}:
            self.wiki_items()
        return self.items

    def comparison_items(self) -> None:
        props = self.world.schema.properties
        for fact in self.world.asserted:
            if fact.form is not Form.FACT or fact.relation not in props or not props[fact.relation].strict_order:
                continue
            inverse = props[fact.relation].inverse
            swapped = Statement(fact.object, fact.relation, fact.subject)
            self.add("reversal", Statement(fact.object, inverse, fact.subject), [swapped], "plain")
            self.add("rephrased", fact, [swapped], HELD_OUT["fact"])

    def syllogism_items(self) -> None:
        for doc in self.corpus.documents:
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
            self.rng.shuffle(pair)
            prompt = f"The relationships between {self.names.surface(pair[0], 'pl')} and {self.names.surface(pair[1], 'pl')} are:"
            self.add("syllogism", answer, wrong, "categorical", prompt=prompt, document=doc.id)

    def celebrity_items(self, task: CelebrityTask) -> None:
        for fact in self.world.asserted:
            if fact.relation not in task.description_property or fact.form is not Form.FACT:
                continue
            group = self.corpus.celebrity_groups.get(fact.subject, "name_first")
            # the both-orders group saw "described_rev" in training: ask it in another wording
            split, style = ("reversal", "described_rev") if group == "name_first" else ("rephrased", "none_other_rev")
            wrong = self.distractors(fact, self.settings.options - 1, vary="subject")
            self.add(split, fact, wrong, style, group=group)

    def wiki_items(self) -> None:
        candidates: dict[str, list[tuple[Statement, str]]] = defaultdict(list)
        trained = set(self.trained)
        holdout = set(self.corpus.holdout)
        for statement in sorted(trained):
            kind = self.grammar.kind_of(statement)
            if kind in HELD_OUT:
                candidates["rephrased"].append((statement, HELD_OUT[kind]))
            reversed_styles = [s for s in self.grammar.styles(kind) if s.endswith("_rev")]
            if reversed_styles and kind != "fact":
                candidates["reversal"].append((statement, reversed_styles[0]))
        for statement, derivation in self.oracle.closure.derived():
            split = self.derived_split(statement, derivation, trained, holdout)
            if split:
                candidates[split].append((statement, "plain"))
        for split in SPLITS:
            self.fill_split(split, candidates[split])

    def derived_split(self, statement: Statement, derivation, trained: set, holdout: set) -> str | None:
        if statement.relation not in self.grammar.relations and statement.relation != ISA:
            return None
        support = self.oracle.closure.support(statement)
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

    def fill_split(self, split: str, candidates: list[tuple[Statement, str]]) -> None:
        """Up to items_per_split items, drawn round-robin over statement kinds."""
        by_kind: dict[str, list] = defaultdict(list)
        for statement, style in candidates:
            by_kind[self.grammar.kind_of(statement)].append((statement, style))
        queues = [by_kind[k] for k in sorted(by_kind)]
        for queue in queues:
            self.rng.shuffle(queue)
        while queues and len(self.items[split]) < self.settings.items_per_split:
            for queue in list(queues):
                if not queue:
                    queues.remove(queue)
                    continue
                statement, style = queue.pop()
                self.add(split, statement, self.distractors(statement, self.settings.options - 1), style)
                if len(self.items[split]) >= self.settings.items_per_split:
                    break


def build_items(oracle: Oracle, naming: Naming, corpus: Corpus) -> dict[str, list[Item]]:
    return ItemBuilder(oracle, naming, corpus).build()
