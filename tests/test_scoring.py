"""kgsynth.models.scoring on a tiny randomly initialized Gemma 3 and a BPE tokenizer trained here.

The model has a sliding window of 8 tokens on three of its four layers and the scorer
prefills in chunks of 16, so long contexts cross both; the tokenizer merges across
spaces, so a continuation can merge with the context's last token. `naive_scores` (one
full forward pass per request, no cache) is the reference for `PrefixScorer.score`.
"""

from __future__ import annotations

import math
import random

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from tokenizers import decoders, models, pre_tokenizers, processors, trainers  # noqa: E402

from kgsynth.errors import KgsynthError  # noqa: E402
from kgsynth.models.base import Score, ScoreRequest  # noqa: E402
from kgsynth.models.scoring import PrefixScorer, common_prefix, encode, naive_scores  # noqa: E402

CPU = torch.device("cpu")
CHUNK = 16
WINDOW = 8
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "so", "vi", "ze", "po", "gri", "fen", "dup", "wo"]
_rng = random.Random(1234)
WORDS = sorted({"".join(_rng.choice(SYLLABLES) for _ in range(_rng.randint(1, 3))) for _ in range(60)}) + [
    "The", "cat", "cats", "are", "is", "dog", "dogs"]


def training_sentences() -> list[str]:
    rng = random.Random(5)
    sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) + rng.choice([".", "!", ""])
                 for _ in range(400)]
    sentences += [f"The cats are {rng.choice(WORDS)}." for _ in range(40)]  # merges such as "s are" across a space
    sentences += [f"The cat is {rng.choice(WORDS)}." for _ in range(20)]
    return sentences


def train_tokenizer(bos_by_template: bool):
    """Byte-level BPE without the word-splitting regex, so merges may span a space.
    bos_by_template: the tokenizer itself adds <bos> (as Gemma's does); else the scorer must."""
    tok = tokenizers.Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=420, special_tokens=["<pad>", "<bos>", "<eos>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(training_sentences(), trainer)
    if bos_by_template:
        tok.post_processor = processors.TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", 1)])
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>",
                                                pad_token="<pad>")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny matrices: one thread is many times faster than two fighting over a shared machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(bos_by_template=False)


@pytest.fixture(scope="module")
def model(tokenizer):
    torch.manual_seed(0)
    config = transformers.Gemma3TextConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=4, num_attention_heads=2,
        num_key_value_heads=1, head_dim=32, sliding_window=WINDOW,
        layer_types=["sliding_attention", "sliding_attention", "sliding_attention", "full_attention"],
        max_position_embeddings=512)
    return transformers.Gemma3ForCausalLM(config).eval().to(torch.float32)


@pytest.fixture(scope="module")
def bos(tokenizer):
    return tokenizer.bos_token_id


@pytest.fixture(scope="module")
def scorer(model, tokenizer, bos):
    """One scorer for the whole module: its shared-prefix memo carries over between tests."""
    return PrefixScorer(model, tokenizer, CPU, bos, batch_size=16, chunk=CHUNK)


def naive(model, tokenizer, bos, requests):
    return naive_scores(model, tokenizer, CPU, bos, requests)


def assert_scores_close(got: list[Score], expected: list[Score]) -> None:
    assert len(got) == len(expected)
    for index, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert g.tokens == e.tokens, f"request {index}: {g.tokens} tokens scored, reference {e.tokens}"
        assert math.isclose(g.logprob, e.logprob, rel_tol=1e-4, abs_tol=1e-5), f"request {index}: {g} vs {e}"


def long_text(words: int, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words))


# --- the tokenizer really exercises the boundary cases ----------------------------------


def test_tokenizer_merges_across_spaces_and_gives_offsets(tokenizer):
    spanning = [t for t in tokenizer.get_vocab() if "Ġ" in t.strip("Ġ")]
    assert spanning, "no merge spans a space: the boundary tests would prove nothing"
    enc = tokenizer("The cats are", return_offsets_mapping=True, add_special_tokens=True)
    assert len(enc["offset_mapping"]) == len(enc["input_ids"])
    assert enc["offset_mapping"][-1][1] == len("The cats are")


