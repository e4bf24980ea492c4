"""The dataset card synth writes (README.md): Hugging Face `datasets` reads its configs and
features (every items split, the documents, the training text), its provenance names the
ontology's sha256, the seed and the version, and its bytes are deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kgsynth
from kgsynth.data.card import Provenance, dataset_card, merge, records_feature
from kgsynth.data.synth import synthesize
from kgsynth.files import file_sha256
from kgsynth.resources import ontology_path

datasets = pytest.importorskip("datasets")


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("card")
    synthesize("simple_reversals", 0, root / "reversals")
    synthesize("syllogisms", 2, root / "syllogisms", syllogisms=12)
    return {"reversals": root / "reversals", "syllogisms": root / "syllogisms"}


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("name", ["reversals", "syllogisms"])
def test_load_dataset_items_gives_every_split_as_written(made, name, tmp_path):
    data = made[name]
    loaded = datasets.load_dataset(str(data), "items", cache_dir=str(tmp_path))
    files = sorted((data / "items").glob("*.jsonl"))
    assert sorted(loaded) == [f.stem for f in files]
    for file in files:
        written = lines(file)
        rows = loaded[file.stem]
        assert len(rows) == len(written)
        for row, record in zip(rows, written, strict=True):
            assert {k: row[k] for k in ("id", "prompt", "options", "answer", "verdicts")} == \
                {k: record[k] for k in ("id", "prompt", "options", "answer", "verdicts")}
            assert row["derivation"]["rule"] == record["derivation"]["rule"]


def test_the_default_config_is_the_training_text_and_documents_load_too(made, tmp_path):
    data = made["syllogisms"]
    train = datasets.load_dataset(str(data), cache_dir=str(tmp_path))
    assert list(train) == ["train"] and len(train["train"]) == len(lines(data / "train.jsonl"))
    documents = datasets.load_dataset(str(data), "documents", split="train", cache_dir=str(tmp_path))
    assert documents["text"] == [d["text"] for d in lines(data / "documents.jsonl")]


def test_the_card_says_how_the_dataset_was_made(made):
    card = (made["syllogisms"] / "README.md").read_text()
    ontology = ontology_path("syllogisms")
    assert card.startswith("---\nlicense: apache-2.0\n")
    assert f"sha256 `{file_sha256(ontology)}`" in card
    assert "- seed: 2; task settings: syllogisms=12" in card
    assert f"kgsynth version: {kgsynth.__version__}" in card
    assert "| `syllogism` | 12 | `items/syllogism.jsonl` |" in card


def test_the_card_is_deterministic_listed_in_the_manifest_and_the_rest_unchanged(made, tmp_path):
    synthesize("simple_reversals", 0, tmp_path / "again")
    first, again = made["reversals"], tmp_path / "again"
    names = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(again).as_posix() for p in again.rglob("*") if p.is_file())
    assert all((first / n).read_bytes() == (again / n).read_bytes() for n in names)
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["outputs"]["README.md"] == file_sha256(first / "README.md")
    assert kgsynth.load_dataset(first).splits() == ["rephrased", "reversal"]  # the manifest's hashes check out


def test_a_users_own_ontology_has_no_license_claimed(tmp_path):
    own = tmp_path / "mine.ttl"
    own.write_text(ontology_path("syllogisms").read_text() + "\n# my own copy\n")
    synthesize(own, 0, tmp_path / "data", syllogisms=3)
    card = (tmp_path / "data" / "README.md").read_text()
    assert card.startswith("---\nlicense: unknown\n") and "`mine.ttl`" in card


def test_features_are_merged_as_pyarrow_reads_json():
    feature = records_feature([{"a": 1, "b": None, "c": [{"x": "s"}]}, {"a": 2.5, "b": {"y": True}, "c": []}])
    assert feature == ("struct", {"a": ("value", "float64"), "b": ("struct", {"y": ("value", "bool")}),
                                  "c": ("list", ("struct", {"x": ("value", "string")}))})
    with pytest.raises(ValueError, match="disagree"):
        merge(("value", "string"), ("value", "int64"))


def test_card_of_files_alone():
    files = {"documents.jsonl": b'{"id": "d1", "text": "Glon is a yomp."}\n', "train.jsonl": b'{"text": "t"}\n',
             "items/b.jsonl": b'{"id": "i1", "answer": 0}\n', "items/a.jsonl": b""}
    card = dataset_card(files, Provenance("o.ttl", "0" * 64, 7, False)).decode()
    assert "  - split: a\n    path: items/a.jsonl\n  - split: b\n    path: items/b.jsonl\n" in card
    assert "  - name: b\n    num_bytes: 26\n    num_examples: 1\n" in card
