"""Write a whole output directory atomically: all of it appears, or nothing changes.

The rule for --out: a directory is replaced only when kgsynth can prove it wrote it and
nothing else is inside; otherwise the command stops with one line and exits 2, touching
nothing. The proof is the directory's marker (manifest.json for `synth`, report.json for
`report`): JSON naming the kgsynth version and every output, by path relative to the
directory, with its sha256. The directory, walked recursively, must hold exactly those
files and the marker, each with the bytes the marker names: a file or folder a user added,
a file edited by hand, a symbolic link, or a marker that is not kgsynth's, and --out is
refused naming up to three such paths. An absent or empty directory is a fine --out.
--out is resolved first: a symbolic link is followed, the new output is staged next to the
link's target and swapped in there (the link then points at it); the current directory, or
one holding it, is refused.

Staging and the previous output sit beside the target as .NAME.tmp-PID-XXXX and
.NAME.old-PID-XXXX while a write is under way. A later write removes those whose process
is gone (a run killed mid-write), never those of a live process. Writers take turns at the
swap (an exclusive lock on the parent directory) and check the target again once they hold
it, so concurrent runs leave one whole output.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ..errors import OutputError
from ..files import file_sha256

MARKER = "manifest.json"  # the marker of a synth output
STAGING = re.compile(r"^\.(?P<name>.+)\.(?:tmp|old)-(?P<pid>\d+)(?:-[A-Za-z0-9_]+)?$")
NAMED = 3  # foreign paths a refusal names
MAX_MARKER = 64 << 20  # bytes: a bigger "marker" is not one kgsynth wrote


# -- staging left by others ------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    """True unless no process has this id (a process of another user counts as alive)."""
    if pid <= 0:
        return True  # not a process id: os.kill would signal a whole group
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def stale_entries(directory: Path, names: Iterable[str]) -> list[Path]:
    """The .NAME.tmp-PID… and .NAME.old-PID… entries of `directory` (NAME in `names`) whose process is gone."""
    names = set(names)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return []
    return [Path(e.path) for e in entries
            if (m := STAGING.match(e.name)) and m["name"] in names and not pid_alive(int(m["pid"]))]


def staging_of(name: str, names: Iterable[str]) -> bool:
    """True if `name` is the staging (.NAME.tmp-PID…, .NAME.old-PID…) of one of `names`."""
    m = STAGING.match(name)
    return bool(m) and m["name"] in set(names)


def remove(path: Path) -> None:
    """Remove a file, link or directory tree; whatever cannot be removed stays."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(OSError):
            path.unlink()


def clean_stale(directory: Path, names: Iterable[str]) -> None:
    for path in stale_entries(directory, names):
        remove(path)


# -- checks ------------------------------------------------------------------------------------


@contextmanager
def writing(path: Path | str) -> Iterator[None]:
    """Turn an OSError inside (disk full, read-only, no permission) into one OutputError naming `path`."""
    try:
        yield
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def check_writable(directory: Path, shown: str) -> None:
    """Refuse --out `shown` unless `directory`, or its nearest existing ancestor, is a writable directory."""
    existing = next(p for p in (directory, *directory.parents) if os.path.lexists(p))
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write --out {shown}: {existing} is not a writable directory")


