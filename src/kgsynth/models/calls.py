"""Paid model calls made safe to repeat and to interrupt.

ResponseCache  every response on disk under the hash of its request, written atomically
               before it is used: a killed run, rerun, makes no paid call twice.
RateLimiter    requests and tokens per minute over a sliding minute, of our own (quotas
               are per project; the server's 429s are the last line, not the first).
retrying       backoff with jitter on 408/429/5xx, timeouts and dropped connections,
               honouring the server's retry delay; never on 400/404 (a bad request stays bad).
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..errors import KgsynthError
from ..files import sha256, write_atomic

RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})
T = TypeVar("T")


def request_hash(request: dict) -> str:
    return sha256(json.dumps(request, sort_keys=True, ensure_ascii=False).encode())


class ResponseCache:
    """JSON responses by request hash: ROOT/ab/abcdef….json."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            return json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # absent, or cut short by a crash before the rename (never: writes are atomic)

    def put(self, key: str, response: dict) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(response, sort_keys=True, ensure_ascii=False).encode())


class RateLimiter:
    """At most `rpm` requests and `tpm` tokens in any 60 seconds."""

    def __init__(self, rpm: int, tpm: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if rpm < 1 or tpm < 1:
            raise KgsynthError(f"rate limits must be at least 1 per minute, got --rpm {rpm} --tpm {tpm}")
        self.rpm, self.tpm = rpm, tpm
        self.clock, self.sleep = clock, sleep
        self.sent: deque[tuple[float, int]] = deque()

    def acquire(self, tokens: int) -> None:
        tokens = min(tokens, self.tpm)  # a request over the whole budget still goes, alone in its minute
        while True:
            now = self.clock()
            while self.sent and self.sent[0][0] <= now - 60:
                self.sent.popleft()
            used = sum(t for _, t in self.sent)
            if len(self.sent) < self.rpm and used + tokens <= self.tpm:
                self.sent.append((now, tokens))
                return
            self.sleep(max(0.01, self.sent[0][0] + 60 - now))


@dataclass
class Retry:
    """What to do after a failed call: wait `delay` (or at least the server's) and try again."""

    server_delay: float | None = None


@dataclass
class RetryPolicy:
    attempts: int = 6
    base: float = 1.0  # seconds before the first retry, doubled each time
    cap: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, server_delay: float | None) -> float:
        backoff = min(self.cap, self.base * 2 ** attempt)
        jittered = backoff / 2 + self.rng.uniform(0, backoff / 2)
        return max(jittered, server_delay or 0.0)


def parse_duration(text) -> float | None:
    """'1.5s' (google.protobuf.Duration in JSON) or '30' (Retry-After seconds) -> seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)s?\s*", str(text or ""))
    return float(match.group(1)) if match else None


def retrying(call: Callable[[], T], classify: Callable[[Exception], Retry | None], policy: RetryPolicy,
             what: str, on_retry: Callable[[str], None] | None = None) -> T:
    """`call()`, tried again while `classify` says the failure is transient. A failure it
    does not call transient is raised as it is; the last transient one as a KgsynthError."""
    for attempt in range(policy.attempts):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - classify decides what is transient
            retry = classify(exc)
            if retry is None:
                raise
            if attempt + 1 == policy.attempts:
                raise KgsynthError(f"{what} still failing after {policy.attempts} attempts ({describe(exc)}); "
                                   "finished work is kept: rerun later to go on") from None
            wait = policy.delay(attempt, retry.server_delay)
            if on_retry:
                on_retry(f"{what}: {describe(exc)}; retrying in {wait:.1f} s")
            policy.sleep(wait)
    raise AssertionError("unreachable")


def describe(exc: Exception) -> str:
    code = getattr(exc, "code", None)
    status = getattr(exc, "status", None)
    if code is not None:
        return f"HTTP {code} {status or ''}".strip()
    return type(exc).__name__
