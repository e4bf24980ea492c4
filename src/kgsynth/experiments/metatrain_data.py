"""What meta-training reads: its configuration, the worlds it trains and validates on,
and the training sequences built from them.

A world is `create_dataset(ontology, seed, **small settings)`, in memory. Training worlds
take seeds TRAIN_BASE + k, validation worlds VALID_BASE + k; the test world's seed lies in
neither range, and a world that uses any word of the test world is skipped, so neither its
facts nor its word-to-role assignments are ever seen. A sequence is a world's corpus as
`eval --regime icl` builds it, then its questions, each answered by its correct option; the
loss falls on the answers' tokens only, tokenized as `models.scoring.encode` scores them.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..data.dataset import SEPARATOR, Dataset, corpus_text, create_dataset
from ..errors import KgsynthError
from ..files import file_sha256
from ..logic.ontology import load_schema
from ..logic.statement import ISA, Statement
from ..models.scratch import SIZES
from ..resources import ontology_path
from .options import METATRAIN

TRAIN_BASE = 1_000_000  # training world k has seed TRAIN_BASE + k
VALID_BASE = 2_000_000  # validation world k has seed VALID_BASE + k
SEED_RANGE = 1_000_000  # seeds per range
QUESTION_SEPARATOR = "\n\n"
MAX_TARGETS = 4  # sentences per augmentation demonstration: augment's answers are cut at 64 tokens

# small worlds, so a world's corpus and all its questions fit a short sequence; by task kind
WORLD_DEFAULTS: dict[str, dict] = {
    "ComparisonTask": {"facts": 5, "repetitions": 1},
    "SyllogismTask": {"syllogisms": 4},
    "CelebrityTask": {"celebrities": 12, "repetitions": 1},
    "FamilyTask": {"families": 1, "generations": 2, "max_children": 3},
    "HierarchyTask": {"depth": 2, "branching": 2, "features": 8},
    "Documents": {"min_sentences": 2, "max_sentences": 6, "holdout_categories": 1, "items_per_split": 4},
}

# the quick lab's test world, smaller than the ontology's own so that its fine-tunes take
# minutes on a CPU (fact_repeats and the test items scale with it); by task kind
QUICK_WORLDS: dict[str, dict] = {
    "ComparisonTask": {"facts": 30},
    "SyllogismTask": {"syllogisms": 30},
    "CelebrityTask": {"celebrities": 30},
}


@dataclass
class MetatrainConfig:
    ontology: str
    model: str = "local"
    test_seed: int = METATRAIN["test_seed"]  # the seed of the study's world, never trained or validated on
    test_settings: dict = field(default_factory=dict)  # the study's world's setting overrides (synth's)
    steps: int = METATRAIN["steps"]
    batch_size: int = METATRAIN["batch_size"]
    learning_rate: float = METATRAIN["learning_rate"]
    warmup: int = 10
    lora_rank: int = METATRAIN["lora_rank"]
    world_settings: dict = field(default_factory=dict)  # overrides of WORLD_DEFAULTS, by setting name
    questions: int = 16  # questions per sequence at most (all of a world's items, shuffled, capped)
    max_length: int = METATRAIN["max_length"]  # tokens per sequence; questions that do not fit are dropped
    eval_every: int = METATRAIN["eval_every"]
    eval_worlds: int = METATRAIN["eval_worlds"]
    seed: int = 0
    from_scratch: str | None = None  # a size of models/scratch.py: train all weights of a new model, not a LoRA
    augment_share: float = METATRAIN["augment_share"]  # share of sequences demonstrating augment's prompts
    bf16: bool = False  # compute in bfloat16 (autocast; the weights and the adapter stay float32)

    def validate(self) -> None:
        for name in ("steps", "batch_size", "lora_rank", "questions", "max_length", "eval_every", "eval_worlds"):
            if getattr(self, name) < 1:
                raise KgsynthError(f"{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.warmup < 0:
            raise KgsynthError(f"warmup must be at least 0, got {self.warmup}")
        if not self.learning_rate > 0:
            raise KgsynthError(f"learning rate must be positive, got {self.learning_rate}")
        if TRAIN_BASE <= self.test_seed < VALID_BASE + SEED_RANGE:
            raise KgsynthError(f"test seed {self.test_seed} lies in the meta-training world seeds "
                               f"[{TRAIN_BASE:,}, {VALID_BASE + SEED_RANGE:,}): choose a seed outside them")
        if self.steps * self.batch_size >= SEED_RANGE // 2 or self.eval_worlds >= SEED_RANGE // 2:
            raise KgsynthError(f"at most {SEED_RANGE // 2:,} training or validation worlds: lower steps × batch-size")
        if self.from_scratch is not None and self.from_scratch not in SIZES:
            raise KgsynthError(f"unknown --from-scratch size {self.from_scratch!r}: use {', '.join(SIZES)}")
        if self.model.partition(":")[0] != "local":
            raise KgsynthError(f"meta-training needs a local model (local or local:PATH), got {self.model!r}")
        if not 0 <= self.augment_share <= 1:
            raise KgsynthError(f"augment share must be in [0, 1], got {self.augment_share}")
        if not isinstance(self.world_settings, dict) or not isinstance(self.test_settings, dict):
            raise KgsynthError("world settings must be a mapping of setting name to value")


@lru_cache(maxsize=8)
def test_world_words(ontology: str, sha: str, seed: int, settings: str = "{}") -> frozenset[str]:
    """Every word of the test world (`settings`: its overrides, as JSON): `sha` keys the cache."""
    return world_words(create_dataset(ontology, seed, **json.loads(settings)))


def world_words(dataset: Dataset) -> frozenset[str]:
    return frozenset(w.lower() for value in dataset.naming.lexicon["terms"].values() for w in str(value).split())


def world_settings(config: MetatrainConfig) -> dict:
    """The small-world settings for this ontology's task kinds, with the config's overrides."""
    path = ontology_path(config.ontology)
    kinds = task_kinds(path)
    if not [kind for kind in kinds if kind != "Documents"]:
        raise KgsynthError(f"{path}: no generative task (kgs:ComparisonTask, kgs:SyllogismTask, …): every seed "
                           "gives the test world's facts under other words, so meta-training would see them")
    settings = {k: v for kind in kinds for k, v in WORLD_DEFAULTS.get(kind, {}).items()}
    settings.update(config.world_settings)
    create_dataset(path, VALID_BASE, **settings)  # an unknown or bad setting is an error here, naming it
    return dict(sorted(settings.items()))


def task_kinds(path: Path) -> list[str]:
    return [type(task).__name__ for task in load_schema(path).tasks]


def quick_world(ontology: str | Path) -> dict:
    """The quick lab's test-world settings for this ontology's task kinds ({} when none applies)."""
    kinds = task_kinds(ontology_path(ontology))
    return {k: v for kind in kinds for k, v in QUICK_WORLDS.get(kind, {}).items()}


@dataclass
class Worlds:
    """Worlds from `base` + 0, 1, 2…, skipping (and counting) those that share a word with
    the test world, have no items, or whose sequence does not fit."""

    ontology: Path
    settings: dict
    base: int
    banned: frozenset[str]
    offset: int = 0
    skipped: dict = field(default_factory=lambda: {"test_words": 0, "no_items": 0, "too_long": 0})
    used: list[int] = field(default_factory=list)

    def take(self) -> Dataset:
        while self.offset < SEED_RANGE:
            seed = self.base + self.offset
            self.offset += 1
            dataset = create_dataset(self.ontology, seed, **self.settings)
            if world_words(dataset) & self.banned:
                self.skipped["test_words"] += 1
            elif not any(dataset.items.values()):
                self.skipped["no_items"] += 1
            else:
                self.used.append(seed)
                return dataset
        raise KgsynthError(f"no usable world left among seeds {self.base:,} + [0, {SEED_RANGE:,})")

    def skip_last(self, reason: str) -> None:
        self.used.pop()
        self.skipped[reason] += 1


def open_worlds(config: MetatrainConfig, base: int, settings: dict) -> Worlds:
    path = ontology_path(config.ontology)
    banned = test_world_words(str(path), file_sha256(path), config.test_seed,
                              json.dumps(config.test_settings, sort_keys=True))
    return Worlds(path, settings, base, banned)


def world_texts(worlds: Worlds, count: int) -> list[str]:
    """The documents, prompts and options of `count` worlds: what a new tokenizer learns from."""
    texts = []
    for _ in range(count):
        world = worlds.take()
        texts += [d.text for d in world.documents]
        texts += [i.prompt + o for split in world.items.values() for i in split for o in i.options]
    return texts


def corpus_prefix(dataset: Dataset) -> str:
    """The in-context corpus exactly as `eval --regime icl` puts it before a question."""
    return corpus_text(dataset.documents, None, dataset.seed) + SEPARATOR


def sequence_text(dataset: Dataset, rng: random.Random, cap: int) -> tuple[str, list[tuple[int, int]]]:
    """The corpus, then up to `cap` of the world's items (every split, shuffled), each prompt
    followed by its correct option; returns the text and each answer's character span."""
    items = [item for split in dataset.splits() for item in dataset.items[split]]
    rng.shuffle(items)
    text, spans = corpus_prefix(dataset), []
    for number, item in enumerate(items[:cap]):
        text += (QUESTION_SEPARATOR if number else "") + item.prompt
        start = len(text)
        text += item.options[item.answer]
        spans.append((start, len(text)))
    return text, spans


