"""End-to-end tests of `python cli.py synth`, run as a subprocess from the repository root."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import rdflib

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGIES = ROOT / "ontologies"
ONTOLOGY_NAMES = sorted(p.stem for p in ONTOLOGIES.glob("*.ttl"))
OUTPUTS = ("kb.ttl", "closure.ttl", "derivations.jsonl", "manifest.json")
SEED = 7


def version() -> str:
    text = (ROOT / "src" / "kgsynth" / "__init__.py").read_text(encoding="utf-8")
    return next(line.split('"')[1] for line in text.splitlines() if line.startswith("__version__"))


def cli(*args: str, hash_seed: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("PYTHONHASHSEED", None)
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = hash_seed
    return subprocess.run(
        [sys.executable, "cli.py", *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def synth(ontology: Path, out: Path, seed: int = SEED, hash_seed: str | None = None) -> subprocess.CompletedProcess:
    return cli("synth", "--ontology", ontology, "--seed", str(seed), "--out", out, hash_seed=hash_seed)


def tree_hashes(path: Path) -> dict[str, str]:
    """Every file under `path` (or `path` itself) by relative name -> sha256; '<dir>' for directories."""
    if path.is_file():
        return {".": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {
        str(p.relative_to(path)): "<dir>" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
    }


# --- good runs: every ontology, twice with one seed (different hash seeds), once with another ----

RUNS = [(name, SEED, hash_seed) for name in ONTOLOGY_NAMES for hash_seed in ("1", "2")]
RUNS += [("simple_reversals", SEED + 1, "1")]
# the slowest first, so that the pool's workers finish together
RUNS.sort(key=lambda run: (ONTOLOGIES / f"{run[0]}.ttl").stat().st_size, reverse=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[tuple[str, int, str], tuple[subprocess.CompletedProcess, Path]]:
    base = tmp_path_factory.mktemp("synth")

    def one(run):
        name, seed, hash_seed = run
        out = base / f"{name}-{seed}-{hash_seed}"
        return run, (synth(ONTOLOGIES / f"{name}.ttl", out, seed, hash_seed), out)

    with ThreadPoolExecutor(max_workers=max(2, min(6, os.cpu_count() or 2))) as pool:
        return dict(pool.map(one, RUNS))


def good(runs, name: str, seed: int = SEED, hash_seed: str = "1") -> Path:
    result, out = runs[(name, seed, hash_seed)]
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return out


def test_help_lists_synth() -> None:
    result = cli("--help")
    assert result.returncode == 0
    assert "synth" in result.stdout
    sub = cli("synth", "--help")
    assert sub.returncode == 0
    assert all(option in sub.stdout for option in ("--ontology", "--seed", "--out"))


def test_help_imports_no_model_library() -> None:
    code = ("import sys; from kgsynth.cli import build_parser; build_parser(); "
            "print([m for m in ('torch', 'transformers', 'peft', 'google.genai') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_choices_are_the_experiments_own() -> None:
    from kgsynth.cli import build_parser
    from kgsynth.experiments import options

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    expected = {("eval", "regime"): options.REGIMES, ("eval", "scoring"): options.SCORINGS,
                ("finetune", "shape"): options.SHAPES, ("finetune", "method"): options.METHODS,
                ("augment", "strategy"): options.STRATEGIES, ("augment", "keep"): options.KEEPS,
                ("study", "regime"): options.STUDY_REGIMES, ("study", "scoring"): options.SCORINGS,
                ("finetune", "lr_schedule"): options.LR_SCHEDULES, ("study", "lr_schedule"): options.LR_SCHEDULES}
    for (command, dest), choices in expected.items():
        action = next(a for a in commands[command]._actions if a.dest == dest)
        assert tuple(action.choices) == choices, (command, dest)
    for command in ("eval", "finetune", "augment"):
        assert any(a.dest == "restart" for a in commands[command]._actions), command


@pytest.mark.parametrize("name", ONTOLOGY_NAMES)
def test_synth_writes_every_output(runs, name: str) -> None:
    out = good(runs, name)
    assert set(OUTPUTS) <= {p.name for p in out.iterdir()}
    for filename in OUTPUTS:
        assert (out / filename).stat().st_size > 0
    # the staging directory is gone
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


@pytest.mark.parametrize("name", ONTOLOGY_NAMES)
def test_same_seed_gives_identical_bytes(runs, name: str) -> None:
    """Two runs with one --seed write the same bytes, whatever Python's hash seed (random per process)."""
    first, second = tree_hashes(good(runs, name, hash_seed="1")), tree_hashes(good(runs, name, hash_seed="2"))
    assert set(first) == set(second)
    differing = sorted(f for f in first if first[f] != second[f])
    assert not differing, f"{name}: {differing} differ between two runs with --seed {SEED}"


