"""Run directories: the one way every experiment starts, checks and resumes its output.

A run directory holds run.json, its marker, written first and atomically:

    {"kind": "eval", "config": {...}, "inputs": {name: sha256}, "kgsynth_version": "..."}

kind says what wrote it (eval, augment, finetune, tuning, study); config holds the settings
that make its results what they are; inputs the hash of every file it reads. A rerun with
the same kind, config and inputs resumes; anything else is refused, naming the settings or
the file that differ, unless `restart` clears the directory first. A non-empty directory
without the marker was not written by kgsynth and is never touched.

Results go into the directory as JSON written atomically, or as JSONL appended line by line
and flushed; reading a JSONL file back drops a line cut short by a crash and mends the file.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from .. import __version__
from ..errors import KgsynthError
from ..files import file_sha256, read_json, write_atomic, write_json

MARKER = "run.json"
LEGACY = ("augment.json", "finetune.json", "study.json")  # what marked a run before run.json


class RunDir:
    """One run's directory: `open` checks it and creates or resumes it; the rest reads and writes in it."""

    def __init__(self, path: str | Path, kind: str, config: dict | None = None, inputs: dict[str, Path] | None = None):
        self.root = Path(path)
        self.kind = kind
        self.config = config or {}
        self.inputs = {name: Path(file) for name, file in sorted((inputs or {}).items())}

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
            return True
        self.create()
        return False

    def check(self, restart: bool = False) -> bool:
        """True if the directory holds this very run (resume); False if the run starts afresh
        (no directory, an empty one, or ours with restart). Refuses anything else; writes nothing."""
        if self.root.exists() and not self.root.is_dir():
            raise KgsynthError(f"--out {self.root} exists and is not a directory; choose another")
        if not self.root.is_dir() or not any(self.root.iterdir()):
            return False
        if not self.ours():
            raise KgsynthError(f"--out {self.root} is a non-empty directory not written by kgsynth; choose another")
        if restart:
            return False
        self.compare(self.marker())
        return True

    def ours(self) -> bool:
        return any(self.path(name).is_file() for name in (MARKER, *LEGACY))

    def marker(self) -> dict:
        if not self.path(MARKER).is_file():
            raise KgsynthError(f"{self.root} was written by an older kgsynth (it has no {MARKER}); "
                               "choose another --out or pass --restart")
        return read_json(self.path(MARKER))

    def compare(self, previous: dict) -> None:
        """Refuse to resume a run of another kind, with other settings or changed inputs."""
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
        if self.root.is_dir() and any(self.root.iterdir()):
            if not self.ours():
                raise KgsynthError(f"--out {self.root} is a non-empty directory not written by kgsynth; choose another")
            for child in self.root.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        self.root.mkdir(parents=True, exist_ok=True)
        self.write_json(MARKER, {"kind": self.kind, "config": self.config, "inputs": hashes,
                                 "kgsynth_version": __version__})

    # -- files in the run ----------------------------------------------------------------------

    def write_json(self, name: str, data) -> Path:
        """name as stable JSON (sorted keys, indented), replaced in one rename."""
        path = self.path(name)
        write_json(path, data)
        return path

    @contextmanager
    def append_jsonl(self, name: str, ensure_ascii: bool = True) -> Iterator[Callable[[Iterable[dict]], None]]:
        """A writer of records: each call appends one line per record and flushes them."""
        with self.path(name).open("a", encoding="utf-8") as handle:
            def append(records: Iterable[dict]) -> None:
                handle.write("".join(json.dumps(r, sort_keys=True, ensure_ascii=ensure_ascii) + "\n" for r in records))
                handle.flush()

            yield append

    def read_jsonl(self, name: str, keep: Callable[[list[dict]], list[dict]] | None = None) -> list[dict]:
        """The records of a JSONL file of the run ([] if there is none). A line cut short by a
        crash is dropped, and so is every record `keep` (records -> those to keep) leaves out;
        the file is then rewritten, in one rename, with the lines kept as they were."""
        path = self.path(name)
        if not path.is_file():
            return []
        text = path.read_text(encoding="utf-8")
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
            write_atomic(path, "".join(line + "\n" for line, _ in kept).encode())
        return [r for _, r in kept]

    def read_done(self, name: str, key: str) -> dict:
        """key -> record of what a JSONL file of the run holds (the last record of a key wins)."""
        return {r[key]: r for r in self.read_jsonl(name, keep=lambda records: [r for r in records if key in r])}


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
