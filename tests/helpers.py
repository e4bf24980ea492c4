"""Shared builders for the oracle tests: worlds from Turtle text, random small ontologies.

Import from a test module with `from helpers import ...` (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import rdflib
from fake_model import fake_logprob, make_fake_model  # noqa: F401  (the model tests import them from here)
from hypothesis import strategies as st
from rdflib import BNode, Namespace
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from kgsynth.logic import categorical
from kgsynth.logic.closure import Closure, Derivation, close
from kgsynth.logic.ontology import Schema, load_schema
from kgsynth.logic.oracle import Oracle
from kgsynth.logic.statement import ISA, Form, Statement
from kgsynth.logic.world import World
from kgsynth.tasks import build_world

EX = Namespace("http://example.org/t#")
PREFIXES = """\
@prefix :     <http://example.org/t#> .
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix kgs:  <https://kgsynth.org/ns#> .
"""


# --- worlds from Turtle text ------------------------------------------------------


def schema_from_turtle(text: str, directory: Path | None = None, prefixes: bool = True) -> Schema:
    """Load `text` (with the standard prefixes prepended) as a Schema.

    Written to `directory` when given (a pytest tmp_path), else to a fresh temporary
    directory (safe inside hypothesis tests, where function-scoped fixtures are not).
    """
    body = (PREFIXES + text) if prefixes else text
    if directory is not None:
        path = Path(directory) / "ontology.ttl"
        path.write_text(body, encoding="utf-8")
        return load_schema(path)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ontology.ttl"
        path.write_text(body, encoding="utf-8")
        return load_schema(path)


def world_from_turtle(text: str, directory: Path | None = None, seed: int = 0) -> World:
    return build_world(schema_from_turtle(text, directory), seed)


def closure_from_turtle(text: str, directory: Path | None = None, seed: int = 0) -> Closure:
    return close(world_from_turtle(text, directory, seed))


def oracle_from_turtle(text: str, directory: Path | None = None, seed: int = 0) -> Oracle:
    return Oracle(world_from_turtle(text, directory, seed))


def fact(s: str, r: str, o: str) -> Statement:
    return Statement(s, r, o, Form.FACT)


def isa(s: str, o: str) -> Statement:
    return Statement(s, ISA, o, Form.FACT)


def all_(s: str, o: str, r: str = ISA) -> Statement:
    return Statement(s, r, o, Form.ALL)


def no(s: str, o: str) -> Statement:
    return Statement(s, ISA, o, Form.NO)


def some(s: str, o: str) -> Statement:
    return Statement(s, ISA, o, Form.SOME)


def some_not(s: str, o: str) -> Statement:
    return Statement(s, ISA, o, Form.SOME_NOT)


def rebuild(world: World, asserted) -> World:
    """The same world (schema, seed, terms, term groups) with other asserted statements."""
    return World(world.schema, world.seed, set(world.classes), set(world.individuals), sorted(set(asserted)),
                 list(world.term_groups))


# --- random small ontologies ------------------------------------------------------


@dataclass(frozen=True)
class Onto:
    """A small random ontology and world, by local names (namespace EX).

    Only constructs that keep every world consistent: no asymmetric, irreflexive or
    disjointness axioms, and subclass edges that form a DAG.
    """

    classes: tuple[str, ...]
    properties: tuple[str, ...]
    individuals: tuple[str, ...]
    subclass: tuple[tuple[str, str], ...] = ()
    restrictions: tuple[tuple[str, str, str], ...] = ()  # (class, property, someValuesFrom class)
    transitive: tuple[str, ...] = ()
    symmetric: tuple[str, ...] = ()
    inverses: tuple[tuple[str, str], ...] = ()
    subproperty: tuple[tuple[str, str], ...] = ()
    chains: tuple[tuple[str, tuple[str, ...]], ...] = ()
    domain: tuple[tuple[str, str], ...] = ()
    range: tuple[tuple[str, str], ...] = ()
    types: tuple[tuple[str, str], ...] = ()
    facts: tuple[tuple[str, str, str], ...] = ()
    closed: tuple[str, ...] = field(default=())

    def graph(self) -> rdflib.Graph:
        g = rdflib.Graph()
        g.bind("", EX)
        g.bind("owl", OWL)
        for c in self.classes:
            g.add((EX[c], RDF.type, OWL.Class))
        for p in self.properties:
            g.add((EX[p], RDF.type, OWL.ObjectProperty))
        for p in self.transitive:
            g.add((EX[p], RDF.type, OWL.TransitiveProperty))
        for p in self.symmetric:
            g.add((EX[p], RDF.type, OWL.SymmetricProperty))
        for p, q in self.inverses:
            g.add((EX[p], OWL.inverseOf, EX[q]))
        for p, q in self.subproperty:
            g.add((EX[p], RDFS.subPropertyOf, EX[q]))
        for result, links in self.chains:
            head = BNode()
            Collection(g, head, [EX[link] for link in links])
            g.add((EX[result], OWL.propertyChainAxiom, head))
        for p, c in self.domain:
            g.add((EX[p], RDFS.domain, EX[c]))
        for p, c in self.range:
            g.add((EX[p], RDFS.range, EX[c]))
        for sub, sup in self.subclass:
            g.add((EX[sub], RDFS.subClassOf, EX[sup]))
        for c, p, v in self.restrictions:
            r = BNode()
            g.add((r, RDF.type, OWL.Restriction))
            g.add((r, OWL.onProperty, EX[p]))
            g.add((r, OWL.someValuesFrom, EX[v]))
            g.add((EX[c], RDFS.subClassOf, r))
        for a, c in self.types:
            g.add((EX[a], RDF.type, EX[c]))
        for a, p, b in self.facts:
            g.add((EX[a], EX[p], EX[b]))
        return g

    def turtle(self) -> str:
        text = self.graph().serialize(format="turtle")
        for p in self.closed:  # kgs:closed is no OWL term: appended as text
            text += f"\n<{EX[p]}> <https://kgsynth.org/ns#closed> true .\n"
        return text

    def schema(self) -> Schema:
        return schema_from_turtle(self.turtle(), prefixes=False)

    def world(self, seed: int = 0) -> World:
        return build_world(self.schema(), seed)

    def renamed(self, mapping: dict[str, str]) -> Onto:
        """Every name through `mapping` (names missing from it are kept)."""

        def m(name: str) -> str:
            return mapping.get(name, name)

        def ms(items):
            return tuple(m(x) if isinstance(x, str) else ms(x) for x in items)

        return Onto(**{f: ms(getattr(self, f)) for f in self.__dataclass_fields__})

    def with_facts(self, types=(), facts=()) -> Onto:
        return replace(self, types=self.types + tuple(types), facts=self.facts + tuple(facts))


def _pairs(draw, left, right, max_size, distinct=False, ordered=False):
    candidates = [(a, b) for i, a in enumerate(left) for j, b in enumerate(right)
                  if not (distinct and a == b) and not (ordered and i >= j)]
    if not candidates:
        return ()
    return tuple(draw(st.lists(st.sampled_from(candidates), unique=True, max_size=max_size)))


@st.composite
def ontologies(draw, max_classes: int = 4, max_properties: int = 3, max_individuals: int = 4, max_facts: int = 5,
               restrictions: bool = True) -> Onto:
    classes = tuple(f"C{i}" for i in range(draw(st.integers(1, max_classes))))
    props = tuple(f"p{i}" for i in range(draw(st.integers(1, max_properties))))
    inds = tuple(f"i{i}" for i in range(draw(st.integers(1, max_individuals))))
    subclass = _pairs(draw, classes, classes, 3, ordered=True)  # Ci ⊑ Cj only for i < j: a DAG
    restr = ()
    if restrictions:
        restr = tuple(draw(st.lists(st.tuples(st.sampled_from(classes), st.sampled_from(props), st.sampled_from(classes)),
                                    unique=True, max_size=2)))
    transitive = tuple(draw(st.lists(st.sampled_from(props), unique=True, max_size=2)))
    symmetric = tuple(draw(st.lists(st.sampled_from(props), unique=True, max_size=1)))
    inverses: tuple[tuple[str, str], ...] = ()
    if len(props) >= 2 and draw(st.booleans()):
        order = draw(st.permutations(props))
        inverses = ((order[0], order[1]),)
    subproperty = _pairs(draw, props, props, 2, distinct=True)
    chains: tuple = ()
    if draw(st.booleans()):
        links = tuple(draw(st.lists(st.sampled_from(props), min_size=2, max_size=3)))
        chains = ((draw(st.sampled_from(props)), links),)
    domain = _pairs(draw, props, classes, 1)
    range_ = _pairs(draw, props, classes, 1)
    types = _pairs(draw, inds, classes, 4)
    facts = tuple(draw(st.lists(st.tuples(st.sampled_from(inds), st.sampled_from(props), st.sampled_from(inds)),
                                unique=True, min_size=1, max_size=max_facts)))
    return Onto(classes, props, inds, subclass, restr, transitive, symmetric, inverses, subproperty, chains,
                domain, range_, types, facts)


@st.composite
def renamings(draw, onto: Onto) -> dict[str, str]:
    """A bijective renaming of every class, property and individual: a shuffle within each
    kind, then a prefix (so sort orders across kinds change too)."""
    mapping: dict[str, str] = {}
    for kind, prefix in ((onto.classes, draw(st.sampled_from(["K", "zz", "A_"]))),
                         (onto.properties, draw(st.sampled_from(["r", "Q", "m_"]))),
                         (onto.individuals, draw(st.sampled_from(["x", "B", "n_"])))):
        shuffled = draw(st.permutations(kind))
        mapping.update({old: f"{prefix}{new}" for old, new in zip(kind, shuffled, strict=True)})
    return mapping


def rename_statement(statement: Statement, mapping: dict[str, str]) -> Statement:
    m = mapping.get
    return Statement(m(statement.subject, statement.subject), m(statement.relation, statement.relation),
                     m(statement.object, statement.object), statement.form)


def queries(world: World) -> list[Statement]:
    """Every fact, type and class-level statement over the world's terms."""
    inds, classes = sorted(world.individuals), sorted(world.classes)
    props = sorted(world.schema.properties)
    out = [isa(a, c) for a in inds for c in classes]
    out += [fact(a, p, b) for a in inds for p in props for b in inds]
    out += [Statement(c, ISA, d, form) for c in classes for d in classes if c != d
            for form in (Form.ALL, Form.NO, Form.SOME, Form.SOME_NOT)]
    out += [all_(c, d, p) for c in classes for p in props for d in classes]
    return out


