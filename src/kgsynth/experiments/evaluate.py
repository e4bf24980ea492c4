"""Evaluate a model on a synthesized dataset: baseline (question only) or ICL (the
training corpus in context), by likelihood over the options, by free generation judged
by the oracle, or by a lettered choice. Results are appended item by item, so a rerun
resumes."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..data.dataset import SEPARATOR, corpus_text, item_splits, read_documents, read_items
from ..errors import KgsynthError
from ..models.base import Model, ScoreRequest, lettered
from ..tasks.records import Item
from .context import DISTRACTORS, ContextSpec, item_prefixes
from .cost import check_fits
from .options import REGIMES, SCORINGS
from .rundir import RunDir

USAGE = ("prompt", "cached", "output")  # token counts a paid backend reports
RESULTS = "results.jsonl"
ENTRIES = (RESULTS, "metrics.json")  # what an eval run directory holds besides run.json
FIELDS = {"likelihood": ("split", "correct", "correct_norm", "options"), "generate": ("split", "correct", "verdict"),
          "choice": ("split", "correct", "options")}  # what a results line needs, by scoring


@dataclass
class EvalConfig:
    data: str
    regime: str
    model: str
    scoring: str = "likelihood"
    subsample: float | None = None  # context corpus: the share of documents kept
    splits: list[str] = field(default_factory=list)
    limit: int | None = None  # items per split
    seed: int = 0
    dtype: str | None = None  # part of the run: scores in another precision differ
    label: str | None = None  # the name reports give this run (default: the regime)
    context: str = "corpus"  # icl: what is read before each question (experiments/context.py)
    distractors: int = DISTRACTORS  # context relevant: other documents per item

    @property
    def context_spec(self) -> ContextSpec:
        return ContextSpec(self.regime, self.context, self.subsample, self.distractors, self.seed)

    def validate(self) -> None:
        if self.regime not in REGIMES:
            raise KgsynthError(f"unknown regime {self.regime!r}: use {' or '.join(REGIMES)}")
        if self.scoring not in SCORINGS:
            raise KgsynthError(f"unknown scoring {self.scoring!r}: use {' or '.join(SCORINGS)}")
        self.context_spec.validate()

    def chosen_splits(self) -> list[str]:
        """The splits evaluated: those asked for, or every split of the dataset."""
        data = Path(self.data)
        available = item_splits(data)
        if not available:
            raise KgsynthError(f"{data} has no items/: is it a directory written by `synth`?")
        unknown = sorted(set(self.splits) - set(available))
        if unknown:
            raise KgsynthError(f"unknown split(s) {', '.join(unknown)}: {data} has {', '.join(available)}")
        return list(self.splits or available)

    def inputs(self) -> dict[str, Path]:
        """The dataset files this run reads (their hashes are checked when it resumes)."""
        data = Path(self.data)
        found = {"manifest.json": data / "manifest.json"}
        found |= {f"items/{split}.jsonl": data / "items" / f"{split}.jsonl" for split in self.chosen_splits()}
        if self.regime == "icl":
            found["documents.jsonl"] = data / "documents.jsonl"
        return found


def eval_run(config: EvalConfig, out: Path) -> RunDir:
    """The run directory of an evaluation (RunDir.check it before loading the model)."""
    return RunDir(out, "eval", asdict(config), config.inputs(), ENTRIES)


def corpus_prefix(data: Path, regime: str, subsample: float | None, seed: int) -> str:
    """The in-context corpus (all documents, or a seeded share), ending with the separator."""
    if regime == "baseline":
        return ""
    return corpus_text(read_documents(data), subsample, seed) + SEPARATOR


def check_context(model: Model, prefixes: list[str], items: list[Item], subsample: float | None) -> None:
    """Refuse a context and question over the model's window, suggesting a --subsample that fits."""
    texts = sorted((i.prompt + max(i.options, key=len) for i in items), key=len)[-3:]  # tokens follow length
    longest = max((model.count_tokens(text) for text in texts), default=0) + 2  # and the start of the sequence
    prefix = max(set(prefixes), key=len, default="")
    check_fits(model, model.count_tokens(prefix) if prefix else 0, longest, subsample, "a question with its option")


def select_items(data: Path, splits: list[str], limit: int | None) -> list[Item]:
    """The items of `splits` (every split when empty), the first `limit` of each."""
    chosen = EvalConfig(data=str(data), regime="baseline", model="", splits=splits).chosen_splits()
    items = []
    for split in chosen:
        found = read_items(data, split)
        items.extend(found[:limit] if limit else found)
    return items


def likelihood_result(item: Item, scores) -> dict:
    logprobs = [s.logprob for s in scores]
    normalized = [s.logprob / max(s.tokens, 1) for s in scores]
    chosen = max(range(len(scores)), key=logprobs.__getitem__)
    chosen_norm = max(range(len(scores)), key=normalized.__getitem__)
    return {
        "id": item.id, "split": item.split, "answer": item.answer, "chosen": chosen,
        "correct": chosen == item.answer, "chosen_norm": chosen_norm, "correct_norm": chosen_norm == item.answer,
        "options": len(scores), "logprobs": logprobs, "tokens": [s.tokens for s in scores],
    }


