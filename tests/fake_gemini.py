"""A fake Gemini server on 127.0.0.1 that speaks the REST JSON of the Gemini API
(v1beta: models, generateContent, countTokens, cachedContents, batches) and of Vertex AI
(v1beta1: tuningJobs, endpoints), for tests selected with `http_options.base_url`.

Every request is recorded. Faults (an HTTP status with a body, or a malformed body) are
queued per path fragment and served in order before normal answers. `answer(body)` gives
the text of a generated reply; a test sets it to play a model.

Cached contents live in memory only, as on the real service they can be lost: a new
(restarted) server has none, `forget_caches()` drops them, and one past its expiry (its
`ttl`, by `clock`) is gone. A request naming a cache the server does not have is refused
like the real API's (`missing_cache`: "404" NOT_FOUND, "403" as the Gemini API says it,
"CachedContent not found (or permission denied)"), or with "ignore" answered without the
corpus, as a lax server might.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def prompt_text(body: dict) -> str:
    """All text of a generateContent body (contents and system instruction)."""
    parts = []
    for content in body.get("contents", []) + [body.get("systemInstruction") or {}]:
        parts += [p.get("text", "") for p in content.get("parts", [])]
    return "\n".join(parts)


def words(text: str) -> int:
    return len(text.split())


def default_answer(body: dict) -> str:
    config = body.get("generationConfig", {})
    if config.get("responseMimeType") == "text/x.enum":
        return config["responseSchema"]["enum"][0]
    if config.get("responseMimeType") == "application/json":
        return json.dumps(["glorp is a blicket."])
    return "glorp."


@dataclass
class Fault:
    status: int
    body: str
    headers: dict = field(default_factory=dict)


def error_body(code: int, status: str, message: str, details: list | None = None) -> str:
    return json.dumps({"error": {"code": code, "message": message, "status": status, "details": details or []}})


def rate_limited(delay: str = "1s") -> Fault:
    details = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]
    return Fault(429, error_body(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", details))


def server_error() -> Fault:
    return Fault(500, error_body(500, "INTERNAL", "An internal error has occurred."))


def bad_request(message: str = "Invalid JSON payload received.") -> Fault:
    return Fault(400, error_body(400, "INVALID_ARGUMENT", message))


def malformed() -> Fault:
    return Fault(200, '{"candidates": [{"content": ')


def cache_missing(name: str, how: str) -> tuple[int, dict]:
    """The real services' answers to a request naming a cache they do not have."""
    if how == "403":
        return 403, json.loads(error_body(403, "PERMISSION_DENIED", "CachedContent not found (or permission denied)"))
    return 404, json.loads(error_body(404, "NOT_FOUND", f"{name} not found or expired"))


