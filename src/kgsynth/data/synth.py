"""The whole `synth` job: ontology → world → oracle → names → documents → items → files."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from ..files import file_sha256
from ..resources import shipped_ontologies
from .card import Provenance, dataset_card
from .dataset import Dataset, create_dataset
from .export import counts, dataset_files, support_limits, synth_files
from .outdir import OutputDir


def synthesize(ontology: str | Path, seed: int, out: str | Path, keep_labels: bool = False,
               word_length: tuple[int, int] = (4, 5),
               status: Callable[[str], AbstractContextManager] = lambda text: nullcontext(),
               facts_table: str | Path | None = None, lenient: bool = False, **settings) -> dict:
    """Write the dataset to `out` atomically (an existing `out` is untouched on any error).
    `facts_table`: a table of facts asserted besides the ontology's facts (kgsynth.logic.facts_table);
    `lenient`: skip unsupported OWL axioms (recorded in manifest.json) instead of refusing them;
    `settings` override the ontology's task settings by name (e.g. syllogisms=10). Returns the
    counts, and under "limits" where OWL support ended (skipped axioms, unsatisfiable classes…)."""
    target = OutputDir(out)  # checks `out` before any work; writes nothing until target.write
    with status("sampling and closing the world, writing documents and test items"):
        dataset = create_dataset(ontology, seed, keep_labels=keep_labels, word_length=word_length,
                                 facts_table=facts_table, lenient=lenient, **settings)
    with status("writing"):
        figures = counts(dataset.oracle)
        files = dataset_files(dataset.naming, dataset.documents, dataset.items)
        files["README.md"] = dataset_card(files, provenance(dataset, settings))
        target.write(synth_files(dataset.oracle, dataset.ontology, files, figures, settings, dataset.facts_table))
    limits = support_limits(dataset.oracle)
    return {**figures, "limits": limits} if limits else figures


def limit_lines(limits: dict) -> list[str]:
    """synth's summary of where OWL support ended: what --lenient skipped, the halves of
    equivalences OWL 2 RL does not read, the unsatisfiable (empty) classes."""
    lines = [f"skipped {skipped['count']} × {kind}, e.g. {skipped['examples'][0]}"
             for kind, skipped in limits.get("skipped", {}).items()]
    lines += [f"read one way only: {half}" for half in limits.get("one_way", [])]
    lines += [f"unsatisfiable class {cls} (no individual may be in it): {why}"
              for cls, why in limits.get("unsatisfiable", {}).items()]
    return lines


def provenance(dataset: Dataset, settings: dict) -> Provenance:
    digest = file_sha256(dataset.ontology)
    shipped = any(file_sha256(path) == digest for path in shipped_ontologies().values())
    facts = dataset.facts_table
    return Provenance(dataset.ontology.name, digest, dataset.seed, shipped, dict(settings),
                      facts=(facts.name, file_sha256(facts)) if facts else None,
                      closed_world=dataset.world.facts_as_data and bool(dataset.world.individuals))
