"""The records a dataset is made of: documents (with their sentences) and test items.
Each has one serialization (to_json / from_json), used by the writer and every reader."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..logic.closure import Derivation
from ..logic.statement import Statement


@dataclass
class Sentence:
    id: str
    text: str
    statement: Statement | None = None

    def to_json(self) -> dict:
        return {"id": self.id, "text": self.text, "statement": self.statement.to_json() if self.statement else None}

    @classmethod
    def from_json(cls, data: dict) -> Sentence:
        statement = data.get("statement")
        return cls(data["id"], data["text"], Statement.from_json(statement) if statement else None)


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

    @classmethod
    def from_json(cls, data: dict) -> Document:
        return cls(data["id"], data["kind"], data["text"], [Sentence.from_json(s) for s in data["sentences"]],
                   data.get("meta", {}))


@dataclass
class Item:
    """A multiple-choice test item: the options are continuations of the prompt, never shown."""

    id: str
    split: str
    prompt: str
    options: list[str]
    answer: int
    statements: list[Statement]
    verdicts: list[str]
    derivation: Derivation
    support: list[Statement]  # the asserted facts the answer rests on
    depends_on: list[str]  # training sentence ids stating the support
    meta: dict = field(default_factory=dict)

    @property
    def answer_statement(self) -> Statement:
        return self.statements[self.answer]

    @property
    def answer_text(self) -> str:
        return self.prompt + self.options[self.answer]

    def to_json(self) -> dict:
        return {
            "id": self.id, "split": self.split, "prompt": self.prompt, "options": self.options,
            "answer": self.answer, "statements": [s.to_json() for s in self.statements],
            "verdicts": self.verdicts,
            "derivation": {**self.derivation.to_json(), "support": [s.to_json() for s in self.support]},
            "depends_on": self.depends_on, "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict) -> Item:
        derivation = data["derivation"]
        return cls(data["id"], data["split"], data["prompt"], list(data["options"]), data["answer"],
                   [Statement.from_json(s) for s in data["statements"]], list(data["verdicts"]),
                   Derivation.from_json(derivation), [Statement.from_json(s) for s in derivation.get("support", [])],
                   list(data.get("depends_on", [])), data.get("meta", {}))
