"""What the `inspect_ai` entry point registers: `inspect eval kgsynth/choice`, `kgsynth/generate`."""

from .inspect_tasks import choice, generate, oracle

__all__ = ["choice", "generate", "oracle"]
