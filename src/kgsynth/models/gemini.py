"""Gemini through google-genai (extra `gemini`): `--model gemini:<model>` (or a tuned
endpoint, `gemini:projects/P/locations/L/endpoints/E`).

Credentials: GEMINI_API_KEY or GOOGLE_API_KEY for the Gemini API; or Vertex AI with
GOOGLE_GENAI_USE_VERTEXAI=true, GOOGLE_CLOUD_PROJECT, GOOGLE_CLOUD_LOCATION (default
us-central1) and application default credentials. KGSYNTH_GEMINI_BASE_URL points the
client at another server (tests use a fake one).

The API gives no log-probabilities of prompt text, so `score` is refused; evaluation uses
`complete` (free answers judged by the oracle) or `choose` (one letter, constrained by an
enum schema, with the letters' log-probabilities where the model returns them).

In-context corpora go into one cached content (client.caches) reused by every question,
or inline where the corpus is under the cache minimum or the cache is refused. Every
response is kept on disk by the hash of its request (calls.ResponseCache) before it is
used; with `batch`, the requests a run has not answered yet go out as one batch job,
whose name is kept too, so a rerun polls it instead of sending it again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache

from ..errors import KgsynthError
from .base import LETTERS, Choice, Model, Reply, cut_at_stop
from .calls import RETRYABLE, RateLimiter, ResponseCache, Retry, RetryPolicy, parse_duration, request_hash, retrying
from .embedded import cache_root

API_VERSIONS = {"gemini": "v1beta", "vertex": "v1beta1"}  # explicit: caches and batches live in the beta surfaces
KEY_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
CONTINUE = "Continue the text above exactly where it stops. Reply with the continuation only."
CHOOSE = "Reply with the letter of the true sentence only."
JSON_LIST = "Reply with a JSON list of sentences (strings) only."
SENTENCES_SCHEMA = {"type": "ARRAY", "items": {"type": "STRING"}}
THINKING_ALLOWANCE = 2048  # output tokens left for a thinking model's thoughts unless --thinking-budget says
ENDPOINT_CONTEXT = 1_048_576  # a tuned endpoint keeps its base model's window; the API does not say it
DONE_STATES = {"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"}


@dataclass
class GeminiOptions:
    rpm: int = 60  # requests per minute, our own limit
    tpm: int = 1_000_000  # prompt + output tokens per minute
    attempts: int = 6
    timeout_s: float = 300.0
    batch: bool = False
    cache_min_tokens: int = 4096  # corpora under this go inline (the API's minimum is 1,024-4,096 by model)
    cache_ttl_s: int = 3600
    thinking_budget: int | None = None  # None: the model's default, with THINKING_ALLOWANCE more output tokens
    poll_s: float = 15.0  # between polls of batch and tuning jobs
    logprobs: bool = True  # ask for the letters' log-probabilities in choice scoring
    base_url: str | None = None  # default: $KGSYNTH_GEMINI_BASE_URL
    vertex: bool | None = None  # default: $GOOGLE_GENAI_USE_VERTEXAI, or a model naming a Vertex resource
    credentials: object | None = None  # Vertex: google.auth credentials (default: application default)
    say: Callable[[str], None] | None = None


def secrets() -> list[str]:
    return [v for v in (os.environ.get(name, "") for name in KEY_VARIABLES) if len(v) >= 4]


def redact(text: str) -> str:
    """`text` with any API key from the environment blanked out."""
    for secret in secrets():
        text = text.replace(secret, "[key]")
    return text


@lru_cache(maxsize=8)  # the corpus is hashed for every question: once is enough
def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def genai_modules():
    try:
        from google import genai
        from google.genai import errors, types
    except ImportError:
        raise KgsynthError('the Gemini backend needs the gemini extra: pip install -e ".[gemini]"') from None
    return genai, types, errors


def uses_vertex(name: str, options: GeminiOptions) -> bool:
    if options.vertex is not None:
        return options.vertex
    flag = os.environ.get("GOOGLE_GENAI_USE_VERTEXAI", "").lower() in ("1", "true", "yes")
    return flag or name.startswith("projects/")


def connect(name: str, options: GeminiOptions):
    """A google-genai client; a missing key, project or credential is an error here, before any work."""
    genai, types, _ = genai_modules()
    vertex = uses_vertex(name, options)
    http = types.HttpOptions(api_version=API_VERSIONS["vertex" if vertex else "gemini"],
                             base_url=options.base_url or os.environ.get("KGSYNTH_GEMINI_BASE_URL") or None,
                             timeout=int(options.timeout_s * 1000))
    if vertex:
        project = os.environ.get("GOOGLE_CLOUD_PROJECT")
        if not project:
            raise KgsynthError("Vertex AI needs a project: set GOOGLE_CLOUD_PROJECT (and GOOGLE_CLOUD_LOCATION)")
        credentials = options.credentials or default_credentials()
        return genai.Client(vertexai=True, project=project, location=os.environ.get("GOOGLE_CLOUD_LOCATION") or
                            "us-central1", credentials=credentials, http_options=http)
    key = next((os.environ[v] for v in KEY_VARIABLES if os.environ.get(v)), None)
    if not key:
        raise KgsynthError("Gemini needs an API key: set GEMINI_API_KEY (or GOOGLE_API_KEY), or use Vertex AI with "
                           "GOOGLE_GENAI_USE_VERTEXAI=true and GOOGLE_CLOUD_PROJECT")
    return genai.Client(api_key=key, http_options=http)


def default_credentials():
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    except DefaultCredentialsError:
        raise KgsynthError("Vertex AI needs application default credentials: run "
                           "`gcloud auth application-default login`") from None
    return credentials


def classify(exc: Exception) -> Retry | None:
    """Transient (retry, with the server's delay if it gave one) or not (None)."""
    import httpx
    from pydantic import ValidationError

    _, _, errors = genai_modules()
    if isinstance(exc, errors.APIError):
        return Retry(server_delay(exc)) if exc.code in RETRYABLE else None
    if isinstance(exc, (httpx.TimeoutException, httpx.TransportError, json.JSONDecodeError, ValidationError)):
        return Retry()  # a timeout, a dropped connection, or a body cut short or garbled on the way
    return None


def server_delay(exc) -> float | None:
    """google.rpc.RetryInfo's retryDelay in the error body, or a Retry-After header."""
    body = exc.details if isinstance(exc.details, dict) else {}
    for detail in (body.get("error") or {}).get("details") or []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            return parse_duration(detail.get("retryDelay"))
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    return parse_duration(headers.get("retry-after")) if hasattr(headers, "get") else None


def refusal(exc, what: str) -> KgsynthError:
    message = getattr(exc, "message", None) or str(exc)
    return KgsynthError(redact(f"Gemini refused {what}: HTTP {exc.code} {exc.status or ''}: {message}"))


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


def text_of(data: dict) -> str:
    candidates = data.get("candidates") or []
    parts = ((candidates[0].get("content") or {}).get("parts") or []) if candidates else []
    return "".join(p.get("text") or "" for p in parts if not p.get("thought"))


def usage_of(data: dict) -> dict:
    usage = data.get("usage_metadata") or {}
    return {"prompt": usage.get("prompt_token_count") or 0, "cached": usage.get("cached_content_token_count") or 0,
            "output": (usage.get("candidates_token_count") or 0) + (usage.get("thoughts_token_count") or 0)}


def problem_of(data: dict) -> str | None:
    if "kgsynth_error" in data:
        return f"error:{data['kgsynth_error']}"[:200]
    candidates = data.get("candidates") or []
    if not candidates:
        block = (data.get("prompt_feedback") or {}).get("block_reason")
        return f"blocked:{block}" if block else "empty"
    finish = candidates[0].get("finish_reason")
    if finish not in (None, "STOP"):
        return f"finish:{finish}"
    return None if text_of(data).strip() else "empty"


def reply_of(data: dict, json_list: bool, stop: Sequence[str]) -> Reply:
    text, problem, usage = text_of(data), problem_of(data), usage_of(data)
    if not json_list:
        return Reply(cut_at_stop(text, stop), problem, None, usage)
    try:
        items = json.loads(text)
    except ValueError:
        items = None
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        return Reply(text, problem or "malformed_json", None, usage)
    return Reply(text, problem, items, usage)


def response_data(response) -> dict:
    """A GenerateContentResponse as the JSON kept in the response cache (no HTTP headers)."""
    data = response.model_dump(mode="json", exclude_none=True)
    data.pop("sdk_http_response", None)
    return data


def job_state(job) -> str:
    """'JOB_STATE_SUCCEEDED' and the like, of a batch or tuning job."""
    return str(getattr(job.state, "value", job.state))


def letter_logprobs(data: dict, letters: str) -> dict[str, float] | None:
    candidates = data.get("candidates") or []
    result = candidates[0].get("logprobs_result") if candidates else None
    top = (result or {}).get("top_candidates") or []
    if not top:
        return None
    found = {}
    for candidate in top[0].get("candidates") or []:
        token = str(candidate.get("token", "")).strip()
        if token in letters and token and token not in found:
            found[token] = candidate.get("log_probability")
    return found or None


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
        self.contexts: dict[str, str | None] = {}  # corpus digest -> cached-content name (None: inline)
        self.context_cache_minimum = options.cache_min_tokens
        self.max_context = self.input_limit()

    @classmethod
    def open(cls, name: str, progress: Callable[[str], None] | None = None, **options) -> GeminiModel:
        if not name:
            raise KgsynthError("name the Gemini model: --model gemini:gemini-2.5-flash, for example")
        known = {f.name for f in fields(GeminiOptions)}
        settings = GeminiOptions(**{k: v for k, v in options.items() if k in known and v is not None})
        settings.say = settings.say or progress
        return cls(name, connect(name, settings), settings)

    def say(self, text: str) -> None:
        if self.options.say:
            self.options.say(redact(text))

    # -- calls ---------------------------------------------------------------------------

    def api(self, what: str, call: Callable[[], object], tokens: int | None = None):
        """One API call: rate-limited (when it costs tokens), retried while transient;
        a refusal (400, 401, 403, 404) becomes a KgsynthError without the key."""
        _, _, errors = genai_modules()

        def attempt():
            if tokens is not None:
                self.limiter.acquire(tokens)
            return call()

        try:
            return retrying(attempt, classify, self.policy, what, self.say)
        except errors.APIError as exc:
            raise refusal(exc, what) from None
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
        key = request_hash({"count_tokens": self.name, "text_sha256": sha256(text)})
        known = self.responses_cache.get(key)
        if known is not None:
            return int(known["tokens"])
        result = self.api("counting tokens", lambda: self.client.models.count_tokens(model=self.name, contents=text))
        tokens = int(result.total_tokens or 0)
        self.responses_cache.put(key, {"tokens": tokens})
        return tokens

    def score(self, requests, progress=None, shared_prefix=None):
        raise KgsynthError("Gemini gives no log-probabilities of given text: use --scoring generate or --scoring choice")

    # -- the in-context corpus -----------------------------------------------------------

    def context(self, prefix: str | None) -> str | None:
        """The cached content holding `prefix` (made once, kept for reruns until near its
        expiry), or None where the corpus goes inline."""
        if not prefix:
            return None
        digest = sha256(prefix)
        if digest in self.contexts:
            return self.contexts[digest]
        key = request_hash({"context": self.name, "prefix_sha256": digest, "ttl": self.options.cache_ttl_s})
        known = self.responses_cache.get(key)
        if known is not None and known.get("expires", 0) > time.time() + 600:
            self.contexts[digest] = known["name"]
            return known["name"]
        tokens = self.count_tokens(prefix)
        if tokens < self.context_cache_minimum:
            self.say(f"the corpus is {tokens:,} tokens, under the context-cache minimum of "
                     f"{self.context_cache_minimum:,}: it goes inline with every question")
            self.contexts[digest] = None
            return None
        self.contexts[digest] = self.create_context(prefix, tokens, key)
        return self.contexts[digest]

    def create_context(self, prefix: str, tokens: int, key: str) -> str | None:
        _, types, _ = genai_modules()
        config = types.CreateCachedContentConfig(
            contents=[types.Content(role="user", parts=[types.Part(text=prefix)])],
            ttl=f"{self.options.cache_ttl_s}s", display_name="kgsynth corpus")
        try:
            cache = self.api("creating the context cache",
                             lambda: self.client.caches.create(model=self.name, config=config), tokens)
        except KgsynthError as exc:
            if "HTTP 400" not in str(exc):
                raise
            self.say(f"context cache refused ({exc}); the corpus goes inline with every question")
            return None
        self.say(f"context cache {cache.name}: {tokens:,} tokens, kept {self.options.cache_ttl_s} s")
        self.responses_cache.put(key, {"name": cache.name, "tokens": tokens,
                                       "expires": time.time() + self.options.cache_ttl_s})
        return cache.name

    # -- requests --------------------------------------------------------------------------

    def request(self, prompt: str, prefix: str | None, instruction: str, config: dict) -> Request:
        prefix = prefix if prefix and prompt.startswith(prefix) else None
        question = prompt[len(prefix or ""):] + "\n\n" + instruction
        config = {k: v for k, v in config.items() if v is not None}
        what = {"model": self.name, "prefix_sha256": sha256(prefix) if prefix else None, "question": question,
                "config": config}
        return Request(request_hash(what), question, prefix, config)

    def sdk_request(self, request: Request) -> tuple[list, object]:
        """(contents, GenerateContentConfig): the question after the cached corpus, or both inline."""
        _, types, _ = genai_modules()
        cached = self.context(request.prefix)
        parts = [types.Part(text=request.question)]
        if request.prefix and cached is None:
            parts.insert(0, types.Part(text=request.prefix))
        config = types.GenerateContentConfig(**request.config, cached_content=cached)
        return [types.Content(role="user", parts=parts)], config

    def fetch(self, request: Request) -> dict:
        contents, config = self.sdk_request(request)
        response = self.api(f"generating with {self.name}", lambda: self.client.models.generate_content(
            model=self.name, contents=contents, config=config), request.tokens())
        data = response_data(response)
        self.responses_cache.put(request.key, data)  # on disk before it is used
        return data

    def responses(self, requests: Sequence[Request]) -> list[dict]:
        found = [self.responses_cache.get(r.key) for r in requests]
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
        answers = (job.dest.inlined_responses if job.dest else None) or []
        for index, answer in enumerate(answers):
            key = (answer.metadata or {}).get("key") or (requests[index].key if index < len(requests) else None)
            if key is None:
                continue
            if answer.response is not None:
                self.responses_cache.put(key, response_data(answer.response))
            else:
                self.responses_cache.put(key, {"kgsynth_error": redact(str(getattr(answer.error, "message", answer.error)))})

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


def choice_of(data: dict, letters: str) -> Choice:
    text, problem, usage = text_of(data).strip(), problem_of(data), usage_of(data)
    index = letters.index(text) if len(text) == 1 and text in letters else None
    if index is None and problem is None:
        problem = f"no_letter:{text[:40]}"
    return Choice(index, letter_logprobs(data, letters), problem, usage)
