"""Test items: multiple choice over sentences, answers and distractors judged by the oracle.

Splits (STUDY.md): rephrased, reversal, syllogism, multihop, category_holdout.
An item's options share the longest common word prefix as its prompt; the
options are never shown, only scored as continuations. Each task family adds its
items (kgsynth.tasks.registry.Family.items) with the builder below; a world no
family claims gets wiki items (kgsynth.tasks.wiki).
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import TYPE_CHECKING

from ..errors import KgsynthError
from ..logic.closure import Derivation
from ..logic.oracle import CONTRADICTED, ENTAILED, Oracle
from ..logic.statement import Form, Statement
from ..text.naming import Naming
from ..text.wording import normalize_text, study_wording
from .records import Item
from .registry import families

if TYPE_CHECKING:
    from .documents import Corpus

SPLITS = ("rephrased", "reversal", "syllogism", "multihop", "category_holdout")


def split_prompt(sentences: list[str]) -> tuple[str, list[str]]:
    """The longest common prefix of whole words, and each sentence's rest."""
    words = [s.split(" ") for s in sentences]
    common = 0
    while all(len(w) > common + 1 for w in words) and len({w[common] for w in words}) == 1:
        common += 1
    prompt = " ".join(words[0][:common])
    return prompt, [(" " if common else "") + " ".join(w[common:]) for w in words]


class ItemBuilder:
    """What a family's `items` function writes with: the oracle, the words, the corpus the
    items must not leak from, one seeded random stream, and the items so far by split."""

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
        """Render and record an item; False (nothing recorded) if it would leak or has no distractor.
        style: a grammar style, or "categorical" for the study's wording of syllogisms."""
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
                                      self.derivation(answer), sorted(support), self.depends_on(support), meta))
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

    def derivation(self, statement: Statement) -> Derivation:
        return self.oracle.query(statement).derivation

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
        if self.world.facts_as_data and answer.form is Form.FACT:
            listed = set(candidates)
            candidates += [t for t in self.kin(vary_key) if t not in listed and t != fixed]
        chosen = []
        for term in candidates:
            option = (Statement(fixed, answer.relation, term, answer.form) if vary == "object"
                      else Statement(term, answer.relation, fixed, answer.form))
            if self.verdict(option) == CONTRADICTED:
                chosen.append(option)
                if len(chosen) == count:
                    break
        return chosen

    def kin(self, term: str) -> list[str]:
        """Terms of the same kind as `term`, for distractors where few entities share a relation
        (a small table of one's own facts): the other classes of a class, the individuals
        sharing a class with an individual. Seeded order."""
        if term in self.world.classes:
            found = sorted(self.world.classes - {term})
        else:
            types = self.oracle.closure.types
            found = sorted(i for i in self.world.individuals if i != term and types[term].keys() & types[i].keys())
        self.rng.shuffle(found)
        return found

    def fill_split(self, split: str, candidates: list[tuple[Statement, str]]) -> None:
        """Up to items_per_split items from (answer, style) candidates, drawn round-robin over
        statement kinds, each with up to options - 1 distractors."""
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

    # -- the families -----------------------------------------------------------------

    def build(self) -> dict[str, list[Item]]:
        """Each registered family with tasks in the schema adds its items once, in registration
        order, given its tasks; wiki items if no family does."""
        from . import wiki  # the default family builds on this module

        tasks = self.world.schema.tasks
        claimed = False
        for family in families():
            mine = [task for task in tasks if type(task) is family.settings]
            if mine and family.items is not None:
                family.items(self, mine)
                claimed = True
        if not claimed:
            wiki.items(self)
        return {split: found for split, found in self.items.items() if found}  # no empty split files


def build_items(oracle: Oracle, naming: Naming, corpus: Corpus) -> dict[str, list[Item]]:
    return ItemBuilder(oracle, naming, corpus).build()
