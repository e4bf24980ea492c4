"""Compare runs: a table split × run, a figure in the paper's style, report.md with both.

--out is a directory written whole and atomically (data.outdir.OutputDir): report.md,
report.png and report.json, the marker that lists both with their hashes. An existing --out
is replaced only when it holds exactly what its report.json lists (see OutputDir).
"""

from __future__ import annotations

import io
from pathlib import Path

from .. import __version__
from ..data.outdir import OutputDir
from ..errors import KgsynthError
from ..files import did_you_mean, json_bytes, read_json, sha256
from .findings import findings_paragraph

MARKER = "report.json"


def load_runs(paths: list[str]) -> list[dict]:
    runs = []
    for path in map(Path, paths):
        if not (path / "metrics.json").is_file():
            if not path.exists():
                raise KgsynthError(f"run directory not found: {path}{did_you_mean(path)}")
            raise KgsynthError(f"{path} has no metrics.json: is it a finished `eval` run?")
        record = read_json(path / "run.json") if (path / "run.json").is_file() else {}
        config = record.get("config") if isinstance(record, dict) else None
        if not isinstance(config, dict) or not {"regime", "model", "data"} <= set(config):
            raise KgsynthError(f"{path} has no run.json of an `eval` run")
        runs.append({"path": path, "config": config, "metrics": read_json(path / "metrics.json")})
    several_models = len({r["config"]["model"] for r in runs}) > 1
    for run in runs:
        run["label"] = run_label(run["config"], several_models)
    labels = [r["label"] for r in runs]
    for run, label in zip(runs, labels, strict=True):
        twins = [r["path"] for r, other in zip(runs, labels, strict=True) if other == label]
        if len(twins) > 1:
            run["label"] = f"{run['label']} [{shortest_unique_tail(run['path'], twins)}]"
    return runs


def shortest_unique_tail(path: Path, paths: list[Path]) -> str:
    """The last folder names of `path` that no other of `paths` ends with (runs/a/icl, runs/b/icl: a/icl)."""
    for size in range(1, len(path.parts) + 1):
        tail = path.parts[-size:]
        if sum(p.parts[-size:] == tail for p in paths) == 1:
            return "/".join(tail)
    return str(path)


def run_label(config: dict, several_models: bool) -> str:
    """eval --label (the study's regime names), else what the run did: `ft (runs/x-ft)` for a
    fine-tuned model asked without context, `icl` for the base model in context, …"""
    if config.get("label"):
        return config["label"]
    tuned = finetune_run_of(config["model"])
    if tuned is not None:
        return ("ft" if config["regime"] == "baseline" else f"ft + {config['regime']}") + f" ({tuned})"
    return config["regime"] + (f" ({config['model']})" if several_models else "")


def finetune_run_of(model: str) -> str | None:
    """The finetune run directory that wrote `local:DIR/model`, or None."""
    if not model.startswith("local:"):
        return None
    run = Path(model.removeprefix("local:")).parent
    try:
        record = read_json(run / "run.json")
    except KgsynthError:
        return None
    return str(run) if isinstance(record, dict) and record.get("kind") == "finetune" else None


def splits_of(runs: list[dict]) -> list[str]:
    """The splits any run has, then "all" (unless there is only one split: "all" would repeat it)."""
    found = sorted({s for r in runs for s in r["metrics"] if s != "all"})
    return found + ["all"] if len(found) != 1 else found


def chance_of(runs: list[dict], split: str) -> float | None:
    return next((r["metrics"][split].get("chance") for r in runs if split in r["metrics"]), None)


def cell(metrics: dict | None) -> str:
    if not metrics:
        return "—"
    low, high = metrics["wilson95"]
    return f"{metrics['accuracy']:.3f} ± {metrics['stderr']:.3f} [{low:.2f}, {high:.2f}] (n={metrics['n']})"


def markdown_table(runs: list[dict]) -> str:
    header = "| split | chance | " + " | ".join(r["label"] for r in runs) + " |"
    lines = [header, "|" + "---|" * (len(runs) + 2)]
    for split in splits_of(runs):
        chance = chance_of(runs, split)
        chance_text = f"{chance:.3f}" if chance is not None else "—"
        lines.append(f"| {split} | {chance_text} | " + " | ".join(cell(r["metrics"].get(split)) for r in runs) + " |")
    return "\n".join(lines)


