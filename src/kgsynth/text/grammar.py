"""One Lark grammar, two directions: render a statement to a sentence, parse it back.

The style rules of grammars/english.lark are the single source of the wording:
`render` walks a rule's expansion, emitting its literal words and filling its
slots; `parse` reads a sentence with the same rules (Earley, all readings kept),
then resolves each slot against the names of the world's terms.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from lark.grammar import Terminal

from ..errors import KgsynthError
from ..logic.statement import ISA, Form, Statement
from ..resources import grammar_path
from .clauses import SLOT_NUMBER, Clause, Unread, compile_grammar, read_clauses
from .surfaces import SurfaceIndex, restore

GRAMMAR_PATH = grammar_path("english.lark")
PHRASE_WORD = re.compile(r"^[a-z][a-z0-9'-]*$")
NAME_WORD = re.compile(r"[a-z][a-z0-9'-]*")  # the NAME terminal of grammars/english.lark
WORD = re.compile(r"[^\W_][\w'-]*")  # a word as a person writes it: "glons", "skarsgård", "2025", "o'brien"
READ_ONLY = "read_"  # styles named read_* are parsed, never rendered
# statement kind -> (relation is ISA?, form)
KINDS = {
    "type": (True, Form.FACT),
    "not_type": (True, Form.NOT),
    "all_isa": (True, Form.ALL),
    "some_isa": (True, Form.SOME),
    "no_isa": (True, Form.NO),
    "some_not_isa": (True, Form.SOME_NOT),
    "prop": (False, Form.ALL),
    "fact": (False, Form.FACT),
    "not_fact": (False, Form.NOT),
}
NO_SPACE_BEFORE = {",", ":", ".", "?", "!"}
QUESTION_WORDS = {"did", "do", "does", "is", "are"}


class ParseError(KgsynthError):
    """A sentence the grammar cannot read, or reads as several different statements."""


class RoundTripError(KgsynthError):
    """A rendered sentence that does not parse back to its statement: a label the grammar cannot carry."""


@dataclass
class Names:
    """Surface forms of terms: individuals ("ind"), classes singular ("sg") and plural ("pl")."""

    forms: dict[str, dict[str, str]] = field(default_factory=dict)
    _by_surface: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    version: int = 0  # bumped by every change, so that a grammar rebuilds its index of surfaces

    def add(self, term_id: str, **forms: str) -> None:
        self.forms[term_id] = forms
        for number, surface in forms.items():
            self._by_surface[normalize(surface)].add((term_id, number))
        self.version += 1

    def alias(self, term_id: str, number: str, surface: str) -> None:
        """Another surface that parses to the term (rendering keeps the first)."""
        self._by_surface[normalize(surface)].add((term_id, number))
        self.version += 1

    def surface(self, term_id: str, number: str) -> str:
        try:
            return self.forms[term_id][number]
        except KeyError:
            raise KgsynthError(f"no {number} name for the term '{term_id}'") from None

    def resolve(self, text: str, number: str) -> list[str]:
        return sorted(term for term, n in self._by_surface.get(normalize(text), ()) if n == number)

    def surfaces(self) -> list[str]:
        return list(self._by_surface)


def normalize(text: str) -> str:
    """Lower case, one space between words, straight apostrophes, no double quotes, NFC."""
    text = unicodedata.normalize("NFC", text).replace('"', " ").replace("\u2019", "'")
    return " ".join(text.lower().split())


def relation_phrase(prop_id: str, label: str | None) -> str:
    """The ontology's label, or the id split at capitals ("moreDangerousThan")."""
    return normalize(label) if label else normalize(re.sub(r"(?<!^)(?=[A-Z])", " ", prop_id))


