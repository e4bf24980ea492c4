"""The whole `synth` job: ontology → world → oracle → names → documents → items → files."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from .documents import build_corpus
from .export import counts, dataset_files, synth_files
from .items import build_items
from .lexicon import LexiconConfig
from .naming import name_world
from .ontology import load_schema
from .oracle import Oracle
from .outdir import OutputDir
from .world import build_world


def synthesize(ontology: str | Path, seed: int, out: str | Path, keep_labels: bool = False,
               word_length: tuple[int, int] = (4, 5),
               status: Callable[[str], AbstractContextManager] = lambda text: nullcontext()) -> dict:
    """Write the dataset to `out` atomically (an existing `out` is untouched on any error)."""
    target = OutputDir(out)  # checks `out` before any work; writes nothing until target.write
    with status("reading the ontology"):
        schema = load_schema(ontology)
    with status("sampling the world"):
        world = build_world(schema, seed)
    with status(f"closing {len(world.asserted):,} asserted statements"):
        oracle = Oracle(world)
    with status("naming terms and writing documents"):
        config = LexiconConfig(min_length=word_length[0], max_length=word_length[1], seed=seed)
        naming = name_world(world, config, keep_labels)
        corpus = build_corpus(world, naming)
    with status("building test items"):
        items = build_items(oracle, naming, corpus)
    with status("writing"):
        figures = counts(oracle)
        files = synth_files(oracle, Path(ontology), dataset_files(naming, corpus, items), figures)
        target.write(files)
    return figures
