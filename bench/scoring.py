"""Benchmark: ICL scoring of simple-reversal items with the embedded model, naive vs kgsynth.

naive    the full sequence (corpus + question + option) through the model per option,
         one request at a time, as common harnesses do by default;
kgsynth  the corpus once (shared-prefix KV cache), each question once, options batched.

Both score the same requests; the script checks they agree (1e-4 relative) and prints
both times, the ratio (target >= 20x) and how close kgsynth is to the physical limit:
one pass over the corpus plus one over all question and option tokens.

    python bench/scoring.py [--items 100] [--subsample 0.0625] [--data DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

from kgsynth.data.dataset import read_items
from kgsynth.experiments.evaluate import corpus_prefix
from kgsynth.models import ScoreRequest, load_model
from kgsynth.models.scoring import naive_scores

ROOT = Path(__file__).resolve().parents[1]


def synthesize(out: Path) -> Path:
    import subprocess

    subprocess.run([sys.executable, str(ROOT / "cli.py"), "synth", "--ontology", str(ROOT / "ontologies/simple_reversals.ttl"),
                    "--seed", "0", "--out", str(out)], check=True, capture_output=True)
    return out


@torch.no_grad()
def physical_limit(model, prefix: str, requests: list[ScoreRequest]) -> float:
    """One forward pass over the corpus, one over every question and option token."""
    corpus = model.tokenizer(prefix, return_tensors="pt")["input_ids"].to(model.device)
    rest_text = " ".join(r.context[len(prefix):] + r.continuation for r in requests[::2])
    rest_text += " ".join(r.continuation for r in requests[1::2])
    rest = model.tokenizer(rest_text, return_tensors="pt", add_special_tokens=False)["input_ids"].to(model.device)
    start = time.perf_counter()
    model.model(input_ids=corpus, logits_to_keep=1)
    model.model(input_ids=rest)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--subsample", type=float, default=0.0625, help="share of the corpus in context")
    parser.add_argument("--data", help="a simple_reversals synth output (default: synthesize one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(args.data) if args.data else synthesize(Path(tmp) / "data")
        items = read_items(data, "reversal")[: args.items]
        prefix = corpus_prefix(data, "icl", args.subsample, 0)
    model = load_model("local")
    requests = [ScoreRequest(prefix + item.prompt, option) for item in items for option in item.options]
    corpus_tokens = model.count_tokens(prefix)
    print(f"{len(items)} items, {len(requests)} options; corpus {corpus_tokens:,} tokens "
          f"({args.subsample:g} of the documents)")

    start = time.perf_counter()
    fast = model.score(requests, shared_prefix=prefix)
    kgsynth_seconds = time.perf_counter() - start
    print(f"kgsynth: {kgsynth_seconds:8.2f} s")

    start = time.perf_counter()
    slow = naive_scores(model.model, model.tokenizer, model.device, model.start_id, requests)
    naive_seconds = time.perf_counter() - start
    print(f"naive:   {naive_seconds:8.2f} s")

    worst = max(abs(a.logprob - b.logprob) / max(abs(b.logprob), 1e-9) for a, b in zip(fast, slow, strict=True))
    print(f"largest relative difference: {worst:.2e} ({'ok' if worst <= 1e-4 else 'TOO LARGE'})")
    limit = physical_limit(model, prefix, requests)
    print(f"ratio naive / kgsynth: {naive_seconds / kgsynth_seconds:.1f}x (target >= 20x: "
          f"{'met' if naive_seconds / kgsynth_seconds >= 20 else 'MISSED'})")
    print(f"physical limit (corpus once + all question/option tokens once): {limit:.2f} s; "
          f"kgsynth takes {kgsynth_seconds / limit:.1f}x the limit")
    if worst > 1e-4:
        sys.exit(1)


if __name__ == "__main__":
    main()
