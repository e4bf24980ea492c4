"""One Lark grammar, two directions: render a statement to a sentence, parse it back.

The style rules of grammars/english.lark are the single source of the wording:
`render` walks a rule's expansion, emitting its literal words and filling its
slots; `parse` reads a sentence with the same rules (Earley, all readings kept),
then resolves each slot against the names of the world's terms.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedEOF, UnexpectedInput
from lark.grammar import Terminal
from lark.visitors import CollapseAmbiguities

from ..errors import KgsynthError
from ..logic.statement import ISA, Form, Statement
from ..resources import grammar_path

GRAMMAR_PATH = grammar_path("english.lark")
PHRASE_WORD = re.compile(r"^[a-z][a-z0-9'-]*$")
WORD = re.compile(r"[a-z][a-z0-9'-]*")
# statement kind -> (relation is ISA?, form)
KINDS = {
    "type": (True, Form.FACT),
    "all_isa": (True, Form.ALL),
    "some_isa": (True, Form.SOME),
    "no_isa": (True, Form.NO),
    "some_not_isa": (True, Form.SOME_NOT),
    "prop": (False, Form.ALL),
    "fact": (False, Form.FACT),
    "not_fact": (False, Form.NOT),
}
SLOT_NUMBER = {
    "subj_ind": "ind", "obj_ind": "ind", "subj_sg": "sg", "obj_sg": "sg",
    "subj_pl": "pl", "obj_pl": "pl", "obj_bare": "sg",
}
NO_SPACE_BEFORE = {",", ":", ".", "?", "!"}
QUESTION_WORDS = {"did", "do", "does", "is", "are"}


class ParseError(KgsynthError):
    """A sentence the grammar cannot read, or reads as several different statements."""


@dataclass
class Names:
    """Surface forms of terms: individuals ("ind"), classes singular ("sg") and plural ("pl")."""

    forms: dict[str, dict[str, str]] = field(default_factory=dict)
    _by_surface: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))

    def add(self, term_id: str, **forms: str) -> None:
        self.forms[term_id] = forms
        for number, surface in forms.items():
            self._by_surface[normalize(surface)].add((term_id, number))

    def alias(self, term_id: str, number: str, surface: str) -> None:
        """Another surface that parses to the term (rendering keeps the first)."""
        self._by_surface[normalize(surface)].add((term_id, number))

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
    return " ".join(text.strip().lower().split())


def relation_phrase(prop_id: str, label: str | None) -> str:
    """The ontology's label, or the id split at capitals ("moreDangerousThan")."""
    return normalize(label) if label else normalize(re.sub(r"(?<!^)(?=[A-Z])", " ", prop_id))


@lru_cache(maxsize=8)
def compile_grammar(text: str) -> Lark:
    return Lark(text, start="sentence", parser="earley", lexer="dynamic", ambiguity="explicit")


class Grammar:
    def __init__(self, relations: dict[str, str], names: Names, path: Path = GRAMMAR_PATH):
        """`relations`: property id -> English phrase ("more dangerous than")."""
        self.names = names
        self.relations = dict(sorted(relations.items()))
        self.rel_ids = list(self.relations)
        self.lark = compile_grammar(path.read_text() + self.relation_rules())
        self.rules = defaultdict(list)  # insertion order = the grammar's order of rules
        for rule in self.lark.rules:
            self.rules[rule.origin.name].append(rule.expansion)
        self._vocabulary: set[str] | None = None
        self.style_names = defaultdict(list)
        for name in self.rules:
            kind, sep, style = name.partition("__")
            if sep and kind in KINDS:
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
        return sentence[0].upper() + sentence[1:] + end

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
        text = normalize(sentence.replace('"', " ").replace("\u2019", "'"))
        try:
            tree = self.lark.parse(text)
        except UnexpectedEOF:
            raise ParseError(f"cannot parse {sentence!r}: the sentence ends too early") from None
        except UnexpectedInput as exc:
            raise ParseError(f"cannot parse {sentence!r}: unexpected {text[exc.pos_in_stream:][:12]!r}") from None
        found = self.resolve_tree(tree)
        if not found:
            raise ParseError(f"cannot parse {sentence!r}: {self.why_unread(text)}")
        return sorted(found)

    def resolve_tree(self, tree: Tree) -> set[Statement]:
        found: set[Statement] = set()
        for reading in CollapseAmbiguities().transform(tree):
            found.update(self.statements_of(reading))
        return found

    def why_unread(self, text: str) -> str:
        """Name the words no term has; else say if the sentence only lacks its end."""
        unknown = [w for w in WORD.findall(text) if w not in self.vocabulary()]
        if unknown:
            return "no known term for " + ", ".join(repr(w) for w in dict.fromkeys(unknown))
        if self.completes(text.rstrip(".?! ")):
            return "the sentence ends too early"
        return "its words fit no statement form"

    def vocabulary(self) -> set[str]:
        if self._vocabulary is None:
            words = {w for surface in self.names.surfaces() for w in surface.split()}
            words |= {self.literal(t).lower() for expansions in self.rules.values() for e in expansions for t in e
                      if isinstance(t, Terminal) and t.name != "NAME" and t.name != "END"}
            self._vocabulary = words
        return self._vocabulary

    def completes(self, text: str) -> bool:
        """Does adding one known name to the end make it a sentence?"""
        by_number: dict[str, list[str]] = defaultdict(list)
        for forms in self.names.forms.values():
            for number, surface in forms.items():
                if len(by_number[number]) < 3:
                    by_number[number].append(surface)
        for probe in sorted({p for probes in by_number.values() for p in probes}):
            try:
                if self.resolve_tree(self.lark.parse(f"{text} {normalize(probe)}")):
                    return True
            except UnexpectedInput:
                continue
        return False

    def statements_of(self, tree: Tree) -> list[Statement]:
        clause = next(child for child in tree.children if isinstance(child, Tree) and "__" in child.data)
        kind = clause.data.split("__")[0]
        isa, form = KINDS[kind]
        slots: dict[str, list[str]] = {}
        relation = ISA
        for child in clause.children:
            if not isinstance(child, Tree):
                continue
            if child.data.startswith(("rel_", "crel_")):
                relation = self.rel_ids[int(child.data.rsplit("_", 1)[1])]
            elif child.data in SLOT_NUMBER:
                text = " ".join(token.value for token in child.children if isinstance(token, Token))
                slots[child.data.split("_")[0]] = self.names.resolve(text, SLOT_NUMBER[child.data])
        if not isa and relation == ISA:
            return []
        pairs = itertools.product(slots.get("subj", []), slots.get("obj", []))
        return [Statement(s, relation, o, form) for s, o in pairs]


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
