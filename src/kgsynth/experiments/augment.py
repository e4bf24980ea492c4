"""Augmentation written by a model, and its audit by the oracle (STUDY.md, "Augmentation").

Two strategies, as in the study: local, each distinct training sentence -> rephrasings and
reversals (a few-shot prompt); global, the corpus in context, then one document -> inferences.

Every generated sentence is parsed back to a statement by the dataset's grammar and judged
by the oracle (open world): entailed, contradicted, unknown, or unparseable. The run
directory (rundir.RunDir) holds:
  run.json                the config and the hashes of the dataset and the prompt (a rerun
                          with another config, prompt or dataset is refused)
  augmentations.jsonl     one line per candidate sentence, then one "done" line per source;
                          a rerun skips the sources already done (resume)
  audit.json              precision, contradiction and unparseable rates, novelty, coverage
  train_augmented.jsonl   the kept sentences, in the train.jsonl schema

Prompts are package data (kgsynth/prompts/augment_{local,global}.txt, and *_json.txt for
models that answer with a JSON list, like Gemini) or a file of the user's: {sentence}
(local), {corpus} and {document} (global) are replaced, nothing else. An answer that is
cut off, blocked, empty or malformed JSON is recorded with its source ("problems"), never
a crash.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

from ..data.dataset import Dataset, corpus_text, item_splits, load_dataset
from ..data.outdir import writing
from ..errors import KgsynthError
from ..files import jsonl_bytes, write_atomic
from ..logic.statement import Statement
from ..models.base import Model, Reply, cut_at_stop
from ..resources import shipped
from ..tasks.records import Document
from ..text.wording import normalize_text
from .audit import MAX_TEXT, AugmentationJudge, audit, clean
from .cost import augment_estimate, check_fits
from .options import KEEPS, STRATEGIES
from .rundir import RunDir

PLACEHOLDERS = {"local": ("{sentence}",), "global": ("{corpus}", "{document}")}
PLACEHOLDER = re.compile(r"\{(sentence|corpus|document)\}")
STOPS = {"local": ("\n\n", "\nSentence:"), "global": ("\n\n",)}
MAX_CANDIDATES = 64  # per generation: a real one of max_tokens tokens holds far fewer
BULLET = re.compile(r"^(?:[-*•·–—>]+|\(?\d{1,3}[.):]|\(\d{1,3}\))\s*")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
QUOTES = "\"'`“”‘’«»"
CANDIDATES = "augmentations.jsonl"
ENTRIES = (CANDIDATES, "audit.json", "train_augmented.jsonl")  # what an augment run directory holds besides run.json


@dataclass
class AugmentConfig:
    data: str
    strategy: str
    model: str
    max_tokens: int = 64
    samples: int = 1
    temperature: float = 0.0
    seed: int = 0
    limit: int | None = None  # sources
    subsample: float | None = None  # share of the corpus in the global prompt
    prompt_file: str | None = None

    def validate(self) -> None:
        if self.strategy not in STRATEGIES:
            raise KgsynthError(f"unknown strategy {self.strategy!r}: use {' or '.join(STRATEGIES)}")
        if self.max_tokens < 1:
            raise KgsynthError(f"--max-tokens must be at least 1, got {self.max_tokens}")
        if self.samples < 1:
            raise KgsynthError(f"--samples must be at least 1, got {self.samples}")
        if self.temperature < 0:
            raise KgsynthError(f"--temperature must be 0 or more, got {self.temperature}")
        if self.samples > 1 and self.temperature == 0:
            raise KgsynthError("--samples above 1 needs --temperature above 0 (greedy samples are all the same)")
        if self.limit is not None and self.limit < 1:
            raise KgsynthError(f"--limit must be at least 1, got {self.limit}")
        if self.subsample is not None:
            if not 0 < self.subsample <= 1:
                raise KgsynthError(f"--subsample must be in (0, 1], got {self.subsample}")
            if self.strategy != "global":
                raise KgsynthError("--subsample applies to the global strategy only")


# -- prompts ------------------------------------------------------------------------


def prompt_file_of(strategy: str, prompt_file: str | None = None, json_list: bool = False) -> Path:
    """The user's prompt file, or the one shipped with kgsynth (the JSON-list one for models
    with structured output)."""
    if prompt_file:
        return Path(prompt_file)
    return shipped("prompts", f"augment_{strategy}{'_json' if json_list else ''}.txt")


def load_prompt(strategy: str, prompt_file: str | None = None, json_list: bool = False) -> str:
    """The prompt template (see prompt_file_of), checked for the placeholders the strategy fills."""
    try:
        text = prompt_file_of(strategy, prompt_file, json_list).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KgsynthError(f"cannot read --prompt-file {prompt_file}: {exc}") from None
    missing = [p for p in PLACEHOLDERS[strategy] if p not in text]
    if missing:
        where = prompt_file or f"the {strategy} prompt"
        raise KgsynthError(f"{where} lacks the placeholder(s) {', '.join(missing)} the {strategy} strategy fills")
    return text


def fill(template: str, **values: str) -> str:
    """Replace {sentence}, {corpus}, {document} in one pass (the values may hold braces)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