# --- rule soundness ---------------------------------------------------------------


def rule_instance_error(schema: Schema, conclusion: Statement, derivation: Derivation) -> str | None:
    """None if `derivation` is a correct instance of its rule concluding `conclusion`, else why not."""
    rule, ps = derivation.rule, derivation.premises
    s, r, o, f = conclusion.subject, conclusion.relation, conclusion.object, conclusion.form
    props = schema.properties
    ok = False
    if rule == "asserted":
        ok = ps == () and derivation.hops == 0
    elif rule == "subclass-transitive":
        ok = len(ps) == 2 and ps[0] == all_(s, ps[0].object) and ps[1] == all_(ps[0].object, o) and r == ISA and f is Form.ALL
    elif rule == "type-inheritance":
        ok = len(ps) == 2 and ps[0] == isa(s, ps[0].object) and ps[1] == all_(ps[0].object, o) and conclusion == isa(s, o)
    elif rule == "property-inheritance":
        ok = (len(ps) == 2 and r != ISA and f is Form.ALL and ps[0] == all_(s, ps[0].object)
              and ps[1] == all_(ps[0].object, o, r))
    elif rule == "disjoint-inheritance":
        ok = len(ps) == 2 and conclusion == no(s, o) and ps[0] == all_(s, ps[0].object) and ps[1] == no(ps[0].object, o)
    elif rule == "disjoint-symmetric":
        ok = ps == (no(o, s),) and f is Form.NO
    elif rule in ("inverse", "symmetric", "subproperty", "domain", "range") and len(ps) == 1:
        (p,) = ps
        prop = props.get(p.relation)
        if prop is not None and p.form is Form.FACT and f is Form.FACT:
            ok = {
                "inverse": conclusion == fact(p.object, prop.inverse or "", p.subject),
                "symmetric": prop.symmetric and conclusion == fact(p.object, p.relation, p.subject),
                "subproperty": r in prop.supers and (s, o) == (p.subject, p.object),
                "domain": r == ISA and o in prop.domain and s == p.subject,
                "range": r == ISA and o in prop.range and s == p.object,
            }[rule]
    elif rule == "transitive":
        ok = (len(ps) == 2 and r in props and props[r].transitive and f is Form.FACT
              and ps[0] == fact(s, r, ps[0].object) and ps[1] == fact(ps[0].object, r, o))
    elif rule == "chain":
        links = tuple(p.relation for p in ps)
        joined = all(a.object == b.subject for a, b in zip(ps, ps[1:], strict=False))
        ok = ((r, links) in schema.chains and joined and f is Form.FACT and all(p.form is Form.FACT for p in ps)
              and ps[0].subject == s and ps[-1].object == o)
    elif rule == "categorical":
        ok = bool(ps) and categorical.entails(ps, conclusion)
    if not ok:
        return f"{conclusion}: not an instance of {rule} from {[str(p) for p in ps]}"
    return None


