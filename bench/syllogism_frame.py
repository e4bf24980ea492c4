"""Diagnosis: how much of a fine-tuned model's syllogism accuracy the question's frame costs.

Scores a study's syllogism items twice with each fine-tuned regime's model: as `eval` does
(the option after the item's prompt, "The relationships between X and Y are:"), and bare
(the option alone), and prints the accuracy of each by the form of the correct conclusion.
A model that picks the conclusions bare but not framed knows them, and the frame decides its
answer instead (bench/lab/syllogisms-notes.md: why oracle-ft now trains them framed).

    python bench/syllogism_frame.py RUN [--regime oracle-ft --regime ft]

RUN is a `study` directory on a syllogisms ontology (`RUN/finetune-REGIME/model`).
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

from kgsynth.data.dataset import read_items
from kgsynth.experiments.evaluate import likelihood_result
from kgsynth.models import load_model
from kgsynth.models.base import ScoreRequest


def form(item) -> str:
    return item.options[item.answer].split()[0]


def accuracy(model, items: list, framed: bool) -> tuple[int, dict]:
    """Items right, and right by the correct conclusion's form, scored as `eval --scoring
    likelihood` does (framed) or with each option alone (bare)."""
    requests = [ScoreRequest(item.prompt, option) if framed else ScoreRequest("", option.strip())
                for item in items for option in item.options]
    scores = model.score(requests)
    right, by_form, at = 0, collections.Counter(), 0
    for item in items:
        correct = likelihood_result(item, scores[at: at + len(item.options)])["correct"]
        at += len(item.options)
        right += correct
        by_form[form(item)] += correct
    return right, dict(by_form)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--regime", action="append", default=None)
    args = parser.parse_args()
    items = read_items(args.run / "data", "syllogism")
    print(f"{len(items)} items; correct conclusions by form: {dict(collections.Counter(map(form, items)))}")
    for regime in args.regime or ["oracle-ft", "ft"]:
        model = load_model(f"local:{args.run / f'finetune-{regime}' / 'model'}", progress=lambda text: None,
                           device="cpu", dtype="float32")
        for framed in (True, False):
            right, by_form = accuracy(model, items, framed)
            print(f"{regime:>16} {'framed' if framed else 'bare':>6}: {right}/{len(items)} = {right / len(items):.2f}; "
                  f"by form {by_form}", flush=True)


if __name__ == "__main__":
    main()
