"""The study's orchestration: every regime runs, feeds the right training data, reports, resumes.

The language model and the fine-tuning are stood in for (they have tests of their own);
synth, augmentation, the audit, evaluation and the report are the real ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import make_fake_model, without_frame

from kgsynth.data.dataset import load_dataset
from kgsynth.errors import KgsynthError
from kgsynth.experiments import study as study_module
from kgsynth.experiments.study import REGIMES, Study, StudyConfig
from kgsynth.files import read_jsonl

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fakes(monkeypatch):
    """A fake model for every load; a fake fine-tune that records its training files."""
    model = make_fake_model(completion=lambda prompt: " All ampnos are takrys.\nNo takrys are drelys.")
    tuned: list = []
    schedules: list = []

    def fake_finetune(config, run, device=None, progress=None):
        run.mkdir(parents=True, exist_ok=True)
        (run / "model").mkdir(exist_ok=True)
        tuned.append((run.name, list(config.extra)))
        schedules.append(config.lr_schedule)
        return run / "model"

    monkeypatch.setattr(study_module, "load_model", lambda *args, **kwargs: model)
    monkeypatch.setattr(study_module, "finetune", fake_finetune)
    model.schedules = schedules
    return model, tuned


def test_every_regime_runs_and_is_reported(fakes, tmp_path):
    model, tuned = fakes
    out = tmp_path / "study"
    report = Study(StudyConfig(ontology=str(ROOT / "ontologies/syllogisms.ttl"), out=str(out), quick=True),
                   say=lambda text: None).run()
    header = next(line for line in report.read_text().splitlines() if line.startswith("| split"))
    for regime in REGIMES:
        assert f" {regime} |" in header
        metrics = json.loads((out / f"eval-{regime}" / "metrics.json").read_text())
        assert metrics["all"]["n"] == 25  # --quick: 25 items per split (syllogisms has one split)
    assert (report.parent / "report.png").is_file()
    assert [name for name, _ in tuned] == [f"finetune-{r}" for r in REGIMES if r not in ("baseline", "icl")]
    extra = dict(tuned)
    assert extra["finetune-ft"] == []
    dataset = load_dataset(out / "data")
    verified = read_jsonl(Path(extra["finetune-aug-ft-verified"][0]))
    for record in verified:  # only sentences the oracle entails
        assert dataset.oracle.query(dataset.naming.grammar.parse(record["text"])).value == "entailed"
    for record in read_jsonl(Path(extra["finetune-oracle-ft"][0])):
        sentence = without_frame(record["text"])
        assert dataset.oracle.query(dataset.naming.grammar.parse(sentence)).value == "entailed"
    assert len(read_jsonl(Path(extra["finetune-aug-ft-local"][0]))) >= len(verified) or not verified


def test_the_plan_said_up_front_counts_the_work_the_study_does(fakes, tmp_path):
    said: list[str] = []
    study = Study(StudyConfig(ontology=str(ROOT / "ontologies/syllogisms.ttl"), out=str(tmp_path / "study"),
                              quick=True), say=said.append)
    study.run()
    plan = next(line for line in said if line.startswith("this study: about "))
    assert said.index(plan) < said.index("regime baseline")
    assert f"finetune ft {study.steps['ft']} steps" in plan and f"finetune oracle-ft {study.steps['oracle-ft']} steps" in plan
    for regime in REGIMES:
        assert f"eval {regime} 25 items" in plan
    assert "augment local 30 sources" in plan and "augment global 30 sources" in plan  # --quick: 30 sources
    again: list[str] = []
    Study(StudyConfig(ontology=str(ROOT / "ontologies/syllogisms.ttl"), out=str(tmp_path / "study"), quick=True),
          say=again.append).run()
    assert not [line for line in again if line.startswith("this study:")]  # a rerun finds every step done


def test_a_rerun_reuses_finished_work(fakes, tmp_path):
    model, tuned = fakes
    config = dict(ontology=str(ROOT / "ontologies/syllogisms.ttl"), out=str(tmp_path / "study"), quick=True,
                  regimes=["baseline", "aug-ft-local"])
    Study(StudyConfig(**config), say=lambda text: None).run()
    scored, generated = len(model.calls), len(model.prompts)
    Study(StudyConfig(**config), say=lambda text: None).run()
    assert len(model.calls) == scored  # every item was already scored
    assert len(model.prompts) == generated  # every augmentation source was already done
    marker = json.loads((tmp_path / "study" / "run.json").read_text())
    assert marker["kind"] == "study" and "regimes" not in marker["config"]
    assert json.loads((tmp_path / "study" / "study.json").read_text())["regimes"] == ["baseline", "aug-ft-local"]
    Study(StudyConfig(**config | {"regimes": ["icl"]}), say=lambda text: None).run()  # more regimes: fine
    assert (tmp_path / "study" / "eval-icl" / "metrics.json").is_file()
    with pytest.raises(KgsynthError, match=r"holds another study run \(seed 1 here, 0 there\)"):
        Study(StudyConfig(**config | {"seed": 1}), say=lambda text: None).run()


def test_a_study_refuses_a_directory_it_did_not_write(fakes, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(KgsynthError, match="not written by kgsynth"):
        Study(StudyConfig(ontology="syllogisms", out=str(tmp_path)), say=lambda text: None).run()
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_the_learning_rate_schedule_reaches_every_fine_tune_and_older_studies_keep_their_identity(fakes, tmp_path):
    model, _ = fakes
    config = dict(ontology=str(ROOT / "ontologies/syllogisms.ttl"), out=str(tmp_path / "study"), quick=True,
                  regimes=["ft", "oracle-ft"])
    assert "lr_schedule" not in StudyConfig(**config).resolved().identity()  # a study written before resumes
    assert StudyConfig(**config, metatrain=True).resolved().lr_schedule == "linear"  # the lab's default
    Study(StudyConfig(**config, lr_schedule="linear"), say=lambda text: None).run()
    assert model.schedules == ["linear", "linear"]
    with pytest.raises(KgsynthError, match=r"holds another study run \(lr_schedule"):
        Study(StudyConfig(**config), say=lambda text: None).run()
    with pytest.raises(KgsynthError, match="unknown learning-rate schedule 'cosine'"):
        StudyConfig(**config, lr_schedule="cosine").validate()
    with pytest.raises(KgsynthError, match="--lr-schedule is for local fine-tunes"):
        StudyConfig(**config | {"model": "gemini:gemini-2.5-flash"}, lr_schedule="linear").validate()


def test_unknown_regime_is_refused(tmp_path):
    with pytest.raises(KgsynthError, match="unknown regime"):
        Study(StudyConfig(ontology="x.ttl", out=str(tmp_path), regimes=["ft", "magic"]))


def test_a_study_refuses_a_directory_holding_a_file_it_did_not_write(fakes, tmp_path):
    """A study directory (ours: run.json) holding a file a user added is not resumed, naming the file."""
    config = dict(ontology=str(ROOT / "ontologies/syllogisms.ttl"), out=str(tmp_path / "study"), quick=True,
                  regimes=["baseline"])
    Study(StudyConfig(**config), say=lambda text: None).run()
    assert json.loads((tmp_path / "study" / "report" / "report.json").read_text())["outputs"]
    (tmp_path / "study" / "my-analysis.ipynb").write_text("{}")
    with pytest.raises(KgsynthError, match=r"holds files kgsynth did not write \(my-analysis.ipynb\)"):
        Study(StudyConfig(**config), say=lambda text: None).run()
    assert (tmp_path / "study" / "my-analysis.ipynb").read_text() == "{}"
    (tmp_path / "study" / "my-analysis.ipynb").unlink()
    Study(StudyConfig(**config | {"regimes": ["icl"]}), say=lambda text: None).run()  # its report replaced
