"""The word grammar (grammars/lexicon.lark): random expansion of its rules, and a fast
test of membership in its language (the rules compiled to a regular expression; lark's
own Earley parser, ~ms a word, checks a sample of drawn words at load)."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import lark
from lark.grammar import NonTerminal, Terminal
from lark.lexer import PatternStr

from ..errors import KgsynthError
from ..resources import grammar_path

GRAMMAR_PATH = grammar_path("lexicon.lark")
START = "word"
# Words drawn at grammar load and parsed with lark's own parser, to check that the
# expansion and the fast membership test read the rules as lark does.
SELF_CHECK_WORDS = 24
# Longest word the length analysis tracks (grammars with recursion are unbounded).
LENGTH_CAP = 64


class WordGrammar:
    """A word grammar: random expansion of its rules, and membership of its language."""

    def __init__(self, text: str, *, source: str = "<grammar>") -> None:
        self.source = source
        try:
            self.parser = lark.Lark(text, start=START)
        except lark.exceptions.LarkError as e:
            raise KgsynthError(f"word grammar {source} is not a valid Lark grammar: {e}") from e
        # name -> alternatives; an alternative is a tuple of (is_literal, literal or rule name).
        raw: dict[str, list[tuple[tuple[bool, str], ...]]] = {}
        for rule in self.parser.rules:
            items = []
            for symbol in rule.expansion:
                if isinstance(symbol, Terminal):
                    items.append((True, self._literal(symbol.name)))
                elif isinstance(symbol, NonTerminal):
                    items.append((False, symbol.name))
                else:  # pragma: no cover - lark has only these two
                    raise KgsynthError(f"word grammar {source}: unexpected symbol {symbol!r}")
            raw.setdefault(rule.origin.name, []).append(tuple(items))
        if START not in raw:
            raise KgsynthError(f"word grammar {source} has no rule {START!r}")
        # Sorted, so that the words drawn for a seed do not depend on lark's rule order.
        for alternatives in raw.values():
            alternatives.sort()
        # For expansion: a nonterminal is a list of alternatives, an alternative a tuple of
        # items: a literal (str), a nonterminal (list), or a nonterminal whose alternatives
        # are all single literals (a tuple of those literals: one draw picks one).
        self._rules: dict[str, list[tuple[Any, ...]]] = {name: [] for name in raw}
        leaves = {
            name: tuple(alternative[0][1] for alternative in alternatives)
            for name, alternatives in raw.items()
            if all(len(alternative) == 1 and alternative[0][0] for alternative in alternatives)
        }
        for name, alternatives in raw.items():
            for alternative in alternatives:
                self._rules[name].append(
                    tuple(value if is_literal else leaves.get(value) or self._rules[value] for is_literal, value in alternative)
                )
        self._start = self._rules[START]
        self.lengths = self._lengths(raw)
        pattern = self._regex(raw)
        self._regex_match = re.compile(pattern).fullmatch if pattern is not None else None
        self._self_check()

    def _literal(self, name: str) -> str:
        pattern = self.parser.get_terminal(name).pattern
        if not isinstance(pattern, PatternStr) or not pattern.value:
            raise KgsynthError(
                f"word grammar {self.source}: terminal {name} ({pattern.value!r}) must be a non-empty literal string; "
                "write sounds as quoted strings in rules, not as regular expressions"
            )
        return pattern.value

    @staticmethod
    def _lengths(raw: Mapping[str, list[tuple[tuple[bool, str], ...]]]) -> frozenset[int]:
        """Every length (up to LENGTH_CAP) a word of the grammar can have."""
        lengths: dict[str, set[int]] = {name: set() for name in raw}
        changed = True
        while changed:
            changed = False
            for name, alternatives in raw.items():
                for alternative in alternatives:
                    total = {0}
                    for is_literal, value in alternative:
                        part = {len(value)} if is_literal else lengths[value]
                        total = {a + b for a in total for b in part if a + b <= LENGTH_CAP}
                    if not total <= lengths[name]:
                        lengths[name] |= total
                        changed = True
        return frozenset(lengths[START])

    @staticmethod
    def _regex(raw: Mapping[str, list[tuple[tuple[bool, str], ...]]]) -> str | None:
        """The grammar's language as a regular expression, or None if the grammar is recursive."""
        done: dict[str, str] = {}
        active: set[str] = set()

        def build(name: str) -> str | None:
            if name in done:
                return done[name]
            if name in active:
                return None
            active.add(name)
            alternatives = []
            for alternative in raw[name]:
                parts = []
                for is_literal, value in alternative:
                    part = re.escape(value) if is_literal else build(value)
                    if part is None:
                        return None
                    parts.append(part)
                alternatives.append("".join(parts))
            active.discard(name)
            done[name] = "(?:" + "|".join(alternatives) + ")"
            return done[name]

        return build(START)

    def expand(self, rng: random.Random) -> str:
        """One random word: expand from the start rule, uniformly among alternatives."""
        out: list[str] = []
        uniform = rng.random

        def walk(alternatives: list[tuple[Any, ...]], depth: int) -> None:
            if depth > 100:
                raise KgsynthError(f"word grammar {self.source} recurses too deeply to draw words from")
            for item in alternatives[int(uniform() * len(alternatives))]:
                kind = item.__class__
                if kind is str:
                    out.append(item)
                elif kind is tuple:
                    out.append(item[int(uniform() * len(item))])
                else:
                    walk(item, depth + 1)

        walk(self._start, 0)
        return "".join(out)

    def parse(self, word: str) -> bool:
        """lark's own parser: is the word in the grammar's language (slow, ~ms a word)."""
        try:
            self.parser.parse(word)
        except lark.exceptions.LarkError:
            return False
        return True

    def accepts(self, word: str) -> bool:
        """Is the word in the grammar's language (fast: the rules compiled to a regex)."""
        if self._regex_match is None:
            return self.parse(word)
        return self._regex_match(word) is not None

    def _self_check(self) -> None:
        rng = random.Random(0)
        for _ in range(SELF_CHECK_WORDS):
            word = self.expand(rng)
            if not (self.parse(word) and self.accepts(word)):
                raise KgsynthError(f"word grammar {self.source}: drawn word {word!r} does not parse with the grammar")


@lru_cache(maxsize=8)
def load_grammar(path: str | Path | None = None) -> WordGrammar:
    """The word grammar in a .lark file (default: grammars/lexicon.lark), loaded once."""
    path = Path(path) if path is not None else GRAMMAR_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise KgsynthError(f"cannot read word grammar {path}: {e.strerror or e}") from e
    return WordGrammar(text, source=str(path))
