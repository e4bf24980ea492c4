"""Find the names in a sentence before it is parsed, so that any label can be carried.

The grammar's NAME terminal reads lower-case ASCII words; real labels have accents,
initials, periods, digits, commas ("Alexander Skarsgård", "J.C. Chandor", "Frank Stallone
Sr.", "2025 World Hoverboard Championship"). Before parsing, every known surface found in
the normalized sentence (longest first, on word boundaries) is replaced by a placeholder
token ("zq0", "zq1", ...); the parser reads the placeholders as names, and each slot's
text is mapped back to the words it stood for before it is resolved.

A surface made only of NAME words that contains a word of the grammar ("the rock") is
left in place: the Earley parser already reads it, and replacing it could take the
grammar's own words ("a parent of") for a name. Such a surface with other characters
too ("The Weeknd (singer)") is replaced all the same: nothing else could read it.
Since the names' words are never the grammar's words, a run of name words can only be
one slot (the grammar never puts two slots side by side), so the replacement changes
no reading; and sentences that differ only in their names share one parse (cached).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

PLACEHOLDER = re.compile(r"\bzq(\d+)\b")
TRAILING = ",.?!:;"  # punctuation that may follow a name without a space


class SurfaceIndex:
    def __init__(self, surfaces: Iterable[str], literals: set[str], plain_word: re.Pattern):
        """`surfaces`: normalized name surfaces; `literals`: the grammar's own words;
        `plain_word`: the NAME terminal, which reads a word of a surface left in place."""
        self.by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for surface in surfaces:
            words = tuple(surface.split())
            if not words:
                continue
            exotic = not all(plain_word.fullmatch(w) for w in words)
            if exotic or not any(w in literals for w in words):
                self.by_first[words[0]].append(words)
        for found in self.by_first.values():
            found.sort(key=len, reverse=True)

    def replace(self, text: str) -> tuple[str, list[str]]:
        """(the text with each known surface replaced by a placeholder, the surfaces in order)."""
        tokens = text.split()
        if PLACEHOLDER.search(text):  # a word of the sentence looks like a placeholder: leave it alone
            return text, []
        out: list[str] = []
        found: list[str] = []
        i = 0
        while i < len(tokens):
            match = self.match_at(tokens, i)
            if match is None:
                out.append(tokens[i])
                i += 1
                continue
            words, tail = match
            out.append(f"zq{len(found)}{tail}")
            found.append(" ".join(words))
            i += len(words)
        return " ".join(out), found

    def match_at(self, tokens: list[str], i: int) -> tuple[tuple[str, ...], str] | None:
        """The longest surface starting at token i, and the punctuation glued after it."""
        token = tokens[i]
        candidates = list(self.by_first.get(token, ()))
        stripped = token
        while stripped and stripped[-1] in TRAILING:  # "yomps." "Sr.?" "glon,"
            stripped = stripped[:-1]
            candidates += [w for w in self.by_first.get(stripped, ()) if len(w) == 1]
        best: tuple[tuple[str, ...], str] | None = None
        for words in candidates:
            n = len(words)
            if (best is not None and n <= len(best[0])) or tokens[i:i + n - 1] != list(words[:-1]) or i + n > len(tokens):
                continue
            last, word = tokens[i + n - 1], words[-1]
            tail = last[len(word):]
            if last.startswith(word) and all(c in TRAILING for c in tail):
                best = (words, tail)
        return best


def restore(text: str, found: list[str]) -> str:
    """The text with its placeholders replaced by the words they stand for."""
    if not found:
        return text
    return PLACEHOLDER.sub(lambda m: found[int(m.group(1))] if int(m.group(1)) < len(found) else m.group(0), text)
