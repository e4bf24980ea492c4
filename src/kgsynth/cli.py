"""Command line: `python cli.py <command>`. User errors print one line and exit 2."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import __version__
from .errors import KgsynthError

console = Console(stderr=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kgsynth",
        description="Synthetic knowledge graphs with closed-world ground truth, to test how language models generalize.",
    )
    parser.add_argument("--version", action="version", version=f"kgsynth {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    synth = commands.add_parser("synth", help="sample a world from an ontology and close it with the oracle")
    synth.add_argument("--ontology", required=True, help="RDF/OWL file (.ttl, .owl/.rdf, .nt, .jsonld)")
    synth.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    synth.add_argument("--out", required=True, help="output directory (replaced atomically)")
    synth.set_defaults(run=run_synth)
    return parser


def run_synth(args: argparse.Namespace) -> None:
    from .export import counts, synth_files
    from .ontology import load_schema
    from .oracle import Oracle
    from .outdir import OutputDir
    from .world import build_world

    started = time.perf_counter()
    out = OutputDir(args.out)
    try:
        with console.status("reading the ontology"):
            schema = load_schema(args.ontology)
        with console.status("sampling the world"):
            world = build_world(schema, args.seed)
        with console.status(f"closing {len(world.asserted):,} asserted statements"):
            oracle = Oracle(world)
        with console.status("writing"):
            files = synth_files(oracle, Path(args.ontology))
    except BaseException:
        out.discard()
        raise
    out.write(files)
    show_summary(args, counts(oracle), time.perf_counter() - started)


def show_summary(args: argparse.Namespace, figures: dict, seconds: float) -> None:
    table = Table(title=f"synth {Path(args.ontology).name} (seed {args.seed}) → {args.out}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("classes", "individuals", "asserted", "entailed", "derived", "max_hops"):
        table.add_row(key.replace("_", " "), f"{figures[key]:,}")
    for rule, n in figures["by_rule"].items():
        table.add_row(f"  rule {rule}", f"{n:,}")
    table.add_row("seconds", f"{seconds:.2f}")
    Console().print(table)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        args.run(args)
    except KgsynthError as exc:
        print(f"kgsynth: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kgsynth: interrupted; existing outputs were left as they were", file=sys.stderr)
        return 130
    return 0
