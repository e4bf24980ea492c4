"""Judge English sentences: against premises (categorical logic) or a synthesized KB (the oracle)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import KgsynthError
from ..logic import categorical
from ..logic.closure import ASSERTED, Derivation
from ..logic.oracle import CONTRADICTED, ENTAILED, UNKNOWN, Oracle
from ..logic.statement import Statement
from .grammar import Grammar
from .premises import check_roles, premise_grammar
from .wording import study_wording

# The longest sentence check reads. Parsing is about quadratic in the length of a sentence the
# grammar cannot read (960 words: 99 s); no sentence form of grammars/english.lark comes near
# (the longest rendered sentence of the shipped datasets has 12 words and 71 characters), and
# the margin leaves room for long real-name labels (--keep-labels). 100 words parse in 0.4 s.
MAX_WORDS = 100
MAX_CHARS = 1_000


@dataclass
class Judgement:
    claim: str
    statement: Statement
    verdict: str
    derivation: Derivation | None
    conflict: Statement | None = None

    def to_json(self, grammar: Grammar) -> dict:
        """The judgement as JSON: the derivation as the oracle serializes it (premises as
        statements), and its premises as sentences under "premise_sentences"."""
        premises = self.derivation.premises if self.derivation is not None else ()
        return {
            "claim": self.claim,
            "statement": self.statement.to_json(),
            "verdict": self.verdict,
            "derivation": self.derivation.to_json() if self.derivation is not None else None,
            "premise_sentences": [describe(grammar, p) for p in premises],
            "conflict": describe(grammar, self.conflict) if self.conflict else None,
        }

    def explanation(self, grammar: Grammar) -> list[str]:
        """What the verdict rests on, as indented lines: the fact it conflicts with, the derivation."""
        lines = [f"  conflicts with: {describe(grammar, self.conflict)}"] if self.conflict is not None else []
        if self.derivation is None:
            return lines
        if self.derivation.rule == ASSERTED or not self.derivation.premises:
            return [*lines, "  asserted: one of the knowledge base's own facts"]
        hops = self.derivation.hops
        return [*lines, f"  by {self.derivation.rule} ({hops} hop{'s' if hops != 1 else ''}) from:",
                *(f"    {describe(grammar, premise)}" for premise in self.derivation.premises)]


def describe(grammar: Grammar, statement: Statement) -> str:
    if statement in grammar.written:
        return grammar.written[statement]
    try:
        return study_wording(grammar, statement)
    except KgsynthError:
        return str(statement)


def check_length(sentences: list[str], what: str) -> None:
    """A one-line KgsynthError, before any parsing, for a sentence over MAX_WORDS words or MAX_CHARS characters."""
    for sentence in sentences:
        words = len(sentence.split())
        if words > MAX_WORDS or len(sentence) > MAX_CHARS:
            size = f"{words:,} words" if words > MAX_WORDS else f"{len(sentence):,} characters"
            raise KgsynthError(f"the {what} {sentence[:40]!r}... has {size}; a sentence may have at most "
                               f"{MAX_WORDS} words and {MAX_CHARS:,} characters")


def check_premises(premises: list[str], claims: list[str]) -> tuple[Grammar, list[Judgement]]:
    check_length(premises, "premise")
    check_length(claims, "claim")
    grammar = premise_grammar(premises + claims)
    parsed = [grammar.parse(p) for p in premises]
    for sentence, statement in zip(premises, parsed, strict=True):
        grammar.written.setdefault(statement, sentence)
    asked = [grammar.parse(c) for c in claims]
    check_roles(premises + claims, parsed + asked)
    judgements = []
    for claim, statement in zip(claims, asked, strict=True):
        verdict = categorical.verdict(parsed, statement)
        derivation = None
        if verdict in (ENTAILED, CONTRADICTED):
            support = categorical.minimal_support(parsed, statement if verdict == ENTAILED else statement.negated())
            derivation = Derivation("categorical", tuple(support), categorical.hops(support))
        judgements.append(Judgement(claim, statement, verdict, derivation))
    return grammar, judgements


def check_kb(oracle: Oracle, grammar: Grammar, claims: list[str]) -> list[Judgement]:
    check_length(claims, "claim")
    judgements = []
    for claim in claims:
        verdict = oracle.query(grammar.parse(claim))
        judgements.append(Judgement(claim, verdict.statement, verdict.value, verdict.derivation, verdict.conflict))
    return judgements


__all__ = ["MAX_CHARS", "MAX_WORDS", "check_kb", "check_length", "check_premises", "Judgement", "ENTAILED", "CONTRADICTED",
           "UNKNOWN"]
