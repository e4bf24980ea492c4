"""The lab's claim on the real embedded model (Gemma 3 270M), in a micro configuration:
meta-trained on small worlds of simple_reversals, it answers reversed questions about a
fresh world in context far better than the same model fine-tuned on that world's facts
answers them without context. Answers are generated freely and judged by the oracle;
worlds whose words meet any meta-training world are not used."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")

from kgsynth.data.dataset import create_dataset, load_dataset  # noqa: E402
from kgsynth.data.synth import synthesize  # noqa: E402
from kgsynth.experiments import metatrain as mt  # noqa: E402
from kgsynth.experiments.audit import answer_verdicts  # noqa: E402
from kgsynth.experiments.evaluate import EvalConfig, Evaluator  # noqa: E402
from kgsynth.experiments.finetune import FinetuneConfig, finetune  # noqa: E402
from kgsynth.experiments.metatrain_data import MetatrainConfig, world_words  # noqa: E402
from kgsynth.models import load_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = str(ROOT / "ontologies" / "simple_reversals.ttl")
TEST_WORLDS = 3  # seed 0 (the one meta-training excludes) and the next seeds that share no word with it
WORLD = {"facts": 6, "repetitions": 3}
MICRO = {"steps": 24, "batch_size": 2, "warmup": 4, "eval_every": 24, "eval_worlds": 2, "max_length": 256, "augment_share": 0.0,
         "questions": 10, "bf16": True}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The meta-trained model (trained here, not taken from a cache) and the test worlds on disk."""
    root = tmp_path_factory.mktemp("lab")
    patch = pytest.MonkeyPatch()
    patch.setattr(mt, "cache_root", lambda: root / "cache")  # the embedded model's conversion stays cached
    try:
        meta = mt.metatrain(MetatrainConfig(ontology=ONTOLOGY, test_seed=0, test_settings=WORLD, **MICRO))
    finally:
        patch.undo()
    seen = training_words(meta)
    fresh = (s for s in range(100) if not world_words(create_dataset(ONTOLOGY, s, **WORLD)) & seen)
    seeds = list(itertools.islice(fresh, TEST_WORLDS))
    assert seeds[0] == 0 and len(seeds) == TEST_WORLDS
    worlds = {seed: root / f"world-{seed}" for seed in seeds}
    for seed, directory in worlds.items():
        synthesize(ONTOLOGY, seed, directory, **WORLD)
    return meta, worlds, root, seen


def training_words(meta: Path) -> set[str]:
    """Every word of every world meta-training drew (its record names the seed range)."""
    record = json.loads((meta / "metatrain.json").read_text())
    trained, settings = record["seeds"]["train"], record["config"]["world_settings"]
    return set().union(*(world_words(create_dataset(ONTOLOGY, s, **settings))
                         for s in range(trained["first"], trained["last"] + 1)))


def reversal_entailed(model, spec: str, directory: Path, regime: str, run: Path) -> tuple[int, int]:
    config = EvalConfig(data=str(directory), regime=regime, model=spec, scoring="generate", splits=["reversal"])
    metrics = Evaluator(model, config, run, answer_verdicts(load_dataset(directory))).evaluate()
    return round(metrics["reversal"]["rate_entailed"] * metrics["reversal"]["n"]), metrics["reversal"]["n"]


def test_in_context_answers_beat_fine_tuned_answers_to_reversed_questions(lab):
    meta, worlds, root, seen = lab
    for directory in worlds.values():
        assert not world_words(load_dataset(directory)) & seen  # fresh: no word of any training world

    spec = f"local:{meta}"
    model = load_model(spec, progress=lambda text: None, device="cpu")
    in_context = [reversal_entailed(model, spec, d, "icl", root / f"icl-{s}") for s, d in worlds.items()]

    independent = root / "all-facts.jsonl"  # the three worlds' facts in one fine-tune
    lines = [line for d in worlds.values() for line in (d / "train.jsonl").read_text().splitlines()
             if json.loads(line)["shape"] == "independent"]
    independent.write_text("\n".join(lines) + "\n")
    first, *others = worlds.values()
    tuned = finetune(FinetuneConfig(data=str(first), model=spec, steps=12, batch_size=8, learning_rate=1e-3,
                                    warmup=2, extra=[str(independent)]), root / "ft", "cpu")
    ft_model = load_model(f"local:{tuned}", progress=lambda text: None, device="cpu")
    fine_tuned = [reversal_entailed(ft_model, f"local:{tuned}", d, "baseline", root / f"ft-{s}")
                  for s, d in worlds.items()]

    icl_rate = sum(k for k, _ in in_context) / sum(n for _, n in in_context)
    ft_rate = sum(k for k, _ in fine_tuned) / sum(n for _, n in fine_tuned)
    # measured here: 10 of 18 entailed in context, 0 of 18 after fine-tuning, in 59 s in all
    # (meta-training in bfloat16 autocast, 1.05 s a step); the embedded model without
    # meta-training, in context: 1 of 18
    assert icl_rate >= 0.4, (in_context, fine_tuned)
    assert icl_rate >= ft_rate + 0.3, (in_context, fine_tuned)
    assert sum(k for k, _ in in_context) > sum(k for k, _ in fine_tuned) * 2, (in_context, fine_tuned)
