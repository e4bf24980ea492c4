"""Shared fixtures (kgsynth itself is installed: `pip install -e .`)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def synthesized():
    """synthesized(name, seed=7, lexicon_seed=None) -> helpers.Synth, each built once per session."""
    from helpers import SynthCache

    return SynthCache()
