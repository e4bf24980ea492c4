"""Local transformers models, offline: the embedded Gemma 3 270M, SmolLM2, or any path."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

from ..errors import KgsynthError
from ..files import files_digest
from ..progress import silence_library_bars
from .base import Model, Progress, Score, ScoreRequest, cut_at_stop

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is ever downloaded from a model hub

GENERATION_BATCH = 8  # greedy prompts generated together
DTYPES = ("float32", "bfloat16", "float16")
TOKENIZERS: dict[str, object] = {}  # loaded tokenizers by the digest of their files: Gemma's takes ~3 s to read
TOKENIZER_FILES = ("tokenizer", "special_tokens", "added_tokens", "vocab", "merges", "spiece", "chat_template")


def import_torch():
    try:
        import torch
        import transformers
    except ImportError:
        raise KgsynthError(
            "local models need the extra 'local': pip install torch==2.13.0 && pip install -e '.[local]'"
        ) from None
    transformers.logging.set_verbosity_error()
    silence_library_bars()
    return torch, transformers


def resolve_checkpoint(target: str, progress=print) -> Path:
    from . import embedded

    # a cached conversion is used without locating (and hashing) the packaged GGUF again
    if target == "embedded":
        return embedded.converted(embedded.EMBEDDED, embedded.embedded_gguf, progress)
    if target == "smollm2":
        return embedded.converted(embedded.SMOLLM2, embedded.smollm2_gguf, progress)
    path = Path(target).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise KgsynthError(f"model file not found: {path}")
        return embedded.converted(f"gguf-{path.stem}-{embedded.file_digest(path)[:12]}", path.resolve(), progress)
    if not (path / "config.json").is_file() and not (path / "adapter_config.json").is_file():
        raise KgsynthError(f"not a transformers model directory (no config.json or adapter_config.json): {path}")
    return path


def load_pretrained(checkpoint: Path, device: str | None = None, dtype: str | None = None):
    """Model and tokenizer from a directory; a LoRA adapter directory (written by
    `finetune`) is loaded onto its base model and merged."""
    torch, transformers = import_torch()
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    dtype = dtype or ("bfloat16" if device.type == "cuda" else "float32")
    if dtype not in DTYPES:
        raise KgsynthError(f"unknown dtype {dtype!r}: use one of {', '.join(DTYPES)}")
    adapter = checkpoint / "adapter_config.json"
    base = checkpoint
    if adapter.is_file():
        base = Path(json.loads(adapter.read_text())["base_model_name_or_path"])
        if not (base / "config.json").is_file():
            raise KgsynthError(f"the adapter in {checkpoint} needs its base model at {base}, which is missing")
    tokenizer = load_tokenizer(transformers, checkpoint)
    model = transformers.AutoModelForCausalLM.from_pretrained(base, dtype=getattr(torch, dtype))
    if adapter.is_file():
        model = merged_adapter(model, checkpoint)
    return model.to(device).eval(), tokenizer


def load_tokenizer(transformers, directory: Path):
    """The directory's tokenizer, read once per process for the same files (a fine-tuned or
    meta-trained model saves its base model's tokenizer unchanged)."""
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.name.startswith(TOKENIZER_FILES))
    digest = files_digest({p.name: p for p in files})
    if digest not in TOKENIZERS:
        while len(TOKENIZERS) >= 4:
            TOKENIZERS.pop(next(iter(TOKENIZERS)))
        TOKENIZERS[digest] = transformers.AutoTokenizer.from_pretrained(directory)
    return TOKENIZERS[digest]


def merged_adapter(model, checkpoint: Path):
    """`model` with the LoRA adapter in `checkpoint` merged into its weights."""
    from peft import PeftModel

    with warnings.catch_warnings():
        # peft (0.21) reads transformers' deprecated `is_gradient_checkpointing` as it wraps a model
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        return PeftModel.from_pretrained(model, checkpoint).merge_and_unload()


class LocalModel(Model):
    """A transformers causal LM and its tokenizer, behind the Model interface."""

    generation_batch = GENERATION_BATCH

    def __init__(self, model, tokenizer, name: str, batch_size: int = 16):
        torch, _ = import_torch()
        from .scoring import PrefixScorer

        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.device = next(model.parameters()).device
        config = model.config
        self.max_context = int(getattr(config, "max_position_embeddings", 2048) or 2048)
        start = tokenizer.bos_token_id
        self.start_id = start if start is not None else tokenizer.eos_token_id
        pad = tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else self.start_id
        self.scorer = PrefixScorer(model, tokenizer, self.device, self.start_id, batch_size=batch_size)
        self.checkpoint: Path | None = None

    @classmethod
    def open(cls, target: str, progress=print, device: str | None = None, dtype: str | None = None,
             batch_size: int = 16) -> LocalModel:
        from . import embedded

        checkpoint = resolve_checkpoint(target, progress)
        model, tokenizer = load_pretrained(checkpoint, device, dtype)
        opened = cls(model, tokenizer, f"local:{checkpoint.name}", batch_size)
        opened.checkpoint = checkpoint
        converted = (checkpoint / embedded.MARKER).is_file()  # a conversion kgsynth made and can make again
        opened.scorer.weights_hint = f"delete {checkpoint} to rebuild it" if converted else f"check {checkpoint}"
        return opened

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def score(self, requests: Sequence[ScoreRequest], progress: Progress | None = None,
              shared_prefix: str | None = None) -> list[Score]:
        return self.scorer.score(requests, progress, shared_prefix)

    def generate(self, prompts: Sequence[str], max_tokens: int = 48, stop: Sequence[str] = ("\n",),
                 temperature: float = 0.0, seed: int = 0) -> list[str]:
        """Greedy: GENERATION_BATCH prompts at a time, left-padded (on a CPU a step costs about the
        same for 8 rows as for 1). Sampled: one at a time, each from `seed`, so reruns repeat."""
        if temperature > 0 or self.tokenizer.pad_token_id is None:
            return [self.generate_batch([prompt], max_tokens, stop, temperature, seed)[0] for prompt in prompts]
        outputs = []
        for start in range(0, len(prompts), GENERATION_BATCH):
            outputs += self.generate_batch(prompts[start: start + GENERATION_BATCH], max_tokens, stop)
        return outputs

    def generate_batch(self, prompts: Sequence[str], max_tokens: int, stop: Sequence[str], temperature: float = 0.0,
                       seed: int = 0) -> list[str]:
        torch, _ = import_torch()
        torch.manual_seed(seed)
        ids = self.tokenizer(list(prompts), return_tensors="pt", padding=True, padding_side="left").to(self.device)
        sampled = temperature > 0
        generated = self.model.generate(**ids, max_new_tokens=max_tokens, do_sample=sampled,
                                        temperature=temperature if sampled else None, top_p=None, top_k=None,
                                        pad_token_id=self.pad_id, stop_strings=[s for s in stop if s] or None,
                                        tokenizer=self.tokenizer)  # stops as soon as every row wrote a stop string
        width = ids["input_ids"].shape[1]
        return [cut_at_stop(self.tokenizer.decode(row[width:], skip_special_tokens=True), stop) for row in generated]