def test_other_seed_changes_the_world(runs) -> None:
    first, other = good(runs, "simple_reversals"), good(runs, "simple_reversals", SEED + 1)
    for filename in OUTPUTS:
        assert (first / filename).read_bytes() != (other / filename).read_bytes()
    assert json.loads((other / "manifest.json").read_text())["seed"] == SEED + 1


@pytest.mark.parametrize("name", ONTOLOGY_NAMES)
def test_manifest(runs, name: str) -> None:
    out = good(runs, name)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    ontology = ONTOLOGIES / f"{name}.ttl"
    assert manifest["seed"] == SEED
    assert manifest["kgsynth_version"] == version()
    assert manifest["inputs"]["ontology"]["sha256"] == hashlib.sha256(ontology.read_bytes()).hexdigest()
    assert manifest["inputs"]["ontology"]["name"] == ontology.name
    for filename in ("kb.ttl", "closure.ttl", "derivations.jsonl"):
        assert manifest["outputs"][filename] == hashlib.sha256((out / filename).read_bytes()).hexdigest()
    counts = manifest["counts"]
    assert {"classes", "individuals", "asserted", "entailed", "derived", "max_hops", "by_rule"} <= set(counts)
    assert counts["asserted"] > 0 and counts["classes"] > 0
    assert counts["entailed"] == counts["asserted"] + counts["derived"]
    assert sum(counts["by_rule"].values()) == counts["entailed"]
    assert counts["by_rule"].get("asserted") == counts["asserted"]
    lines = (out / "derivations.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == counts["derived"]


def test_manifest_counts_of_generative_ontologies(runs) -> None:
    reversals = json.loads((good(runs, "simple_reversals") / "manifest.json").read_text())["counts"]
    assert reversals["individuals"] == 200
    assert reversals["asserted"] == 300  # 100 comparisons + 200 entity types
    syllogisms = json.loads((good(runs, "syllogisms") / "manifest.json").read_text())["counts"]
    assert syllogisms["asserted"] == 138
    celebrities = json.loads((good(runs, "celebrities") / "manifest.json").read_text())["counts"]
    assert celebrities["individuals"] == 1800


@pytest.mark.parametrize("name", ONTOLOGY_NAMES)
def test_turtle_outputs_parse(runs, name: str) -> None:
    out = good(runs, name)
    kb, closure = rdflib.Graph(), rdflib.Graph()
    kb.parse(out / "kb.ttl", format="turtle")
    closure.parse(out / "closure.ttl", format="turtle")
    assert len(kb) > 0 and len(closure) > 0
    # every asserted individual fact of the kb is in the closure
    individuals = set(kb.subjects(rdflib.RDF.type, rdflib.OWL.NamedIndividual))
    facts = {(s, p, o) for s, p, o in kb if s in individuals and p not in (rdflib.RDFS.label,)}
    facts = {t for t in facts if t[2] != rdflib.OWL.NamedIndividual}
    assert facts <= set(closure)


@pytest.mark.parametrize("name", ONTOLOGY_NAMES)
def test_derivations_lines(runs, name: str) -> None:
    out = good(runs, name)
    lines = (out / "derivations.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines
    statement_keys = {"subject", "relation", "object", "form"}
    for line in lines:
        record = json.loads(line)
        assert {"statement", "rule", "premises", "hops"} <= set(record)
        assert set(record["statement"]) == statement_keys
        assert isinstance(record["rule"], str) and record["rule"] not in ("", "asserted")
        assert isinstance(record["premises"], list) and record["premises"]
        assert all(set(p) == statement_keys for p in record["premises"])
        assert isinstance(record["hops"], int) and record["hops"] >= 1


def test_synth_replaces_an_earlier_output(tmp_path: Path, runs) -> None:
    out = tmp_path / "out"
    shutil.copytree(good(runs, "syllogisms"), out)
    result = synth(ONTOLOGIES / "simple_reversals.ttl", out)
    assert result.returncode == 0, result.stderr
    assert tree_hashes(out) == tree_hashes(good(runs, "simple_reversals"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# --- bad input: one line on stderr, exit 2, nothing changed ---------------------------

HEADER = """\
@prefix :     <http://example.org/bad#> .
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix kgs:  <https://kgsynth.org/ns#> .
"""

# name -> (ontology text, or None for a missing file; substrings the message must contain)
BAD_ONTOLOGIES = {
    "missing file": (None, ["not found", "missing.ttl"]),
    "malformed turtle": (HEADER + ":a :b .\n", ["malformed", "malformed_turtle.ttl"]),
    "union as a superclass": (
        HEADER + ":A a owl:Class . :B a owl:Class .\n:C a owl:Class ; rdfs:subClassOf [ owl:unionOf ( :A :B ) ] .\n",
        ["unsupported construct", "owl:unionOf", "(A, B)", "rdfs:subClassOf of C", "union_as_a_superclass"],
    ),
    "cyclic strict order": (
        HEADER + ":gt a owl:ObjectProperty , owl:TransitiveProperty , owl:AsymmetricProperty .\n"
        ":a :gt :b . :b :gt :c . :c :gt :a .\n",
        ["cycle", "gt"],
    ),
    "individual in disjoint classes": (
        HEADER + ":Cat a owl:Class . :Dog a owl:Class . :Cat owl:disjointWith :Dog .\n"
        ":Puppy a owl:Class ; rdfs:subClassOf :Dog .\n:rex a :Cat , :Puppy .\n",
        ["rex", "Cat", "Dog"],
    ),
    "unknown kgs setting": (
        HEADER + ":Term a owl:Class .\n[] a kgs:SyllogismTask ; kgs:syllogisms 3 ; kgs:colour \"red\" .\n",
        ["kgs:colour", "unknown_kgs_setting.ttl"],
    ),
    "unsupported construct": (
        HEADER + ":A a owl:Class . :B a owl:Class .\n:A owl:equivalentClass [ owl:complementOf :B ] .\n",
        ["unsupported", "owl:complementOf", "owl:equivalentClass of A", "unsupported_construct.ttl"],
    ),
}


@pytest.fixture(scope="module")
def earlier(tmp_path_factory, runs) -> Path:
    """An --out written by an earlier good run (a copy of one)."""
    out = tmp_path_factory.mktemp("earlier") / "out"
    shutil.copytree(good(runs, "syllogisms"), out)
    return out


def assert_one_line_error(result: subprocess.CompletedProcess, *mentions: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kgsynth: error:"), lines[0]
    for mention in mentions:
        assert mention in lines[0], f"{mention!r} not in {lines[0]!r}"


@pytest.mark.parametrize("case", list(BAD_ONTOLOGIES))
def test_bad_ontology_leaves_an_earlier_output_unchanged(tmp_path: Path, earlier: Path, case: str) -> None:
    text, mentions = BAD_ONTOLOGIES[case]
    ontology = tmp_path / ("missing.ttl" if text is None else case.replace(" ", "_") + ".ttl")
    if text is not None:
        ontology.write_text(text, encoding="utf-8")
    before, siblings = tree_hashes(earlier), sorted(p.name for p in earlier.parent.iterdir())
    result = synth(ontology, earlier)
    assert_one_line_error(result, *mentions)
    assert tree_hashes(earlier) == before
    assert sorted(p.name for p in earlier.parent.iterdir()) == siblings  # no staging left behind


def test_out_under_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory\n")
    result = synth(ONTOLOGIES / "syllogisms.ttl", blocker / "out")
    assert_one_line_error(result, str(blocker / "out"))
    assert blocker.read_text() == "not a directory\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_out_is_a_regular_file(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("keep me\n")
    result = synth(ONTOLOGIES / "syllogisms.ttl", target)
    assert_one_line_error(result, str(target))
    assert target.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_out_is_a_foreign_non_empty_directory(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    (target / "sub").mkdir(parents=True)
    (target / "notes.txt").write_text("precious\n")
    (target / "sub" / "data.csv").write_text("a,b\n1,2\n")
    before = tree_hashes(target)
    result = synth(ONTOLOGIES / "syllogisms.ttl", target)
    assert_one_line_error(result, str(target), "not written by kgsynth")
    assert tree_hashes(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_empty_existing_directory_is_a_fine_out(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    result = synth(ONTOLOGIES / "syllogisms.ttl", target)
    assert result.returncode == 0, result.stderr
    assert set(OUTPUTS) <= {p.name for p in target.iterdir()}


# --- every model command checks --out before it loads a model ----------------------------------

MODEL_COMMANDS = {
    "eval": ["eval", "--regime", "baseline"],
    "augment": ["augment", "--strategy", "local"],
    "finetune": ["finetune", "--preset", "cpu"],
    "finetune gemini": ["finetune", "--model", "gemini:gemini-2.5-flash", "--gcs-uri", "gs://bucket/tuning.jsonl"],
}


@pytest.mark.parametrize("command", list(MODEL_COMMANDS))
def test_model_commands_check_out_before_loading_a_model(command, synthesized, tmp_path, capsys, monkeypatch):
    """eval --out FILE (or a foreign directory) failed only after the model had loaded (20-40 s), with a traceback."""
    from helpers import write_synth

    from kgsynth import cli as kgsynth_cli

    data = write_synth(synthesized("simple_reversals"), tmp_path / "data")
    monkeypatch.setattr("kgsynth.models.load_model", lambda *a, **k: pytest.fail("the model loaded before --out was checked"))
    (tmp_path / "file").write_text("keep me\n")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine\n")
    for out, message in ((tmp_path / "file", "exists and is not a directory"), (foreign, "not written by kgsynth (notes.txt)")):
        capsys.readouterr()
        status = kgsynth_cli.main([*MODEL_COMMANDS[command], "--data", str(data), "--out", str(out)])
        err = capsys.readouterr().err
        assert status == 2 and len(err.strip().splitlines()) == 1, err
        assert err.startswith(f"kgsynth: error: --out {out} ") and message in err, err
    assert (tmp_path / "file").read_text() == "keep me\n" and [p.name for p in foreign.iterdir()] == ["notes.txt"]


def test_finetune_refuses_the_other_backends_training_settings(synthesized, tmp_path, capsys):
    """--lr, --lr-schedule, --steps... set a local fine-tune, --epochs a Gemini tuning job: each was
    ignored silently by the other."""
    from helpers import write_synth

    from kgsynth import cli as kgsynth_cli

    data = write_synth(synthesized("simple_reversals"), tmp_path / "data")
    for model, extra, message in (("gemini:gemini-2.5-flash", ["--lr", "1e-3", "--lr-schedule", "linear"],
                                   "--lr, --lr-schedule: for local models only"),
                                  ("local", ["--epochs", "2"], "--epochs: for gemini models only")):
        status = kgsynth_cli.main(["finetune", "--model", model, "--data", str(data), "--out", str(tmp_path / "run"),
                                   *extra])
        err = capsys.readouterr().err
        assert status == 2 and err.strip() == f"kgsynth: error: {message}", err
    assert not (tmp_path / "run").exists()
