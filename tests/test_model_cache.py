"""The cache of converted checkpoints is verified by full sha256, trusted without reading
only while a file's stat (size, mtime, ctime, inode) is the one recorded; and a model that
still yields NaN log-probabilities is an error, never a score.

Regression tests for "Corrupt model cache undetected": the check used to hash the size and
the first and last 4 MiB, so 8 MiB overwritten in the middle of the weights passed, every
log-probability was NaN and NaN was written into results.jsonl.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import pytest

from kgsynth.errors import KgsynthError
from kgsynth.models import embedded

MIB = 1 << 20


def big_checkpoint(directory: Path, size: int = 20 * MIB) -> Path:
    """A checkpoint-like directory whose weights are larger than the two 4 MiB ends."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text('{"model_type": "tiny"}')
    (directory / "model.safetensors").write_bytes(os.urandom(size))
    return directory


def overwrite_middle(path: Path, length: int = 8 * MIB, byte: int = 0xFF) -> None:
    """`length` bytes overwritten in place in the middle of `path`: same size, same inode."""
    time.sleep(0.05)  # past the clock tick of the last write, as any later corruption is
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek((size - length) // 2)
        handle.write(bytes([byte]) * length)


@pytest.fixture
def hashes(monkeypatch) -> list[str]:
    """The names of the files embedded.file_digest reads, in order."""
    seen: list[str] = []
    original = embedded.file_digest

    def counting(path: Path) -> str:
        seen.append(Path(path).name)
        return original(path)

    monkeypatch.setattr(embedded, "file_digest", counting)
    return seen


@pytest.fixture
def settled(monkeypatch):
    """Files count as settled at once (normally a file changed in the last seconds is
    verified by content, since timestamps are coarse); the tests write and check at once."""
    monkeypatch.setattr(embedded, "RACY_NS", 0)


def test_the_marker_records_full_sha256_and_stat(tmp_path, settled):
    directory = big_checkpoint(tmp_path / "ckpt", size=9 * MIB)
    embedded.write_marker(directory)
    files = json.loads((directory / embedded.MARKER).read_text())["files"]
    weights = directory / "model.safetensors"
    info = weights.stat()
    assert files["model.safetensors"]["sha256"] == embedded.file_digest(weights)
    assert files["model.safetensors"]["stat"] == [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
    assert embedded.MARKER not in files


def test_an_overwrite_in_the_middle_is_caught(tmp_path, settled):
    directory = big_checkpoint(tmp_path / "ckpt")
    embedded.write_marker(directory)
    assert embedded.is_complete(directory)
    overwrite_middle(directory / "model.safetensors")  # the first and last 4 MiB are untouched
    assert embedded.problem(directory) == "model.safetensors does not match its sha256"
    assert not embedded.is_complete(directory)


def test_a_few_bytes_changed_in_the_middle_are_caught_even_with_mtime_put_back(tmp_path, settled):
    directory = big_checkpoint(tmp_path / "ckpt", size=12 * MIB)
    embedded.write_marker(directory)
    weights = directory / "model.safetensors"
    before = weights.stat()
    overwrite_middle(weights, length=4, byte=0x7F)
    os.utime(weights, ns=(before.st_atime_ns, before.st_mtime_ns))  # mtime can be put back; ctime cannot
    assert not embedded.is_complete(directory)


def test_an_intact_cache_is_trusted_by_stat_without_reading_it(tmp_path, settled, hashes):
    directory = big_checkpoint(tmp_path / "ckpt")
    embedded.write_marker(directory)
    hashes.clear()
    assert embedded.is_complete(directory) and embedded.is_complete(directory)
    assert hashes == []


def test_a_file_changed_seconds_before_its_marker_is_verified_by_content(tmp_path, hashes):
    directory = big_checkpoint(tmp_path / "ckpt", size=MIB)
    embedded.write_marker(directory)  # just written: its timestamps could miss a change in the same tick
    files = json.loads((directory / embedded.MARKER).read_text())["files"]
    assert all(entry["stat"] is None for entry in files.values())
    hashes.clear()
    assert embedded.is_complete(directory)
    assert sorted(hashes) == ["config.json", "model.safetensors"]


def test_a_copied_cache_is_verified_once_then_trusted(tmp_path, settled, hashes):
    import shutil

    directory = big_checkpoint(tmp_path / "ckpt")
    embedded.write_marker(directory)
    copy = tmp_path / "copy"
    shutil.copytree(directory, copy)  # new inodes and ctimes: the recorded stat no longer holds
    hashes.clear()
    assert embedded.is_complete(copy)
    assert sorted(hashes) == ["config.json", "model.safetensors"]  # verified in full, the marker rewritten
    hashes.clear()
    assert embedded.is_complete(copy) and hashes == []


def legacy_marker(directory: Path) -> None:
    """The marker written before full checksums: [size, sha256 of size + first and last 4 MiB]."""
    files = {p.name: [p.stat().st_size, embedded.sampled_digest(p)] for p in sorted(directory.iterdir())}
    (directory / embedded.MARKER).write_text(json.dumps({"files": files}, indent=2))


def test_a_marker_without_stat_is_verified_once_and_upgraded(tmp_path, settled, hashes):
    directory = big_checkpoint(tmp_path / "ckpt")
    legacy_marker(directory)
    assert embedded.is_complete(directory)
    assert sorted(hashes) == ["config.json", "model.safetensors"]
    files = json.loads((directory / embedded.MARKER).read_text())["files"]
    assert files["model.safetensors"]["sha256"] == embedded.file_digest(directory / "model.safetensors")
    assert files["model.safetensors"]["stat"] is not None
    hashes.clear()
    assert embedded.is_complete(directory) and hashes == []


def test_a_marker_without_stat_still_catches_what_it_recorded(tmp_path, settled):
    directory = big_checkpoint(tmp_path / "ckpt")
    legacy_marker(directory)
    weights = directory / "model.safetensors"
    with weights.open("r+b") as handle:
        handle.write(b"\0" * 16)  # the head: within the sampled 4 MiB
    assert not embedded.is_complete(directory)


def test_a_read_only_cache_is_still_usable(tmp_path, settled, monkeypatch):
    directory = big_checkpoint(tmp_path / "ckpt", size=MIB)
    legacy_marker(directory)

    def refuse(path, content):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(embedded, "write_atomic", refuse)
    assert embedded.is_complete(directory)  # verified; the upgrade of the marker waits for a writable cache


@pytest.fixture
def fake_conversion(tmp_path, monkeypatch):
    """KGSYNTH_CACHE in tmp_path and a convert_gguf that writes a 20 MiB checkpoint."""
    monkeypatch.setenv("KGSYNTH_CACHE", str(tmp_path / "cache"))
    calls: list[Path] = []

    def convert(gguf: Path, out: Path) -> None:
        calls.append(out)
        big_checkpoint(out)

    monkeypatch.setattr(embedded, "convert_gguf", convert)
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF fake")
    return calls, gguf


def test_a_corrupt_cache_is_converted_again_with_one_line(fake_conversion, settled):
    calls, gguf = fake_conversion
    said: list[str] = []
    target = embedded.converted("tiny", gguf, said.append)
    overwrite_middle(target / "model.safetensors")
    said.clear()
    assert embedded.converted("tiny", gguf, said.append) == target
    assert len(calls) == 2 and embedded.is_complete(target)
    assert "corrupt" in said[0] and "model.safetensors does not match its sha256" in said[0]
    assert all("\n" not in line for line in said)


def test_the_gguf_is_located_only_when_a_conversion_is_needed(fake_conversion, settled):
    calls, gguf = fake_conversion
    located: list[int] = []

    def locate() -> Path:
        located.append(1)
        return gguf

    target = embedded.converted("tiny", locate, lambda _: None)
    assert embedded.converted("tiny", locate, lambda _: None) == target
    assert len(located) == len(calls) == 1


# --- a tiny real Gemma 3, through load_model("local") ---------------------------------------

WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "fast", "slow", ".", "blicket", "wug"]


def tiny_gemma(out: Path, vocab: int = 49_152) -> None:
    """A random Gemma 3 whose weights (mostly a 12 MiB embedding) outgrow the 4 MiB ends,
    with a word-level tokenizer; what save_pretrained writes, as the conversion does."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers import models, pre_tokenizers

    tok = tokenizers.Tokenizer(models.WordLevel({w: i for i, w in enumerate(["<pad>", "<bos>", "<eos>", "<unk>",
                                                                               *WORDS])}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>",
                                                     pad_token="<pad>", unk_token="<unk>")
    torch.manual_seed(0)
    config = transformers.Gemma3TextConfig(
        vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=1, head_dim=32, sliding_window=8, layer_types=["sliding_attention", "full_attention"],
        max_position_embeddings=256, bos_token_id=1, eos_token_id=2, pad_token_id=0)
    transformers.Gemma3ForCausalLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)


def nan_middle(path: Path) -> None:
    """8 MiB of 0xFF bytes (float32 NaN) in the middle of a safetensors file."""
    overwrite_middle(path, length=8 * MIB, byte=0xFF)


@pytest.fixture
def tiny_embedded(tmp_path, monkeypatch):
    """`load_model("local")` converts to the tiny Gemma; returns the conversions made."""
    monkeypatch.setenv("KGSYNTH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(embedded, "EMBEDDED", "tiny-gemma")
    monkeypatch.setattr(embedded, "embedded_gguf", lambda: tmp_path / "tiny.gguf")
    calls: list[Path] = []

    def convert(gguf: Path, out: Path) -> None:
        calls.append(out)
        tiny_gemma(out)

    monkeypatch.setattr(embedded, "convert_gguf", convert)
    return calls


def test_the_loader_rebuilds_nan_weights_instead_of_scoring_them(tiny_embedded, settled, capsys):
    from kgsynth.models import ScoreRequest, load_model

    first = load_model("local", device="cpu")
    assert first.name == "local:tiny-gemma" and len(tiny_embedded) == 1
    request = [ScoreRequest("the cat sat on the", " mat .")]
    expected = [round(s.logprob, 4) for s in first.score(request)]
    assert all(math.isfinite(lp) for lp in expected)
    nan_middle(first.checkpoint / "model.safetensors")
    capsys.readouterr()
    again = load_model("local", device="cpu")
    said = capsys.readouterr().out.strip().splitlines()
    assert len(tiny_embedded) == 2
    assert any("corrupt" in line and "converting" in line for line in said)
    assert [round(s.logprob, 4) for s in again.score(request)] == expected


@pytest.mark.parametrize("context", ["the cat sat on the", " ".join(WORDS * 8)], ids=["flat", "grouped"])
def test_nan_log_probabilities_are_an_error_not_a_score(tmp_path, context):
    from kgsynth.models import ScoreRequest
    from kgsynth.models.local import LocalModel, load_pretrained

    tiny_gemma(tmp_path / "ckpt", vocab=64)
    import torch

    model, tokenizer = load_pretrained(tmp_path / "ckpt", "cpu", "float32")
    with torch.no_grad():
        model.get_input_embeddings().weight.fill_(float("nan"))  # weights corrupt past every check
    local = LocalModel(model, tokenizer, "local:ckpt")
    with pytest.raises(KgsynthError, match=r"NaN log-probabilities: its weights may be corrupt") as error:
        local.score([ScoreRequest(context, " mat ."), ScoreRequest(context, " dog .")])
    assert "\n" not in str(error.value)