# -- sources --------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    id: str
    text: str


def select_sources(documents: list[Document], strategy: str, seed: int, limit: int | None) -> list[Source]:
    """local: each training sentence with a distinct statement; global: each document with a
    distinct set of statements (a fact's repetitions in other words are one source). Seeded order."""
    if strategy == "local":
        seen: set[Statement] = set()
        sources = []
        for doc in documents:
            for sentence in doc.sentences:
                if sentence.statement is not None and sentence.statement not in seen:
                    seen.add(sentence.statement)
                    sources.append(Source(sentence.id, sentence.text))
    else:
        first: dict = {}  # the statements a document states (its id when none) -> the first such document
        for doc in documents:
            key = frozenset(s.statement for s in doc.sentences if s.statement is not None) or doc.id
            first.setdefault(key, Source(doc.id, doc.text))
        sources = list(first.values())
    random.Random(f"{seed}:augment").shuffle(sources)
    return sources[:limit] if limit else sources


# -- splitting and judging ---------------------------------------------------------------


def split_candidates(output: str) -> list[str]:
    """Candidate sentences of a generation: lines, without bullets or numbers, split after . ! ?"""
    found = []
    for line in str(output).splitlines():
        line = BULLET.sub("", line.strip()).strip()
        for piece in SENTENCE_END.split(line):
            piece = piece.strip().strip(QUOTES).strip()
            piece = BULLET.sub("", piece).strip().strip(QUOTES).strip()
            if any(ch.isalnum() for ch in piece):
                found.append(piece)
    return found


# -- the run -----------------------------------------------------------------------------


def finished_sources(records: list[dict]) -> list[dict]:
    """The lines of the sources that have their "done" line: a source left unfinished, or with a
    line that lacks what the audit reads, is generated again."""
    lines = [r for r in records if isinstance(r.get("source_id"), str)]
    broken = {r["source_id"] for r in lines if not r.get("done") and not whole_candidate(r)}
    done = {r["source_id"] for r in lines if r.get("done")} - broken
    return [r for r in lines if r["source_id"] in done]


def whole_candidate(record: dict) -> bool:
    statement = record.get("statement", 0)
    return isinstance(record.get("text"), str) and "verdict" in record and (statement is None or isinstance(statement, dict))


def load_records(run: RunDir) -> tuple[list[dict], dict[str, dict]]:
    """(candidate records, source id -> its "done" line) of a run; the lines of a source left
    unfinished, and a line cut short, are dropped and the file mended."""
    lines = run.read_jsonl(CANDIDATES, keep=finished_sources)
    return [r for r in lines if not r.get("done")], {r["source_id"]: r for r in lines if r.get("done")}


