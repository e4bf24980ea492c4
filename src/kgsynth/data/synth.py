"""The whole `synth` job: ontology → world → oracle → names → documents → items → files."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from ..files import file_sha256
from ..resources import shipped_ontologies
from .card import Provenance, dataset_card
from .dataset import create_dataset
from .export import counts, dataset_files, synth_files
from .outdir import OutputDir


def synthesize(ontology: str | Path, seed: int, out: str | Path, keep_labels: bool = False,
               word_length: tuple[int, int] = (4, 5),
               status: Callable[[str], AbstractContextManager] = lambda text: nullcontext(), **settings) -> dict:
    """Write the dataset to `out` atomically (an existing `out` is untouched on any error).
    `settings` override the ontology's task settings by name (e.g. syllogisms=10)."""
    target = OutputDir(out)  # checks `out` before any work; writes nothing until target.write
    with status("sampling and closing the world, writing documents and test items"):
        dataset = create_dataset(ontology, seed, keep_labels=keep_labels, word_length=word_length, **settings)
    with status("writing"):
        figures = counts(dataset.oracle)
        files = dataset_files(dataset.naming, dataset.documents, dataset.items)
        files["README.md"] = dataset_card(files, provenance(dataset.ontology, seed, settings))
        target.write(synth_files(dataset.oracle, dataset.ontology, files, figures, settings))
    return figures


def provenance(ontology: Path, seed: int, settings: dict) -> Provenance:
    digest = file_sha256(ontology)
    shipped = any(file_sha256(path) == digest for path in shipped_ontologies().values())
    return Provenance(ontology.name, digest, seed, shipped, dict(settings))
