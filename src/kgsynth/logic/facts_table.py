"""Facts as data: a table of (subject, relation, object) rows, read against an ontology.

    subject,relation,object
    XYZ,is a,Tool
    Ann,uses,XYZ

Formats, by extension: `.csv` and `.tsv` (three cells a row; a first row
`subject,relation,object` is a header and skipped) and `.jsonl` (one object a line with
the keys subject, relation, object). Blank lines are skipped.

A relation cell names a property of the ontology by its local name or its rdfs:label,
with or without a leading "is" ("uses", "a user of", "is a user of"), case and spacing
ignored; "is a", "isa", "a", "an", "type" or "rdf:type" says class membership, and its
object names a class of the ontology the same way. Any other cell names an individual:
one of the ontology's (by local name or label) or a new one, named by the cell's text
(its rdfs:label, kept by `synth --keep-labels`). Every problem is one line naming the
file and the row (its line number in the file).
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import KgsynthError
from .ontology import Schema
from .statement import ISA, Form, Statement
from .world import WORLD_NAMESPACE

COLUMNS = ("subject", "relation", "object")
FORMATS = {".csv": ",", ".tsv": "\t", ".jsonl": None}
MEMBERSHIP = {"isa", "is a", "is an", "a", "an", "type", "rdf:type", "is a kind of", "instance of"}
TERM_WORDS = re.compile(r"[A-Za-z0-9]+")


class FactsError(KgsynthError):
    """The facts table cannot be read, or a row names something the ontology does not have."""


@dataclass(frozen=True)
class Row:
    number: int  # the line of the file it is on
    subject: str
    relation: str
    object: str


def shown(text: str) -> str:
    return " ".join(text.split())


def key(text: str) -> str:
    """How names are compared: case and spacing ignored."""
    return shown(text).casefold()


# -- reading rows ---------------------------------------------------------------------------


def read_rows(path: str | Path) -> list[Row]:
    """The table's rows, or a one-line FactsError naming the file (and row)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise FactsError(f"{path}: a facts table is .csv, .tsv or .jsonl (subject, relation, object), "
                         f"not {suffix or 'a file without an extension'}")
    if not path.is_file():
        raise FactsError(f"facts table not found: {path}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise FactsError(f"{path}: cannot read the facts table: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise FactsError(f"{path}: the facts table is not UTF-8 text") from None
    rows = read_jsonl(path, text) if FORMATS[suffix] is None else read_delimited(path, text, FORMATS[suffix])
    if not rows:
        raise FactsError(f"{path}: the facts table has no rows (subject, relation, object)")
    return rows


def read_delimited(path: Path, text: str, delimiter: str) -> list[Row]:
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for cells in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if not rows and tuple(key(c) for c in cells) == COLUMNS:
                continue  # the header
            if len(cells) != len(COLUMNS):
                raise FactsError(f"{path}, row {number}: {len(cells)} cells, expected 3 "
                                 f"(subject{delimiter}relation{delimiter}object)".replace("\t", " TAB "))
            rows.append(checked_row(path, number, cells))
    except csv.Error as exc:
        raise FactsError(f"{path}, row {reader.line_num}: {exc}") from None
    return rows


def read_jsonl(path: Path, text: str) -> list[Row]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FactsError(f"{path}, row {number}: not JSON ({exc.msg})") from None
        if not isinstance(record, dict) or set(record) != set(COLUMNS):
            found = ", ".join(sorted(record)) if isinstance(record, dict) else type(record).__name__
            raise FactsError(f"{path}, row {number}: expected an object with the keys subject, relation, object; "
                             f"got {found or 'an empty object'}")
        cells = [record[column] for column in COLUMNS]
        for column, cell in zip(COLUMNS, cells, strict=True):
            if not isinstance(cell, str):
                raise FactsError(f"{path}, row {number}: the {column} must be a string, got {json.dumps(cell)[:40]}")
        rows.append(checked_row(path, number, cells))
    return rows


def checked_row(path: Path, number: int, cells: list[str]) -> Row:
    for column, cell in zip(COLUMNS, cells, strict=True):
        if not cell.strip():
            raise FactsError(f"{path}, row {number}: the {column} is empty")
    return Row(number, *(shown(cell) for cell in cells))


# -- resolving rows against the ontology ---------------------------------------------------------


class Terms:
    """The ontology's names (local names and labels, compared by `key`) and the new individuals."""

    def __init__(self, schema: Schema, path: Path):
        self.schema, self.path = schema, path
        self.relations = self.index(schema.properties, with_is=True)
        self.classes = self.index(schema.classes)
        self.individuals = self.index(schema.individuals)
        self.taken = set(schema.iris) | set(schema.classes) | set(schema.properties) | set(schema.individuals)
        self.new: dict[str, str] = {}  # key(text) -> id of a new individual
        self.labels: dict[str, str] = {}  # id -> the text that named it first

    def index(self, ids, with_is: bool = False) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for term in sorted(ids):
            names = {term, self.schema.labels.get(term, term)}
            if with_is:
                names |= {f"is {name}" for name in names}
            for name in names:
                found.setdefault(key(name), set()).add(term)
        return found

    def fail(self, row: Row, message: str) -> FactsError:
        return FactsError(f"{self.path}, row {row.number}: {message}")

    def relation(self, row: Row) -> str:
        if key(row.relation) in MEMBERSHIP:
            return ISA
        found = self.relations.get(key(row.relation), set())
        if len(found) > 1:
            raise self.fail(row, f"the relation {row.relation!r} names {' and '.join(sorted(found))}: use a local name")
        if not found:
            names = sorted({self.schema.labels.get(p, p) for p in self.schema.properties} | set(self.schema.properties))
            raise self.unknown(row, "relation", row.relation, names)
        return next(iter(found))

    def cls(self, row: Row) -> str:
        found = self.classes.get(key(row.object), set())
        if len(found) == 1:
            return next(iter(found))
        if key(row.object) in self.individuals or key(row.object) in self.new:
            raise self.fail(row, f"{row.object!r} is an individual, not a class: '{row.relation}' needs a class")
        raise self.unknown(row, "class", row.object, sorted(self.schema.labels.get(c, c) for c in self.schema.classes))

    def unknown(self, row: Row, what: str, text: str, names: list[str]) -> FactsError:
        """An unknown relation or class: the nearest name, or the first of the ontology's."""
        near = difflib.get_close_matches(text, names, n=1, cutoff=0.6)
        hint = f"; did you mean {near[0]!r}?" if near else f" (the ontology's {what}s: {', '.join(names[:12]) or 'none'})"
        return self.fail(row, f"unknown {what} {text!r}{hint}")

    def individual(self, row: Row, text: str, column: str) -> str:
        found = self.individuals.get(key(text), set())
        if len(found) > 1:
            raise self.fail(row, f"the {column} {text!r} names {' and '.join(sorted(found))}: use a local name")
        if found:
            return next(iter(found))
        if key(text) in self.classes:
            raise self.fail(row, f"the {column} {text!r} is a class of the ontology; an individual is needed here")
        if key(text) not in self.new:
            self.new[key(text)] = self.fresh_id(text)
            self.labels[self.new[key(text)]] = text
        return self.new[key(text)]

    def fresh_id(self, text: str) -> str:
        """A local name from the words of `text` ("Data Platform Team" -> DataPlatformTeam), unique."""
        base = "".join(word[:1].upper() + word[1:] for word in TERM_WORDS.findall(text)) or "Individual"
        base = base if base[0].isalpha() else f"I{base}"
        name, count = base, 1
        while name in self.taken:
            count += 1
            name = f"{base}{count}"
        self.taken.add(name)
        return name

    def statement(self, row: Row) -> Statement:
        relation = self.relation(row)
        subject = self.individual(row, row.subject, "subject")
        if relation == ISA:
            return Statement(subject, ISA, self.cls(row), Form.FACT)
        return Statement(subject, relation, self.individual(row, row.object, "object"), Form.FACT)


def add_facts(schema: Schema, path: str | Path, rows: Iterable[Row] | None = None) -> Schema:
    """The schema with the table's facts asserted and its new individuals (labelled by their text);
    `rows`: the table's rows when read already (read_rows)."""
    path = Path(path)
    terms = Terms(schema, path)
    statements = [terms.statement(row) for row in (read_rows(path) if rows is None else rows)]
    new = set(terms.labels)
    return dataclasses.replace(
        schema,
        iris={**schema.iris, **{term: WORLD_NAMESPACE + term for term in sorted(new)}},
        labels={**schema.labels, **terms.labels},
        individuals=schema.individuals | new,
        asserted=sorted(set(schema.asserted) | set(statements)),
    )