def one_hop_inferences(dataset: Dataset, known: set[Statement], required: set[Statement]) -> list[Statement]:
    """What the oracle derives in one step from `known` statements, using one of `required`."""
    grammar = dataset.grammar
    found = []
    for statement, derivation in dataset.oracle.closure.derived():
        premises = set(derivation.premises)
        if derivation.hops == 1 and premises <= known and premises & required and statement not in known and \
                (statement.relation == ISA or statement.relation in grammar.relations):
            found.append(statement)
    return found


def rendered(dataset: Dataset, statement: Statement, rng: random.Random) -> str:
    grammar = dataset.grammar
    return grammar.render(statement, rng.randrange(len(grammar.styles(grammar.kind_of(statement)))))


def augmentation_text(dataset: Dataset, rng: random.Random, strategy: str) -> tuple[str, list[tuple[int, int]]] | None:
    """One demonstration of `augment --strategy STRATEGY` on a training world: its prompt
    filled as `augment` fills it, then up to MAX_TARGETS sentences the oracle derives (and,
    local, the sentence in another wording), one per line, and the blank line that ends an
    answer. None when the world gives nothing to write."""
    from .augment import fill, load_prompt

    sentences = [s for d in dataset.documents for s in d.sentences if s.statement is not None]
    if strategy == "local":
        source = rng.choice(sentences)
        statements = {source.statement}
        targets = [rendered(dataset, source.statement, rng)]
        targets += [rendered(dataset, t, rng) for t in one_hop_inferences(dataset, statements, statements)]
        prompt = fill(load_prompt("local"), sentence=source.text)
    else:
        document = rng.choice(dataset.documents)
        own = {s.statement for s in document.sentences if s.statement is not None}
        known = {s.statement for s in sentences}
        targets = [rendered(dataset, t, rng) for t in one_hop_inferences(dataset, known, own)]
        prompt = fill(load_prompt("global"), corpus=corpus_text(dataset.documents, None, dataset.seed),
                      document=document.text)
    if not targets:
        return None
    rng.shuffle(targets)
    answer = "\n".join(dict.fromkeys(targets[:MAX_TARGETS])) + "\n\n"
    return prompt + answer, [(len(prompt), len(prompt) + len(answer))]


