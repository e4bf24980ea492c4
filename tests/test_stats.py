"""kgsynth.data.stats and dataset.verify_outputs: `stats` and `load_dataset` read a dataset
only as `synth` wrote it; a file deleted, edited or added under items/ is named, not skipped."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import kgsynth
from kgsynth.data.dataset import verify_outputs
from kgsynth.data.stats import dataset_stats
from kgsynth.data.synth import synthesize
from kgsynth.errors import KgsynthError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("stats") / "sr"
    synthesize("simple_reversals", 0, out, facts=20)
    return out


@pytest.fixture
def data(written, tmp_path) -> Path:
    """A copy of the dataset this test may damage."""
    return Path(shutil.copytree(written, tmp_path / "sr"))


def manifest_of(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text())


def test_stats_of_an_intact_dataset_show_every_split(data):
    figures = dataset_stats(data)
    assert sorted(figures["splits"]) == ["rephrased", "reversal"]
    assert figures["documents"] == len((data / "documents.jsonl").read_text().splitlines())
    verify_outputs(data, manifest_of(data))  # nothing to say


def test_a_deleted_split_is_named_not_left_out(data):
    """The report: a deleted items/reversal.jsonl silently showed one split fewer."""
    (data / "items" / "reversal.jsonl").unlink()
    expected = f"{data / 'items' / 'reversal.jsonl'} is missing (listed in manifest.json): synthesize again"
    with pytest.raises(KgsynthError) as stats_error:
        dataset_stats(data)
    assert str(stats_error.value) == expected
    with pytest.raises(KgsynthError) as load_error:
        kgsynth.load_dataset(data)
    assert str(load_error.value) == expected


@pytest.mark.parametrize("name", ["documents.jsonl", "items/rephrased.jsonl", "kb.ttl", "ontology.ttl"])
def test_one_byte_edited_is_refused(data, name):
    path = data / name
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0x01  # one bit of one byte
    path.write_bytes(bytes(content))
    expected = f"{path} has changed since synth wrote it (its sha256 differs from manifest.json): synthesize again"
    for read in (dataset_stats, kgsynth.load_dataset):
        with pytest.raises(KgsynthError, match=f"^{re.escape(expected)}$"):
            read(data)


def test_an_items_file_the_manifest_does_not_list_is_refused(data):
    shutil.copy(data / "items" / "reversal.jsonl", data / "items" / "mine.jsonl")
    expected = f"{data / 'items' / 'mine.jsonl'} is not listed in manifest.json"
    for read in (dataset_stats, kgsynth.load_dataset):
        with pytest.raises(KgsynthError, match=f"^{re.escape(expected)}"):
            read(data)


def test_a_manifest_without_outputs_or_with_a_path_outside_is_refused(data, tmp_path):
    manifest = manifest_of(data)
    del manifest["outputs"]
    (data / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(KgsynthError, match=r"manifest.json has no outputs: .*synthesize again"):
        dataset_stats(data)
    (tmp_path / "secret").write_text("not the dataset's")
    manifest["outputs"] = {"../secret": "0" * 64}
    with pytest.raises(KgsynthError, match=r"lists '../secret', outside the directory"):
        verify_outputs(data, manifest)


def test_not_a_dataset_directory(tmp_path):
    with pytest.raises(KgsynthError, match="dataset directory not found"):
        dataset_stats(tmp_path / "nowhere")
    with pytest.raises(KgsynthError, match="manifest.json is missing"):
        dataset_stats(tmp_path)


def test_the_stats_command_names_the_missing_file_on_one_line(data):
    (data / "items" / "reversal.jsonl").unlink()
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "stats", str(data)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"kgsynth: error: {data / 'items' / 'reversal.jsonl'} is missing "
                                        "(listed in manifest.json): synthesize again"]
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_an_empty_split_shows_dashes_not_minus_one(written):
    """An empty split (an older synth wrote them) has no mean: '–', not 'distractors -1.00'."""
    from rich.console import Console

    from kgsynth.data.stats import show_stats

    figures = dataset_stats(written)
    figures["splits"]["reversal"] = {"items": 0, "options_mean": 0.0, "chance": 0.0, "hops_mean": 0.0}
    console = Console(record=True, width=200)
    show_stats(figures, "t", console)
    row = next(line for line in console.export_text().splitlines() if "reversal" in line)
    assert "-1.00" not in row and row.count("–") == 4
