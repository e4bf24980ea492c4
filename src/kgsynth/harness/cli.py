"""`kgsynth export lm-eval DIR --out TASKS`: argparse and the runner (kgsynth.cli adds the command)."""

from __future__ import annotations

import argparse
import shlex

from rich.console import Console
from rich.table import Table


def add_export_commands(commands) -> None:
    export = commands.add_parser("export", help="a dataset as tasks of another evaluation harness (lm-eval)")
    formats = export.add_subparsers(dest="format", metavar="FORMAT", parser_class=type(export), required=True)
    lm_eval = formats.add_parser("lm-eval", help="an lm-evaluation-harness task group: one task per split and regime")
    lm_eval.add_argument("data", help="a directory written by synth")
    lm_eval.add_argument("--out", required=True, help="the task directory, for lm_eval --include_path (replaced atomically)")
    lm_eval.add_argument("--subsample", type=float, help="icl: share of the documents in context, as eval --subsample")
    lm_eval.add_argument("--seed", type=int, default=0, help="seed of the --subsample draw, as eval --seed (default 0)")
    lm_eval.add_argument("--name", help="the name in every task name (default: the dataset directory's name)")
    lm_eval.set_defaults(run=run_export_lm_eval)


def run_export_lm_eval(args: argparse.Namespace) -> None:
    from .lm_eval import export_lm_eval

    export = export_lm_eval(args.data, args.out, subsample=args.subsample, seed=args.seed, name=args.name)
    table = Table(title=f"lm-eval tasks in {args.out}")
    table.add_column("task")
    for task in [export.group, f"{export.group}_baseline", f"{export.group}_icl", *export.tasks]:
        table.add_row(task)
    out = Console()
    out.print(table)
    include = shlex.quote(str(args.out))
    out.print(f"run: lm_eval --model hf --model_args pretrained=MODEL --include_path {include} "
              f"--tasks {export.group} --log_samples --output_path RESULTS", soft_wrap=True)
