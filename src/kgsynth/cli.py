"""Command line: `python cli.py <command>`. User errors print one line and exit 2."""

from __future__ import annotations

import argparse
import errno
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import __version__
from .cli_lab import add_lab_commands
from .errors import KgsynthError
from .experiments.options import (
    CONTEXTS,
    DISTRACTORS,
    KEEPS,
    LR_SCHEDULES,
    METHODS,
    PRESETS,
    REGIMES,
    SCORINGS,
    SHAPES,
    STRATEGIES,
)
from .harness.cli import add_export_commands
from .models.local import DTYPES
from .progress import console, progress

WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}  # one line, no traceback


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line like every other user error."""

    def error(self, message: str):
        self.exit(2, f"kgsynth: error: {message} (see --help)\n")


MODEL_HELP = "local (embedded Gemma 3 270M), local:PATH, local:smollm2, gemini:NAME (e.g. gemini:gemini-2.5-flash)"


def add_model_options(parser: argparse.ArgumentParser, out_help: str, dtype: bool = True) -> None:
    parser.add_argument("--data", required=True, help="a directory written by synth")
    parser.add_argument("--model", default="local", help=MODEL_HELP)
    parser.add_argument("--out", required=True, help=out_help)
    parser.add_argument("--restart", action="store_true", help="clear --out (a kgsynth run) and start over; default: resume")
    parser.add_argument("--device", help="cuda or cpu (default: cuda when present)")
    if dtype:
        parser.add_argument("--dtype", choices=DTYPES)
    add_gemini_options(parser)


def add_gemini_options(parser: argparse.ArgumentParser) -> None:
    gemini = parser.add_argument_group("Gemini (gemini:NAME)")
    gemini.add_argument("--batch", action="store_true", help="send the requests as one batch job (cheaper, slower)")
    gemini.add_argument("--yes", action="store_true", help="run without asking after the token estimate")
    gemini.add_argument("--rpm", type=int, help="requests per minute (default 60)")
    gemini.add_argument("--tpm", type=int, help="tokens per minute (default 1,000,000)")
    gemini.add_argument("--thinking-budget", type=int, help="thinking tokens per answer (default: the model's own)")


def gemini_options(args: argparse.Namespace) -> dict:
    return {"batch": args.batch or None, "rpm": args.rpm, "tpm": args.tpm, "thinking_budget": args.thinking_budget}


def confirm(model, estimate, yes: bool) -> None:
    """Print what a paid run will send; go on only when told to."""
    console.print(f"{model.name}: this run sends {estimate.describe()}")
    if yes:
        return
    if not sys.stdin.isatty():
        raise KgsynthError("a run on a paid model asks before it starts: pass --yes to run without asking")
    if console.input("go on? [y/N] ").strip().lower() not in ("y", "yes"):
        raise KgsynthError("stopped before any paid call")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="kgsynth",
        description="Synthetic knowledge graphs with closed-world ground truth, to test how language models generalize.",
    )
    parser.add_argument("--version", action="version", version=f"kgsynth {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    add_data_commands(commands)
    add_model_commands(commands)
    add_lab_commands(commands)
    add_export_commands(commands)
    add_report_command(commands)
    return parser


def add_data_commands(commands) -> None:
    synth = commands.add_parser("synth", help="sample a world from an ontology and close it with the oracle")
    synth.add_argument("--ontology", required=True,
                       help="RDF/OWL file (.ttl, .owl/.rdf, .nt, .jsonld), or the name of a shipped one (syllogisms)")
    synth.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    synth.add_argument("--out", required=True, help="output directory (replaced atomically)")
    synth.add_argument("--keep-labels", action="store_true", help="keep the ontology's real words instead of nonsense")
    synth.add_argument("--word-length", default="4-5", help="nonsense word length range (default 4-5)")
    synth.add_argument("--facts", help="a table of your own facts (.csv, .tsv or .jsonl: subject, relation, object) "
                                       "in the ontology's terms; with no task in the ontology, the whole truth")
    synth.add_argument("--lenient", action="store_true",
                       help="skip OWL axioms kgsynth does not support (listed, and recorded in manifest.json) "
                            "instead of stopping; no closed-world verdict rests on a term they touch")
    synth.set_defaults(run=run_synth)

    stats = commands.add_parser("stats", help="statistics of a synthesized dataset")
    stats.add_argument("data", help="a directory written by synth")
    stats.set_defaults(run=run_stats)

    check = commands.add_parser("check", help="judge sentences: entailed / contradicted / unknown, with the derivation")
    check.add_argument("claims", nargs="+", help="sentences to judge")
    source = check.add_mutually_exclusive_group(required=True)
    source.add_argument("--premise", action="append", help="a premise: 'All foxes are mammals.', 'Max is not sour.' (repeatable)")
    source.add_argument("--kb", help="a directory written by synth")
    check.add_argument("--json", action="store_true", help="one JSON object per claim")
    check.set_defaults(run=run_check)


def add_model_commands(commands) -> None:
    evaluate = commands.add_parser("eval", help="score a model on a dataset: baseline or in-context learning")
    add_model_options(evaluate, "run directory; rerunning resumes it")
    evaluate.add_argument("--regime", required=True, choices=REGIMES)
    evaluate.add_argument("--scoring", choices=SCORINGS,
                          help="likelihood of the options (local models; default), free answers judged by the "
                               "oracle, or one letter (default for gemini)")
    evaluate.add_argument("--context", choices=CONTEXTS, default="corpus",
                          help="icl: every document (corpus), or per item its own documents among distractors")
    evaluate.add_argument("--subsample", type=float, help="--context corpus: share of the documents, e.g. 0.125")
    evaluate.add_argument("--distractors", type=int, default=DISTRACTORS,
                          help=f"--context relevant: other documents per item (default {DISTRACTORS})")
    evaluate.add_argument("--split", action="append", default=[], help="only this split (repeatable)")
    evaluate.add_argument("--limit", type=int, help="at most this many items per split")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--label", help="the name `report` gives this run (default: from the regime and model)")
    evaluate.set_defaults(run=run_eval)

    tune = commands.add_parser("finetune", help="fine-tune a local model on a dataset's training text")
    add_model_options(tune, "run directory; rerunning resumes from its checkpoint", dtype=False)
    tune.add_argument("--shape", default="independent", choices=SHAPES)
    tune.add_argument("--preset", choices=tuple(PRESETS), help="defaults for the settings below (default: by device)")
    tune.add_argument("--method", choices=METHODS)
    tune.add_argument("--steps", type=int)
    tune.add_argument("--batch-size", type=int)
    tune.add_argument("--lr", type=float, help="learning rate")
    tune.add_argument("--lr-schedule", choices=LR_SCHEDULES, help="after the warm-up: held (default) or linearly to 0")
    tune.add_argument("--seed", type=int, default=0)
    tune.add_argument("--extra", action="append", default=[], help="another train.jsonl-shaped file (repeatable)")
    tune.add_argument("--gcs-uri", help="gemini: gs:// address of the uploaded tuning.jsonl; starts a tuning job")
    tune.add_argument("--epochs", type=int, help="gemini: tuning epochs (default: the service's)")
    tune.set_defaults(run=run_finetune)

    augment = commands.add_parser("augment", help="model-written augmentations, audited by the oracle")
    add_model_options(augment, "run directory; rerunning resumes it")
    augment.add_argument("--strategy", required=True, choices=STRATEGIES)
    augment.add_argument("--max-tokens", type=int, default=64)
    augment.add_argument("--samples", type=int, default=1)
    augment.add_argument("--temperature", type=float, default=0.0)
    augment.add_argument("--seed", type=int, default=0)
    augment.add_argument("--limit", type=int, help="at most this many sources")
    augment.add_argument("--subsample", type=float, help="share of the corpus in the global prompt")
    augment.add_argument("--prompt-file", help="your own prompt ({sentence}; or {corpus} and {document})")
    augment.add_argument("--keep", default="entailed", choices=KEEPS)
    augment.set_defaults(run=run_augment)


def add_report_command(commands) -> None:
    report = commands.add_parser("report", help="table and figure comparing eval runs")
    report.add_argument("runs", nargs="+", help="run directories written by eval")
    report.add_argument("--out", default="report", help="where report.md and report.png go (default: report)")
    report.set_defaults(run=run_report)


def run_synth(args: argparse.Namespace) -> None:
    from .data.synth import synthesize
    from .resources import ontology_path

    started = time.perf_counter()
    figures = synthesize(ontology_path(args.ontology), args.seed, args.out, args.keep_labels, parse_range(args.word_length),
                         status=console.status, facts_table=args.facts, lenient=args.lenient)
    show_summary(args, figures, time.perf_counter() - started)


def run_stats(args: argparse.Namespace) -> None:
    from .data.stats import dataset_stats, show_stats

    show_stats(dataset_stats(args.data), f"dataset {args.data}", Console())


def run_check(args: argparse.Namespace) -> None:
    import json

    from .text.check import check_kb, check_premises

    if args.premise:
        grammar, judgements = check_premises(args.premise, args.claims)
    else:
        from .data.dataset import load_dataset

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
        for line in judgement.explanation(grammar):
            out.print(line)


def run_eval(args: argparse.Namespace) -> None:
    from .data.dataset import load_dataset
    from .experiments.audit import answer_verdicts
    from .experiments.evaluate import EvalConfig, Evaluator, eval_run

    scoring = args.scoring or default_scoring(args.model)
    config = EvalConfig(data=str(Path(args.data).resolve()), regime=args.regime, model=args.model,
                        scoring=scoring, subsample=args.subsample, splits=sorted(args.split), limit=args.limit,
                        seed=args.seed, dtype=args.dtype, context=args.context, distractors=args.distractors,
                        label=args.label)
    config.validate()
    require_synth_output(args.data, "manifest.json")
    eval_run(config, Path(args.out)).check(args.restart)  # --out refused before any heavy work
    verdict = answer_verdicts(load_dataset(args.data)) if scoring == "generate" else None
    model = open_model(args)
    evaluator = Evaluator(model, config, Path(args.out), verdict)
    if model.paid:
        confirm(model, evaluator.estimate(args.restart), args.yes)
    say_plan(args.model, args.device, [(f"eval {args.regime}", len(evaluator.plan[0]), f"eval item {args.regime}")])
    with progress(f"{args.regime} · {args.model}") as advance:
        metrics = evaluator.evaluate(advance, restart=args.restart)
    from .experiments.evaluate import show_metrics

    show_metrics(metrics, f"{args.regime} · {args.model} · {args.data}", Console())


def say_plan(model: str, device: str | None, phases: list[tuple[str, int, str]]) -> None:
    """Before long work on a local model: roughly how long it will take (timing.Plan)."""
    from .experiments.timing import Plan, checkpoint_millions, on_gpu

    text = Plan(checkpoint_millions(model), on_gpu(device), phases).describe()
    if text:
        console.print(text[0].upper() + text[1:], markup=False, highlight=False)


def require_synth_output(data: str, name: str) -> None:
    if not (Path(data) / name).is_file():
        from .files import did_you_mean

        raise KgsynthError(f"--data {data} is not a directory written by synth (no {name}){did_you_mean(data)}")


def default_scoring(model: str) -> str:
    return "choice" if model.startswith("gemini:") else "likelihood"


def open_model(args: argparse.Namespace):
    from .models import load_model

    with console.status(f"loading {args.model}"):
        return load_model(args.model, progress=lambda text: console.print(text), device=args.device,
                          dtype=getattr(args, "dtype", None), **gemini_options(args))


def run_finetune(args: argparse.Namespace) -> None:
    gemini = args.model.startswith("gemini:")
    other = ("preset", "method", "steps", "batch_size", "lr", "lr_schedule") if gemini else ("gcs_uri", "epochs")
    misplaced = [f"--{name.replace('_', '-')}" for name in other if getattr(args, name) is not None]
    if misplaced:
        raise KgsynthError(f"{', '.join(misplaced)}: for {'local' if gemini else 'gemini'} models only")
    if gemini:
        return run_finetune_gemini(args)
    from .experiments.finetune import finetune, finetune_run, preset_config

    config = preset_config(args.data, args.model, args.device, args.preset, shape=args.shape, method=args.method,
                           steps=args.steps, batch_size=args.batch_size, learning_rate=args.lr,
                           lr_schedule=args.lr_schedule, seed=args.seed,
                           extra=[str(Path(e).resolve()) for e in args.extra])
    config.validate()
    finetune_run(config, Path(args.out)).check(args.restart)
    unit = "finetune step" if config.method == "lora" else "finetune step full"
    say_plan(args.model, args.device, [("finetune", config.steps, unit)])
    with progress(f"{config.method} · {config.shape} · {args.model}", config.steps) as tracker:
        out = finetune(config, Path(args.out), args.device, restart=args.restart, progress=tracker.step)
    Console().print(f"fine-tuned {config.steps} steps; model in {out} (eval with --model local:{out}); "
                    f"loss curve {Path(args.out) / 'loss.png'}")


def run_finetune_gemini(args: argparse.Namespace) -> None:
    from .experiments.tuning import finetune_gemini, tuning_run

    require_synth_output(args.data, "train.jsonl")
    tuning_run(Path(args.data), Path(args.out), args.shape, [Path(e) for e in args.extra]).check(args.restart)
    model = open_model(args) if args.gcs_uri else None
    spec = finetune_gemini(model, Path(args.data), Path(args.out), args.shape, [Path(e) for e in args.extra],
                           args.gcs_uri, args.epochs, say=console.print, restart=args.restart)
    if spec:
        Console().print(f"tuned; evaluate with --model {spec}")


def run_augment(args: argparse.Namespace) -> None:
    from .experiments.audit import show_audit
    from .experiments.augment import AugmentConfig, Augmenter, augment_run

    config = AugmentConfig(data=str(Path(args.data).resolve()), strategy=args.strategy, model=args.model,
                           max_tokens=args.max_tokens, samples=args.samples, temperature=args.temperature,
                           seed=args.seed, limit=args.limit, subsample=args.subsample,
                           prompt_file=str(Path(args.prompt_file).resolve()) if args.prompt_file else None)
    config.validate()
    require_synth_output(args.data, "manifest.json")
    augment_run(config, Path(args.out), json_list=args.model.startswith("gemini:")).check(args.restart)
    model = open_model(args)
    augmenter = Augmenter(model, config, Path(args.out))
    if model.paid:
        confirm(model, augmenter.estimate(args.restart), args.yes)
    say_plan(args.model, args.device, [(f"augment {args.strategy}", len(augmenter.sources),
                                         f"augment source {args.strategy}")])
    with progress(f"augment {args.strategy} · {args.model}") as advance:
        result = augmenter.augment(advance, keep=args.keep, restart=args.restart)
    show_audit(result, f"augment {args.strategy} · {args.model} · {args.data}")


def run_report(args: argparse.Namespace) -> None:
    from .experiments.report import show_report, write_report

    runs, path = write_report(args.runs, Path(args.out))
    show_report(path, Console())
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
    from .data.synth import limit_lines

    for line in limit_lines(figures.get("limits", {})):
        Console().print(line, markup=False, highlight=False)


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
    except (MemoryError, RuntimeError, OSError) as exc:
        print(f"kgsynth: error: {resource_error(exc, args.command)}", file=sys.stderr)  # or raises it again
        return 2
    return 0


def resource_error(exc: BaseException, command: str) -> str:
    """One line for running out of memory or out of room, or `exc` raised again (a bug: its traceback)."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":  # torch's, on the device
        where = "" if isinstance(exc, MemoryError) else " on the device"
        return f"out of memory{where} while running {command}; free memory or make the job smaller"
    if isinstance(exc, OSError) and exc.filename and exc.errno in WRITE_ERRORS:
        return f"{exc.filename}: {exc.strerror}"
    raise exc
