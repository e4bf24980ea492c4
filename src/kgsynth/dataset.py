"""Reload what `synth` wrote: the world, its oracle and its names, rebuilt from the copy
of the ontology and the seed in the manifest (synth is deterministic), then checked
against the hashes recorded there."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from .errors import KgsynthError
from .export import sha256
from .lexicon import LexiconConfig
from .naming import Naming, name_world
from .ontology import load_schema
from .oracle import Oracle
from .world import World, build_world


@dataclass
class Dataset:
    path: Path
    manifest: dict
    world: World
    oracle: Oracle
    naming: Naming

    def items(self, split: str) -> list[dict]:
        return read_jsonl(self.path / "items" / f"{split}.jsonl")

    def splits(self) -> list[str]:
        return sorted(p.stem for p in (self.path / "items").glob("*.jsonl"))


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise KgsynthError(f"{path} is missing: is {path.parent} a directory written by `synth`?") from None
    except json.JSONDecodeError as exc:
        raise KgsynthError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None


def read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise KgsynthError(f"{path} is missing: is {path.parent} a directory written by `synth`?")
    records = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise KgsynthError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
    return records


def sample_texts(texts: list[str], share: float | None, seed: int) -> list[str]:
    """All texts, or a seeded share in their order: the in-context corpus of `eval --subsample`
    and of global augmentation, drawn the same way."""
    if share is None or share >= 1:
        return texts
    keep = max(1, round(len(texts) * share))
    chosen = sorted(random.Random(f"{seed}:subsample").sample(range(len(texts)), keep))
    return [texts[i] for i in chosen]


SEPARATOR = "\n\n"  # between documents of an in-context corpus


def corpus_text(documents: list[dict], share: float | None, seed: int) -> str:
    """The documents' texts (all, or a seeded share), a blank line between them."""
    return SEPARATOR.join(sample_texts([d["text"] for d in documents], share, seed))


def load_dataset(directory: str | Path) -> Dataset:
    path = Path(directory)
    if not path.is_dir():
        raise KgsynthError(f"dataset directory not found: {path}")
    manifest = read_json(path / "manifest.json")
    lexicon = read_json(path / "lexicon.json")
    ontologies = sorted(path.glob("ontology.*"))
    if not ontologies:
        raise KgsynthError(f"{path} has no copy of its ontology (ontology.*): rerun `synth`")
    ontology = ontologies[0]
    if sha256(ontology.read_bytes()) != manifest["inputs"]["ontology"]["sha256"]:
        raise KgsynthError(f"{ontology} does not match the hash in {path / 'manifest.json'}")
    world = build_world(load_schema(ontology), manifest["seed"])
    config = LexiconConfig(**lexicon["config"])
    naming = name_world(world, config, lexicon.get("keep_labels", False))
    if naming.lexicon["terms"] != lexicon["terms"]:
        raise KgsynthError(f"{path / 'lexicon.json'} does not match the rebuilt world: was it edited by hand?")
    return Dataset(path, manifest, world, Oracle(world), naming)
