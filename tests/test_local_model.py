"""The embedded model (Gemma 3 270M) really loads and scores; the converted-checkpoint cache
is verified and rebuilt when corrupt; bad model specs are clear errors.

The first load converts the GGUF into $KGSYNTH_CACHE (default ~/.cache/kgsynth), about a
minute; later runs reuse it. The real-model tests leave KGSYNTH_CACHE alone on purpose.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from kgsynth.errors import KgsynthError
from kgsynth.models import ScoreRequest, embedded, load_model
from kgsynth.models.base import cut_at_stop

# --- the real embedded model --------------------------------------------------------------


@pytest.fixture(scope="module")
def gemma():
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    return load_model("local", progress=print, device="cpu", dtype="float32")


def test_embedded_model_loads(gemma):
    assert gemma.name == "local:gemma3-270m"
    assert gemma.max_context >= 8192
    assert gemma.start_id is not None
    assert embedded.is_complete(gemma.checkpoint)


FLUENT_VS_SCRAMBLED = [
    ("The cat sat on the", " mat and fell asleep in the sun.", " sun the in asleep fell and mat."),
    ("Every morning she drinks a cup of", " hot coffee before going to work.", " work coffee to going before hot."),
    ("The capital of France is", " Paris, a city on the Seine.", " Seine city the Paris on a,"),
]


def test_fluent_continuation_scores_higher_than_scrambled(gemma):
    requests = [ScoreRequest(context, option) for context, fluent, scrambled in FLUENT_VS_SCRAMBLED
                for option in (fluent, scrambled)]
    scores = gemma.score(requests)
    assert len(scores) == len(requests)
    for (context, fluent, scrambled), good, bad in zip(FLUENT_VS_SCRAMBLED, scores[::2], scores[1::2], strict=True):
        assert math.isfinite(good.logprob) and good.logprob < 0 and good.tokens > 0
        assert good.logprob > bad.logprob + 5, f"{context!r}: {fluent!r} {good} vs {scrambled!r} {bad}"


def test_prefix_scores_equal_naive_scores_on_gemma(gemma):
    from kgsynth.models.scoring import naive_scores

    corpus = "Wuzzle is a kind of bird. Every bird can fly. Flomp is a wuzzle.\n\n"
    requests = [ScoreRequest(corpus + "Flomp can", " fly."), ScoreRequest(corpus + "Flomp can", " swim."),
                ScoreRequest(corpus + "The cat", "s are asleep.")]
    got = gemma.score(requests, shared_prefix=corpus)
    expected = naive_scores(gemma.model, gemma.tokenizer, gemma.device, gemma.start_id, requests)
    for g, e in zip(got, expected, strict=True):
        assert g.tokens == e.tokens
        assert math.isclose(g.logprob, e.logprob, rel_tol=1e-4, abs_tol=1e-5), (g, e)
    assert got[0].logprob > got[1].logprob  # the corpus says birds fly


def test_generate_returns_text(gemma):
    (text,) = gemma.generate(["The capital of France is"], max_tokens=12)
    assert isinstance(text, str) and text.strip()
    assert "\n" not in text  # cut at the default stop
    again = gemma.generate(["The capital of France is", "One, two, three,"], max_tokens=12)
    assert again[0] == text and len(again) == 2  # greedy: deterministic


def test_generation_stopped_at_a_stop_string_is_the_full_generation_cut_there(gemma):
    """Generation ends once a stop string is written (no tokens spent after it); the text is
    what the whole generation, cut at the stop, would be."""
    prompts = ["Sentence: All glon are yomp.\nRephrasings and reversals:\n", "One, two, three,"]
    stopped = gemma.generate(prompts, max_tokens=48, stop=("\n",))
    full = gemma.generate(prompts, max_tokens=48, stop=())
    assert stopped == [cut_at_stop(text, ("\n",)) for text in full]
    assert any(len(s) < len(f) for s, f in zip(stopped, full, strict=True))  # a stop was reached


def test_greedy_prompts_generated_together_read_as_generated_alone(gemma):
    """Left-padded batches give each prompt the text it gets alone (prompts of other lengths)."""
    prompts = ["Sentence: All glon are yomp.\nRephrasings and reversals:\n", "One, two,",
               "Femp is more dangerous than glon. Glon is more dangerous than yomp. So femp is"]
    together = gemma.generate(prompts, max_tokens=16, stop=("\n\n",))
    assert together == [gemma.generate([prompt], max_tokens=16, stop=("\n\n",))[0] for prompt in prompts]
    assert all(text.strip() for text in together)


def test_count_tokens(gemma):
    assert gemma.count_tokens("") == 0
    short = gemma.count_tokens("Hello world")
    assert 1 <= short <= 4
    long = gemma.count_tokens("Hello world. " * 50)
    assert 50 <= long <= 200
    assert gemma.count_tokens("Hello world") == len(gemma.tokenizer("Hello world", add_special_tokens=False)["input_ids"])


def test_loading_an_adapter_warns_of_no_deprecated_api(gemma, tmp_path):
    """A LoRA adapter directory (what `finetune` writes) loads onto its base and merges without
    a library deprecation warning; the merged model's scores equal those of the wrapped one."""
    import warnings

    import torch
    import transformers
    from peft import LoraConfig, get_peft_model

    from kgsynth.models.local import load_pretrained

    torch.manual_seed(0)
    config = transformers.Gemma3TextConfig(vocab_size=len(gemma.tokenizer), hidden_size=16, intermediate_size=32,
                                           num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                                           head_dim=8, max_position_embeddings=64)
    base_dir, adapter_dir = tmp_path / "base", tmp_path / "adapter"
    transformers.Gemma3ForCausalLM(config).save_pretrained(base_dir)
    gemma.tokenizer.save_pretrained(adapter_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # making the adapter is not what is tested
        wrapped = get_peft_model(transformers.Gemma3ForCausalLM.from_pretrained(base_dir),
                                 LoraConfig(r=2, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    wrapped.save_pretrained(adapter_dir)
    settings = json.loads((adapter_dir / "adapter_config.json").read_text())
    (adapter_dir / "adapter_config.json").write_text(json.dumps({**settings, "base_model_name_or_path": str(base_dir)}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        merged, _ = load_pretrained(adapter_dir, device="cpu", dtype="float32")
    deprecations = [str(w.message) for w in caught if issubclass(w.category, (DeprecationWarning, FutureWarning))]
    assert deprecations == []
    ids = torch.tensor([[2, 10, 11, 12]])
    with torch.no_grad():
        assert torch.allclose(merged(input_ids=ids).logits, wrapped.eval()(input_ids=ids).logits, atol=1e-4)


# --- the cache of converted checkpoints, without the real model ---------------------------


def small_checkpoint(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text('{"model_type": "tiny"}')
    (directory / "model.safetensors").write_bytes(bytes(range(256)) * 40)
    (directory / "tokenizer.json").write_text('{"vocab": ["a", "b"]}')
    return directory


def test_a_tokenizer_is_read_once_per_process_for_the_same_files(tmp_path):
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    from kgsynth.models import local

    def saved(name: str, words: list[str]) -> Path:
        vocabulary = {w: i for i, w in enumerate(["<unk>", *words])}
        tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocabulary, unk_token="<unk>"))
        tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
        transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>").save_pretrained(tmp_path / name)
        return tmp_path / name

    first = local.load_tokenizer(transformers, saved("a", ["tizov", "kwap"]))
    assert local.load_tokenizer(transformers, saved("b", ["tizov", "kwap"])) is first  # same files: not read again
    other = local.load_tokenizer(transformers, saved("c", ["glon"]))
    assert other is not first and other.convert_tokens_to_ids("glon") == 1
    changed = saved("a", ["kwap", "tizov"])  # the files rewritten in place: read anew
    assert local.load_tokenizer(transformers, changed).convert_tokens_to_ids("tizov") == 2
    for k in range(6):
        local.load_tokenizer(transformers, saved(f"more-{k}", [f"word{k}"]))
    assert len(local.TOKENIZERS) <= 4


def test_is_complete_needs_the_marker(tmp_path):
    directory = small_checkpoint(tmp_path / "ckpt")
    assert not embedded.is_complete(directory)
    assert not embedded.is_complete(tmp_path / "absent")
    embedded.write_marker(directory)
    assert embedded.is_complete(directory)
    marker = json.loads((directory / embedded.MARKER).read_text())
    assert set(marker["files"]) == {"config.json", "model.safetensors", "tokenizer.json"}


def test_truncated_file_is_incomplete(tmp_path):
    directory = small_checkpoint(tmp_path / "ckpt")
    embedded.write_marker(directory)
    weights = directory / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1])
    assert not embedded.is_complete(directory)


def test_changed_byte_is_incomplete(tmp_path):
    directory = small_checkpoint(tmp_path / "ckpt")
    embedded.write_marker(directory)
    weights = directory / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[1000] ^= 0xFF
    weights.write_bytes(bytes(data))  # same size, different bytes
    assert not embedded.is_complete(directory)


def test_missing_file_or_bad_marker_is_incomplete(tmp_path):
    directory = small_checkpoint(tmp_path / "ckpt")
    embedded.write_marker(directory)
    (directory / "tokenizer.json").unlink()
    assert not embedded.is_complete(directory)
    other = small_checkpoint(tmp_path / "other")
    (other / embedded.MARKER).write_text('{"files": ')
    assert not embedded.is_complete(other)
    (other / embedded.MARKER).write_text('{"files": {}}')
    assert not embedded.is_complete(other)


@pytest.fixture
def fake_conversion(tmp_path, monkeypatch):
    """KGSYNTH_CACHE in tmp_path and a convert_gguf that writes small files; returns its calls."""
    monkeypatch.setenv("KGSYNTH_CACHE", str(tmp_path / "cache"))
    calls: list[tuple[Path, Path]] = []

    def convert(gguf: Path, out: Path) -> None:
        calls.append((gguf, out))
        small_checkpoint(out)

    monkeypatch.setattr(embedded, "convert_gguf", convert)
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF fake")
    return calls, gguf


def test_converted_converts_once_and_reuses(fake_conversion, tmp_path):
    calls, gguf = fake_conversion
    messages: list[str] = []
    target = embedded.converted("tiny", gguf, messages.append)
    assert target == tmp_path / "cache" / "models" / "tiny"
    assert embedded.is_complete(target) and len(calls) == 1 and len(messages) == 1
    assert calls[0][0] == gguf and calls[0][1] != target  # converted into a staging directory
    again = embedded.converted("tiny", gguf, messages.append)
    assert again == target and len(calls) == 1 and len(messages) == 1
    assert sorted(p.name for p in target.parent.iterdir()) == ["tiny"]  # no staging left behind


def test_converted_rebuilds_a_corrupt_cache(fake_conversion):
    calls, gguf = fake_conversion
    target = embedded.converted("tiny", gguf, lambda _: None)
    weights = target / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # a crash mid-copy, say
    assert embedded.converted("tiny", gguf, lambda _: None) == target
    assert len(calls) == 2 and embedded.is_complete(target)
    assert embedded.converted("tiny", gguf, lambda _: None) == target and len(calls) == 2


def test_converted_rebuilds_a_cache_without_marker(fake_conversion, tmp_path):
    calls, gguf = fake_conversion
    partial = small_checkpoint(tmp_path / "cache" / "models" / "tiny")
    (partial / "leftover.bin").write_bytes(b"x")
    target = embedded.converted("tiny", gguf, lambda _: None)
    assert target == partial and len(calls) == 1 and embedded.is_complete(target)
    assert not (target / "leftover.bin").exists()


def test_failed_conversion_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("KGSYNTH_CACHE", str(tmp_path / "cache"))

    def broken(gguf: Path, out: Path) -> None:
        (out / "model.safetensors").write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(embedded, "convert_gguf", broken)
    with pytest.raises(OSError, match="disk full"):
        embedded.converted("tiny", tmp_path / "tiny.gguf", lambda _: None)
    models = tmp_path / "cache" / "models"
    assert list(models.iterdir()) == []


def test_gguf_path_is_converted_under_a_name_with_its_digest(fake_conversion, tmp_path):
    from kgsynth.models.local import resolve_checkpoint

    calls, gguf = fake_conversion
    target = resolve_checkpoint(str(gguf), progress=lambda _: None)
    assert target.name == f"gguf-tiny-{embedded.file_digest(gguf)[:12]}" and len(calls) == 1
    assert resolve_checkpoint(str(gguf), progress=lambda _: None) == target and len(calls) == 1


# --- model specs that cannot work -------------------------------------------------------------


def test_unknown_model_kind():
    with pytest.raises(KgsynthError, match=r"unknown model 'nope': use local, local:PATH, local:smollm2 or gemini:NAME"):
        load_model("nope")


def test_missing_model_directory():
    expected = r"not a transformers model directory \(no config.json or adapter_config.json\): /no/such/dir"
    with pytest.raises(KgsynthError, match=expected):
        load_model("local:/no/such/dir")


def test_missing_gguf_file():
    with pytest.raises(KgsynthError, match=r"model file not found: /no/such/model.gguf"):
        load_model("local:/no/such/model.gguf")