def test_merge_at_boundary_is_scored_as_continuation(model, tokenizer, bos, scorer):
    request = ScoreRequest("The cat", "s are")
    e = encode(tokenizer, request, bos)
    text = request.context + request.continuation
    full = tokenizer(text, return_offsets_mapping=True)
    cut = len(request.context)
    crossing = [i for i, (start, end) in enumerate(full["offset_mapping"]) if start < cut < end]
    assert crossing, f"'The cat' + 's are' should merge across the boundary: {full}"
    assert e.ids == (bos, *full["input_ids"])  # the full-text tokenization, with the start token added
    assert e.boundary == crossing[0] + 1  # the merged token is the first scored one
    assert all(end <= cut for end in e.ends[: e.boundary])
    assert e.ends[e.boundary] > cut
    got = scorer.score([request])
    assert_scores_close(got, naive(model, tokenizer, bos, [request]))
    assert got[0].tokens == len(e.ids) - e.boundary


@pytest.mark.parametrize("context,continuation", [
    ("The cat", "s are"), ("The cat", " is"), ("The cats", " are"), ("The", " cats are"), ("", "The cat"),
    ("ka lo", "mi"), ("The cat is", "."), ("x", " "),
])
def test_encode_boundary_invariants(tokenizer, bos, context, continuation):
    e = encode(tokenizer, ScoreRequest(context, continuation), bos)
    text = context + continuation
    assert e.ids[0] == bos and e.ids.count(bos) == 1
    assert 1 <= e.boundary < len(e.ids)
    assert e.ends[-1] == len(text)
    assert all(end <= len(context) for end in e.ends[: e.boundary])  # context tokens lie within the context
    assert e.ends[e.boundary] > len(context)  # the first scored token reaches past it
    assert e.context == e.ids[: e.boundary]
    assert tokenizer.decode(e.ids[1:]) == text


def test_encode_does_not_repeat_a_start_token_the_tokenizer_adds():
    templated = train_tokenizer(bos_by_template=True)
    bos_id = templated.bos_token_id
    e = encode(templated, ScoreRequest("The cat", " is"), bos_id)
    plain = encode(train_tokenizer(bos_by_template=False), ScoreRequest("The cat", " is"), bos_id)
    assert e.ids[0] == bos_id and e.ids.count(bos_id) == 1
    assert e.ids == plain.ids and e.boundary == plain.boundary


def test_empty_context_is_scored_after_the_start_token(model, tokenizer, bos, scorer):
    e = encode(tokenizer, ScoreRequest("", "The cat"), bos)
    assert e.boundary == 1 and e.context == (bos,)
    requests = [ScoreRequest("", "The cat"), ScoreRequest("", "ka lo mi")]
    assert_scores_close(scorer.score(requests), naive(model, tokenizer, bos, requests))


def test_empty_context_without_start_token_raises(tokenizer):
    with pytest.raises(KgsynthError, match="no start token"):
        encode(tokenizer, ScoreRequest("", "The cat"), None)


def test_empty_continuation_raises(tokenizer, bos, scorer):
    with pytest.raises(KgsynthError, match="empty continuation"):
        encode(tokenizer, ScoreRequest("The cat", ""), bos)
    with pytest.raises(KgsynthError, match="empty continuation"):
        scorer.score([ScoreRequest("The cat", " is"), ScoreRequest("The cat", "")])


def test_tokens_within_and_common_prefix():
    from kgsynth.models.scoring import Encoded

    e = Encoded(ids=(1, 10, 11, 12), boundary=2, ends=(0, 3, 7, 9))
    assert [e.tokens_within(c) for c in (0, 2, 3, 6, 7, 8, 9, 100)] == [1, 1, 2, 2, 3, 3, 4, 4]
    assert common_prefix([(1, 2, 3), (1, 2, 4), (1, 2)]) == 2
    assert common_prefix([(1, 2, 3), (1, 2, 3)]) == 3
    assert common_prefix([(1, 2), (3,)]) == 0


# --- prefix scores equal naive scores ---------------------------------------------------

word = st.sampled_from(WORDS)
phrase = st.lists(word, min_size=1, max_size=10).map(" ".join)
long_phrase = st.lists(word, min_size=24, max_size=60).map(" ".join)  # past the window and several chunks
continuation = st.one_of(
    phrase.map(lambda p: " " + p),  # a new word
    phrase,  # glued to the context's last word: merges
    st.sampled_from(["s are", "s", "s are dogs.", ".", " ", "!"]),
    st.text(alphabet="aeiklmnorstvzT .!", min_size=1, max_size=14),
)


