"""Nonsense words: English-sounding, not English, far apart from each other.

Every noun, adjective and verb of a synthetic world is replaced by a made-up word
("femp", "glon", "yomp"), so that nothing can be answered from pretraining. The sound
of the words is defined by one file, ``grammars/lexicon.lark``: words are drawn by
random expansion of that grammar's own rules, choosing uniformly among the
alternatives of each rule, with a seeded ``random.Random``.

A drawn word is kept only if
  - its length is within the configured bounds;
  - neither it nor its plural is a real English word (``wordfreq`` frequency 0) or an
    English function word;
  - neither it nor its plural is within edit distance 1 (Levenshtein) of any word
    already chosen, of any reserved word, or of their plurals, so that one typo never
    turns one entity into another, in the singular or the plural;
  - it fits a token budget, when a tokenizer is given;
  - it is in the grammar's language (a guard on the expansion).

The distance check indexes every form by its deletion variants (the SymSpell trick),
so drawing n words costs O(n), not O(n^2).

The words are checked against the grammar with a regular expression compiled from
its rules (the grammar has no recursion): lark's own Earley parser takes 2-4 ms a
word, too slow for thousands of words. Lark's parser checks a sample of drawn words
each time a grammar is loaded, so the expansion, the regular expression and lark
read the rules alike.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import wordfreq

from ..errors import KgsynthError
from .word_grammar import GRAMMAR_PATH, WordGrammar, load_grammar  # noqa: F401  (re-exported)

SINGULAR = "singular"
PLURAL = "plural"

# Consecutive rejected candidates after which draw_words gives up.
STALL_LIMIT = 20_000

# English function words (pronouns, determiners, quantifiers, prepositions,
# conjunctions, auxiliaries, particles, archaic forms). Rejected even where wordfreq
# would not know them, whatever the length bounds.
FUNCTION_WORDS = frozenset(
    """
    a about above across after again against ago ah albeit all almost along already also although always am
    amid amidst among amongst an and another any anybody anyone anything anywhere are aren around as at away
    be because been before behind being below beneath beside besides between beyond both but by
    can cannot could couldn dare did didn do does doesn doing done don down during
    each either else enough ere even ever every everybody everyone everything except
    few for from further had hadn has hasn hath have haven having he hence her here hers herself him himself his
    how however i if in inside instead into is isn it its itself just least less lest like many may me might
    mine more most much must mustn my myself near neither never nevertheless no nobody none noone nor not
    nothing now nowhere o of off oft often oh on once one only onto or other others otherwise ought our ours
    ourselves out outside over own past per perhaps quite rather round same shall shan she should shouldn since
    so some somebody someone something sometimes somewhat somewhere such than that the thee their theirs them
    themselves then thence there thereby therefore these they thine this thither those thou though through
    throughout thru thus thy till to too toward towards under underneath unless unlike until unto up upon us very
    via was wasn we were weren what whatever when whence whenever where whereas whereby wherein wherever whether
    which whichever while whilst whither who whoever whom whomever whose why will with within without won
    would wouldn ye yea yes yet you your yours yourself yourselves
    """.split()
)


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class LexiconConfig:
    """How nonsense words are drawn.

    min_length, max_length: letters per word (singular), inclusive.
    seed: the same seed always draws the same words.
    max_tokens: token budget per word, checked only when draw_words gets a tokenizer.
    """

    min_length: int = 4
    max_length: int = 5
    seed: int = 0
    max_tokens: int | None = None

    def validate(self) -> None:
        for name in ("min_length", "max_length", "seed"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise KgsynthError(f"lexicon {name} must be an integer, got {value!r}")
        if self.min_length < 1:
            raise KgsynthError(f"lexicon min_length must be at least 1, got {self.min_length}")
        if self.max_length < self.min_length:
            raise KgsynthError(f"lexicon max_length ({self.max_length}) must be at least min_length ({self.min_length})")
        if self.max_tokens is not None:
            if not isinstance(self.max_tokens, int) or isinstance(self.max_tokens, bool) or self.max_tokens < 1:
                raise KgsynthError(f"lexicon max_tokens must be a positive integer or unset, got {self.max_tokens!r}")


# ---------------------------------------------------------------- words


def plural(word: str) -> str:
    """The regular English plural: add "es" after s, x, z, sh, ch; otherwise "s"."""
    if word.endswith(("s", "x", "z", "sh", "ch")):
        return word + "es"
    return word + "s"


def plural_forms(word: str) -> list[str]:
    """Every plural `plural` reads for a word (or a phrase: its last word): `plural(word)`
    first (what is rendered), then the English "-ies" of a consonant + "y" ("berries")."""
    forms = [plural(word)]
    if len(word) > 1 and word.endswith("y") and word[-2] not in "aeiou ":
        forms.append(word[:-1] + "ies")
    return forms


def singular_forms(word: str) -> list[str]:
    """The inverse of `plural_forms`: every singular of which `word` is a plural ("foxes" ->
    "fox", "foxe"; "berries" -> "berry"; "mammals" -> "mammal"), longest first."""
    candidates = {word[:cut] + tail for cut, tail in ((-1, ""), (-2, ""), (-3, "y")) if len(word) > -cut}
    return sorted((c for c in candidates if c.strip() and word in plural_forms(c)), key=lambda c: (-len(c), c))


class _Neighbourhood:
    """Forms indexed by their deletion variants, to find any form within edit distance 1.

    A stored form s is within distance 1 of a query q exactly when
      - s == q;
      - s is q with one letter deleted (q with a letter deleted is stored);
      - q is s with one letter deleted (a deletion of s, stored, equals q);
      - s and q differ in one letter only: deleting the same position i from both
        gives the same string (stored with its position).
    Each test is a set lookup, so a query costs O(len(q)), however many forms are stored.
    """

    def __init__(self) -> None:
        self._forms: set[str] = set()
        self._deleted: set[str] = set()
        self._at: set[tuple[int, str]] = set()

    def add(self, form: str) -> None:
        self._forms.add(form)
        for i in range(len(form)):
            rest = form[:i] + form[i + 1 :]
            self._deleted.add(rest)
            self._at.add((i, rest))

    def near(self, form: str) -> bool:
        if form in self._forms or form in self._deleted:
            return True
        forms, at = self._forms, self._at
        for i in range(len(form)):
            rest = form[:i] + form[i + 1 :]
            if rest in forms or (i, rest) in at:
                return True
        return False


# ---------------------------------------------------------------- drawing words


@lru_cache(maxsize=1)
def _english_frequencies() -> dict[str, float]:
    return wordfreq.get_frequency_dict("en")


def _is_english(form: str) -> bool:
    """A function word, or a word wordfreq knows (word_frequency(form, "en") > 0)."""
    if form in FUNCTION_WORDS:
        return True
    if form.isascii() and form.isalpha() and form.islower():
        # wordfreq reads such a word as one token, known exactly when it is in its list
        return form in _english_frequencies()
    return wordfreq.word_frequency(form, "en") > 0


def check_lengths(grammar: WordGrammar, lo: int, hi: int) -> None:
    if not any(lo <= length <= hi for length in grammar.lengths):
        shown = sorted(grammar.lengths)
        raise KgsynthError(
            f"the word grammar {grammar.source} makes no word of {lo}-{hi} letters "
            f"(it makes {shown[0]}-{shown[-1]}); change min_length/max_length"
        )


def stalled_error(n: int, config: LexiconConfig, budget: int | None, reserved: bool, found: int,
                  attempts: int) -> KgsynthError:
    relax = "widen min_length/max_length" + (", raise max_tokens" if budget is not None else "")
    relax += ", reserve fewer words" if reserved else ""
    return KgsynthError(
        f"could not draw {n} nonsense words of {config.min_length}-{config.max_length} letters"
        + (f" and at most {budget} tokens" if budget is not None else "")
        + f": found {found} after {attempts} attempts; {relax}, or ask for fewer words"
    )


def draw_words(
    n: int,
    config: LexiconConfig,
    *,
    reserved: Iterable[str] = (),
    tokenizer: Callable[[str], Sequence[Any]] | None = None,
    grammar: WordGrammar | None = None,
) -> list[str]:
    """n distinct nonsense words, in the order drawn; the same for the same seed and arguments.

    reserved: words to keep away from (distance 1, singular or plural), e.g. words of
      another lexicon or of the sentence templates.
    tokenizer: str -> tokens (or ids), without special tokens; with config.max_tokens,
      a word is kept only if " word" (as it appears mid-sentence) has at most
      max_tokens tokens.
    """
    config.validate()
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise KgsynthError(f"the number of words to draw must be a non-negative integer, got {n!r}")
    if n == 0:
        return []
    grammar = grammar if grammar is not None else load_grammar()
    lo, hi = config.min_length, config.max_length
    check_lengths(grammar, lo, hi)
    budget = config.max_tokens if tokenizer is not None else None

    taken = _Neighbourhood()
    for word in reserved:
        word = word.lower()
        taken.add(word)
        taken.add(plural(word))

    rng = random.Random(config.seed)
    chosen: list[str] = []
    tried: set[str] = set()
    stalled = attempts = 0
    while len(chosen) < n:
        if stalled >= STALL_LIMIT:
            raise stalled_error(n, config, budget, bool(reserved), len(chosen), attempts)
        attempts += 1
        stalled += 1
        word = grammar.expand(rng)
        if not lo <= len(word) <= hi or word in tried:
            continue
        tried.add(word)
        form = plural(word)
        if taken.near(word) or taken.near(form):
            continue
        if _is_english(word) or _is_english(form):
            continue
        if budget is not None and len(tokenizer(" " + word)) > budget:
            continue
        if not grammar.accepts(word):
            continue
        chosen.append(word)
        taken.add(word)
        taken.add(form)
        stalled = 0
    return chosen


# ---------------------------------------------------------------- the lexicon


class Lexicon:
    """Ids (entities, classes, properties) mapped to nonsense words, and back from surfaces."""

    def __init__(self, words: Mapping[str, str]) -> None:
        self._words: dict[str, str] = {}
        self._surfaces: dict[str, tuple[str, str]] = {}
        for id_, word in words.items():
            if not isinstance(id_, str) or not isinstance(word, str) or not word:
                raise KgsynthError(f"lexicon entries must map ids to non-empty words, got {id_!r}: {word!r}")
        for id_, word in sorted(words.items()):
            self._words[id_] = word
            for surface, number in ((word.lower(), SINGULAR), (plural(word).lower(), PLURAL)):
                previous = self._surfaces.get(surface)
                if previous is not None and previous[0] != id_:
                    raise KgsynthError(f"lexicon word {surface!r} would name both {previous[0]!r} and {id_!r}")
                self._surfaces[surface] = (id_, number)

    @classmethod
    def assign(
        cls,
        ids: Sequence[str],
        config: LexiconConfig,
        reserved: Iterable[str] = (),
        *,
        tokenizer: Callable[[str], Sequence[Any]] | None = None,
    ) -> Lexicon:
        """A word for every id: the ids sorted, paired in order with freshly drawn words."""
        ordered = sorted(ids)
        for a, b in zip(ordered, ordered[1:], strict=False):
            if a == b:
                raise KgsynthError(f"id {a!r} is given twice; every id needs its own word")
        words = draw_words(len(ordered), config, reserved=reserved, tokenizer=tokenizer)
        return cls(dict(zip(ordered, words, strict=True)))

    def word(self, id_: str) -> str:
        try:
            return self._words[id_]
        except KeyError:
            raise KgsynthError(f"no word for id {id_!r} in the lexicon") from None

    def plural(self, id_: str) -> str:
        return plural(self.word(id_))

    def id_of(self, surface: str) -> tuple[str, str]:
        """(id, "singular" | "plural") of a word as written, case-insensitive."""
        try:
            return self._surfaces[surface.lower()]
        except KeyError:
            raise KgsynthError(f"{surface!r} is not a word of the lexicon") from None

    def __contains__(self, surface: object) -> bool:
        return isinstance(surface, str) and surface.lower() in self._surfaces

    def __len__(self) -> int:
        return len(self._words)

    def items(self) -> list[tuple[str, str]]:
        return list(self._words.items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lexicon) and self._words == other._words

    def __repr__(self) -> str:
        return f"Lexicon({len(self._words)} words)"

    def to_json(self) -> dict:
        return {"words": dict(self._words)}

    @classmethod
    def from_json(cls, data: dict) -> Lexicon:
        words = data.get("words") if isinstance(data, dict) else None
        if not isinstance(words, dict):
            raise KgsynthError('a lexicon in JSON must be an object {"words": {id: word, ...}}')
        return cls(words)
