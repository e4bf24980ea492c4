"""Tests for kgsynth.text.lexicon: nonsense words from a grammar, far apart, not English."""

from __future__ import annotations

import json
import time

import lark
import pytest
import wordfreq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgsynth.errors import KgsynthError
from kgsynth.text.lexicon import (
    GRAMMAR_PATH,
    PLURAL,
    SINGULAR,
    Lexicon,
    LexiconConfig,
    draw_words,
    load_grammar,
    plural,
    plural_forms,
    singular_forms,
)

EXAMPLES = ["femp", "glon", "yomp", "troff", "zept", "abme", "grud"]


@pytest.fixture(scope="module")
def parser() -> lark.Lark:
    """lark's own (Earley) parser for the grammar file, independent of the module's fast check."""
    return lark.Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), start="word")


def levenshtein(a: str, b: str) -> int:
    """Plain dynamic-programming edit distance (insert, delete, substitute)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def naive_plural(word: str) -> str:
    return word + "es" if word.endswith(("s", "x", "z", "sh", "ch")) else word + "s"


def close_pairs(words: list[str], others: list[str] | None = None) -> list[tuple[str, str]]:
    """Every pair of forms (word or plural) within edit distance 1, by an O(n^2) scan.

    Without others: pairs of different words of words. With others: word of words vs word of others.
    """
    found = []
    for i, a in enumerate(words):
        pool = others if others is not None else words[i + 1 :]
        for b in pool:
            for fa in (a, naive_plural(a)):
                for fb in (b, naive_plural(b)):
                    if abs(len(fa) - len(fb)) <= 1 and levenshtein(fa, fb) <= 1:
                        found.append((fa, fb))
    return found


def parses(parser: lark.Lark, word: str) -> bool:
    try:
        parser.parse(word)
    except lark.exceptions.LarkError:
        return False
    return True


# ---------------------------------------------------------------- the grammar


@pytest.mark.parametrize("word", EXAMPLES + ["rony", "telk", "zarp", "teeny", "dolta", "pemak", "baro"])
def test_grammar_language_contains_example_words(parser: lark.Lark, word: str) -> None:
    assert parses(parser, word)
    assert load_grammar().accepts(word)


@pytest.mark.parametrize("word", ["xqzt", "aaaa", "femq", "ngop", "tt", "femp1", "", "glon glon"])
def test_grammar_language_excludes_non_words(parser: lark.Lark, word: str) -> None:
    assert not parses(parser, word)
    assert not load_grammar().accepts(word)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="abdefgiklmnoprstuyz", min_size=1, max_size=6))
def test_fast_membership_agrees_with_lark(parser: lark.Lark, text: str) -> None:
    assert load_grammar().accepts(text) == parses(parser, text)


def test_grammar_lengths_cover_the_default_bounds() -> None:
    lengths = load_grammar().lengths
    assert {4, 5} <= lengths


# ---------------------------------------------------------------- plurals


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("femp", "femps"),
        ("glass", "glasses"),
        ("dax", "daxes"),
        ("fez", "fezes"),
        ("lash", "lashes"),
        ("plach", "plaches"),
        ("rony", "ronys"),
        ("troff", "troffs"),
    ],
)
def test_plural(word: str, expected: str) -> None:
    assert plural(word) == expected


@pytest.mark.parametrize(("word", "forms"), [("berry", ["berrys", "berries"]), ("boy", ["boys"]), ("fox", ["foxes"]),
                                             ("sea otter", ["sea otters"]), ("rony", ["ronys", "ronies"])])
def test_plural_forms_render_plural_first_then_english_ies(word: str, forms: list[str]) -> None:
    assert plural_forms(word) == forms


@pytest.mark.parametrize(("word", "singulars"), [("foxes", ["foxe", "fox"]), ("classes", ["classe", "class"]),
                                                 ("berries", ["berrie", "berry"]), ("mammals", ["mammal"]),
                                                 ("glass", []), ("data analysis tools", ["data analysis tool"])])
def test_singular_forms_invert_plural_forms(word: str, singulars: list[str]) -> None:
    assert singular_forms(word) == singulars


@given(st.text(alphabet="abcehioswxyz ", min_size=1, max_size=8).filter(str.strip))
def test_every_plural_form_leads_back_to_its_singular(word: str) -> None:
    for form in plural_forms(word):
        assert word in singular_forms(form)


# ---------------------------------------------------------------- drawing words


def test_same_seed_same_words_other_seed_other_words() -> None:
    first = draw_words(50, LexiconConfig(seed=1))
    assert draw_words(50, LexiconConfig(seed=1)) == first
    assert draw_words(50, LexiconConfig(seed=2)) != first
    # a longer draw extends a shorter one
    assert draw_words(80, LexiconConfig(seed=1))[:50] == first


def test_draw_zero_words() -> None:
    assert draw_words(0, LexiconConfig()) == []


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32), n=st.integers(min_value=1, max_value=40))
def test_drawn_words_are_nonsense_in_bounds_in_the_grammar_and_far_apart(parser: lark.Lark, seed: int, n: int) -> None:
    config = LexiconConfig(seed=seed)
    words = draw_words(n, config)
    assert len(words) == n
    assert len(set(words)) == n
    for word in words:
        assert wordfreq.word_frequency(word, "en") == 0, word
        assert config.min_length <= len(word) <= config.max_length, word
        assert parses(parser, word), word
    assert close_pairs(words) == []


def test_a_few_hundred_words_are_far_apart() -> None:
    words = draw_words(250, LexiconConfig(seed=0))
    assert len(set(words)) == 250
    assert close_pairs(words) == []
    assert all(wordfreq.word_frequency(w, "en") == 0 and wordfreq.word_frequency(naive_plural(w), "en") == 0 for w in words)


def test_other_length_bounds_are_respected() -> None:
    config = LexiconConfig(min_length=6, max_length=7, seed=3)
    words = draw_words(100, config)
    assert all(6 <= len(w) <= 7 for w in words)
    assert close_pairs(words) == []


def test_reserved_words_are_kept_at_a_distance() -> None:
    config = LexiconConfig(seed=5)
    first = draw_words(60, config)
    second = draw_words(60, config, reserved=first + ["FEMP"])
    assert not set(first) & set(second)
    assert close_pairs(second, first + ["femp"]) == []


def test_function_words_are_never_drawn() -> None:
    config = LexiconConfig(min_length=2, max_length=5, seed=0)
    words = draw_words(300, config)
    assert not {"some", "none", "than", "this", "that", "with", "from", "into", "onto"} & set(words)


def test_max_tokens_with_a_toy_tokenizer() -> None:
    seen: list[str] = []

    def pairs(text: str) -> list[str]:  # one token per two characters
        seen.append(text)
        return [text[i : i + 2] for i in range(0, len(text), 2)]

    config = LexiconConfig(min_length=4, max_length=6, seed=11, max_tokens=3)
    words = draw_words(60, config, tokenizer=pairs)
    assert all(len(pairs(" " + w)) <= 3 for w in words)
    assert all(len(w) <= 5 for w in words)  # " abcde" is three tokens, " abcdef" four
    assert seen and all(text.startswith(" ") for text in seen)
    # the budget did the selecting: without it, longer words come too
    unbudgeted = draw_words(60, LexiconConfig(min_length=4, max_length=6, seed=11))
    assert any(len(w) == 6 for w in unbudgeted)
    # a budget without a tokenizer cannot be checked, and is not
    assert draw_words(60, config) == unbudgeted


def test_impossible_lengths_raise() -> None:
    with pytest.raises(KgsynthError, match="min_length/max_length"):
        draw_words(5, LexiconConfig(min_length=40, max_length=50))


def test_too_many_words_raise() -> None:
    with pytest.raises(KgsynthError, match="could not draw 5000 .*widen min_length/max_length"):
        draw_words(5000, LexiconConfig(min_length=3, max_length=3))


def test_impossible_token_budget_raises() -> None:
    with pytest.raises(KgsynthError, match="raise max_tokens"):
        draw_words(3, LexiconConfig(max_tokens=1), tokenizer=list)


@pytest.mark.parametrize(
    "config",
    [
        LexiconConfig(min_length=0),
        LexiconConfig(min_length=5, max_length=4),
        LexiconConfig(max_tokens=0),
        LexiconConfig(seed="x"),  # type: ignore[arg-type]
        LexiconConfig(min_length=True),
    ],
)
def test_bad_config_raises(config: LexiconConfig) -> None:
    with pytest.raises(KgsynthError):
        config.validate()
    with pytest.raises(KgsynthError):
        draw_words(3, config)


def test_negative_count_raises() -> None:
    with pytest.raises(KgsynthError):
        draw_words(-1, LexiconConfig())


def test_five_thousand_words_are_fast() -> None:
    draw_words(10, LexiconConfig())  # load the grammar and wordfreq's list first
    start = time.perf_counter()
    words = draw_words(5000, LexiconConfig(seed=0))
    elapsed = time.perf_counter() - start
    assert len(set(words)) == 5000
    assert elapsed < 5.0, f"5000 words took {elapsed:.2f} s"


# ---------------------------------------------------------------- the lexicon


IDS = ["Dog", "Mammal", "Animal", "rex", "hasFur", "Cat"]


def test_assign_is_deterministic_and_independent_of_id_order() -> None:
    config = LexiconConfig(seed=4)
    lexicon = Lexicon.assign(IDS, config)
    assert Lexicon.assign(list(reversed(IDS)), config) == lexicon
    assert [lexicon.word(i) for i in sorted(IDS)] == draw_words(len(IDS), config)
    assert len(lexicon) == len(IDS)


def test_id_of_round_trips_singular_and_plural() -> None:
    lexicon = Lexicon.assign(IDS, LexiconConfig(seed=4))
    for id_ in IDS:
        word = lexicon.word(id_)
        assert lexicon.id_of(word) == (id_, SINGULAR)
        assert lexicon.id_of(plural(word)) == (id_, PLURAL)
        assert lexicon.id_of(word.upper()) == (id_, SINGULAR)
        assert lexicon.id_of(plural(word).capitalize()) == (id_, PLURAL)
        assert word in lexicon


def test_unknown_lookups_raise() -> None:
    lexicon = Lexicon({"Dog": "femp"})
    with pytest.raises(KgsynthError):
        lexicon.id_of("glon")
    with pytest.raises(KgsynthError):
        lexicon.word("Cat")
    assert "glon" not in lexicon


def test_a_surface_naming_two_ids_raises() -> None:
    with pytest.raises(KgsynthError, match="femps"):
        Lexicon({"A": "femp", "B": "femps"})
    with pytest.raises(KgsynthError):
        Lexicon.from_json({"words": {"A": "glon", "B": "GLON"}})


def test_duplicate_ids_raise() -> None:
    with pytest.raises(KgsynthError):
        Lexicon.assign(["Dog", "Dog"], LexiconConfig())


def test_json_round_trip() -> None:
    lexicon = Lexicon.assign(IDS, LexiconConfig(seed=9), reserved=["femp"])
    data = json.loads(json.dumps(lexicon.to_json()))
    assert Lexicon.from_json(data) == lexicon
    with pytest.raises(KgsynthError):
        Lexicon.from_json({"Dog": "femp"})