@st.composite
def request_sets(draw):
    """(shared prefix or "", requests): some contexts repeated, some distinct, maybe empty."""
    prefix = draw(st.one_of(st.just(""), phrase, long_phrase))
    separator = draw(st.sampled_from(["", " ", "\n\n"])) if prefix else ""
    tails = draw(st.lists(st.one_of(st.just(""), phrase, long_phrase), min_size=1, max_size=3))
    requests = []
    for tail in tails:
        context = prefix + separator + tail
        for cont in draw(st.lists(continuation, min_size=1, max_size=5)):
            requests.append(ScoreRequest(context, cont))
    order = draw(st.permutations(range(len(requests))))
    return prefix, [requests[i] for i in order]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=request_sets(), use_prefix=st.booleans())
def test_prefix_scores_equal_naive_scores(model, tokenizer, bos, scorer, case, use_prefix):
    prefix, requests = case
    shared = prefix if (use_prefix and prefix) else None
    got = scorer.score(requests, shared_prefix=shared)
    assert_scores_close(got, naive(model, tokenizer, bos, requests))


def test_long_contexts_cross_window_and_chunks(model, tokenizer, bos, scorer):
    corpus = long_text(80, seed=1)
    requests = [ScoreRequest(corpus + " The cat", "s are"), ScoreRequest(corpus + " The cat", " is " + long_text(20, 2)),
                ScoreRequest(corpus + " ka", " lo mi"), ScoreRequest(long_text(50, 3), " The dogs are")]
    context_tokens = [encode(tokenizer, r, bos).boundary for r in requests]
    assert min(context_tokens) > 3 * CHUNK > WINDOW
    assert encode(tokenizer, requests[1], bos).ids.__len__() - context_tokens[1] > WINDOW  # a long continuation too
    expected = naive(model, tokenizer, bos, requests)
    assert_scores_close(scorer.score(requests), expected)
    assert_scores_close(scorer.score(requests, shared_prefix=corpus), expected)
    one_chunk = PrefixScorer(model, tokenizer, CPU, bos, chunk=1024)
    assert_scores_close(one_chunk.score(requests, shared_prefix=corpus), expected)


def test_shared_prefix_memo_is_reused_by_a_second_call(model, tokenizer, bos):
    scorer = PrefixScorer(model, tokenizer, CPU, bos, batch_size=4, chunk=CHUNK)
    corpus = long_text(60, seed=4) + "\n\n"
    first = [ScoreRequest(corpus + "The cat", c) for c in ("s are", " is", " is ka")]
    second = [ScoreRequest(corpus + "ka lo", c) for c in (" mi", "s")] + [ScoreRequest(corpus + "The dog", "s are")]
    starts: list[int] = []
    handle = model.register_forward_pre_hook(
        lambda _module, _args, kwargs: starts.append(int(kwargs["position_ids"].min())), with_kwargs=True)
    try:
        got_first = scorer.score(first, shared_prefix=corpus)
        memo = scorer.memo
        assert memo is not None and len(memo[0]) > CHUNK
        assert 0 in starts  # the prefix was run from the start
        starts.clear()
        got_second = scorer.score(second, shared_prefix=corpus)
        assert starts and 0 not in starts, "the second call ran the shared prefix again"
        assert scorer.memo is memo
        starts.clear()
        again = scorer.score(first, shared_prefix=corpus)  # the memo's cache was not changed by the calls
        assert 0 not in starts
    finally:
        handle.remove()
    assert_scores_close(got_first, naive(model, tokenizer, bos, first))
    assert_scores_close(got_second, naive(model, tokenizer, bos, second))
    assert_scores_close(again, got_first)
    # a different prefix replaces the memo, and scores stay exact
    other = long_text(30, seed=5) + " "
    requests = [ScoreRequest(other + "The cat", "s are")]
    assert_scores_close(scorer.score(requests, shared_prefix=other), naive(model, tokenizer, bos, requests))
    assert scorer.memo is not memo


def test_same_scores_twice(model, tokenizer, bos):
    scorer = PrefixScorer(model, tokenizer, CPU, bos, chunk=CHUNK)
    corpus = long_text(40, seed=6) + " "
    requests = [ScoreRequest(corpus + "The cat", c) for c in ("s are", " is", " dogs")] + [ScoreRequest("", "ka")]
    first = scorer.score(requests)
    assert scorer.score(requests) == first
    with_prefix = scorer.score(requests[:3], shared_prefix=corpus)
    assert scorer.score(requests[:3], shared_prefix=corpus) == with_prefix


