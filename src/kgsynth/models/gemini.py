"""Gemini through google-genai (extra `gemini`): `--model gemini:<model>` (or a tuned
endpoint, `gemini:projects/P/locations/L/endpoints/E`).

Credentials: GEMINI_API_KEY or GOOGLE_API_KEY for the Gemini API; or Gemini Enterprise
(formerly Vertex AI) with GOOGLE_GENAI_USE_ENTERPRISE=true (or the older
GOOGLE_GENAI_USE_VERTEXAI=true), GOOGLE_CLOUD_PROJECT, GOOGLE_CLOUD_LOCATION (default
us-central1) and application default credentials. KGSYNTH_GEMINI_BASE_URL points the
client at another server (tests use a fake one).

The API gives no log-probabilities of prompt text, so `score` is refused; evaluation uses
`complete` (free answers judged by the oracle) or `choose` (one letter, constrained by an
enum schema, with the letters' log-probabilities where the model returns them).

In-context corpora go into one cached content (client.caches) reused by every question,
or inline where the corpus is under the cache minimum or the cache is refused; a cache
the server has lost is made again, and an answer whose usage shows no corpus is never
kept (gemini_cache). Every response is kept on disk by the hash of its request
(calls.ResponseCache) before it is used; with `batch`, the requests a run has not answered yet go out as one batch job,
whose name is kept too, so a rerun polls it instead of sending it again.
"""

from __future__ import annotations

import os
import re
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache

from ..errors import KgsynthError
from ..files import sha256
from .base import LETTERS, Choice, Model, Reply
from .cache import cache_root
from .calls import RateLimiter, ResponseCache, Retry, RetryPolicy, request_hash, retrying
from .gemini_api import (
    KEY_VARIABLES,
    GeminiOptions,
    choice_of,
    classify,
    connect,
    genai_modules,
    job_state,
    redact,
    refusal,
    reply_of,
    response_data,
    uses_vertex,
)
from .gemini_cache import ContextCaches, ContextLost, lost_cache

CONTINUE = "Continue the text above exactly where it stops. Reply with the continuation only."
CHOOSE = "Reply with the letter of the true sentence only."
JSON_LIST = "Reply with a JSON list of sentences (strings) only."
SENTENCES_SCHEMA = {"type": "ARRAY", "items": {"type": "STRING"}}
THINKING_ALLOWANCE = 2048  # output tokens left for a thinking model's thoughts unless --thinking-budget says
ENDPOINT_CONTEXT = 1_048_576  # a tuned endpoint keeps its base model's window; the API does not say it
HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # what an API key may hold: printable ASCII, no spaces
DONE_STATES = {"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"}


@lru_cache(maxsize=8)  # the corpus is hashed for every question: once is enough
def text_sha256(text: str) -> str:
    return sha256(text.encode())


def check_key() -> None:
    """An API key httpx could not send (a newline, a carriage return, a non-ASCII letter: a
    copy-paste slip) is an error here, before any request, never a "network fault" retried."""
    for variable in KEY_VARIABLES:
        key = os.environ.get(variable)
        if key:
            if not HEADER_SAFE.fullmatch(key):
                raise KgsynthError(f"{variable} holds a newline or other character not allowed in an HTTP header: "
                                   "set it to the key alone (printable ASCII, no spaces)")
            return


def transient(exc: Exception) -> Retry | None:
    """gemini_api.classify's verdict, but a request httpx refuses to send is never transient."""
    import httpx

    return None if isinstance(exc, httpx.LocalProtocolError) else classify(exc)


@dataclass(frozen=True)
class TuningOutcome:
    """How a tuning job ended: its state, and the endpoint serving the tuned model if it succeeded."""

    job: str
    state: str
    endpoint: str | None
    error: str

    @property
    def succeeded(self) -> bool:
        return self.state == "JOB_STATE_SUCCEEDED" and bool(self.endpoint)


@dataclass(frozen=True)
class Request:
    key: str  # the hash of what was asked: model, corpus digest, question, settings
    question: str
    prefix: str | None  # the in-context corpus, cached or inline
    config: dict  # GenerateContentConfig fields

    def tokens(self) -> int:
        """A rough count for the rate limiter (about four characters a token)."""
        text = self.question + (self.prefix or "")
        return len(text) // 4 + int(self.config.get("max_output_tokens") or 0)