# --- whole datasets, synthesized in-process (what `synth` writes, without the files) ---

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = ("simple_reversals", "syllogisms", "semantic_structure", "celebrities", "family")
SYNTH_SEED = 7


@dataclass
class Synth:
    """One synthesized dataset: world, oracle, names, training documents and test items."""

    name: str
    seed: int
    world: World
    oracle: Oracle
    naming: object  # kgsynth.text.naming.Naming
    corpus: object  # kgsynth.tasks.Corpus
    items: dict  # split -> list[kgsynth.tasks.records.Item]

    @property
    def grammar(self):
        return self.naming.grammar

    def all_items(self) -> list:
        return [item for split in sorted(self.items) for item in self.items[split]]

    def sentences(self) -> list:
        return [s for doc in self.corpus.documents for s in doc.sentences]


def synthesize(name: str, seed: int = SYNTH_SEED, lexicon_seed: int | None = None, items: bool = True) -> Synth:
    """As `synth --ontology ontologies/<name>.ttl --seed <seed>` does it (lexicon seed = seed unless given)."""
    from kgsynth.tasks import build_corpus, build_items
    from kgsynth.text.lexicon import LexiconConfig
    from kgsynth.text.naming import name_world

    world = build_world(load_schema(ROOT / "ontologies" / f"{name}.ttl"), seed)
    oracle = Oracle(world)
    naming = name_world(world, LexiconConfig(seed=seed if lexicon_seed is None else lexicon_seed))
    corpus = build_corpus(world, naming)
    built = build_items(oracle, naming, corpus) if items else {}
    return Synth(name, seed, world, oracle, naming, corpus, dict(built))


