"""The parts of a study's report.md that only a study has: what the run was, the audit of
the model's augmentations, and how much of its training text each fine-tune recalls."""

from __future__ import annotations

from pathlib import Path

from ..files import read_json

GLOSSARY = {
    "baseline": "the question alone: a model that never saw the facts must be at chance",
    "icl": "the facts in context, then the question",
    "ft": "fine-tuned on the training text, asked without context",
    "aug-ft-local": "fine-tuned on the training text plus the model's own rephrasings and reversals of each sentence",
    "aug-ft-global": "plus the model's own inferences from each document with the corpus in context",
    "aug-ft-verified": "plus only those of both augmentations the oracle entails",
    "oracle-ft": "plus the oracle's own inferences (the ceiling of augmentation)",
}


def run_section(config: dict, studied_model: str, steps: dict[str, int]) -> str:
    """One paragraph: the model, the items, the fine-tuning, quick or not."""
    items = config.get("items_per_split") or "all"
    tuned = ", ".join(f"{name} {count}" for name, count in steps.items()) or "none"
    lines = [f"Model: `{studied_model}`" + (f" (meta-trained from `{config['model']}`)" if config.get("metatrain") else ""),
             f"items per split: {items}; ICL context: {config.get('context') or 'corpus'}",
             f"fine-tuning steps: {tuned}" + (f" ({config['epochs']} epochs)" if config.get("epochs") else "")]
    if config.get("quick"):
        lines.append("a `--quick` smoke run: small n, short training; intervals are wide")
    return "**The run.** " + "; ".join(lines) + "."


def glossary_section(regimes: list[str]) -> str:
    return "**Regimes.** " + " ".join(f"*{name}*: {GLOSSARY[name]}." for name in regimes if name in GLOSSARY)


def audit_section(out: Path) -> str:
    rows = []
    for path in sorted(out.glob("augment-*/audit.json")):
        a = read_json(path)
        by_split = ", ".join(f"{split} {value:.2f}" for split, value in a.get("coverage_by_split", {}).items()
                             if value is not None)
        rows.append(f"| {path.parent.name.removeprefix('augment-')} | {a['total']} | {a['parsed']} | {a['entailed']} | "
                    f"{a['contradicted']} | {a['unknown']} | {a['unparseable']} | {share(a['precision'])} | "
                    f"{share(a['coverage'])} ({by_split}) |")
    if not rows:
        return ""
    header = ("| strategy | sentences | parsed | entailed | contradicted | unknown | unparseable | precision | "
              "coverage of test answers |\n|---|---|---|---|---|---|---|---|---|")
    return "**Augmentation audit** (the model's own sentences, judged by the oracle):\n\n" + header + "\n" + \
        "\n".join(rows)


def recall_section(out: Path) -> str:
    path = out / "training-recall.json"
    if not path.is_file():
        return ""
    recalls = read_json(path)
    cells = [f"{name} {r['recall']:.2f} [{r['wilson95'][0]:.2f}, {r['wilson95'][1]:.2f}] (n={r['n']})"
             for name, r in recalls.items()]
    return ("**Training-set recall** (the last word of a training text, completed greedily from the words "
            "before it): " + "; ".join(cells) + ".")


def share(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def study_sections(out: Path, config: dict, studied_model: str, steps: dict[str, int]) -> list[str]:
    found = [run_section(config, studied_model, steps), glossary_section(config.get("regimes", [])),
             audit_section(out), recall_section(out)]
    return [section for section in found if section]
