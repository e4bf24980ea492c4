"""The study's wordings, shared by documents, items, the checker and the audits: which style
each statement kind holds out of training, how syllogism statements are worded, and how a
sentence is normalized before two are compared."""

from __future__ import annotations

from ..logic.statement import Statement
from .grammar import Grammar

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


def normalize_text(text: str) -> str:
    """A sentence compared case-, space- and final-punctuation-insensitively."""
    return " ".join(text.lower().rstrip(".?!").split())
