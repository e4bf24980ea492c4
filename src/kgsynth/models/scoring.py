"""Exact continuation log-likelihoods, with every shared prefix computed once.

A request is tokenized whole (context + continuation). Its continuation is every
token that ends past the context's last character, so a token merged across the
boundary ("The cat" + "s") is scored as part of the continuation, as the full-text
tokenization has it. Requests then share work at two levels: the prefix common to
all of them (an in-context corpus) is run once, each distinct context once on top of
it, and the continuations of a context in batches on copies of its key/value cache.
`naive_scores` is the reference: one full forward pass per request.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..errors import KgsynthError
from .base import Progress, Score, ScoreRequest

FLAT_CONTEXT = 64  # questions up to this many tokens past the shared prefix go in flat batches


@dataclass(frozen=True)
class Encoded:
    ids: tuple[int, ...]
    boundary: int  # ids[:boundary] is context, ids[boundary:] is scored
    ends: tuple[int, ...]  # character offset where each token ends

    def tokens_within(self, chars: int) -> int:
        """How many leading tokens lie wholly within the first `chars` characters."""
        return next((i for i, end in enumerate(self.ends) if end > chars), len(self.ends))

    @property
    def context(self) -> tuple[int, ...]:
        return self.ids[: self.boundary]


def encode(tokenizer, request: ScoreRequest, start_id: int | None) -> Encoded:
    text = request.context + request.continuation
    enc = tokenizer(text, return_offsets_mapping=True, add_special_tokens=True)
    ids, offsets = list(enc["input_ids"]), list(enc["offset_mapping"])
    if start_id is not None and (not ids or ids[0] != start_id):
        ids, offsets = [start_id, *ids], [(0, 0), *offsets]
    cut = len(request.context)
    boundary = next((i for i, (start, end) in enumerate(offsets) if end > cut and end > start), len(ids))
    if boundary == 0:
        raise KgsynthError("the model's tokenizer has no start token, so an empty context cannot be scored")
    if boundary == len(ids):
        raise KgsynthError(f"empty continuation for context ending {request.context[-40:]!r}")
    return Encoded(tuple(ids), boundary, tuple(end for _, end in offsets))


def common_prefix(sequences: Sequence[tuple[int, ...]]) -> int:
    first = sequences[0]
    length = min(len(s) for s in sequences)
    for i in range(length):
        token = first[i]
        if any(s[i] != token for s in sequences):
            return i
    return length


class PrefixScorer:
    def __init__(self, model, tokenizer, device: torch.device, start_id: int | None,
                 batch_size: int = 16, chunk: int = 1024):
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self.start_id = start_id
        self.batch_size = batch_size
        self.chunk = chunk
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.memo: tuple[tuple[int, ...], object, torch.Tensor] | None = None  # the last shared_prefix run
        self.weights_hint = "delete $KGSYNTH_CACHE/models/<name> to rebuild it"  # said with NaN scores

    def score(self, requests: Sequence[ScoreRequest], progress: Progress | None = None,
              shared_prefix: str | None = None) -> list[Score]:
        """`shared_prefix`: text every context starts with (an in-context corpus); its cache
        is kept, so later calls with the same prefix skip it. A log-probability that is not
        finite (corrupt weights) is an error, never a score."""
        scores = self.score_all(requests, progress, shared_prefix)
        if not all(math.isfinite(s.logprob) for s in scores):
            raise KgsynthError(f"the model produced NaN log-probabilities: its weights may be corrupt; "
                               f"{self.weights_hint}")
        return scores

    @torch.no_grad()
    def score_all(self, requests: Sequence[ScoreRequest], progress: Progress | None,
                  shared_prefix: str | None) -> list[Score]:
        if not requests:
            return []
        encoded = [encode(self.tokenizer, r, self.start_id) for r in requests]
        shared = common_prefix([e.context for e in encoded])
        kept = min(shared, encoded[0].tokens_within(len(shared_prefix))) if shared_prefix else 0
        base_cache, base_logits = self.prefix(encoded[0].ids[:kept])
        if max(len(e.context) for e in encoded) - kept <= FLAT_CONTEXT:
            return self.score_flat(encoded, base_cache, base_logits, kept, progress)
        shared_cache, shared_logits = self.extend(base_cache, encoded[0].ids[kept:shared], kept, copy_cache=True)
        if shared_logits is None:
            shared_logits = base_logits
        groups: dict[tuple[int, ...], list[int]] = {}
        for index, e in enumerate(encoded):
            groups.setdefault(e.context, []).append(index)
        scores: list[Score | None] = [None] * len(requests)
        for context, members in groups.items():
            cache, logits = self.extend(shared_cache, context[shared:], shared, copy_cache=True)
            if logits is None:
                logits = shared_logits
            for start in range(0, len(members), self.batch_size):
                batch = members[start: start + self.batch_size]
                for index, value in zip(batch, self.score_batch(cache, logits, len(context), [encoded[i] for i in batch]),
                                        strict=True):
                    scores[index] = value
                if progress:
                    progress(len(batch))
        return scores  # type: ignore[return-value]

    def score_flat(self, encoded: list[Encoded], cache, last_logits, offset: int, progress) -> list[Score]:
        """Short questions: each request's tokens after the kept prefix (question and
        option) as one row of a batch on copies of the prefix cache: one pass per batch."""
        scores: list[Score] = []
        for start in range(0, len(encoded), self.batch_size):
            batch = encoded[start: start + self.batch_size]
            rows = [e.ids[offset:] for e in batch]
            width = max(len(r) for r in rows)
            ids = torch.tensor([list(r) + [self.pad_id] * (width - len(r)) for r in rows], device=self.device)
            positions = torch.arange(offset, offset + width, device=self.device)[None].expand(len(batch), -1)
            repeated = None
            if cache is not None:
                repeated = copy.deepcopy(cache)
                repeated.batch_repeat_interleave(len(batch))
            logits = self.model(input_ids=ids, position_ids=positions, cache=repeated, use_cache=True).logits
            for row, e in enumerate(batch):
                first = e.boundary - offset  # row position of the first scored token
                targets = torch.tensor(rows[row][first:], device=self.device)
                predicting = logits[row, max(first - 1, 0): len(rows[row]) - 1].float()
                if first == 0:  # the first scored token follows the prefix itself
                    predicting = torch.cat([last_logits[None], predicting])
                picked = torch.log_softmax(predicting, dim=-1).gather(-1, targets[:, None])
                greedy = bool((predicting.argmax(-1) == targets).all())
                scores.append(Score(float(picked.sum()), len(targets), greedy))
            if progress:
                progress(len(batch))
        return scores

    def prefix(self, tokens: tuple[int, ...]):
        """The cache and next-token logits after `tokens`, remembered for the next call."""
        if not tokens:
            return None, None
        if self.memo is None or self.memo[0] != tokens:
            cache, logits = self.extend(None, tokens, 0)
            self.memo = (tokens, cache, logits)
        return self.memo[1], self.memo[2]

    def extend(self, cache, tokens: Sequence[int], offset: int, copy_cache: bool = False):
        """Run `tokens` after `cache` (holding `offset` tokens), in chunks; return the cache
        and the logits predicting the next token (None if there were no tokens)."""
        if copy_cache and cache is not None:
            cache = copy.deepcopy(cache)
        logits = None
        for start in range(0, len(tokens), self.chunk):
            piece = torch.tensor([tokens[start: start + self.chunk]], device=self.device)
            positions = torch.arange(offset + start, offset + start + piece.shape[1], device=self.device)[None]
            out = self.model(input_ids=piece, position_ids=positions, cache=cache, use_cache=True,
                             logits_to_keep=1)
            cache, logits = out.cache, out.logits[0, -1].float()
        return cache, logits

    def score_batch(self, cache, last_logits: torch.Tensor, offset: int, batch: list[Encoded]) -> list[Score]:
        continuations = [e.ids[e.boundary:] for e in batch]
        first = torch.log_softmax(last_logits, dim=-1)
        results = [float(first[c[0]]) for c in continuations]
        greedy = [int(first.argmax()) == c[0] for c in continuations]
        width = max(len(c) for c in continuations) - 1
        if width > 0:
            rows = [list(c[:-1]) + [self.pad_id] * (width - (len(c) - 1)) for c in continuations]
            ids = torch.tensor(rows, device=self.device)
            positions = torch.arange(offset, offset + width, device=self.device)[None].expand(len(batch), -1)
            repeated = copy.deepcopy(cache)
            repeated.batch_repeat_interleave(len(batch))
            out = self.model(input_ids=ids, position_ids=positions, cache=repeated, use_cache=True)
            logprobs = torch.log_softmax(out.logits.float(), dim=-1)
            for row, c in enumerate(continuations):
                targets = torch.tensor(c[1:], device=self.device)
                results[row] += float(logprobs[row, : len(c) - 1].gather(-1, targets[:, None]).sum())
                greedy[row] = greedy[row] and bool((logprobs[row, : len(c) - 1].argmax(-1) == targets).all())
        return [Score(lp, len(c), g) for lp, c, g in zip(results, continuations, greedy, strict=True)]


@torch.no_grad()
def naive_scores(model, tokenizer, device, start_id: int | None, requests: Sequence[ScoreRequest]) -> list[Score]:
    """The reference: the whole sequence through the model for every request."""
    scores = []
    for request in requests:
        e = encode(tokenizer, request, start_id)
        ids = torch.tensor([e.ids], device=device)
        logprobs = torch.log_softmax(model(input_ids=ids).logits[0].float(), dim=-1)
        targets = torch.tensor(e.ids[e.boundary:], device=device)
        predicting = logprobs[e.boundary - 1: len(e.ids) - 1]
        picked = predicting.gather(-1, targets[:, None])
        scores.append(Score(float(picked.sum()), len(targets), bool((predicting.argmax(-1) == targets).all())))
    return scores
