"""Command line of the lab: `study` (synth, every regime, report; `--metatrain` first teaches
the local model to use its context on other worlds of the ontology) and `metatrain` alone
(the model then usable as `local:DIR` anywhere)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console

from . import cli
from .errors import KgsynthError
from .experiments.options import CONTEXTS, DISTRACTORS, LR_SCHEDULES, METATRAIN, SCORINGS, STUDY_REGIMES
from .models.scratch import SIZES
from .progress import progress


def add_lab_commands(commands) -> None:
    add_study_command(commands)
    add_metatrain_command(commands)


def add_study_command(commands) -> None:
    regimes = ", ".join(STUDY_REGIMES)
    study = commands.add_parser("study", help="synth, every regime (baseline, icl, ft, augmented ft, oracle ft), report",
                                description=f"Regimes, in order: {regimes}. See the README's glossary.")
    study.add_argument("--ontology", required=True, help="RDF/OWL file, or the name of a shipped one (syllogisms)")
    study.add_argument("--model", default="local", help=cli.MODEL_HELP)
    study.add_argument("--out", required=True, help="study directory; rerunning reuses finished work")
    study.add_argument("--quick", action="store_true",
                       help="a smoke run: 25 items per split, 40 LoRA steps, 30 augmentation sources; with --metatrain: "
                            "60 meta-training steps, a smaller test world (e.g. 30 facts), 1.5 epochs, the regimes "
                            "baseline, icl, ft, aug-ft-local and oracle-ft")
    study.add_argument("--regime", action="append", default=[], choices=STUDY_REGIMES, metavar="REGIME",
                       help=f"only this regime (repeatable): {regimes}")
    study.add_argument("--seed", type=int, default=0, help="seed of the test world and every random choice")
    study.add_argument("--metatrain", action="store_true",
                       help="first meta-train the local model on other worlds of the ontology (cached), then study it")
    study.add_argument("--metatrain-steps", type=int, help="default 180 (quick: 60)")
    study.add_argument("--world-setting", action="append", default=[], metavar="KEY=VALUE",
                       help="a setting of the test world, as the ontology names it, e.g. syllogisms=120 (repeatable)")
    study.add_argument("--context", choices=CONTEXTS,
                       help="icl: every document (corpus; the default), or per item its own documents among "
                            "distractors (relevant; the default with --metatrain)")
    study.add_argument("--distractors", type=int, default=DISTRACTORS, help="--context relevant: other documents")
    study.add_argument("--items-per-split", type=int, help="at most this many items per split (default: all)")
    study.add_argument("--steps", type=int, help="fine-tuning steps (default: the device's preset)")
    study.add_argument("--epochs", type=float, help="fine-tune for this many passes over each regime's training text")
    study.add_argument("--lr-schedule", choices=LR_SCHEDULES,
                       help="fine-tuning: after the warm-up, hold the learning rate (the default) or decay it "
                            "linearly to 0 (the default with --metatrain)")
    study.add_argument("--augment-sources", type=int, help="at most this many augmentation sources per strategy")
    study.add_argument("--device", help="cuda or cpu (default: cuda when present)")
    study.add_argument("--scoring", choices=SCORINGS,
                       help="default: likelihood for local models, choice for gemini")
    study.add_argument("--gcs-uri", help="gemini: gs:// folder holding the uploaded REGIME.jsonl tuning files")
    cli.add_gemini_options(study)
    study.set_defaults(run=run_study)


def run_study(args: argparse.Namespace) -> None:
    from .experiments.report import show_report
    from .experiments.study import Study, StudyConfig
    from .resources import ontology_path

    config = StudyConfig(ontology=str(ontology_path(args.ontology).resolve()), out=args.out, model=args.model,
                         seed=args.seed, quick=args.quick, regimes=args.regime or None,
                         device=args.device, scoring=args.scoring or cli.default_scoring(args.model),
                         gcs_uri=args.gcs_uri, context=args.context, distractors=args.distractors,
                         items_per_split=args.items_per_split, steps=args.steps, epochs=args.epochs, lr_schedule=args.lr_schedule,
                         augment_sources=args.augment_sources, metatrain=args.metatrain,
                         metatrain_steps=args.metatrain_steps, world_settings=parse_settings(args.world_setting),
                         model_options={k: v for k, v in cli.gemini_options(args).items() if v is not None})
    started = time.perf_counter()
    report = Study(config, say=cli.console.print, bar=progress,
                   confirm=lambda model, estimate: cli.confirm(model, estimate, args.yes)).run()
    show_report(report, Console())
    Console().print(f"study finished in {(time.perf_counter() - started) / 60:.1f} min: {report}")


def add_metatrain_command(commands) -> None:
    meta = commands.add_parser("metatrain", help="teach a local model to use its context on many worlds (LoRA)")
    meta.add_argument("--ontology", required=True, help="RDF/OWL file, or the name of a shipped one (simple_reversals)")
    meta.add_argument("--model", default="local", help="local (embedded Gemma 3 270M) or local:PATH")
    meta.add_argument("--out", help="also copy metatrain.json and metatrain.png here")
    meta.add_argument("--test-seed", type=int, default=METATRAIN["test_seed"],
                      help="seed of the world the study will test on: never trained or validated on (default 0)")
    meta.add_argument("--steps", type=int, default=METATRAIN["steps"], help=f"default {METATRAIN['steps']}")
    meta.add_argument("--batch-size", type=int, default=METATRAIN["batch_size"])
    meta.add_argument("--lr", type=float, default=METATRAIN["learning_rate"], help="learning rate (default 1e-3)")
    meta.add_argument("--lora-rank", type=int, default=METATRAIN["lora_rank"])
    meta.add_argument("--max-length", type=int, default=METATRAIN["max_length"], help="tokens per training sequence")
    meta.add_argument("--eval-every", type=int, default=METATRAIN["eval_every"], help="steps between held-out evals")
    meta.add_argument("--eval-worlds", type=int, default=METATRAIN["eval_worlds"], help="held-out validation worlds")
    meta.add_argument("--world-setting", action="append", default=[], metavar="KEY=VALUE",
                      help="a setting of the small training worlds, e.g. facts=8 (repeatable)")
    meta.add_argument("--augment-share", type=float, default=METATRAIN["augment_share"],
                      help="share of sequences demonstrating augment's prompts, answered by the oracle (default 0.25)")
    meta.add_argument("--from-scratch", choices=SIZES, metavar="SIZE",
                      help=f"train a new Gemma 3-shaped model ({', '.join(SIZES)}) with its own tokenizer from random "
                           "weights instead of a LoRA on --model: the GPU path (thousands of steps)")
    meta.add_argument("--bf16", action="store_true",
                      help="compute in bfloat16 (autocast, float32 weights): a step in about 0.8 of the time on a CPU "
                           "with AMX (bench/bf16_step.py), and on a GPU")
    meta.set_defaults(run=run_metatrain)


def parse_settings(pairs: list[str]) -> dict:
    """['facts=8', ...] -> {'facts': 8}: integers, floats, true/false, or text."""
    settings = {}
    for pair in pairs:
        key, sign, value = pair.partition("=")
        if not sign or not key.strip():
            raise KgsynthError(f"--world-setting must look like KEY=VALUE, got {pair!r}")
        settings[key.strip()] = typed(value.strip())
    return settings


def typed(value: str):
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def run_metatrain(args: argparse.Namespace) -> None:
    from .experiments.metatrain import metatrain, read_record
    from .experiments.metatrain_data import MetatrainConfig
    from .resources import ontology_path

    config = MetatrainConfig(ontology=str(ontology_path(args.ontology).resolve()), model=args.model,
                             test_seed=args.test_seed, steps=args.steps, batch_size=args.batch_size,
                             learning_rate=args.lr, lora_rank=args.lora_rank, max_length=args.max_length,
                             eval_every=args.eval_every, eval_worlds=args.eval_worlds,
                             world_settings=parse_settings(args.world_setting), from_scratch=args.from_scratch,
                             augment_share=args.augment_share, bf16=args.bf16)
    config.validate()
    with progress(f"metatrain {Path(config.ontology).stem}", config.steps) as tracker:
        directory = metatrain(config, Path(args.out) if args.out else None, tracker.step)
    show_curve(read_record(directory), Console())
    Console().print(f"model: local:{directory}")


def show_curve(record: dict, console: Console) -> None:
    """Held-out in-context accuracy per split at each evaluated step."""
    from rich.table import Table

    curve = record["curve"]
    splits = sorted({s for point in curve for s in point["metrics"] if s != "all"})
    table = Table(title=f"held-out in-context accuracy ({record['config']['eval_worlds']} worlds)")
    table.add_column("step", justify="right")
    for split in splits:
        table.add_column(split, justify="right")
    for point in curve:
        cells = []
        for split in splits:
            m = point["metrics"].get(split)
            cells.append(f"{m['accuracy']:.2f} (n={m['n']})" if m else "—")
        table.add_row(str(point["step"]), *cells)
    console.print(table)
    console.print(f"{record['seconds_per_step']} s per step, {record['total_seconds'] / 60:.1f} min in all")
