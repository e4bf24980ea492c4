"""A synthesized dataset as an lm-evaluation-harness task group: one `multiple_choice` task per
split and regime, each option a continuation exactly as `kgsynth eval` scores it (the request
is context + prompt, the option appended as it is: options start with a space, so the target
delimiter is empty), `acc` and `acc_norm`.

The directory is self-contained and can be moved: the items are copied in, the in-context
corpus of `icl` (all documents or the same seeded share as `eval --subsample`) is written
once to corpus.txt, and a small module beside the YAML files reads both (lm-eval resolves
`!function` next to the YAML that names it). kgsynth-export.json lists every file with its
sha256, so a later export may replace the directory (data/outdir.OutputDir).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..data.dataset import item_splits, read_manifest, verify_outputs
from ..data.outdir import OutputDir
from ..errors import KgsynthError
from ..experiments.evaluate import corpus_prefix
from ..files import json_bytes, sha256

MARKER = "kgsynth-export.json"
MODULE = "kgsynth_tasks"
REGIMES = ("baseline", "icl")

LOADER = '''"""Written by `kgsynth export lm-eval`: the items and the in-context corpus beside this file."""

import json
from functools import cache
from pathlib import Path

import datasets

HERE = Path(__file__).parent
FIELDS = ("id", "split", "prompt", "options", "answer")


def load_items(split, **_):
    """The items of `split` as the task's test set (lm-eval passes its metadata too)."""
    lines = (HERE / "items" / f"{split}.jsonl").read_bytes().decode("utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list([{k: r[k] for k in FIELDS} for r in records])})


@cache
def corpus():
    return (HERE / "corpus.txt").read_bytes().decode("utf-8")


def baseline_text(doc):
    return doc["prompt"]


def icl_text(doc):
    return corpus() + doc["prompt"]
'''


@dataclass(frozen=True)
class Export:
    group: str
    tasks: list[str]  # every task, `<group>_<split>_<regime>`
    out: Path


def task_prefix(data: Path, name: str | None) -> str:
    """`kgsynth_<name>`: lm-eval task names are global, so the dataset's name is in each."""
    stem = re.sub(r"[^a-z0-9]+", "_", (name or data.resolve().name).lower()).strip("_")
    if not stem:
        raise KgsynthError(f"cannot name the tasks after {data}: pass --name")
    return f"kgsynth_{stem}"


def task_yaml(task: str, split: str, regime: str, data: Path) -> str:
    return "\n".join([
        f"# kgsynth export of {data}: split {split}, regime {regime}",
        f"task: {task}",
        f"custom_dataset: !function {MODULE}.load_items",
        "dataset_kwargs:",
        f"  split: {split}",
        "test_split: test",
        "output_type: multiple_choice",
        f"doc_to_text: !function {MODULE}.{regime}_text",
        "doc_to_choice: options",
        "doc_to_target: answer",
        'target_delimiter: ""  # every option starts with a space',
        "metric_list:",
        "  - metric: acc",
        "    aggregation: mean",
        "    higher_is_better: true",
        "  - metric: acc_norm",
        "    aggregation: mean",
        "    higher_is_better: true",
        "metadata:",
        "  version: 1.0",
        "",
    ])


def group_yaml(group: str, tasks: list[str]) -> str:
    return "\n".join([
        f"group: {group}",
        "task:", *[f"  - {t}" for t in tasks],
        "aggregate_metric_list:",
        "  - metric: acc",
        "    weight_by_size: true",
        "  - metric: acc_norm",
        "    weight_by_size: true",
        "metadata:",
        "  version: 1.0",
        "",
    ])


def export_files(data: Path, subsample: float | None, seed: int, name: str | None) -> tuple[dict[str, bytes], str, list[str]]:
    """(every file by path, the group's name, its tasks)."""
    manifest = read_manifest(data)
    verify_outputs(data, manifest)
    splits = item_splits(data)
    if not splits:
        raise KgsynthError(f"{data} has no items/: is it a directory written by `synth`?")
    group = task_prefix(data, name)
    files: dict[str, bytes] = {f"{MODULE}.py": LOADER.encode(),
                               "corpus.txt": corpus_prefix(data, "icl", subsample, seed).encode()}
    tasks: list[str] = []
    for regime in REGIMES:
        regime_tasks = []
        for split in splits:
            task = f"{group}_{split}_{regime}"
            files[f"{task}.yaml"] = task_yaml(task, split, regime, data).encode()
            regime_tasks.append(task)
        files[f"{group}_{regime}.yaml"] = group_yaml(f"{group}_{regime}", regime_tasks).encode()
        tasks += regime_tasks
    files[f"{group}.yaml"] = group_yaml(group, [f"{group}_{r}" for r in REGIMES]).encode()
    for split in splits:
        files[f"items/{split}.jsonl"] = (data / "items" / f"{split}.jsonl").read_bytes()
    marker = {"kgsynth_version": __version__, "data": str(data.resolve()), "dataset_manifest_sha256":
              sha256((data / "manifest.json").read_bytes()), "subsample": subsample, "seed": seed, "group": group,
              "tasks": tasks, "outputs": {path: sha256(content) for path, content in sorted(files.items())}}
    files[MARKER] = json_bytes(marker)
    return files, group, tasks


def export_lm_eval(data: str | Path, out: str | Path, subsample: float | None = None, seed: int = 0,
                   name: str | None = None) -> Export:
    """Write the task group for the dataset `synth` wrote to `data` into `out` (atomically)."""
    data = Path(data)
    if subsample is not None and not 0 < subsample <= 1:
        raise KgsynthError(f"--subsample must be in (0, 1], got {subsample}")
    if not (data / "manifest.json").is_file():
        raise KgsynthError(f"{data} is not a directory written by synth (no manifest.json)")
    target = OutputDir(out, marker=MARKER)
    files, group, tasks = export_files(data, subsample, seed, name)
    target.write(files)
    return Export(group, tasks, Path(out))


def read_export(out: str | Path) -> dict:
    """The marker of an export directory (what was exported, from which dataset, how)."""
    return json.loads((Path(out) / MARKER).read_text())
