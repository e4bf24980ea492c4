"""Which of the paper's findings a set of study runs reproduces, in one paragraph.

Runs are named by the study's regimes (baseline, icl, ft, aug-ft-*, oracle-ft). On each
split, items are paired across runs (the same items under two regimes), so a difference
gets Newcombe's interval for paired proportions (method 10: Wilson intervals of the two
accuracies, combined with their correlation), 95%. The findings checked:

  at chance      the baseline's Wilson interval holds chance: the facts are new to the model;
  ICL > FT       in-context learning generalizes better than fine-tuning (difference > 0);
  reversal curse FT recalls what it was trained on (rephrased ≥ 0.9) but not the reverse
                 (reversal ≤ chance + 0.1);
  augmentation   fine-tuning on the model's own in-context inferences beats plain FT;
  oracle ceiling fine-tuning on the oracle's inferences beats plain FT.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..files import read_jsonl
from .evaluate import RESULTS, wilson
from .options import AUGMENTED

GENERALIZING = ("reversal", "syllogism", "multihop", "category", "deduction")  # splits past the trained wording
SMALL_N = 50  # fewer items per split than this: the paragraph says differences under ~1/sqrt(n) are not shown


def correct_by_item(path: Path) -> dict[tuple[str, str], bool]:
    """(split, item id) -> whether the run answered it correctly."""
    return {(r["split"], r["id"]): bool(r["correct"]) for r in read_jsonl(Path(path) / RESULTS) if "id" in r}


def paired_difference(first: list[bool], second: list[bool]) -> tuple[float, float, float]:
    """first − second accuracy over paired items, and Newcombe's 95% interval (method 10)."""
    n = len(first)
    if n == 0:
        return 0.0, 0.0, 0.0
    both = sum(a and b for a, b in zip(first, second, strict=True))
    only_first = sum(a and not b for a, b in zip(first, second, strict=True))
    only_second = sum(b and not a for a, b in zip(first, second, strict=True))
    neither = n - both - only_first - only_second
    p1, p2 = (both + only_first) / n, (both + only_second) / n
    (l1, u1), (l2, u2) = wilson(both + only_first, n), wilson(both + only_second, n)
    margins = (both + only_first) * (only_second + neither) * (both + only_second) * (only_first + neither)
    phi = (both * neither - only_first * only_second) / math.sqrt(margins) if margins else 0.0
    below = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    above = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return p1 - p2, max(-1.0, p1 - p2 - below), min(1.0, p1 - p2 + above)


