"""The inspect_ai tasks `kgsynth/choice` and `kgsynth/generate`, found by name through the
`inspect_ai` entry point and really run offline (inspect's `hf/` provider on a tiny Gemma 3
with the embedded model's tokenizer); the oracle scorer's verdicts on hand-picked answers."""

from __future__ import annotations

import asyncio
from importlib.metadata import entry_points
from pathlib import Path

import pytest

inspect_ai = pytest.importorskip("inspect_ai")

from inspect_ai.model import ModelName, ModelOutput, get_model  # noqa: E402
from inspect_ai.scorer import Target  # noqa: E402
from inspect_ai.solver import TaskState  # noqa: E402

from kgsynth.data.dataset import load_dataset  # noqa: E402
from kgsynth.data.synth import synthesize  # noqa: E402
from kgsynth.experiments.audit import VERDICTS, answer_verdicts  # noqa: E402
from kgsynth.experiments.evaluate import EvalConfig, Evaluator, corpus_prefix, select_items  # noqa: E402
from kgsynth.harness.inspect_tasks import RAW_CHAT_TEMPLATE, STOP, oracle  # noqa: E402
from kgsynth.models.base import cut_at_stop  # noqa: E402
from kgsynth.models.local import LocalModel, load_pretrained  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("inspect") / "reversals"
    synthesize("simple_reversals", 0, path, facts=6)
    return path


@pytest.fixture(scope="module")
def syllogisms(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("inspect") / "syl"
    synthesize("syllogisms", 0, path, syllogisms=6)
    return path



def run(task: str, data: Path, tiny: Path, log_dir: Path, limit: int = 3, **task_args):
    """`task` by its registered name on the tiny model: greedy, the prompt as it is (no chat turns)."""
    model = get_model("hf/tiny", model_path=str(tiny), device="cpu", do_sample=False, chat_template=RAW_CHAT_TEMPLATE)
    options = {"max_tokens": 8} if task == "kgsynth/choice" else {}  # a random model never stops on its own
    (log,) = inspect_ai.eval(task, task_args={"data": str(data), **task_args}, model=model, limit=limit,
                             log_dir=str(log_dir), display="none", max_connections=1, **options)
    assert log.status == "success", log.error
    return log


def metrics(log) -> dict[str, float]:
    return {name: metric.value for score in log.results.scores for name, metric in score.metrics.items()}


def test_the_tasks_are_registered_under_kgsynth():
    (point,) = [p for p in entry_points(group="inspect_ai") if p.name == "kgsynth"]
    module = point.load()
    assert {"choice", "generate"} <= set(module.__all__)


def test_choice_task_shows_the_items_after_the_corpus_and_scores_by_split(data, tiny, tmp_path):
    log = run("kgsynth/choice", data, tiny, tmp_path, split="reversal", regime="icl", subsample=0.5, seed=1)
    prefix = corpus_prefix(data, "icl", 0.5, 1)
    items = {i.id: i for i in select_items(data, ["reversal"], 3)}
    assert sorted(s.id for s in log.samples) == sorted(items)
    for sample in log.samples:
        item = items[sample.id]
        assert sample.input.startswith(prefix + "Which sentence is true? Complete: " + item.prompt.strip())
        assert sample.choices == [f"{item.prompt.strip()} {o.strip()}" for o in item.options]
        assert sample.target == "AB"[item.answer]
        assert sample.scores["choice"].value in ("C", "I")
    found = metrics(log)
    correct = sum(s.scores["choice"].value == "C" for s in log.samples)
    assert found["reversal"] == found["all"] == correct / 3 and "reversal_stderr" in found and "all_stderr" in found


def test_generate_task_judges_the_same_completion_as_kgsynth_eval(data, tiny, tmp_path):
    log = run("kgsynth/generate", data, tiny, tmp_path / "logs", regime="baseline", split="reversal")
    model, tokenizer = load_pretrained(tiny, device="cpu", dtype="float32")
    config = EvalConfig(data=str(data), regime="baseline", model="local:tiny", scoring="generate", limit=3,
                        splits=["reversal"])
    verdict = answer_verdicts(load_dataset(data))
    Evaluator(LocalModel(model, tokenizer, "local:tiny"), config, tmp_path / "run", verdict).evaluate()
    import json

    ours = {r["id"]: r for r in map(json.loads, (tmp_path / "run" / "results.jsonl").read_text().splitlines())}
    assert sorted(s.id for s in log.samples) == sorted(ours)
    for sample in log.samples:
        score = sample.scores["oracle"]
        assert cut_at_stop(sample.output.completion, STOP) == ours[sample.id]["generated"]  # greedy, same prompt
        assert score.metadata["sentence"] == ours[sample.id]["sentence"]
        assert score.metadata["verdict"] == ours[sample.id]["verdict"]
        assert score.value == ("C" if ours[sample.id]["correct"] else "I")
    assert metrics(log)["all"] == sum(r["correct"] for r in ours.values()) / 3


def judged(data: Path, prompt: str, completion: str):
    state = TaskState(ModelName("hf/tiny"), "x", 1, prompt, [], output=ModelOutput.from_content("hf/tiny", completion),
                      metadata={"prompt": prompt, "split": "syllogism"})
    return asyncio.run(oracle(str(data))(state, Target("")))


def test_the_oracle_scorer_gives_every_verdict_with_its_derivation(syllogisms):
    """Whole sentences (after an empty prompt) judged closed world; the answer cut at the first stop."""
    dataset = load_dataset(syllogisms)
    verdict = answer_verdicts(dataset)
    cases: dict[str, str] = {}
    for item in dataset.items["syllogism"]:
        for option in item.options:
            cases.setdefault(verdict(option.strip()), option.strip().rstrip("."))
    cases["unparseable"] = "flurb zzz qix"
    assert set(cases) == set(VERDICTS)
    for expected, completion in cases.items():
        score = judged(syllogisms, "", completion + ". And then more\nlines")  # cut at the first stop, as eval does
        assert score.metadata["verdict"] == expected
        assert score.value == ("C" if expected == "entailed" else "I")
        assert score.answer == completion + "."
        if expected in ("entailed", "contradicted"):
            assert score.metadata["derivation"]["rule"]
        if expected == "unparseable":
            assert score.metadata["statement"] is None and score.metadata["unparseable"]


def test_a_restated_answer_is_judged_whole(data):
    """A chat model restates the prompt: the answer is then the whole sentence, as in eval."""
    dataset = load_dataset(data)
    item = dataset.items["reversal"][0]
    restated = judged(data, item.prompt, f"{item.prompt}{item.options[item.answer]}")
    assert restated.metadata["verdict"] == "entailed" and restated.value == "C"
    assert restated.metadata["derivation"] == dataset.oracle.query(item.answer_statement, True).derivation.to_json()
    wrong = judged(data, item.prompt, item.options[1 - item.answer])
    assert wrong.metadata["verdict"] == "contradicted" and wrong.value == "I"
