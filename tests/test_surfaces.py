"""Names found in a sentence before parsing: longest first, on word boundaries, punctuation
glued after a name kept outside it, and mapped back exactly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kgsynth.text.grammar import NAME_WORD
from kgsynth.text.surfaces import SurfaceIndex, restore

LITERALS = {"is", "a", "parent", "of", "the", "all", "are"}


def index(*surfaces: str) -> SurfaceIndex:
    return SurfaceIndex(surfaces, LITERALS, NAME_WORD)


def test_longest_surface_wins_and_punctuation_stays_outside() -> None:
    found = index("frank stallone", "frank stallone sr.", "j.c. chandor")
    assert found.replace("frank stallone sr. is a parent of j.c. chandor.") == (
        "zq0 is a parent of zq1.", ["frank stallone sr.", "j.c. chandor"])
    # a name ending in a period at the end of a sentence keeps its period, the sentence needs none
    assert found.replace("j.c. chandor is a parent of frank stallone sr.") == (
        "zq0 is a parent of zq1", ["j.c. chandor", "frank stallone sr."])
    assert found.replace("is j.c. chandor a parent of frank stallone sr.?")[0] == "is zq0 a parent of zq1?"


def test_only_whole_words_are_replaced() -> None:
    found = index("r2-d2", "glon")
    assert found.replace("r2-d2s are glons")[1] == []
    assert found.replace("all glon, are glon")[0] == "all zq0, are zq1"


def test_plain_surface_with_a_grammar_word_is_left_to_the_parser() -> None:
    found = index("the rock", "the weeknd (singer)")
    assert found.replace("the rock is a parent of the weeknd (singer).") == (
        "the rock is a parent of zq0.", ["the weeknd (singer)"])


def test_a_word_that_looks_like_a_placeholder_turns_replacement_off() -> None:
    assert index("glon").replace("zq3 is a glon") == ("zq3 is a glon", [])


@given(st.lists(st.sampled_from(["skarsgård", "j.c.", "o'brien", "2025", "sr.", "glon", "x-1"]), min_size=1, max_size=4),
       st.sampled_from(["", ".", "?", ",", ".?"]))
def test_restore_inverts_replace(words: list[str], tail: str) -> None:
    surface = " ".join(words)
    text = f"all {surface}{tail} are the parent of {surface}{tail}"
    skeleton, found = index(surface).replace(text)
    assert found == [surface, surface]
    assert restore(skeleton, found) == text
