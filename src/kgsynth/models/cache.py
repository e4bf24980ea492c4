"""Where kgsynth keeps what it can rebuild: converted checkpoints, model responses.

$KGSYNTH_CACHE, or ~/.cache/kgsynth.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    return Path(os.environ.get("KGSYNTH_CACHE") or Path.home() / ".cache" / "kgsynth")
