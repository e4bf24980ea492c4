"""Training-set recall: does a fine-tuned model know what it was trained on?

For a seeded sample of its training texts, the model continues each text cut before its
last word (greedy, no context beyond the text itself); a text counts as recalled when the
continuation starts with that word. It separates "the fine-tune did not learn the facts"
from "it learned them but does not generalize" (the reversal curse).
"""

from __future__ import annotations

import random
import re

from ..models.base import Model
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
    replies = model.complete([prompt for prompt, _ in cut], max_tokens=8, stop=("\n",), seed=seed)
    hits = sum(reply.text.strip().lower().startswith(word.lower()) for (_, word), reply in
               zip(cut, replies, strict=True))
    return {"n": len(cut), "recall": hits / len(cut) if cut else 0.0, "wilson95": wilson(hits, len(cut))}
