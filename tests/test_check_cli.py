"""`python cli.py check` and `stats` as a user runs them (subprocesses from the repository root),
on premises and on a `synth` output; the output loads with Hugging Face `datasets` when installed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from helpers import SYNTH_SEED

from kgsynth.logic.statement import Statement
from kgsynth.text.check import MAX_WORDS
from kgsynth.text.lexicon import plural

ROOT = Path(__file__).resolve().parent.parent
VERDICTS = {"entailed", "contradicted", "unknown"}
PREMISES = ["--premise", "All glon are yomp.", "--premise", "All troff are glon."]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "cli.py", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=180)


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def assert_user_error(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kgsynth: error: "), result.stderr


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("synth") / "semantic_structure"
    result = cli("synth", "--ontology", ROOT / "ontologies" / "semantic_structure.ttl", "--seed", SYNTH_SEED,
                 "--out", directory)
    assert result.returncode == 0, result.stderr
    return directory


@pytest.fixture(scope="module")
def words(out: Path) -> dict[str, str]:
    labels = json.loads((out / "lexicon.json").read_text())["labels"]
    return {label: labels[label] for label in ("dog", "mammal", "fur")}


# --- check with premises -----------------------------------------------------------------


def test_check_premises_entailed() -> None:
    result = cli("check", *PREMISES, "All troff are yomp.")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.split()[0] == "entailed" and "All troff are yomp." in first
    assert "All glon are yomp." in result.stdout and "All troff are glon." in result.stdout  # the derivation


def test_check_premises_json_one_object_per_claim() -> None:
    claims = ["All troff are yomp.", "No troff are yomp.", "All yomp are troff."]
    result = cli("check", "--json", *PREMISES, *claims)
    assert result.returncode == 0, result.stderr
    records = json_lines(result.stdout)
    assert [r["claim"] for r in records] == claims
    for record in records:
        assert {"claim", "verdict", "derivation"} <= set(record)
        assert record["verdict"] in VERDICTS
    entailed, contradicted, unknown = records
    assert entailed["verdict"] == "entailed"
    assert sorted(entailed["premise_sentences"]) == ["All glon are yomp.", "All troff are glon."]
    assert [Statement.from_json(p) for p in entailed["derivation"]["premises"]]  # as the oracle serializes it
    assert entailed["derivation"]["rule"] == "categorical"
    assert contradicted["verdict"] == "contradicted"
    assert contradicted["derivation"]["premises"] and contradicted["premise_sentences"]
    assert unknown["verdict"] == "unknown"
    assert unknown["derivation"] is None and unknown["premise_sentences"] == []


def test_check_premises_some_conclusion_with_existential_import() -> None:
    result = cli("check", "--json", *PREMISES, "Some yomp are troff.", "Some troff are not yomp.")
    assert result.returncode == 0, result.stderr
    assert [r["verdict"] for r in json_lines(result.stdout)] == ["entailed", "contradicted"]


def test_check_unparseable_claim_is_a_user_error() -> None:
    result = cli("check", *PREMISES, "All troff are")
    assert_user_error(result)
    assert "All troff are" in result.stderr
    assert result.stdout == ""


def test_check_refuses_a_960_word_claim_at_once() -> None:
    """It parsed for 99 s and 1.2 GB; a sentence over MAX_WORDS words is refused before parsing."""
    claim = " ".join(["glon is a"] * 320) + "."
    start = time.perf_counter()
    result = cli("check", "--premise", "All glon are yomp.", claim)
    assert time.perf_counter() - start < 10  # the interpreter starting; the refusal itself is instant
    assert_user_error(result)
    assert f"has 960 words; a sentence may have at most {MAX_WORDS} words" in result.stderr
    assert result.stdout == ""


def test_check_missing_kb_is_a_user_error(tmp_path: Path) -> None:
    assert_user_error(cli("check", "--kb", tmp_path / "nothing", "All glon are yomp."))


# --- check against a synthesized KB ------------------------------------------------------


def test_check_kb_inherited_facts(out: Path, words: dict[str, str]) -> None:
    dogs, mammals = plural(words["dog"]), plural(words["mammal"])
    claims = [
        f"{dogs.title()} are {mammals}.",  # dog < canine < mammal
        f"{dogs.title()} have {words['fur']}.",  # canines have fur, so dogs do
        f"No {dogs} are {mammals}.",
        f"{mammals.title()} are {dogs}.",
    ]
    result = cli("check", "--json", "--kb", out, *claims)
    assert result.returncode == 0, result.stderr
    isa, has, no, converse = json_lines(result.stdout)
    assert [r["claim"] for r in (isa, has, no, converse)] == claims
    assert isa["verdict"] == "entailed"
    assert isa["derivation"]["hops"] >= 1 and len(isa["derivation"]["premises"]) >= 2
    assert len(isa["premise_sentences"]) == len(isa["derivation"]["premises"])
    assert isa["derivation"]["rule"] != "asserted"
    assert has["verdict"] == "entailed"
    assert has["derivation"]["rule"] != "asserted" and has["derivation"]["premises"]
    assert words["fur"] in " ".join(has["premise_sentences"]).lower()
    assert no["verdict"] == "contradicted"
    assert converse["verdict"] in ("unknown", "contradicted")
    assert converse["verdict"] != "entailed"


def test_check_kb_text_output(out: Path, words: dict[str, str]) -> None:
    claim = f"{plural(words['dog']).title()} are {plural(words['mammal'])}."
    result = cli("check", "--kb", out, claim)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[0] == "entailed" and claim in lines[0]
    assert any(line.strip().startswith("by ") for line in lines[1:])


def test_check_kb_asserted_fact_is_a_complete_sentence(out: Path) -> None:
    documents = [json.loads(line) for line in (out / "documents.jsonl").read_text().splitlines()[:5]]
    claims = [sentence["text"] for document in documents for sentence in document["sentences"]]
    judged = json_lines(cli("check", "--json", "--kb", out, *claims).stdout)
    asserted = next(j["claim"] for j in judged if (j["derivation"] or {}).get("rule") == "asserted")
    result = cli("check", "--kb", out, asserted)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[0] == "entailed"
    assert lines[1:] == ["  asserted: one of the knowledge base's own facts"]


def test_check_kb_unparseable_claim_is_a_user_error(out: Path) -> None:
    result = cli("check", "--kb", out, "Blorptastic wibbles are very zonky.")
    assert_user_error(result)


# --- stats and the written files ---------------------------------------------------------


def test_stats_prints_documents_and_every_split(out: Path) -> None:
    splits = sorted(p.stem for p in (out / "items").glob("*.jsonl"))
    assert splits == ["category_holdout", "multihop", "rephrased", "reversal", "syllogism"]
    result = cli("stats", out)
    assert result.returncode == 0, result.stderr
    assert "documents" in result.stdout and "2,200" in result.stdout
    missing = [split for split in splits if split not in result.stdout]
    assert not missing, f"splits not shown: {missing}\n{result.stdout}"


def test_stats_of_a_missing_directory_is_a_user_error(tmp_path: Path) -> None:
    assert_user_error(cli("stats", tmp_path / "nothing"))


def test_written_train_jsonl_has_three_shapes(out: Path) -> None:
    documents = [json.loads(line) for line in (out / "documents.jsonl").read_text().splitlines()]
    records = [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]
    shapes = Counter(r["shape"] for r in records)
    sentences = sum(len(d["sentences"]) for d in documents)
    assert shapes == {"documents": len(documents), "independent": sentences, "cumulative": sentences}


def test_written_documents_match_the_in_process_build(out: Path, synthesized) -> None:
    written = [json.loads(line) for line in (out / "documents.jsonl").read_text().splitlines()]
    built = synthesized("semantic_structure").corpus.documents
    assert written == [json.loads(json.dumps(d.to_json())) for d in built]


def test_loads_with_hugging_face_datasets(out: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    cache = str(tmp_path / "hf-cache")  # not the user's ~/.cache
    train = datasets.load_dataset("json", data_files=str(out / "train.jsonl"), split="train", cache_dir=cache)
    lines = (out / "train.jsonl").read_text().splitlines()
    assert train.num_rows == len(lines)
    assert {"shape", "text", "context", "doc_id"} <= set(train.column_names)
    for path in sorted((out / "items").glob("*.jsonl")):
        items = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=cache)
        assert items.num_rows == len(path.read_text().splitlines()), path.name
        assert {"prompt", "options", "answer", "statements", "verdicts"} <= set(items.column_names)
