"""Benchmark: the oracle on a generated world of about 1,000,000 asserted statements.

    python bench/scale.py [--scale F] [--ontology FILE] [--seed N] [--gc-off] [--profile] [--top N]

--scale F multiplies the generated counts (kgs:individualsPerLeaf of each
HierarchyTask, kgs:facts of each ComparisonTask); the class tree stays as written,
so `--scale 0.1` gives about a tenth of the statements. build_world and Oracle(world)
are timed separately (Oracle also by phase: cycle check, closure, conflict check);
peak memory is the process's ru_maxrss. The reference is the target of 60 s per
million asserted statements and 8 GiB peak at the full size. --profile then runs
Oracle(world) once more under cProfile and prints the top --top functions by tottime.
--gc-off disables the cyclic garbage collector around Oracle(world) (an experiment:
the time it spends there is printed either way). Exit status 1 when a target is
missed at --scale 1 or more.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import gc
import io
import os
import pstats
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import kgsynth.logic.oracle as oracle_module
from kgsynth.logic.ontology import Schema, load_schema
from kgsynth.logic.oracle import Oracle
from kgsynth.tasks import ComparisonTask, HierarchyTask, build_world

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_ONTOLOGY = ROOT / "bench" / "ontologies" / "scale_1m.ttl"
TARGET_SECONDS_PER_MILLION = 60.0
TARGET_PEAK_GIB = 8.0
GIB = 1024**3


def peak_bytes() -> int:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def scaled(schema: Schema, factor: float) -> list[str]:
    """Multiply the generated counts of the schema's tasks by `factor`; describe each task."""
    def times(n: int) -> int:
        return max(1, round(n * factor)) if n else 0

    tasks, lines = [], []
    for task in schema.tasks:
        if isinstance(task, HierarchyTask):
            task = dataclasses.replace(task, individuals_per_leaf=times(task.individuals_per_leaf))
            lines.append(
                f"HierarchyTask   depth {task.depth}, branching {task.branching}, {task.features} features, "
                f"{task.properties_per_class} properties per class, {task.individuals_per_leaf} individuals per leaf"
            )
        elif isinstance(task, ComparisonTask):
            task = dataclasses.replace(task, facts=times(task.facts))
            lines.append(f"ComparisonTask  {task.facts:,} facts, chain length {task.chain_length}")
        else:
            lines.append(f"{type(task).__name__}  (not scaled)")
        tasks.append(task)
    schema.tasks = tasks
    return lines


class PhaseTimer:
    """Wraps the functions Oracle.__init__ calls, to time its phases without touching src/."""

    NAMES = ("check_cycles", "close", "check_conflicts")

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.originals = {name: getattr(oracle_module, name) for name in self.NAMES}

    def __enter__(self) -> PhaseTimer:
        for name, original in self.originals.items():
            setattr(oracle_module, name, self.timed(name, original))
        return self

    def __exit__(self, *exc) -> None:
        for name, original in self.originals.items():
            setattr(oracle_module, name, original)

    def timed(self, name, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
        return wrapper


class GcTimer:
    """Time spent in the cyclic garbage collector, from gc.callbacks."""

    def __init__(self):
        self.seconds = 0.0
        self.collections: Counter = Counter()
        self.started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self.started
            self.collections[info["generation"]] += 1

    def __enter__(self) -> GcTimer:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self)


