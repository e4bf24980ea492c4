"""Benchmark: the quick lab study (the README's main job) from a cold meta-training cache,
then again with the meta-trained model cached, against the targets of 25 and 10 minutes.

    python bench/lab.py [--ontology simple_reversals] [--out DIR]

Meta-training goes to a temporary cache (the embedded model's conversion stays where it
is), so the first study trains it and the second one finds it. Prints each study's
minutes, their ratios to the targets and the findings paragraph of the second report.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from kgsynth.experiments import metatrain
from kgsynth.experiments.study import Study, StudyConfig
from kgsynth.resources import ontology_path

TARGETS = {"first run (meta-training included)": 25.0, "meta-trained model cached": 10.0}


def run_study(ontology: str, out: Path) -> tuple[float, Path]:
    config = StudyConfig(ontology=str(ontology_path(ontology).resolve()), out=str(out), metatrain=True, quick=True)
    started = time.perf_counter()
    report = Study(config, say=lambda text: print(f"  {text}", flush=True)).run()
    return (time.perf_counter() - started) / 60, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ontology", default="simple_reversals")
    parser.add_argument("--out", type=Path, default=None, help="where the two studies go (default: a temporary folder)")
    args = parser.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="kgsynth-lab-"))
    metatrain.cache_root = lambda: root / "cache"  # a cold meta-training cache, the model conversion untouched
    minutes = {}
    for (label, target), name in zip(TARGETS.items(), ("first", "cached"), strict=True):
        print(f"{label}:", flush=True)
        minutes[label], report = run_study(args.ontology, root / name)
        print(f"{label}: {minutes[label]:.1f} min, target {target:.0f} min: ratio {minutes[label] / target:.2f}")
    print(report.read_text().split("| split |")[0])


if __name__ == "__main__":
    main()
