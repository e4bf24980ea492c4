"""Evaluate a model on a synthesized dataset: baseline (question only) or ICL (the
training corpus in context), by likelihood over the options, by free generation judged
by the oracle, or by a lettered choice. Results are appended item by item, so a rerun
resumes."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

from . import __version__
from .audit import judge_sentence
from .dataset import SEPARATOR, Dataset, corpus_text, read_json, read_jsonl
from .errors import KgsynthError
from .models.base import Model, ScoreRequest, lettered
from .outdir import write_atomic

REGIMES = ("baseline", "icl")
SCORINGS = ("likelihood", "generate", "choice")
USAGE = ("prompt", "cached", "output")  # token counts a paid backend reports


@dataclass
class EvalConfig:
    data: str
    regime: str
    model: str
    scoring: str = "likelihood"
    subsample: float | None = None
    splits: list[str] = field(default_factory=list)
    limit: int | None = None  # items per split
    seed: int = 0
    dtype: str | None = None  # part of the run: scores in another precision differ
    label: str | None = None  # the name reports give this run (default: the regime)

    def validate(self) -> None:
        if self.regime not in REGIMES:
            raise KgsynthError(f"unknown regime {self.regime!r}: use {' or '.join(REGIMES)}")
        if self.scoring not in SCORINGS:
            raise KgsynthError(f"unknown scoring {self.scoring!r}: use {' or '.join(SCORINGS)}")
        if self.subsample is not None and not 0 < self.subsample <= 1:
            raise KgsynthError(f"--subsample must be in (0, 1], got {self.subsample}")


def corpus_prefix(data: Path, regime: str, subsample: float | None, seed: int) -> str:
    """The in-context corpus (all documents, or a seeded share), ending with the separator."""
    if regime == "baseline":
        return ""
    return corpus_text(read_jsonl(data / "documents.jsonl"), subsample, seed) + SEPARATOR


def check_fits(model: Model, prefix: str, items: list[dict], subsample: float | None) -> int:
    """Refuse a context over the model's window, suggesting a --subsample that fits."""
    prefix_tokens = model.count_tokens(prefix)
    texts = sorted((i["prompt"] + max(i["options"], key=len) for i in items), key=len)[-3:]  # tokens follow length
    longest = max((model.count_tokens(text) for text in texts), default=0)
    if prefix_tokens + longest + 2 <= model.max_context:
        return prefix_tokens
    if longest + 2 > model.max_context or not prefix:
        raise KgsynthError(f"a question with its option is {longest:,} tokens, over the model's window of "
                           f"{model.max_context:,}: use a model with a longer context")
    room = model.max_context - longest - 64  # leave a margin: documents differ in length
    share = math.floor((subsample or 1.0) * room / prefix_tokens * 10_000) / 10_000
    if share <= 0:
        raise KgsynthError(f"the corpus is {prefix_tokens:,} tokens and the model's window of {model.max_context:,} "
                           "leaves no room for it: use a model with a longer context")
    raise KgsynthError(f"the corpus is {prefix_tokens:,} tokens, over the model's window of "
                       f"{model.max_context:,}: try --subsample {share:g}")


def select_items(data: Path, splits: list[str], limit: int | None) -> list[dict]:
    available = sorted(p.stem for p in (data / "items").glob("*.jsonl"))
    if not available:
        raise KgsynthError(f"{data} has no items/: is it a directory written by `synth`?")
    unknown = sorted(set(splits) - set(available))
    if unknown:
        raise KgsynthError(f"unknown split(s) {', '.join(unknown)}: {data} has {', '.join(available)}")
    items = []
    for split in splits or available:
        found = read_jsonl(data / "items" / f"{split}.jsonl")
        items.extend(found[:limit] if limit else found)
    return items


def load_done(run: Path) -> dict[str, dict]:
    """Results already written; a line cut short by a crash is dropped and the file mended."""
    path = run / "results.jsonl"
    if not path.is_file():
        return {}
    done, lines = {}, []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        done[record["id"]] = record
        lines.append(line)
    write_atomic(path, "".join(line + "\n" for line in lines).encode())
    return done


