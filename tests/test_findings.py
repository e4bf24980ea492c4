"""kgsynth.experiments.findings: Newcombe's paired interval (its coverage checked by
simulation) and the findings paragraph on hand-made runs with known answers."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from kgsynth.experiments.evaluate import summarize
from kgsynth.experiments.findings import findings_paragraph, paired_difference


def test_paired_difference_extremes_and_symmetry():
    right, wrong = [True] * 100, [False] * 100
    diff, low, high = paired_difference(right, wrong)
    assert diff == 1.0 and 0.9 < low < 1.0 and high == 1.0
    same = [i % 3 == 0 for i in range(100)]
    diff, low, high = paired_difference(same, same)
    assert diff == 0.0 and low < 0 < high and high - low < 0.1  # perfectly correlated: narrow
    rng = random.Random(1)
    a, b = [rng.random() < 0.7 for _ in range(80)], [rng.random() < 0.4 for _ in range(80)]
    diff, low, high = paired_difference(a, b)
    back, back_low, back_high = paired_difference(b, a)
    assert back == pytest.approx(-diff) and back_low == pytest.approx(-high) and back_high == pytest.approx(-low)
    assert low < diff < high


def test_paired_interval_covers_the_true_difference_about_95_percent_of_the_time():
    rng = random.Random(0)
    cells = {(True, True): 0.45, (True, False): 0.25, (False, True): 0.10, (False, False): 0.20}
    truth = 0.25 - 0.10
    covered = 0
    for _ in range(600):
        pairs = rng.choices(list(cells), weights=list(cells.values()), k=100)
        _, low, high = paired_difference([a for a, _ in pairs], [b for _, b in pairs])
        covered += low <= truth <= high
    assert 0.92 <= covered / 600 <= 0.985


def make_run(directory: Path, label: str, correct: dict[str, list[bool]]) -> dict:
    results = [{"id": f"{split}-{i:05d}", "split": split, "correct": c, "options": 2}
               for split, answers in correct.items() for i, c in enumerate(answers)]
    directory.mkdir(parents=True)
    (directory / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in results))
    return {"label": label, "path": directory, "metrics": summarize(results)}


def test_paragraph_names_what_was_reproduced_and_what_was_not(tmp_path):
    rng = random.Random(2)
    coin = [rng.random() < 0.5 for _ in range(100)]
    runs = [
        make_run(tmp_path / "b", "baseline", {"rephrased": coin, "reversal": coin[::-1]}),
        make_run(tmp_path / "i", "icl", {"rephrased": [True] * 100, "reversal": [True] * 97 + [False] * 3}),
        make_run(tmp_path / "f", "ft", {"rephrased": [True] * 100, "reversal": [i % 3 == 0 for i in range(100)]}),
        make_run(tmp_path / "a", "aug-ft-local", {"rephrased": [True] * 100, "reversal": [i % 3 == 0 for i in range(100)]}),
    ]
    text = findings_paragraph(runs)
    reversal = next(line for line in text.splitlines() if line.startswith("- **reversal**"))
    assert "at chance" in reversal
    assert "ICL generalizes better than FT: icl 0.97" in reversal and "+0.63" in reversal
    assert reversal.split("augmentation helps FT")[0].endswith(": reproduced. ")
    assert "augmentation helps FT: aug-ft-local 0.34" in reversal and "not shown (the interval holds 0)" in reversal
    assert "reversal curse" in text and "0.34 [" in text.split("reversal curse")[1] and "reproduced." in text
    assert "**rephrased**" in text and "ICL generalizes" not in text.split("**rephrased**")[1].split("\n")[0]
    caveat = next(line for line in text.splitlines() if "below chance, beyond the interval" in line)
    assert "aug-ft-local on reversal (0.34 [" in caveat and "ft on reversal (0.34 [" in caveat
    assert "icl on" not in caveat and "baseline on" not in caveat and "word order" in caveat
    assert "as few as" not in text  # 100 items per split


def test_a_small_run_says_its_intervals_are_wide(tmp_path):
    runs = [make_run(tmp_path / "b", "baseline", {"reversal": [True, False] * 12}),
            make_run(tmp_path / "i", "icl", {"reversal": [True] * 24})]
    text = findings_paragraph(runs)
    assert "- caveat: as few as 24 items per split: an interval spans about ±0.20" in text
    assert "below chance" not in text


def test_runs_not_named_by_regime_get_no_paragraph(tmp_path):
    runs = [make_run(tmp_path / "x", "my run", {"reversal": [True, False]})]
    assert findings_paragraph(runs) == ""
