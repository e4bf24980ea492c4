"""Diagnosis: how much of a fine-tuned model's syllogism accuracy the question's frame costs.

Scores a study's syllogism items twice with each fine-tuned regime's model: as `eval` does
(the option after the item's prompt, "The relationships between X and Y are:"), and bare
(the option alone, as the fine-tune saw the oracle's sentences), and prints the accuracy of
each by the form of the correct conclusion.

    python bench/syllogism_frame.py RUN [--regime oracle-ft --regime ft]

RUN is a `study` directory on a syllogisms ontology (`RUN/finetune-REGIME/model`).
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from kgsynth.models import load_model
from kgsynth.models.base import ScoreRequest


def accuracy(model, items: list[dict], framed: bool) -> tuple[int, dict]:
    requests = [ScoreRequest(item["prompt"] if framed else "", option if framed else option.strip())
                for item in items for option in item["options"]]
    scores = model.score(requests)
    right, by_form, at = 0, collections.Counter(), 0
    for item in items:
        logprobs = [s.logprob for s in scores[at: at + len(item["options"])]]
        at += len(item["options"])
        correct = max(range(len(logprobs)), key=logprobs.__getitem__) == item["answer"]
        right += correct
        by_form[item["options"][item["answer"]].split()[0]] += correct
    return right, dict(by_form)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--regime", action="append", default=None)
    args = parser.parse_args()
    items = [json.loads(line) for line in (args.run / "data" / "items" / "syllogism.jsonl").read_text().splitlines()]
    forms = collections.Counter(item["options"][item["answer"]].split()[0] for item in items)
    print(f"{len(items)} items; correct conclusions by form: {dict(forms)}")
    for regime in args.regime or ["oracle-ft", "ft"]:
        model = load_model(f"local:{args.run / f'finetune-{regime}' / 'model'}", progress=lambda text: None,
                           device="cpu", dtype="float32")
        for framed in (True, False):
            right, by_form = accuracy(model, items, framed)
            print(f"{regime:>16} {'framed' if framed else 'bare':>6}: {right}/{len(items)} = {right / len(items):.2f}; "
                  f"by form {by_form}", flush=True)


if __name__ == "__main__":
    main()
