"""The dataset as one in-memory object: `create_dataset` builds it from an ontology and a
seed without touching disk; `load_dataset` reads one that `synth` wrote.

A world is closed once per process: the closure is shared by every dataset built from
the same ontology bytes, seed and naming (a `study` synthesizes, then evaluates, augments
and fine-tunes on the same object).
"""

from __future__ import annotations

import dataclasses
import random
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from ..errors import KgsynthError, SettingsError
from ..files import did_you_mean, file_sha256, read_json, read_jsonl, sha256
from ..logic.facts_table import add_facts, read_rows
from ..logic.ontology import Schema, load_schema
from ..logic.oracle import Oracle
from ..logic.settings import camel
from ..logic.world import World
from ..resources import ontology_path
from ..tasks import build_corpus, build_items, build_world, families
from ..tasks.records import Document, Item
from ..text.grammar import Grammar
from ..text.lexicon import LexiconConfig
from ..text.naming import Naming, name_world

SEPARATOR = "\n\n"  # between documents of an in-context corpus
MANIFEST_KEYS = ("seed", "inputs", "counts", "outputs")


@dataclass
class Dataset:
    ontology: Path
    seed: int
    schema: Schema
    world: World
    oracle: Oracle
    naming: Naming
    documents: list[Document]
    items: dict[str, list[Item]]  # split -> items
    path: Path | None = None  # the directory it was read from, if any
    manifest: dict | None = None
    facts_table: Path | None = None  # the table of facts (`synth --facts`), if any

    @property
    def grammar(self) -> Grammar:
        return self.naming.grammar

    def splits(self) -> list[str]:
        return sorted(self.items)


@dataclass
class Closed:
    """What is computed once per (ontology, seed, settings, naming): world, oracle, names."""

    schema: Schema
    world: World
    oracle: Oracle
    naming: Naming


CACHE: OrderedDict[tuple, Closed] = OrderedDict()
CACHE_SIZE = 4


def closed_world(ontology: Path, seed: int, lexicon: LexiconConfig, keep_labels: bool, settings: dict,
                 facts: Path | None = None, lenient: bool = False) -> Closed:
    registry = tuple((f.settings, f.generate) for f in families())  # a family registered later samples anew
    rows = tuple(read_rows(facts)) if facts is not None else None  # a missing or bad table: one line naming it
    key = (file_sha256(ontology), rows, seed, dataclasses.astuple(lexicon), keep_labels,
           tuple(sorted(settings.items())), registry, lenient)
    if key in CACHE:
        CACHE.move_to_end(key)
        return CACHE[key]
    schema = with_settings(load_schema(ontology, lenient), settings)
    if facts is not None:
        schema = add_facts(schema, facts, rows)
    world = build_world(schema, seed)
    found = Closed(schema, world, Oracle(world), name_world(world, lexicon, keep_labels))
    CACHE[key] = found
    while len(CACHE) > CACHE_SIZE:
        CACHE.popitem(last=False)
    return found


def with_settings(schema: Schema, settings: dict) -> Schema:
    """The schema with task settings overridden by name (snake_case), e.g. syllogisms=10."""
    if not settings:
        return schema
    tasks, used = [], set()
    for task in schema.tasks:
        names = {f.name for f in dataclasses.fields(task)}
        mine = {k: v for k, v in settings.items() if k in names}
        used |= set(mine)
        task = dataclasses.replace(task, **mine)
        task.validate(schema.path)
        tasks.append(task)
    unknown = sorted(set(settings) - used)
    if unknown:
        raise SettingsError(f"{schema.path}: no task of this ontology has the setting(s) "
                            f"{', '.join(f'{k} (kgs:{camel(k)})' for k in unknown)}")
    return dataclasses.replace(schema, tasks=tasks)


def create_dataset(ontology: str | Path, seed: int = 0, *, keep_labels: bool = False,
                   word_length: tuple[int, int] = (4, 5), facts_table: str | Path | None = None,
                   lenient: bool = False, **settings) -> Dataset:
    """Schema, world, oracle, names, documents and items, in memory. `ontology` is a path or
    the name of a shipped ontology; `facts_table` a table of facts asserted besides the ontology's
    (kgsynth.logic.facts_table); `lenient` skips the ontology's unsupported axioms (recorded in
    Schema.skipped) instead of refusing it; `settings` override the ontology's task settings."""
    path = ontology_path(ontology)
    facts = Path(facts_table) if facts_table is not None else None
    lexicon = LexiconConfig(min_length=word_length[0], max_length=word_length[1], seed=seed)
    closed = closed_world(path, seed, lexicon, keep_labels, settings, facts, lenient)
    corpus = build_corpus(closed.world, closed.naming)
    items = build_items(closed.oracle, closed.naming, corpus)
    return Dataset(path, seed, closed.schema, closed.world, closed.oracle, closed.naming, corpus.documents,
                   {split: found for split, found in sorted(items.items())}, facts_table=facts)


# -- reading what synth wrote -------------------------------------------------------------


def read_documents(directory: str | Path) -> list[Document]:
    return [Document.from_json(d) for d in read_jsonl(Path(directory) / "documents.jsonl")]


def item_splits(directory: str | Path) -> list[str]:
    return sorted(p.stem for p in (Path(directory) / "items").glob("*.jsonl"))


