"""Training documents: the world's asserted facts as text, in the study's formats.

One builder per dataset family (STUDY.md): comparisons (each fact in short texts
with lead-ins), syllogisms (three terms, two premises), celebrities (Berglund's
name-first and both-orders groups) and wiki-like documents for every other world
(semantic structure, family trees, a user's own ontology).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .errors import KgsynthError
from .grammar import Grammar
from .naming import Naming
from .settings import CelebrityTask, ComparisonTask, Documents, SyllogismTask
from .statement import ISA, Form, Statement
from .world import World

# per statement kind, the style held out of training for the `rephrased` test split
HELD_OUT = {
    "type": "member", "all_isa": "all", "some_isa": "at_least", "no_isa": "none_of",
    "some_not_isa": "there", "prop": "general", "fact": "happens", "not_fact": "untrue",
}
# the wording of syllogism premises and candidates, as in the study
CATEGORICAL_STYLE = {"all_isa": "all", "some_isa": "plain", "no_isa": "plain", "some_not_isa": "plain"}


def study_wording(grammar: Grammar, statement: Statement) -> str:
    """The study's wording: "All glons are yomps." for categorical statements, else plain."""
    return grammar.render(statement, CATEGORICAL_STYLE.get(grammar.kind_of(statement), "plain"))
FORMATS = ("prose", "heading", "list", "qa")
FORMAT_WEIGHTS = (0.4, 0.25, 0.25, 0.1)


@dataclass
class Sentence:
    id: str
    text: str
    statement: Statement | None = None

    def to_json(self) -> dict:
        return {"id": self.id, "text": self.text, "statement": self.statement.to_json() if self.statement else None}


@dataclass
class Document:
    id: str
    kind: str
    text: str
    sentences: list[Sentence]
    meta: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "text": self.text,
                "sentences": [s.to_json() for s in self.sentences], "meta": self.meta}


@dataclass
class Corpus:
    documents: list[Document] = field(default_factory=list)
    holdout: list[str] = field(default_factory=list)  # category_holdout classes
    celebrity_groups: dict[str, str] = field(default_factory=dict)  # celebrity -> name_first | both

    def sentence_ids(self) -> dict[Statement, list[str]]:
        found: dict[Statement, list[str]] = {}
        for doc in self.documents:
            for sentence in doc.sentences:
                if sentence.statement is not None:
                    found.setdefault(sentence.statement, []).append(sentence.id)
        return found

    def texts(self) -> set[str]:
        return {normalize_text(s.text) for d in self.documents for s in d.sentences}


def normalize_text(text: str) -> str:
    return " ".join(text.lower().rstrip(".?!").split())


