"""Meta-training: teach a local model to use its context on many worlds of an ontology, so
that the study can then be run on a world it has never seen.

A LoRA adapter (all linear layers) is trained on sequences of small worlds (corpus, then
questions answered in every form the test splits use, loss on the answers only; the
output layer is computed only where there is a label), validated by in-context accuracy on
held-out worlds every `eval_every` steps, then merged into the weights and saved as a full
model directory: `local:DIR` wherever a model is taken, and a base a later LoRA fine-tune
can start from. The directory is cached under $KGSYNTH_CACHE/metatrain/ by the hash of
(ontology, base model, config, seed ranges) and reused whole.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from ..data.dataset import Dataset
from ..errors import KgsynthError
from ..files import file_sha256, files_digest, json_bytes, sha256, write_atomic, write_json
from ..models.base import ScoreRequest
from ..models.cache import cache_root
from ..models.scratch import SIZES, parameter_count, scratch_model
from ..models.scratch import save as scratch_save
from ..resources import ontology_path
from .evaluate import likelihood_result, summarize
from .metatrain_data import (
    SEED_RANGE,
    TRAIN_BASE,
    VALID_BASE,
    MetatrainConfig,
    Sequence,
    augmentation_text,
    corpus_prefix,
    fitted_sequence,
    open_worlds,
    sequence_text,
    world_settings,
    world_texts,
)
from .rundir import identity_of

VERSION = 1  # of the training recipe: part of the cache key
MARKER = "kgsynth-metatrain.json"  # written last: a directory without it is incomplete
# settings since VERSION 1, at the value meaning "as before" (left out of the cache key there)
ADDED = {"test_settings": {}, "from_scratch": None, "augment_share": 0.0, "bf16": False}
TOKENIZER_WORLDS = 300  # worlds whose text trains a from-scratch model's tokenizer
Progress = Callable[[int, int, float, float], None]  # step, steps, loss, seconds per step


# -- the cache ---------------------------------------------------------------------------


def base_identity(spec: str) -> str:
    """A digest naming the base model's weights: the embedded conversion's checksum file, or
    every file of a model directory."""
    from ..models.embedded import MARKER as CONVERTED
    from ..models.local import resolve_checkpoint

    checkpoint = resolve_checkpoint(spec.partition(":")[2] or "embedded", progress=lambda text: None)
    if (checkpoint / CONVERTED).is_file():
        return sha256((checkpoint / CONVERTED).read_bytes())
    files = sorted(p for p in checkpoint.rglob("*") if p.is_file() and not p.name.startswith("."))
    return files_digest({str(p.relative_to(checkpoint)): p for p in files})


def cache_key(config: MetatrainConfig, settings: dict) -> dict:
    """Everything the trained model depends on."""
    path = ontology_path(config.ontology)
    described = identity_of({k: v for k, v in asdict(config).items() if k != "ontology"}, ADDED)
    base = sha256(json_bytes(SIZES[config.from_scratch])) if config.from_scratch else base_identity(config.model)
    return {"version": VERSION, "ontology": file_sha256(path), "base_model": base,
            "config": described | {"world_settings": settings},
            "seeds": {"train": TRAIN_BASE, "validation": VALID_BASE, "range": SEED_RANGE, "test": config.test_seed}}


def metatrain(config: MetatrainConfig, out: Path | None = None, progress: Progress | None = None) -> Path:
    """The meta-trained model's directory: from the cache, or trained now (staged in a
    temporary sibling and renamed into place, the marker written last). `out` gets a copy of
    metatrain.json and metatrain.png."""
    config.validate()
    settings = world_settings(config)
    key = cache_key(config, settings)
    final = cached_directory(key)
    digest = final.name
    if not (final / MARKER).is_file():
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = final.with_name(f".{digest}.tmp-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            train_into(config, settings, key, staging, progress)
            write_json(staging / MARKER, key)
            if (final / MARKER).is_file():  # another process finished the same model first
                shutil.rmtree(staging)
            else:
                shutil.rmtree(final, ignore_errors=True)  # an incomplete directory of ours
                staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        for name in ("metatrain.json", "metatrain.png"):
            write_atomic(Path(out) / name, (final / name).read_bytes())
    return final


def cached_directory(key: dict) -> Path:
    return cache_root() / "metatrain" / sha256(json_bytes(key))[:16]


def is_cached(config: MetatrainConfig) -> bool:
    """Whether metatrain(config) would find its model in the cache (and train nothing)."""
    config.validate()
    return (cached_directory(cache_key(config, world_settings(config))) / MARKER).is_file()


# -- training ----------------------------------------------------------------------------


def train_into(config: MetatrainConfig, settings: dict, key: dict, directory: Path, progress: Progress | None) -> None:
    """Train, evaluate along the way, and write the merged model, metatrain.json and the figure."""
    from ..models import load_model

    started = time.perf_counter()
    if config.from_scratch:
        model, tokenizer = new_model(config, settings)
        checkpoint = f"from scratch: {config.from_scratch}, {parameter_count(model):,} parameters"
    else:
        local = load_model(config.model, progress=lambda text: None, dtype="float32")
        model, tokenizer, checkpoint = local.model, local.tokenizer, str(local.checkpoint or config.model)
    trainer = MetaTrainer(model, tokenizer, config)
    record = trainer.run(settings, progress)
    trainer.save(directory)
    record["total_seconds"] = round(time.perf_counter() - started, 1)
    record["base_checkpoint"] = checkpoint
    record["cache_key"] = key
    write_json(directory / "metatrain.json", record)
    plot_curve(record, directory / "metatrain.png")


def new_model(config: MetatrainConfig, settings: dict):
    """A randomly initialized model and a tokenizer trained on the text of training worlds
    (seeds after those the training itself starts with, so no sequence is seen twice)."""
    import torch

    texts = world_texts(open_worlds(config, TRAIN_BASE + SEED_RANGE // 2, settings), TOKENIZER_WORLDS)
    model, tokenizer = scratch_model(config.from_scratch, texts, config.max_length, config.seed)
    return model.to("cuda" if torch.cuda.is_available() else "cpu"), tokenizer


class MetaTrainer:
    def __init__(self, model, tokenizer, config: MetatrainConfig):
        import torch

        self.torch = torch
        self.config = config
        self.tokenizer = tokenizer
        self.device = next(model.parameters()).device
        self.adapter = not config.from_scratch  # LoRA on a pretrained model, or every weight of a new one
        self.model = with_lora(model, config) if self.adapter else model.train()
        self.inner = self.model.get_base_model() if self.adapter else model  # the transformers model
        start = tokenizer.bos_token_id
        self.start_id = start if start is not None else tokenizer.eos_token_id
        pad = tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else self.start_id
        self.trainable = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.trainable, lr=config.learning_rate, weight_decay=0.0)

    def sequence(self, worlds) -> Sequence:
        """The next training world's sequence: its corpus and questions, or (a share of
        `augment_share`) an augmentation demonstration. Worlds whose sequence does not fit
        are skipped."""
        while True:
            world = worlds.take()
            rng = random.Random(f"{self.config.seed}:{world.seed}")
            if rng.random() < self.config.augment_share:
                demonstration = augmentation_text(world, rng, rng.choice(("local", "global")))
                if demonstration is None:
                    worlds.skip_last("no_items")
                    continue
                text, spans = demonstration
            else:
                text, spans = sequence_text(world, rng, self.config.questions)
            found = fitted_sequence(self.tokenizer, text, spans, self.start_id, self.config.max_length)
            if found is not None:
                return found
            worlds.skip_last("too_long")

    def run(self, settings: dict, progress: Progress | None) -> dict:
        config = self.config
        train, valid = open_worlds(config, TRAIN_BASE, settings), open_worlds(config, VALID_BASE, settings)
        validation = [valid.take() for _ in range(config.eval_worlds)]
        curve = [{"step": 0, "metrics": self.evaluate(validation)}]
        losses, seconds, tokens, labels, questions = [], [], [], [], []
        self.torch.manual_seed(config.seed)
        for step in range(1, config.steps + 1):
            began = time.perf_counter()  # the worlds' synthesis included
            batch = [self.sequence(train) for _ in range(config.batch_size)]
            losses.append(self.step(batch, step))
            seconds.append(time.perf_counter() - began)
            tokens += [len(s.ids) for s in batch]
            labels += [len(s.labelled) for s in batch]
            questions += [s.questions for s in batch]
            if step % config.eval_every == 0 or step == config.steps:
                curve.append({"step": step, "metrics": self.evaluate(validation)})
            if progress:
                progress(step, config.steps, losses[-1], sum(seconds[-10:]) / len(seconds[-10:]))
        return {"config": asdict(config) | {"world_settings": settings}, "curve": curve, "losses": losses,
                "seconds_per_step": round(sum(seconds) / len(seconds), 3),
                "seeds": {"train": seed_summary(train.used), "validation": valid.used, "test": config.test_seed},
                "skipped": {"train": train.skipped, "validation": valid.skipped},
                "sequences": {"tokens": mean(tokens), "answer_tokens": mean(labels), "questions": mean(questions)}}

    def step(self, batch: list[Sequence], step: int) -> float:
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.learning_rate * min(1.0, step / max(1, self.config.warmup))
        with self.torch.autocast(self.device.type, dtype=self.torch.bfloat16, enabled=self.config.bf16):
            loss = self.answer_loss(batch)
        loss.backward()
        self.torch.nn.utils.clip_grad_norm_(self.trainable, 1.0)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return float(loss.detach())

    def answer_loss(self, batch: list[Sequence]):
        """Mean cross-entropy over the answer tokens; the output layer only at their positions."""
        torch = self.torch
        ids, mask, rows, columns, targets = batch_tensors(torch, batch, self.pad_id, self.device)
        body = getattr(self.inner, self.inner.base_model_prefix)
        hidden = body(input_ids=ids, attention_mask=mask, use_cache=False).last_hidden_state
        logits = self.inner.get_output_embeddings()(hidden[rows, columns - 1]).float()
        cap = getattr(self.inner.config, "final_logit_softcapping", None)
        if cap:
            logits = torch.tanh(logits / cap) * cap
        return torch.nn.functional.cross_entropy(logits, targets)

    def evaluate(self, worlds: list[Dataset]) -> dict:
        """In-context accuracy on the validation worlds' items, scored by likelihood as `eval` does."""
        from ..models.scoring import PrefixScorer

        self.model.eval()
        scorer = PrefixScorer(self.inner, self.tokenizer, self.device, self.start_id)  # fresh: the weights changed
        results = []
        for world in worlds:
            prefix = corpus_prefix(world)
            items = [item for split in world.splits() for item in world.items[split]]
            scores = scorer.score([ScoreRequest(prefix + i.prompt, o) for i in items for o in i.options],
                                  shared_prefix=prefix)
            at = 0
            for item in items:
                results.append(likelihood_result(item, scores[at: at + len(item.options)]))
                at += len(item.options)
        self.model.train()
        return summarize(results)

    def save(self, directory: Path) -> None:
        """The adapter merged into the weights, saved as a full model with its tokenizer."""
        if not self.adapter:
            scratch_save(self.model, self.tokenizer, directory)
            return
        merged = self.model.merge_and_unload()
        if getattr(merged, "hf_quantizer", None) is not None:
            merged.hf_quantizer = None
        merged.eval().save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)


