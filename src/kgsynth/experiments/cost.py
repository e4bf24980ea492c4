"""Tokens: whether a run's prompts fit the model's window, and what a run on a paid model
will send, printed before it starts.

Counts come from the model's own tokenizer (countTokens, which is free): the corpus once,
and the questions from a sample of at most 50. Answers already on disk are not sent
again: the estimates take the ids a resumed run has done and count only the rest.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

from ..errors import KgsynthError
from ..models.base import Model, lettered
from ..tasks.records import Item

SAMPLE = 50
OUTPUT_TOKENS = {"generate": 32, "choice": 1}
MARGIN = 64  # tokens left free when suggesting a --subsample: documents differ in length


def check_fits(model: Model, corpus_tokens: int, rest_tokens: int, subsample: float | None, rest: str) -> None:
    """Refuse a prompt over the model's window: an in-context corpus of `corpus_tokens` (0 if
    none; already cut to `subsample`) and `rest_tokens` of the longest rest (`rest`: what it
    is). Where a smaller share of the corpus would fit, the error suggests that --subsample."""
    window = model.max_context
    if corpus_tokens + rest_tokens <= window:
        return
    if rest_tokens > window or not corpus_tokens:
        raise KgsynthError(f"{rest} is {rest_tokens:,} tokens, over the model's window of {window:,}: "
                           "use a model with a longer context")
    share = math.floor((subsample or 1.0) * (window - rest_tokens - MARGIN) / corpus_tokens * 10_000) / 10_000
    if share <= 0:
        raise KgsynthError(f"the corpus is {corpus_tokens:,} tokens and the model's window of {window:,} "
                           "leaves no room for it: use a model with a longer context")
    raise KgsynthError(f"the corpus is {corpus_tokens:,} tokens, over the model's window of {window:,}: "
                       f"try --subsample {share:g}")


@dataclass
class Estimate:
    requests: int = 0
    prompt_tokens: int = 0  # all input tokens, cached ones included
    cached_tokens: int = 0  # of those, read from a context cache (billed at a reduced rate)
    output_tokens: int = 0  # at most

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate(self.requests + other.requests, self.prompt_tokens + other.prompt_tokens,
                        self.cached_tokens + other.cached_tokens, self.output_tokens + other.output_tokens)

    def describe(self) -> str:
        return (f"about {self.requests:,} requests, {self.prompt_tokens:,} input tokens "
                f"({self.cached_tokens:,} of them from the context cache) and at most {self.output_tokens:,} output "
                "tokens (thinking models add their thoughts)")


def mean_tokens(model: Model, texts: list[str]) -> float:
    sample = texts[:: max(1, len(texts) // SAMPLE)][:SAMPLE]
    return model.count_tokens("\n".join(sample)) / len(sample) if sample else 0.0


def with_corpus(model: Model, requests: int, question_tokens: float, corpus: str, output: int) -> Estimate:
    if not requests:
        return Estimate()  # nothing left to send: not even the corpus is counted
    corpus_tokens = model.count_tokens(corpus) if corpus else 0
    minimum = model.context_cache_minimum
    cached = corpus_tokens if minimum is not None and corpus_tokens >= minimum and requests > 1 else 0
    prompt = round(requests * (question_tokens + corpus_tokens)) + cached  # the cache is written once
    return Estimate(requests, prompt, cached * requests, requests * output)


def eval_estimate(model: Model, items: list[Item], prefixes: list[str], scoring: str,
                  done: Collection[str] = ()) -> Estimate:
    """What scoring `items` (each after its prefix) sends, leaving out those whose ids are in
    `done` (the results a resumed run has already: Evaluator.evaluate sends only the rest). A
    prefix shared by all is counted once, as a context cache would hold it."""
    if scoring == "likelihood":
        raise KgsynthError(f"{model.name} gives no log-probabilities of given text: use --scoring generate or choice")
    todo = [(i, p) for i, p in zip(items, prefixes, strict=True) if i.id not in done]
    texts = [lettered(i.prompt, i.options) if scoring == "choice" else i.prompt for i, _ in todo]
    shared = {p for _, p in todo}
    if len(shared) > 1:  # a context per item: counted with its question, never cached
        texts, shared = [p + t for (_, p), t in zip(todo, texts, strict=True)], {""}
    return with_corpus(model, len(todo), mean_tokens(model, texts), next(iter(shared), ""), OUTPUT_TOKENS[scoring])


def augment_estimate(model: Model, augmenter, done: Collection[str] = ()) -> Estimate:
    """The augmentation's prompts: a sample of them counted, the corpus (global) counted once.
    `done`: the ids of the sources a resumed run has finished (Augmenter.augment skips them)."""
    config = augmenter.config
    sources = [s for s in augmenter.sources if s.id not in done]
    requests = len(sources) * config.samples
    if not requests:
        return Estimate()
    if config.strategy == "local":
        tokens = mean_tokens(model, [augmenter.prompt(s) for s in sources])
        return Estimate(requests, round(requests * tokens), 0, requests * config.max_tokens)
    shared = augmenter.shared_prefix or ""
    rest = mean_tokens(model, [augmenter.prompt(s).removeprefix(shared) for s in sources])
    return with_corpus(model, requests, rest, shared, config.max_tokens)