def row(label: str, value: str) -> None:
    print(f"  {label:<46} {value:>18}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the generated counts (default 1)")
    parser.add_argument("--ontology", type=Path, default=DEFAULT_ONTOLOGY)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gc-off", action="store_true", help="disable the cyclic gc during Oracle(world), to measure its cost")
    parser.add_argument("--profile", action="store_true", help="then profile Oracle(world) with cProfile")
    parser.add_argument("--top", type=int, default=15, help="functions shown by --profile (default 15)")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")

    gc_note = ", cyclic gc off during Oracle" if args.gc_off else ""
    print(f"scale benchmark: {args.ontology} (seed {args.seed}, scale {args.scale:g}{gc_note})")
    started = time.perf_counter()
    schema = load_schema(args.ontology)
    load_seconds = time.perf_counter() - started
    for line in scaled(schema, args.scale):
        print(f"  {line}")
    baseline = peak_bytes()

    load_before = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    world = build_world(schema, args.seed)
    build_seconds, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    after_build = peak_bytes()

    if args.gc_off:
        gc.disable()
    with PhaseTimer() as phases, GcTimer() as gc_timer:
        started, cpu = time.perf_counter(), time.process_time()
        oracle = Oracle(world)
        oracle_seconds, oracle_cpu = time.perf_counter() - started, time.process_time() - cpu
    gc.enable()
    peak = peak_bytes()

    asserted, entailed = len(world.asserted), len(oracle.closure)
    by_rule = Counter(rule for rule, _, _ in oracle.closure.facts.values())
    per_million = oracle_seconds / (asserted / 1e6)

    print()
    print("counts")
    row("classes", f"{len(world.classes):,}")
    row("individuals", f"{len(world.individuals):,}")
    row("asserted statements", f"{asserted:,}")
    row("closure statements", f"{entailed:,}")
    row("closure / asserted", f"{entailed / asserted:.2f}x")
    for rule, n in sorted(by_rule.items(), key=lambda item: -item[1]):
        row(f"  rule {rule}", f"{n:,}")
    print()
    print("time (seconds, wall clock; cpu = process time of this process)")
    row("load_schema", f"{load_seconds:.2f}")
    row("build_world", f"{build_seconds:.2f}  cpu {build_cpu:.2f}")
    row("Oracle(world)", f"{oracle_seconds:.2f}  cpu {oracle_cpu:.2f}")
    for name in PhaseTimer.NAMES:
        row(f"  {name}", f"{phases.seconds.get(name, 0.0):.2f}")
    row("  of which in the cyclic gc", f"{gc_timer.seconds:.2f}")
    row("  gc collections", " ".join(f"gen{g}:{n}" for g, n in sorted(gc_timer.collections.items())) or "none")
    row("load average (1 min): before / after", f"{load_before:.2f} / {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")
    print()
    print("rate")
    row("build_world, asserted statements/s", f"{asserted / build_seconds:,.0f}")
    row("Oracle, asserted statements/s", f"{asserted / oracle_seconds:,.0f}")
    row("Oracle, closure statements/s", f"{entailed / oracle_seconds:,.0f}")
    print()
    print("memory (ru_maxrss, peak so far)")
    row("after load_schema", f"{baseline / GIB:.2f} GiB")
    row("after build_world", f"{after_build / GIB:.2f} GiB")
    row("after Oracle(world)", f"{peak / GIB:.2f} GiB")
    print()
    time_ok = per_million <= TARGET_SECONDS_PER_MILLION
    memory_ok = peak <= TARGET_PEAK_GIB * GIB
    print("against the targets")
    row("Oracle seconds per million asserted", f"{per_million:.2f}")
    row(f"  ratio to the {TARGET_SECONDS_PER_MILLION:.0f} s target", f"{per_million / TARGET_SECONDS_PER_MILLION:.3f}"
        f" ({'met' if time_ok else 'MISSED'})")
    row("peak memory", f"{peak / GIB:.2f} GiB")
    note = "" if args.scale >= 1 else ", at full scale only"
    row(f"  ratio to the {TARGET_PEAK_GIB:.0f} GiB target{note}", f"{peak / (TARGET_PEAK_GIB * GIB):.3f}"
        f" ({'met' if memory_ok else 'MISSED'})")

    if args.profile:
        del oracle
        gc.collect()
        profile(world, args.top)
    if args.scale >= 1 and not (time_ok and memory_ok):
        return 1
    return 0


def profile(world, top: int) -> None:
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(Oracle, world)
    seconds = time.perf_counter() - started
    print()
    print(f"cProfile of Oracle(world): {seconds:.2f} s under the profiler; top {top} by tottime")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(pstats.SortKey.TIME).print_stats(top)
    text = out.getvalue()
    print(text[text.index("   ncalls"):].rstrip() if "   ncalls" in text else text.rstrip())


if __name__ == "__main__":
    sys.exit(main())
