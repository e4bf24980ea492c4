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


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line like every other user error."""

    def error(self, message: str):
        self.exit(2, f"kgsynth: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="kgsynth",
        description="Synthetic knowledge graphs with closed-world ground truth, to test how language models generalize.",
    )
    parser.add_argument("--version", action="version", version=f"kgsynth {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    synth = commands.add_parser("synth", help="sample a world from an ontology and close it with the oracle")
    synth.add_argument("--ontology", required=True, help="RDF/OWL file (.ttl, .owl/.rdf, .nt, .jsonld)")
    synth.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    synth.add_argument("--out", required=True, help="output directory (replaced atomically)")
    synth.add_argument("--keep-labels", action="store_true", help="keep the ontology's real words instead of nonsense")
    synth.add_argument("--word-length", default="4-5", help="nonsense word length range (default 4-5)")
    synth.set_defaults(run=run_synth)

    stats = commands.add_parser("stats", help="statistics of a synthesized dataset")
    stats.add_argument("data", help="a directory written by synth")
    stats.set_defaults(run=run_stats)

    check = commands.add_parser("check", help="judge sentences: entailed / contradicted / unknown, with the derivation")
    check.add_argument("claims", nargs="+", help="sentences to judge")
    source = check.add_mutually_exclusive_group(required=True)
    source.add_argument("--premise", action="append", help="a categorical premise (repeatable)")
    source.add_argument("--kb", help="a directory written by synth")
    check.add_argument("--json", action="store_true", help="one JSON object per claim")
    check.set_defaults(run=run_check)

    evaluate = commands.add_parser("eval", help="score a model on a dataset: baseline or in-context learning")
    evaluate.add_argument("--data", required=True, help="a directory written by synth")
    evaluate.add_argument("--regime", required=True, choices=("baseline", "icl"))
    evaluate.add_argument("--model", default="local", help="local (embedded Gemma 3 270M), local:PATH, local:smollm2")
    evaluate.add_argument("--out", required=True, help="run directory; rerunning resumes it")
    evaluate.add_argument("--scoring", default="likelihood", choices=("likelihood", "generate"))
    evaluate.add_argument("--subsample", type=float, help="share of the documents in context (icl), e.g. 0.125")
    evaluate.add_argument("--split", action="append", default=[], help="only this split (repeatable)")
    evaluate.add_argument("--limit", type=int, help="at most this many items per split")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--device", help="cuda or cpu (default: cuda when present)")
    evaluate.add_argument("--dtype", choices=("float32", "bfloat16", "float16"))
    evaluate.set_defaults(run=run_eval)

    report = commands.add_parser("report", help="table and figure comparing eval runs")
    report.add_argument("runs", nargs="+", help="run directories written by eval")
    report.add_argument("--out", default="report", help="where report.md and report.png go (default: report)")
    report.set_defaults(run=run_report)
    return parser


def run_synth(args: argparse.Namespace) -> None:
    from .documents import build_corpus
    from .export import counts, dataset_files, synth_files
    from .items import build_items
    from .lexicon import LexiconConfig
    from .naming import name_world
    from .ontology import load_schema
    from .oracle import Oracle
    from .outdir import OutputDir
    from .world import build_world

    started = time.perf_counter()
    out = OutputDir(args.out)  # checks --out before any work; writes nothing yet
    try:
        with console.status("reading the ontology"):
            schema = load_schema(args.ontology)
        with console.status("sampling the world"):
            world = build_world(schema, args.seed)
        with console.status(f"closing {len(world.asserted):,} asserted statements"):
            oracle = Oracle(world)
        with console.status("naming terms and writing documents"):
            low, high = parse_range(args.word_length)
            naming = name_world(world, LexiconConfig(min_length=low, max_length=high, seed=args.seed), args.keep_labels)
            corpus = build_corpus(world, naming)
        with console.status("building test items"):
            items = build_items(oracle, naming, corpus)
        with console.status("writing"):
            files = synth_files(oracle, Path(args.ontology), dataset_files(naming, corpus, items))
    except BaseException:
        out.discard()
        raise
    out.write(files)
    show_summary(args, counts(oracle), time.perf_counter() - started)


def run_stats(args: argparse.Namespace) -> None:
    from .stats import dataset_stats

    figures = dataset_stats(args.data)
    table = Table(title=f"dataset {args.data}")
    table.add_column("what")
    table.add_column("value", justify="right")
    low, mean, high = figures["sentences_per_document"]
    for label, value in (
        ("documents", f"{figures['documents']:,}"),
        ("sentences", f"{figures['sentences']:,}"),
        ("sentences per document (min / mean / max)", f"{low} / {mean:.1f} / {high}"),
        ("facts asserted", f"{figures['asserted']:,}"),
        ("facts in training text", f"{figures['trained_statements']:,}"),
        ("facts entailed", f"{figures['entailed']:,}"),
    ):
        table.add_row(label, value)
    Console().print(table)
    splits = Table(title="test items")
    for column in ("split", "items", "options per item", "distractors per item", "chance", "mean hops"):
        splits.add_column(column, justify="right", no_wrap=column == "split")
    for split, row in figures["splits"].items():
        splits.add_row(split, f"{row['items']:,}", f"{row['options_mean']:.2f}", f"{row['options_mean'] - 1:.2f}",
                       f"{row['chance']:.3f}", f"{row['hops_mean']:.2f}")
    Console().print(splits)


def run_check(args: argparse.Namespace) -> None:
    import json

    from .check import check_kb, check_premises, describe

    if args.premise:
        grammar, judgements = check_premises(args.premise, args.claims)
    else:
        from .dataset import load_dataset

        dataset = load_dataset(args.kb)
        grammar = dataset.naming.grammar
        judgements = check_kb(dataset.oracle, grammar, args.claims)
    out = Console()
    for judgement in judgements:
        if args.json:
            print(json.dumps(judgement.to_json(grammar), ensure_ascii=False))
            continue
        colour = {"entailed": "green", "contradicted": "red"}.get(judgement.verdict, "yellow")
        out.print(f"[bold {colour}]{judgement.verdict}[/]  {judgement.claim}")
        if judgement.conflict is not None:
            out.print(f"  conflicts with: {describe(grammar, judgement.conflict)}")
        if judgement.derivation is not None:
            d = judgement.derivation
            out.print(f"  by {d.rule} ({d.hops} hop{'s' if d.hops != 1 else ''}) from:")
            for premise in d.premises:
                out.print(f"    {describe(grammar, premise)}")


def run_eval(args: argparse.Namespace) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .evaluate import EvalConfig, Evaluator
    from .models import load_model

    config = EvalConfig(data=str(Path(args.data).resolve()), regime=args.regime, model=args.model,
                        scoring=args.scoring, subsample=args.subsample, splits=sorted(args.split), limit=args.limit,
                        seed=args.seed, dtype=args.dtype)
    config.validate()
    if not (Path(args.data) / "manifest.json").is_file():
        raise KgsynthError(f"--data {args.data} is not a directory written by synth (no manifest.json)")
    judge = make_judge(args.data) if args.scoring == "generate" else None
    with console.status(f"loading {args.model}"):
        model = load_model(args.model, progress=lambda text: console.print(text), device=args.device, dtype=args.dtype)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(f"{args.regime} · {args.model}", total=None)

        def advance(count: int, total: int) -> None:
            bar.update(task, total=total, advance=count)

        metrics = Evaluator(model, config, Path(args.out), judge).evaluate(advance)
    show_metrics(metrics, f"{args.regime} · {args.model} · {args.data}")


def make_judge(data: str):
    from .dataset import load_dataset
    from .grammar import ParseError

    dataset = load_dataset(data)

    def judge(sentence: str) -> str:
        try:
            statement = dataset.naming.grammar.parse(sentence)
        except ParseError:
            return "unparseable"
        return dataset.oracle.query(statement, closed_world=True).value

    return judge


def show_metrics(metrics: dict, title: str) -> None:
    table = Table(title=title)
    for column in ("split", "n", "accuracy", "± se", "wilson 95%", "length-norm.", "chance"):
        table.add_column(column, justify="right", no_wrap=column == "split")
    for split, m in metrics.items():
        low, high = m["wilson95"]
        norm = f"{m['accuracy_norm']:.3f}" if "accuracy_norm" in m else "—"
        chance = f"{m['chance']:.3f}" if "chance" in m else "—"
        table.add_row(split, str(m["n"]), f"{m['accuracy']:.3f}", f"{m['stderr']:.3f}", f"[{low:.3f}, {high:.3f}]",
                      norm, chance)
    Console().print(table)


def run_report(args: argparse.Namespace) -> None:
    from .report import write_report

    runs, path = write_report(args.runs, Path(args.out))
    Console().print(path.read_text().split("\n\n![")[0])
    Console().print(f"wrote {path} and {path.with_suffix('.png')} ({len(runs)} runs)")


def parse_range(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    try:
        return int(low), int(high or low)
    except ValueError:
        raise KgsynthError(f"--word-length must look like 4-5, got {text!r}") from None


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
