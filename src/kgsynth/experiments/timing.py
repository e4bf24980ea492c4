"""Roughly how long long work takes, said up front: seconds per unit of work (a training
step, a scored item, an augmented source) as measured on a 2-core CPU with the embedded model
(the README's times), scaled by model size. Each phase's own progress line then says how long
its rest will take from its first units, measured on the machine it runs on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# seconds per unit, measured in the quick lab (bench/lab.py): the embedded model (268 M
# parameters), 2 cores, no GPU; LoRA steps of 8 short texts (longer texts take longer)
MEASURED = {
    "metatrain step": 3.7, "finetune step": 1.0, "finetune step full": 3.0,
    "eval item baseline": 0.08, "eval item icl": 0.25, "augment source local": 1.2, "augment source global": 3.0,
}
MEASURED_SIZE = 268.0  # million parameters of the model MEASURED was timed on
GPU_SPEEDUP = 10.0  # a rough factor, for saying "about"; the progress lines then measure
BYTES_PER_PARAMETER = {"float32": 4, "bfloat16": 2, "float16": 2}
EMBEDDED_MILLIONS = 268.1  # Gemma 3 270M, as converted


@dataclass
class Plan:
    """Long work ahead, phase by phase: (what, units, kind of unit)."""

    millions: float | None  # the model's size
    on_gpu: bool
    phases: list[tuple[str, int, str]]

    def minutes(self) -> float | None:
        if self.millions is None:
            return None
        scale = max(self.millions, 1.0) / MEASURED_SIZE / (GPU_SPEEDUP if self.on_gpu else 1.0)
        return sum(units * MEASURED[kind] * scale for _, units, kind in self.phases) / 60

    def describe(self) -> str:
        """'about 9 min at the speed of a 2-core CPU (metatrain 60 steps, …)', or '' when unknown."""
        minutes = self.minutes()
        if minutes is None or not any(units for _, units, _ in self.phases):
            return ""
        parts = ", ".join(f"{what} {units:,} {kind.split()[1]}s" for what, units, kind in self.phases if units)
        speed = "a GPU, roughly" if self.on_gpu else "a 2-core CPU"
        return f"about {format_minutes(minutes)} at the speed of {speed} ({parts})"


def format_minutes(minutes: float) -> str:
    if minutes < 1.5:
        return f"{minutes * 60:.0f} s"
    return f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h"


def checkpoint_millions(spec: str) -> float | None:
    """Million parameters of a local model's checkpoint, from its files (None: a service, an adapter)."""
    if not spec.startswith("local"):
        return None
    if spec == "local":
        return EMBEDDED_MILLIONS
    from ..models.local import resolve_checkpoint

    directory = resolve_checkpoint(spec.partition(":")[2] or "embedded", progress=lambda _text: None)
    weights = list(Path(directory).glob("*.safetensors"))
    if not weights:
        return None
    try:
        settings = json.loads((Path(directory) / "config.json").read_text())
    except (OSError, ValueError):
        return None
    dtype = settings.get("torch_dtype") or settings.get("dtype") or "float32"
    return sum(w.stat().st_size for w in weights) / BYTES_PER_PARAMETER.get(str(dtype), 4) / 1e6


def on_gpu(device: str | None) -> bool:
    if device is not None:
        return device.startswith("cuda")
    import torch

    return torch.cuda.is_available()