def prepare_run(run: Path, config: EvalConfig) -> dict[str, dict]:
    settings = run / "run.json"
    if settings.is_file():
        previous = read_json(settings)
        if previous.get("config") != asdict(config):
            raise KgsynthError(f"{run} holds another run ({previous.get('config')}); choose another --out")
        return load_done(run)
    if run.exists() and any(run.iterdir()):
        raise KgsynthError(f"--out {run} is a non-empty directory that holds no run; choose another")
    run.mkdir(parents=True, exist_ok=True)
    manifest = read_json(Path(config.data) / "manifest.json")
    record = {"config": asdict(config), "kgsynth_version": __version__, "data_manifest": manifest["outputs"]}
    write_atomic(settings, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())
    return {}


def likelihood_result(item: dict, scores) -> dict:
    logprobs = [s.logprob for s in scores]
    normalized = [s.logprob / max(s.tokens, 1) for s in scores]
    chosen = max(range(len(scores)), key=logprobs.__getitem__)
    chosen_norm = max(range(len(scores)), key=normalized.__getitem__)
    return {
        "id": item["id"], "split": item["split"], "answer": item["answer"], "chosen": chosen,
        "correct": chosen == item["answer"], "chosen_norm": chosen_norm, "correct_norm": chosen_norm == item["answer"],
        "options": len(scores), "logprobs": logprobs, "tokens": [s.tokens for s in scores],
    }


class Evaluator:
    def __init__(self, model: Model, config: EvalConfig, run: Path, judge: Callable[[str], str] | None = None):
        config.validate()
        if config.scoring == "likelihood" and not model.scores_text:
            raise KgsynthError(f"{model.name} gives no log-probabilities of given text: "
                               "use --scoring generate or --scoring choice")
        self.model = model
        self.config = config
        self.run = run
        self.judge = judge  # sentence -> verdict, for --scoring generate
        self.data = Path(config.data)

    @cached_property
    def plan(self) -> tuple[list[dict], str]:
        """(the items, the in-context prefix), read once for the estimate and the run."""
        items = select_items(self.data, self.config.splits, self.config.limit)
        return items, corpus_prefix(self.data, self.config.regime, self.config.subsample, self.config.seed)

    def estimate(self):
        """The tokens this run sends (cost.Estimate), before it starts."""
        from .cost import eval_estimate

        return eval_estimate(self.model, *self.plan, self.config.scoring)

    def evaluate(self, progress: Callable[[int, int], None] | None = None) -> dict:
        done = prepare_run(self.run, self.config)
        items, prefix = self.plan
        check_fits(self.model, prefix, items, self.config.subsample)
        todo = [i for i in items if i["id"] not in done]
        if progress:
            progress(len(items) - len(todo), len(items))
        size = max(1, len(todo)) if self.model.batch_all else 8
        with (self.run / "results.jsonl").open("a") as out:
            for start in range(0, len(todo), size):
                batch = todo[start: start + size]
                for result in self.score_items(batch, prefix):
                    out.write(json.dumps(result, sort_keys=True) + "\n")
                    done[result["id"]] = result
                out.flush()
                if progress:
                    progress(len(batch), len(items))
        results = [done[i["id"]] for i in items]
        metrics = summarize(results)
        write_atomic(self.run / "metrics.json", (json.dumps(metrics, indent=2, sort_keys=True) + "\n").encode())
        return metrics

    def score_items(self, batch: list[dict], prefix: str) -> list[dict]:
        if self.config.scoring == "generate":
            return self.generate_items(batch, prefix)
        if self.config.scoring == "choice":
            return self.choose_items(batch, prefix)
        requests = [ScoreRequest(prefix + item["prompt"], option) for item in batch for option in item["options"]]
        scores = self.model.score(requests, shared_prefix=prefix or None)
        results, at = [], 0
        for item in batch:
            results.append(likelihood_result(item, scores[at: at + len(item["options"])]))
            at += len(item["options"])
        return results

    def generate_items(self, batch: list[dict], prefix: str) -> list[dict]:
        replies = self.model.complete([prefix + item["prompt"] for item in batch], max_tokens=32, stop=(".", "\n"),
                                      seed=self.config.seed, shared_prefix=prefix or None)
        results = []
        for item, reply in zip(batch, replies, strict=True):
            sentence = answer_sentence(item["prompt"], reply.text)
            verdict = self.judge(sentence) if self.judge else "unknown"
            results.append(with_reply({"id": item["id"], "split": item["split"], "generated": reply.text,
                                       "sentence": sentence, "verdict": verdict, "correct": verdict == "entailed",
                                       "options": 0}, reply))
        return results

    def choose_items(self, batch: list[dict], prefix: str) -> list[dict]:
        prompts = [prefix + lettered(item["prompt"], item["options"]) for item in batch]
        choices = self.model.choose(prompts, [len(item["options"]) for item in batch], shared_prefix=prefix or None)
        results = []
        for item, choice in zip(batch, choices, strict=True):
            result = {"id": item["id"], "split": item["split"], "answer": item["answer"], "chosen": choice.index,
                      "correct": choice.index == item["answer"], "options": len(item["options"]),
                      "letter_logprobs": choice.logprobs}
            results.append(with_reply(result, choice))
        return results


