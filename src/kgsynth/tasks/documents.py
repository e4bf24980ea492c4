"""Training documents: the world's asserted facts as text, in the study's formats.

Each task family writes its own documents (kgsynth.tasks.registry.Family.documents) with
the builder below; a world no family claims gets wiki-like documents (kgsynth.tasks.wiki).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from ..logic.settings import Documents
from ..logic.statement import Statement
from ..logic.world import World
from ..text.grammar import Grammar
from ..text.naming import Naming
from ..text.wording import HELD_OUT, normalize_text
from . import wiki
from .records import Document, Sentence
from .registry import family_of


@dataclass
class Corpus:
    documents: list[Document] = field(default_factory=list)
    holdout: list[str] = field(default_factory=list)  # category_holdout classes (wiki documents)

    def sentence_ids(self) -> dict[Statement, list[str]]:
        found: dict[Statement, list[str]] = {}
        for doc in self.documents:
            for sentence in doc.sentences:
                if sentence.statement is not None:
                    found.setdefault(sentence.statement, []).append(sentence.id)
        return found

    def texts(self) -> set[str]:
        return {normalize_text(s.text) for d in self.documents for s in d.sentences}


class DocumentBuilder:
    """What a family's `documents` function writes with: the world, its words, one seeded
    random stream for the whole corpus, and the documents written so far."""

    def __init__(self, world: World, naming: Naming):
        self.world = world
        self.grammar: Grammar = naming.grammar
        self.names = naming.names
        self.settings: Documents = world.documents_settings()
        self.rng = random.Random(f"{world.seed}:documents")
        self.corpus = Corpus()

    def new_document(self, kind: str, sentences: list[tuple[str, Statement | None]], text: str | None = None, **meta):
        """Add a document of (sentence text, statement or None) pairs; its text joins them unless given."""
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

    def maybe_lead(self, chance: float) -> str | None:
        return self.rng.choice(self.grammar.leads()) if self.rng.random() < chance else None

    def list_of(self, terms: list[str]) -> str:
        words = [self.names.surface(t, "pl") for t in terms]
        return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]

    def title(self, topic: str) -> str:
        forms = self.names.forms.get(topic, {})
        word = forms.get("pl") or forms.get("ind") or topic
        return word[0].upper() + word[1:]

    def build(self) -> Corpus:
        """Each task's family writes its documents, in the schema's order; wiki documents if none does."""
        claimed = False
        for task in self.world.schema.tasks:
            family = family_of(task)
            if family is not None and family.documents is not None:
                family.documents(self, task)
                claimed = True
        if not claimed:
            wiki.documents(self)
        return self.corpus


def build_corpus(world: World, naming: Naming) -> Corpus:
    return DocumentBuilder(world, naming).build()


def train_records(documents: list[Document]) -> list[dict]:
    """The three training shapes: whole documents, independent and cumulative sentences."""
    records = []
    for doc in documents:
        records.append({"shape": "documents", "id": doc.id, "doc_id": doc.id, "context": "", "text": doc.text})
    for shape in ("independent", "cumulative"):
        for doc in documents:
            for i, sentence in enumerate(doc.sentences):
                context = " ".join(s.text for s in doc.sentences[:i]) if shape == "cumulative" else ""
                records.append({"shape": shape, "id": f"{sentence.id}", "doc_id": doc.id,
                                "context": context, "text": sentence.text})
    return records
