"""kgsynth.experiments.evaluate with a deterministic fake model on simple_reversals written to disk:
metrics, Wilson intervals, resuming an interrupted run, regimes and their prefixes,
corpora over the model's window, and scoring by generation."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path

import pytest
from helpers import fake_logprob, make_fake_model, write_synth

from kgsynth.errors import KgsynthError
from kgsynth.experiments.evaluate import SEPARATOR, EvalConfig, Evaluator, check_context, corpus_prefix, select_items, wilson
from kgsynth.models.base import ScoreRequest
from kgsynth.tasks.records import Item


@pytest.fixture(scope="module")
def data(synthesized, tmp_path_factory) -> Path:
    return write_synth(synthesized("simple_reversals"), tmp_path_factory.mktemp("eval") / "data")


@pytest.fixture(scope="module")
def items(data) -> list[Item]:
    return select_items(data, [], None)


@pytest.fixture(scope="module")
def documents(data) -> list[str]:
    return [json.loads(line)["text"] for line in (data / "documents.jsonl").read_text().splitlines()]


def config(data: Path, regime: str = "baseline", **options) -> EvalConfig:
    return EvalConfig(data=str(data), regime=regime, model="fake", **options)


def requests_of(items: list[Item], prefix: str = "") -> Counter:
    return Counter(ScoreRequest(prefix + i.prompt, option) for i in items for option in i.options)


def result_lines(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]


def expected_choice(item: Item, prefix: str = "") -> int:
    logprobs = [fake_logprob(prefix + item.prompt, option) for option in item.options]
    return max(range(len(logprobs)), key=logprobs.__getitem__)


# --- metrics -----------------------------------------------------------------------------


def test_metrics_per_split(data, items, tmp_path):
    model = make_fake_model()
    seen: list[tuple[int, int]] = []
    metrics = Evaluator(model, config(data), tmp_path / "run").evaluate(lambda n, total: seen.append((n, total)))
    assert set(metrics) == {"rephrased", "reversal", "all"}
    by_split = Counter(i.split for i in items)
    for split, m in metrics.items():
        chosen = [i for i in items if split in ("all", i.split)]
        assert m["n"] == len(chosen) == (len(items) if split == "all" else by_split[split])
        correct = sum(expected_choice(i) == i.answer for i in chosen)
        assert m["accuracy"] == pytest.approx(correct / m["n"])
        assert 0 < m["accuracy"] < 1
        assert m["stderr"] == pytest.approx(math.sqrt(m["accuracy"] * (1 - m["accuracy"]) / m["n"]))
        low, high = m["wilson95"]
        assert 0 <= low <= m["accuracy"] <= high <= 1
        assert (low, high) == pytest.approx(wilson(correct, m["n"]))
        assert 0 <= m["accuracy_norm"] <= 1
        assert m["chance"] == pytest.approx(0.5)  # two options each
    assert json.loads((tmp_path / "run" / "metrics.json").read_text()) == json.loads(json.dumps(metrics))
    assert seen[0] == (0, len(items)) and sum(n for n, _ in seen) == len(items)
    assert model.requests and Counter(model.requests) == requests_of(items)
    assert all(prefix is None for _, prefix in model.calls)  # baseline: nothing shared


def test_results_record_choices(data, items, tmp_path):
    Evaluator(make_fake_model(), config(data, limit=10), tmp_path / "run").evaluate()
    results = result_lines(tmp_path / "run")
    by_id = {i.id: i for i in items}
    assert len(results) == 20  # 10 per split
    for r in results:
        item = by_id[r["id"]]
        assert r["split"] == item.split and r["answer"] == item.answer and r["options"] == 2
        assert r["chosen"] == expected_choice(item) and r["correct"] == (r["chosen"] == item.answer)
        assert r["logprobs"] == [fake_logprob(item.prompt, o) for o in item.options]
        normalized = [lp / t for lp, t in zip(r["logprobs"], r["tokens"], strict=True)]
        assert r["chosen_norm"] == max(range(2), key=normalized.__getitem__)


@pytest.mark.parametrize("successes,n,expected", [
    (8, 10, (0.4902, 0.9433)), (0, 10, (0.0, 0.2775)), (10, 10, (0.7225, 1.0)), (50, 100, (0.4038, 0.5962)),
    (1, 1, (0.2065, 1.0)), (0, 0, (0.0, 0.0)),
])
def test_wilson_known_values(successes, n, expected):
    low, high = wilson(successes, n)
    assert (low, high) == pytest.approx(expected, abs=5e-4)
    assert 0 <= low <= high <= 1


# --- resuming ------------------------------------------------------------------------------


def test_interrupted_run_resumes_scoring_each_item_once(data, items, tmp_path):
    run = tmp_path / "run"
    interrupted = make_fake_model(fail_after=3)
    with pytest.raises(KeyboardInterrupt):
        Evaluator(interrupted, config(data), run).evaluate()
    first = result_lines(run)
    assert len(first) == 3 * 8 and not (run / "metrics.json").exists()
    resumed = make_fake_model()
    metrics = Evaluator(resumed, config(data), run).evaluate()
    assert Counter(interrupted.requests) + Counter(resumed.requests) == requests_of(items)  # each once overall
    ids = [r["id"] for r in result_lines(run)]
    assert len(ids) == len(set(ids)) == len(items) and set(ids) == {i.id for i in items}
    fresh = Evaluator(make_fake_model(), config(data), tmp_path / "fresh").evaluate()
    assert metrics == fresh
    finished = make_fake_model()
    assert Evaluator(finished, config(data), run).evaluate() == metrics and finished.calls == []


def test_truncated_last_line_is_dropped_and_rescored(data, items, tmp_path):
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        Evaluator(make_fake_model(fail_after=2), config(data), run).evaluate()
    path = run / "results.jsonl"
    lines = path.read_text().splitlines()
    lost = json.loads(lines[-1])["id"]
    path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2])  # a crash mid-write
    resumed = make_fake_model()
    Evaluator(resumed, config(data), run).evaluate()
    by_id = {i.id: i for i in items}
    kept = {json.loads(line)["id"] for line in lines[:-1]}
    assert Counter(resumed.requests) == requests_of([i for i in items if i.id not in kept])
    assert requests_of([by_id[lost]]) <= Counter(resumed.requests)
    text = path.read_text()
    assert text.endswith("\n")
    ids = [json.loads(line)["id"] for line in text.splitlines()]  # every line valid JSON again
    assert len(ids) == len(set(ids)) == len(items)


def test_other_config_on_same_out_is_refused(data, tmp_path):
    run = tmp_path / "run"
    Evaluator(make_fake_model(), config(data, limit=3), run).evaluate()
    for other in (config(data, limit=4), config(data, "icl", limit=3), config(data, limit=3, seed=1),
                  config(data, limit=3, splits=["reversal"])):
        with pytest.raises(KgsynthError, match="holds another eval run"):
            Evaluator(make_fake_model(), other, run).evaluate()
    assert len(result_lines(run)) == 6


def test_changed_items_are_refused_and_restart_starts_over(data, tmp_path):
    import shutil

    copy = shutil.copytree(data, tmp_path / "data")
    run = tmp_path / "run"
    Evaluator(make_fake_model(), config(copy, limit=3), run).evaluate()
    items = copy / "items" / "reversal.jsonl"
    lines = items.read_text().splitlines()
    items.write_text("\n".join([lines[1], lines[0], *lines[2:]]) + "\n")  # the same items, in another order
    with pytest.raises(KgsynthError, match=f"{items} changed since {run} was started"):
        Evaluator(make_fake_model(), config(copy, limit=3), run).evaluate()
    with pytest.raises(KgsynthError, match="holds another eval run"):
        Evaluator(make_fake_model(), config(copy, limit=4), run).evaluate(restart=False)
    again = make_fake_model()
    metrics = Evaluator(again, config(copy, limit=4), run).evaluate(restart=True)
    assert metrics["all"]["n"] == 8 and len(again.requests) == 16  # every item scored again
    assert len(result_lines(run)) == 8


def test_non_empty_directory_without_a_run_is_refused(data, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "notes.txt").write_text("mine")
    with pytest.raises(KgsynthError, match="non-empty directory not written by kgsynth"):
        Evaluator(make_fake_model(), config(data), run).evaluate()
    assert sorted(p.name for p in run.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("bad,message", [
    ({"regime": "zero-shot"}, "unknown regime"), ({"scoring": "vibes"}, "unknown scoring"),
    ({"subsample": 0.0}, "--subsample must be in"), ({"subsample": 1.5}, "--subsample must be in"),
])
def test_bad_configs(data, tmp_path, bad, message):
    options = {"regime": "baseline", **bad}
    with pytest.raises(KgsynthError, match=message):
        Evaluator(make_fake_model(), EvalConfig(data=str(data), model="fake", **options), tmp_path / "run")


def test_unknown_split_and_missing_items(data, tmp_path):
    with pytest.raises(KgsynthError, match="unknown split"):
        Evaluator(make_fake_model(), config(data, splits=["multihop"]), tmp_path / "run").evaluate()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(KgsynthError, match="has no items/"):
        select_items(empty, [], None)


# --- regimes --------------------------------------------------------------------------------


def test_baseline_prefix_is_empty(data):
    assert corpus_prefix(data, "baseline", None, 0) == ""
    assert corpus_prefix(data, "baseline", 0.1, 3) == ""


def test_icl_prefix_holds_every_document(data, documents):
    prefix = corpus_prefix(data, "icl", None, 0)
    assert prefix == SEPARATOR.join(documents) + SEPARATOR
    assert all(text in prefix for text in documents)
    assert corpus_prefix(data, "icl", 1.0, 5) == prefix


def test_icl_run_shares_the_corpus(data, items, tmp_path):
    model = make_fake_model()
    Evaluator(model, config(data, "icl", limit=8), tmp_path / "run").evaluate()
    prefix = corpus_prefix(data, "icl", None, 0)
    assert model.calls and all(shared == prefix for _, shared in model.calls)
    assert Counter(model.requests) == requests_of(select_items(data, [], 8), prefix)


def test_subsample_keeps_a_seeded_tenth(data, documents):
    def kept(subsample, seed):
        prefix = corpus_prefix(data, "icl", subsample, seed)
        assert prefix.endswith(SEPARATOR)
        texts = prefix[: -len(SEPARATOR)].split(SEPARATOR)
        remaining = iter(documents)
        assert all(any(t == d for d in remaining) for t in texts)  # a subsequence: documents, in corpus order
        return texts

    tenth = kept(0.1, 0)
    assert len(tenth) == round(0.1 * len(documents))
    assert kept(0.1, 0) == tenth
    assert kept(0.1, 1) != tenth
    assert len(kept(0.0001, 0)) == 1  # never empty


def test_corpus_over_window_suggests_a_subsample_that_fits(data, items, tmp_path):
    prefix = corpus_prefix(data, "icl", None, 0)
    model = make_fake_model(max_context=model_window(prefix, 0.3))
    with pytest.raises(KgsynthError, match=r"over the model's window of .*: try --subsample 0\.\d\d") as error:
        Evaluator(model, config(data, "icl", limit=5), tmp_path / "run").evaluate()
    suggested = float(re.search(r"--subsample (\S+)", str(error.value)).group(1))
    assert 0.2 < suggested < 0.3
    metrics = Evaluator(model, config(data, "icl", limit=5, subsample=suggested), tmp_path / "run2").evaluate()
    assert metrics["all"]["n"] == 10


def model_window(prefix: str, share: float) -> int:
    return int(len(prefix.split()) * share)


@pytest.mark.parametrize("window", [5000, 1000, 200, 100, 30])
def test_any_suggested_subsample_is_valid_and_fits(data, items, window):
    """Whatever the window, a suggested --subsample must be a value `eval` accepts (0 < s <= 1)
    and must fit; a window too small for any corpus must not suggest one."""
    model = make_fake_model(max_context=window)
    prefix = corpus_prefix(data, "icl", None, 0)
    with pytest.raises(KgsynthError) as error:
        check_context(model, [prefix], items, None)
    found = re.search(r"--subsample (\S+)", str(error.value))
    if found:
        suggested = float(found.group(1))
        assert 0 < suggested <= 1, f"window {window}: {error.value}"
        check_context(model, [corpus_prefix(data, "icl", suggested, 0)], items, suggested)


def test_baseline_over_window_does_not_suggest_subsample(data, items):
    """Without a corpus, --subsample cannot help: the error must not suggest it."""
    model = make_fake_model(max_context=5)
    with pytest.raises(KgsynthError) as error:
        check_context(model, [corpus_prefix(data, "baseline", None, 0)], items, None)
    assert "--subsample" not in str(error.value), str(error.value)


# --- scoring by generation ----------------------------------------------------------------------


VERDICTS = ("entailed", "contradicted", "unknown", "unparseable")


def test_generate_with_a_fake_verdict_records_verdicts_and_rates(data, items, tmp_path):
    judged: list[str] = []

    def verdict(sentence: str) -> str:
        judged.append(sentence)
        return VERDICTS[len(sentence) % 4]

    model = make_fake_model(completion=lambda prompt: " wibble wobble. and more")
    run = tmp_path / "run"
    metrics = Evaluator(model, config(data, scoring="generate", limit=6), run, verdict).evaluate()
    results = result_lines(run)
    by_id = {i.id: i for i in items}
    assert len(results) == 12 and model.calls == []  # nothing scored by likelihood
    for r in results:
        item = by_id[r["id"]]
        assert r["generated"] == " wibble wobble"  # cut at the first stop string
        assert r["sentence"] == (item.prompt + " wibble wobble").strip() + "."
        assert r["verdict"] == VERDICTS[len(r["sentence"]) % 4]
        assert r["correct"] == (r["verdict"] == "entailed")
    assert sorted(judged) == sorted(r["sentence"] for r in results)
    for split, m in metrics.items():
        chosen = [r for r in results if split in ("all", r["split"])]
        for verdict in VERDICTS:
            assert m[f"rate_{verdict}"] == pytest.approx(sum(r["verdict"] == verdict for r in chosen) / len(chosen))
        assert sum(m[f"rate_{v}"] for v in VERDICTS) == pytest.approx(1)
        assert m["accuracy"] == pytest.approx(m["rate_entailed"])
        assert "chance" not in m


def test_generate_in_icl_sees_the_corpus(data, tmp_path):
    model = make_fake_model()
    Evaluator(model, config(data, "icl", scoring="generate", limit=2), tmp_path / "run", lambda s: "unknown").evaluate()
    prefix = corpus_prefix(data, "icl", None, 0)
    assert len(model.prompts) == 4 and all(p.startswith(prefix) for p in model.prompts)


def test_generate_judged_by_the_oracle(data, items, tmp_path):
    """With the real judge (the CLI's), generating the right option is entailed, a wrong one contradicted."""
    from kgsynth.data.dataset import load_dataset
    from kgsynth.experiments.audit import answer_verdicts

    reversal = select_items(data, ["reversal"], 6)
    assert len({i.prompt for i in reversal}) == len(reversal)  # a prompt tells the item
    verdicts = answer_verdicts(load_dataset(data))
    for wrong, verdict in ((False, "entailed"), (True, "contradicted")):
        def complete(prompt: str, wrong=wrong) -> str:
            item = next(i for i in reversal if i.prompt == prompt)
            return item.options[1 - item.answer if wrong else item.answer]

        run = tmp_path / f"run-{verdict}"
        metrics = Evaluator(make_fake_model(completion=complete), config(data, scoring="generate", splits=["reversal"],
                                                                        limit=6), run, verdicts).evaluate()
        results = result_lines(run)
        assert len(results) == 6 and all(r["verdict"] == verdict for r in results), results
        assert metrics["all"][f"rate_{verdict}"] == 1.0


def test_choice_on_a_local_model_picks_the_likeliest_letter(data, items, tmp_path):
    """--scoring choice on a model that scores text: the options shown lettered, and the
    letter with the highest log-likelihood as a continuation is the choice."""
    from kgsynth.models.base import LETTERS, lettered

    model = make_fake_model()
    metrics = Evaluator(model, config(data, scoring="choice", limit=3), tmp_path / "run").evaluate()
    results = result_lines(tmp_path / "run")
    by_id = {i.id: i for i in items}
    assert len(results) == metrics["all"]["n"] > 0
    for result in results:
        item = by_id[result["id"]]
        prompt = lettered(item.prompt, item.options)
        assert all(f"{LETTERS[k]}. {item.prompt.strip()} {o.strip()}" in prompt for k, o in enumerate(item.options))
        expected = {LETTERS[k]: fake_logprob(prompt, f" {LETTERS[k]}") for k in range(len(item.options))}
        assert result["letter_logprobs"] == pytest.approx(expected)
        assert result["chosen"] == max(range(len(expected)), key=lambda k: expected[LETTERS[k]])
        assert result["correct"] == (result["chosen"] == item.answer)
    assert metrics["all"]["chance"] == pytest.approx(sum(1 / r["options"] for r in results) / len(results))


# --- regressions of "Reliability and security": --out checked first, failures in one line ---------


def eval_cli(capsys, data: Path, out: Path, *more: str) -> tuple[int, str]:
    """`kgsynth eval` in this process: (exit status, stderr)."""
    from kgsynth import cli

    capsys.readouterr()
    status = cli.main(["eval", "--data", str(data), "--regime", "baseline", "--limit", "3", "--out", str(out), *more])
    return status, capsys.readouterr().err


def one_line(status: int, err: str, *mentions: str) -> None:
    """Exit 2 and the error on one line, the last (after what a progress bar left), no traceback."""
    assert status == 2, err
    lines = err.strip().splitlines()
    assert "Traceback" not in err and [line for line in lines if "error" in line] == lines[-1:], err
    assert lines[-1].startswith("kgsynth: error: "), err
    for mention in mentions:
        assert mention in lines[-1], f"{mention!r} not in {lines[-1]!r}"


@pytest.fixture
def no_model(monkeypatch):
    """Loading a model fails the test: a bad --out must be refused before (20-40 s on the real one)."""
    monkeypatch.setattr("kgsynth.models.load_model", lambda *a, **k: pytest.fail("the model loaded before --out was checked"))


def test_cli_eval_out_is_a_file_before_the_model_loads(data, tmp_path, capsys, no_model):
    (tmp_path / "file").write_text("keep me\n")
    one_line(*eval_cli(capsys, data, tmp_path / "file"), f"--out {tmp_path / 'file'} exists and is not a directory")
    assert (tmp_path / "file").read_text() == "keep me\n"


def test_cli_eval_out_in_a_read_only_directory_before_the_model_loads(data, tmp_path, capsys, monkeypatch, no_model):
    from test_outdir import read_only

    locked = tmp_path / "locked"
    locked.mkdir()
    read_only(locked, monkeypatch)
    try:
        one_line(*eval_cli(capsys, data, locked / "run"), f"cannot write --out {locked / 'run'}: {locked} is not a writable")
    finally:
        locked.chmod(0o755)
    assert list(locked.iterdir()) == []


def test_cli_eval_foreign_or_other_run_before_the_model_loads(data, tmp_path, capsys, no_model):
    Evaluator(make_fake_model(), config(data, limit=3), tmp_path / "run").evaluate()
    one_line(*eval_cli(capsys, data, tmp_path / "run", "--seed", "1"),
             "holds another eval run (model local here, fake there; seed 1 here, 0 there)")
    (tmp_path / "run" / "notes.txt").write_text("mine")
    one_line(*eval_cli(capsys, data, tmp_path / "run", "--restart"), "holds files kgsynth did not write (notes.txt)")
    assert (tmp_path / "run" / "notes.txt").read_text() == "mine"


class FullDisk:
    """A file with room for `room` more characters, then failing as a full disk does (what fits is written)."""

    def __init__(self, handle, room: int):
        self.handle, self.room = handle, room

    def write(self, text: str) -> int:
        import errno
        import os

        fits = text[: self.room]
        self.handle.write(fits)
        self.handle.flush()
        self.room -= len(fits)
        if len(fits) < len(text):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return len(text)

    def flush(self) -> None:
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


def test_cli_eval_on_a_full_disk_is_one_line_and_keeps_what_was_written(data, items, tmp_path, capsys, monkeypatch):
    """eval on a full disk: OSError 28 with a traceback. Now one line; a rerun resumes."""
    run = tmp_path / "run"
    monkeypatch.setattr("kgsynth.models.load_model", lambda *a, **k: make_fake_model())
    reference = tmp_path / "reference"
    assert eval_cli(capsys, data, reference, "--limit", "10")[0] == 0
    lines = (reference / "results.jsonl").read_text().splitlines(keepends=True)
    room = len("".join(lines[:8])) + len(lines[8]) // 2  # the first batch, and half a line of the next
    real = Path.open

    def opened(self, mode="r", *args, **kwargs):
        handle = real(self, mode, *args, **kwargs)
        return FullDisk(handle, room) if self.name == "results.jsonl" and "a" in mode else handle

    monkeypatch.setattr(Path, "open", opened)
    one_line(*eval_cli(capsys, data, run, "--limit", "10"), f"cannot write {run / 'results.jsonl'}: No space left on device")
    assert (run / "results.jsonl").read_text().splitlines(keepends=True)[:8] == lines[:8]
    assert not (run / "metrics.json").exists()
    monkeypatch.setattr(Path, "open", real)  # room again
    assert eval_cli(capsys, data, run, "--limit", "10")[0] == 0
    assert (run / "results.jsonl").read_text() == "".join(lines)  # the cut line dropped, the rest scored once
    assert (run / "metrics.json").read_text() == (reference / "metrics.json").read_text()


def test_results_lines_without_their_fields_are_dropped_and_rescored(data, items, tmp_path):
    """A results.jsonl line of valid JSON without its id (or a field the metrics read) was a KeyError."""
    run = tmp_path / "run"
    metrics = Evaluator(make_fake_model(), config(data, limit=3), run).evaluate()
    path = run / "results.jsonl"
    lines = path.read_text().splitlines()
    broken = [json.loads(lines[0]), json.loads(lines[1])]
    del broken[0]["id"]
    del broken[1]["split"]
    path.write_text("\n".join([*map(json.dumps, broken), *lines[2:]]) + "\n")
    again = make_fake_model()
    assert Evaluator(again, config(data, limit=3), run).evaluate() == metrics
    assert len(again.requests) == sum(len(i.options) for i in items if i.id in {json.loads(x)["id"] for x in lines[:2]})
    assert sorted(path.read_text().splitlines()) == sorted(lines)
