"""A deterministic stand-in for a language model (kgsynth.models.base.Model), for the tests
of evaluation, the study and the report. Also importable from helpers."""

from __future__ import annotations


def fake_logprob(context: str, continuation: str) -> float:
    """A fixed pseudo-random log-likelihood in (-len - 1, -len]: stable across processes."""
    import hashlib

    digest = hashlib.sha256(f"{context}\x00{continuation}".encode()).digest()
    return -float(len(continuation)) - int.from_bytes(digest[:4], "big") / 2**32


def make_fake_model(max_context: int = 10**9, fail_after: int | None = None, completion=None):
    """A kgsynth.models.base.Model: score = fake_logprob, tokens = words, generate = completion(prompt).

    fail_after: raise KeyboardInterrupt on score call number fail_after + 1 (an interrupted run).
    Records every score call in .calls as (requests, shared_prefix) and every generate prompt in .prompts.
    """
    from kgsynth.models.base import Model, Score

    class FakeModel(Model):
        name = "fake"

        def __init__(self):
            self.max_context = max_context
            self.calls: list[tuple[list, str | None]] = []
            self.prompts: list[str] = []

        def score(self, requests, progress=None, shared_prefix=None):
            if fail_after is not None and len(self.calls) >= fail_after:
                raise KeyboardInterrupt
            self.calls.append((list(requests), shared_prefix))
            scores = [Score(fake_logprob(r.context, r.continuation), max(1, len(r.continuation.split())))
                      for r in requests]
            if progress:
                progress(len(requests))
            return scores

        def generate(self, prompts, max_tokens=48, stop=("\n",), temperature=0.0, seed=0):
            outputs = []
            for prompt in prompts:
                self.prompts.append(prompt)
                text = completion(prompt) if completion else " wibble wobble. more"
                cuts = [text.index(s) for s in stop if s and s in text]
                outputs.append(text[: min(cuts)] if cuts else text)
            return outputs

        def count_tokens(self, text):
            return len(text.split())

        @property
        def requests(self) -> list:
            return [r for requests, _ in self.calls for r in requests]

    return FakeModel()