class SynthCache:
    """Each (family, seed, lexicon seed) synthesized once, on first use."""

    def __init__(self) -> None:
        self._built: dict[tuple, Synth] = {}

    def __call__(self, name: str, seed: int = SYNTH_SEED, lexicon_seed: int | None = None) -> Synth:
        key = (name, seed, lexicon_seed)
        if key not in self._built:
            self._built[key] = synthesize(name, seed, lexicon_seed)
        return self._built[key]


def loose(text: str) -> str:
    """A sentence compared case- and punctuation-insensitively."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def write_synth(synth: Synth, directory: Path) -> Path:
    """Write `synth` to `directory` as the `synth` command does (synth_files + OutputDir)."""
    from kgsynth.data.export import dataset_files, synth_files
    from kgsynth.data.outdir import OutputDir

    files = synth_files(synth.oracle, ROOT / "ontologies" / f"{synth.name}.ttl",
                        dataset_files(synth.naming, synth.corpus.documents, synth.items))
    OutputDir(directory).write(files)
    return directory


SYLLOGISM_FRAME = "The relationships between "  # how a syllogism item's prompt begins


def without_frame(text: str) -> str:
    """The sentence of an oracle-ft text: what follows a syllogism item's question frame
    ("The relationships between X and Y are: All X are Y."), or the whole text."""
    return text.split(": ", 1)[1] if text.startswith(SYLLOGISM_FRAME) else text
