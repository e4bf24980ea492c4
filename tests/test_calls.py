"""kgsynth.models.calls: the response cache, the rate limiter on a fake clock, backoff with
jitter that honours the server's delay, and which failures are retried."""

from __future__ import annotations

import random

import pytest

from kgsynth.errors import KgsynthError
from kgsynth.models.calls import RateLimiter, ResponseCache, Retry, RetryPolicy, parse_duration, request_hash, retrying


class Clock:
    def __init__(self):
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_request_hash_ignores_key_order_and_sees_every_value():
    assert request_hash({"a": 1, "b": [1, 2]}) == request_hash({"b": [1, 2], "a": 1})
    assert request_hash({"a": 1, "b": [1, 2]}) != request_hash({"a": 1, "b": [2, 1]})


def test_the_response_cache_round_trips_and_ignores_a_damaged_file(tmp_path):
    cache = ResponseCache(tmp_path)
    key = request_hash({"question": "q"})
    assert cache.get(key) is None
    cache.put(key, {"text": "ünïcode"})
    assert cache.get(key) == {"text": "ünïcode"}
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{key}.json"]  # no temp file left behind
    cache.path(key).write_text('{"text": ')
    assert cache.get(key) is None


def test_the_rate_limiter_keeps_requests_per_minute():
    clock = Clock()
    limiter = RateLimiter(rpm=3, tpm=10**6, clock=clock, sleep=clock.sleep)
    for _ in range(7):
        limiter.acquire(1)
    times = [t for t, _ in limiter.sent]
    assert clock.now >= 120  # the 4th and 7th requests each waited for a minute to pass
    assert all(times[i + 3] - times[i] >= 60 for i in range(len(times) - 3))


def test_the_rate_limiter_keeps_tokens_per_minute():
    clock = Clock()
    limiter = RateLimiter(rpm=1000, tpm=100, clock=clock, sleep=clock.sleep)
    limiter.acquire(60)
    limiter.acquire(30)
    assert clock.now == 0
    limiter.acquire(30)  # 120 tokens would be over 100 within the minute
    assert clock.now >= 60
    limiter.acquire(500)  # over the whole budget: alone in its minute, not forever
    assert clock.now >= 120


def test_rate_limits_below_one_are_refused():
    with pytest.raises(KgsynthError, match="--rpm 0"):
        RateLimiter(rpm=0, tpm=10)


def test_backoff_doubles_with_jitter_and_never_undercuts_the_server():
    policy = RetryPolicy(base=1.0, cap=8.0, rng=random.Random(0))
    for attempt in range(6):
        backoff = min(8.0, 2 ** attempt)
        delays = [policy.delay(attempt, None) for _ in range(50)]
        assert all(backoff / 2 <= d <= backoff for d in delays) and len(set(delays)) > 1
    assert policy.delay(0, 30.0) == 30.0


@pytest.mark.parametrize("text, seconds", [("7s", 7.0), ("1.5s", 1.5), ("30", 30.0), ("", None), ("soon", None)])
def test_server_delays_are_read(text, seconds):
    assert parse_duration(text) == seconds


def test_transient_failures_are_retried_and_others_raised_at_once():
    clock = Clock()
    policy = RetryPolicy(attempts=4, sleep=clock.sleep, rng=random.Random(1))
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise TimeoutError
        return "ok"

    transient = lambda exc: Retry(2.5) if isinstance(exc, TimeoutError) else None  # noqa: E731
    assert retrying(flaky, transient, policy, "calling") == "ok"
    assert len(calls) == 3 and len(clock.slept) == 2 and min(clock.slept) >= 2.5

    def refused():
        calls.append(1)
        raise ValueError("bad request")

    calls.clear()
    with pytest.raises(ValueError):
        retrying(refused, transient, policy, "calling")
    assert len(calls) == 1

    def down():
        raise TimeoutError

    with pytest.raises(KgsynthError, match="calling still failing after 4 attempts"):
        retrying(down, transient, policy, "calling")
