"""What a model reads before each question under `--regime icl`, built the same way for
every model:

  corpus    every document (or a seeded share, --subsample), one text shared by all items;
  relevant  per item, the documents stating the facts its answer rests on (the item's
            `depends_on` sentences) plus `distractors` other documents drawn with a seed
            from the run's seed and the item's id, all in corpus order. For corpora over
            the window; the question's own facts are always there, among others.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..data.dataset import SEPARATOR, corpus_text
from ..errors import KgsynthError
from ..tasks.records import Document, Item
from .options import CONTEXTS, DISTRACTORS


@dataclass(frozen=True)
class ContextSpec:
    regime: str  # baseline: no context at all
    context: str = "corpus"
    subsample: float | None = None  # corpus: the share of documents kept
    distractors: int = DISTRACTORS  # relevant: the other documents per item
    seed: int = 0

    def validate(self) -> None:
        if self.context not in CONTEXTS:
            raise KgsynthError(f"unknown context {self.context!r}: use {' or '.join(CONTEXTS)}")
        if self.subsample is not None and not 0 < self.subsample <= 1:
            raise KgsynthError(f"--subsample must be in (0, 1], got {self.subsample}")
        if self.context == "relevant" and self.subsample is not None:
            raise KgsynthError("--subsample applies to --context corpus; --context relevant takes --distractors")
        if self.distractors < 0:
            raise KgsynthError(f"--distractors must be at least 0, got {self.distractors}")


def document_of(sentence_id: str) -> str:
    """'doc00012.s03' -> 'doc00012'."""
    return sentence_id.partition(".")[0]


def relevant_text(documents: list[Document], item: Item, distractors: int, seed: int) -> str:
    """The item's own documents and `distractors` seeded others, in corpus order."""
    own = {document_of(s) for s in item.depends_on}
    others = [i for i, d in enumerate(documents) if d.id not in own]
    rng = random.Random(f"{seed}:{item.id}:distractors")
    chosen = set(rng.sample(others, min(distractors, len(others))))
    kept = [d.text for i, d in enumerate(documents) if d.id in own or i in chosen]
    return SEPARATOR.join(kept)


def item_prefixes(documents: list[Document], items: list[Item], spec: ContextSpec) -> list[str]:
    """The text before each item's prompt (empty for the baseline), ending with the separator."""
    if spec.regime == "baseline":
        return [""] * len(items)
    if spec.context == "corpus":
        shared = corpus_text(documents, spec.subsample, spec.seed) + SEPARATOR
        return [shared] * len(items)
    return [relevant_text(documents, item, spec.distractors, spec.seed) + SEPARATOR for item in items]

