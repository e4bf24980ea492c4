"""The backend-neutral model interface: score continuations, generate text."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ScoreRequest:
    context: str
    continuation: str


@dataclass(frozen=True)
class Score:
    logprob: float  # log-likelihood of the continuation given the context (natural log)
    tokens: int  # tokens the continuation was scored over


Progress = Callable[[int], None]  # called with the number of requests just finished


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """`text` up to the first of the stop strings."""
    cuts = [text.index(s) for s in stop if s and s in text]
    return text[: min(cuts)] if cuts else text


class Model(ABC):
    name: str
    max_context: int  # tokens

    @abstractmethod
    def score(self, requests: Sequence[ScoreRequest], progress: Progress | None = None,
              shared_prefix: str | None = None) -> list[Score]:
        """Log-likelihood of each continuation given its context, in request order.
        `shared_prefix`: text every context starts with; a backend may keep its work between calls."""

    @abstractmethod
    def generate(self, prompts: Sequence[str], max_tokens: int = 48, stop: Sequence[str] = ("\n",),
                 temperature: float = 0.0, seed: int = 0) -> list[str]:
        """A completion of each prompt, cut at the first stop string."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens of `text` as the model sees it."""
