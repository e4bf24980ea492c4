"""Statistics of a synthesized dataset, read from its files."""

from __future__ import annotations

from pathlib import Path

from .dataset import read_json, read_jsonl


def dataset_stats(directory: str | Path) -> dict:
    path = Path(directory)
    manifest = read_json(path / "manifest.json")
    documents = read_jsonl(path / "documents.jsonl")
    lengths = [len(d["sentences"]) for d in documents]
    statements = {str(s["statement"]) for d in documents for s in d["sentences"] if s["statement"]}
    splits = {}
    for file in sorted((path / "items").glob("*.jsonl")):
        items = read_jsonl(file)
        options = [len(i["options"]) for i in items]
        splits[file.stem] = {
            "items": len(items),
            "options_mean": sum(options) / len(options) if options else 0.0,
            "chance": sum(1 / n for n in options) / len(options) if options else 0.0,
            "hops_mean": sum(i["derivation"]["hops"] for i in items) / len(items) if items else 0.0,
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
