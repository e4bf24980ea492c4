"""A tiny randomly initialized Gemma 3 with the embedded model's real tokenizer, saved as a
transformers directory: what lm-eval's `hf` model and inspect's `hf/` provider load in the
harness tests (fast, offline, and tokenized exactly as the embedded model is)."""

from __future__ import annotations

from pathlib import Path


def tiny_gemma_dir(directory: Path) -> Path:
    import torch
    import transformers

    from kgsynth.models.local import resolve_checkpoint

    tokenizer = transformers.AutoTokenizer.from_pretrained(resolve_checkpoint("embedded", progress=print))
    torch.manual_seed(0)
    config = transformers.Gemma3TextConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                                           num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                                           head_dim=16, max_position_embeddings=32768, bos_token_id=tokenizer.bos_token_id,
                                           eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    transformers.Gemma3ForCausalLM(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
