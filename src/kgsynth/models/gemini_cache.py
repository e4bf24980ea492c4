"""The in-context corpus of a Gemini run, held server-side in one cached content.

A cache is made once per corpus and its name kept on disk (under the hash of model,
corpus and TTL), so a rerun reuses it until near its expiry, once the server has said it
still holds it. The server can lose it sooner (a restart, an eviction, a deletion): a
request naming it is then refused (404 NOT_FOUND; the Gemini API says 403 "CachedContent
not found (or permission denied)"), or, by a lax server, answered without the corpus.
Either way GeminiModel.fetch drops the name, makes the cache again and resends; and an
answer whose usage shows the corpus missing (`ContextCaches.missing`) is never kept.
"""

from __future__ import annotations

import time
from datetime import datetime
from functools import lru_cache

from ..errors import KgsynthError
from ..files import sha256
from .calls import request_hash
from .gemini_api import genai_modules

PRESENT = 0.9  # an answer's prompt (and, sent through a cache, its cached tokens) holds this share of the corpus
RENEW_S = 600  # a recorded cache this close to its expiry is made again rather than reused


class ContextLost(Exception):
    """The server no longer has a cached content that a request named."""


@lru_cache(maxsize=8)  # the corpus is hashed for every question: once is enough
def corpus_digest(text: str) -> str:
    return sha256(text.encode())


def lost_cache(error) -> bool:
    """Whether an API error (or a batch answer's error) says a cached content is gone."""
    message = str(getattr(error, "message", None) or error).lower().replace(" ", "")
    return getattr(error, "code", None) in (403, 404) and "cache" in message


class ContextCaches:
    """For one GeminiModel: corpus digest -> cached-content name (None: the corpus goes inline)."""

    def __init__(self, model):
        self.model = model  # its client, api(), count_tokens(), response cache, options and say()
        self.names: dict[str, str | None] = {}
        self.sizes: dict[str, int] = {}  # corpus digest -> its tokens
        self.told_stale = False

    def record_key(self, digest: str) -> str:
        return request_hash({"context": self.model.name, "prefix_sha256": digest, "ttl": self.model.options.cache_ttl_s})

    def name(self, prefix: str | None) -> str | None:
        """The cached content holding `prefix`, or None where the corpus goes inline."""
        if not prefix:
            return None
        digest = corpus_digest(prefix)
        if digest not in self.names:
            self.names[digest] = self.recorded(digest) or self.create(prefix, digest)
        return self.names[digest]

    def tokens(self, prefix: str) -> int:
        digest = corpus_digest(prefix)
        if digest not in self.sizes:
            self.sizes[digest] = self.model.count_tokens(prefix)
        return self.sizes[digest]

    def drop(self, prefix: str | None) -> None:
        """Forget the cache of `prefix` (the server lost it): the next request makes a new one."""
        if prefix:
            digest = corpus_digest(prefix)
            self.names.pop(digest, None)
            self.model.responses_cache.path(self.record_key(digest)).unlink(missing_ok=True)

    def recorded(self, digest: str) -> str | None:
        """The cache a run made for this corpus, if it is not near its expiry and the server
        still has it (one lookup per run)."""
        model = self.model
        known = model.responses_cache.get(self.record_key(digest))
        if known is None or known.get("expires", 0) <= time.time() + RENEW_S:
            return None
        _, _, errors = genai_modules()

        def lookup():
            try:
                return model.client.caches.get(name=known["name"])
            except errors.APIError as exc:
                if exc.code in (403, 404):  # expired, deleted, or lost with a restart
                    return None
                raise

        found = model.api(f"looking up the context cache {known['name']}", lookup)
        expires = getattr(found, "expire_time", None)
        if found is None or (isinstance(expires, datetime) and expires.timestamp() <= time.time() + RENEW_S):
            model.say(f"the context cache {known['name']} is gone from the server: making it again")
            return None
        return known["name"]

    def create(self, prefix: str, digest: str) -> str | None:
        model = self.model
        tokens = self.tokens(prefix)
        if tokens < model.context_cache_minimum:
            model.say(f"the corpus is {tokens:,} tokens, under the context-cache minimum of "
                      f"{model.context_cache_minimum:,}: it goes inline with every question")
            return None
        _, types, _ = genai_modules()
        ttl = model.options.cache_ttl_s
        config = types.CreateCachedContentConfig(contents=[types.Content(role="user", parts=[types.Part(text=prefix)])],
                                                 ttl=f"{ttl}s", display_name="kgsynth corpus")
        try:
            cache = model.api("creating the context cache",
                              lambda: model.client.caches.create(model=model.name, config=config), tokens)
        except KgsynthError as exc:
            if "HTTP 400" not in str(exc):
                raise
            model.say(f"context cache refused ({exc}); the corpus goes inline with every question")
            return None
        model.say(f"context cache {cache.name}: {tokens:,} tokens, kept {ttl} s")
        model.responses_cache.put(self.record_key(digest), {"name": cache.name, "tokens": tokens, "expires": time.time() + ttl})
        return cache.name

    def missing(self, prefix: str | None, cached: str | None, data: dict) -> str | None:
        """Why answer `data` cannot have seen the corpus `prefix`, or None. Its prompt tokens
        (which count cached ones) must hold the corpus; sent through the cache `cached`, its
        cached tokens must too. An answer with no usage at all cannot show it: it counts as missing."""
        if not prefix or "kgsynth_error" in data:
            return None
        usage = data.get("usage_metadata")
        if not isinstance(usage, dict):
            return "an answer came without usage metadata, so nothing shows it saw the corpus"
        tokens = self.tokens(prefix)
        through_cache = usage.get("cached_content_token_count") or 0
        if cached and through_cache < PRESENT * tokens:
            return f"an answer through {cached} used {through_cache:,} cached tokens, not the corpus's {tokens:,}"
        prompt = usage.get("prompt_token_count") or 0
        if prompt < PRESENT * tokens:
            return f"an answer's prompt was {prompt:,} tokens, fewer than the corpus's {tokens:,}"
        return None

    def stale(self, prefix: str | None, data: dict | None) -> bool:
        """Whether an answer kept on disk lacks its corpus (kept before answers were checked)."""
        if data is None or self.missing(prefix, None, data) is None:
            return False
        if not self.told_stale:
            self.model.say("answers kept from an earlier run came without the in-context corpus: asking them again")
            self.told_stale = True
        return True