class GeminiModel(Model):
    structured_output = True
    paid = True
    scores_text = False

    def __init__(self, name: str, client, options: GeminiOptions):
        self.name = name
        self.client = client
        self.options = options
        self.batch_all = options.batch
        self.vertex = uses_vertex(name, options)
        self.responses_cache = ResponseCache(cache_root() / "gemini")
        self.limiter = RateLimiter(options.rpm, options.tpm)
        self.policy = RetryPolicy(attempts=options.attempts)
        self.corpora = ContextCaches(self)  # in-context corpora in server-side caches
        self.context_cache_minimum = options.cache_min_tokens
        self.max_context = self.input_limit()

    @classmethod
    def open(cls, name: str, progress: Callable[[str], None] | None = None, **options) -> GeminiModel:
        if not name:
            raise KgsynthError("name the Gemini model: --model gemini:gemini-2.5-flash, for example")
        known = {f.name for f in fields(GeminiOptions)}
        settings = GeminiOptions(**{k: v for k, v in options.items() if k in known and v is not None})
        settings.say = settings.say or progress
        if not uses_vertex(name, settings):
            check_key()
        return cls(name, connect(name, settings), settings)

    def say(self, text: str) -> None:
        if self.options.say:
            self.options.say(redact(text))

    # -- calls ---------------------------------------------------------------------------

    def api(self, what: str, call: Callable[[], object], tokens: int | None = None):
        """One API call: rate-limited (when it costs tokens), retried while transient;
        a refusal (400, 401, 403, 404) becomes a KgsynthError without the key."""
        import httpx

        _, _, errors = genai_modules()

        def attempt():
            if tokens is not None:
                self.limiter.acquire(tokens)
            return call()

        try:
            return retrying(attempt, transient, self.policy, what, self.say)
        except errors.APIError as exc:
            raise refusal(exc, what) from None
        except httpx.LocalProtocolError:  # its message may quote the header, key and all
            raise KgsynthError(f"{what}: the request could not be sent (a header httpx refuses)") from None
        except KgsynthError as exc:
            raise KgsynthError(redact(str(exc))) from None
        except ValueError as exc:  # the SDK's own checks, e.g. a setting this API does not support
            raise KgsynthError(redact(f"{what}: {exc}").splitlines()[0]) from None

    def input_limit(self) -> int:
        """The model's input window; looking it up also checks the credentials before any work."""
        try:
            info = self.api(f"looking up model {self.name}", lambda: self.client.models.get(model=self.name))
        except KgsynthError as exc:
            if "/endpoints/" in self.name and "HTTP 404" in str(exc):
                return ENDPOINT_CONTEXT
            raise
        return int(getattr(info, "input_token_limit", None) or ENDPOINT_CONTEXT)

    def count_tokens(self, text: str) -> int:
        key = request_hash({"count_tokens": self.name, "text_sha256": text_sha256(text)})
        known = self.responses_cache.get(key)
        if known is not None:
            return int(known["tokens"])
        result = self.api("counting tokens", lambda: self.client.models.count_tokens(model=self.name, contents=text))
        tokens = int(result.total_tokens or 0)
        self.responses_cache.put(key, {"tokens": tokens})
        return tokens

    def score(self, requests, progress=None, shared_prefix=None):
        raise KgsynthError("Gemini gives no log-probabilities of given text: use --scoring generate or --scoring choice")

    # -- requests --------------------------------------------------------------------------

    def request(self, prompt: str, prefix: str | None, instruction: str, config: dict) -> Request:
        prefix = prefix if prefix and prompt.startswith(prefix) else None
        question = prompt[len(prefix or ""):] + "\n\n" + instruction
        config = {k: v for k, v in config.items() if v is not None}
        what = {"model": self.name, "prefix_sha256": text_sha256(prefix) if prefix else None, "question": question,
                "config": config}
        return Request(request_hash(what), question, prefix, config)

    def sdk_request(self, request: Request) -> tuple[list, object]:
        """(contents, GenerateContentConfig): the question after the cached corpus, or both inline."""
        _, types, _ = genai_modules()
        cached = self.corpora.name(request.prefix)
        parts = [types.Part(text=request.question)]
        if request.prefix and cached is None:
            parts.insert(0, types.Part(text=request.prefix))
        config = types.GenerateContentConfig(**request.config, cached_content=cached)
        return [types.Content(role="user", parts=parts)], config

    def fetch(self, request: Request) -> dict:
        """The answer to `request`, kept on disk before it is used. If the server has lost the
        corpus's cache (a refusal, or an answer without the corpus), the cache is made again
        and the request sent once more; an answer without its corpus is never kept."""
        for attempt in (1, 2):
            try:
                data, cached = self.send(request)
            except ContextLost as exc:
                problem = str(exc)
            else:
                problem = self.corpora.missing(request.prefix, cached, data)
                if problem is None:
                    self.responses_cache.put(request.key, data)  # on disk before it is used
                    return data
            if attempt == 1:
                self.say(f"{problem}: making the context cache again")
                self.corpora.drop(request.prefix)
        raise KgsynthError(f"the in-context corpus is still missing after its context cache was made again "
                           f"({problem}); no answer without it is kept: rerun later")

    def send(self, request: Request) -> tuple[dict, str | None]:
        """One generateContent call: the response as JSON, and the cache it named (if any)."""
        _, _, errors = genai_modules()
        contents, config = self.sdk_request(request)

        def call():
            try:
                return self.client.models.generate_content(model=self.name, contents=contents, config=config)
            except errors.APIError as exc:
                if config.cached_content and lost_cache(exc):
                    raise ContextLost(f"the server no longer has {config.cached_content}") from None
                raise

        response = self.api(f"generating with {self.name}", call, request.tokens())
        return response_data(response), config.cached_content

    def responses(self, requests: Sequence[Request]) -> list[dict]:
        found = [self.responses_cache.get(r.key) for r in requests]
        found = [None if self.corpora.stale(r.prefix, data) else data for r, data in zip(requests, found, strict=True)]
        pairs = list(zip(requests, found, strict=True))
        missing = [r for r, data in pairs if data is None]
        if self.batch_all and len(missing) > 1:
            self.run_batch(missing)
            pairs = [(r, data if data is not None else self.responses_cache.get(r.key)) for r, data in pairs]
        return [data if data is not None else self.fetch(r) for r, data in pairs]

    def generation_config(self, max_tokens: int, temperature: float = 0.0, seed: int | None = None) -> dict:
        budget = self.options.thinking_budget
        config = {"temperature": temperature, "seed": seed,
                  "max_output_tokens": max_tokens + (THINKING_ALLOWANCE if budget is None else budget)}
        if budget is not None:
            config["thinking_config"] = {"thinking_budget": budget}
        return config

    # -- the model interface ---------------------------------------------------------------

    def generate(self, prompts, max_tokens=48, stop=("\n",), temperature=0.0, seed=0) -> list[str]:
        return [r.text for r in self.complete(prompts, max_tokens, stop, temperature, seed)]

    def complete(self, prompts, max_tokens=48, stop=("\n",), temperature=0.0, seed=0, shared_prefix=None,
                 json_list=False) -> list[Reply]:
        config = self.generation_config(max_tokens, temperature, seed)
        if json_list:
            config |= {"response_mime_type": "application/json", "response_schema": SENTENCES_SCHEMA}
        else:
            config["stop_sequences"] = [s for s in stop if s.strip()][:5] or None
        instruction = JSON_LIST if json_list else CONTINUE
        requests = [self.request(p, shared_prefix, instruction, config) for p in prompts]
        return [reply_of(data, json_list, stop) for data in self.responses(requests)]

    def choose(self, prompts, options, shared_prefix=None) -> list[Choice]:
        requests = []
        for prompt, n in zip(prompts, options, strict=True):
            config = self.generation_config(1) | {
                "response_mime_type": "text/x.enum", "response_schema": {"type": "STRING", "enum": list(LETTERS[:n])}}
            if self.options.logprobs:
                config |= {"response_logprobs": True, "logprobs": min(n, 20)}
            requests.append(self.request(prompt, shared_prefix, CHOOSE, config))
        try:
            found = self.responses(requests)
        except KgsynthError as exc:
            if not self.options.logprobs or "logprob" not in str(exc).lower():
                raise
            self.say("the model returns no log-probabilities; choosing without them")
            self.options.logprobs = False
            return self.choose(prompts, options, shared_prefix)
        return [choice_of(data, LETTERS[:n]) for data, n in zip(found, options, strict=True)]

    # -- batch jobs --------------------------------------------------------------------------

    def run_batch(self, requests: Sequence[Request]) -> None:
        """Send `requests` as one batch job (or find the one a killed run sent), wait for it,
        and put every answer in the response cache."""
        _, types, _ = genai_modules()
        job_key = request_hash({"batch": self.name, "requests": sorted(r.key for r in requests)})
        known = self.responses_cache.get(job_key)
        if known is not None:
            name = known["name"]
            self.say(f"batch job {name} was sent before: waiting for it")
        else:
            inlined = []
            for r in requests:
                contents, config = self.sdk_request(r)
                inlined.append(types.InlinedRequest(contents=contents, config=config, metadata={"key": r.key}))
            job = self.api(f"creating a batch job of {len(requests)} requests", lambda: self.client.batches.create(
                model=self.name, src=inlined, config={"display_name": "kgsynth"}))
            name = job.name
            self.responses_cache.put(job_key, {"name": name, "requests": len(requests)})
            self.say(f"batch job {name}: {len(requests)} requests sent")
        job = self.wait(f"batch job {name}", lambda: self.client.batches.get(name=name))
        if job_state(job) != "JOB_STATE_SUCCEEDED":
            self.responses_cache.path(job_key).unlink(missing_ok=True)  # a rerun sends a new one
            raise KgsynthError(f"batch job {name} ended {job.state}: {redact(str(job.error or ''))[:200]}")
        self.keep_batch_answers(name, requests, (job.dest.inlined_responses if job.dest else None) or [])

    def keep_batch_answers(self, name: str, requests: Sequence[Request], answers: Sequence) -> None:
        """Put a batch job's answers in the response cache, but for those without their corpus
        (its cache lost while the job ran): their corpus's cache is dropped and they are left
        unanswered, for `responses` to send one by one through a new one."""
        by_key = {r.key: r for r in requests}
        lost: set[str] = set()
        for index, answer in enumerate(answers):
            key = (answer.metadata or {}).get("key") or (requests[index].key if index < len(requests) else None)
            if key is None:
                continue
            prefix = by_key[key].prefix if key in by_key else None
            if answer.response is not None:
                data = response_data(answer.response)
                if self.corpora.missing(prefix, None, data) is None:
                    self.responses_cache.put(key, data)
                    continue
            elif not (prefix and lost_cache(answer.error)):
                self.responses_cache.put(key, {"kgsynth_error": redact(str(getattr(answer.error, "message", answer.error)))})
                continue
            lost.add(prefix)
        for prefix in lost:
            self.corpora.drop(prefix)
        if lost:
            self.say(f"answers of batch job {name} came without the in-context corpus: its cache is made again and "
                     "they are sent one by one")

    def wait(self, what: str, get: Callable[[], object]):
        """Poll a job until it ends, saying its state when it changes and every five minutes."""
        started = said_at = time.monotonic()
        said = None
        while True:
            job = self.api(f"polling {what}", get)
            state = job_state(job)
            if state in DONE_STATES:
                return job
            now = time.monotonic()
            if state != said or now - said_at >= 300:
                self.say(f"{what}: {state.removeprefix('JOB_STATE_').lower()} after {now - started:.0f} s")
                said, said_at = state, now
            time.sleep(self.options.poll_s)

    # -- tuning jobs (Vertex AI) ---------------------------------------------------------------

    def start_tuning(self, gcs_uri: str, display_name: str, epochs: int | None = None) -> str:
        """Start a supervised tuning job of this model on the JSONL file at `gcs_uri`; its name."""
        _, types, _ = genai_modules()
        config = types.CreateTuningJobConfig(epoch_count=epochs, tuned_model_display_name=display_name[:120])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the SDK calls its tuning "experimental" on every call
            job = self.api(f"starting a tuning job of {self.name}", lambda: self.client.tunings.tune(
                base_model=self.name, training_dataset=types.TuningDataset(gcs_uri=gcs_uri), config=config))
        self.say(f"tuning job {job.name} started")
        return job.name

    def finish_tuning(self, name: str) -> TuningOutcome:
        """Wait for tuning job `name` to end."""
        job = self.wait(f"tuning job {name}", lambda: self.client.tunings.get(name=name))
        endpoint = job.tuned_model.endpoint if job.tuned_model else None
        return TuningOutcome(name, job_state(job), endpoint or None, redact(str(job.error or ""))[:200])
