"""The oracle's ceiling of augmentation (`study --regime oracle-ft`): the sentences a perfect
augmenter would add, written by the grammar from the oracle's closure, in the train.jsonl
schema."""

from __future__ import annotations

from collections import defaultdict

from ..data.dataset import Dataset
from ..errors import KgsynthError
from ..logic.statement import ISA, Statement
from ..text.grammar import Grammar
from .audit import answer_statements, trained_statements
from .augment import augmentation_records


def oracle_augmentations(dataset: Dataset, limit: int | None = None) -> list[dict]:
    """The oracle-augmented ceiling: every answer statement of the test items (written as
    `answer_wording` says), then, in the grammar's plain style, every derived statement of the
    closure that names only terms of the training text (round-robin over the derivation rules,
    so a `limit` keeps a mix)."""
    grammar, oracle = dataset.grammar, dataset.oracle
    trained = trained_statements(dataset.documents)
    terms = {t for s in trained for t in (s.subject, s.object)}
    chosen: list[Statement] = []
    seen: set[Statement] = set()
    wording = answer_wording(dataset)

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
            texts.append(wording.get(statement) or grammar.render(statement, "plain"))
        except KgsynthError:
            continue
    return augmentation_records(texts)


def answer_wording(dataset: Dataset) -> dict[Statement, str]:
    """Answer statement -> its item's whole text, where the item's prompt is a question frame
    and its option a whole sentence: "The relationships between X and Y are: All X are Y.",
    as the family's documents write statements (inside the frame that names their terms).
    Trained bare instead, the conclusions leave the frame to the premises, and the framed
    question then picks the premises' commonest form. Items whose prompt begins the sentence
    ("Femp is", "As it happens,") keep the plain style: the reversal is then the item's own
    text too, and `rephrased` still asks a wording the ceiling did not train."""
    grammar, wording = dataset.grammar, {}
    for split in dataset.splits():
        for item in dataset.items[split]:
            option = item.options[item.answer].strip()
            statement = item.answer_statement
            if not reads_as(grammar, item.answer_text, statement) and reads_as(grammar, option, statement):
                wording.setdefault(statement, item.answer_text)
    return wording


def reads_as(grammar: Grammar, sentence: str, statement: Statement) -> bool:
    try:
        return statement in grammar.readings(sentence)
    except KgsynthError:
        return False
