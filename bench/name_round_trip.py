"""Benchmark: how many real-style names round-trip through the grammar (target: all).

Generates seeded names (tests/real_names.py: accents, initials, suffixes, digits, hyphens,
apostrophes, several words), gives them to one grammar as individuals beside real-style
class labels, renders every statement kind and style each name can fill (as subject and
as object, without and with a lead-in), and parses every sentence back.

With --synth, also synthesizes the README's company_tools ontology with a facts table
that makes every name an employee of a team (--keep-labels: the names are kept), and
parses every document sentence and every item option back.

    python bench/name_round_trip.py [--count 1200] [--seed 0] [--synth]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from real_names import real_names  # noqa: E402

from kgsynth.data.dataset import create_dataset  # noqa: E402
from kgsynth.logic.statement import ISA, Form, Statement  # noqa: E402
from kgsynth.text.grammar import Grammar, Names, RoundTripError  # noqa: E402
from kgsynth.text.lexicon import plural  # noqa: E402

RELATIONS = {"parentOf": "a parent of", "directorOf": "the director of", "moreFamousThan": "more famous than"}
CLASSES = ["actor", "sea otter", "Crème Brûlée", "T. rex", "4x4 vehicle", "Nobel laureate", "film-maker", "O'Neill fan"]


def world(count: int, seed: int) -> tuple[Grammar, list[str], list[str]]:
    names = Names()
    classes = [f"C{i}" for i in range(len(CLASSES))]
    for term, label in zip(classes, CLASSES, strict=True):
        names.add(term, sg=label, pl=plural(label))
    people = real_names(count, seed)
    individuals = [f"i{i}" for i in range(len(people))]
    for term, label in zip(individuals, people, strict=True):
        names.add(term, ind=label)
    return Grammar(RELATIONS, names), classes, individuals


def statements_of(i: int, individuals: list[str], classes: list[str]) -> list[Statement]:
    """Every kind a name can fill: member / not a member of a class, subject and object of facts."""
    me, other, cls = individuals[i], individuals[(i + 1) % len(individuals)], classes[i % len(classes)]
    relation = sorted(RELATIONS)[i % len(RELATIONS)]
    return [Statement(me, ISA, cls, Form.FACT), Statement(me, ISA, cls, Form.NOT),
            Statement(me, relation, other, Form.FACT), Statement(other, relation, me, Form.FACT),
            Statement(me, relation, other, Form.NOT), Statement(other, relation, me, Form.NOT)]


def round_trips(grammar: Grammar, statement: Statement, lead: str) -> tuple[int, list[str]]:
    """(sentences rendered and parsed back, the errors) over every style, without and with a lead."""
    done, errors = 0, []
    for style in grammar.styles(grammar.kind_of(statement)):
        for with_lead in (None, lead):
            try:
                sentence = grammar.render(statement, style, lead=with_lead)  # render checks the round trip
                assert grammar.parse(sentence) == statement
                done += 1
            except RoundTripError as exc:
                errors.append(str(exc))
    return done, errors


def synthesized(count: int, seed: int) -> str:
    """Synthesize company_tools with the names as employees; count what parses back."""
    rng = random.Random(seed)
    teams = ["Data Platform", "Søk & Finn", "R2-D2 Ops", "Team O'Brien"]
    rows = [(t, "is a", "team") for t in teams] + [("Team O'Brien", "the maintainer of", "XYZ")]
    for name in real_names(count, seed):
        rows += [(name, "is a", "employee"), (name, "a member of", rng.choice(teams))]
        if rng.random() < 0.3:
            rows.append((name, "a user of", rng.choice(["XYZ", "Lumen", "Tally"])))
    with tempfile.TemporaryDirectory() as directory:
        table = Path(directory) / "people.csv"
        with table.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([("subject", "relation", "object"), *rows])
        dataset = create_dataset(ROOT / "ontologies" / "examples" / "company_tools.ttl", seed, keep_labels=True,
                                 facts_table=table)  # every rendered sentence is checked here already
    sentences = [(s.text, s.statement) for d in dataset.documents for s in d.sentences if s.statement]
    options = [(i.prompt + o, s) for items in dataset.items.values() for i in items
               for o, s in zip(i.options, i.statements, strict=True)]
    back = [dataset.grammar.parse(text) == statement for text, statement in sentences + options]
    return (f"synth --keep-labels: {sum(back):,} of {len(back):,} sentences parse back "
            f"({len(sentences):,} in documents, {len(options):,} item options)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--synth", action="store_true", help="also synthesize a dataset with the names")
    args = parser.parse_args()
    started = time.perf_counter()
    grammar, classes, individuals = world(args.count, args.seed)
    leads = grammar.leads()
    carried, sentences, failures = 0, 0, []
    for i in range(len(individuals)):
        errors = []
        for statement in statements_of(i, individuals, classes):
            done, found = round_trips(grammar, statement, leads[i % len(leads)])
            sentences += done
            errors += found
        carried += not errors
        failures += errors[:1]
    seconds = time.perf_counter() - started
    print(f"{carried:,} of {len(individuals):,} names round-trip in every kind and style "
          f"({sentences:,} sentences parsed back, {seconds:.1f} s)")
    for line in failures[:10]:
        print("  " + line)
    if args.synth:
        print(synthesized(args.count, args.seed))


if __name__ == "__main__":
    main()