def augment_run(config: AugmentConfig, out: Path, json_list: bool = False) -> RunDir:
    """The run directory of an augmentation (RunDir.check it before loading the model); json_list:
    the model answers with JSON lists (the prompt hashed is then the *_json one)."""
    data = Path(config.data)
    inputs = {"manifest.json": data / "manifest.json", "documents.jsonl": data / "documents.jsonl",
              "prompt": prompt_file_of(config.strategy, config.prompt_file, json_list)}
    inputs |= {f"items/{split}.jsonl": data / "items" / f"{split}.jsonl" for split in item_splits(data)}
    return RunDir(out, "augment", asdict(config), inputs, ENTRIES)


class Augmenter:
    def __init__(self, model: Model, config: AugmentConfig, run_dir: str | Path, dataset: Dataset | None = None):
        config.validate()
        self.model = model
        self.config = config
        self.run = Path(run_dir)
        self.dataset = dataset if dataset is not None else load_dataset(config.data)
        self.json_list = model.structured_output
        self.template = load_prompt(config.strategy, config.prompt_file, self.json_list)
        self.documents = self.dataset.documents
        self.judge = AugmentationJudge(self.dataset, self.documents)
        self.sources = select_sources(self.documents, config.strategy, config.seed, config.limit)
        self.records: list[dict] = []  # the judged candidates, once augment() has run

    def rundir(self) -> RunDir:
        """The run directory: refused on rerun if the config, the prompt or the dataset changed."""
        return augment_run(self.config, self.run, self.json_list)

    def estimate(self, restart: bool = False):
        """The tokens this run sends (cost.Estimate), before it starts: resumed, only for the sources not done yet."""
        run = self.rundir()
        done = load_records(run)[1] if run.check(restart) else {}
        return augment_estimate(self.model, self, done=done)

    @cached_property
    def corpus(self) -> str:
        return corpus_text(self.documents, self.config.subsample, self.config.seed)

    def prompt(self, source: Source) -> str:
        if self.config.strategy == "local":
            return fill(self.template, sentence=source.text)
        return fill(self.template, corpus=self.corpus, document=source.text)

    @cached_property
    def shared_prefix(self) -> str | None:
        """The part every global prompt starts with (up to the corpus): a backend may cache it."""
        if self.config.strategy != "global" or "{corpus}" not in self.template:
            return None
        head = self.template[: self.template.index("{corpus}") + len("{corpus}")]
        return None if "{document}" in head else fill(head, corpus=self.corpus)

    def check_context(self) -> None:
        """Refuse a prompt over the model's window before generating anything."""
        if not self.sources:
            return
        longest = max(self.sources, key=lambda s: len(s.text))
        tokens = self.model.count_tokens(self.prompt(longest)) + self.config.max_tokens
        corpus = self.model.count_tokens(self.corpus) if self.config.strategy == "global" else 0
        check_fits(self.model, corpus, tokens - corpus, self.config.subsample,
                   f"the {self.config.strategy} prompt{' without the corpus' if corpus else ''}, with the answer,")

    def generate(self, sources: list[Source]) -> list[list[Reply]]:
        """The model's answers for each source, one per sample."""
        prompts, stops = [self.prompt(s) for s in sources], STOPS[self.config.strategy]
        replies: list[list[Reply]] = [[] for _ in sources]
        for sample in range(self.config.samples):
            found = self.model.complete(prompts, max_tokens=self.config.max_tokens, stop=stops,
                                        temperature=self.config.temperature, seed=self.config.seed + sample,
                                        shared_prefix=self.shared_prefix, json_list=self.json_list)
            for index in range(len(sources)):
                reply = found[index] if index < len(found) and isinstance(found[index], Reply) else Reply("", "empty")
                text = reply.text if isinstance(reply.text, str) else ""
                replies[index].append(Reply(cut_at_stop(clean(text), stops), reply.problem, reply.items))
        return replies

    def source_records(self, source: Source, replies: list[Reply]) -> list[dict]:
        records, dropped = [], 0
        for sample, reply in enumerate(replies):
            output = "\n".join(clean(str(item)) for item in reply.items) if reply.items is not None else reply.text
            candidates = [] if self.json_list and reply.items is None else split_candidates(output)
            dropped += max(0, len(candidates) - MAX_CANDIDATES)
            records += [self.judge.record(source.id, self.config.strategy, text, sample)
                        for text in candidates[:MAX_CANDIDATES]]
        done = {"source_id": source.id, "strategy": self.config.strategy, "done": True, "candidates": len(records),
                "outputs": [r.text[:4 * MAX_TEXT] for r in replies]}
        if dropped:
            done["dropped"] = dropped
        problems = [r.problem for r in replies if r.problem]
        if problems:
            done["problems"] = problems
        return [*records, done]

    def augment(self, progress: Callable[[int, int], None] | None = None, keep: str | None = "entailed",
                restart: bool = False) -> dict:
        """Generate for every source not done yet, then write audit.json (and the kept
        sentences unless `keep` is None); returns the audit."""
        if keep is not None and keep not in KEEPS:
            raise KgsynthError(f"unknown --keep {keep!r}: use {', '.join(KEEPS)}")
        run = self.rundir()
        resuming = run.check(restart)
        records, done = load_records(run) if resuming else ([], {})
        todo = [s for s in self.sources if s.id not in done]
        if todo:
            self.check_context()  # before the run directory exists: a refused prompt leaves nothing
        run.open(restart)
        if progress:
            progress(len(self.sources) - len(todo), len(self.sources))
        size = max(1, len(todo)) if self.model.batch_all else self.model.generation_batch
        with run.append_jsonl(CANDIDATES, ensure_ascii=False) as append:
            for start in range(0, len(todo), size):
                group = todo[start: start + size]
                lines = [self.source_records(s, replies) for s, replies in zip(group, self.generate(group), strict=True)]
                append(line for found in lines for line in found)
                for found in lines:
                    records += found[:-1]
                    done[found[-1]["source_id"]] = found[-1]
                if progress:
                    progress(len(group), len(self.sources))
        self.records = records
        result = audit(records, self.dataset, sources=len(self.sources), judge=self.judge)
        problems = output_problems(done.values())
        if problems:
            result["problems"] = problems
        run.write_json("audit.json", result)
        if keep is not None:
            write_train(run.path("train_augmented.jsonl"), kept_records(records, keep))
        return result


