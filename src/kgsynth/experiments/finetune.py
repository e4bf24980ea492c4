"""Fine-tune a local model on a dataset's training text: full or LoRA, any training shape.

The loop is plain PyTorch (AdamW, linear warm-up), seeded, with the loss of every step
in loss.csv, checkpoints that a rerun resumes from, a loss curve, and the tuned model
saved as a directory that `eval --model local:RUN/model` takes like any other.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..data.outdir import remove, stale_entries, writing
from ..errors import KgsynthError
from ..files import read_jsonl, write_atomic
from ..models.base import ScoreRequest
from .options import LR_SCHEDULES, METHODS, PRESETS, SHAPES
from .rundir import RunDir, identity_of

LEGACY_STAGING = (".checkpoint.tmp", ".checkpoint.old")  # the checkpoint's staging before it named its process
ADDED = {"extra_repeats": 1, "lr_schedule": "constant"}  # settings added later, at their value of before
ENTRIES = ("loss.csv", "loss.png", "checkpoint", "model", *LEGACY_STAGING)  # a finetune run's, besides run.json


@dataclass
class FinetuneConfig:
    data: str
    model: str = "local"
    shape: str = "independent"
    method: str = "lora"
    steps: int = 100
    batch_size: int = 8
    learning_rate: float = 1e-3
    warmup: int = 10
    lr_schedule: str = "constant"
    seed: int = 0
    max_length: int = 256
    lora_rank: int = 16
    checkpoint_every: int = 25
    extra: list[str] = field(default_factory=list)  # more train.jsonl-shaped files (augmentations)
    extra_repeats: int = 1  # each extra record this many times per epoch (as often as the facts it restates)

    def validate(self) -> None:
        if self.shape not in SHAPES:
            raise KgsynthError(f"unknown shape {self.shape!r}: use one of {', '.join(SHAPES)}")
        if self.method not in METHODS:
            raise KgsynthError(f"unknown method {self.method!r}: use lora or full")
        check_lr_schedule(self.lr_schedule)
        for name in ("steps", "batch_size", "max_length", "lora_rank", "checkpoint_every", "extra_repeats"):
            if getattr(self, name) < 1:
                raise KgsynthError(f"{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if not self.learning_rate > 0:
            raise KgsynthError(f"learning rate must be positive, got {self.learning_rate}")

    def learning_rate_at(self, step: int) -> float:
        """The learning rate of step `step` (0-based): a linear warm-up, then held, or decayed along a
        line that the step after the last would end at 0."""
        rate = self.learning_rate * min(1.0, (step + 1) / max(1, self.warmup))
        if self.lr_schedule == "linear" and step >= self.warmup:
            rate *= (self.steps - step) / max(1, self.steps - self.warmup)
        return rate

    def inputs(self) -> dict[str, Path]:
        """The files training reads (their hashes are checked when a run resumes)."""
        return {"train.jsonl": Path(self.data) / "train.jsonl", **{f"extra:{e}": Path(e) for e in self.extra}}


def check_lr_schedule(schedule: str) -> None:
    if schedule not in LR_SCHEDULES:
        raise KgsynthError(f"unknown learning-rate schedule {schedule!r}: use {' or '.join(LR_SCHEDULES)}")


def training_examples(config: FinetuneConfig) -> list[tuple[str, str]]:
    """(context, text) pairs: the loss falls on `text` only."""
    records = [r for r in read_jsonl(Path(config.data) / "train.jsonl") if r["shape"] == config.shape]
    for extra in config.extra:
        records += read_jsonl(Path(extra)) * config.extra_repeats
    if not records:
        raise KgsynthError(f"no training examples of shape {config.shape!r} in {config.data}")
    return [(r["context"] + (" " if r["context"] else ""), r["text"]) for r in records]


class Trainer:
    def __init__(self, model, tokenizer, config: FinetuneConfig, run: Path,
                 progress: Callable[[int, int, float], None] | None = None):
        import torch

        config.validate()
        self.torch = torch
        self.config = config
        self.run = run
        self.progress = progress
        self.tokenizer = tokenizer
        self.device = next(model.parameters()).device
        self.model = self.prepare(model)
        self.start_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.start_id
        self.trainable = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.trainable, lr=config.learning_rate, weight_decay=0.0)
        self.step = 0

    def prepare(self, model):
        if self.config.method == "full":
            return model.train()
        from peft import LoraConfig, get_peft_model

        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")  # peft vs transformers 5

        # every linear layer but the output head: on Gemma 3 (and Llama-like models) exactly the
        # attention and MLP projections q, k, v, o, gate, up, down
        lora = LoraConfig(r=self.config.lora_rank, lora_alpha=2 * self.config.lora_rank, lora_dropout=0.0,
                          target_modules="all-linear", task_type="CAUSAL_LM")
        self.torch.manual_seed(self.config.seed)  # the adapters' initial weights
        tuned = get_peft_model(model, lora)
        settings = tuned.peft_config["default"]
        settings.target_modules = sorted(settings.target_modules)  # a set: saved in hash order otherwise
        return tuned.train()

    # -- data -----------------------------------------------------------------------

    def encode(self, examples: list[tuple[str, str]]) -> list[tuple[list[int], int]]:
        from ..models.scoring import encode

        encoded = []
        for context, text in examples:
            e = encode(self.tokenizer, ScoreRequest(context, text), self.start_id)
            ids = list(e.ids)
            if len(ids) > self.config.max_length:  # keep the end: the text the loss is on
                cut = len(ids) - self.config.max_length
                ids, boundary = [self.start_id, *ids[cut + 1:]], max(1, e.boundary - cut)
            else:
                boundary = e.boundary
            encoded.append((ids, boundary))
        return encoded

    def batches(self, count: int):
        """Batch index lists for every step, from a seeded shuffle of epoch after epoch."""
        rng = random.Random(self.config.seed)
        order: list[int] = []
        while True:
            if len(order) < self.config.batch_size:
                epoch = list(range(count))
                rng.shuffle(epoch)
                order += epoch
            yield order[: self.config.batch_size]
            order = order[self.config.batch_size:]

    def tensors(self, batch: list[tuple[list[int], int]]):
        torch = self.torch
        width = max(len(ids) for ids, _ in batch)
        ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(batch), width), -100, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (tokens, boundary) in enumerate(batch):
            ids[row, : len(tokens)] = torch.tensor(tokens)
            labels[row, boundary: len(tokens)] = torch.tensor(tokens[boundary:])
            mask[row, : len(tokens)] = 1
        return ids.to(self.device), labels.to(self.device), mask.to(self.device)

    # -- the loop -------------------------------------------------------------------

    def train(self, examples: list[tuple[str, str]]) -> list[float]:
        torch = self.torch
        torch.manual_seed(self.config.seed)
        encoded = self.encode(examples)
        schedule = self.batches(len(encoded))
        self.resume(schedule)
        losses = []
        while self.step < self.config.steps:
            started = time.perf_counter()
            ids, labels, mask = self.tensors([encoded[i] for i in next(schedule)])
            for group in self.optimizer.param_groups:
                group["lr"] = self.config.learning_rate_at(self.step)
            loss = self.model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.trainable, 1.0)
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
            self.step += 1
            losses.append(float(loss.detach()))
            self.log(losses[-1], time.perf_counter() - started)
            if self.step % self.config.checkpoint_every == 0 or self.step == self.config.steps:
                self.save_checkpoint()
            if self.progress:
                self.progress(self.step, self.config.steps, losses[-1])
        return losses

    def log(self, loss: float, seconds: float) -> None:
        path = self.run / "loss.csv"
        new = not path.exists()
        with writing(path), path.open("a", newline="") as handle:
            writer = csv.writer(handle)
            if new:
                writer.writerow(["step", "loss", "learning_rate", "seconds"])
            writer.writerow([self.step, f"{loss:.6f}", f"{self.optimizer.param_groups[0]['lr']:.3g}", f"{seconds:.3f}"])

    # -- checkpoints ----------------------------------------------------------------

    def trainable_state(self) -> dict:
        return {name: p.detach().cpu() for name, p in self.model.named_parameters() if p.requires_grad}

    def save_checkpoint(self) -> None:
        """RUN/checkpoint, replaced whole: staged beside it as .checkpoint.tmp-PID, the previous one
        moved aside as .checkpoint.old-PID until the new one is in place."""
        torch = self.torch
        final = self.run / "checkpoint"
        staging, old = self.run / f".checkpoint.tmp-{os.getpid()}", self.run / f".checkpoint.old-{os.getpid()}"
        try:
            with writing(final):
                remove(staging)
                staging.mkdir()
                torch.save({"step": self.step, "weights": self.trainable_state(), "optimizer": self.optimizer.state_dict(),
                            "rng": torch.get_rng_state()}, staging / "state.pt")
                if final.exists():
                    final.rename(old)
                staging.rename(final)
        except BaseException:
            remove(staging)
            raise
        remove(old)

    def tidy(self) -> None:
        """Remove the checkpoint staging of runs killed mid-save (never a live process's); a previous
        checkpoint moved aside just before is put back where the run has none."""
        final = self.run / "checkpoint"
        legacy = [self.run / name for name in LEGACY_STAGING if os.path.lexists(self.run / name)]
        for path in [*stale_entries(self.run, ["checkpoint"]), *legacy]:
            if ".checkpoint.old" in path.name and not final.exists() and (path / "state.pt").is_file():
                with writing(final):
                    path.rename(final)
            else:
                remove(path)

    def resume(self, schedule) -> None:
        self.tidy()
        path = self.run / "checkpoint" / "state.pt"
        if not path.is_file():
            return
        state = self.torch.load(path, weights_only=False)
        self.model.load_state_dict(state["weights"], strict=False)
        self.optimizer.load_state_dict(state["optimizer"])
        self.torch.set_rng_state(state["rng"])
        self.step = state["step"]
        for _ in range(self.step):  # the data order continues where it stopped
            next(schedule)
        self.truncate_log()

    def truncate_log(self) -> None:
        """Drop loss rows written after the checkpoint (steps that will run again)."""
        path = self.run / "loss.csv"
        if path.is_file():
            rows = list(csv.reader(path.read_text().splitlines()))
            kept = [rows[0]] + [r for r in rows[1:] if r and int(r[0]) <= self.step]
            with writing(path):
                write_atomic(path, "".join(",".join(r) + "\n" for r in kept).encode())

    def save_model(self, base_checkpoint: Path | None) -> Path:
        out = self.run / "model"
        shutil.rmtree(out, ignore_errors=True)
        if self.config.method == "lora" and base_checkpoint is not None:
            self.model.peft_config["default"].base_model_name_or_path = str(base_checkpoint.resolve())
        with writing(out):
            self.model.save_pretrained(out)
            self.tokenizer.save_pretrained(out)
        return out


def plot_loss(run: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(csv.DictReader((run / "loss.csv").read_text().splitlines()))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([int(r["step"]) for r in rows], [float(r["loss"]) for r in rows])
    ax.set_xlabel("step")
    ax.set_ylabel("training loss")
    ax.set_title(run.name)
    fig.tight_layout()
    try:
        with writing(run / "loss.png"):
            fig.savefig(run / "loss.png", dpi=120)
    finally:
        plt.close(fig)
    return run / "loss.png"


def finetune(config: FinetuneConfig, run: Path, device: str | None = None,
             progress: Callable[[int, int, float], None] | None = None, restart: bool = False) -> Path:
    """Load the model, train (resuming a checkpoint), save it and the loss curve; returns
    the tuned model's directory. A finished run only writes its model again."""
    from ..models import load_model

    config.validate()
    examples = training_examples(config)
    finetune_run(config, run).open(restart)
    model = load_model(config.model, progress=lambda text: None, device=device, dtype="float32")
    trainer = Trainer(model.model, model.tokenizer, config, run, progress)
    trainer.train(examples)
    out = trainer.save_model(model.checkpoint)
    plot_loss(run)
    return out


def finetune_run(config: FinetuneConfig, run: Path) -> RunDir:
    """The run directory of a fine-tuning (RunDir.check it before loading the model)."""
    return RunDir(run, "finetune", identity_of(asdict(config), ADDED), config.inputs(), ENTRIES)


def preset_config(data: str, model: str, device: str | None, preset: str | None = None, **overrides) -> FinetuneConfig:
    """A config from the preset for the device (cpu: LoRA, gpu: full), then explicit settings."""
    if preset is None:
        import torch

        on_gpu = (device or ("cuda" if torch.cuda.is_available() else "cpu")) == "cuda"
        preset = "gpu" if on_gpu else "cpu"
    settings = dict(PRESETS[preset])
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return FinetuneConfig(data=str(Path(data).resolve()), model=model, **settings)
