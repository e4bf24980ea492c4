"""Benchmark: a full `synth` of the semantic structure family (target: <= 10 s here).

Runs the whole pipeline in-process, as `python cli.py synth` does, several times and
reports the best time, the time of each stage and items per second. The reference for
the ratio is the 10 s target of the issue.

    python bench/synth.py [--ontology ontologies/semantic_structure.ttl] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from kgsynth.data.export import dataset_files, synth_files
from kgsynth.data.outdir import OutputDir
from kgsynth.logic.ontology import load_schema
from kgsynth.logic.oracle import Oracle
from kgsynth.tasks import build_corpus, build_items, build_world
from kgsynth.text.lexicon import LexiconConfig
from kgsynth.text.naming import name_world

TARGET_SECONDS = 10.0


def run_once(ontology: Path, seed: int, out: Path) -> tuple[dict[str, float], int]:
    stages: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[name] = now - clock
        clock = now

    world = build_world(load_schema(ontology), seed)
    lap("ontology + world")
    oracle = Oracle(world)
    lap("oracle closure")
    naming = name_world(world, LexiconConfig(seed=seed))
    lap("lexicon + grammar")
    corpus = build_corpus(world, naming)
    lap("documents")
    items = build_items(oracle, naming, corpus)
    lap("items")
    files = synth_files(oracle, ontology, dataset_files(naming, corpus.documents, items))
    OutputDir(out).write(files)
    lap("serialize + write")
    return stages, sum(len(v) for v in items.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ontology", default=str(Path(__file__).resolve().parents[1] / "ontologies/semantic_structure.ttl"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    best: tuple[float, dict[str, float], int] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.repeat):
            stages, n_items = run_once(Path(args.ontology), args.seed, Path(tmp) / f"out{run}")
            total = sum(stages.values())
            print(f"run {run + 1}: {total:.2f} s")
            if best is None or total < best[0]:
                best = (total, stages, n_items)
    total, stages, n_items = best
    print(f"\nbest of {args.repeat}: {total:.2f} s for {Path(args.ontology).name}")
    for name, seconds in stages.items():
        print(f"  {name:<20} {seconds:6.2f} s")
    print(f"items: {n_items:,}  ({n_items / total:,.0f} items/s)")
    print(f"target {TARGET_SECONDS:.0f} s: ratio {total / TARGET_SECONDS:.2f} of the budget "
          f"({'met' if total <= TARGET_SECONDS else 'MISSED'})")


if __name__ == "__main__":
    main()
