"""Statements are data: one frozen value type used by every stage of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

ISA = "isa"  # class membership (individual subject) or class inclusion (class subject)


class Form(StrEnum):
    """Quantifier and polarity of a statement.

    FACT and NOT are about individuals ("femp is more dangerous than glon").
    The four categorical forms are about classes: ALL S are/have O, SOME S are O,
    NO S are O, SOME S are NOT O.
    """

    FACT = "fact"
    NOT = "not"
    ALL = "all"
    SOME = "some"
    NO = "no"
    SOME_NOT = "some_not"

    @property
    def is_categorical(self) -> bool:
        return self not in (Form.FACT, Form.NOT)


NEGATION = {
    Form.FACT: Form.NOT,
    Form.NOT: Form.FACT,
    Form.ALL: Form.SOME_NOT,
    Form.SOME_NOT: Form.ALL,
    Form.SOME: Form.NO,
    Form.NO: Form.SOME,
}


@dataclass(frozen=True, order=True, slots=True)
class Statement:
    """subject relation object, with a form.

    Examples (ids, not words):
      Statement("rex", "isa", "Dog")                    rex is a dog
      Statement("Dog", "isa", "Mammal", Form.ALL)       all dogs are mammals
      Statement("Dog", "has", "Fur", Form.ALL)          every dog has some fur
      Statement("Cat", "isa", "Dog", Form.NO)           no cats are dogs
      Statement("femp", "moreDangerousThan", "glon")    femp is more dangerous than glon
    """

    subject: str
    relation: str
    object: str
    form: Form = Form.FACT

    def negated(self) -> Statement:
        return Statement(self.subject, self.relation, self.object, NEGATION[self.form])

    def to_json(self) -> dict:
        return {
            "subject": self.subject,
            "relation": self.relation,
            "object": self.object,
            "form": self.form.value,
        }

    @classmethod
    def from_json(cls, data: dict) -> Statement:
        return cls(data["subject"], data["relation"], data["object"], Form(data["form"]))

    def __str__(self) -> str:
        if self.form is Form.FACT:
            return f"{self.subject} {self.relation} {self.object}"
        if self.form is Form.NOT:
            return f"not {self.subject} {self.relation} {self.object}"
        if self.form is Form.SOME_NOT:
            return f"some {self.subject} not {self.relation} {self.object}"
        return f"{self.form.value} {self.subject} {self.relation} {self.object}"
