"""The oracle's verdicts on sentences a model wrote, and the audit of an augmentation run.

One vocabulary:
  judge_sentence            parse one sentence with the dataset's grammar and ask the oracle:
                            (statement, verdict, why unparseable); never raises for odd text
  answer_verdicts           sentence -> verdict of a generated answer (closed world), the
                            verdict function of `eval --scoring generate`
  AugmentationJudge.record  one augmentation candidate as a record: verdict (open world), the
                            rule that derives it, novel to training?, asked by a test item?
  audit                     the judged candidates of a run counted: precision, contradiction and
                            unparseable rates, novelty (not stated in training), coverage (of the
                            entailments the test items ask for)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from lark.exceptions import LarkError
from rich.console import Console
from rich.table import Table

from ..data.dataset import Dataset
from ..errors import KgsynthError
from ..logic.oracle import Oracle, Verdict
from ..logic.statement import Statement
from ..tasks.records import Document
from ..text.grammar import Grammar, ParseError
from ..text.wording import normalize_text

VERDICTS = ("entailed", "contradicted", "unknown", "unparseable")
MAX_WORDS = 40  # no sentence form of the grammar comes near; longer text is not parsed
MAX_TEXT = 1000  # characters of a candidate kept in the record


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


def answer_verdicts(dataset: Dataset) -> Callable[[str], str]:
    """sentence -> entailed / contradicted / unknown (closed world) / unparseable: how
    `eval --scoring generate` judges a generated answer."""

    def verdict(sentence: str) -> str:
        _, found, _ = judge_sentence(dataset.grammar, dataset.oracle, sentence, closed_world=True)
        return "unparseable" if found is None else found.value

    return verdict


class AugmentationJudge:
    """Judges augmentation candidates against one dataset: the oracle's verdict (open world),
    whether the statement is new to training and whether a test item asks for it."""

    def __init__(self, dataset: Dataset, documents: list[Document] | None = None):
        self.dataset = dataset
        self.grammar = dataset.grammar
        self.oracle = dataset.oracle
        self.trained = trained_statements(documents if documents is not None else dataset.documents)
        self.answers = answer_statements(dataset)
        self.answer_set = {s for found in self.answers.values() for s in found}

    def classify(self, text: str) -> tuple[Statement | None, str, str | None, str | None]:
        """(statement, verdict, derivation rule, why unparseable) of one sentence; never raises
        for odd text."""
        statement, verdict, why = judge_sentence(self.grammar, self.oracle, text)
        if verdict is None:
            return None, "unparseable", None, why
        rule = verdict.derivation.rule if verdict.value == "entailed" and verdict.derivation else None
        return statement, verdict.value, rule, None

    def record(self, source_id: str, strategy: str, text: str, sample: int = 0) -> dict:
        text = clean(text)
        statement, verdict, rule, error = self.classify(text)
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


def trained_statements(documents: list[Document]) -> set[Statement]:
    return {s.statement for d in documents for s in d.sentences if s.statement is not None}


def answer_statements(dataset: Dataset) -> dict[str, set[Statement]]:
    """split -> the answer statements of its test items."""
    return {split: {i.answer_statement for i in dataset.items[split]} for split in dataset.splits()}


def answer_texts(dataset: Dataset) -> dict[str, set[str]]:
    """split -> each item's answer sentence as the test words it (normalized)."""
    return {split: {normalize_text(i.answer_text) for i in dataset.items[split]} for split in dataset.splits()}


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def audit(records: list[dict], dataset: Dataset, sources: int | None = None, judge: AugmentationJudge | None = None) -> dict:
    """Counts and rates of candidate records, judged against the dataset's training text and items.

    precision = entailed / parsed; contradiction_rate = contradicted / parsed;
    unparseable_rate = unparseable / total; novelty = share of the distinct entailed
    statements no training sentence states; coverage = share of the distinct answer
    statements of the test items (all splits) among the entailed ones (per split too);
    surface_coverage = share of items whose answer sentence, as the test words it, was
    generated and entailed.
    """
    judge = judge or AugmentationJudge(dataset)
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
