"""Benchmark: the categorical decision (logic/categorical.py) at 20, 50 and 200 terms, and against the old region method.

    python bench/categorical.py [--seed N] [--claims N]

Two premise sets per size, both seeded: a chain (all T0 are T1, ..., shuffled, a `no` at
its end and an individual at its start) and a random set (mostly `all` edges from lower
to higher terms, some no / some / some ... not, individuals with is / is not; drawn
again until consistent). For each: the mean and the slowest `verdict` over --claims
random claims, one `valid_conclusions` over every term (classes and individuals), and
the slowest `minimal_support` among the first ten claims that are decided. At 8, 12 and 16 terms the
same class-only premises are also decided by the region method kgsynth used before
(tests/categorical_oracles.py, 2**n regions as big ints) and the ratio is printed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from kgsynth.logic import categorical
from kgsynth.logic.statement import ISA, Form, Statement

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from categorical_oracles import region_valid_conclusions, region_verdict  # noqa: E402  (the old method, kept with the tests)

SIZES = (20, 50, 200)
REGION_SIZES = (8, 12, 16)


def chain(n: int, rng: random.Random, individuals: bool = True) -> list[Statement]:
    """n classes: T000 .. T(n-2) in a chain, and Sour."""
    terms = [f"T{i:03}" for i in range(n - 1)]
    premises = [Statement(a, ISA, b, Form.ALL) for a, b in zip(terms, terms[1:], strict=False)]
    premises.append(Statement(terms[-1], ISA, "Sour", Form.NO))
    if individuals:
        premises.append(Statement("max", ISA, terms[0], Form.FACT))
    rng.shuffle(premises)
    return premises


def random_set(n: int, rng: random.Random, individuals: bool = True) -> list[Statement]:
    """About 1.5 n premises over n terms, consistent."""
    terms = [f"T{i:03}" for i in range(n)]
    while True:
        premises = []
        for _ in range(3 * n // 2):
            a, b = sorted(rng.sample(range(n), 2))
            form = rng.choice([Form.ALL] * 6 + [Form.NO, Form.SOME, Form.SOME_NOT])
            premises.append(Statement(terms[a], ISA, terms[b], form))
        if individuals:
            premises += [Statement(f"ind{i}", ISA, rng.choice(terms), rng.choice(categorical.INDIVIDUAL_FORMS))
                         for i in range(max(1, n // 10))]
        if categorical.consistent(premises):
            return premises


def claims(premises: list[Statement], count: int, rng: random.Random) -> list[Statement]:
    classes = sorted({p.object for p in premises} | {p.subject for p in premises if p.form.is_categorical})
    pairs = [rng.sample(classes, 2) for _ in range(count)]
    return [Statement(a, ISA, b, rng.choice(categorical.FORMS)) for a, b in pairs]


def terms_of(premises: list[Statement]) -> list[str]:
    return sorted({t for p in premises for t in (p.subject, p.object)})


def timed(fn, *args) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - started, out


def verdict_times(decide, premises: list[Statement], asked: list[Statement]) -> tuple[float, float, dict]:
    """Mean and slowest seconds per verdict, and how many of each verdict."""
    times, counts = [], {}
    for claim in asked:
        seconds, answer = timed(decide, premises, claim)
        times.append(seconds)
        counts[answer] = counts.get(answer, 0) + 1
    return sum(times) / len(times), max(times), counts


def support_time(premises: list[Statement], asked: list[Statement]) -> float:
    """The slowest minimal_support of a decided claim (what `check --premise` prints with each verdict)."""
    worst = 0.0
    for claim in asked:
        answer = categorical.verdict(premises, claim)
        if answer != "unknown":
            seconds, _ = timed(categorical.minimal_support, premises, claim if answer == "entailed" else claim.negated())
            worst = max(worst, seconds)
    return worst


def report_sizes(seed: int, count: int) -> None:
    print(f"{'premises':<8} {'terms':>5} {'stmts':>5} {'verdict mean':>13} {'verdict max':>12} "
          f"{'valid_conclusions':>18} {'found':>6} {'support max':>12}  verdicts")
    for n in SIZES:
        for name, build in (("chain", chain), ("random", random_set)):
            rng = random.Random(f"{seed}-{name}-{n}")
            premises = build(n, rng)
            asked = claims(premises, count, rng)
            mean, worst, counts = verdict_times(categorical.verdict, premises, asked)
            seconds, found = timed(categorical.valid_conclusions, premises, terms_of(premises))
            support = support_time(premises, asked[:10])
            print(f"{name:<8} {len(terms_of(premises)):>5} {len(premises):>5} {mean * 1e3:>10.2f} ms {worst * 1e3:>9.2f} ms "
                  f"{seconds:>16.3f} s {len(found):>6} {support:>10.3f} s  {counts}")


def report_ratios(seed: int, count: int) -> None:
    print("\nagainst the region method (same premises, classes only; ratio = region time / new time)")
    print(f"{'premises':<8} {'terms':>5} {'verdict new':>12} {'region':>10} {'ratio':>7} "
          f"{'valid_conclusions new':>22} {'region':>9} {'ratio':>7}")
    for n in REGION_SIZES:
        for name, build in (("chain", chain), ("random", random_set)):
            rng = random.Random(f"{seed}-{name}-{n}-regions")
            premises = build(n, rng, individuals=False)
            asked = claims(premises, count, rng)
            new, _, new_counts = verdict_times(categorical.verdict, premises, asked)
            old, _, old_counts = verdict_times(region_verdict, premises, asked)
            assert new_counts == old_counts, (new_counts, old_counts)
            terms = terms_of(premises)
            new_vc, found = timed(categorical.valid_conclusions, premises, terms)
            old_vc, old_found = timed(region_valid_conclusions, premises, terms)
            assert found == old_found
            print(f"{name:<8} {len(terms):>5} {new * 1e3:>9.3f} ms {old * 1e3:>7.2f} ms {old / new:>6.1f}x "
                  f"{new_vc:>20.4f} s {old_vc:>7.3f} s {old_vc / new_vc:>6.1f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--claims", type=int, default=50, help="random claims per premise set")
    args = parser.parse_args(argv)
    report_sizes(args.seed, args.claims)
    report_ratios(args.seed, args.claims)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
