"""What a study will do, phase by phase, and roughly how long that takes: said before it
starts (timing.Plan). Steps of the augmented fine-tunes are estimated from the augmentation
yields measured in the lab: training records per source, local 2.3 (simple reversals, quick)
and 1.3 (syllogisms), global 0.33 and 2.0; verified kept 0.73 of them (simple reversals)."""

from __future__ import annotations

import math

from .augment import select_sources
from .evaluate import select_items
from .options import AUGMENTED
from .oracle_ceiling import oracle_augmentations
from .timing import Plan, checkpoint_millions, on_gpu

SENTENCES_PER_SOURCE = {"local": 2, "global": 1}
ENTAILED_SHARE = 0.75  # aug-ft-verified keeps the entailed ones


def study_plan(study, metatrain_steps: int) -> Plan:
    """`study`: a Study; metatrain_steps: the steps still to train (0 when cached or not asked)."""
    config = study.config
    items = len(select_items(study.data, [], config.items_per_split))
    strategies = sorted({s for name in config.regimes for s in AUGMENTED.get(name, ())})
    counts = {s: len(select_sources(study.dataset.documents, s, config.seed, config.augment_sources)) for s in strategies}
    base = None  # the plain ft's settings, read once and only for a fine-tune still to run
    phases = [("metatrain", metatrain_steps, "metatrain step")] if metatrain_steps else []
    for strategy in strategies:
        if not finished(study, f"augment-{strategy}", "audit.json"):
            phases.append((f"augment {strategy}", counts[strategy], f"augment source {strategy}"))
    for name in config.regimes:
        tuned = name not in ("baseline", "icl")
        if tuned and not finished(study, f"finetune-{name}", "model"):
            base = base if base is not None else study.finetune_config([])
            phases.append((f"finetune {name}", fine_tuning_steps(study, name, base, counts), "finetune step"))
        if not finished(study, f"eval-{name}", "metrics.json"):
            phases.append((f"eval {name}", items, "eval item baseline" if tuned else f"eval item {name}"))
    return Plan(checkpoint_millions(config.model), on_gpu(config.device), phases)


def finished(study, run: str, output: str) -> bool:
    """Whether a rerun finds this step done (its run directory holds its final output)."""
    return (study.out / run / output).exists()


def fine_tuning_steps(study, name: str, base, counts: dict[str, int]) -> int:
    """The steps of this regime's fine-tune (`base`: the plain ft's settings; `counts`: sources
    per strategy); for the augmented ones, with the augmentations' expected number (they are
    written during the study)."""
    if name == "ft" or not study.config.epochs:
        return base.steps
    if name == "oracle-ft":
        limit = study.config.augment_sources * 10 if study.config.augment_sources else None
        extra = len(oracle_augmentations(study.dataset, limit)) * base.extra_repeats
    else:
        share = ENTAILED_SHARE if name == "aug-ft-verified" else 1.0
        extra = sum(counts[s] * SENTENCES_PER_SOURCE[s] for s in AUGMENTED[name]) * share * base.extra_repeats
    return base.steps + math.ceil(study.config.epochs * extra / base.batch_size)
