"""The google-genai SDK as the Gemini backend uses it: the client and its credentials, API
keys kept out of every message, which failures are transient, and responses as plain JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import KgsynthError
from .base import Choice, Reply, cut_at_stop
from .calls import RETRYABLE, Retry, parse_duration

API_VERSIONS = {"gemini": "v1beta", "vertex": "v1beta1"}  # explicit: caches and batches live in the beta surfaces
KEY_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
# Gemini Enterprise (formerly Vertex AI): google-genai 3 reads the first of these that is set
ENTERPRISE_VARIABLES = ("GOOGLE_GENAI_USE_ENTERPRISE", "GOOGLE_GENAI_USE_VERTEXAI")


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
    vertex: bool | None = None  # Gemini Enterprise; default: ENTERPRISE_VARIABLES, or a model naming a resource
    credentials: object | None = None  # Enterprise: google.auth credentials (default: application default)
    say: Callable[[str], None] | None = None


def secrets() -> list[str]:
    return [v for v in (os.environ.get(name, "") for name in KEY_VARIABLES) if len(v) >= 4]


def redact(text: str) -> str:
    """`text` with any API key from the environment blanked out."""
    for secret in secrets():
        text = text.replace(secret, "[key]")
    return text


def genai_modules():
    try:
        from google import genai
        from google.genai import errors, types
    except ImportError:
        raise KgsynthError('the Gemini backend needs the gemini extra: pip install -e ".[gemini]"') from None
    return genai, types, errors


def uses_vertex(name: str, options: GeminiOptions) -> bool:
    """Gemini Enterprise (Vertex AI) rather than the Gemini API: as the options say, else as
    the first of ENTERPRISE_VARIABLES that is set says, or for a model named by its resource."""
    if options.vertex is not None:
        return options.vertex
    setting = next((os.environ[v] for v in ENTERPRISE_VARIABLES if os.environ.get(v) is not None), "")
    return setting.lower() in ("1", "true", "yes") or name.startswith("projects/")


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
            raise KgsynthError("Gemini Enterprise (Vertex AI) needs a project: set GOOGLE_CLOUD_PROJECT (and "
                               "GOOGLE_CLOUD_LOCATION)")
        credentials = options.credentials or default_credentials()
        return genai.Client(enterprise=True, project=project, location=os.environ.get("GOOGLE_CLOUD_LOCATION") or
                            "us-central1", credentials=credentials, http_options=http)
    key = next((os.environ[v] for v in KEY_VARIABLES if os.environ.get(v)), None)
    if not key:
        raise KgsynthError("Gemini needs an API key: set GEMINI_API_KEY (or GOOGLE_API_KEY), or use Gemini Enterprise "
                           "(Vertex AI) with GOOGLE_GENAI_USE_ENTERPRISE=true and GOOGLE_CLOUD_PROJECT")
    return genai.Client(enterprise=False, api_key=key, http_options=http)  # decided here, not again by the SDK


def default_credentials():
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    except DefaultCredentialsError:
        raise KgsynthError("Gemini Enterprise (Vertex AI) needs application default credentials: run "
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


def choice_of(data: dict, letters: str) -> Choice:
    text, problem, usage = text_of(data).strip(), problem_of(data), usage_of(data)
    index = letters.index(text) if len(text) == 1 and text in letters else None
    if index is None and problem is None:
        problem = f"no_letter:{text[:40]}"
    return Choice(index, letter_logprobs(data, letters), problem, usage)
