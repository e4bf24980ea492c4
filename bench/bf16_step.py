"""Benchmark: one meta-training step of the embedded model (LoRA) in float32 and in bfloat16
autocast (`metatrain --bf16`), on the same batches; prints seconds per step,
the ratio, and the losses of the first step (the same batch from the same weights).

    python bench/bf16_step.py [--steps 6] [--batch-size 2]

bfloat16 pays off on CPUs with AMX or AVX-512 BF16 (and on GPUs); elsewhere it may be slower.
"""

from __future__ import annotations

import argparse
import random
import time

from kgsynth.data.dataset import create_dataset
from kgsynth.experiments.metatrain import MetaTrainer
from kgsynth.experiments.metatrain_data import TRAIN_BASE, MetatrainConfig, fitted_sequence, sequence_text
from kgsynth.models import load_model

ONTOLOGY = "simple_reversals"
WORLD = {"facts": 5, "repetitions": 1}


def batches(tokenizer, start_id: int, count: int, size: int) -> list:
    worlds = [create_dataset(ONTOLOGY, TRAIN_BASE + k, **WORLD) for k in range(count * size)]
    sequences = [fitted_sequence(tokenizer, *sequence_text(w, random.Random(k), 10), start_id, 256)
                 for k, w in enumerate(worlds)]
    return [sequences[i: i + size] for i in range(0, len(sequences), size)]


def timed(trainer: MetaTrainer, batches: list) -> tuple[float, float]:
    first = trainer.step(batches[0], 1)  # warm-up, and the loss compared
    started = time.perf_counter()
    for step, batch in enumerate(batches[1:], start=2):
        trainer.step(batch, step)
    return first, (time.perf_counter() - started) / (len(batches) - 1)


def trainer(bf16: bool, steps: int, batch_size: int) -> MetaTrainer:
    """A fresh LoRA on freshly loaded weights, so both precisions start from the same point."""
    local = load_model("local", progress=lambda text: None, dtype="float32")
    config = MetatrainConfig(ontology=ONTOLOGY, steps=steps, batch_size=batch_size, warmup=1, bf16=bf16)
    return MetaTrainer(local.model, local.tokenizer, config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=2)
    args = parser.parse_args()
    first = trainer(False, args.steps, args.batch_size)
    shared = batches(first.tokenizer, first.start_id, args.steps + 1, args.batch_size)
    loss32, step32 = timed(first, shared)
    del first
    loss16, step16 = timed(trainer(True, args.steps, args.batch_size), shared)
    print(f"float32: {step32:.3f} s per step; bfloat16 autocast: {step16:.3f} s per step; "
          f"ratio {step16 / step32:.2f}; first-step loss {loss32:.4f} vs {loss16:.4f}")


if __name__ == "__main__":
    main()