class Evaluator:
    """Scores the items of one run directory; `verdict` (sentence -> entailed, contradicted,
    unknown or unparseable: audit.answer_verdicts) judges free answers for --scoring generate."""

    def __init__(self, model: Model, config: EvalConfig, run: Path, verdict: Callable[[str], str] | None = None):
        config.validate()
        if config.scoring == "likelihood" and not model.scores_text:
            raise KgsynthError(f"{model.name} gives no log-probabilities of given text: "
                               "use --scoring generate or --scoring choice")
        self.model = model
        self.config = config
        self.run = Path(run)
        self.verdict = verdict
        self.data = Path(config.data)

    @cached_property
    def plan(self) -> tuple[list[Item], list[str]]:
        """(the items, the text before each one's prompt), read once for the estimate and the run."""
        items = select_items(self.data, self.config.splits, self.config.limit)
        documents = read_documents(self.data) if self.config.regime == "icl" else []
        return items, item_prefixes(documents, items, self.config.context_spec)

    def estimate(self, restart: bool = False):
        """The tokens this run sends (cost.Estimate), before it starts: resumed, only for the items not scored yet."""
        from .cost import eval_estimate

        run = eval_run(self.config, self.run)
        done = run.read_done(RESULTS, "id", FIELDS[self.config.scoring]) if run.check(restart) else {}
        return eval_estimate(self.model, *self.plan, self.config.scoring, done=done)

    def evaluate(self, progress: Callable[[int, int], None] | None = None, restart: bool = False) -> dict:
        """Score every item not scored yet (results.jsonl, appended), then write metrics.json."""
        items, prefixes = self.plan
        run = eval_run(self.config, self.run)
        resuming = run.check(restart)
        done = run.read_done(RESULTS, "id", FIELDS[self.config.scoring]) if resuming else {}
        check_context(self.model, prefixes, items, self.config.subsample)  # before the run directory exists
        run.open(restart)
        todo = [(i, p) for i, p in zip(items, prefixes, strict=True) if i.id not in done]
        if progress:
            progress(len(items) - len(todo), len(items))
        size = max(1, len(todo)) if self.model.batch_all else 8
        with run.append_jsonl(RESULTS) as append:
            for start in range(0, len(todo), size):
                batch = todo[start: start + size]
                results = [r for prefix, group in same_prefix(batch) for r in self.score_items(group, prefix)]
                append(results)
                done.update((r["id"], r) for r in results)
                if progress:
                    progress(len(batch), len(items))
        metrics = summarize([done[i.id] for i in items])
        run.write_json("metrics.json", metrics)
        return metrics

    def score_items(self, batch: list[Item], prefix: str) -> list[dict]:
        if self.config.scoring == "generate":
            return self.generate_items(batch, prefix)
        if self.config.scoring == "choice":
            return self.choose_items(batch, prefix)
        requests = [ScoreRequest(prefix + item.prompt, option) for item in batch for option in item.options]
        scores = self.model.score(requests, shared_prefix=prefix or None)
        results, at = [], 0
        for item in batch:
            results.append(likelihood_result(item, scores[at: at + len(item.options)]))
            at += len(item.options)
        return results

    def generate_items(self, batch: list[Item], prefix: str) -> list[dict]:
        replies = self.model.complete([prefix + item.prompt for item in batch], max_tokens=32, stop=(".", "\n"),
                                      seed=self.config.seed, shared_prefix=prefix or None)
        results = []
        for item, reply in zip(batch, replies, strict=True):
            sentence = answer_sentence(item.prompt, reply.text)
            verdict = self.verdict(sentence) if self.verdict else "unknown"
            results.append(with_reply({"id": item.id, "split": item.split, "generated": reply.text,
                                       "sentence": sentence, "verdict": verdict, "correct": verdict == "entailed",
                                       "options": 0}, reply))
        return results

    def choose_items(self, batch: list[Item], prefix: str) -> list[dict]:
        prompts = [prefix + lettered(item.prompt, item.options) for item in batch]
        choices = self.model.choose(prompts, [len(item.options) for item in batch], shared_prefix=prefix or None)
        results = []
        for item, choice in zip(batch, choices, strict=True):
            result = {"id": item.id, "split": item.split, "answer": item.answer, "chosen": choice.index,
                      "correct": choice.index == item.answer, "options": len(item.options),
                      "letter_logprobs": choice.logprobs}
            results.append(with_reply(result, choice))
        return results


def same_prefix(pairs: list[tuple[Item, str]]) -> list[tuple[str, list[Item]]]:
    """Consecutive items grouped by the text before them (one group when the corpus is shared)."""
    groups: list[tuple[str, list[Item]]] = []
    for item, prefix in pairs:
        if groups and groups[-1][0] == prefix:
            groups[-1][1].append(item)
        else:
            groups.append((prefix, [item]))
    return groups


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


def show_metrics(metrics: dict, title: str, console: Console) -> None:
    """A row per split: accuracy with its standard error and Wilson interval, and chance."""
    table = Table(title=Text(title), caption="norm.: accuracy with each option's log-likelihood per token")
    for column in ("split", "n", "accuracy", "± se", "wilson 95%", "norm.", "chance"):
        table.add_column(column, justify="left" if column == "split" else "right", overflow="fold",
                         no_wrap=column not in ("split",))
    for split, m in metrics.items():
        low, high = m["wilson95"]
        norm = f"{m['accuracy_norm']:.3f}" if "accuracy_norm" in m else "—"
        chance = f"{m['chance']:.3f}" if "chance" in m else "—"
        table.add_row(split, str(m["n"]), f"{m['accuracy']:.3f}", f"{m['stderr']:.3f}", f"[{low:.2f}, {high:.2f}]",
                      norm, chance)
    console.print(table)
    overall = metrics.get("all", {})
    if "usage" in overall:
        console.print(f"tokens: {describe_usage(overall['usage'])}")
    if overall.get("rate_problem"):
        console.print(f"answers with a problem (cut off, blocked, empty, no letter): {overall['rate_problem']:.1%}; "
                      "see 'problem' in results.jsonl")


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
