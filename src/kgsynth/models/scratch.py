"""A small transformer from random initialization, with its own tokenizer, for
`metatrain --from-scratch SIZE`.

The class is Gemma3ForCausalLM, the embedded model's own architecture: scoring, the
sliding-window and soft-capping paths and saving are the ones every other local model
uses, and the result loads as `local:DIR`. The tokenizer is a byte-level BPE trained on
the text of meta-training worlds (never the test world's): made-up words need no
pretrained vocabulary, and a small one (the embedded model's has 262,144 entries) keeps
the parameters in the layers that learn, not in the embedding table.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

SIZES = {  # hidden size, layers, heads: 0.26 M, 4.7 M and 34.6 M parameters with a 2,000-word vocabulary
    "tiny": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2},
    "small": {"hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4},
    "base": {"hidden_size": 512, "num_hidden_layers": 8, "num_attention_heads": 8},
}
VOCABULARY = 2000
SPECIALS = ["<pad>", "<bos>", "<eos>"]


def train_tokenizer(texts: Iterable[str], vocabulary: int = VOCABULARY):
    """A byte-level BPE tokenizer (transformers' fast tokenizer) trained on `texts`."""
    import tokenizers
    import transformers
    from tokenizers import decoders, models, pre_tokenizers, trainers

    tok = tokenizers.Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocabulary, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer)
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>",
                                                pad_token="<pad>")


def scratch_config(size: str, vocabulary: int, max_length: int):
    import transformers

    shape = SIZES[size]
    heads = shape["num_attention_heads"]
    return transformers.Gemma3TextConfig(
        vocab_size=vocabulary, hidden_size=shape["hidden_size"], intermediate_size=4 * shape["hidden_size"],
        num_hidden_layers=shape["num_hidden_layers"], num_attention_heads=heads, num_key_value_heads=heads,
        head_dim=shape["hidden_size"] // heads, layer_types=["full_attention"] * shape["num_hidden_layers"],
        sliding_window=max_length, max_position_embeddings=max(2048, max_length), final_logit_softcapping=None,
        bos_token_id=1, pad_token_id=0, eos_token_id=2, tie_word_embeddings=True)


def scratch_model(size: str, texts: Iterable[str], max_length: int, seed: int):
    """(model, tokenizer): a randomly initialized model of `size` and a tokenizer trained on `texts`."""
    import torch
    import transformers

    tokenizer = train_tokenizer(texts)
    torch.manual_seed(seed)
    model = transformers.Gemma3ForCausalLM(scratch_config(size, len(tokenizer), max_length))
    return model.float(), tokenizer


def parameter_count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def save(model, tokenizer, directory: Path) -> None:
    model.eval().save_pretrained(directory)
    tokenizer.save_pretrained(directory)
