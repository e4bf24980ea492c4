"""Write a whole output directory atomically: all of it appears, or nothing changes."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..errors import OutputError

MARKER = "manifest.json"  # a directory holding this was written by kgsynth


class OutputDir:
    """Stage files in a sibling temp directory, then swap it in with renames."""

    def __init__(self, target: str | Path):
        self.target = Path(target)
        if self.target.exists() and not self.target.is_dir():
            raise OutputError(f"--out {self.target} exists and is not a directory")
        if self.target.is_dir() and any(self.target.iterdir()) and not (self.target / MARKER).exists():
            raise OutputError(f"--out {self.target} is a non-empty directory not written by kgsynth; choose another")
        self.parent = self.target.resolve().parent
        existing = next(p for p in (self.parent, *self.parent.parents) if p.exists())
        if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
            raise OutputError(f"cannot write --out {self.target}: {existing} is not a writable directory")
        self.staging: Path | None = None

    def write(self, files: dict[str, bytes]) -> None:
        """Create the parents and a staging directory only now, so a failed run leaves no trace."""
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
            self.staging = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-", dir=self.parent))
            for name, content in files.items():
                path = self.staging / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
            self.swap()
        except OSError as exc:
            self.discard()
            raise OutputError(f"cannot write --out {self.target}: {exc.strerror or exc}") from None
        except BaseException:  # an interrupt mid-write leaves no staging directory behind either
            self.discard()
            raise

    def swap(self) -> None:
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
            os.replace(self.target, old)
        os.replace(self.staging, self.target)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.target, 0o777 & ~umask)  # mkdtemp made it private
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