def output_problems(done: Iterable[dict]) -> dict[str, int]:
    """How many answers were cut off, blocked, empty or malformed, by kind, from the sources' done lines."""
    counts: dict[str, int] = defaultdict(int)
    for record in done:
        for problem in record.get("problems", []):
            counts[problem.split(":")[0] if problem.startswith("error:") else problem] += 1
    return dict(sorted(counts.items()))


# -- training records --------------------------------------------------------------------


def kept_records(records: list[dict], keep: str = "entailed") -> list[dict]:
    """One train record per distinct kept statement (per distinct text for unparsed ones, with keep=all)."""
    if keep not in KEEPS:
        raise KgsynthError(f"unknown --keep {keep!r}: use {', '.join(KEEPS)}")
    seen: set = set()
    texts = []
    for r in records:
        if r.get("done"):
            continue
        verdict = r.get("verdict")
        if keep == "entailed" and verdict != "entailed":
            continue
        if keep == "parsed" and (verdict == "unparseable" or r.get("statement") is None):
            continue
        key = Statement.from_json(r["statement"]) if r.get("statement") else ("text", normalize_text(r["text"]))
        if key in seen:
            continue
        seen.add(key)
        texts.append(r["text"])
    return augmentation_records(texts)


def augmentation_records(texts: list[str]) -> list[dict]:
    """Sentences as train.jsonl records (shape independent), to fine-tune on with --extra."""
    return [{"shape": "independent", "id": f"aug-{i:06d}", "doc_id": "augment", "context": "", "text": text}
            for i, text in enumerate(texts, 1)]


def write_train(path: Path, records: list[dict]) -> None:
    with writing(path):
        write_atomic(path, jsonl_bytes(records))
