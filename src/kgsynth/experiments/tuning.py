"""Fine-tuning Gemini: the training text in the supervised tuning format, and a Vertex AI
tuning job polled to its end; its endpoint is then a model,
`gemini:projects/P/locations/L/endpoints/E`.

Supervised tuning learns answers to prompts, so each training text becomes one example:
the text before it (its context in the cumulative shape) or a fixed request, then the
text as the model's answer. The run directory (rundir.RunDir, kind "tuning") holds
  run.json       the dataset, shape and extra files, and their hashes
  tuning.jsonl   {"contents": [{"role": "user", ...}, {"role": "model", ...}]} per line
  job.json       the job: its name, base model, gs:// address and epochs, written as soon as
                 it exists: a rerun asking for the same job polls it again
  tuned.json     the job, its endpoint and the model spec to evaluate with
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import KgsynthError
from ..files import jsonl_bytes, read_json, read_jsonl, write_atomic
from .rundir import RunDir, differences

REQUEST = "State a fact from the knowledge base you are learning."
ENTRIES = ("tuning.jsonl", "job.json", "tuned.json")  # what a tuning run directory holds besides run.json


def tuning_example(record: dict) -> dict:
    prompt = (record.get("context") or "").strip() or REQUEST
    return {"contents": [{"role": "user", "parts": [{"text": prompt}]},
                         {"role": "model", "parts": [{"text": record["text"].strip()}]}]}


def tuning_run(data: Path, out: Path, shape: str, extra: list[Path]) -> RunDir:
    config = {"data": str(Path(data).resolve()), "shape": shape, "extra": [str(Path(p).resolve()) for p in extra]}
    inputs = {"train.jsonl": Path(data) / "train.jsonl", **{f"extra:{p}": Path(p) for p in config["extra"]}}
    return RunDir(out, "tuning", config, inputs, ENTRIES)


def write_tuning_data(train: Path, extra: list[Path], run: RunDir, shape: str) -> Path:
    """RUN/tuning.jsonl: the dataset's training records of `shape`, then every record of the extras."""
    examples = [tuning_example(r) for r in read_jsonl(train) if r.get("shape") == shape and r.get("text")]
    if not examples:
        raise KgsynthError(f"no training text of shape {shape!r} in {train}")
    for path in extra:
        examples += [tuning_example(r) for r in read_jsonl(path) if r.get("text")]
    path = run.path("tuning.jsonl")
    write_atomic(path, jsonl_bytes(examples))
    return path


def tune(model, gcs_uri: str, run: RunDir, epochs: int | None = None) -> str:
    """Start (or find) the tuning job on `gcs_uri`, wait for it, and return the model spec
    of its endpoint. `model` is a GeminiModel on Vertex AI."""
    if not gcs_uri.startswith("gs://"):
        raise KgsynthError(f"--gcs-uri must be a gs:// address of the uploaded tuning.jsonl, got {gcs_uri!r}")
    if not model.vertex:
        raise KgsynthError("tuning jobs run on Gemini Enterprise (Vertex AI): "
                           "set GOOGLE_GENAI_USE_ENTERPRISE=true and GOOGLE_CLOUD_PROJECT")
    wanted = {"base_model": model.name, "gcs_uri": gcs_uri, "epochs": epochs}
    done = run.path("tuned.json")
    if done.is_file():
        record = read_json(done)
        same_job(run, record, wanted)
        return record["model"]
    name = start_job(model, run, wanted)
    outcome = model.finish_tuning(name)
    if not outcome.succeeded:
        run.path("job.json").unlink(missing_ok=True)  # a rerun starts a new job
        raise KgsynthError(f"tuning job {name} ended {outcome.state}: {outcome.error}")
    spec = f"gemini:{outcome.endpoint}"
    run.write_json("tuned.json", {"job": name, **wanted, "endpoint": outcome.endpoint, "model": spec})
    return spec


def start_job(model, run: RunDir, wanted: dict) -> str:
    """The job this run started before (if it is the one wanted), or a new one."""
    known = run.path("job.json")
    if known.is_file():
        record = read_json(known)
        same_job(run, record, wanted)
        return record["name"]
    name = model.start_tuning(wanted["gcs_uri"], f"kgsynth {run.root.name}", wanted["epochs"])
    run.write_json("job.json", {"name": name, **wanted})
    return name


def same_job(run: RunDir, record: dict, wanted: dict) -> None:
    differing = differences(wanted, {key: record.get(key) for key in wanted})
    if differing:
        raise KgsynthError(f"{run.root} holds tuning job {record.get('job') or record.get('name')} ({differing}); "
                           "choose another --out or pass --restart")


def finetune_gemini(model, data: Path, out: Path, shape: str, extra: list[Path], gcs_uri: str | None,
                    epochs: int | None = None, say: Callable[[str], None] = print, restart: bool = False) -> str | None:
    """Write the tuning data; with a gcs_uri, tune and return the tuned model's spec."""
    run = tuning_run(data, out, shape, extra)
    run.open(restart)
    path = write_tuning_data(Path(data) / "train.jsonl", extra, run, shape)
    if gcs_uri is None:
        say(f"wrote {path}; upload it (gcloud storage cp {path} gs://BUCKET/…) and rerun with --gcs-uri to tune")
        return None
    return tune(model, gcs_uri, run, epochs)
