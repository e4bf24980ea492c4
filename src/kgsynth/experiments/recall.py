"""Training-set recall: does a fine-tuned model know what it was trained on?

For a seeded sample of its training texts, each text is cut before its last word; the text
counts as recalled when greedy decoding from the cut (no context beyond the text itself)
would write that word: every one of its tokens the most likely one, read off one scoring pass
(`Score.greedy`) instead of generating. It separates "the fine-tune did not learn the facts"
from "it learned them but does not generalize" (the reversal curse).
"""

from __future__ import annotations

import random
import re

from ..models.base import Model, ScoreRequest
from .evaluate import wilson

SAMPLE = 100
LAST_WORD = re.compile(r"^(?P<stem>.*\S)\s+(?P<word>[^\s]+?)[.?!\"']*\s*$", re.DOTALL)


def split_last_word(text: str) -> tuple[str, str] | None:
    """'Jinvi is narrower than kwais.' -> ('Jinvi is narrower than', 'kwais'); None for one word."""
    found = LAST_WORD.match(text)
    return (found["stem"], found["word"]) if found else None


def training_recall(model: Model, examples: list[tuple[str, str]], sample: int = SAMPLE, seed: int = 0) -> dict:
    """Recall of the last word over a sample of distinct (context, text) training examples."""
    distinct = sorted(set(examples))
    chosen = random.Random(f"{seed}:recall").sample(distinct, min(sample, len(distinct)))
    cut = [(context + parts[0], parts[1]) for context, text in chosen if (parts := split_last_word(text))]
    scores = model.score([ScoreRequest(prompt, " " + word) for prompt, word in cut])
    hits = sum(bool(score.greedy) for score in scores)
    return {"n": len(cut), "recall": hits / len(cut) if cut else 0.0, "wilson95": wilson(hits, len(cut))}
