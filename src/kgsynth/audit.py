"""The oracle's audit of generated sentences: each parsed and judged, then counted.

A sentence is parsed by the dataset's grammar and judged by the oracle (open world):
entailed, contradicted, unknown, or unparseable. `audit` turns the judged candidates of
an augmentation run into precision, contradiction and unparseable rates, novelty (not
stated in training) and coverage (of the entailments the test items ask for).
"""

from __future__ import annotations

from collections import defaultdict

from lark.exceptions import LarkError
from rich.console import Console
from rich.table import Table

from .dataset import Dataset, read_jsonl
from .documents import normalize_text
from .errors import KgsynthError
from .grammar import Grammar, ParseError
from .oracle import Oracle, Verdict
from .statement import Statement

VERDICTS = ("entailed", "contradicted", "unknown", "unparseable")
MAX_WORDS = 40  # no sentence form of the grammar comes near; longer text is not parsed
MAX_TEXT = 1000  # characters of a candidate kept in the record


def read_documents(dataset: Dataset) -> list[dict]:
    return read_jsonl(dataset.path / "documents.jsonl")


def clean(text: str) -> str:
    """Text that can be written as UTF-8 (a lone surrogate becomes '?')."""
    return text.encode("utf-8", "replace").decode("utf-8")


def judge_sentence(grammar: Grammar, oracle: Oracle, text: str,
                   closed_world: bool = False) -> tuple[Statement | None, Verdict | None, str | None]:
    """(statement, the oracle's verdict, None), or (None, None, why) for a sentence the
    grammar cannot read; never raises for odd text."""
    if not text or not text.strip():
        return None, None, "empty"
    if len(text.split()) > MAX_WORDS:
        return None, None, f"over {MAX_WORDS} words"
    try:
        statement = grammar.parse(text)
        return statement, oracle.query(statement, closed_world), None
    except (ParseError, KgsynthError, LarkError, RecursionError, ValueError) as exc:  # unknown terms: KgsynthError
        return None, None, str(exc)[:200]


class Judge:
    """Parse a sentence with the dataset's grammar, ask the oracle (open world), and say
    whether the statement is new to training and whether a test item asks for it."""

    def __init__(self, dataset: Dataset, documents: list[dict] | None = None):
        self.dataset = dataset
        self.grammar = dataset.naming.grammar
        self.oracle = dataset.oracle
        self.trained = trained_statements(documents if documents is not None else read_documents(dataset))
        self.answers = answer_statements(dataset)
        self.answer_set = {s for found in self.answers.values() for s in found}

    def judge(self, text: str) -> tuple[Statement | None, str, str | None, str | None]:
        """(statement, verdict, derivation rule, why unparseable) of one sentence; never raises
        for odd text."""
        statement, verdict, why = judge_sentence(self.grammar, self.oracle, text)
        if verdict is None:
            return None, "unparseable", None, why
        rule = verdict.derivation.rule if verdict.value == "entailed" and verdict.derivation else None
        return statement, verdict.value, rule, None

    def record(self, source_id: str, strategy: str, text: str, sample: int = 0) -> dict:
        text = clean(text)
        statement, verdict, rule, error = self.judge(text)
        record = {
            "source_id": source_id, "strategy": strategy, "sample": sample,
            "text": text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…",
            "statement": statement.to_json() if statement else None, "verdict": verdict, "rule": rule,
            "novel": statement is not None and statement not in self.trained,
            "item_relevant": statement is not None and statement in self.answer_set,
        }
        if error:
            record["error"] = error
        return record


def trained_statements(documents: list[dict]) -> set[Statement]:
    return {Statement.from_json(s["statement"]) for d in documents for s in d["sentences"] if s.get("statement")}


def answer_statements(dataset: Dataset) -> dict[str, set[Statement]]:
    """split -> the answer statements of its test items."""
    return {split: {Statement.from_json(i["statements"][i["answer"]]) for i in dataset.items(split)}
            for split in dataset.splits()}


