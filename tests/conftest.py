"""Shared fixtures (kgsynth itself is installed: `pip install -e .`)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def synthesized():
    """synthesized(name, seed=7, lexicon_seed=None) -> helpers.Synth, each built once per session."""
    from helpers import SynthCache

    return SynthCache()


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """A tiny random Gemma 3 with the embedded model's tokenizer, as a directory (tiny_hf.py)."""
    from tiny_hf import tiny_gemma_dir

    return tiny_gemma_dir(tmp_path_factory.mktemp("tiny") / "model")
