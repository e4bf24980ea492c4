"""Benchmark and cross-check: kgsynth's closure of any OWL file against owlrl's (OWL 2 RL), in one run.

    python bench/owl_reference.py ONTOLOGY [--lenient]

Both close the same file (kgsynth with --lenient if asked: what it skips, owlrl still
reads). Compared are the named triples both can state: class membership and subclass
between the file's declared classes, and assertions of its object properties. Printed:
each side's time and their ratio, the triples kgsynth states that owlrl does not (each
must be an OWL entailment: kgsynth also meets an intersection's someValuesFrom member
through a class-level one, Person ⊑ ∃hasFather.Man, which OWL 2 RL does not) and those
owlrl states that kgsynth does not (what skipped axioms cost). Measured on the
Manchester pizza ontology (owlcs/pizza-ontology), with --lenient: 362 triples each,
none apart.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import owlrl
import rdflib
from rdflib import OWL, RDF, RDFS, URIRef

from kgsynth.data.export import closure_turtle
from kgsynth.logic.ontology import load_schema, local_name
from kgsynth.logic.oracle import Oracle
from kgsynth.logic.rdf_input import read_graph
from kgsynth.tasks import build_world


def named_triples(graph: rdflib.Graph, classes: set, properties: set) -> set[tuple[str, str, str]]:
    """(subject, predicate, object) by local names, for the triples both reasoners can state."""
    out = set()
    for s, p, o in graph:
        if not (isinstance(s, URIRef) and isinstance(o, URIRef)):
            continue
        if (p == RDF.type and o in classes) or (p == RDFS.subClassOf and {s, o} <= classes and s != o) or p in properties:
            out.add((local_name(str(s)), local_name(str(p)), local_name(str(o))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ontology", type=Path)
    parser.add_argument("--lenient", action="store_true")
    args = parser.parse_args()
    graph = read_graph(args.ontology)
    classes = {c for c in graph.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    properties = {p for p in graph.subjects(RDF.type, OWL.ObjectProperty) if isinstance(p, URIRef)}

    start = time.perf_counter()
    oracle = Oracle(build_world(load_schema(args.ontology, lenient=args.lenient), 0))
    ours_seconds = time.perf_counter() - start
    ours = rdflib.Graph().parse(data=closure_turtle(oracle), format="turtle")

    theirs = rdflib.Graph()
    for triple in graph:
        theirs.add(triple)
    start = time.perf_counter()
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(theirs)
    owlrl_seconds = time.perf_counter() - start

    mine, reference = named_triples(ours, classes, properties), named_triples(theirs, classes, properties)
    print(f"{args.ontology}: kgsynth {ours_seconds:.2f} s, owlrl {owlrl_seconds:.2f} s "
          f"(owlrl / kgsynth {owlrl_seconds / ours_seconds:.1f}x)")
    print(f"compared triples: kgsynth {len(mine)}, owlrl {len(reference)}")
    print(f"kgsynth only (beyond OWL 2 RL, or unsound: check each): {len(mine - reference)} {sorted(mine - reference)[:10]}")
    print(f"owlrl only (skipped axioms): {len(reference - mine)} {sorted(reference - mine)[:10]}")


if __name__ == "__main__":
    main()