def results_table(runs: list[dict]):
    """The results for a terminal (rich): a row per run, a column per split; accuracy over its
    Wilson interval in each cell, so the table folds to the terminal's width, never mid-number."""
    from rich.table import Table
    from rich.text import Text

    splits = splits_of(runs)
    table = Table(title="accuracy [95% Wilson interval]")
    table.add_column("run", overflow="fold")
    for split in splits:
        table.add_column(split, justify="right", overflow="fold")
    chances = [chance_of(runs, split) for split in splits]
    table.add_row("chance", *(f"{c:.2f}" if c is not None else "—" for c in chances), style="dim")
    for run in runs:
        table.add_row(Text(run["label"]), *(short_cell(run["metrics"].get(split)) for split in splits))
    return table


def short_cell(metrics: dict | None) -> str:
    if not metrics:
        return "—"
    low, high = metrics["wilson95"]
    return f"{metrics['accuracy']:.2f} (n={metrics['n']})\n[{low:.2f}, {high:.2f}]"


def show_report(path: Path, console) -> None:
    """What `report` and `study` print: the opening paragraphs of report.md, then the results table."""
    from rich.markdown import Markdown

    runs = load_runs(read_json(path.parent / MARKER)["runs"])
    opening = path.read_text().split("\n| split |")[0].removeprefix("# kgsynth report").strip()
    if opening:
        console.print(Markdown(opening))
    console.print(results_table(runs))


def figure(runs: list[dict]) -> bytes:
    """The figure, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    splits = splits_of(runs)
    width = 0.8 / len(runs)
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(splits)), 4))
    for index, run in enumerate(runs):
        xs, ys, errors = [], [], [[], []]
        for position, split in enumerate(splits):
            m = run["metrics"].get(split)
            if not m:
                continue
            xs.append(position - 0.4 + width * (index + 0.5))
            ys.append(m["accuracy"])
            errors[0].append(max(0.0, m["accuracy"] - m["wilson95"][0]))  # rounding can cross the bound
            errors[1].append(max(0.0, m["wilson95"][1] - m["accuracy"]))
        bars = ax.bar(xs, ys, width, yerr=errors, capsize=3, label=run["label"])
        zeros = [x for x, y in zip(xs, ys, strict=True) if y == 0]  # a bar of height 0 would be invisible
        if zeros:
            ax.plot(zeros, [0.0] * len(zeros), linestyle="none", marker="^", markersize=8, clip_on=False,
                    color=bars.patches[0].get_facecolor())
    for position, split in enumerate(splits):
        chance = chance_of(runs, split)
        if chance is not None:
            ax.hlines(chance, position - 0.45, position + 0.45, colors="black", linestyles="dashed", linewidth=1)
    ax.set_xticks(range(len(splits)), splits)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy (95% Wilson interval)")
    ax.set_title("kgsynth: accuracy per split (dashed: chance)")
    ax.legend()
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=120)
    plt.close(fig)
    return png.getvalue()


def write_report(paths: list[str], out: Path, intro: str = "", sections: tuple[str, ...] = ()) -> tuple[list[dict], Path]:
    """Write OUT/report.md, report.png and report.json, replacing an earlier report whole.
    `intro` goes before the findings, `sections` after the figure (markdown)."""
    target = OutputDir(out, MARKER)  # --out refused before anything is read
    runs = load_runs(paths)
    sources = "\n".join(f"- {r['label']}: `{r['path']}` ({r['config']['model']}, {r['config']['data']})" for r in runs)
    parts = ["# kgsynth report", intro, findings_paragraph(runs), markdown_table(runs),
             "![accuracy per split](report.png)", *sections, f"Runs:\n{sources}\n"]
    text = "\n\n".join(part for part in parts if part)
    outputs = {"report.md": text.encode(), "report.png": figure(runs)}
    marker = {"kgsynth_version": __version__, "runs": [str(r["path"]) for r in runs],
              "outputs": {name: sha256(content) for name, content in sorted(outputs.items())}}
    target.write({**outputs, MARKER: json_bytes(marker)})
    return runs, Path(out) / "report.md"