def with_lora(model, config: MetatrainConfig):
    from peft import LoraConfig, get_peft_model

    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")  # peft vs transformers 5
    lora = LoraConfig(r=config.lora_rank, lora_alpha=2 * config.lora_rank, lora_dropout=0.0,
                      target_modules="all-linear", task_type="CAUSAL_LM")
    import torch

    torch.manual_seed(config.seed)  # the adapters' initial weights
    return get_peft_model(model, lora).train()


def batch_tensors(torch, batch: list[Sequence], pad_id: int, device):
    """Right-padded ids and mask, and (row, column, target) of every answer token."""
    width = max(len(s.ids) for s in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    rows, columns, targets = [], [], []
    for row, sequence in enumerate(batch):
        ids[row, : len(sequence.ids)] = torch.tensor(sequence.ids)
        mask[row, : len(sequence.ids)] = 1
        rows += [row] * len(sequence.labelled)
        columns += list(sequence.labelled)
        targets += [sequence.ids[i] for i in sequence.labelled]
    to = {"device": device, "dtype": torch.long}
    return (ids.to(device), mask.to(device), torch.tensor(rows, **to), torch.tensor(columns, **to),
            torch.tensor(targets, **to))


def seed_summary(seeds: list[int]) -> dict:
    return {"count": len(seeds), "first": min(seeds, default=None), "last": max(seeds, default=None)}


def mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 2) if values else 0.0


