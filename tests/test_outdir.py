"""kgsynth.data.outdir and `synth --out`: a directory is replaced only when kgsynth can prove it
wrote it and nothing else is inside; symbolic links, the current directory, staging left by
killed runs, concurrent writers, a full disk and running out of memory.

Regression tests of the issue "Reliability and security"; the hostile folders are made here."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kgsynth import cli
from kgsynth.data.outdir import OutputDir, pid_alive, stale_entries
from kgsynth.errors import OutputError

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontologies" / "syllogisms.ttl"


def tree(path: Path) -> dict[str, str]:
    """Every entry under `path` by relative name -> sha256, '<dir>' or '-> target' (links not followed)."""
    found = {}
    for p in sorted(path.rglob("*")):
        name = str(p.relative_to(path))
        if p.is_symlink():
            found[name] = f"-> {os.readlink(p)}"
        elif p.is_dir():
            found[name] = "<dir>"
        else:
            found[name] = hashlib.sha256(p.read_bytes()).hexdigest()
    return found


def synth_in_process(capsys, out, *more: str) -> tuple[int, str]:
    """`kgsynth synth` on syllogisms, in this process: (exit status, stderr)."""
    capsys.readouterr()
    status = cli.main(["synth", "--ontology", str(ONTOLOGY), "--out", str(out), *more])
    return status, capsys.readouterr().err


def synth_process(out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "cli.py", "synth", "--ontology", str(ONTOLOGY), "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def one_line(status: int, err: str, *mentions: str) -> str:
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kgsynth: error: "), err
    for mention in mentions:
        assert mention in lines[0], f"{mention!r} not in {lines[0]!r}"
    return lines[0]


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    pid = subprocess.Popen(["true"])
    pid.wait()
    assert not pid_alive(pid.pid)
    return pid.pid


def read_only(directory: Path, monkeypatch) -> None:
    """Make `directory` read-only for kgsynth; as root (who may write anyway) os.access is made to say so."""
    directory.chmod(0o555)
    if os.geteuid() == 0:
        real = os.access

        def access(path, mode, **kwargs):
            inside = Path(os.path.abspath(path)) == directory or directory in Path(os.path.abspath(path)).parents
            return not (inside and mode & os.W_OK) and real(path, mode, **kwargs)

        monkeypatch.setattr(os, "access", access)


@pytest.fixture
def earlier(tmp_path) -> Path:
    """An output written by synth."""
    out = tmp_path / "out"
    outputs = {"kb.ttl": b"kb\n", "items/a.jsonl": b"{}\n"}
    OutputDir(out).write({**outputs, "manifest.json": manifest(outputs)})
    return out


def manifest(outputs: dict[str, bytes]) -> bytes:
    hashes = {name: hashlib.sha256(content).hexdigest() for name, content in outputs.items()}
    return json.dumps({"kgsynth_version": "0", "outputs": hashes}).encode()


# --- whose directory is it ----------------------------------------------------------------------


def test_a_folder_holding_someone_elses_manifest_is_refused(tmp_path, capsys):
    """A browser extension: manifest.json, README.md, src/background.js. synth replaced it (exit 0)."""
    extension = tmp_path / "extension"
    (extension / "src").mkdir(parents=True)
    (extension / "manifest.json").write_text('{"manifest_version": 3, "name": "tabs", "version": "1.0"}\n')
    (extension / "README.md").write_text("# my extension\n")
    (extension / "src" / "background.js").write_text("chrome.tabs.query({}, () => {});\n")
    before = tree(extension)
    line = one_line(*synth_in_process(capsys, extension), f"--out {extension}", "not written by kgsynth",
                    "README.md", "src/background.js", "choose another --out")
    assert line.endswith("choose another --out")
    assert tree(extension) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extension"]  # no staging left


def test_a_file_added_to_an_earlier_output_is_refused_naming_it(tmp_path, capsys):
    """Files a user added inside an earlier output vanished silently on the next synth."""
    out = tmp_path / "out"
    assert synth_in_process(capsys, out)[0] == 0
    (out / "notes.txt").write_text("my notes\n")
    (out / "items" / "mine.jsonl").write_text("{}\n")
    (out / "plots").mkdir()
    before = tree(out)
    one_line(*synth_in_process(capsys, out, "--seed", "1"),
             f"--out {out} holds files kgsynth did not write (items/mine.jsonl, notes.txt, plots/); choose another --out")
    assert tree(out) == before


def test_a_hand_edited_output_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    assert synth_in_process(capsys, out)[0] == 0
    with (out / "kb.ttl").open("a") as handle:
        handle.write("# my comment\n")
    before = tree(out)
    one_line(*synth_in_process(capsys, out, "--seed", "1"), "holds files kgsynth did not write (kb.ttl (edited))")
    assert tree(out) == before


def test_an_untouched_earlier_output_is_replaced(tmp_path, capsys):
    out = tmp_path / "out"
    assert synth_in_process(capsys, out)[0] == 0
    first = tree(out)
    assert synth_in_process(capsys, out, "--seed", "1")[0] == 0
    assert tree(out) != first and set(tree(out)) == set(first)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_markers_that_prove_nothing(earlier):
    """A manifest without kgsynth's fields, or a link among the outputs, is no proof."""
    (earlier / "manifest.json").write_text('{"kgsynth_version": "0.1.0"}\n')  # no outputs map
    with pytest.raises(OutputError, match="not written by kgsynth"):
        OutputDir(earlier)
    (earlier / "manifest.json").write_bytes(manifest({"kb.ttl": b"kb\n", "items/a.jsonl": b"{}\n"}))
    OutputDir(earlier)  # ours again
    (earlier / "kb.ttl").unlink()
    (earlier / "kb.ttl").symlink_to("/etc/hostname")
    with pytest.raises(OutputError, match=r"\(kb.ttl \(edited\)\)"):
        OutputDir(earlier)
    (earlier / "kb.ttl").unlink()
    OutputDir(earlier)  # a missing output loses the user nothing
    for name in ("a", "b", "c", "d"):
        (earlier / name).write_text("x")
    with pytest.raises(OutputError, match=r"\(a, b, c, …\)"):
        OutputDir(earlier)