def read_items(directory: str | Path, split: str) -> list[Item]:
    return [Item.from_json(i) for i in read_jsonl(Path(directory) / "items" / f"{split}.jsonl")]


def read_manifest(directory: str | Path) -> dict:
    """manifest.json of a directory `synth` wrote, checked to have what readers use."""
    path = Path(directory) / "manifest.json"
    manifest = read_json(path)
    missing = [key for key in MANIFEST_KEYS if not isinstance(manifest, dict) or key not in manifest]
    if missing:
        raise KgsynthError(f"{path} has no {', '.join(missing)}: was it edited by hand? synthesize again")
    return manifest


def verify_outputs(directory: str | Path, manifest: dict) -> None:
    """Refuse a directory whose files are not those `synth` wrote: an output listed in the
    manifest missing or changed (sha256), or an items file it does not list."""
    path = Path(directory)
    outputs = manifest.get("outputs")
    if not isinstance(outputs, dict):
        raise KgsynthError(f"{path / 'manifest.json'} lists no outputs: synthesize again")
    for name, digest in sorted(outputs.items()):
        file = path / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise KgsynthError(f"{path / 'manifest.json'} lists {name!r}, outside the directory: synthesize again")
        if not file.is_file():
            raise KgsynthError(f"{file} is missing (listed in manifest.json): synthesize again")
        try:
            found = file_sha256(file)
        except OSError as exc:
            raise KgsynthError(f"cannot read {file}: {exc.strerror or exc}") from None
        if found != digest:
            raise KgsynthError(f"{file} has changed since synth wrote it (its sha256 differs from manifest.json): "
                               "synthesize again")
    for split in item_splits(path):
        if f"items/{split}.jsonl" not in outputs:
            raise KgsynthError(f"{path / 'items' / f'{split}.jsonl'} is not listed in manifest.json (synth did not "
                               "write it): remove it or synthesize again")


def ontology_copy(directory: Path, manifest: dict) -> Path:
    """The copy of the ontology synth wrote: ontology.ttl, .rdf, .jsonld… (or `ontology`, as an
    older synth named the copy of a file without an extension)."""
    names = sorted(n for n in manifest["outputs"] if n == "ontology" or n.startswith("ontology."))
    if not names:
        raise KgsynthError(f"{directory} has no copy of its ontology (ontology.*): synthesize again")
    return directory / names[0]


def load_dataset(directory: str | Path) -> Dataset:
    """The dataset `synth` wrote to `directory`: its documents and items as written, its
    world, oracle and names rebuilt from the copied ontology and the seed (synth is
    deterministic; shared within a process) and checked against the recorded hashes."""
    path = Path(directory)
    if not path.is_dir():
        raise KgsynthError(f"dataset directory not found: {path}{did_you_mean(path)}")
    manifest = read_manifest(path)
    verify_outputs(path, manifest)
    lexicon = read_json(path / "lexicon.json")
    ontology = ontology_copy(path, manifest)
    if sha256(ontology.read_bytes()) != manifest["inputs"]["ontology"]["sha256"]:
        raise KgsynthError(f"{ontology} does not match the hash in {path / 'manifest.json'}")
    settings = manifest.get("settings", {})
    facts = facts_copy(path, manifest)
    closed = closed_world(ontology, manifest["seed"], LexiconConfig(**lexicon["config"]),
                          lexicon.get("keep_labels", False), settings, facts, manifest.get("lenient", False))
    if closed.naming.lexicon["terms"] != lexicon["terms"]:
        raise KgsynthError(f"{path / 'lexicon.json'} does not match the rebuilt world: was it edited by hand?")
    items = {split: read_items(path, split) for split in item_splits(path)}
    return Dataset(ontology, manifest["seed"], closed.schema, closed.world, closed.oracle, closed.naming,
                   read_documents(path), items, path, manifest, facts)


def facts_copy(directory: Path, manifest: dict) -> Path | None:
    """The copy of the facts table synth wrote (facts.csv, .tsv, .jsonl), checked against its
    hash; None for a dataset made without one."""
    recorded = manifest["inputs"].get("facts")
    if recorded is None:
        return None
    names = sorted(n for n in manifest["outputs"] if n.startswith("facts."))
    if not names:
        raise KgsynthError(f"{directory} has no copy of its facts table (facts.*): synthesize again")
    copy = directory / names[0]
    if sha256(copy.read_bytes()) != recorded["sha256"]:
        raise KgsynthError(f"{copy} does not match the hash in {directory / 'manifest.json'}")
    return copy


# -- the in-context corpus ------------------------------------------------------------------


def sample_texts(texts: list[str], share: float | None, seed: int) -> list[str]:
    """All texts, or a seeded share in their order: the in-context corpus of `eval --subsample`
    and of global augmentation, drawn the same way."""
    if share is None or share >= 1:
        return texts
    keep = max(1, round(len(texts) * share))
    chosen = sorted(random.Random(f"{seed}:subsample").sample(range(len(texts)), keep))
    return [texts[i] for i in chosen]


def corpus_text(documents: list[Document], share: float | None, seed: int) -> str:
    """The documents' texts (all, or a seeded share), a blank line between them."""
    return SEPARATOR.join(sample_texts([d.text for d in documents], share, seed))
