"""Make `kgsynth` importable from a plain checkout (CI installs it with `pip install -e`)."""

from __future__ import annotations

import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def synthesized():
    """synthesized(name, seed=7, lexicon_seed=None) -> helpers.Synth, each built once per session."""
    from helpers import SynthCache

    return SynthCache()