def test_batch_sizes_1_and_16_agree(model, tokenizer, bos):
    corpus = long_text(30, seed=7) + " "
    conts = ["s are", " is", " ka lo mi ne ru ta so vi ze po", ".", "s", " The dogs are here", " wo", " gri fen dup"]
    requests = [ScoreRequest(corpus + "The cat", c) for c in conts] + [ScoreRequest(corpus + "ka", c) for c in conts]
    ones = PrefixScorer(model, tokenizer, CPU, bos, batch_size=1, chunk=CHUNK).score(requests, shared_prefix=corpus)
    sixteen = PrefixScorer(model, tokenizer, CPU, bos, batch_size=16, chunk=CHUNK).score(requests, shared_prefix=corpus)
    for a, b in zip(ones, sixteen, strict=True):
        assert a.tokens == b.tokens
        assert math.isclose(a.logprob, b.logprob, rel_tol=1e-5, abs_tol=1e-5), (a, b)
    assert_scores_close(ones, naive(model, tokenizer, bos, requests))


def test_progress_counts_every_request_and_order_is_kept(model, tokenizer, bos):
    scorer = PrefixScorer(model, tokenizer, CPU, bos, batch_size=3, chunk=CHUNK)
    requests = [ScoreRequest(ctx, c) for c in (" is", "s are", " ka", " lo", ".") for ctx in ("The cat", "ka lo", "")]
    seen: list[int] = []
    got = scorer.score(requests, progress=seen.append)
    assert sum(seen) == len(requests) and all(n > 0 for n in seen)
    assert_scores_close(got, naive(model, tokenizer, bos, requests))
    assert scorer.score([]) == []


def library_deprecations(caught) -> list[str]:
    return [f"{w.category.__name__}: {w.message}" for w in caught if issubclass(w.category, (DeprecationWarning, FutureWarning))]


def test_scoring_and_generation_warn_of_no_deprecated_api(model, tokenizer, bos):
    """Every forward pass passes its key/value cache as `cache`, the name transformers 5 reads
    (`past_key_values` warns on every call and goes away in 5.40)."""
    import warnings

    from kgsynth.models.local import LocalModel

    corpus = long_text(40, seed=8) + " "
    grouped = [ScoreRequest(corpus + long_text(150, seed=9), c) for c in (" is", "s are")]  # past FLAT_CONTEXT
    flat = [ScoreRequest(corpus + "The cat", c) for c in (" is", "s are")]
    local = LocalModel(model, tokenizer, "local:tiny", batch_size=2)
    local.scorer.chunk = CHUNK
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scores = local.score(flat, shared_prefix=corpus) + local.score(grouped, shared_prefix=corpus)
        (text,) = local.generate(["The cat"], max_tokens=4)
    assert library_deprecations(caught) == []
    assert_scores_close(scores, naive(model, tokenizer, bos, flat + grouped))
    assert isinstance(text, str)


def test_greedy_says_whether_every_continuation_token_is_the_most_likely_one(model, tokenizer, bos, scorer):
    """A continuation that is the model's most likely next token is greedy, the runner-up is
    not; the flat path, the cached path and the reference agree."""
    requests = []
    for seed in range(8):
        context = long_text(30 if seed % 2 else 4, seed) + "\n"  # no merge across a line break
        encoded = encode(tokenizer, ScoreRequest(context, " cats"), bos)
        ids = list(encoded.ids[: encoded.boundary])
        ranked = model(input_ids=torch.tensor([ids])).logits[0, -1].argsort(descending=True).tolist()
        for token in ranked[:2]:
            request = ScoreRequest(context, tokenizer.decode([token]))
            if request.continuation.strip() and list(encode(tokenizer, request, bos).ids)[len(ids):] == [token]:
                requests.append(request)
    expected = naive(model, tokenizer, bos, requests)
    flags = [s.greedy for s in expected]
    assert True in flags and False in flags, flags
    assert [s.greedy for s in scorer.score(requests)] == flags
    assert [s.greedy for s in scorer.score(requests, shared_prefix=requests[0].context)] == flags
