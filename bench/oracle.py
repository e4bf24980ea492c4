"""Benchmark: the kgsynth oracle against owlrl on a world of about 2,000 asserted triples.

    python bench/oracle.py [--ontology FILE] [--seed N] [--repeat N]

kgsynth (load_schema -> build_world -> Oracle) is timed best of --repeat; owlrl
(OWL-RL deductive closure of ontology + kb.ttl) is timed once. The two closures must
agree on the fragment both compute: between named resources, rdf:type with a class
of the world as object, rdfs:subClassOf between two distinct classes of the world,
and every object property of the ontology. Exit status 1 when they differ.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

import owlrl
import rdflib
from rdflib import URIRef
from rdflib.namespace import RDF, RDFS

from kgsynth.data.export import closure_turtle, kb_turtle
from kgsynth.logic.ontology import load_schema
from kgsynth.logic.oracle import Oracle
from kgsynth.logic.world import World
from kgsynth.tasks import build_world

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_ONTOLOGY = ROOT / "bench" / "ontologies" / "oracle_bench.ttl"
TARGET_RATIO = 100.0
SHOWN = 8


def run_kgsynth(path: Path, seed: int) -> tuple[dict[str, float], Oracle]:
    """One full kgsynth run; seconds per phase."""
    times = {}
    started, cpu = time.perf_counter(), time.process_time()
    schema = load_schema(path)
    times["load_schema"] = time.perf_counter() - started
    mark = time.perf_counter()
    world = build_world(schema, seed)
    times["build_world"] = time.perf_counter() - mark
    mark = time.perf_counter()
    oracle = Oracle(world)
    times["Oracle(world)"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - started
    times["total, cpu"] = time.process_time() - cpu
    return times, oracle


def fragment(graph: rdflib.Graph, classes: set[URIRef], properties: set[URIRef]) -> set[tuple]:
    """The triples both reasoners are expected to agree on."""
    kept = set()
    for s, p, o in graph:
        if not (isinstance(s, URIRef) and isinstance(o, URIRef)):
            continue
        if (
            (p == RDF.type and o in classes)
            or (p == RDFS.subClassOf and s != o and s in classes and o in classes)
            or p in properties
        ):
            kept.add((s, p, o))
    return kept


def short(node: URIRef) -> str:
    text = str(node)
    if text == str(RDF.type):
        return "rdf:type"
    if text == str(RDFS.subClassOf):
        return "rdfs:subClassOf"
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def show(triple: tuple) -> str:
    return " ".join(map(short, triple))


def by_predicate(triples: set[tuple]) -> Counter:
    return Counter(short(p) for _, p, _ in triples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ontology", type=Path, default=DEFAULT_ONTOLOGY)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="kgsynth runs; the best is kept (default 3)")
    args = parser.parse_args(argv)

    runs = [run_kgsynth(args.ontology, args.seed) for _ in range(args.repeat)]
    best, oracle = min(runs, key=lambda run: run[0]["total"])
    world: World = oracle.world

    kb_text = kb_turtle(world)
    kb_graph = rdflib.Graph().parse(data=kb_text, format="turtle")
    graph = rdflib.Graph()
    mark = time.perf_counter()
    graph.parse(str(args.ontology), format="turtle")
    graph.parse(data=kb_text, format="turtle")
    parse_seconds = time.perf_counter() - mark
    input_triples = len(graph)
    mark, cpu = time.perf_counter(), time.process_time()
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    owlrl_seconds, owlrl_cpu = time.perf_counter() - mark, time.process_time() - cpu

    classes = {URIRef(world.iri(c)) for c in world.classes}
    properties = {URIRef(world.iri(p)) for p in world.schema.properties}
    ours = fragment(rdflib.Graph().parse(data=closure_turtle(oracle), format="turtle"), classes, properties)
    theirs = fragment(graph, classes, properties)

    print(f"oracle benchmark: {args.ontology} (seed {args.seed})")
    print()
    print("world")
    print(f"  asserted triples (kb.ttl)           {len(kb_graph):>10,}")
    print(f"  asserted statements (world)         {len(world.asserted):>10,}")
    print(f"  classes / individuals               {len(world.classes):>10,} / {len(world.individuals):,}")
    print(f"  kgsynth closure (statements)        {len(oracle.closure):>10,}")
    print(f"  owlrl input (ontology + kb.ttl)     {input_triples:>10,} triples")
    print(f"  owlrl closure                       {len(graph):>10,} triples")
    print()
    print(f"kgsynth, best of {args.repeat} (seconds)")
    for phase, seconds in best.items():
        print(f"  {phase:<34}  {seconds:>10.4f}")
    totals = ", ".join(f"{times['total']:.4f}" for times, _ in runs)  # wall clock
    print(f"  all runs (total)                    {totals}")
    print()
    print("owlrl, once (seconds)")
    print(f"  parse ontology + kb.ttl (untimed)   {parse_seconds:>10.4f}")
    print(f"  DeductiveClosure(OWLRL).expand      {owlrl_seconds:>10.4f}")
    print(f"  expand, cpu                         {owlrl_cpu:>10.4f}")
    print()
    ratio = owlrl_seconds / best["total"]
    print(f"ratio owlrl / kgsynth (wall)          {ratio:>10.1f}x   (target >= {TARGET_RATIO:.0f}x: "
          f"{'met' if ratio >= TARGET_RATIO else 'MISSED'})")
    print(f"ratio owlrl / kgsynth (cpu)           {owlrl_cpu / best['total, cpu']:>10.1f}x")
    print(f"load average (1 min)                  {os.getloadavg()[0]:>10.2f}   on {os.cpu_count()} cpus")
    print()

    only_ours, only_theirs = sorted(ours - theirs), sorted(theirs - ours)
    counts_ours, counts_theirs = by_predicate(ours), by_predicate(theirs)
    print("shared fragment (named resources)     kgsynth      owlrl")
    for predicate in sorted(set(counts_ours) | set(counts_theirs)):
        print(f"  {predicate:<34}  {counts_ours[predicate]:>8,}  {counts_theirs[predicate]:>9,}")
    print(f"  {'total':<34}  {len(ours):>8,}  {len(theirs):>9,}")
    if not only_ours and not only_theirs:
        print("fragment: MATCH")
        return 0
    print(f"fragment: MISMATCH ({len(only_ours):,} only in kgsynth, {len(only_theirs):,} only in owlrl)")
    for label, triples in (("only in kgsynth", only_ours), ("only in owlrl", only_theirs)):
        for triple in triples[:SHOWN]:
            print(f"  {label}: {show(triple)}")
        if len(triples) > SHOWN:
            print(f"  {label}: ... {len(triples) - SHOWN:,} more")
    return 1


if __name__ == "__main__":
    sys.exit(main())
