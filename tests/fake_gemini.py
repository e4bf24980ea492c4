"""A fake Gemini server on 127.0.0.1 that speaks the REST JSON of the Gemini API
(v1beta: models, generateContent, countTokens, cachedContents, batches) and of Vertex AI
(v1beta1: tuningJobs, endpoints), for tests selected with `http_options.base_url`.

Every request is recorded. Faults (an HTTP status with a body, or a malformed body) are
queued per path fragment and served in order before normal answers. `answer(body)` gives
the text of a generated reply; a test sets it to play a model.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
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
        self.caches: dict[str, dict] = {}
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

    # -- answers ---------------------------------------------------------------------

    def generate(self, body: dict) -> dict:
        text = self.answer(body)
        prompt = prompt_text(body)
        cached = 0
        cache = self.caches.get(body.get("cachedContent", ""))
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
            return 200, self.generate(body)
        if path.endswith(":countTokens"):
            contents = body.get("contents") or body.get("generateContentRequest", {}).get("contents", [])
            return 200, {"totalTokens": words(prompt_text({"contents": contents}))}
        if path == "cachedContents" and method == "POST":
            name = f"cachedContents/c{next(self.ids)}"
            tokens = words(prompt_text(body))
            self.caches[name] = {"name": name, "model": body.get("model"), "displayName": body.get("displayName", ""),
                                 "expireTime": "2099-01-01T00:00:00Z", "usageMetadata": {"totalTokenCount": tokens}}
            return 200, self.caches[name]
        if path.startswith("cachedContents/"):
            if path not in self.caches:
                return 404, json.loads(error_body(404, "NOT_FOUND", f"{path} not found"))
            if method == "DELETE":
                del self.caches[path]
                return 200, {}
            return 200, self.caches[path]
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

    def batch_view(self, name: str) -> dict:
        batch = self.batches[name]
        done = batch["polls"] >= self.polls_until_done
        metadata = {"@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
                    "name": name, "model": batch["model"], "displayName": "kgsynth",
                    "state": "BATCH_STATE_SUCCEEDED" if done else "BATCH_STATE_RUNNING"}
        if done:
            responses = []
            for request in batch["requests"]:
                entry = {"response": self.generate(request["request"])}
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