def marker_outputs(path: Path) -> dict[str, str] | None:
    """The outputs a kgsynth marker lists (relative path -> sha256), or None if `path` is not one."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_MARKER:
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    outputs = data.get("outputs") if isinstance(data, dict) and "kgsynth_version" in data else None
    if not isinstance(outputs, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in outputs.items()):
        return None
    return outputs


def foreign_paths(root: Path, expected: dict[str, str | None], limit: int = NAMED + 1) -> list[str]:
    """Up to `limit` paths under `root` (a sorted walk, links not followed) that are not the
    `expected` files (relative path -> sha256, None: any bytes): 'notes.txt', 'src/', 'kb.ttl (edited)'."""
    folders = {"/".join(name.split("/")[:i]) for name in expected for i in range(1, name.count("/") + 1)}
    found: list[str] = []

    def walk(directory: str, prefix: str) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            found.append(prefix or ".")
            return
        for entry in entries:
            if len(found) >= limit:
                return
            name = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                before = len(found)
                walk(entry.path, name + "/")
                if name not in folders and len(found) == before:
                    found.append(name + "/")  # a folder of the user's, empty
            elif name not in expected:
                found.append(name)
            elif not entry.is_file(follow_symlinks=False) or not same_bytes(entry.path, expected[name]):
                found.append(f"{name} (edited)")

    walk(str(root), "")
    return found[:limit]


def same_bytes(path: str, digest: str | None) -> bool:
    try:
        return digest is None or file_sha256(Path(path)) == digest
    except OSError:
        return False


def listing(paths: list[str]) -> str:
    return ", ".join(paths[:NAMED]) + (", …" if len(paths) > NAMED else "")


@contextmanager
def turn(directory: Path) -> Iterator[None]:
    """An exclusive lock on `directory`, so that writers of outputs in it take turns (none where
    the system or the filesystem has no locks)."""
    try:
        import fcntl
    except ImportError:
        fcntl = None
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        if fcntl is not None:
            with suppress(OSError):
                fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


# -- the writer --------------------------------------------------------------------------------


class OutputDir:
    """Stage files in a sibling temp directory, then swap it in with renames. `marker` is the
    file (among those written) that lists the others with their hashes."""

    def __init__(self, target: str | Path, marker: str = MARKER):
        self.shown = str(target)
        self.marker = marker
        try:
            self.target = Path(target).resolve()  # a link is followed: its target is replaced
        except (RuntimeError, OSError):
            raise OutputError(f"--out {self.shown} is a loop of symbolic links; choose another --out") from None
        if not self.target.name:
            raise OutputError(f"--out {self.shown} is the root directory; choose another --out")
        with suppress(OSError):
            here = Path.cwd().resolve()
            if here == self.target or self.target in here.parents:
                where = "is" if here == self.target else "holds"
                raise OutputError(f"--out {self.shown} {where} the current directory; run from outside it")
        self.parent = self.target.parent
        self.staging: Path | None = None
        self.check()

    def check(self) -> None:
        """Refuse a target that is not a directory, or one kgsynth cannot prove it wrote, or an unwritable place."""
        if os.path.lexists(self.target) and not self.target.is_dir():
            raise OutputError(f"--out {self.shown} exists and is not a directory; choose another --out")
        if self.target.is_dir():
            outputs = marker_outputs(self.target / self.marker)
            if outputs is None:
                found = foreign_paths(self.target, {})
                if found:
                    raise OutputError(f"--out {self.shown} is a non-empty directory not written by kgsynth "
                                      f"({listing(found)}); choose another --out")
            else:
                found = foreign_paths(self.target, outputs | {self.marker: None})
                if found:
                    raise OutputError(f"--out {self.shown} holds files kgsynth did not write ({listing(found)}); "
                                      "choose another --out")
        check_writable(self.parent, self.shown)

    def write(self, files: dict[str, bytes]) -> None:
        """Create the parents and a staging directory only now, so a failed run leaves no trace."""
        old = None
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
            clean_stale(self.parent, [self.target.name])
            self.staging = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-{os.getpid()}-", dir=self.parent))
            for name, content in files.items():
                path = self.staging / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
            with turn(self.parent):
                self.check()  # again, now that no other kgsynth can swap: still absent, empty or ours
                old = self.swap()
        except OSError as exc:
            self.discard()
            raise OutputError(f"cannot write --out {self.shown}: {exc.strerror or exc}") from None
        except BaseException:  # an interrupt mid-write leaves no staging directory behind either
            self.discard()
            raise
        if old is not None:
            remove(old)

    def swap(self) -> Path | None:
        """Move the previous output aside and the staging in its place; returns where the previous went."""
        old = None
        if os.path.lexists(self.target):
            old = self.parent / f".{self.target.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
            os.replace(self.target, old)
        try:
            os.replace(self.staging, self.target)
        except OSError:
            if old is not None:
                os.replace(old, self.target)  # the previous output back in place
            raise
        self.staging = None
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.target, 0o777 & ~umask)  # mkdtemp made it private
        return old

    def discard(self) -> None:
        if self.staging is not None:
            remove(self.staging)
            self.staging = None
