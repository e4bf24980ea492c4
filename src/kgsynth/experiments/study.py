"""The full study in one command: synth → every regime → report, reusing finished work.

Regimes (STUDY.md): baseline (question only), icl (corpus in context), ft (fine-tuned on
the training text), aug-ft-local / aug-ft-global (fine-tuned on the text plus the model's
own local / global augmentations), aug-ft-verified (plus only the augmentations the
oracle entails), oracle-ft (plus the oracle's own inferences: the ceiling of augmentation).
Every step writes its own run directory under OUT and resumes it when rerun.

On Gemini (`--model gemini:NAME`), evaluation is by choice (or generate), the fine-tuned
regimes are Vertex AI tuning jobs on tuning files uploaded under --gcs-uri (without it,
the files are written and those regimes skipped), and the tokens the study sends are
estimated before it starts.

The study directory is a run directory of its own (rundir.RunDir, kind "study"): a rerun
with other settings, or after the ontology changed, is refused; which regimes run, on which
device and at what rate may change between reruns. study.json records the latest settings.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

from ..data.dataset import Dataset, load_dataset
from ..data.outdir import OutputDir
from ..data.synth import synthesize
from ..errors import KgsynthError
from ..files import read_json, write_json
from ..models import load_model
from ..resources import ontology_path
from .audit import answer_verdicts, trained_statements
from .augment import AugmentConfig, Augmenter, kept_records, write_train
from .context import ContextSpec
from .cost import Estimate
from .evaluate import EvalConfig, Evaluator, corpus_prefix, describe_usage
from .finetune import check_lr_schedule, finetune, preset_config, training_examples
from .options import AUGMENTED, DISTRACTORS, STRATEGIES
from .options import STUDY_REGIMES as REGIMES
from .oracle_ceiling import oracle_augmentations
from .recall import training_recall
from .report import MARKER as REPORT
from .report import write_report
from .rundir import RunDir, identity_of
from .study_report import study_sections
from .tuning import finetune_gemini

# the lab's global-augmentation prompts hold this many corpus tokens: the meta-trained model
# read worlds of at most 512 tokens (options.METATRAIN), prompt and answers included
LAB_AUGMENT_CONTEXT = 400
# the lab's fine-tunes see each trained fact this many times (epochs = this / the texts per
# fact: 1.2 epochs of simple reversals' ten texts per fact, 12 of syllogisms' one), enough to
# recall most of their training text (training-recall.json)
LAB_EXPOSURES, QUICK_LAB_EXPOSURES = 12, 15
# the quick lab: the paper's core comparisons in minutes on a CPU (the full lab runs every regime)
QUICK_LAB_REGIMES = ("baseline", "icl", "ft", "aug-ft-local", "oracle-ft")
RUNTIME = ("out", "regimes", "device", "model_options")  # settings a rerun may change
LATER = {"context": "corpus", "distractors": DISTRACTORS, "epochs": None, "metatrain": False,  # added later: left out
         "metatrain_steps": None, "world_settings": {},  # of the identity at these values, so older studies resume
         "lr_schedule": "constant"}
ENTRIES = ("study.json", "data", "report", "oracle-augmentations.jsonl",  # a study directory's, besides run.json
           "metatrain", "training-recall.json",
           *(f"{step}-{name}" for name in REGIMES for step in ("eval", "finetune", "tuning")),
           *(f"{name}.jsonl" for name in AUGMENTED), *(f"augment-{strategy}" for strategy in STRATEGIES))


@dataclass
class StudyConfig:
    ontology: str
    out: str
    model: str = "local"
    seed: int = 0
    quick: bool = False
    regimes: list[str] | None = None  # default: every regime (the quick lab: QUICK_LAB_REGIMES)
    device: str | None = None
    items_per_split: int | None = None  # quick: 25
    steps: int | None = None  # quick: 40
    augment_sources: int | None = None  # quick: 30
    max_context_tokens: int | None = None  # ICL corpus cap; quick: 4,000
    augment_context_tokens: int | None = None  # corpus cap in global-augmentation prompts; quick: 1,500
    scoring: str = "likelihood"
    context: str | None = None  # icl: corpus, or per item its own documents among distractors (--metatrain's default)
    distractors: int = DISTRACTORS
    epochs: float | None = None  # fine-tuning length in passes over each regime's training text (else: steps)
    lr_schedule: str | None = None  # fine-tuning's learning rate after the warm-up: constant, or linear (the lab's)
    metatrain: bool = False  # first meta-train the local model on other worlds of the ontology, then study it
    metatrain_steps: int | None = None  # quick: 60
    world_settings: dict = field(default_factory=dict)  # the test world's setting overrides, as synth takes them
    gcs_uri: str | None = None  # gemini: gs:// folder of the uploaded REGIME.jsonl tuning files
    model_options: dict = field(default_factory=dict)  # gemini: batch, rpm, tpm, thinking_budget

    def validate(self) -> None:
        unknown = sorted(set(self.regimes or ()) - set(REGIMES))
        if unknown:
            raise KgsynthError(f"unknown regime(s) {', '.join(unknown)}: choose from {', '.join(REGIMES)}")
        ContextSpec("icl", self.context or "corpus", None, self.distractors).validate()
        if self.epochs is not None and not self.epochs > 0:
            raise KgsynthError(f"--epochs must be positive, got {self.epochs}")
        if self.lr_schedule is not None:
            check_lr_schedule(self.lr_schedule)
        if self.gemini and self.lr_schedule not in (None, "constant"):
            raise KgsynthError("--lr-schedule is for local fine-tunes: Gemini tuning sets its own")
        if self.metatrain and self.gemini:
            raise KgsynthError("--metatrain trains a local model: use --model local or local:PATH")

    @property
    def gemini(self) -> bool:
        return self.model.startswith("gemini:")

    def resolved(self) -> StudyConfig:
        quick = {"items_per_split": 25, "steps": 40, "augment_sources": 30, "max_context_tokens": 4000,
                 "augment_context_tokens": 1500}
        if self.gemini:  # a long context is what Gemini is for; only the local window needs the caps
            quick |= {"max_context_tokens": None, "augment_context_tokens": None}
        if self.metatrain:  # the lab: a meta-trained model reads short contexts; fine-tunes that learn their text
            quick |= {"metatrain_steps": 60, "steps": None, "items_per_split": None, "augment_sources": None}
            if self.augment_context_tokens is None:
                self.augment_context_tokens = LAB_AUGMENT_CONTEXT
        for name, value in quick.items():
            if getattr(self, name) is None and self.quick:
                setattr(self, name, value)
        if self.regimes is None:
            self.regimes = list(QUICK_LAB_REGIMES if self.quick and self.metatrain else REGIMES)
        if self.context is None:
            self.context = "relevant" if self.metatrain else "corpus"
        if self.lr_schedule is None:  # the lab's long fine-tunes end at a low rate (chosen on validation worlds)
            self.lr_schedule = "linear" if self.metatrain else "constant"
        return self

    def identity(self) -> dict:
        """The settings that make the study's results what they are: a rerun must match them."""
        settings = identity_of({k: v for k, v in asdict(self).items() if k not in RUNTIME}, LATER)
        return settings | {"thinking_budget": self.model_options.get("thinking_budget")}


