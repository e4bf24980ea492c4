"""The Gemini context cache is never trusted blindly, and a malformed API key is no transient
fault. Against the fake server (tests/fake_gemini.py) through the real google-genai client.

Regression tests for "Reliability and security": after the server lost a cache (a restart,
an expiry, a deletion) a rerun kept naming it, so items were answered without the corpus
and counted as in-context learning, or every request failed with 404 until the recorded
expiry; and a key holding a newline was retried six times as if the network had failed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

pytest.importorskip("google.genai")

from fake_gemini import FakeGemini, planted_environment, prompt_text, words  # noqa: E402
from helpers import write_synth  # noqa: E402

from kgsynth.errors import KgsynthError  # noqa: E402
from kgsynth.experiments.evaluate import EvalConfig, Evaluator, select_items  # noqa: E402
from kgsynth.models import load_model  # noqa: E402
from kgsynth.models.base import LETTERS  # noqa: E402
from kgsynth.models.gemini import GeminiModel  # noqa: E402
from kgsynth.tasks.records import Item  # noqa: E402

KEY = "PLANTED-test-key-7c21e0"
MODEL = "gemini-2.5-flash"
WAYS_TO_LOSE = ["404", "403", "ignore"]  # NOT_FOUND; the Gemini API's 403; answered without the corpus


@pytest.fixture(scope="module")
def data(synthesized, tmp_path_factory) -> Path:
    return write_synth(synthesized("simple_reversals"), tmp_path_factory.mktemp("gemini-cache") / "data")


@pytest.fixture(scope="module")
def items(data) -> dict[str, Item]:
    return {i.id: i for i in select_items(data, [], None)}


@pytest.fixture
def env(monkeypatch, tmp_path):
    return planted_environment(monkeypatch, tmp_path, KEY)


def open_model(fake: FakeGemini, **options) -> GeminiModel:
    options = {"poll_s": 0.01, "attempts": 3, "cache_min_tokens": 100, **options}
    model = load_model(f"gemini:{MODEL}", base_url=fake.url, **options)
    model.policy.sleep = lambda seconds: None
    return model


def knowing(items: dict[str, Item]):
    """A fake model that knows every answer (the right letter)."""

    def answer(body: dict) -> str:
        text = prompt_text(body)
        asked = [i for i in items.values() if i.prompt.strip() in text]
        shown = [i for i in asked if all(f"{LETTERS[k]}. {i.prompt.strip()} {o.strip()}" in text
                                         for k, o in enumerate(i.options))]
        return LETTERS[max(shown or asked, key=lambda i: len(i.prompt)).answer]

    return answer


def icl(model, data: Path, run: Path, limit: int = 2) -> dict:
    config = EvalConfig(data=str(data), regime="icl", model=model.name, scoring="choice", limit=limit)
    return Evaluator(model, config, run, None).evaluate()


def results(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]


def corpus_tokens(fake: FakeGemini) -> int:
    """The corpus's size in the fake's tokens (words), from the cache it was given."""
    return words(prompt_text(fake.created_caches()[0]))


def assert_every_answer_saw_the_corpus(run: Path, corpus: int) -> None:
    found = results(run)
    assert found and all(r["usage"]["cached"] == corpus for r in found), [r["usage"] for r in found]
    assert all(r["usage"]["prompt"] > corpus for r in found)


# -- the cache lost between runs ----------------------------------------------------------


@pytest.mark.parametrize("how", WAYS_TO_LOSE)
def test_a_rerun_after_a_restart_makes_the_cache_again(env, data, items, tmp_path, how):
    with FakeGemini(answer=knowing(items)) as fake:
        icl(open_model(fake), data, tmp_path / "one")
        corpus = corpus_tokens(fake)
    with FakeGemini(answer=knowing(items)) as restarted:  # a new server: its caches are gone
        restarted.missing_cache = how
        metrics = icl(open_model(restarted), data, tmp_path / "two", limit=4)
        created = restarted.created_caches()
        names = {b["cachedContent"] for b in restarted.generate_requests()}
        live = set(restarted.caches)
    assert len(created) == 1 and names and names <= live
    assert_every_answer_saw_the_corpus(tmp_path / "two", corpus)
    assert metrics["all"]["accuracy"] == 1.0


def test_an_expired_cache_is_made_again(env, data, items, tmp_path):
    with FakeGemini(answer=knowing(items)) as fake:
        icl(open_model(fake), data, tmp_path / "one")
        corpus = corpus_tokens(fake)
        fake.clock = lambda: time.time() + 7200  # two hours on: the one-hour cache has expired
        icl(open_model(fake), data, tmp_path / "two", limit=4)
        assert len(fake.created_caches()) == 2
    assert_every_answer_saw_the_corpus(tmp_path / "two", corpus)


# -- the cache lost during a run ----------------------------------------------------------


@pytest.mark.parametrize("how", WAYS_TO_LOSE)
def test_a_cache_lost_mid_run_is_made_again_and_the_request_resent(env, data, items, tmp_path, how):
    with FakeGemini(answer=knowing(items)) as fake:
        fake.missing_cache = how
        fake.on_generate = lambda count: count == 3 and fake.forget_caches()  # evicted before the third request
        said: list[str] = []
        model = open_model(fake, say=said.append)
        metrics = icl(model, data, tmp_path / "run", limit=3)
        corpus = corpus_tokens(fake)
        assert len(fake.created_caches()) == 2
    assert_every_answer_saw_the_corpus(tmp_path / "run", corpus)
    assert metrics["all"]["accuracy"] == 1.0
    assert any("making the context cache again" in line for line in said)


def test_a_server_that_keeps_dropping_the_corpus_stops_the_run(env, data, items, tmp_path):
    with FakeGemini(answer=knowing(items)) as fake:
        fake.missing_cache = "ignore"
        fake.on_generate = lambda count: fake.forget_caches()  # every request finds its cache gone
        with pytest.raises(KgsynthError, match="corpus is still missing") as error:
            icl(open_model(fake), data, tmp_path / "run")
        assert len(fake.created_caches()) == 2  # made again once, then no more
    assert "\n" not in str(error.value)
    stored = [json.loads(p.read_text()) for p in (env / "cache" / "gemini").rglob("*.json")]
    assert not any("candidates" in d for d in stored)  # no answer without its corpus was kept


def test_answers_kept_without_their_corpus_are_asked_again(env, data, items, tmp_path):
    """Answers a run kept before the check (cached: 0, a prompt of the question only) are
    not reused: they are asked again, through a cache."""
    with FakeGemini(answer=knowing(items)) as fake:
        icl(open_model(fake), data, tmp_path / "one")
        corpus = corpus_tokens(fake)
        sent = len(fake.generate_requests())
        for path in (env / "cache" / "gemini").rglob("*.json"):
            kept = json.loads(path.read_text())
            if "candidates" in kept:
                kept["usage_metadata"] = {"prompt_token_count": 35, "candidates_token_count": 1, "total_token_count": 36}
                path.write_text(json.dumps(kept))
        icl(open_model(fake), data, tmp_path / "two")
        assert len(fake.generate_requests()) == 2 * sent
    assert_every_answer_saw_the_corpus(tmp_path / "two", corpus)


def test_a_batch_whose_cache_was_lost_is_answered_again_with_the_corpus(env, data, items, tmp_path):
    with FakeGemini() as fake:
        right, lost = knowing(items), []

        def answer(body: dict) -> str:
            if fake.batches and not lost:  # lost while the batch job ran: its first answer lacks the corpus,
                lost.append(body)  # the rest are refused
                fake.caches.clear()
            return right(body)

        fake.answer = answer
        said: list[str] = []
        metrics = icl(open_model(fake, batch=True, say=said.append), data, tmp_path / "run", limit=3)
        corpus = corpus_tokens(fake)
        assert len(fake.created_caches()) == 2 and fake.generate_requests()
    assert_every_answer_saw_the_corpus(tmp_path / "run", corpus)
    assert metrics["all"]["accuracy"] == 1.0
    assert any("without the in-context corpus" in line for line in said)


# -- a malformed key --------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["GEMINI_API_KEY", "GOOGLE_API_KEY"])
@pytest.mark.parametrize("key", [KEY + "\n", KEY[:8] + "\n" + KEY[8:], KEY + "\r", "clé-" + KEY, KEY + "\t"])
def test_a_key_with_a_newline_is_an_error_before_any_request(env, monkeypatch, variable, key):
    monkeypatch.delenv("GEMINI_API_KEY")
    monkeypatch.setenv(variable, key)
    with FakeGemini() as fake:
        with pytest.raises(KgsynthError) as error:
            load_model(f"gemini:{MODEL}", base_url=fake.url, attempts=6)
        assert fake.requests == []
    message = str(error.value)
    assert message.startswith(f"{variable} holds a newline or other character not allowed in an HTTP header")
    assert "\n" not in message and KEY not in message


def test_a_request_that_cannot_be_sent_is_not_retried(env):
    import httpx

    from kgsynth.models.gemini import transient

    assert transient(httpx.LocalProtocolError("Illegal header value")) is None
    with FakeGemini() as fake:
        model = open_model(fake)
        calls = []

        def unsendable():
            calls.append(1)
            raise httpx.LocalProtocolError("Illegal header value b'secret'")

        with pytest.raises(KgsynthError, match="could not be sent") as error:
            model.api("generating", unsendable)
    assert len(calls) == 1 and "secret" not in str(error.value)
