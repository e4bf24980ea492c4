"""kgsynth.models.gemini against a fake Gemini server on 127.0.0.1 (tests/fake_gemini.py),
through the real google-genai client: credentials, context caching and its fallbacks,
choice and oracle-judged scoring, JSON augmentation, batch jobs, tuning jobs, retries,
the response cache (a rerun sends nothing twice) and the key kept out of every file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("google.genai")

from fake_gemini import FakeGemini, bad_request, malformed, planted_environment, prompt_text, rate_limited, server_error  # noqa: E402
from helpers import write_synth  # noqa: E402

from kgsynth.data.dataset import load_dataset  # noqa: E402
from kgsynth.errors import KgsynthError  # noqa: E402
from kgsynth.experiments.audit import answer_verdicts  # noqa: E402
from kgsynth.experiments.augment import AugmentConfig, Augmenter  # noqa: E402
from kgsynth.experiments.evaluate import EvalConfig, Evaluator, select_items  # noqa: E402
from kgsynth.models import load_model  # noqa: E402
from kgsynth.models.base import LETTERS  # noqa: E402
from kgsynth.models.gemini import GeminiModel  # noqa: E402
from kgsynth.tasks.records import Item  # noqa: E402

KEY = "PLANTED-test-key-3f9a1c"
MODEL = "gemini-2.5-flash"


@pytest.fixture(scope="module")
def data(synthesized, tmp_path_factory) -> Path:
    return write_synth(synthesized("simple_reversals"), tmp_path_factory.mktemp("gemini") / "data")


@pytest.fixture(scope="module")
def items(data) -> dict[str, Item]:
    return {i.id: i for i in select_items(data, [], None)}


@pytest.fixture
def env(monkeypatch, tmp_path):
    return planted_environment(monkeypatch, tmp_path, KEY)


def open_model(fake: FakeGemini, **options) -> GeminiModel:
    options = {"poll_s": 0.01, "attempts": 3, **options}
    model = load_model(f"gemini:{MODEL}", base_url=fake.url, **options)
    model.policy.sleep = lambda seconds: None  # backoff is tested on its own; here it only slows the run
    return model


def item_of(body: dict, items: dict[str, Item]) -> Item:
    """The test item a request asks about: its prompt is in the request, and so are its
    lettered options where they were shown (items may share a prompt)."""
    text = prompt_text(body)
    asked = [i for i in items.values() if i.prompt.strip() in text]
    shown = [i for i in asked if all(f"{LETTERS[k]}. {i.prompt.strip()} {o.strip()}" in text
                                     for k, o in enumerate(i.options))]
    return max(shown or asked, key=lambda i: len(i.prompt))


def knowing(items: dict[str, Item], right: bool = True):
    """A fake model that knows (or gets wrong) every answer: the right letter, or the
    right option as a continuation."""

    def answer(body: dict) -> str:
        item = item_of(body, items)
        index = item.answer if right else (item.answer + 1) % len(item.options)
        if body.get("generationConfig", {}).get("responseMimeType") == "text/x.enum":
            return LETTERS[index]
        return item.options[index]

    return answer


def evaluate(model, data: Path, run: Path, scoring: str, regime: str = "baseline", limit: int = 4) -> dict:
    config = EvalConfig(data=str(data), regime=regime, model=model.name, scoring=scoring, limit=limit)
    verdict = answer_verdicts(load_dataset(data)) if scoring == "generate" else None
    return Evaluator(model, config, run, verdict).evaluate()


# -- credentials ------------------------------------------------------------------------


def test_a_missing_key_is_an_error_before_any_request(env, monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY")
    with FakeGemini() as fake:
        with pytest.raises(KgsynthError, match="GEMINI_API_KEY"):
            load_model(f"gemini:{MODEL}", base_url=fake.url)
        assert fake.requests == []


@pytest.mark.parametrize("variable", ["GOOGLE_GENAI_USE_ENTERPRISE", "GOOGLE_GENAI_USE_VERTEXAI"])
def test_enterprise_without_a_project_is_an_error(env, monkeypatch, variable):
    """google-genai 3 calls Vertex AI Gemini Enterprise; the older variable still selects it."""
    monkeypatch.setenv(variable, "true")
    with pytest.raises(KgsynthError, match="Gemini Enterprise .*GOOGLE_CLOUD_PROJECT"):
        load_model(f"gemini:{MODEL}")


def test_the_enterprise_variable_wins_over_the_vertex_one_as_in_the_sdk(env, monkeypatch):
    monkeypatch.setenv("GOOGLE_GENAI_USE_ENTERPRISE", "false")
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "proj")
    with FakeGemini() as fake:
        model = open_model(fake)
        assert model.generate(["glon is"]) == ["glorp."]
        assert not model.vertex
        assert all("/v1beta/models/" in path for _, path, _ in fake.requests), fake.requests


def test_the_model_window_comes_from_the_api(env):
    with FakeGemini(input_token_limit=123_456) as fake:
        assert open_model(fake).max_context == 123_456


def test_likelihood_scoring_is_refused_with_the_alternatives(env, data, tmp_path):
    with FakeGemini() as fake:
        with pytest.raises(KgsynthError, match="--scoring generate or --scoring choice"):
            evaluate(open_model(fake), data, tmp_path / "run", "likelihood")
        assert not (tmp_path / "run").exists()


# -- scoring ----------------------------------------------------------------------------


def test_choice_scoring_constrains_the_answer_to_letters(env, data, items, tmp_path):
    with FakeGemini(answer=knowing(items)) as fake:
        metrics = evaluate(open_model(fake), data, tmp_path / "run", "choice")
        bodies = fake.generate_requests()
    assert metrics["all"]["accuracy"] == 1.0 and metrics["all"]["n"] == len(bodies)
    for body in bodies:
        config = body["generationConfig"]
        options = len(item_of(body, items).options)
        assert config["responseMimeType"] == "text/x.enum"
        assert config["responseSchema"]["enum"] == list(LETTERS[:options])
        assert config["responseLogprobs"] is True
    results = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert all(r["letter_logprobs"][LETTERS[r["answer"]]] == -0.1 for r in results)


def test_choice_without_logprobs_records_none(env, data, items, tmp_path):
    with FakeGemini(answer=knowing(items, right=False)) as fake:
        fake.logprobs = False
        metrics = evaluate(open_model(fake), data, tmp_path / "run", "choice")
    results = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert metrics["all"]["accuracy"] == 0.0
    assert all(r["letter_logprobs"] is None for r in results)


def test_generated_answers_are_judged_by_the_oracle(env, data, items, tmp_path, monkeypatch):
    metrics = {}
    for name, answer in (("right", knowing(items)), ("wrong", knowing(items, right=False)),
                         ("garbage", lambda body: "blorf zzyzx quux")):
        monkeypatch.setenv("KGSYNTH_CACHE", str(tmp_path / f"cache-{name}"))  # the same requests, other answers
        with FakeGemini(answer=answer) as fake:
            metrics[name] = evaluate(open_model(fake), data, tmp_path / name, "generate")
    right, wrong, garbage = metrics["right"], metrics["wrong"], metrics["garbage"]
    assert right["all"]["rate_entailed"] == 1.0
    assert wrong["all"]["rate_entailed"] == 0.0
    assert wrong["all"]["rate_contradicted"] + wrong["all"]["rate_unknown"] == 1.0
    assert garbage["all"]["rate_unparseable"] == 1.0


@pytest.mark.parametrize("finish, text, problem", [("MAX_TOKENS", "fo", "finish:MAX_TOKENS"),
                                                    ("SAFETY", "", "finish:SAFETY"), ("STOP", "", "empty")])
def test_odd_finishes_are_recorded_per_item(env, data, tmp_path, finish, text, problem):
    with FakeGemini(answer=lambda body: text, finish_reason=finish) as fake:
        metrics = evaluate(open_model(fake), data, tmp_path / "run", "generate", limit=2)
    results = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert {r["problem"] for r in results} == {problem}
    assert metrics["all"]["rate_problem"] == 1.0 and metrics["all"]["accuracy"] == 0.0


# -- context caching --------------------------------------------------------------------


def test_the_corpus_goes_into_one_context_cache(env, data, items, tmp_path):
    with FakeGemini(answer=knowing(items)) as fake:
        metrics = evaluate(open_model(fake, cache_min_tokens=100), data, tmp_path / "run", "choice", regime="icl")
        created = [b for m, p, b in fake.requests if p.endswith("/cachedContents") and m == "POST"]
        bodies = fake.generate_requests()
        corpus_words = fake.caches[bodies[0]["cachedContent"]]["usageMetadata"]["totalTokenCount"]
    assert len(created) == 1 and corpus_words > 100
    assert all(b["cachedContent"] == bodies[0]["cachedContent"] for b in bodies)
    assert all(len(prompt_text(b).split()) < 200 for b in bodies)  # the question only, not the corpus
    usage = metrics["all"]["usage"]
    assert usage["cached"] == corpus_words * len(bodies) and usage["prompt"] > usage["cached"]
    assert metrics["all"]["accuracy"] == 1.0


def test_a_corpus_under_the_cache_minimum_goes_inline(env, data, items, tmp_path):
    with FakeGemini(answer=knowing(items)) as fake:
        evaluate(open_model(fake, cache_min_tokens=10**9), data, tmp_path / "run", "choice", regime="icl")
        assert not any("cachedContents" in p for _, p, _ in fake.requests)
        bodies = fake.generate_requests()
    documents = (data / "documents.jsonl").read_text().splitlines()
    first = json.loads(documents[0])["text"]
    assert all("cachedContent" not in b and first in prompt_text(b) for b in bodies)


def test_a_refused_context_cache_falls_back_to_inline(env, data, items, tmp_path):
    with FakeGemini(answer=knowing(items)) as fake:
        fake.fail("cachedContents", bad_request("Cached content is too small."))
        metrics = evaluate(open_model(fake, cache_min_tokens=100), data, tmp_path / "run", "choice", regime="icl")
        bodies = fake.generate_requests()
    assert metrics["all"]["accuracy"] == 1.0
    assert all("cachedContent" not in b for b in bodies)


# -- robustness -------------------------------------------------------------------------


def test_429_is_retried_after_the_servers_delay_and_500_too(env, data, tmp_path):
    with FakeGemini() as fake:
        fake.fail(":generateContent", rate_limited("7s"), server_error())
        model = open_model(fake)
        waits = []
        model.policy.sleep = waits.append
        assert model.generate(["glon is"]) == ["glorp."]
        assert len(fake.generate_requests()) == 3
    assert waits[0] >= 7.0 and len(waits) == 2


def test_400_is_never_retried_and_the_error_is_one_clear_line(env, tmp_path):
    with FakeGemini() as fake:
        fake.fail(":generateContent", bad_request(f"API key {KEY} is not valid for this"))
        model = open_model(fake)
        with pytest.raises(KgsynthError) as error:
            model.generate(["glon is"])
        assert len(fake.generate_requests()) == 1
    message = str(error.value)
    assert "HTTP 400" in message and KEY not in message and "\n" not in message


def test_a_malformed_body_is_retried(env):
    with FakeGemini() as fake:
        fake.fail(":generateContent", malformed())
        assert open_model(fake).generate(["glon is"]) == ["glorp."]
        assert len(fake.generate_requests()) == 2


def test_persistent_server_errors_stop_the_run_and_a_rerun_sends_only_the_rest(env, data, tmp_path):
    with FakeGemini() as fake:
        def answer(body: dict) -> str:
            if len(fake.answered) == 1:  # after two answers, the service goes down
                fake.fail(":generateContent", *[server_error()] * 10)
            return "A"

        fake.answer = answer
        with pytest.raises(KgsynthError, match="still failing after 2 attempts.*rerun later"):
            evaluate(open_model(fake, attempts=2), data, tmp_path / "run", "choice", limit=3)
        fake.faults.clear()
        fake.answer = lambda body: "A"
        metrics = evaluate(open_model(fake, attempts=2), data, tmp_path / "run", "choice", limit=3)
        answered = [body for _, body in fake.answered]
    assert len(answered) == len(set(answered)) == metrics["all"]["n"]


def test_responses_are_cached_so_a_rerun_sends_nothing(env, data, items, tmp_path):
    with FakeGemini(answer=knowing(items)) as fake:
        first = evaluate(open_model(fake), data, tmp_path / "one", "choice")
        sent = len(fake.generate_requests())
        second = evaluate(open_model(fake), data, tmp_path / "two", "choice")
        assert len(fake.generate_requests()) == sent > 0
    assert first == second


# -- augmentation -----------------------------------------------------------------------


def augment(model, data: Path, run: Path, strategy: str = "local", limit: int = 3) -> dict:
    config = AugmentConfig(data=str(data), strategy=strategy, model=model.name, limit=limit)
    return Augmenter(model, config, run).augment()


def test_augmentation_asks_for_a_json_list_and_audits_it(env, data, tmp_path):
    def answer(body: dict) -> str:
        sentence = prompt_text(body).split("Sentence: ")[-1].split("\n")[0]
        return json.dumps([sentence, "blorf zzyzx quux."])

    with FakeGemini(answer=answer) as fake:
        result = augment(open_model(fake), data, tmp_path / "run")
        bodies = fake.generate_requests()
    assert len(bodies) == 3
    assert all(b["generationConfig"]["responseMimeType"] == "application/json" for b in bodies)
    assert result["total"] == 6
    assert result["entailed"] == 3 and result["unparseable"] == 3


def test_malformed_json_is_recorded_not_a_crash(env, data, tmp_path):
    with FakeGemini(answer=lambda body: '["unterminated') as fake:
        result = augment(open_model(fake), data, tmp_path / "run")
    assert result["total"] == 0 and result["problems"] == {"malformed_json": 3}


def test_global_augmentation_caches_the_corpus(env, data, tmp_path):
    with FakeGemini() as fake:
        augment(open_model(fake, cache_min_tokens=100), data, tmp_path / "run", strategy="global")
        bodies = fake.generate_requests()
        created = [p for m, p, _ in fake.requests if p.endswith("/cachedContents") and m == "POST"]
    assert len(created) == 1 and all("cachedContent" in b for b in bodies)


# -- batch mode -------------------------------------------------------------------------


def test_batch_mode_sends_one_job_and_a_rerun_polls_it_again(env, data, items, tmp_path):
    with FakeGemini(answer=knowing(items)) as fake:
        fake.polls_until_done = 3
        model = open_model(fake, batch=True)
        polls = []

        def killed_while_waiting(seconds):
            polls.append(seconds)
            raise KeyboardInterrupt  # the run is stopped while the job runs

        import kgsynth.models.gemini as gemini

        original = gemini.time.sleep
        gemini.time.sleep = killed_while_waiting
        try:
            with pytest.raises(KeyboardInterrupt):
                evaluate(model, data, tmp_path / "run", "choice")
        finally:
            gemini.time.sleep = original
        metrics = evaluate(open_model(fake, batch=True), data, tmp_path / "run", "choice")
        created = [p for m, p, _ in fake.requests if p.endswith(":batchGenerateContent")]
        assert fake.generate_requests() == []
    assert len(created) == 1 and polls
    assert metrics["all"]["accuracy"] == 1.0
    assert metrics["all"]["n"] == sum(min(4, n) for n in count_by_split(items).values())


def count_by_split(items: dict[str, Item]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items.values():
        counts[item.split] = counts.get(item.split, 0) + 1
    return counts


# -- tuning -----------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["GOOGLE_GENAI_USE_ENTERPRISE", "GOOGLE_GENAI_USE_VERTEXAI"])
def test_tuning_data_job_and_tuned_endpoint(env, data, monkeypatch, tmp_path, variable):
    from google.oauth2.credentials import Credentials

    from kgsynth.experiments.tuning import finetune_gemini

    monkeypatch.setenv(variable, "true")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "proj")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "us-central1")
    with FakeGemini() as fake:
        options = {"base_url": fake.url, "poll_s": 0.01, "credentials": Credentials(token="test-token")}
        model = load_model(f"gemini:{MODEL}", **options)
        out = tmp_path / "tuning"
        assert finetune_gemini(model, data, out, "independent", [], None, say=lambda text: None) is None
        spec = finetune_gemini(model, data, out, "independent", [], "gs://bucket/t.jsonl", epochs=2,
                               say=lambda text: None)
        again = finetune_gemini(model, data, out, "independent", [], "gs://bucket/t.jsonl", epochs=2,
                                say=lambda text: None)
        with pytest.raises(KgsynthError, match="epochs 3 here, 2 there"):
            finetune_gemini(model, data, out, "independent", [], "gs://bucket/t.jsonl", epochs=3, say=lambda text: None)
        jobs = [b for m, p, b in fake.requests if p.endswith("/tuningJobs") and m == "POST"]
        tuned = load_model(spec, **options)
        assert tuned.generate(["glon is"]) == ["glorp."]
        assert fake.requests[-1][1].endswith("/endpoints/e1:generateContent")
    assert spec == again == "gemini:projects/proj/locations/us-central1/endpoints/e1"
    assert len(jobs) == 1
    assert jobs[0]["supervisedTuningSpec"]["trainingDatasetUri"] == "gs://bucket/t.jsonl"
    assert jobs[0]["supervisedTuningSpec"]["hyperParameters"]["epochCount"] == 2
    examples = [json.loads(line) for line in (out / "tuning.jsonl").read_text().splitlines()]
    train = [json.loads(line) for line in (data / "train.jsonl").read_text().splitlines()]
    assert len(examples) == sum(r["shape"] == "independent" for r in train)
    assert all([c["role"] for c in e["contents"]] == ["user", "model"] for e in examples)


def test_tuning_needs_vertex_and_a_gs_address(env, data, tmp_path):
    from kgsynth.experiments.rundir import RunDir
    from kgsynth.experiments.tuning import tune

    with FakeGemini() as fake:
        model = open_model(fake)
        with pytest.raises(KgsynthError, match="gs://"):
            tune(model, "/local/file.jsonl", RunDir(tmp_path, "tuning"))
        with pytest.raises(KgsynthError, match="Vertex AI"):
            tune(model, "gs://bucket/t.jsonl", RunDir(tmp_path, "tuning"))


# -- estimates and the study ------------------------------------------------------------


@pytest.mark.parametrize("cache_min", [100, 10**9])
def test_the_token_estimate_is_close_to_what_the_run_sends(env, data, items, tmp_path, cache_min):
    with FakeGemini(answer=knowing(items)) as fake:
        model = open_model(fake, cache_min_tokens=cache_min)
        config = EvalConfig(data=str(data), regime="icl", model=model.name, scoring="choice", limit=4)
        evaluator = Evaluator(model, config, tmp_path / "run")
        estimate = evaluator.estimate()
        assert fake.generate_requests() == []  # estimating sends no generation
        usage = evaluator.evaluate()["all"]["usage"]
    assert estimate.requests == len(fake.generate_requests())
    assert estimate.cached_tokens == usage["cached"]
    assert 0.8 <= estimate.prompt_tokens / usage["prompt"] <= 1.25
    assert estimate.output_tokens >= usage["output"]


def test_a_study_on_gemini_evaluates_augments_and_skips_tuning_without_gcs(env, tmp_path):
    from kgsynth.experiments.study import Study, StudyConfig

    root = Path(__file__).resolve().parent.parent
    with FakeGemini() as fake:
        config = StudyConfig(ontology=str(root / "ontologies" / "syllogisms.ttl"), out=str(tmp_path / "study"),
                             model=f"gemini:{MODEL}", quick=True, scoring="choice",
                             regimes=["baseline", "icl", "aug-ft-local"],
                             model_options={"base_url": fake.url, "poll_s": 0.01})
        asked, said = [], []
        report = Study(config, say=said.append, confirm=lambda model, estimate: asked.append(estimate)).run()
        sent = len(fake.generate_requests())
    assert len(asked) == 1 and asked[0].requests == sent
    assert (tmp_path / "study" / "eval-baseline" / "metrics.json").is_file()
    assert (tmp_path / "study" / "eval-icl" / "metrics.json").is_file()
    assert (tmp_path / "study" / "augment-local" / "audit.json").is_file()
    assert (tmp_path / "study" / "tuning-aug-ft-local" / "tuning.jsonl").is_file()
    assert not (tmp_path / "study" / "eval-aug-ft-local").exists()
    assert any("aug-ft-local: skipped" in line for line in said)
    assert "| baseline | icl |" in report.read_text().replace("  ", " ")
