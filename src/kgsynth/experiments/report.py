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
from ..files import json_bytes, read_json, sha256
from .findings import findings_paragraph

MARKER = "report.json"


def load_runs(paths: list[str]) -> list[dict]:
    runs = []
    for path in map(Path, paths):
        if not (path / "metrics.json").is_file():
            raise KgsynthError(f"{path} has no metrics.json: is it a finished `eval` run?")
        record = read_json(path / "run.json") if (path / "run.json").is_file() else {}
        config = record.get("config") if isinstance(record, dict) else None
        if not isinstance(config, dict) or not {"regime", "model", "data"} <= set(config):
            raise KgsynthError(f"{path} has no run.json of an `eval` run")
        runs.append({"path": path, "config": config, "metrics": read_json(path / "metrics.json")})
    several_models = len({r["config"]["model"] for r in runs}) > 1
    for run in runs:
        config = run["config"]
        if config.get("label"):  # named by its maker (study): the regime it stands for
            run["label"] = config["label"]
        else:
            run["label"] = config["regime"] + (f" ({config['model']})" if several_models else "")
    labels = [r["label"] for r in runs]
    for run in runs:
        if labels.count(run["label"]) > 1:
            run["label"] = f"{run['label']} [{run['path'].name}]"
    return runs


def splits_of(runs: list[dict]) -> list[str]:
    found = sorted({s for r in runs for s in r["metrics"] if s != "all"})
    return found + ["all"]


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
        ax.bar(xs, ys, width, yerr=errors, capsize=3, label=run["label"])
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