# -- the figure --------------------------------------------------------------------------


def plot_curve(record: dict, path: Path) -> Path:
    """Held-out in-context accuracy per split against the training step, Wilson 95% bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = record["curve"]
    splits = sorted({s for point in curve for s in point["metrics"] if s != "all"})
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for split in splits:
        points = [(p["step"], p["metrics"][split]) for p in curve if split in p["metrics"]]
        steps = [s for s, _ in points]
        ax.plot(steps, [m["accuracy"] for _, m in points], marker="o", label=f"{split} (n={points[-1][1]['n']})")
        ax.fill_between(steps, [m["wilson95"][0] for _, m in points], [m["wilson95"][1] for _, m in points], alpha=0.15)
    chance = curve[-1]["metrics"].get("all", {}).get("chance")
    if chance:
        ax.axhline(chance, color="grey", linestyle="--", linewidth=1, label="chance")
    ax.set_xlabel("meta-training step")
    ax.set_ylabel("held-out in-context accuracy")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    ax.set_title(Path(record["config"]["ontology"]).stem)
    fig.tight_layout()
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}.png")
    fig.savefig(temporary, dpi=120)
    plt.close(fig)
    os.replace(temporary, path)
    return path


def read_record(directory: str | Path) -> dict:
    """metatrain.json of a meta-trained model directory."""
    path = Path(directory) / "metatrain.json"
    if not path.is_file():
        raise KgsynthError(f"{path} is missing: is {directory} a directory written by metatrain?")
    return json.loads(path.read_text())
