"""`kgsynth export lm-eval`: the task group lm-evaluation-harness really runs (offline, its `hf`
model on a tiny Gemma 3 with the embedded model's tokenizer) scores every option as
`kgsynth eval` does: the same context (corpus prefix and prompt), the same continuation, the
same log-likelihood. The directory is deterministic, self-contained and replaced only when
kgsynth wrote it."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

lm_eval = pytest.importorskip("lm_eval")
pytest.importorskip("transformers")


from kgsynth.cli import main  # noqa: E402
from kgsynth.data.synth import synthesize  # noqa: E402
from kgsynth.errors import KgsynthError  # noqa: E402
from kgsynth.experiments.evaluate import EvalConfig, Evaluator, corpus_prefix  # noqa: E402
from kgsynth.harness.lm_eval import MARKER, export_lm_eval, read_export  # noqa: E402
from kgsynth.models.local import LocalModel, load_pretrained  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("lm_eval") / "syl"
    synthesize("syllogisms", 0, path, syllogisms=5)
    return path



def kgsynth_results(model_dir: Path, data: Path, regime: str, run: Path, subsample: float | None) -> dict[str, dict]:
    model, tokenizer = load_pretrained(model_dir, device="cpu", dtype="float32")
    config = EvalConfig(data=str(data), regime=regime, model="local:tiny", subsample=subsample, seed=3)
    Evaluator(LocalModel(model, tokenizer, "local:tiny"), config, run).evaluate()
    return {r["id"]: r for r in map(json.loads, (run / "results.jsonl").read_text().splitlines())}


def lm_eval_samples(model_dir: Path, tasks: Path, task: str) -> list[dict]:
    from lm_eval.tasks import TaskManager

    out = lm_eval.simple_evaluate(model="hf", model_args={"pretrained": str(model_dir), "dtype": "float32"},
                                  tasks=[task], task_manager=TaskManager(include_path=str(tasks), include_defaults=False),
                                  device="cpu", batch_size=4, log_samples=True)
    return out["samples"][task]


@pytest.mark.parametrize("regime", ["baseline", "icl"])
def test_lm_eval_scores_every_option_as_kgsynth_eval_does(data, tiny, tmp_path, regime):
    tasks = tmp_path / "tasks"
    export = export_lm_eval(data, tasks, subsample=0.5, seed=3)
    assert f"kgsynth_syl_syllogism_{regime}" in export.tasks
    samples = lm_eval_samples(tiny, tasks, f"kgsynth_syl_syllogism_{regime}")
    ours = kgsynth_results(tiny, data, regime, tmp_path / "run", 0.5)
    assert sorted(s["doc"]["id"] for s in samples) == sorted(ours)
    prefix = corpus_prefix(data, regime, 0.5, 3)
    for sample in samples:
        mine = ours[sample["doc"]["id"]]
        contexts = {argument[0] for argument in sample["arguments"]}
        assert contexts == {prefix + sample["doc"]["prompt"]}  # the corpus of eval --subsample 0.5 --seed 3
        assert [argument[1] for argument in sample["arguments"]] == sample["doc"]["options"]
        theirs = [response[0][0] for response in sample["resps"]]
        assert all(math.isclose(a, b, abs_tol=2e-3) for a, b in zip(theirs, mine["logprobs"], strict=True)), \
            (theirs, mine["logprobs"])
        assert sample["acc"] == float(mine["correct"])


def test_the_export_is_deterministic_self_contained_and_marked(data, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    export_lm_eval(data, first, subsample=0.5, seed=3)
    export_lm_eval(data, second, subsample=0.5, seed=3)
    names = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file())
    assert all((first / n).read_bytes() == (second / n).read_bytes() for n in names)
    assert (first / "items" / "syllogism.jsonl").read_bytes() == (data / "items" / "syllogism.jsonl").read_bytes()
    assert (first / "corpus.txt").read_text() == corpus_prefix(data, "icl", 0.5, 3)
    marker = read_export(first)
    assert (marker["subsample"], marker["seed"], marker["group"]) == (0.5, 3, "kgsynth_syl")
    assert sorted(marker["outputs"]) == [n for n in names if n != MARKER]
    moved = tmp_path / "moved"
    shutil.move(first, moved)  # the loader reads the files beside it, wherever the directory is
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(moved), include_defaults=False)
    loaded = manager.load(["kgsynth_syl_syllogism_icl"])["tasks"]["kgsynth_syl_syllogism_icl"]
    docs = list(loaded.test_docs())
    assert len(docs) == 5 and loaded.doc_to_text(docs[0]) == corpus_prefix(data, "icl", 0.5, 3) + docs[0]["prompt"]


def test_an_export_replaces_its_own_directory_and_nothing_else(data, tmp_path, capsys):
    out = tmp_path / "tasks"
    assert main(["export", "lm-eval", str(data), "--out", str(out), "--name", "Syl Ogisms!"]) == 0
    assert "kgsynth_syl_ogisms_syllogism_icl" in capsys.readouterr().out
    assert main(["export", "lm-eval", str(data), "--out", str(out), "--subsample", "0.2"]) == 0
    assert read_export(out)["subsample"] == 0.2 and not list(out.glob("kgsynth_syl_ogisms*"))
    (out / "notes.txt").write_text("mine")
    assert main(["export", "lm-eval", str(data), "--out", str(out)]) == 2
    assert "notes.txt" in capsys.readouterr().err
    assert main(["export", "lm-eval", str(tmp_path), "--out", str(tmp_path / "other")]) == 2
    with pytest.raises(KgsynthError, match="--subsample must be in"):
        export_lm_eval(data, tmp_path / "x", subsample=1.5)
