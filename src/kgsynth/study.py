"""The full study in one command: synth → every regime → report, reusing finished work.

Regimes (STUDY.md): baseline (question only), icl (corpus in context), ft (fine-tuned on
the training text), aug-ft-local / aug-ft-global (fine-tuned on the text plus the model's
own local / global augmentations), aug-ft-verified (plus only the augmentations the
oracle entails), oracle-ft (plus the oracle's own inferences: the ceiling of augmentation).
Every step writes its own run directory under OUT and resumes it when rerun.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from .augment import AugmentConfig, Augmenter, kept_records, load_records, oracle_augmentations, write_train
from .dataset import load_dataset
from .errors import KgsynthError
from .evaluate import EvalConfig, Evaluator, corpus_prefix
from .finetune import finetune, preset_config
from .models import load_model
from .report import write_report
from .synth import synthesize

REGIMES = ("baseline", "icl", "ft", "aug-ft-local", "aug-ft-global", "aug-ft-verified", "oracle-ft")
AUGMENTED = {"aug-ft-local": ("local",), "aug-ft-global": ("global",), "aug-ft-verified": ("local", "global")}


@dataclass
class StudyConfig:
    ontology: str
    out: str
    model: str = "local"
    seed: int = 0
    quick: bool = False
    regimes: list[str] = field(default_factory=lambda: list(REGIMES))
    device: str | None = None
    items_per_split: int | None = None  # quick: 25
    steps: int | None = None  # quick: 40
    augment_sources: int | None = None  # quick: 30
    max_context_tokens: int | None = None  # ICL corpus cap; quick: 4,000
    augment_context_tokens: int | None = None  # corpus cap in global-augmentation prompts; quick: 1,500

    def validate(self) -> None:
        unknown = sorted(set(self.regimes) - set(REGIMES))
        if unknown:
            raise KgsynthError(f"unknown regime(s) {', '.join(unknown)}: choose from {', '.join(REGIMES)}")

    def resolved(self) -> StudyConfig:
        quick = {"items_per_split": 25, "steps": 40, "augment_sources": 30, "max_context_tokens": 4000,
                 "augment_context_tokens": 1500}
        for name, value in quick.items():
            if getattr(self, name) is None and self.quick:
                setattr(self, name, value)
        return self


class Study:
    def __init__(self, config: StudyConfig, say: Callable[[str], None] = print,
                 bar: Callable[[str], object] | None = None):
        config.validate()
        self.config = config.resolved()
        self.out = Path(config.out)
        self.data = self.out / "data"
        self.say = say
        self.bar = bar  # description -> context manager yielding advance(count, total)
        self._base = None
        self._corpus_tokens: int | None = None

    def run(self) -> Path:
        self.out.mkdir(parents=True, exist_ok=True)
        if not (self.data / "manifest.json").is_file():
            self.say(f"synthesizing {self.config.ontology}")
            synthesize(self.config.ontology, self.config.seed, self.data)
        (self.out / "study.json").write_text(json.dumps(self.config.__dict__, indent=2, sort_keys=True) + "\n")
        runs = [self.regime(name) for name in self.config.regimes]
        _, report = write_report([str(r) for r in runs], self.out / "report")
        return report

    def base(self):
        if self._base is None:
            self._base = load_model(self.config.model, progress=self.say, device=self.config.device)
        return self._base

    def regime(self, name: str) -> Path:
        self.say(f"regime {name}")
        if name in ("baseline", "icl"):
            return self.evaluate(name, self.base(), name, self.config.model)
        extra = self.extra_training(name)
        settings = preset_config(str(self.data), self.config.model, self.config.device, steps=self.config.steps,
                                 seed=self.config.seed, extra=[str(p) for p in extra])
        tuned = finetune(settings, self.out / f"finetune-{name}", self.config.device)
        model = load_model(f"local:{tuned}", progress=self.say, device=self.config.device)
        return self.evaluate(name, model, "baseline", f"local:{tuned}")

    def extra_training(self, name: str) -> list[Path]:
        if name == "ft":
            return []
        if name == "oracle-ft":
            path = self.out / "oracle-augmentations.jsonl"
            if not path.is_file():
                limit = self.config.augment_sources * 10 if self.config.augment_sources else None
                write_train(path, oracle_augmentations(load_dataset(self.data), limit))
            return [path]
        records = []
        for strategy in AUGMENTED[name]:
            run = self.augment(strategy)
            keep = "entailed" if name == "aug-ft-verified" else "all"
            records += kept_records(load_records(run)[0], keep)
        path = self.out / f"{name}.jsonl"
        write_train(path, records)
        return [path]

    def augment(self, strategy: str) -> Path:
        run = self.out / f"augment-{strategy}"
        config = AugmentConfig(data=str(self.data.resolve()), strategy=strategy, model=self.config.model,
                               seed=self.config.seed, limit=self.config.augment_sources,
                               subsample=self.subsample(self.config.augment_context_tokens) if strategy == "global"
                               else None)
        with self.progress(f"augment {strategy}") as advance:
            Augmenter(self.base(), config, run).augment(advance, keep=None)
        return run

    def subsample(self, cap: int | None) -> float | None:
        """The share of the corpus that keeps it under `cap` tokens (None: all of it)."""
        if cap is None:
            return None
        if self._corpus_tokens is None:
            self._corpus_tokens = self.base().count_tokens(corpus_prefix(self.data, "icl", None, self.config.seed))
        return None if self._corpus_tokens <= cap else round(cap / self._corpus_tokens, 4)

    def evaluate(self, label: str, model, regime: str, model_name: str) -> Path:
        run = self.out / f"eval-{label}"
        config = EvalConfig(data=str(self.data.resolve()), regime=regime, model=model_name, label=label,
                            limit=self.config.items_per_split, seed=self.config.seed,
                            subsample=self.subsample(self.config.max_context_tokens) if regime == "icl" else None)
        with self.progress(f"eval {label}") as advance:
            metrics = Evaluator(model, config, run).evaluate(advance)
        self.say(f"{label}: accuracy {metrics['all']['accuracy']:.3f} over {metrics['all']['n']} items")
        return run

    def progress(self, description: str):
        return nullcontext(None) if self.bar is None else self.bar(description)
