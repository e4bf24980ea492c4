"""The dataset card `synth` writes as README.md: the YAML header Hugging Face `datasets` reads
(three configs: documents, train, and items with one split per items file; the features of
each, inferred from the records written; the license) and a body saying how the dataset was
made (ontology and its sha256, seed, settings, kgsynth version) and how to load it.

Deterministic: the same records and provenance give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from .. import __version__

NUMBERS = ("int64", "float64")  # an int64 column with a float in it is float64


@dataclass(frozen=True)
class Provenance:
    ontology: str  # the file name synth read
    ontology_sha256: str
    seed: int
    shipped: bool  # one of kgsynth's own ontologies (Apache-2.0, like kgsynth)
    settings: dict = field(default_factory=dict)
    version: str = __version__
    facts: tuple[str, str] | None = None  # the facts table (`synth --facts`): its name and sha256
    closed_world: bool = False  # facts as data: what does not follow from the facts is false


# -- features, inferred from the records -------------------------------------------------------
# A feature is ("value", dtype), ("list", element), ("struct", {name: feature}) or None (only nulls seen).


def infer(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return ("value", "bool")
    if isinstance(value, int):
        return ("value", "int64")
    if isinstance(value, float):
        return ("value", "float64")
    if isinstance(value, str):
        return ("value", "string")
    if isinstance(value, list):
        return ("list", merge_all(infer(v) for v in value))
    return ("struct", {k: infer(v) for k, v in value.items()})


def merge(a, b):
    """The feature holding both `a` and `b` (struct fields are the union, as pyarrow reads JSON)."""
    if a is None or a == b:
        return b if a is None else a
    if b is None:
        return a
    if a[0] == b[0] == "value" and {a[1], b[1]} <= set(NUMBERS):
        return ("value", "float64")
    if a[0] == b[0] == "list":
        return ("list", merge(a[1], b[1]))
    if a[0] == b[0] == "struct":
        return ("struct", {k: merge(a[1].get(k), b[1].get(k)) for k in sorted(a[1].keys() | b[1].keys())})
    raise ValueError(f"records disagree on a field's type: {a} and {b}")


def merge_all(features: Iterable) -> object:
    found = None
    for feature in features:
        found = merge(found, feature)
    return found


def records_feature(records: Iterable[dict]):
    return merge_all(infer(r) for r in records) or ("struct", {})


def yaml_fields(struct: dict, indent: str) -> list[str]:
    """A struct's fields in the YAML of a card's `features:` (name, then dtype / list / struct)."""
    lines = []
    for name in sorted(struct):
        lines.append(f"{indent}- name: {name}")
        lines += yaml_type(struct[name], indent + "  ")
    return lines


def yaml_type(feature, indent: str) -> list[str]:
    if feature is None:
        return [f"{indent}dtype: 'null'"]
    kind, inner = feature
    if kind == "value":
        return [f"{indent}dtype: {inner}"]
    if kind == "struct":
        return [f"{indent}struct:", *yaml_fields(inner, indent + "  ")] if inner else [f"{indent}struct: []"]
    if inner is not None and inner[0] == "struct":
        return [f"{indent}list:", *yaml_fields(inner[1], indent + "  ")]
    return [f"{indent}list:", *yaml_type(inner, indent + "  ")]


# -- the card ----------------------------------------------------------------------------------


Configs = dict[str, dict[str, tuple[str, list[dict], int]]]  # config -> split -> (data file, its records, its bytes)


def yaml_header(configs: Configs, provenance: Provenance) -> list[str]:
    lines = ["---", f"license: {'apache-2.0' if provenance.shipped else 'unknown'}", "language:", "- en",
             f"pretty_name: {json.dumps(f'kgsynth {provenance.ontology} (seed {provenance.seed})')}",
             "task_categories:", "- multiple-choice", "- text-generation",
             "tags:", "- synthetic", "- knowledge-graph", "- reasoning", "- kgsynth", "configs:"]
    for name, splits in configs.items():
        lines += [f"- config_name: {name}", "  data_files:"]
        for split, (path, _, _) in splits.items():
            lines += [f"  - split: {split}", f"    path: {path}"]
        if name == "train":
            lines.append("  default: true")
    lines.append("dataset_info:")
    for name, splits in configs.items():
        feature = records_feature(r for _, records, _ in splits.values() for r in records)
        lines += [f"- config_name: {name}", "  features:", *yaml_fields(feature[1], "  ")]
        lines.append("  splits:")
        for split, (_, records, size) in splits.items():
            lines += [f"  - name: {split}", f"    num_bytes: {size}", f"    num_examples: {len(records)}"]
    return [*lines, "---"]


def body(configs: Configs, provenance: Provenance) -> list[str]:
    settings = ", ".join(f"{k}={v}" for k, v in sorted(provenance.settings.items())) or "the ontology's own"
    splits = configs["items"]
    rows = [f"| `{split}` | {len(records):,} | `{path}` |" for split, (path, records, _) in splits.items()]
    first = next(iter(splits), "SPLIT")
    return [
        "", f"# kgsynth: {provenance.ontology}, seed {provenance.seed}", "",
        "Nonsense-word facts sampled from an ontology, with closed-world ground truth computed by kgsynth's oracle. "
        "The model reads the documents (in context, or by fine-tuning on `train`) and is tested on the items.", "",
        "## How it was made", "",
        f"- ontology: `{provenance.ontology}` (sha256 `{provenance.ontology_sha256}`; copied here as `ontology.*`)",
        *facts_lines(provenance),
        f"- seed: {provenance.seed}; task settings: {settings}",
        f"- kgsynth version: {provenance.version}; `manifest.json` lists every file with its sha256",
        "- same ontology, settings, seed and version: byte-identical files", "",
        "## Configs", "",
        "- `documents`: the training documents, each with its sentences and their statements",
        "- `train`: the training text as records (`text`, `context`, `shape`), the default config",
        "- `items`: the test items, one split per file below: `prompt`, `options` (continuations of the prompt, "
        "each starting with a space), `answer` (index of the entailed option), the options' `statements` and "
        "oracle `verdicts`, and the answer's `derivation`", "",
        "| split | items | file |", "|---|---:|---|", *rows, "",
        "## Use", "",
        "```python", "from datasets import load_dataset", "",
        'items = load_dataset("DIR", "items")  # every split', "```", "",
        f"Score a model: `kgsynth eval --data DIR --regime icl --model local --out RUN`; or export the items: "
        f"`kgsynth export lm-eval DIR --out TASKS` (lm-evaluation-harness), or `inspect eval kgsynth/choice -T data=DIR "
        f"-T split={first}` (inspect_ai).", "",
    ]


def facts_lines(provenance: Provenance) -> list[str]:
    """Where the facts came from, and the closed world they make, for a dataset of one's own facts."""
    lines = []
    if provenance.facts:
        name, digest = provenance.facts
        lines.append(f"- facts: `{name}` (sha256 `{digest}`; copied here as `facts.*`)")
    if provenance.closed_world:
        lines.append("- closed world: no task generates facts, so the asserted facts are the whole truth: a fact "
                     "about individuals that does not follow from them is false, and every distractor is such a "
                     "fact (or contradicts one)")
    return lines


def dataset_card(files: dict[str, bytes], provenance: Provenance) -> bytes:
    """README.md for the dataset whose `files` (by path: documents.jsonl, train.jsonl,
    items/<split>.jsonl) are given."""
    def records(path: str) -> tuple[str, list[dict], int]:
        return path, [json.loads(line) for line in files[path].decode().splitlines() if line.strip()], len(files[path])

    items = sorted(p for p in files if p.startswith("items/") and p.endswith(".jsonl"))
    configs = {
        "documents": {"train": records("documents.jsonl")},
        "train": {"train": records("train.jsonl")},
        "items": {p.removeprefix("items/").removesuffix(".jsonl"): records(p) for p in items},
    }
    return "\n".join([*yaml_header(configs, provenance), *body(configs, provenance)]).encode()
