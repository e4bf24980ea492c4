"""kgsynth.experiments.cost: a resumed run's estimate counts only what it will still send
(the report: a resumed Gemini run's estimate counted every request), with fake models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_model import make_fake_model
from helpers import write_synth

from kgsynth.experiments.augment import AugmentConfig, Augmenter, load_records
from kgsynth.experiments.cost import OUTPUT_TOKENS, Estimate, augment_estimate, eval_estimate
from kgsynth.experiments.evaluate import RESULTS, EvalConfig, Evaluator, corpus_prefix, select_items


def paid_model(fail_at: int | None = None, cache_minimum: int | None = None):
    """A fake paid model (tokens = words) whose generate raises KeyboardInterrupt at prompt
    number `fail_at` (an interrupted run); records every prompt it answers in .prompts."""
    count = [0]

    def completion(prompt: str) -> str:
        count[0] += 1
        if fail_at is not None and count[0] >= fail_at:
            raise KeyboardInterrupt
        return " No wibbles are wobbles."

    model = make_fake_model(completion=completion)
    model.paid = True
    model.context_cache_minimum = cache_minimum
    return model


@pytest.fixture(scope="module")
def data(synthesized, tmp_path_factory) -> Path:
    return write_synth(synthesized("syllogisms"), tmp_path_factory.mktemp("cost") / "syl")


@pytest.fixture(scope="module")
def ten(data):
    return select_items(data, [], 10)


@pytest.mark.parametrize("scoring", ["generate", "choice"])
@pytest.mark.parametrize("regime", ["baseline", "icl"])
def test_ten_items_four_done_estimate_six_requests(data, ten, scoring, regime):
    prefix = corpus_prefix(data, regime, None, 0)
    model = paid_model(cache_minimum=1)
    done = {item.id for item in ten[:4]}
    resumed = eval_estimate(model, ten, [prefix] * 10, scoring, done=done)
    whole = eval_estimate(model, ten, [prefix] * 10, scoring)
    rest = eval_estimate(model, ten[4:], [prefix] * 6, scoring)
    assert len(ten) == 10 and whole.requests == 10
    assert resumed.requests == 6 and resumed.output_tokens == 6 * OUTPUT_TOKENS[scoring]
    assert resumed == rest  # as if only the remaining six had been asked for
    assert resumed.prompt_tokens < whole.prompt_tokens


def test_a_run_with_everything_done_sends_nothing(data, ten):
    prefix = corpus_prefix(data, "icl", None, 0)
    prefixes = [prefix] * len(ten)
    assert eval_estimate(paid_model(), ten, prefixes, "generate", done={i.id for i in ten}) == Estimate()
    assert eval_estimate(paid_model(), ten, prefixes, "choice", done=[i.id for i in ten]).requests == 0


def test_a_resumed_evaluation_sends_what_its_estimate_said(data, tmp_path):
    """The done set the estimate takes is what a resumed Evaluator skips: the ids in results.jsonl."""
    config = EvalConfig(data=str(data), regime="icl", model="fake", scoring="generate", limit=10)
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        Evaluator(paid_model(fail_at=9), config, run).evaluate()  # the first batch of 8 is written
    evaluator = Evaluator(paid_model(), config, run)
    done = {json.loads(line)["id"] for line in (run / RESULTS).read_text().splitlines()}
    estimate = eval_estimate(evaluator.model, *evaluator.plan, config.scoring, done=done)
    assert len(done) == 8 and estimate.requests == 2
    evaluator.evaluate()
    assert len(evaluator.model.prompts) == estimate.requests


@pytest.mark.parametrize("strategy", ["local", "global"])
def test_augmentation_estimates_only_the_sources_not_done(data, tmp_path, strategy):
    config = AugmentConfig(data=str(data), strategy=strategy, model="fake", limit=10, samples=2, temperature=0.5)
    augmenter = Augmenter(paid_model(), config, tmp_path / "run")
    done = {source.id for source in augmenter.sources[:4]}
    whole, resumed = augment_estimate(augmenter.model, augmenter), augment_estimate(augmenter.model, augmenter, done)
    assert len(augmenter.sources) == 10 and whole.requests == 20
    assert resumed.requests == 12 and resumed.output_tokens == 12 * config.max_tokens
    everything = {source.id for source in augmenter.sources}
    assert augment_estimate(augmenter.model, augmenter, done=everything) == Estimate()


def test_a_resumed_augmentation_sends_what_its_estimate_said(data, tmp_path):
    config = AugmentConfig(data=str(data), strategy="local", model="fake", limit=10)
    with pytest.raises(KeyboardInterrupt):
        Augmenter(paid_model(fail_at=5), config, tmp_path / "run").augment()  # one source per call: 4 done
    augmenter = Augmenter(paid_model(), config, tmp_path / "run")
    run = augmenter.rundir()
    done = set(load_records(run)[1]) if run.check() else set()
    estimate = augment_estimate(augmenter.model, augmenter, done=done)
    assert len(done) == 4 and estimate.requests == 6
    augmenter.augment()
    assert len(augmenter.model.prompts) == estimate.requests
