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
    greedy: bool | None = None  # every continuation token the most likely one (where the backend knows)


@dataclass(frozen=True)
class Reply:
    """A generated answer. `problem` says why it is not a normal one ("finish:SAFETY",
    "finish:MAX_TOKENS", "empty", "malformed_json", "malformed_response"); `items` is the
    list of a JSON-list answer; `usage` the tokens it cost, where the backend counts them."""

    text: str
    problem: str | None = None
    items: list[str] | None = None
    usage: dict | None = None


@dataclass(frozen=True)
class Choice:
    """The option a model picked (None: no valid letter), with the letters' log-probabilities
    where the backend gives them."""

    index: int | None
    logprobs: dict[str, float] | None = None
    problem: str | None = None
    usage: dict | None = None


LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def lettered(prompt: str, options: Sequence[str]) -> str:
    """A multiple-choice question: each option as the whole sentence, behind a letter."""
    if len(options) > len(LETTERS):
        raise ValueError(f"at most {len(LETTERS)} options can be lettered, got {len(options)}")
    stem = prompt.strip()
    lines = [f"Which sentence is true? Complete: {stem} ..."]
    lines += [f"{LETTERS[i]}. {stem} {option.strip()}" for i, option in enumerate(options)]
    return "\n".join(lines) + "\nAnswer:"


Progress = Callable[[int], None]  # called with the number of requests just finished


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """`text` up to the first of the stop strings."""
    cuts = [text.index(s) for s in stop if s and s in text]
    return text[: min(cuts)] if cuts else text


class Model(ABC):
    name: str
    max_context: int  # tokens
    structured_output = False  # answers augmentation prompts with a JSON list of sentences
    batch_all = False  # wants every request of a run in one call (a batch job)
    generation_batch = 1  # prompts worth generating in one call (a resumed run redoes at most these)
    paid = False  # calls cost money: runs print a token estimate and ask first
    scores_text = True  # gives log-likelihoods of given text (likelihood scoring)
    context_cache_minimum: int | None = None  # tokens a shared prefix needs to be cached server-side (None: never)

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

    def complete(self, prompts: Sequence[str], max_tokens: int = 48, stop: Sequence[str] = ("\n",),
                 temperature: float = 0.0, seed: int = 0, shared_prefix: str | None = None,
                 json_list: bool = False) -> list[Reply]:
        """Like generate, with what went wrong recorded per answer. `json_list` asks for a JSON
        list of sentences (backends with structured_output)."""
        return [Reply(text) for text in self.generate(prompts, max_tokens, stop, temperature, seed)]

    def choose(self, prompts: Sequence[str], options: Sequence[int], shared_prefix: str | None = None) -> list[Choice]:
        """The letter each lettered question (see `lettered`) is answered with, of its first
        `options[i]` letters. By default, the most likely letter as a continuation."""
        pairs = zip(prompts, options, strict=True)
        requests = [ScoreRequest(prompt, f" {LETTERS[k]}") for prompt, n in pairs for k in range(n)]
        scores = self.score(requests, shared_prefix=shared_prefix)
        choices, at = [], 0
        for n in options:
            found = {LETTERS[k]: scores[at + k].logprob for k in range(n)}
            at += n
            best = max(range(n), key=lambda k: found[LETTERS[k]])
            choices.append(Choice(best, found))
        return choices
