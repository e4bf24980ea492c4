"""kgsynth.experiments.rundir: creating, resuming and refusing run directories, and their files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kgsynth import __version__
from kgsynth.errors import KgsynthError
from kgsynth.experiments.rundir import MARKER, RunDir
from kgsynth.files import file_sha256

CONFIG = {"limit": 10, "regime": "icl", "splits": ["reversal"]}


@pytest.fixture
def data(tmp_path) -> Path:
    folder = tmp_path / "data"
    (folder / "items").mkdir(parents=True)
    (folder / "manifest.json").write_text('{"seed": 0}\n')
    (folder / "items" / "reversal.jsonl").write_text('{"id": "r1"}\n')
    return folder


def run_of(path: Path, data: Path, **changes) -> RunDir:
    inputs = {"manifest.json": data / "manifest.json", "items/reversal.jsonl": data / "items" / "reversal.jsonl"}
    return RunDir(path, "eval", CONFIG | changes, inputs)


def test_a_new_run_writes_its_marker(tmp_path, data):
    run = run_of(tmp_path / "runs" / "x", data)
    assert run.open() is False
    marker = json.loads((tmp_path / "runs" / "x" / MARKER).read_text())
    assert marker == {"kind": "eval", "config": CONFIG, "kgsynth_version": __version__,
                      "inputs": {"items/reversal.jsonl": file_sha256(data / "items" / "reversal.jsonl"),
                                 "manifest.json": file_sha256(data / "manifest.json")}}
    assert [p.name for p in run.root.iterdir()] == [MARKER]  # no temporary file left


def test_an_empty_directory_is_a_fine_start(tmp_path, data):
    (tmp_path / "x").mkdir()
    assert run_of(tmp_path / "x", data).open() is False


def test_the_same_run_resumes_and_keeps_its_files(tmp_path, data):
    first = run_of(tmp_path / "x", data)
    first.open()
    with first.append_jsonl("results.jsonl") as append:
        append([{"id": "a", "correct": True}])
    again = run_of(tmp_path / "x", data)
    assert again.check() is True and again.open() is True
    assert again.read_done("results.jsonl", "id") == {"a": {"id": "a", "correct": True}}


def test_another_config_is_refused_naming_the_settings_that_differ(tmp_path, data):
    run_of(tmp_path / "x", data).open()
    before = (tmp_path / "x" / MARKER).read_bytes()
    with pytest.raises(KgsynthError) as error:
        run_of(tmp_path / "x", data, limit=20).open()
    message = str(error.value)
    assert f"{tmp_path / 'x'} holds another eval run (limit 20 here, 10 there)" in message
    assert "--restart" in message and "\n" not in message
    with pytest.raises(KgsynthError, match="regime baseline here, icl there; seed 1 here, none there"):
        run_of(tmp_path / "x", data, regime="baseline", seed=1).open()
    with pytest.raises(KgsynthError, match="holds an eval run, not an augment run"):
        RunDir(tmp_path / "x", "augment", CONFIG).open()
    assert (tmp_path / "x" / MARKER).read_bytes() == before


def test_a_changed_input_is_refused_naming_the_file(tmp_path, data):
    run_of(tmp_path / "x", data).open()
    (data / "items" / "reversal.jsonl").write_text('{"id": "r2"}\n')
    with pytest.raises(KgsynthError, match=f"{data / 'items' / 'reversal.jsonl'} changed since {tmp_path / 'x'} "
                                           "was started"):
        run_of(tmp_path / "x", data).open()


def test_a_missing_input_is_an_error(tmp_path, data):
    (data / "manifest.json").unlink()
    with pytest.raises(KgsynthError, match="cannot read .*manifest.json"):
        run_of(tmp_path / "x", data).open()
    assert not (tmp_path / "x").exists()


def test_a_foreign_non_empty_directory_is_refused_even_with_restart(tmp_path, data):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("precious")
    for restart in (False, True):
        with pytest.raises(KgsynthError, match="non-empty directory not written by kgsynth"):
            run_of(foreign, data).open(restart)
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(KgsynthError, match="not a directory"):
        run_of(tmp_path / "file", data).open()


def test_restart_clears_our_directory_and_starts_over(tmp_path, data):
    run_of(tmp_path / "x", data).open()
    (tmp_path / "x" / "results.jsonl").write_text('{"id": "a"}\n')
    (tmp_path / "x" / "checkpoint").mkdir()
    (tmp_path / "x" / "checkpoint" / "state.pt").write_bytes(b"x")
    other = run_of(tmp_path / "x", data, limit=20)
    assert other.check(restart=True) is False  # checking clears nothing
    assert (tmp_path / "x" / "results.jsonl").exists()
    assert other.open(restart=True) is False
    assert [p.name for p in (tmp_path / "x").iterdir()] == [MARKER]
    assert json.loads((tmp_path / "x" / MARKER).read_text())["config"]["limit"] == 20
    assert run_of(tmp_path / "x", data, limit=20).open() is True


def test_a_run_of_an_older_kgsynth_is_refused_unless_restarted(tmp_path, data):
    old = tmp_path / "old"
    old.mkdir()
    (old / "augment.json").write_text(json.dumps({"config": CONFIG}))
    with pytest.raises(KgsynthError, match="older kgsynth"):
        run_of(old, data).open()
    (old / MARKER).write_text(json.dumps({"config": CONFIG}))  # run.json before it named its kind
    with pytest.raises(KgsynthError, match="older kgsynth"):
        run_of(old, data).open()
    assert run_of(old, data).open(restart=True) is False
    assert sorted(p.name for p in old.iterdir()) == [MARKER]


def test_a_line_cut_short_is_dropped_and_the_file_mended(tmp_path, data):
    run = run_of(tmp_path / "x", data)
    run.open()
    with run.append_jsonl("results.jsonl") as append:
        append([{"id": "a", "n": 1}, {"id": "b", "n": 2}])
        append([{"id": "c", "n": 3}])
    path = run.path("results.jsonl")
    whole = path.read_text()
    path.write_text(whole + '{"id": "d", "n"')  # a crash mid-write
    done = run.read_done("results.jsonl", "id")
    assert list(done) == ["a", "b", "c"]
    assert path.read_text() == whole  # the lines kept byte for byte
    with run.append_jsonl("results.jsonl") as append:
        append([{"id": "d", "n": 4}])
    assert list(run.read_done("results.jsonl", "id")) == ["a", "b", "c", "d"]


def test_a_last_line_without_its_newline_is_mended_before_appending(tmp_path, data):
    run = run_of(tmp_path / "x", data)
    run.open()
    run.path("results.jsonl").write_text('{"id": "a"}\n{"id": "b"}')
    assert list(run.read_done("results.jsonl", "id")) == ["a", "b"]
    assert run.path("results.jsonl").read_text() == '{"id": "a"}\n{"id": "b"}\n'


def test_keep_drops_records_and_mends(tmp_path, data):
    run = run_of(tmp_path / "x", data)
    run.open()
    run.path("lines.jsonl").write_text('{"k": 1}\n[1, 2]\n{"k": 2}\n{"k": 3}\n')
    kept = run.read_jsonl("lines.jsonl", keep=lambda records: [r for r in records if r["k"] != 2])
    assert kept == [{"k": 1}, {"k": 3}]
    assert run.path("lines.jsonl").read_text() == '{"k": 1}\n{"k": 3}\n'
    untouched = run.path("lines.jsonl").stat().st_mtime_ns
    assert run.read_jsonl("lines.jsonl") == kept and run.path("lines.jsonl").stat().st_mtime_ns == untouched
    assert run.read_jsonl("absent.jsonl") == []


def test_write_json_is_stable_and_atomic(tmp_path, data):
    run = run_of(tmp_path / "x", data)
    run.open()
    run.write_json("metrics.json", {"b": 1, "a": [1, 2]})
    assert run.path("metrics.json").read_text() == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'
    assert sorted(p.name for p in run.root.iterdir()) == ["metrics.json", MARKER]
