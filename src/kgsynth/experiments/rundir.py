"""Run directories: the one way every experiment starts, checks and resumes its output.

A run directory holds run.json, its marker, written first and atomically:

    {"kind": "eval", "config": {...}, "inputs": {name: sha256}, "entries": [...], "kgsynth_version": "..."}

kind says what wrote it (eval, augment, finetune, tuning, study); config holds the settings
that make its results what they are; inputs the hash of every file it reads; entries the
names of the top-level files and folders a run of its kind writes. A rerun with the same
kind, config and inputs resumes; anything else is refused, naming the settings or the file
that differ, unless `restart` clears the directory first.

The rule for --out: a directory is resumed or cleared (--restart) only when kgsynth can
prove it wrote it and nothing else is inside. Proof is a run.json (or the marker of an older
kgsynth) that parses as kgsynth's; inside, only the marker, the entries of the run's kind
and their staging (.NAME.tmp-PID…, .NAME.old-PID…) may be found. Anything else, and the
command stops with one line naming up to three of the names, touching nothing. Staging left
by a process that is gone is removed when the run opens; that of a live one never is.
--out is checked (a file? a foreign or another run? a place that cannot be written?) before
any model loads: `check` writes nothing.

Results go into the directory as JSON written atomically, or as JSONL appended line by line
and flushed; reading a JSONL file back drops a line cut short by a crash (or one without the
fields its reader needs) and mends the file. A write that fails (disk full, read-only) stops
the run with one line naming the file; what was written before stays.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import cached_property
from pathlib import Path

from .. import __version__
from ..data.outdir import check_writable, clean_stale, foreign_paths, listing, staging_of, writing
from ..errors import KgsynthError, OutputError
from ..files import file_sha256, read_json, write_atomic, write_json

MARKER = "run.json"
LEGACY = ("augment.json", "finetune.json", "study.json")  # what marked a run before run.json


class RunDir:
    """One run's directory: `open` checks it and creates or resumes it; the rest reads and writes in it.
    `entries`: the names of the top-level files and folders a run of this kind writes."""

    def __init__(self, path: str | Path, kind: str, config: dict | None = None, inputs: dict[str, Path] | None = None,
                 entries: Iterable[str] = ()):
        self.root = Path(path)
        self.kind = kind
        self.config = config or {}
        self.inputs = {name: Path(file) for name, file in sorted((inputs or {}).items())}
        self.entries = sorted(set(entries))

    def __str__(self) -> str:
        return str(self.root)

    def path(self, name: str) -> Path:
        return self.root / name

    @cached_property
    def hashes(self) -> dict[str, str]:
        found = {}
        for name, file in self.inputs.items():
            try:
                found[name] = file_sha256(file)
            except OSError as exc:
                raise KgsynthError(f"cannot read {file}: {exc.strerror or exc}") from None
        return found

    # -- create, resume, refuse ------------------------------------------------------------

    def open(self, restart: bool = False) -> bool:
        """Resume the run this directory holds (True), or start it afresh (False): create the
        directory, or empty it (restart), and write the marker."""
        if self.check(restart):
            clean_stale(self.root, self.allowed(self.record()))
            return True
        self.create()
        return False

    def check(self, restart: bool = False) -> bool:
        """True if the directory holds this very run (resume); False if the run starts afresh
        (no directory, an empty one, or ours with restart). Refuses anything else; writes nothing."""
        if self.root.exists() and not self.root.is_dir():
            raise OutputError(f"--out {self.root} exists and is not a directory; choose another --out")
        check_writable(self.root, str(self.root))
        if not self.root.is_dir() or not any(self.root.iterdir()):
            return False
        previous = self.claim()
        if restart:
            return False
        self.compare(previous)
        return True

    def record(self) -> dict | None:
        """The marker's content (run.json, or the marker of an older kgsynth), or None if there is
        no marker that parses as kgsynth's."""
        for name in (MARKER, *LEGACY):
            if self.path(name).is_file():
                with suppress(KgsynthError):
                    found = read_json(self.path(name))
                    if isinstance(found, dict) and ("config" in found or "kgsynth_version" in found):
                        return found | {"marker": name}
                return None
        return None

    def allowed(self, record: dict | None) -> set[str]:
        """The top-level names a run directory of kgsynth may hold: the markers, and the entries
        recorded in run.json and those of this run's kind."""
        recorded = (record or {}).get("entries")
        recorded = [name for name in recorded if isinstance(name, str)] if isinstance(recorded, list) else []
        return {MARKER, *LEGACY, *recorded, *self.entries}

    def claim(self) -> dict | None:
        """The marker of the run this non-empty directory holds; refuses a directory kgsynth cannot
        prove it wrote, or one that holds anything else (a file a user added)."""
        record = self.record()
        if record is None:
            found = foreign_paths(self.root, {})
            raise OutputError(f"--out {self.root} is a non-empty directory not written by kgsynth "
                              f"({listing(found)}); choose another --out")
        allowed = self.allowed(record)
        foreign = sorted(child.name + ("/" if child.is_dir() and not child.is_symlink() else "")
                         for child in self.root.iterdir() if child.name not in allowed
                         and not staging_of(child.name, allowed))
        if foreign:
            raise OutputError(f"--out {self.root} holds files kgsynth did not write ({listing(foreign)}); "
                              "choose another --out")
        return record if record["marker"] == MARKER else None

    def compare(self, previous: dict | None) -> None:
        """Refuse to resume a run of another kind, with other settings or changed inputs."""
        if previous is None:
            raise KgsynthError(f"{self.root} was written by an older kgsynth (it has no {MARKER}); "
                               "choose another --out or pass --restart")
        kind = previous.get("kind")
        if kind is None:
            raise KgsynthError(f"{self.root} was written by an older kgsynth (its {MARKER} names no kind of run); "
                               "choose another --out or pass --restart")
        if kind != self.kind:
            raise KgsynthError(f"{self.root} holds {article(kind)} {kind} run, not {article(self.kind)} {self.kind} run; "
                               "choose another --out or pass --restart")
        differing = differences(self.config, previous.get("config") or {})
        if differing:
            raise KgsynthError(f"{self.root} holds another {self.kind} run ({differing}); "
                               "choose another --out or pass --restart")
        recorded = previous.get("inputs") or {}
        for name in sorted(set(self.inputs) | set(recorded)):
            if self.hashes.get(name) != recorded.get(name):
                raise KgsynthError(f"{self.inputs.get(name, name)} changed since {self.root} was started; "
                                   "choose another --out or pass --restart")

    def create(self) -> None:
        """Start afresh: an empty directory (ours emptied; never a foreign one) with the marker."""
        hashes = self.hashes  # an input that cannot be read stops the run before anything changes
        with writing(self.root):
            if self.root.is_dir() and any(self.root.iterdir()):
                self.claim()
                for child in self.root.iterdir():
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child)
                    else:
                        child.unlink()
            self.root.mkdir(parents=True, exist_ok=True)
        self.write_json(MARKER, {"kind": self.kind, "config": self.config, "inputs": hashes, "entries": self.entries,
                                 "kgsynth_version": __version__})

    # -- files in the run ----------------------------------------------------------------------

    def write_json(self, name: str, data) -> Path:
        """name as stable JSON (sorted keys, indented), replaced in one rename."""
        path = self.path(name)
        with writing(path):
            write_json(path, data)
        return path

    @contextmanager
    def append_jsonl(self, name: str, ensure_ascii: bool = True) -> Iterator[Callable[[Iterable[dict]], None]]:
        """A writer of records: each call appends one line per record and flushes them."""
        path = self.path(name)
        with writing(path):
            handle = path.open("a", encoding="utf-8")

        def append(records: Iterable[dict]) -> None:
            text = "".join(json.dumps(r, sort_keys=True, ensure_ascii=ensure_ascii) + "\n" for r in records)
            with writing(path):
                handle.write(text)
                handle.flush()

        try:
            yield append
        except BaseException:
            with suppress(OSError):
                handle.close()
            raise
        with writing(path):
            handle.close()

    def read_jsonl(self, name: str, keep: Callable[[list[dict]], list[dict]] | None = None) -> list[dict]:
        """The records of a JSONL file of the run ([] if there is none). A line cut short by a
        crash is dropped, and so is every record `keep` (records -> those to keep) leaves out;
        the file is then rewritten, in one rename, with the lines kept as they were."""
        path = self.path(name)
        if not path.is_file():
            return []
        text = path.read_text(encoding="utf-8", errors="replace")
        lines = text.splitlines()
        parsed = []
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                parsed.append((line, record))
        kept_ids = {id(r) for r in (keep([r for _, r in parsed]) if keep else [r for _, r in parsed])}
        kept = [(line, r) for line, r in parsed if id(r) in kept_ids]
        if len(kept) != len(lines) or (text and not text.endswith("\n")):
            with writing(path):
                write_atomic(path, "".join(line + "\n" for line, _ in kept).encode())
        return [r for _, r in kept]

    def read_done(self, name: str, key: str, fields: Iterable[str] = ()) -> dict:
        """key -> record of what a JSONL file of the run holds (the last record of a key wins). A
        record without a string `key`, or without one of `fields`, is dropped like a line cut short."""
        needed = (key, *fields)

        def whole(records: list[dict]) -> list[dict]:
            return [r for r in records if isinstance(r.get(key), str) and all(f in r for f in needed)]

        return {r[key]: r for r in self.read_jsonl(name, keep=whole)}


def identity_of(settings: dict, added: dict) -> dict:
    """`settings` without those in `added` (settings a later version introduced) while they hold
    the value that means "as before": what runs written before them recorded still matches."""
    return {k: v for k, v in settings.items() if k not in added or added[k] != v}


def differences(here: dict, there: dict) -> str:
    """'limit 10 here, 20 there; seed 0 here, 1 there' for the settings that differ."""
    found = []
    for key in sorted(set(here) | set(there)):
        if here.get(key) != there.get(key):
            found.append(f"{key} {show(key, here.get(key))} here, {show(key, there.get(key))} there")
    return "; ".join(found)


def show(key: str, value) -> str:
    if value is None:
        return "none"
    if isinstance(value, str):
        return value[:12] + "…" if key.endswith("sha256") else value
    return json.dumps(value, sort_keys=True)


def article(word: str) -> str:
    return "an" if word[:1] in ("a", "e", "i", "o", "u") else "a"
