"""Judge English sentences: against premises (categorical logic) or a synthesized KB (the oracle)."""

from __future__ import annotations

from dataclasses import dataclass

from . import categorical
from .closure import Derivation
from .documents import study_wording
from .errors import KgsynthError
from .grammar import WORD, Grammar, Names
from .lexicon import plural
from .oracle import CONTRADICTED, ENTAILED, UNKNOWN, Oracle
from .statement import Statement


@dataclass
class Judgement:
    claim: str
    statement: Statement
    verdict: str
    derivation: Derivation | None
    conflict: Statement | None = None

    def to_json(self, grammar: Grammar) -> dict:
        derivation = None
        if self.derivation is not None:
            derivation = {
                "rule": self.derivation.rule,
                "hops": self.derivation.hops,
                "premises": [describe(grammar, p) for p in self.derivation.premises],
            }
        return {
            "claim": self.claim,
            "statement": self.statement.to_json(),
            "verdict": self.verdict,
            "derivation": derivation,
            "conflict": describe(grammar, self.conflict) if self.conflict else None,
        }


def describe(grammar: Grammar, statement: Statement) -> str:
    try:
        return study_wording(grammar, statement)
    except KgsynthError:
        return str(statement)


def premise_grammar(sentences: list[str]) -> Grammar:
    """A grammar whose names are the words of the sentences that are not the grammar's own."""
    literals = Grammar({}, Names()).vocabulary()  # with no names: the grammar's own words
    words = {w for s in sentences for w in WORD.findall(s.lower()) if w not in literals}
    names = Names()
    for word in sorted(words):
        lemma = word[:-1] if word.endswith("s") and word[:-1] in words else word
        if lemma != word:
            continue
        names.add(lemma, sg=lemma, pl=lemma)  # "All glon are yomp", as the study writes them
        names.alias(lemma, "pl", plural(lemma))  # "All glons are yomps" reads the same
    return Grammar({}, names)


def check_premises(premises: list[str], claims: list[str]) -> tuple[Grammar, list[Judgement]]:
    grammar = premise_grammar(premises + claims)
    parsed = [grammar.parse(p) for p in premises]
    for sentence, statement in zip(premises, parsed, strict=True):
        if not statement.form.is_categorical:
            raise KgsynthError(f"premise {sentence!r} is not one of the forms all / some / no / some ... not")
    judgements = []
    for claim in claims:
        statement = grammar.parse(claim)
        verdict = categorical.verdict(parsed, statement)
        derivation = None
        if verdict in (ENTAILED, CONTRADICTED):
            support = categorical.minimal_support(parsed, statement if verdict == ENTAILED else statement.negated())
            derivation = Derivation("categorical", tuple(support), categorical.hops(support))
        judgements.append(Judgement(claim, statement, verdict, derivation))
    return grammar, judgements


def check_kb(oracle: Oracle, grammar: Grammar, claims: list[str]) -> list[Judgement]:
    judgements = []
    for claim in claims:
        verdict = oracle.query(grammar.parse(claim))
        judgements.append(Judgement(claim, verdict.statement, verdict.value, verdict.derivation, verdict.conflict))
    return judgements


__all__ = ["check_premises", "check_kb", "Judgement", "ENTAILED", "CONTRADICTED", "UNKNOWN"]