class Study:
    def __init__(self, config: StudyConfig, say: Callable[[str], None] = print,
                 bar: Callable[[str], object] | None = None, confirm: Callable[[object, Estimate], None] | None = None):
        config.validate()
        self.config = config.resolved()
        self.out = Path(config.out)
        self.data = self.out / "data"
        self.say = say
        self.bar = bar  # description -> context manager yielding advance(count, total)
        self.confirm = confirm  # (model, estimate) -> None, or raises: asked before a paid study starts
        self._base = None
        self._corpus_tokens: int | None = None
        self._augmenters: dict[str, Augmenter] = {}
        self._augmented: dict[str, list[dict]] = {}
        self.model_spec = config.model  # the model studied: after --metatrain, local:DIR
        self.steps: dict[str, int] = {}  # fine-tuning steps by regime

    def run(self) -> Path:
        ontology = ontology_path(self.config.ontology)
        if self.config.quick and self.config.metatrain and not self.config.world_settings:
            from .metatrain_data import quick_world

            self.config.world_settings = quick_world(ontology)
        study = RunDir(self.out, "study", self.config.identity(), {"ontology": ontology}, ENTRIES)
        study.open()
        OutputDir(self.out / "report", REPORT)  # a report it cannot replace is refused now, not after every regime
        if not (self.data / "manifest.json").is_file():
            self.say(f"synthesizing {self.config.ontology}")
            synthesize(ontology, self.config.seed, self.data, **self.config.world_settings)
        if self.config.metatrain and self.config.epochs is None and self.config.steps is None:
            exposures = QUICK_LAB_EXPOSURES if self.config.quick else LAB_EXPOSURES
            self.config.epochs = round(exposures / self.fact_repeats, 2)
        self.say_plan(ontology)
        self.model_spec = self.metatrained(ontology) if self.config.metatrain else self.config.model
        study.write_json("study.json", asdict(self.config) | {"studied_model": self.model_spec})
        if self.base().paid and self.confirm:
            self.confirm(self.base(), self.estimate())
        runs = [run for run in (self.regime(name) for name in self.config.regimes) if run is not None]
        if not runs:
            raise KgsynthError("no regime was evaluated (the tuned ones need --gcs-uri on gemini)")
        intro, *sections = study_sections(self.out, asdict(self.config), self.model_spec, self.steps)
        _, report = write_report([str(r) for r in runs], self.out / "report", intro, tuple(sections))
        return report

    def load(self, spec: str):
        return load_model(spec, progress=self.say, device=self.config.device, **self.config.model_options)

    @cached_property
    def dataset(self) -> Dataset:
        """The synthesized dataset, rebuilt (world and closure) once for every step that needs it."""
        return load_dataset(self.data)

    @cached_property
    def verdict(self) -> Callable[[str], str]:
        """sentence -> verdict, for --scoring generate."""
        return answer_verdicts(self.dataset)

    def base(self):
        if self._base is None:
            self._base = self.load(self.model_spec)
        return self._base

    def metatrain_config(self, ontology: Path):
        from .metatrain_data import MetatrainConfig

        config = MetatrainConfig(ontology=str(ontology), model=self.config.model, test_seed=self.config.seed,
                                 test_settings=self.config.world_settings)
        config.steps = self.config.metatrain_steps or config.steps
        return config

    def say_plan(self, ontology: Path) -> None:
        """Before any model work: the phases ahead and roughly how long they take here."""
        from .metatrain import is_cached
        from .study_plan import study_plan

        if self.config.gemini:
            return
        meta = self.metatrain_config(ontology) if self.config.metatrain else None
        steps = meta.steps if meta is not None and not is_cached(meta) else 0
        plan = study_plan(self, steps).describe()
        if plan:
            self.say(f"this study: {plan}")

    def metatrained(self, ontology: Path) -> str:
        """`local:DIR` of the model meta-trained on other worlds of the ontology (cached)."""
        from .metatrain import metatrain

        config = self.metatrain_config(ontology)
        self.say(f"meta-training {self.config.model} on other worlds of {ontology.name} ({config.steps} steps; "
                 "cached after the first run)")
        with self.progress("metatrain") as advance:
            directory = metatrain(config, self.out / "metatrain", stepper(advance))
        return f"local:{directory}"

    def estimate(self) -> Estimate:
        """What the evaluations and augmentations of the base model send (tuned models not counted)."""
        total = Estimate()
        for name in self.config.regimes:
            if name in ("baseline", "icl"):
                total += self.evaluator(name, self.base(), name, self.model_spec).estimate()
        for strategy in sorted({s for name in self.config.regimes for s in AUGMENTED.get(name, ())}):
            total += self.augmenter(strategy).estimate()
        return total

    def regime(self, name: str) -> Path:
        self.say(f"regime {name}")
        if name in ("baseline", "icl"):
            return self.evaluate(name, self.base(), name, self.model_spec)
        extra = self.extra_training(name)
        if self.config.gemini:
            return self.tuned_gemini(name, extra)
        settings = self.finetune_config(extra)
        self.steps[name] = settings.steps
        with self.progress(f"finetune {name} ({settings.steps} steps)") as advance:
            tuned = finetune(settings, self.out / f"finetune-{name}", self.config.device,
                             progress=stepper(advance))
        model = load_model(f"local:{tuned}", progress=self.say, device=self.config.device)
        self.record_recall(name, model, settings)
        return self.evaluate(name, model, "baseline", f"local:{tuned}")

    def finetune_config(self, extra: list[Path]):
        """The preset, fine-tuning for --steps, or for --epochs passes over this regime's training text."""
        settings = preset_config(str(self.data), self.model_spec, self.config.device, steps=self.config.steps,
                                 seed=self.config.seed, extra=[str(p) for p in extra],
                                 lr_schedule=self.config.lr_schedule)
        if self.config.metatrain:  # the lab: an augmentation is seen as often as each fact it restates
            settings.extra_repeats = self.fact_repeats
        if self.config.epochs:
            examples = len(training_examples(settings))
            settings.steps = max(1, math.ceil(self.config.epochs * examples / settings.batch_size))
        return settings

    @cached_property
    def fact_repeats(self) -> int:
        """How many training texts state each trained fact, on average (10 in simple reversals)."""
        settings = preset_config(str(self.data), self.model_spec, self.config.device)
        facts = len(trained_statements(self.dataset.documents))
        return max(1, round(len(training_examples(settings)) / max(1, facts)))

    def record_recall(self, name: str, model, settings) -> None:
        """training-recall.json: per regime, how much of its own training text the tuned model recalls."""
        path = self.out / "training-recall.json"
        recalls = read_json(path) if path.is_file() else {}
        if name not in recalls:
            recalls[name] = training_recall(model, training_examples(settings), seed=self.config.seed)
            write_json(path, recalls)
        found = recalls[name]
        self.say(f"{name}: recalls {found['recall']:.2f} of its training texts' last words (n={found['n']})")

    def tuned_gemini(self, name: str, extra: list[Path]) -> Path | None:
        uri = f"{self.config.gcs_uri.rstrip('/')}/{name}.jsonl" if self.config.gcs_uri else None
        out = self.out / f"tuning-{name}"
        spec = finetune_gemini(self.base(), self.data, out, "independent", extra, uri, say=lambda text: None)
        if spec is None:
            self.say(f"{name}: skipped; upload {out / 'tuning.jsonl'} as GCS_FOLDER/{name}.jsonl and rerun "
                     "with --gcs-uri GCS_FOLDER")
            return None
        return self.evaluate(name, self.load(spec), "baseline", spec)

    def extra_training(self, name: str) -> list[Path]:
        if name == "ft":
            return []
        if name == "oracle-ft":
            path = self.out / "oracle-augmentations.jsonl"
            if not path.is_file():
                limit = self.config.augment_sources * 10 if self.config.augment_sources else None
                write_train(path, oracle_augmentations(self.dataset, limit))
            return [path]
        records = []
        for strategy in AUGMENTED[name]:
            keep = "entailed" if name == "aug-ft-verified" else "all"
            records += kept_records(self.augmented(strategy), keep)
        path = self.out / f"{name}.jsonl"
        write_train(path, records)
        return [path]

    def augment_config(self, strategy: str) -> AugmentConfig:
        return AugmentConfig(data=str(self.data.resolve()), strategy=strategy, model=self.model_spec,
                             seed=self.config.seed, limit=self.config.augment_sources,
                             subsample=self.subsample(self.config.augment_context_tokens) if strategy == "global"
                             else None)

    def augmenter(self, strategy: str) -> Augmenter:
        if strategy not in self._augmenters:
            run = self.out / f"augment-{strategy}"
            self._augmenters[strategy] = Augmenter(self.base(), self.augment_config(strategy), run, self.dataset)
        return self._augmenters[strategy]

    def augmented(self, strategy: str) -> list[dict]:
        """The judged candidates of one augmentation, run (or finished) once per study:
        aug-ft-verified reuses those of aug-ft-local and aug-ft-global."""
        if strategy not in self._augmented:
            augmenter = self.augmenter(strategy)
            with self.progress(f"augment {strategy}") as advance:
                augmenter.augment(advance, keep=None)
            self._augmented[strategy] = augmenter.records
        return self._augmented[strategy]

    def subsample(self, cap: int | None) -> float | None:
        """The share of the corpus that keeps it under `cap` tokens (None: all of it)."""
        if cap is None:
            return None
        if self._corpus_tokens is None:
            self._corpus_tokens = self.base().count_tokens(corpus_prefix(self.data, "icl", None, self.config.seed))
        return None if self._corpus_tokens <= cap else round(cap / self._corpus_tokens, 4)

    def evaluator(self, label: str, model, regime: str, model_name: str) -> Evaluator:
        context = self.config.context if regime == "icl" else "corpus"
        corpus_cap = self.config.max_context_tokens if regime == "icl" and context == "corpus" else None
        config = EvalConfig(data=str(self.data.resolve()), regime=regime, model=model_name, label=label,
                            scoring=self.config.scoring, limit=self.config.items_per_split, seed=self.config.seed,
                            subsample=self.subsample(corpus_cap), context=context,
                            distractors=self.config.distractors)
        verdict = self.verdict if self.config.scoring == "generate" else None
        return Evaluator(model, config, self.out / f"eval-{label}", verdict)

    def evaluate(self, label: str, model, regime: str, model_name: str) -> Path:
        evaluator = self.evaluator(label, model, regime, model_name)
        with self.progress(f"eval {label}") as advance:
            metrics = evaluator.evaluate(advance)
        overall = metrics["all"]
        tokens = f"; {describe_usage(overall['usage'])}" if "usage" in overall else ""
        self.say(f"{label}: accuracy {overall['accuracy']:.3f} over {overall['n']} items{tokens}")
        return evaluator.run

    def progress(self, description: str):
        return nullcontext(None) if self.bar is None else self.bar(description)


def stepper(advance) -> Callable[..., None] | None:
    """A trainer's progress(step, steps, loss, …) as a bar's advance(count, total); a kgsynth
    progress Tracker takes it as it is (and shows the loss)."""
    if advance is None:
        return None
    if hasattr(advance, "step"):
        return advance.step
    reached = [0]

    def moved(step: int, total: int, *rest) -> None:
        advance(step - reached[0], total)
        reached[0] = step

    return moved
