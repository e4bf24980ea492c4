"""Augmentation written by a model, and its audit by the oracle (STUDY.md, "Augmentation").

Two strategies, as in the study:
  local   each distinct training sentence -> rephrasings and reversals (a few-shot prompt);
  global  the corpus in context, then one document -> inferences linking it to the rest.

Every generated sentence is parsed back to a statement by the dataset's grammar and judged
by the oracle (open world): entailed, contradicted, unknown, or unparseable. The run
directory holds:
  augment.json            the config (a rerun with another config is refused)
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

import hashlib
import json
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

from . import __version__
from .audit import MAX_TEXT, Judge, answer_statements, audit, clean, read_documents, trained_statements
from .dataset import Dataset, corpus_text, load_dataset, read_json
from .documents import normalize_text
from .errors import KgsynthError
from .models.base import Model, Reply, cut_at_stop
from .outdir import write_atomic
from .statement import ISA, Statement

STRATEGIES = ("local", "global")
KEEPS = ("entailed", "parsed", "all")
PLACEHOLDERS = {"local": ("{sentence}",), "global": ("{corpus}", "{document}")}
PLACEHOLDER = re.compile(r"\{(sentence|corpus|document)\}")
STOPS = {"local": ("\n\n", "\nSentence:"), "global": ("\n\n",)}
MAX_CANDIDATES = 64  # per generation: a real one of max_tokens tokens holds far fewer
BULLET = re.compile(r"^(?:[-*•·–—>]+|\(?\d{1,3}[.):]|\(\d{1,3}\))\s*")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
QUOTES = "\"'`“”‘’«»"


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


def load_prompt(strategy: str, prompt_file: str | None = None, json_list: bool = False) -> str:
    """The prompt template: the user's file, or the one shipped with kgsynth (the JSON-list
    one for models with structured output)."""
    if prompt_file:
        try:
            text = Path(prompt_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise KgsynthError(f"cannot read --prompt-file {prompt_file}: {exc}") from None
    else:
        name = f"augment_{strategy}{'_json' if json_list else ''}.txt"
        text = resources.files("kgsynth").joinpath("prompts", name).read_text(encoding="utf-8")
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


def select_sources(documents: list[dict], strategy: str, seed: int, limit: int | None) -> list[Source]:
    """local: each training sentence with a distinct statement; global: each document. Seeded order."""
    if strategy == "local":
        seen: set[Statement] = set()
        sources = []
        for doc in documents:
            for sentence in doc["sentences"]:
                if sentence.get("statement") is None:
                    continue
                statement = Statement.from_json(sentence["statement"])
                if statement not in seen:
                    seen.add(statement)
                    sources.append(Source(sentence["id"], sentence["text"]))
    else:
        sources = [Source(doc["id"], doc["text"]) for doc in documents]
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


def run_settings(config: AugmentConfig, prompt: str) -> dict:
    manifest = read_json(Path(config.data) / "manifest.json")
    return {"config": asdict(config), "prompt_sha256": hashlib.sha256(prompt.encode()).hexdigest(),
            "data_manifest": manifest.get("outputs")}


def check_run(run: Path, config: AugmentConfig, prompt: str) -> bool:
    """True if `run` holds this augmentation already; refuses another one (config, prompt or
    dataset changed), or a directory holding something else."""
    settings, wanted = run / "augment.json", run_settings(config, prompt)
    if settings.is_file():
        previous = read_json(settings)
        if previous.get("config") != wanted["config"]:
            raise KgsynthError(f"{run} holds another augmentation ({previous.get('config')}); choose another --out")
        if previous.get("prompt_sha256") != wanted["prompt_sha256"]:
            raise KgsynthError(f"the prompt changed since {run} was started; choose another --out")
        if previous.get("data_manifest") != wanted["data_manifest"]:
            raise KgsynthError(f"{config.data} changed since {run} was started (synthesized again?); choose another --out")
        return True
    if run.exists() and (not run.is_dir() or any(run.iterdir())):
        raise KgsynthError(f"--out {run} is not empty and holds no augmentation; choose another")
    return False


def create_run(run: Path, config: AugmentConfig, prompt: str) -> None:
    run.mkdir(parents=True, exist_ok=True)
    record = run_settings(config, prompt) | {"kgsynth_version": __version__}
    write_atomic(run / "augment.json", (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())


def load_records(run: Path) -> tuple[list[dict], dict[str, dict]]:
    """(candidate records, source id -> its "done" line). Lines of a source left unfinished,
    and a line cut short, are dropped and the file mended, so that source is generated again."""
    path = run / "augmentations.jsonl"
    if not path.is_file():
        return [], {}
    lines, parsed = path.read_text(encoding="utf-8").splitlines(), []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "source_id" in record:
            parsed.append((line, record))
    done = {r["source_id"]: r for _, r in parsed if r.get("done")}
    kept = [(line, r) for line, r in parsed if r["source_id"] in done]
    if len(kept) != len(lines):
        write_atomic(path, "".join(line + "\n" for line, _ in kept).encode())
    return [r for _, r in kept if not r.get("done")], done


class Augmenter:
    def __init__(self, model: Model, config: AugmentConfig, run_dir: str | Path, dataset: Dataset | None = None):
        config.validate()
        self.model = model
        self.config = config
        self.run = Path(run_dir)
        self.dataset = dataset if dataset is not None else load_dataset(config.data)
        self.json_list = model.structured_output
        self.template = load_prompt(config.strategy, config.prompt_file, self.json_list)
        self.documents = read_documents(self.dataset)
        self.judge = Judge(self.dataset, self.documents)
        self.sources = select_sources(self.documents, config.strategy, config.seed, config.limit)
        self.records: list[dict] = []  # the judged candidates, once augment() has run

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

    def check_fits(self) -> None:
        """Refuse a prompt over the model's window before generating anything."""
        if not self.sources:
            return
        longest = max(self.sources, key=lambda s: len(s.text))
        tokens = self.model.count_tokens(self.prompt(longest)) + self.config.max_tokens
        if tokens <= self.model.max_context:
            return
        if self.config.strategy == "global":
            corpus = max(1, self.model.count_tokens(self.corpus))
            room = self.model.max_context - (tokens - corpus) - 64
            share = (self.config.subsample or 1.0) * room / corpus
            if share > 0:
                raise KgsynthError(f"the global prompt is {tokens:,} tokens with the answer, over the model's window of "
                                   f"{self.model.max_context:,}: try --subsample {int(share * 10_000) / 10_000:g}")
        raise KgsynthError(f"the {self.config.strategy} prompt is {tokens:,} tokens with the answer, over the model's "
                           f"window of {self.model.max_context:,}: use a shorter prompt or a longer-context model")

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

    def augment(self, progress: Callable[[int, int], None] | None = None, keep: str | None = "entailed") -> dict:
        """Generate for every source not done yet, then write audit.json (and the kept
        sentences unless `keep` is None); returns the audit."""
        if keep is not None and keep not in KEEPS:
            raise KgsynthError(f"unknown --keep {keep!r}: use {', '.join(KEEPS)}")
        existing = check_run(self.run, self.config, self.template)
        records, done = load_records(self.run) if existing else ([], {})
        todo = [s for s in self.sources if s.id not in done]
        if todo:
            self.check_fits()  # before the run directory exists: a refused prompt leaves nothing
        if not existing:
            create_run(self.run, self.config, self.template)
        if progress:
            progress(len(self.sources) - len(todo), len(self.sources))
        size = max(1, len(todo)) if self.model.batch_all else 1
        with (self.run / "augmentations.jsonl").open("a", encoding="utf-8") as out:
            for start in range(0, len(todo), size):
                group = todo[start: start + size]
                for source, replies in zip(group, self.generate(group), strict=True):
                    lines = self.source_records(source, replies)
                    out.write("".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in lines))
                    records += lines[:-1]
                    done[source.id] = lines[-1]
                out.flush()
                if progress:
                    progress(len(group), len(self.sources))
        self.records = records
        result = audit(records, self.dataset, sources=len(self.sources), judge=self.judge)
        problems = output_problems(done.values())
        if problems:
            result["problems"] = problems
        write_atomic(self.run / "audit.json", (json.dumps(result, indent=2, sort_keys=True) + "\n").encode())
        if keep is not None:
            write_train(self.run / "train_augmented.jsonl", kept_records(records, keep))
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
    return train_records(texts)