def answer_sentence(prompt: str, completion: str) -> str:
    """The sentence a generated answer makes: the prompt and its continuation, or the
    answer alone where it restates the whole sentence (as chat models do)."""
    stem, text = prompt.strip(), completion.strip()
    sentence = text if text.lower().startswith(stem.lower()) else f"{stem} {text}"
    return sentence.strip().rstrip(".").strip() + "."


def with_reply(result: dict, reply) -> dict:
    """`result` with what went wrong in the reply and the tokens it cost, where known."""
    if reply.problem:
        result["problem"] = reply.problem
    if reply.usage:
        result["usage"] = reply.usage
    return result


def oracle_judge(dataset: Dataset) -> Callable[[str], str]:
    """sentence -> entailed / contradicted / unknown (closed world) / unparseable, for --scoring generate."""

    def judge(sentence: str) -> str:
        _, verdict, _ = judge_sentence(dataset.naming.grammar, dataset.oracle, sentence, closed_world=True)
        return "unparseable" if verdict is None else verdict.value

    return judge


def describe_usage(usage: dict) -> str:
    return f"{usage['prompt']:,} prompt tokens ({usage['cached']:,} from the context cache), {usage['output']:,} output"


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 0.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))  # rounding never leaves p outside


def split_metrics(results: list[dict]) -> dict:
    n = len(results)
    correct = sum(r["correct"] for r in results)
    accuracy = correct / n if n else 0.0
    metrics = {
        "n": n,
        "accuracy": accuracy,
        "stderr": math.sqrt(accuracy * (1 - accuracy) / n) if n else 0.0,
        "wilson95": wilson(correct, n),
    }
    if results and "correct_norm" in results[0]:
        metrics["accuracy_norm"] = sum(r["correct_norm"] for r in results) / n
    if results and all(r.get("options") for r in results):
        metrics["chance"] = sum(1 / r["options"] for r in results) / n
    if results and "verdict" in results[0]:
        for verdict in ("entailed", "contradicted", "unknown", "unparseable"):
            metrics[f"rate_{verdict}"] = sum(r["verdict"] == verdict for r in results) / n
    if any("problem" in r for r in results):
        metrics["rate_problem"] = sum("problem" in r for r in results) / n
    if any("usage" in r for r in results):
        metrics["usage"] = {k: sum((r.get("usage") or {}).get(k, 0) for r in results) for k in USAGE}
    return metrics


def summarize(results: list[dict]) -> dict:
    by_split: dict[str, list[dict]] = {}
    for result in results:
        by_split.setdefault(result["split"], []).append(result)
    metrics = {split: split_metrics(found) for split, found in sorted(by_split.items())}
    metrics["all"] = split_metrics(results)
    return metrics