def answer_texts(dataset: Dataset) -> dict[str, set[str]]:
    """split -> each item's answer sentence as the test words it (normalized)."""
    found: dict[str, set[str]] = {}
    for split in dataset.splits():
        found[split] = {normalize_text(i["prompt"] + i["options"][i["answer"]]) for i in dataset.items(split)}
    return found


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def audit(records: list[dict], dataset: Dataset, sources: int | None = None, judge: Judge | None = None) -> dict:
    """Counts and rates of candidate records, judged against the dataset's training text and items.

    precision = entailed / parsed; contradiction_rate = contradicted / parsed;
    unparseable_rate = unparseable / total; novelty = share of the distinct entailed
    statements no training sentence states; coverage = share of the distinct answer
    statements of the test items (all splits) among the entailed ones (per split too);
    surface_coverage = share of items whose answer sentence, as the test words it, was
    generated and entailed.
    """
    judge = judge or Judge(dataset)
    candidates = [r for r in records if not r.get("done")]
    counts = {v: sum(r.get("verdict") == v for r in candidates) for v in VERDICTS}
    total = len(candidates)
    parsed = counts["entailed"] + counts["contradicted"] + counts["unknown"]
    entailed = [r for r in candidates if r.get("verdict") == "entailed" and r.get("statement")]
    distinct = {Statement.from_json(r["statement"]) for r in entailed}
    novel = {s for s in distinct if s not in judge.trained}
    by_rule: dict[str, int] = defaultdict(int)
    for r in entailed:
        by_rule[r.get("rule") or "?"] += 1
    answers = judge.answer_set
    texts = {normalize_text(r["text"]) for r in entailed}
    coverage_by_split = {split: rate(len(found & distinct), len(found)) for split, found in judge.answers.items()}
    surface = answer_texts(dataset)
    surface_items = sum(len(found) for found in surface.values())
    result = {
        "total": total, "parsed": parsed, **counts,
        "precision": rate(counts["entailed"], parsed),
        "contradiction_rate": rate(counts["contradicted"], parsed),
        "unknown_rate": rate(counts["unknown"], parsed),
        "unparseable_rate": rate(counts["unparseable"], total),
        "distinct_entailed": len(distinct),
        "novel_entailed": len(novel),
        "novelty": rate(len(novel), len(distinct)),
        "answer_statements": len(answers),
        "covered": len(answers & distinct),
        "coverage": rate(len(answers & distinct), len(answers)),
        "coverage_by_split": coverage_by_split,
        "surface_coverage": rate(sum(len(found & texts) for found in surface.values()), surface_items),
        "entailed_by_rule": dict(sorted(by_rule.items())),
    }
    if sources is not None:
        result["sources"] = sources
    return result


# -- showing -----------------------------------------------------------------------------


def audit_table(result: dict, title: str = "augmentation audit") -> Table:
    def share(value) -> str:
        return "—" if value is None else f"{value:.3f}"

    table = Table(title=title)
    table.add_column("what")
    table.add_column("value", justify="right")
    if "sources" in result:
        table.add_row("sources", f"{result['sources']:,}")
    table.add_row("sentences generated", f"{result['total']:,}")
    table.add_row("parsed", f"{result['parsed']:,}")
    for verdict in VERDICTS:
        table.add_row(f"  {verdict}", f"{result[verdict]:,}")
    table.add_row("precision (entailed / parsed)", share(result["precision"]))
    table.add_row("contradiction rate (of parsed)", share(result["contradiction_rate"]))
    table.add_row("unparseable rate (of all)", share(result["unparseable_rate"]))
    table.add_row("distinct entailed statements", f"{result['distinct_entailed']:,}")
    table.add_row("novelty (not in training)", share(result["novelty"]))
    table.add_row(f"coverage of {result['answer_statements']:,} test answers", share(result["coverage"]))
    for split, value in result.get("coverage_by_split", {}).items():
        table.add_row(f"  {split}", share(value))
    table.add_row("answer sentences generated word for word", share(result.get("surface_coverage")))
    return table


def show_audit(result: dict, title: str = "augmentation audit", console: Console | None = None) -> None:
    (console or Console()).print(audit_table(result, title))