@dataclass(frozen=True)
class Sequence:
    ids: tuple[int, ...]
    labelled: tuple[int, ...]  # positions of answer tokens: the loss is on predicting these
    questions: int


def encode_sequence(tokenizer, text: str, spans: list[tuple[int, int]], start_id: int | None) -> Sequence:
    """Tokenize the whole text; a token is an answer token when it ends past an answer's start
    (a token merged across the boundary belongs to the answer, as `scoring.encode` has it)
    and starts before the answer's end."""
    enc = tokenizer(text, return_offsets_mapping=True, add_special_tokens=True)
    ids, offsets = list(enc["input_ids"]), list(enc["offset_mapping"])
    if start_id is not None and (not ids or ids[0] != start_id):
        ids, offsets = [start_id, *ids], [(0, 0), *offsets]
    labelled = [i for i, (start, end) in enumerate(offsets)
                if i > 0 and end > start and any(end > a and start < b for a, b in spans)]
    return Sequence(tuple(ids), tuple(labelled), len(spans))


def fitted_sequence(tokenizer, text: str, spans: list[tuple[int, int]], start_id: int | None,
                    max_length: int) -> Sequence | None:
    """The sequence with as many leading questions as fit in `max_length` tokens (None: not one)."""
    while spans:
        enc = tokenizer(text, return_offsets_mapping=True, add_special_tokens=True)
        if len(enc["input_ids"]) + 1 <= max_length:  # + 1: a start token the tokenizer may not add
            return encode_sequence(tokenizer, text, spans, start_id)
        reached = enc["offset_mapping"][max_length - 2][1]  # the last character that fits
        spans = [span for span in spans if span[1] <= reached] or spans[:-1]
        text = text[: spans[-1][1]] if spans else text
    return None
