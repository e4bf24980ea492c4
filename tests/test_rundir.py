"""kgsynth.experiments.rundir: creating, resuming and refusing run directories, and their files."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from kgsynth import __version__
from kgsynth.errors import KgsynthError
from kgsynth.experiments.rundir import MARKER, RunDir
from kgsynth.files import file_sha256

CONFIG = {"limit": 10, "regime": "icl", "splits": ["reversal"]}
ENTRIES = ("results.jsonl", "metrics.json", "lines.jsonl", "checkpoint")  # what the runs of these tests write


@pytest.fixture
def data(tmp_path) -> Path:
    folder = tmp_path / "data"
    (folder / "items").mkdir(parents=True)
    (folder / "manifest.json").write_text('{"seed": 0}\n')
    (folder / "items" / "reversal.jsonl").write_text('{"id": "r1"}\n')
    return folder


def run_of(path: Path, data: Path, **changes) -> RunDir:
    inputs = {"manifest.json": data / "manifest.json", "items/reversal.jsonl": data / "items" / "reversal.jsonl"}
    return RunDir(path, "eval", CONFIG | changes, inputs, ENTRIES)


def test_a_new_run_writes_its_marker(tmp_path, data):
    run = run_of(tmp_path / "runs" / "x", data)
    assert run.open() is False
    marker = json.loads((tmp_path / "runs" / "x" / MARKER).read_text())
    assert marker == {"kind": "eval", "config": CONFIG, "kgsynth_version": __version__, "entries": sorted(ENTRIES),
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


# --- regressions of "Reliability and security" -----------------------------------------------------


def test_a_file_added_to_a_run_is_refused_on_resume_and_restart(tmp_path, data):
    """A run directory holding anything kgsynth did not write is neither resumed nor cleared."""
    run_of(tmp_path / "x", data).open()
    with run_of(tmp_path / "x", data).append_jsonl("results.jsonl") as append:
        append([{"id": "a"}])
    (tmp_path / "x" / "notes.txt").write_text("precious")
    (tmp_path / "x" / "plots").mkdir()
    for restart in (False, True):
        with pytest.raises(KgsynthError) as error:
            run_of(tmp_path / "x", data).open(restart)
        assert str(error.value) == (f"--out {tmp_path / 'x'} holds files kgsynth did not write (notes.txt, plots/); "
                                    "choose another --out")
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == sorted([MARKER, "notes.txt", "plots", "results.jsonl"])
    (tmp_path / "x" / "notes.txt").unlink()
    (tmp_path / "x" / "plots").rmdir()
    assert run_of(tmp_path / "x", data).open() is True


def test_a_marker_that_is_not_kgsynths_proves_nothing(tmp_path, data):
    """Some other tool's run.json: not a run of kgsynth's, even with --restart."""
    for marker in ('[1, 2]\n', '{"name": "my experiment"}\n', '{"config": '):
        other = tmp_path / "other"
        other.mkdir(exist_ok=True)
        (other / MARKER).write_text(marker)
        (other / "model.bin").write_bytes(b"weights")
        for restart in (False, True):
            with pytest.raises(KgsynthError, match="non-empty directory not written by kgsynth"):
                run_of(other, data).open(restart)
        assert (other / "model.bin").read_bytes() == b"weights" and (other / MARKER).read_text() == marker


def test_temporary_files_of_dead_processes_are_removed_when_a_run_opens(tmp_path, data):
    from test_outdir import dead_pid

    run_of(tmp_path / "x", data).open()
    dead, live = dead_pid(), os.getpid()
    stale = [f".results.jsonl.tmp-{dead}", f".metrics.json.tmp-{dead}", f".{MARKER}.tmp-{dead}"]
    kept = [f".metrics.json.tmp-{live}"]
    for name in stale + kept:
        (tmp_path / "x" / name).write_text("half")
    assert run_of(tmp_path / "x", data).open() is True  # staging of ours is no foreign file
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == sorted([MARKER, *kept])


def test_out_in_a_read_only_directory_is_refused_by_check(tmp_path, data, monkeypatch):
    from test_outdir import read_only

    locked = tmp_path / "locked"
    locked.mkdir()
    read_only(locked, monkeypatch)
    try:
        with pytest.raises(KgsynthError, match=f"cannot write --out {locked / 'x'}: {locked} is not a writable directory"):
            run_of(locked / "x", data).check()
    finally:
        locked.chmod(0o755)


def test_a_line_without_its_fields_is_dropped_like_a_cut_one(tmp_path, data):
    """Valid JSON without the record's key (or a field its reader needs) was a KeyError."""
    run = run_of(tmp_path / "x", data)
    run.open()
    run.path("results.jsonl").write_text('{"id": "a", "n": 1}\n{"n": 2}\n{"id": ["b"], "n": 3}\n{"id": "c"}\n'
                                         '{"id": "d", "n": 4}\n')
    assert run.read_done("results.jsonl", "id", ["n"]) == {"a": {"id": "a", "n": 1}, "d": {"id": "d", "n": 4}}
    assert run.path("results.jsonl").read_text() == '{"id": "a", "n": 1}\n{"id": "d", "n": 4}\n'


def test_a_line_cut_inside_a_character_is_dropped(tmp_path, data):
    run = run_of(tmp_path / "x", data)
    run.open()
    whole = '{"id": "a", "text": "ä"}\n'.encode()
    run.path("results.jsonl").write_bytes(whole + '{"id": "b", "text": "ä'.encode()[:-1])
    assert list(run.read_done("results.jsonl", "id")) == ["a"]
    assert run.path("results.jsonl").read_bytes() == whole


def test_augmentation_lines_without_their_fields_send_their_source_back(tmp_path):
    """A candidate line lacking what the audit reads makes its source unfinished (generated again)."""
    from kgsynth.experiments.augment import finished_sources

    done = {"done": True, "candidates": 1}
    records = [{"source_id": "s1", "text": "All x are y.", "verdict": "entailed", "statement": None},
               {"source_id": "s1", **done},
               {"source_id": "s2", "verdict": "entailed"},  # no text
               {"source_id": "s2", **done},
               {"text": "no source", "verdict": "unknown"},
               {"source_id": "s3", "text": "Some x are z.", "verdict": "unknown", "statement": None}]  # no done line
    assert finished_sources(records) == records[:2]


def test_a_full_disk_is_one_line_naming_the_file_and_keeps_what_was_written(tmp_path, data, monkeypatch):
    run = run_of(tmp_path / "x", data)
    run.open()
    with run.append_jsonl("results.jsonl") as append:
        append([{"id": "a"}])
    real = Path.open

    def full(self, mode="r", *args, **kwargs):
        if self.name == "results.jsonl" and "a" in mode:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", full)
    with pytest.raises(KgsynthError, match=f"^cannot write {run.path('results.jsonl')}: No space left on device$"):
        with run.append_jsonl("results.jsonl") as append:
            append([{"id": "b"}])
    monkeypatch.setattr("kgsynth.experiments.rundir.write_json",
                        lambda path, data: (_ for _ in ()).throw(OSError(errno.EROFS, os.strerror(errno.EROFS))))
    with pytest.raises(KgsynthError, match="cannot write .*metrics.json: Read-only file system"):
        run.write_json("metrics.json", {})
    assert run.path("results.jsonl").read_text() == '{"id": "a"}\n'
