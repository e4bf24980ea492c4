"""What a run on a paid model will send, in tokens, printed before it starts.

Counts come from the model's own tokenizer (countTokens, which is free): the corpus once,
and the questions from a sample of at most 50. Answers already on disk are not sent
again, so a resumed run costs less than its estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import KgsynthError
from .models.base import Model, lettered

SAMPLE = 50
OUTPUT_TOKENS = {"generate": 32, "choice": 1}


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
    corpus_tokens = model.count_tokens(corpus) if corpus else 0
    minimum = model.context_cache_minimum
    cached = corpus_tokens if minimum is not None and corpus_tokens >= minimum and requests > 1 else 0
    prompt = round(requests * (question_tokens + corpus_tokens)) + cached  # the cache is written once
    return Estimate(requests, prompt, cached * requests, requests * output)


def eval_estimate(model: Model, items: list[dict], prefix: str, scoring: str) -> Estimate:
    if scoring == "likelihood":
        raise KgsynthError(f"{model.name} gives no log-probabilities of given text: use --scoring generate or choice")
    texts = [lettered(i["prompt"], i["options"]) if scoring == "choice" else i["prompt"] for i in items]
    return with_corpus(model, len(items), mean_tokens(model, texts), prefix, OUTPUT_TOKENS[scoring])


def augment_estimate(model: Model, augmenter) -> Estimate:
    """The augmentation's prompts: a sample of them counted, the corpus (global) counted once."""
    config = augmenter.config
    sources = augmenter.sources
    requests = len(sources) * config.samples
    if config.strategy == "local":
        tokens = mean_tokens(model, [augmenter.prompt(s) for s in sources])
        return Estimate(requests, round(requests * tokens), 0, requests * config.max_tokens)
    shared = augmenter.shared_prefix or ""
    rest = mean_tokens(model, [augmenter.prompt(s).removeprefix(shared) for s in sources])
    return with_corpus(model, requests, rest, shared, config.max_tokens)

