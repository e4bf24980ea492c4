"""kgsynth.experiments.report on runs written by Evaluator with a fake model; `report` and `eval` through cli.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, make_fake_model, write_synth

from kgsynth.errors import KgsynthError
from kgsynth.experiments.evaluate import EvalConfig, Evaluator
from kgsynth.experiments.report import load_runs, write_report

PNG = b"\x89PNG\r\n\x1a\n"
SPLITS = ("rephrased", "reversal", "all")
CELL = r"\d\.\d{3} ± \d\.\d{3} \[\d\.\d{2}, \d\.\d{2}\] \(n=\d+\)"


@pytest.fixture(scope="module")
def runs(synthesized, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("report")
    data = write_synth(synthesized("simple_reversals"), root / "data")
    found = {}
    for regime in ("baseline", "icl"):
        found[regime] = root / regime
        config = EvalConfig(data=str(data), regime=regime, model="fake", limit=15)
        Evaluator(make_fake_model(), config, found[regime]).evaluate()
    found["data"] = data
    return found


def table_rows(report: str) -> dict[str, list[str]]:
    rows = {}
    for line in report.splitlines():
        if line.startswith("| ") and not line.startswith("| split"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_report_has_a_row_per_split_with_both_runs(runs, tmp_path):
    found, path = write_report([str(runs["baseline"]), str(runs["icl"])], tmp_path / "out")
    assert path == tmp_path / "out" / "report.md" and len(found) == 2
    text = path.read_text()
    header = next(line for line in text.splitlines() if line.startswith("| split"))
    assert "baseline" in header and "icl" in header
    rows = table_rows(text)
    assert list(rows) == list(SPLITS)
    for split in SPLITS:
        chance, baseline, icl = rows[split]
        assert chance == "0.500"
        for cell, regime in ((baseline, "baseline"), (icl, "icl")):
            assert re.fullmatch(CELL, cell), cell
            metrics = json.loads((runs[regime] / "metrics.json").read_text())[split]
            assert cell.startswith(f"{metrics['accuracy']:.3f} ± {metrics['stderr']:.3f}")
            assert cell.endswith(f"(n={metrics['n']})")
    assert "![accuracy per split](report.png)" in text
    assert str(runs["baseline"]) in text and str(runs["icl"]) in text
    png = tmp_path / "out" / "report.png"
    assert png.is_file() and png.read_bytes()[:8] == PNG and png.stat().st_size > 5000


def test_run_without_metrics_is_refused(runs, tmp_path):
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "run.json").write_text((runs["icl"] / "run.json").read_text())
    with pytest.raises(KgsynthError, match="has no metrics.json"):
        write_report([str(runs["baseline"]), str(unfinished)], tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(KgsynthError, match="run directory not found"):
        write_report([str(tmp_path / "absent")], tmp_path / "out")


def test_same_label_twice_is_told_apart_by_directory(runs, tmp_path):
    again = copy_run(runs["baseline"], tmp_path / "baseline-again", "fake")
    found, path = write_report([str(runs["baseline"]), str(again)], tmp_path / "out")
    labels = [r["label"] for r in found]
    assert labels[0] != labels[1]
    assert labels[0].startswith("baseline") and labels[0].endswith("[baseline]")
    assert labels[1].startswith("baseline") and labels[1].endswith("[baseline-again]")
    header = next(line for line in path.read_text().splitlines() if line.startswith("| split"))
    assert labels[0] in header and labels[1] in header


def test_splits_missing_from_a_run_show_a_dash(runs, tmp_path):
    only = tmp_path / "only-reversal"
    config = EvalConfig(data=str(runs["data"]), regime="icl", model="fake", splits=["reversal"], limit=5)
    Evaluator(make_fake_model(), config, only).evaluate()
    _, path = write_report([str(runs["baseline"]), str(only)], tmp_path / "out")
    rows = table_rows(path.read_text())
    assert rows["rephrased"][2] == "—" and re.fullmatch(CELL, rows["rephrased"][1])
    assert re.fullmatch(CELL, rows["reversal"][2]) and rows["reversal"][2].endswith("(n=5)")
    assert (tmp_path / "out" / "report.png").read_bytes()[:8] == PNG


def copy_run(source: Path, target: Path, model: str) -> Path:
    target.mkdir()
    record = json.loads((source / "run.json").read_text())
    record["config"]["model"] = model
    (target / "run.json").write_text(json.dumps(record))
    (target / "metrics.json").write_text((source / "metrics.json").read_text())
    return target


def test_labels_name_the_model_when_runs_differ_in_model(runs, tmp_path):
    other = copy_run(runs["icl"], tmp_path / "other", "local:smollm2")
    labels = [r["label"] for r in load_runs([str(runs["baseline"]), str(other)])]
    assert labels == ["baseline (fake)", "icl (local:smollm2)"]


def test_labels_are_the_regimes_when_runs_share_the_model(runs):
    """The model goes into a label only to tell runs apart: with one model the regime is enough.
    (load_runs tests len({p for p in paths}) > 1, the number of run paths, not of models.)"""
    labels = [r["label"] for r in load_runs([str(runs["baseline"]), str(runs["icl"])])]
    assert labels == ["baseline", "icl"]


def test_a_fine_tuned_model_is_named_by_its_finetune_run(runs, tmp_path):
    tuned = tmp_path / "semantic-ft"
    (tuned / "model").mkdir(parents=True)
    (tuned / "run.json").write_text(json.dumps({"kind": "finetune", "config": {}}))
    asked = copy_run(runs["baseline"], tmp_path / "asked", f"local:{tuned / 'model'}")
    in_context = copy_run(runs["icl"], tmp_path / "in-context", f"local:{tuned / 'model'}")
    labels = [r["label"] for r in load_runs([str(runs["baseline"]), str(asked), str(in_context)])]
    assert labels == ["baseline (fake)", f"ft ({tuned})", f"ft + icl ({tuned})"]


def test_a_label_given_to_eval_names_the_run(runs, tmp_path):
    named = copy_run(runs["icl"], tmp_path / "named", "fake")
    record = json.loads((named / "run.json").read_text())
    record["config"]["label"] = "icl, 4 distractors"
    (named / "run.json").write_text(json.dumps(record))
    assert [r["label"] for r in load_runs([str(runs["baseline"]), str(named)])] == ["baseline", "icl, 4 distractors"]


# --- through cli.py --------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_cli_report(runs, tmp_path):
    out = tmp_path / "cli-report"
    done = cli("report", str(runs["baseline"]), str(runs["icl"]), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and "2 runs" in done.stdout
    assert list(table_rows((out / "report.md").read_text())) == list(SPLITS)
    assert (out / "report.png").read_bytes()[:8] == PNG


def test_cli_report_fits_80_columns(runs, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    done = cli("report", str(runs["baseline"]), str(runs["icl"]), "--out", str(tmp_path / "narrow"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(map(len, lines)) <= 80, max(lines, key=len)
    assert not any(line.startswith("| split |") for line in lines)  # markdown only in the file
    rows = {line.split("│")[1].strip(): line for line in lines if line.count("│") >= 3}
    assert {"chance", "baseline", "icl"} <= set(rows)
    assert re.search(r"\d\.\d\d \(n=\d+\)", rows["icl"])


def test_one_split_has_no_all_column(runs, tmp_path):
    single = copy_run(runs["icl"], tmp_path / "single", "fake")
    metrics = json.loads((single / "metrics.json").read_text())
    (single / "metrics.json").write_text(json.dumps({"reversal": metrics["reversal"], "all": metrics["reversal"]}))
    (single / "results.jsonl").write_text((runs["icl"] / "results.jsonl").read_text())
    _, path = write_report([str(single)], tmp_path / "single-report")
    assert list(table_rows(path.read_text())) == ["reversal"]


def test_cli_report_of_an_unfinished_run(tmp_path):
    (tmp_path / "nothing").mkdir()
    done = cli("report", str(tmp_path / "nothing"), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr.startswith("kgsynth: error:") and "metrics.json" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_cli_eval_of_missing_data(tmp_path):
    done = cli("eval", "--data", "/nonexistent", "--regime", "baseline", "--out", str(tmp_path / "run"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kgsynth: error:") and "/nonexistent" in lines[0], done.stderr
    assert not (tmp_path / "run").exists()


# --- regressions of "Reliability and security": report --out ------------------------------------


def report_cli(capsys, runs, out) -> tuple[int, str]:
    from kgsynth import cli as kgsynth_cli

    capsys.readouterr()
    status = kgsynth_cli.main(["report", str(runs["baseline"]), str(runs["icl"]), "--out", str(out)])
    return status, capsys.readouterr().err


def one_line(status: int, err: str, *mentions: str) -> None:
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kgsynth: error: "), err
    for mention in mentions:
        assert mention in lines[0], f"{mention!r} not in {lines[0]!r}"


def test_cli_report_out_is_a_file(runs, tmp_path, capsys):
    """report --out FILE: a FileExistsError traceback."""
    (tmp_path / "report").write_text("keep me\n")
    one_line(*report_cli(capsys, runs, tmp_path / "report"), f"--out {tmp_path / 'report'} exists and is not a directory")
    assert (tmp_path / "report").read_text() == "keep me\n"


def test_cli_report_out_in_a_read_only_directory(runs, tmp_path, capsys, monkeypatch):
    from test_outdir import read_only

    locked = tmp_path / "locked"
    locked.mkdir()
    read_only(locked, monkeypatch)
    try:
        one_line(*report_cli(capsys, runs, locked / "report"), f"cannot write --out {locked / 'report'}",
                 "is not a writable directory")
    finally:
        locked.chmod(0o755)
    assert list(locked.iterdir()) == []


def test_report_replaces_its_own_output_whole_and_nothing_else(runs, tmp_path):
    out = tmp_path / "out"
    write_report([str(runs["baseline"]), str(runs["icl"])], out)
    marker = json.loads((out / "report.json").read_text())
    assert sorted(marker["outputs"]) == ["report.md", "report.png"] and len(marker["runs"]) == 2
    write_report([str(runs["baseline"])], out)  # ours: replaced
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.md", "report.png"]
    assert "icl" not in (out / "report.md").read_text().split("Runs:")[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left
    (out / "draft.md").write_text("my notes\n")
    with pytest.raises(KgsynthError, match=r"holds files kgsynth did not write \(draft.md\)"):
        write_report([str(runs["icl"])], out)
    (out / "draft.md").unlink()
    (out / "report.md").write_text("edited by hand\n")
    with pytest.raises(KgsynthError, match=r"\(report.md \(edited\)\)"):
        write_report([str(runs["icl"])], out)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.md").write_text("my own report\n")
    with pytest.raises(KgsynthError, match=r"not written by kgsynth \(report.md\)"):
        write_report([str(runs["icl"])], mine)
    assert (mine / "report.md").read_text() == "my own report\n"