# --- where --out points -----------------------------------------------------------------------


def test_a_symlinked_out_is_written_at_its_target(tmp_path, capsys):
    """An --out that was a link was replaced by a real directory, leaving a dangling .…old-PID link."""
    store, links = tmp_path / "store", tmp_path / "links"
    store.mkdir()
    links.mkdir()
    assert synth_in_process(capsys, store / "real")[0] == 0
    (links / "out").symlink_to(store / "real")
    assert synth_in_process(capsys, links / "out", "--seed", "1")[0] == 0
    assert (links / "out").is_symlink() and os.readlink(links / "out") == str(store / "real")
    assert sorted(p.name for p in links.iterdir()) == ["out"]
    assert sorted(p.name for p in store.iterdir()) == ["real"]
    assert json.loads((store / "real" / "manifest.json").read_text())["seed"] == 1
    (links / "new").symlink_to(store / "later")  # a link to nothing yet: the output goes where it points
    assert synth_in_process(capsys, links / "new")[0] == 0
    assert (store / "later" / "manifest.json").is_file() and (links / "new").is_symlink()


def test_a_loop_of_links_is_one_line(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(OutputError, match=f"--out {tmp_path / 'a'} is a loop of symbolic links"):
        OutputDir(tmp_path / "a")


def test_out_dot_inside_an_earlier_output_is_one_line(tmp_path, capsys, monkeypatch):
    """`synth --out .` inside an earlier output: ValueError: PosixPath('.') has an empty name."""
    out = tmp_path / "out"
    assert synth_in_process(capsys, out)[0] == 0
    before = tree(out)
    monkeypatch.chdir(out)
    one_line(*synth_in_process(capsys, "."), "--out . is the current directory; run from outside it")
    monkeypatch.chdir(out / "items")
    one_line(*synth_in_process(capsys, ".."), "--out .. holds the current directory; run from outside it")
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_out_in_a_read_only_directory_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    read_only(locked, monkeypatch)
    monkeypatch.setattr("kgsynth.data.synth.create_dataset", lambda *a, **k: pytest.fail("worked before checking --out"))
    try:
        one_line(*synth_in_process(capsys, locked / "out"), f"cannot write --out {locked / 'out'}",
                 f"{locked} is not a writable directory")
    finally:
        locked.chmod(0o755)
    assert list(locked.iterdir()) == []


# --- failures while writing ------------------------------------------------------------------


def test_a_full_disk_leaves_the_earlier_output_and_no_staging(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    assert synth_in_process(capsys, out)[0] == 0
    before = tree(out)
    real = Path.write_bytes

    def write_bytes(self, data):
        if ".out.tmp-" in str(self) and self.name == "documents.jsonl":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    one_line(*synth_in_process(capsys, out, "--seed", "1"), f"cannot write --out {out}: No space left on device")
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_out_of_memory_is_one_line(tmp_path, capsys, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("kgsynth.data.synth.create_dataset", exhausted)
    one_line(*synth_in_process(capsys, tmp_path / "out"), "out of memory while running synth")
    assert list(tmp_path.iterdir()) == []


# --- leftovers and concurrent writers -----------------------------------------------------------


def test_staging_of_dead_processes_is_removed_and_of_live_ones_kept(tmp_path):
    """After SIGKILL, .DIR.tmp-* and .DIR.old-* stayed forever; a live writer's must not be touched."""
    out = tmp_path / "out"
    dead, live = dead_pid(), os.getpid()  # this test's process is alive while synth runs in another
    leftovers = [f".out.tmp-{dead}-abcd1234", f".out.old-{dead}-0f0f0f0f", f".out.old-{dead}"]
    kept = [f".out.tmp-{live}-abcd1234", f".out.old-{live}-12345678", f".other.tmp-{dead}-abcd1234", "notes.txt"]
    for name in leftovers + kept[:3]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "closure.ttl").write_text("8.6 MB of it\n")
    (tmp_path / "notes.txt").write_text("mine\n")
    assert [p.name for p in stale_entries(tmp_path, ["out"])] == sorted(leftovers)
    done = synth_process(out)
    assert done.wait(timeout=120) == 0, done.stderr.read()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", *kept])


def test_concurrent_writers_leave_one_whole_output(tmp_path):
    reference = tmp_path / "reference"
    assert synth_process(reference).wait(timeout=120) == 0
    expected = tree(reference)
    for round in range(3):
        out = tmp_path / f"out{round}"
        if round == 2:
            assert synth_process(out).wait(timeout=120) == 0  # and over an earlier output
        writers = [synth_process(out) for _ in range(2)]
        results = [(w.wait(timeout=180), w.stderr.read()) for w in writers]
        for status, err in results:
            assert status == 0 or (status == 2 and len(err.strip().splitlines()) == 1 and "kgsynth: error:" in err), err
        assert any(status == 0 for status, _ in results)
        assert tree(out) == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out0", "out1", "out2", "reference"]


def test_writers_take_turns_at_the_swap(earlier, monkeypatch):
    """Two writers at once, the first slow between moving the earlier output aside and putting its
    own in place: the second waits its turn instead of failing or leaving a .out.old-PID behind."""
    import threading
    import time

    outputs = {name: {"kb.ttl": f"{name}\n".encode(), "items/a.jsonl": b"{}\n"} for name in ("a", "b")}
    files = {name: {**found, "manifest.json": manifest(found)} for name, found in outputs.items()}
    real, moved = os.replace, threading.Event()

    def replace(source, target):
        real(source, target)
        if Path(source) == earlier and not moved.is_set():
            moved.set()
            time.sleep(0.5)  # the window another writer used to fall into

    monkeypatch.setattr(os, "replace", replace)
    errors = []

    def write(name):
        try:
            OutputDir(earlier).write(files[name])
        except Exception as exc:  # noqa: BLE001 (collected for the assertion)
            errors.append(exc)

    first = threading.Thread(target=write, args=("a",))
    first.start()
    assert moved.wait(10)
    second = threading.Thread(target=write, args=("b",))
    second.start()
    first.join(20)
    second.join(20)
    assert errors == []
    assert {p: h for p, h in tree(earlier).items() if h != "<dir>"} == {
        name: hashlib.sha256(content).hexdigest() for name, content in files["b"].items()}
    assert sorted(p.name for p in earlier.parent.iterdir()) == ["out"]
