"""Fine-tuning Gemini: the training text in the supervised tuning format, and a Vertex AI
tuning job (client.tunings.tune) polled to its end; its endpoint is then a model,
`gemini:projects/P/locations/L/endpoints/E`.

Supervised tuning learns answers to prompts, so each training text becomes one example:
the text before it (its context in the cumulative shape) or a fixed request, then the
text as the model's answer. The run directory holds
  tuning.jsonl   {"contents": [{"role": "user", ...}, {"role": "model", ...}]} per line
  job.json       the job's name, written as soon as it exists: a rerun polls it again
  tuned.json     the job, its endpoint and the model spec to evaluate with
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

from .dataset import read_json, read_jsonl
from .errors import KgsynthError
from .models.gemini import genai_modules, job_state
from .outdir import write_atomic

REQUEST = "State a fact from the knowledge base you are learning."


def tuning_example(record: dict) -> dict:
    prompt = (record.get("context") or "").strip() or REQUEST
    return {"contents": [{"role": "user", "parts": [{"text": prompt}]},
                         {"role": "model", "parts": [{"text": record["text"].strip()}]}]}


def write_tuning_data(train: Path, extra: list[Path], out: Path, shape: str) -> Path:
    """out/tuning.jsonl: the dataset's training records of `shape`, then every record of the extras."""
    examples = [tuning_example(r) for r in read_jsonl(train) if r.get("shape") == shape and r.get("text")]
    if not examples:
        raise KgsynthError(f"no training text of shape {shape!r} in {train}")
    for path in extra:
        examples += [tuning_example(r) for r in read_jsonl(path) if r.get("text")]
    out.mkdir(parents=True, exist_ok=True)
    path = out / "tuning.jsonl"
    write_atomic(path, "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in examples).encode())
    return path


def tune(model, gcs_uri: str, out: Path, epochs: int | None = None) -> str:
    """Start (or find) the tuning job on `gcs_uri`, wait for it, and return the model spec
    of its endpoint. `model` is a GeminiModel on Vertex AI."""
    if not gcs_uri.startswith("gs://"):
        raise KgsynthError(f"--gcs-uri must be a gs:// address of the uploaded tuning.jsonl, got {gcs_uri!r}")
    if not model.vertex:
        raise KgsynthError("tuning jobs run on Vertex AI: set GOOGLE_GENAI_USE_VERTEXAI=true and GOOGLE_CLOUD_PROJECT")
    done = out / "tuned.json"
    if done.is_file():
        return read_json(done)["model"]
    name = start_job(model, gcs_uri, out, epochs)
    job = model.wait(f"tuning job {name}", lambda: model.client.tunings.get(name=name))
    state = job_state(job)
    if state != "JOB_STATE_SUCCEEDED" or not job.tuned_model or not job.tuned_model.endpoint:
        (out / "job.json").unlink(missing_ok=True)  # a rerun starts a new job
        raise KgsynthError(f"tuning job {name} ended {state}: {str(job.error or '')[:200]}")
    spec = f"gemini:{job.tuned_model.endpoint}"
    record = {"job": name, "base_model": model.name, "gcs_uri": gcs_uri, "endpoint": job.tuned_model.endpoint,
              "model": spec}
    write_atomic(done, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())
    return spec


def start_job(model, gcs_uri: str, out: Path, epochs: int | None) -> str:
    known = out / "job.json"
    if known.is_file():
        return read_json(known)["name"]
    _, types, _ = genai_modules()
    config = types.CreateTuningJobConfig(epoch_count=epochs, tuned_model_display_name=f"kgsynth {out.name}"[:120])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK calls its tuning "experimental" on every call
        job = model.api(f"starting a tuning job of {model.name}", lambda: model.client.tunings.tune(
            base_model=model.name, training_dataset=types.TuningDataset(gcs_uri=gcs_uri), config=config))
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(known, (json.dumps({"name": job.name, "gcs_uri": gcs_uri}, indent=2) + "\n").encode())
    model.say(f"tuning job {job.name} started")
    return job.name


def finetune_gemini(model, data: Path, out: Path, shape: str, extra: list[Path], gcs_uri: str | None,
                    epochs: int | None = None, say: Callable[[str], None] = print) -> str | None:
    """Write the tuning data; with a gcs_uri, tune and return the tuned model's spec."""
    path = write_tuning_data(data / "train.jsonl", extra, out, shape)
    if gcs_uri is None:
        say(f"wrote {path}; upload it (gcloud storage cp {path} gs://BUCKET/…) and rerun with --gcs-uri to tune")
        return None
    return tune(model, gcs_uri, out, epochs)