class Findings:
    """The sentences of the findings paragraph, from runs labelled by regime."""

    def __init__(self, runs: list[dict]):
        self.metrics = {r["label"]: r["metrics"] for r in runs}
        self.results = {r["label"]: correct_by_item(r["path"]) for r in runs}

    def accuracy(self, label: str, split: str) -> str:
        m = self.metrics[label][split]
        low, high = m["wilson95"]
        return f"{m['accuracy']:.2f} [{low:.2f}, {high:.2f}]"

    def has(self, label: str, split: str) -> bool:
        return label in self.metrics and split in self.metrics[label]

    def difference(self, better: str, worse: str, split: str) -> tuple[float, float, float] | None:
        shared = sorted(key for key in set(self.results[better]) & set(self.results[worse]) if key[0] == split)
        if not shared:
            return None
        return paired_difference([self.results[better][i] for i in shared], [self.results[worse][i] for i in shared])

    def compare(self, better: str, worse: str, split: str, claim: str) -> str | None:
        found = self.difference(better, worse, split) if self.has(better, split) and self.has(worse, split) else None
        if found is None:
            return None
        diff, low, high = found
        verdict = "reproduced" if low > 0 else ("reversed" if high < 0 else "not shown (the interval holds 0)")
        return (f"{claim}: {better} {self.accuracy(better, split)} vs {worse} {self.accuracy(worse, split)}, "
                f"difference {diff:+.2f} [{low:+.2f}, {high:+.2f}]: {verdict}.")

    def at_chance(self, split: str) -> str | None:
        if not self.has("baseline", split) or self.metrics["baseline"][split].get("chance") is None:
            return None
        m = self.metrics["baseline"][split]
        low, high = m["wilson95"]
        where = "at chance" if low <= m["chance"] <= high else (
            "above chance: without the facts it still picks the right option more often than chance, so it "
            "knew something already or favours answer forms that are often right" if low > m["chance"]
            else "below chance")
        return f"baseline {self.accuracy('baseline', split)} with chance {m['chance']:.2f}: {where}."

    def reversal_curse(self) -> str | None:
        if not (self.has("ft", "rephrased") and self.has("ft", "reversal")):
            return None
        learned = self.metrics["ft"]["rephrased"]["accuracy"] >= 0.9
        reversal = self.metrics["ft"]["reversal"]
        cursed = reversal["accuracy"] <= reversal.get("chance", 0.5) + 0.1
        verdict = "reproduced" if learned and cursed else (
            "not shown: FT did not learn the trained facts" if not learned else "not shown: FT reverses")
        return (f"reversal curse: FT recalls the trained facts in new words ({self.accuracy('ft', 'rephrased')}) "
                f"but answers their reversal at {self.accuracy('ft', 'reversal')}: {verdict}.")

    def split_sentences(self, split: str) -> list[str]:
        found = [self.at_chance(split)]
        if split in GENERALIZING:
            found.append(self.compare("icl", "ft", split, "ICL generalizes better than FT"))
            found += [self.compare(name, "ft", split, "augmentation helps FT") for name in AUGMENTED]
            found.append(self.compare("oracle-ft", "ft", split, "oracle augmentation helps FT"))
        return [f for f in found if f]

    def caveats(self) -> list[str]:
        """Results below chance, and n too small to tell regimes apart, said with their likely reason."""
        below = [f"{label} on {split} ({self.accuracy(label, split)}, chance {m['chance']:.2f})"
                 for label, metrics in sorted(self.metrics.items()) for split, m in sorted(metrics.items())
                 if split != "all" and m.get("chance") is not None and m["wilson95"][1] < m["chance"]]
        found = []
        if below:
            found.append("caveat: below chance, beyond the interval: " + "; ".join(below) + ". The model prefers a "
                         "wrong option systematically, most often the word order it was trained on (a reversal "
                         "answered with the fact's own order) or an option sharing the question's words; scoring "
                         "is exact log-likelihood, not a guess.")
        smallest = min((m["n"] for metrics in self.metrics.values() for split, m in metrics.items() if split != "all"),
                       default=None)
        if smallest is not None and smallest < SMALL_N:
            found.append(f"caveat: as few as {smallest} items per split: an interval spans about "
                         f"±{1 / math.sqrt(smallest):.2f}, so differences smaller than that are not shown either way.")
        return found

    def paragraph(self) -> str:
        splits = sorted({s for m in self.metrics.values() for s in m if s != "all"})
        lines = []
        for split in splits:
            sentences = self.split_sentences(split)
            if sentences:
                lines.append(f"- **{split}**: " + " ".join(sentences))
        if curse := self.reversal_curse():
            lines.append(f"- {curse}")
        lines += [f"- {caveat}" for caveat in self.caveats()] if lines else []
        if not lines:
            return ""
        return ("Findings of the paper checked on these runs (accuracy [95% Wilson interval]; differences "
                "paired over the same items, Newcombe's 95% interval):\n\n" + "\n".join(lines))


def findings_paragraph(runs: list[dict]) -> str:
    """The paragraph, or "" where the runs are not named by the study's regimes."""
    labels = {r["label"] for r in runs}
    if not labels & {"baseline", "icl", "ft"}:
        return ""
    return Findings(runs).paragraph()
