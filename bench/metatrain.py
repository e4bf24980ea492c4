"""Benchmark: meta-train the embedded model on small worlds of an ontology (LoRA, CPU) and
print the held-out in-context accuracy curve and the time per step.

    python bench/metatrain.py [--ontology ontologies/simple_reversals.ttl] [--steps 180] [--out DIR]

The model is cached under $KGSYNTH_CACHE/metatrain/<hash>: a second run with the same
settings prints the recorded curve at once. Evaluate it on the test world with
`python cli.py eval --data DIR --regime icl --model local:<printed directory> …`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from kgsynth.experiments.metatrain import metatrain, read_record
from kgsynth.experiments.metatrain_data import MetatrainConfig


def show(record: dict) -> None:
    for point in record["curve"]:
        cells = []
        for split, m in sorted(point["metrics"].items()):
            low, high = m["wilson95"]
            cells.append(f"{split} {m['accuracy']:.2f} [{low:.2f}, {high:.2f}] n={m['n']}")
        print(f"step {point['step']:>4}: " + "; ".join(cells))
    print(f"seconds per step {record['seconds_per_step']}, total {record['total_seconds']} s; "
          f"skipped {record['skipped']}; sequences {record['sequences']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ontology", default="ontologies/simple_reversals.ttl")
    parser.add_argument("--steps", type=int, default=180)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    config = MetatrainConfig(ontology=args.ontology, steps=args.steps, batch_size=args.batch_size)
    started = time.perf_counter()

    def progress(step: int, total: int, loss: float, seconds_per_step: float) -> None:
        if step % 10 == 0 or step == total:
            print(f"step {step}/{total} loss {loss:.4f} ({time.perf_counter() - started:.0f} s)", flush=True)

    directory = metatrain(config, args.out, progress)
    print(f"model: {directory}")
    show(read_record(directory))


if __name__ == "__main__":
    main()
