"""The nonsense words of every family's lexicon (lexicon.json): no real English word, no two
words (or their plurals) within one edit of each other or of the relation phrases' words."""

from __future__ import annotations

import itertools
import random

import pytest
import wordfreq
from helpers import FAMILIES

from kgsynth.text.lexicon import plural


def lexicon_words(synth) -> list[str]:
    """Every word of every term's surface, lower-cased ("Zarp Tolm" gives zarp and tolm)."""
    return sorted({w.lower() for surface in synth.naming.lexicon["terms"].values() for w in surface.split()})


def near_pairs(owned: dict[str, str]) -> list[tuple[str, str]]:
    """Pairs of forms with different owners within edit distance 1 (equal, one edit, one insertion).

    Same-length forms one substitution apart share a key (position, form without that letter);
    a form one insertion longer than another has that other form as one of its deletions.
    """
    found = []
    by_key: dict[tuple[int, str], list[str]] = {}
    for form in owned:
        for i in range(len(form)):
            by_key.setdefault((i, form[:i] + form[i + 1:]), []).append(form)
    for group in by_key.values():
        found += [(a, b) for a, b in itertools.combinations(group, 2) if owned[a] != owned[b]]
    for form in owned:
        for i in range(len(form)):
            shorter = form[:i] + form[i + 1:]
            if shorter in owned and owned[shorter] != owned[form]:
                found.append((shorter, form))
    return sorted(set(found))


def levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def test_near_pairs_agrees_with_levenshtein() -> None:
    rng = random.Random(5)
    words = ["".join(rng.choice("abcde") for _ in range(rng.randint(2, 4))) for _ in range(80)]
    owned = {w: w for w in set(words)}
    expected = sorted({tuple(sorted((a, b))) for a, b in itertools.combinations(owned, 2) if levenshtein(a, b) <= 1})
    assert sorted({tuple(sorted(p)) for p in near_pairs(owned)}) == expected


@pytest.mark.parametrize("family", FAMILIES)
def test_no_lexicon_word_is_english(synthesized, family: str) -> None:
    synth = synthesized(family)
    assert synth.naming.lexicon["keep_labels"] is False
    words = lexicon_words(synth)
    assert len(words) >= len(synth.naming.lexicon["terms"])
    english = [w for w in words if wordfreq.word_frequency(w, "en") > 0]
    assert not english, english[:20]
    # classes appear in the plural too ("gruds are abmes")
    plurals = [plural(w) for w in words]
    english_plurals = [w for w in plurals if wordfreq.word_frequency(w, "en") > 0]
    assert not english_plurals, english_plurals[:20]


@pytest.mark.parametrize("family", FAMILIES)
def test_no_two_lexicon_words_within_one_edit(synthesized, family: str) -> None:
    synth = synthesized(family)
    words = lexicon_words(synth)
    assert len(words) == sum(len(s.split()) for s in synth.naming.lexicon["terms"].values())  # every word once
    owned = {w: w for w in words}
    assert not near_pairs(owned), near_pairs(owned)[:10]
    assert not {plural(w) for w in words} & set(words)
    for word in words:  # a plural never lands next to another word, singular or plural
        owned[plural(word)] = word
    assert not near_pairs(owned), near_pairs(owned)[:10]


@pytest.mark.parametrize("family", FAMILIES)
def test_lexicon_words_keep_away_from_relation_words(synthesized, family: str) -> None:
    synth = synthesized(family)
    relation_words = {w for phrase in synth.naming.lexicon["relations"].values() for w in phrase.split()}
    owned = {w: "relations" for w in relation_words}
    for word in lexicon_words(synth):
        owned[word] = word
    pairs = [(a, b) for a, b in near_pairs(owned) if "relations" in (owned[a], owned[b])]
    assert not pairs, pairs[:10]
