"""Read a sentence with the Lark grammar into clauses: the statement kind, the relation and
each slot's words, before the names are resolved (kgsynth.text.grammar resolves them).

Sentences reach here with their names replaced by placeholders (kgsynth.text.surfaces),
so the sentences of a dataset that differ only in their names are parsed once (cached).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedEOF, UnexpectedInput
from lark.visitors import CollapseAmbiguities

SLOT_NUMBER = {
    "subj_ind": "ind", "obj_ind": "ind", "subj_sg": "sg", "obj_sg": "sg",
    "subj_pl": "pl", "obj_pl": "pl", "obj_bare": "sg",
}


@dataclass(frozen=True)
class Clause:
    """One reading of a sentence before its names are resolved: the kind, the relation's
    index (-1: isa) and each slot's words as written (placeholders included)."""

    kind: str
    relation: int
    slots: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Unread:
    """Why a sentence does not parse: it ends too early ("eof"), or an unexpected text at `position`."""

    reason: str
    position: int = 0


@lru_cache(maxsize=8)
def compile_grammar(text: str) -> Lark:
    return Lark(text, start="sentence", parser="earley", lexer="dynamic", ambiguity="explicit")


@lru_cache(maxsize=8192)
def read_clauses(grammar_text: str, text: str) -> tuple[Clause, ...] | Unread:
    """Every reading of a sentence (its names replaced by placeholders), cached: the sentences
    of a dataset that differ only in their names are parsed once."""
    lark = compile_grammar(grammar_text)
    try:
        tree = lark.parse(text)
    except UnexpectedEOF:
        return Unread("eof")
    except UnexpectedInput as exc:
        return Unread("unexpected", exc.pos_in_stream)
    return tuple(dict.fromkeys(clause_of(reading) for reading in CollapseAmbiguities().transform(tree)))


def clause_of(tree: Tree) -> Clause:
    clause = next(child for child in tree.children if isinstance(child, Tree) and "__" in child.data)
    relation, slots = -1, []
    for child in clause.children:
        if not isinstance(child, Tree):
            continue
        if child.data.startswith(("rel_", "crel_")):
            relation = int(child.data.rsplit("_", 1)[1])
        elif child.data in SLOT_NUMBER:
            slots.append((child.data, " ".join(token.value for token in child.children if isinstance(token, Token))))
    return Clause(clause.data.split("__")[0], relation, tuple(slots))