class DocumentBuilder:
    def __init__(self, world: World, naming: Naming):
        self.world = world
        self.grammar: Grammar = naming.grammar
        self.names = naming.names
        self.settings: Documents = world.documents_settings()
        self.rng = random.Random(f"{world.seed}:documents")
        self.corpus = Corpus()

    def new_document(self, kind: str, sentences: list[tuple[str, Statement | None]], text: str | None = None, **meta):
        doc_id = f"doc{len(self.corpus.documents) + 1:05d}"
        parts = [Sentence(f"{doc_id}.s{i + 1:02d}", t, s) for i, (t, s) in enumerate(sentences)]
        body = text if text is not None else " ".join(p.text for p in parts)
        self.corpus.documents.append(Document(doc_id, kind, body, parts, meta))

    def training_style(self, statement: Statement) -> str:
        kind = self.grammar.kind_of(statement)
        styles = [s for s in self.grammar.styles(kind) if not s.endswith("_rev") and s != HELD_OUT.get(kind)]
        return self.rng.choice(styles)

    def sentence(self, statement: Statement, lead_chance: float = 0.0) -> str:
        """A training sentence; with a lead-in the plain style, so that frames never stack."""
        lead = self.maybe_lead(lead_chance)
        style = "plain" if lead else self.training_style(statement)
        return self.grammar.render(statement, style, lead=lead)

    def build(self) -> Corpus:
        tasks = self.world.schema.tasks
        claimed = False
        for task in tasks:
            if isinstance(task, ComparisonTask):
                self.comparisons(task)
                claimed = True
            elif isinstance(task, SyllogismTask):
                self.syllogisms()
                claimed = True
            elif isinstance(task, CelebrityTask):
                self.celebrities(task)
                claimed = True
        if not claimed:
            self.wiki()
        return self.corpus

    # -- simple reversals -----------------------------------------------------------

    def comparisons(self, task: ComparisonTask) -> None:
        props = self.world.schema.properties
        facts = [s for s in self.world.asserted
                 if s.form is Form.FACT and s.relation in props and props[s.relation].strict_order]
        for fact in facts:
            for _ in range(task.repetitions):
                self.new_document("comparison", [(self.sentence(fact, lead_chance=1.0), fact)])

    # -- syllogisms ---------------------------------------------------------------

    def syllogisms(self) -> None:
        premises_of = {}
        for s in self.world.asserted:
            if s.relation == ISA and s.form.is_categorical:
                premises_of.setdefault(s.subject, []).append(s)
        for group in self.world.term_groups:
            terms = set(group)
            premises = [s for t in group for s in premises_of.get(t, []) if s.object in terms]
            self.rng.shuffle(premises)
            order = list(group)
            self.rng.shuffle(order)
            intro = f"The relationships between {self.list_of(order)} are:"
            sentences = [(intro, None)] + [(study_wording(self.grammar, p), p) for p in premises]
            self.new_document("syllogism", sentences, terms=list(group))

    def list_of(self, terms: list[str]) -> str:
        words = [self.names.surface(t, "pl") for t in terms]
        return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]

    # -- reversal curse (Berglund et al.) ------------------------------------------

    def celebrities(self, task: CelebrityTask) -> None:
        facts = [s for s in self.world.asserted if s.relation in task.description_property and s.form is Form.FACT]
        order = list(range(len(facts)))
        self.rng.shuffle(order)
        both = set(order[: len(facts) * task.both_orders_percent // 100])
        for index, fact in enumerate(facts):
            group = "both" if index in both else "name_first"
            self.corpus.celebrity_groups[fact.subject] = group
            for repetition in range(task.repetitions):
                if group == "both" and repetition % 2 == 1:
                    text = self.grammar.render(fact, "described_rev", lead=self.maybe_lead(0.5))
                else:
                    text = self.sentence(fact, lead_chance=0.5)
                self.new_document("celebrity", [(text, fact)], group=group)

    def maybe_lead(self, chance: float) -> str | None:
        return self.rng.choice(self.grammar.leads()) if self.rng.random() < chance else None

    # -- wiki-like documents --------------------------------------------------------

    def wiki(self) -> None:
        facts = self.trainable_facts()
        self.corpus.holdout = self.pick_holdout(facts)
        holdout = set(self.corpus.holdout)
        # a held-out category is trained on its parent fact alone: nothing else names it
        facts = [f for f in facts if (f.subject in holdout and self.is_parent_fact(f))
                 or (f.subject not in holdout and f.object not in holdout)]
        by_topic: dict[str, list[Statement]] = {}
        for fact in facts:
            by_topic.setdefault(fact.subject, []).append(fact)
        topics = sorted(by_topic)
        self.rng.shuffle(topics)
        uncovered = set(facts)
        count = max(self.settings.documents, len(topics))
        index = 0
        while index < count or uncovered:
            topic = topics[index % len(topics)]
            chosen = self.wiki_facts(topic, by_topic, facts, uncovered)
            uncovered.difference_update(chosen)
            self.wiki_document(topic, chosen)
            index += 1

    def trainable_facts(self) -> list[Statement]:
        found = []
        for s in self.world.asserted:
            try:
                kind = self.grammar.kind_of(s)
            except KgsynthError:
                continue
            if kind in ("fact", "not_fact", "prop") and s.relation not in self.grammar.relations:
                continue
            found.append(s)
        return found

    @staticmethod
    def is_parent_fact(statement: Statement) -> bool:
        return statement.relation == ISA and statement.form is Form.ALL

    def pick_holdout(self, facts: list[Statement]) -> list[str]:
        parents: dict[str, int] = {}
        own: dict[str, int] = {}
        has_children = set()
        for f in facts:
            if self.is_parent_fact(f):
                parents[f.subject] = parents.get(f.subject, 0) + 1
                has_children.add(f.object)
            elif f.form is Form.ALL:
                own[f.subject] = own.get(f.subject, 0) + 1
        candidates = sorted(c for c in parents if parents[c] == 1 and own.get(c) and c not in has_children)
        wanted = min(self.settings.holdout_categories, len(candidates) // 5)
        return sorted(self.rng.sample(candidates, wanted)) if wanted > 0 else []

    def wiki_facts(self, topic, by_topic, facts, uncovered) -> list[Statement]:
        length = self.rng.randint(self.settings.min_sentences, self.settings.max_sentences)
        own = list(by_topic[topic])
        self.rng.shuffle(own)
        own.sort(key=lambda f: f not in uncovered)  # uncovered facts first
        chosen = own[:length]
        neighbours = [f for f in self.related(topic, by_topic) if f not in chosen]
        self.rng.shuffle(neighbours)
        chosen += neighbours[: length - len(chosen)]
        while len(chosen) < min(length, len(facts)):
            extra = self.rng.choice(facts)
            if extra not in chosen:
                chosen.append(extra)
        return chosen

    def related(self, topic: str, by_topic: dict[str, list[Statement]]) -> list[Statement]:
        linked = {f.object for f in by_topic[topic]}
        return [f for t in sorted(linked) for f in by_topic.get(t, [])]

    def wiki_document(self, topic: str, chosen: list[Statement]) -> None:
        sentences = [(self.sentence(f, lead_chance=0.05), f) for f in chosen]
        fmt = self.rng.choices(FORMATS, FORMAT_WEIGHTS)[0]
        title = self.title(topic)
        texts = [t for t, _ in sentences]
        if fmt == "heading":
            text = f"# {title}\n\n" + " ".join(texts)
        elif fmt == "list":
            text = f"{title}:\n" + "\n".join(f"- {t}" for t in texts)
        elif fmt == "qa":
            text = f"Q: What do you know about {self.title(topic).lower()}?\nA: " + " ".join(texts)
        else:
            text = " ".join(texts)
        self.new_document("wiki", sentences, text=text, topic=topic, format=fmt)

    def title(self, topic: str) -> str:
        forms = self.names.forms.get(topic, {})
        word = forms.get("pl") or forms.get("ind") or topic
        return word[0].upper() + word[1:]


def build_corpus(world: World, naming: Naming) -> Corpus:
    return DocumentBuilder(world, naming).build()


def train_records(corpus: Corpus) -> list[dict]:
    """The three training shapes: whole documents, independent and cumulative sentences."""
    records = []
    for doc in corpus.documents:
        records.append({"shape": "documents", "id": doc.id, "doc_id": doc.id, "context": "", "text": doc.text})
    for shape in ("independent", "cumulative"):
        for doc in corpus.documents:
            for i, sentence in enumerate(doc.sentences):
                context = " ".join(s.text for s in doc.sentences[:i]) if shape == "cumulative" else ""
                records.append({"shape": shape, "id": f"{sentence.id}", "doc_id": doc.id,
                                "context": context, "text": sentence.text})
    return records
