"""Diagnosis: how far a model gets on syllogism items by the answer's form alone.

A syllogism item offers 4-5 conclusions ("All/Some/No X are Y", both directions), and the
correct one's form is not uniform: "No" conclusions have one option, "Some" two. A model
that knows nothing of a world's facts but has seen other worlds (meta-training) can learn
which form tends to be right. This script measures that prior on validation worlds (never
the test world), then gives:

- the test items' chance (one option at random) and form-prior accuracy (the expected accuracy
  of picking, at random, an option of the form that was best on the validation worlds);
- the forms a study's regimes chose, and their accuracy.

    python bench/answer_forms.py RUN [--validation-seed 1 --validation-seed 2 ...]

RUN is a `study` directory on a syllogisms ontology.
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from kgsynth.data.dataset import create_dataset, read_items
from kgsynth.files import read_jsonl


def form(option: str) -> str:
    return option.split()[0]


def form_accuracy(items: list, chosen_form: str) -> float:
    """Expected accuracy of picking, uniformly, one of an item's options of `chosen_form`
    (any option when it offers none)."""
    total = 0.0
    for item in items:
        offered = [i for i, option in enumerate(item.options) if form(option) == chosen_form] or range(len(item.options))
        total += (item.answer in offered) / len(offered)
    return total / len(items)


def best_form(items: list) -> tuple[str, float]:
    forms = sorted({form(option) for item in items for option in item.options})
    return max(((f, form_accuracy(items, f)) for f in forms), key=lambda pair: pair[1])


def correct_forms(items: list) -> dict:
    return dict(collections.Counter(form(item.options[item.answer]) for item in items))


def chosen_forms(run: Path, regime: str, by_id: dict) -> tuple[collections.Counter, int] | None:
    results = run / f"eval-{regime}" / "results.jsonl"
    if not results.is_file():
        return None
    chosen, right = collections.Counter(), 0
    for record in read_jsonl(results):
        chosen[form(by_id[record["id"]].options[record["chosen"]])] += 1
        right += record["correct"]
    return chosen, right


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--validation-seed", type=int, action="append", default=None)
    args = parser.parse_args()
    config = json.loads((args.run / "run.json").read_text())["config"]
    seeds = args.validation_seed or [config["seed"] + k for k in range(1, 6)]
    if config["seed"] in seeds:
        parser.error(f"seed {config['seed']} is the test world's")
    validation = [item for seed in seeds
                  for item in create_dataset(config["ontology"], seed, **config["world_settings"]).items["syllogism"]]
    prior, on_validation = best_form(validation)
    print(f"validation worlds (seeds {seeds}): {len(validation)} items, correct forms "
          f"{correct_forms(validation)}; the best single form: "
          f"{prior!r}, {on_validation:.2f}")
    items = read_items(args.run / "data", "syllogism")
    chance = sum(1 / len(item.options) for item in items) / len(items)
    print(f"test world: {len(items)} items, correct forms {correct_forms(items)}; "
          f"chance {chance:.2f}, form prior ({prior!r}) {form_accuracy(items, prior):.2f}")
    by_id = {item.id: item for item in items}
    for regime in ("baseline", "icl", "ft", "aug-ft-local", "aug-ft-global", "aug-ft-verified", "oracle-ft"):
        found = chosen_forms(args.run, regime, by_id)
        if found:
            chosen, right = found
            print(f"{regime:>16}: {right}/{len(items)} = {right / len(items):.2f}; chose {dict(chosen)}")


if __name__ == "__main__":
    main()
