"""Reading and writing the files every stage shares: JSON, JSONL, hashes, atomic writes."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

from .errors import KgsynthError


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_digest(files: dict[str, Path]) -> str:
    """One digest of named files' contents (name -> path): equal exactly when every file is."""
    return sha256(json_bytes({name: file_sha256(path) for name, path in files.items()}))


def json_bytes(data) -> bytes:
    """Stable JSON: sorted keys, indented, one trailing newline."""
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def jsonl_bytes(records: Iterable[dict]) -> bytes:
    return "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in records).encode()


def write_atomic(path: Path, content: bytes) -> None:
    """Replace one file in a single rename: readers see the old bytes or the new, never half."""
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        temporary.write_bytes(content)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_json(path: Path, data) -> None:
    write_atomic(path, json_bytes(data))


def did_you_mean(path: str | Path) -> str:
    """'; did you mean runs/semantic?' for a path that does not exist but has a near-namesake
    (the nearest missing folder on its way is the one compared); '' otherwise."""
    path = Path(path)
    while not path.parent.exists() and path.parent != path.parent.parent:
        path = path.parent
    if path.exists() or not path.parent.is_dir():
        return ""
    try:
        names = sorted(p.name for p in path.parent.iterdir())
    except OSError:
        return ""
    near = difflib.get_close_matches(path.name, names, n=1, cutoff=0.7)
    return f"; did you mean {path.parent / near[0]}?" if near else ""


def read_json(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        missing = did_you_mean(Path(path).parent) or f": is {Path(path).parent} a directory written by kgsynth?"
        raise KgsynthError(f"{path} is missing{missing}") from None
    except json.JSONDecodeError as exc:
        raise KgsynthError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None


def read_jsonl(path: Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise KgsynthError(f"{path} is missing: is {path.parent} a directory written by kgsynth?")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise KgsynthError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
    return records