def ttl_seconds(body: dict) -> float:
    """A CachedContent's lifetime: its `ttl` ("3600s"), or one hour (the API's default)."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(body.get("ttl") or ""))
    return float(match.group(1)) if match else 3600.0


class FakeGemini:
    def __init__(self, answer: Callable[[dict], str] = default_answer, input_token_limit: int = 1_048_576,
                 finish_reason: str = "STOP"):
        self.answer = answer
        self.input_token_limit = input_token_limit
        self.finish_reason = finish_reason
        self.logprobs = True
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, body), as received
        self.answered: list[tuple[str, str]] = []  # (path, body json) of generate calls answered with 200
        self.faults: list[tuple[str, Fault]] = []  # (path fragment, fault)
        self.caches: dict[str, dict] = {}  # in memory only: a restarted server has none
        self.missing_cache = "404"  # how a request naming an unknown or expired cache is answered: 404, 403, ignore
        self.clock = time.time  # for cache expiry; a test moves it forward
        self.batches: dict[str, dict] = {}
        self.tuning_jobs: dict[str, dict] = {}
        self.polls_until_done = 2
        # called with the count of generate requests so far; returning True drops the request unanswered
        self.on_generate: Callable[[int], bool] | None = None
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeGemini:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, fragment: str, *faults: Fault) -> None:
        self.faults += [(fragment, f) for f in faults]

    def generate_requests(self) -> list[dict]:
        return [body for method, path, body in self.requests if path.endswith(":generateContent")]

    def created_caches(self) -> list[dict]:
        return [body for method, path, body in self.requests if path.endswith("/cachedContents") and method == "POST"]

    def forget_caches(self) -> None:
        """Lose every cached content, as a restarted or evicting service does."""
        with self.lock:
            self.caches.clear()

    def cache(self, name: str) -> dict | None:
        """The live cached content `name`; one past its expiry is dropped."""
        cache = self.caches.get(name)
        if cache is not None and cache["expires"] <= self.clock():
            del self.caches[name]
            cache = None
        return cache

    def unknown_cache(self, body: dict) -> tuple[int, dict] | None:
        """The refusal of a generate request naming a cache this server does not have."""
        name = body.get("cachedContent")
        if not name or self.cache(name) is not None or self.missing_cache == "ignore":
            return None
        return cache_missing(name, self.missing_cache)

    # -- answers ---------------------------------------------------------------------

    def generate(self, body: dict) -> dict:
        text = self.answer(body)
        prompt = prompt_text(body)
        cached = 0
        cache = self.cache(body.get("cachedContent", ""))
        if cache is not None:
            cached = cache["usageMetadata"]["totalTokenCount"]
        candidate = {"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": self.finish_reason,
                     "index": 0}
        if body.get("generationConfig", {}).get("responseLogprobs") and self.logprobs:
            config = body["generationConfig"]
            options = config.get("responseSchema", {}).get("enum") or [text]
            top = [{"token": o, "logProbability": -0.1 if o == text else -3.0 - i} for i, o in enumerate(options)]
            candidate["logprobsResult"] = {
                "topCandidates": [{"candidates": top[: config.get("logprobs", 1)]}],
                "chosenCandidates": [{"token": text, "logProbability": -0.1}]}
        usage = {"promptTokenCount": words(prompt) + cached, "candidatesTokenCount": words(text),
                 "totalTokenCount": words(prompt) + cached + words(text)}
        if cached:
            usage["cachedContentTokenCount"] = cached
        return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": "fake-001"}

    def route(self, method: str, path: str, body: dict) -> tuple[int, dict]:
        path = re.sub(r"^/v1beta1?/", "", path.split("?")[0])
        if method == "GET" and re.fullmatch(r"(.*/)?models/[^/:]+", path):  # Vertex: .../publishers/google/models/M
            return 200, {"name": path, "displayName": path, "inputTokenLimit": self.input_token_limit,
                         "outputTokenLimit": 8192}
        if path.endswith(":generateContent"):
            return self.unknown_cache(body) or (200, self.generate(body))
        if path.endswith(":countTokens"):
            contents = body.get("contents") or body.get("generateContentRequest", {}).get("contents", [])
            return 200, {"totalTokens": words(prompt_text({"contents": contents}))}
        if path == "cachedContents" and method == "POST":
            return 200, self.create_cache(body)
        if path.startswith("cachedContents/"):
            cache = self.cache(path)
            if cache is None:
                return cache_missing(path, self.missing_cache)
            if method == "DELETE":
                del self.caches[path]
                return 200, {}
            return 200, {k: v for k, v in cache.items() if k != "expires"}
        if path.endswith(":batchGenerateContent"):
            name = f"batches/b{next(self.ids)}"
            requests = body["batch"]["inputConfig"]["requests"]["requests"]
            self.batches[name] = {"requests": requests, "polls": 0, "model": path.split(":")[0]}
            return 200, self.batch_view(name)
        if path.startswith("batches/") and method == "GET":
            self.batches[path]["polls"] += 1
            return 200, self.batch_view(path)
        if path.endswith("/tuningJobs") and method == "POST":
            name = f"{path}/t{next(self.ids)}"
            self.tuning_jobs[name] = {"body": body, "polls": 0}
            return 200, self.tuning_view(name)
        if "/tuningJobs/" in path and method == "GET":
            self.tuning_jobs[path]["polls"] += 1
            return 200, self.tuning_view(path)
        return 404, json.loads(error_body(404, "NOT_FOUND", f"no route {method} {path}"))

    def create_cache(self, body: dict) -> dict:
        name = f"cachedContents/{uuid.uuid4().hex[:12]}"  # unique across servers, as the real names are
        expires = self.clock() + ttl_seconds(body)
        self.caches[name] = {"name": name, "model": body.get("model"), "displayName": body.get("displayName", ""),
                             "expireTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)),
                             "usageMetadata": {"totalTokenCount": words(prompt_text(body))}, "expires": expires}
        return {k: v for k, v in self.caches[name].items() if k != "expires"}

    def batch_view(self, name: str) -> dict:
        batch = self.batches[name]
        done = batch["polls"] >= self.polls_until_done
        metadata = {"@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
                    "name": name, "model": batch["model"], "displayName": "kgsynth",
                    "state": "BATCH_STATE_SUCCEEDED" if done else "BATCH_STATE_RUNNING"}
        if done:
            responses = []
            for request in batch["requests"]:
                refused = self.unknown_cache(request["request"])
                entry = {"error": refused[1]["error"]} if refused else {"response": self.generate(request["request"])}
                if "metadata" in request:
                    entry["metadata"] = request["metadata"]
                responses.append(entry)
            metadata["output"] = {"inlinedResponses": {"inlinedResponses": responses}}
        return {"name": name, "metadata": metadata, "done": done}

    def tuning_view(self, name: str) -> dict:
        job = self.tuning_jobs[name]
        done = job["polls"] >= self.polls_until_done
        base = name.split("/tuningJobs/")[0]
        view = {"name": name, "baseModel": job["body"].get("baseModel"),
                "state": "JOB_STATE_SUCCEEDED" if done else "JOB_STATE_RUNNING",
                "supervisedTuningSpec": job["body"].get("supervisedTuningSpec", {})}
        if done:
            view["tunedModel"] = {"model": f"{base}/models/m1", "endpoint": f"{base}/endpoints/e1"}
        return view

    # -- HTTP --------------------------------------------------------------------------

    def handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.respond("GET")

            def do_POST(self):
                self.respond("POST")

            def do_DELETE(self):
                self.respond("DELETE")

            def respond(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                with fake.lock:
                    fake.requests.append((method, self.path, body))
                    count = len(fake.generate_requests())
                    fault = next(((i, f) for i, (frag, f) in enumerate(fake.faults) if frag in self.path), None)
                    if fault:
                        del fake.faults[fault[0]]
                if self.path.split("?")[0].endswith(":generateContent") and fake.on_generate \
                        and fake.on_generate(count):
                    self.close_connection = True  # dropped unanswered, as by a client killed mid-request
                    return
                if fault:
                    self.send(fault[1].status, fault[1].body.encode(), fault[1].headers)
                    return
                with fake.lock:
                    status, payload = fake.route(method, self.path, body)
                    if status == 200 and self.path.split("?")[0].endswith(":generateContent"):
                        fake.answered.append((self.path, json.dumps(body, sort_keys=True)))
                self.send(status, json.dumps(payload).encode(), {})

            def send(self, status: int, data: bytes, headers: dict):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def planted_environment(monkeypatch, tmp_path, key: str):
    """A planted key, an empty response cache, no Gemini Enterprise (Vertex) settings from the machine."""
    for name in ("GOOGLE_API_KEY", "GOOGLE_GENAI_USE_ENTERPRISE", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_CLOUD_PROJECT",
                 "GOOGLE_CLOUD_LOCATION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", key)
    monkeypatch.setenv("KGSYNTH_CACHE", str(tmp_path / "cache"))
    return tmp_path


if __name__ == "__main__":  # python tests/fake_gemini.py: serve until interrupted, for trying the CLI offline
    import time

    with FakeGemini() as fake:
        fake.polls_until_done = 0
        print(f"export KGSYNTH_GEMINI_BASE_URL={fake.url} GEMINI_API_KEY=fake", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