def train_records(texts: list[str]) -> list[dict]:
    return [{"shape": "independent", "id": f"aug-{i:06d}", "doc_id": "augment", "context": "", "text": text}
            for i, text in enumerate(texts, 1)]


def write_train(path: Path, records: list[dict]) -> None:
    write_atomic(path, "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in records).encode())


def oracle_augmentations(dataset: Dataset, limit: int | None = None) -> list[dict]:
    """The oracle-augmented ceiling: in the grammar's plain style, every answer statement of
    the test items, then every derived statement of the closure that names only terms of the
    training text (round-robin over the derivation rules, so a `limit` keeps a mix)."""
    grammar, oracle = dataset.naming.grammar, dataset.oracle
    documents = read_documents(dataset)
    trained = trained_statements(documents)
    terms = {t for s in trained for t in (s.subject, s.object)}
    chosen: list[Statement] = []
    seen: set[Statement] = set()

    def add(statement: Statement) -> None:
        if statement not in seen:
            seen.add(statement)
            chosen.append(statement)

    for statement in sorted(set().union(*answer_statements(dataset).values())):
        if oracle.query(statement).value == "entailed":
            add(statement)
    by_rule: dict[str, list[Statement]] = defaultdict(list)
    for statement, derivation in oracle.closure.derived():
        if statement.subject in terms and statement.object in terms and \
                (statement.relation == ISA or statement.relation in grammar.relations):
            by_rule[derivation.rule].append(statement)
    queues = [by_rule[rule] for rule in sorted(by_rule)]
    for index in range(max((len(q) for q in queues), default=0)):
        for queue in queues:
            if index < len(queue):
                add(queue[index])
    texts = []
    for statement in chosen:
        if limit is not None and len(texts) >= limit:
            break
        try:
            texts.append(grammar.render(statement, "plain"))
        except KgsynthError:
            continue
    return train_records(texts)
