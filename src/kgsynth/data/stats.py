"""Statistics of a synthesized dataset, read from its files."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..errors import KgsynthError
from ..files import did_you_mean
from .dataset import item_splits, read_documents, read_items, read_manifest, verify_outputs


def dataset_stats(directory: str | Path) -> dict:
    """The figures of the dataset `synth` wrote to `directory`, once its files are checked
    against manifest.json (a split file deleted or edited is refused, not left out)."""
    path = Path(directory)
    if not path.is_dir():
        raise KgsynthError(f"dataset directory not found: {path}{did_you_mean(path)}")
    manifest = read_manifest(path)
    verify_outputs(path, manifest)
    documents = read_documents(path)
    lengths = [len(d.sentences) for d in documents]
    statements = {s.statement for d in documents for s in d.sentences if s.statement is not None}
    splits = {}
    for split in item_splits(path):
        items = read_items(path, split)
        options = [len(i.options) for i in items]
        splits[split] = {
            "items": len(items),
            "options_mean": sum(options) / len(options) if options else 0.0,
            "chance": sum(1 / n for n in options) / len(options) if options else 0.0,
            "hops_mean": sum(i.derivation.hops for i in items) / len(items) if items else 0.0,
        }
    return {
        "documents": len(documents),
        "sentences": sum(lengths),
        "sentences_per_document": (min(lengths, default=0), sum(lengths) / max(len(lengths), 1), max(lengths, default=0)),
        "trained_statements": len(statements),
        "asserted": manifest["counts"]["asserted"],
        "entailed": manifest["counts"]["entailed"],
        "splits": splits,
    }


def show_stats(figures: dict, title: str, console: Console) -> None:
    """The dataset's figures, then one row per test split."""
    table = Table(title=title)
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
    console.print(table)
    splits = Table(title="test items")
    for column in ("split", "items", "options per item", "distractors per item", "chance", "mean hops"):
        splits.add_column(column, justify="right", no_wrap=column == "split")
    for split, row in figures["splits"].items():
        if not row["items"]:  # nothing to average
            splits.add_row(split, "0", "–", "–", "–", "–")
            continue
        splits.add_row(split, f"{row['items']:,}", f"{row['options_mean']:.2f}", f"{row['options_mean'] - 1:.2f}",
                       f"{row['chance']:.3f}", f"{row['hops_mean']:.2f}")
    console.print(splits)