class Grammar:
    def __init__(self, relations: dict[str, str], names: Names, path: Path = GRAMMAR_PATH):
        """`relations`: property id -> English phrase ("more dangerous than")."""
        self.names = names
        self.relations = dict(sorted(relations.items()))
        self.rel_ids = list(self.relations)
        self.text = path.read_text() + self.relation_rules()
        self.lark = compile_grammar(self.text)
        self.rules = defaultdict(list)  # insertion order = the grammar's order of rules
        for rule in self.lark.rules:
            self.rules[rule.origin.name].append(rule.expansion)
        self._vocabulary: set[str] | None = None
        self._literals: set[str] | None = None
        self._index: tuple[int, SurfaceIndex] | None = None
        self._carried: set[tuple[str, Statement]] = set()  # rendered sentences known to round-trip
        self.written: dict[Statement, str] = {}  # sentences as a person wrote them (check's premises), to show
        self.style_names = defaultdict(list)
        for name in self.rules:
            kind, sep, style = name.partition("__")
            if sep and kind in KINDS and not style.startswith(READ_ONLY):
                self.style_names[kind].append(style)
        self.lead_ins = [self.words_of(expansion) for expansion in self.rules["lead"]]

    def relation_rules(self) -> str:
        seen: dict[str, str] = {}
        alternatives = []
        for index, (prop, phrase) in enumerate(self.relations.items()):
            words = phrase.split()
            if not words or not all(PHRASE_WORD.match(w) for w in words):
                raise KgsynthError(f"relation '{prop}' has a phrase the grammar cannot use: {phrase!r}")
            if phrase in seen:
                raise KgsynthError(f"relations '{seen[phrase]}' and '{prop}' share the phrase {phrase!r}")
            seen[phrase] = prop
            alternatives.append((" ".join(f'"{w}"' for w in words), index))
        if not alternatives:
            return '\nrel: "\\x00" -> rel_none\ncrel: "\\x00" -> crel_none\n'
        rel = " | ".join(f"{words} -> rel_{i}" for words, i in alternatives)
        crel = " | ".join(f"{words} -> crel_{i}" for words, i in alternatives)
        return f"\nrel: {rel}\ncrel: {crel}\n"

    # -- rendering ----------------------------------------------------------------

    @staticmethod
    def kind_of(statement: Statement) -> str:
        for kind, (isa, form) in KINDS.items():
            if (statement.relation == ISA) == isa and statement.form is form:
                return kind
        raise KgsynthError(f"no sentence form for the statement '{statement}'")

    def styles(self, kind: str) -> list[str]:
        return list(self.style_names[kind])

    def leads(self) -> list[str]:
        return list(self.lead_ins)

    def words_of(self, expansion) -> str:
        return join_words([self.literal(symbol) for symbol in expansion])

    def literal(self, symbol) -> str:
        return self.lark.get_terminal(symbol.name).pattern.value

    def render(self, statement: Statement, style: str | int = 0, lead: str | None = None) -> str:
        kind = self.kind_of(statement)
        styles = self.style_names[kind]
        name = styles[style % len(styles)] if isinstance(style, int) else style
        if name not in styles:
            raise KgsynthError(f"unknown style '{name}' for {kind} (known: {', '.join(styles)})")
        expansion = max(self.rules[f"{kind}__{name}"], key=len)  # the one with every optional part
        words = self.fill(expansion, statement)
        if lead:
            words = [lead, *words]
        sentence = join_words(words)
        end = "?" if lead and lead.split()[0] in QUESTION_WORDS else "."
        if not (end == "." and sentence.endswith(".")):  # "... is Frank Stallone Sr." (not "Sr..")
            sentence += end
        sentence = sentence[0].upper() + sentence[1:]
        self.check_round_trip(sentence, statement)
        return sentence

    def check_round_trip(self, sentence: str, statement: Statement) -> None:
        """Raise RoundTripError, naming the label, unless the sentence reads back as exactly the statement."""
        if (sentence, statement) in self._carried:
            return
        try:
            readings = self.readings(sentence)
        except ParseError as exc:
            readings, why = [], str(exc)
        else:
            why = "it reads as " + "; ".join(str(r) for r in readings)
        if readings != [statement]:
            raise RoundTripError(f"the grammar cannot carry the label {self.blame(statement)}: the sentence "
                                 f"{sentence!r} does not parse back to '{statement}' ({why})")
        self._carried.add((sentence, statement))

    def blame(self, statement: Statement) -> str:
        """The statement's labels, quoted; only those shared with another term or holding a word
        of the grammar when there are such (the likely culprits)."""
        individual = statement.form in (Form.FACT, Form.NOT)
        labels = [(statement.subject, "ind" if individual else "sg"),
                  (statement.object, "ind" if individual and statement.relation != ISA else "sg")]
        labels = [(term, number, self.names.forms[term][number]) for term, number in dict.fromkeys(labels)
                  if number in self.names.forms.get(term, {})]

        def suspect(term: str, number: str, surface: str) -> bool:
            shared = self.names.resolve(surface, number) != [term]
            return shared or any(w in self.literals() for w in normalize(surface).split())

        def named(term: str, number: str, surface: str) -> str:
            others = [o for o in self.names.resolve(surface, number) if o != term]
            return f"{surface!r} (term '{term}'" + "".join(f", also the name of '{o}'" for o in others) + ")"
        return " and ".join(named(*label) for label in [x for x in labels if suspect(*x)] or labels)

    def fill(self, expansion, statement: Statement) -> list[str]:
        words: list[str] = []
        pending_article = False
        for symbol in expansion:
            if isinstance(symbol, Terminal):
                words.append(self.literal(symbol))
                continue
            name = symbol.name
            if name == "article":
                pending_article = True
                continue
            text = self.slot_text(name, statement)
            if pending_article:
                words.append("an" if text[:1].lower() in "aeiou" else "a")
                pending_article = False
            words.append(text)
        return words

    def slot_text(self, slot: str, statement: Statement) -> str:
        if slot in ("rel", "crel"):
            if statement.relation not in self.relations:
                raise KgsynthError(f"no phrase for the relation '{statement.relation}'")
            return self.relations[statement.relation]
        term = statement.subject if slot.startswith("subj") else statement.object
        return self.names.surface(term, SLOT_NUMBER[slot])

    # -- parsing ------------------------------------------------------------------

    def parse(self, sentence: str) -> Statement:
        readings = self.readings(sentence)
        if len(readings) > 1:
            shown = "; ".join(str(s) for s in readings)
            raise ParseError(f"ambiguous sentence {sentence!r}: reads as {shown}")
        return readings[0]

    def readings(self, sentence: str) -> list[Statement]:
        """Every distinct statement the sentence can mean; raises if none."""
        text = normalize(sentence)
        statements, unread = self.read(text)
        if unread:
            raise ParseError(f"cannot parse {sentence!r}: {unread}")
        if not statements:
            raise ParseError(f"cannot parse {sentence!r}: {self.why_unread(text)}")
        return sorted(statements)

    def read(self, text: str) -> tuple[set[Statement], str | None]:
        """(the statements a normalized sentence reads as, why the grammar cannot read it or None)."""
        skeleton, found = self.surface_index().replace(text)
        clauses = read_clauses(self.text, skeleton)
        if isinstance(clauses, Unread):
            if clauses.reason == "eof":
                return set(), "the sentence ends too early"
            unknown = self.unknown_words(text)
            known = f" (no known term for {unknown})" if unknown else ""
            return set(), f"unexpected {restore(skeleton[clauses.position:], found)[:12]!r}{known}"
        return {s for clause in clauses for s in self.statements_of(clause, found)}, None

    def surface_index(self) -> SurfaceIndex:
        if self._index is None or self._index[0] != self.names.version:
            self._vocabulary = None
            self._index = (self.names.version, SurfaceIndex(self.names.surfaces(), self.literals(), NAME_WORD))
        return self._index[1]

    def statements_of(self, clause: Clause, found: list[str]) -> list[Statement]:
        isa, form = KINDS[clause.kind]
        relation = ISA if clause.relation < 0 else self.rel_ids[clause.relation]
        if not isa and relation == ISA:
            return []
        slots = {name.split("_")[0]: self.names.resolve(restore(text, found), SLOT_NUMBER[name])
                 for name, text in clause.slots}
        pairs = itertools.product(slots.get("subj", []), slots.get("obj", []))
        return [Statement(s, relation, o, form) for s, o in pairs]

    def why_unread(self, text: str) -> str:
        """Name the words no term has; else say if the sentence only lacks its end."""
        unknown = self.unknown_words(text)
        if unknown:
            return f"no known term for {unknown}"
        if self.completes(text.rstrip(".?! ")):
            return "the sentence ends too early"
        return "its words fit no statement form"

    def unknown_words(self, text: str) -> str:
        """The words of the text no term or rule has, quoted, once each ("" if none)."""
        return ", ".join(repr(w) for w in dict.fromkeys(WORD.findall(text)) if w not in self.vocabulary())

    def literals(self) -> set[str]:
        """The grammar's own words: its literals and the relation phrases."""
        if self._literals is None:
            self._literals = {self.literal(t).lower() for expansions in self.rules.values() for e in expansions
                              for t in e if isinstance(t, Terminal) and t.name != "NAME" and t.name != "END"}
        return self._literals

    def vocabulary(self) -> set[str]:
        """Every word a sentence may have: the grammar's and the names' (as WORD finds them)."""
        self.surface_index()  # forgets the vocabulary when the names have changed
        if self._vocabulary is None:
            self._vocabulary = self.literals() | {w for s in self.names.surfaces() for w in WORD.findall(s)}
        return self._vocabulary

    def completes(self, text: str) -> bool:
        """Does adding one known name to the end make it a sentence?"""
        by_number: dict[str, list[str]] = defaultdict(list)
        for forms in self.names.forms.values():
            for number, surface in forms.items():
                if len(by_number[number]) < 3:
                    by_number[number].append(surface)
        for probe in sorted({p for probes in by_number.values() for p in probes}):
            if self.read(normalize(f"{text} {probe}"))[0]:
                return True
        return False


def join_words(words: list[str]) -> str:
    text = ""
    for word in words:
        if not text:
            text = word
        elif word in NO_SPACE_BEFORE:
            text += word
        else:
            text += " " + word
    return text
