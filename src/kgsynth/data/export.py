"""Write a world and its closure as RDF, JSONL and a manifest: deterministic bytes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from rdflib.namespace import OWL, RDF, RDFS

from .. import __version__
from ..files import json_bytes, jsonl_bytes, sha256
from ..logic.closure import to_statement
from ..logic.oracle import Oracle
from ..logic.rdf_input import graph_format
from ..logic.settings import KGS
from ..logic.statement import ISA, Form, Statement
from ..logic.world import WORLD_NAMESPACE, World
from ..tasks.documents import train_records
from ..tasks.records import Document, Item
from ..text.naming import Naming

PN_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
COPY_SUFFIXES = {"turtle": ".ttl", "xml": ".rdf", "json-ld": ".jsonld", "nt": ".nt", "n3": ".n3", "trig": ".trig",
                 "nquads": ".nq", "trix": ".trix"}  # the ontology's copy is named by the format it was read as
CATEGORICAL_PREDICATES = {
    Form.ALL: str(RDFS.subClassOf),
    Form.NO: str(OWL.disjointWith),
    Form.SOME: str(KGS.someAre),
    Form.SOME_NOT: str(KGS.someAreNot),
}


class TurtleWriter:
    """One triple per line, sorted, with prefixes: stable bytes, valid Turtle."""

    def __init__(self, world: World):
        self.world = world
        self.terms: dict[str, str] = {}
        self.prefixes = {"rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL), "kgs": str(KGS), "w": WORLD_NAMESPACE}
        for iri in sorted(set(world.schema.iris.values())):
            namespace = iri[: len(iri) - len(iri.split("#")[-1])] if "#" in iri else iri.rsplit("/", 1)[0] + "/"
            if namespace not in self.prefixes.values():
                self.prefixes[f"o{len(self.prefixes) - 4}"] = namespace

    def name(self, iri: str) -> str:
        for prefix, namespace in self.prefixes.items():
            if iri.startswith(namespace) and PN_LOCAL.match(iri[len(namespace):]):
                return f"{prefix}:{iri[len(namespace):]}"
        return f"<{iri}>"

    def term(self, term_id: str) -> str:
        if term_id not in self.terms:  # asked 2-3 times per triple of a closure that may hold millions
            self.terms[term_id] = self.name(self.world.iri(term_id))
        return self.terms[term_id]

    def triple(self, statement: Statement) -> str | None:
        s, r, o, form = statement.subject, statement.relation, statement.object, statement.form
        subject, obj = self.term(s), self.term(o)
        if r == ISA and form is Form.FACT:
            return f"{subject} rdf:type {obj} ."
        if r == ISA and form in CATEGORICAL_PREDICATES:
            return f"{subject} {self.name(CATEGORICAL_PREDICATES[form])} {obj} ."
        if form is Form.ALL:
            restriction = f"[ a owl:Restriction ; owl:onProperty {self.term(r)} ; owl:someValuesFrom {obj} ]"
            return f"{subject} rdfs:subClassOf {restriction} ."
        if form is Form.FACT:
            return f"{subject} {self.term(r)} {obj} ."
        return None  # negative facts have no plain RDF form

    def document(self, statements, extra_lines=()) -> str:
        header = [f"@prefix {p}: <{ns}> ." for p, ns in self.prefixes.items()]
        lines = sorted({line for line in map(self.triple, statements) if line} | set(extra_lines))
        return "\n".join([*header, "", *lines]) + "\n"


def kb_turtle(world: World) -> str:
    writer = TurtleWriter(world)
    declarations = [f"{writer.term(c)} a owl:Class ." for c in world.classes]
    declarations += [f"{writer.term(i)} a owl:NamedIndividual ." for i in world.individuals]
    labels = [f"{writer.term(t)} rdfs:label {json.dumps(label)} ." for t, label in world.schema.labels.items()]
    return writer.document(world.asserted, [*declarations, *labels])


def closure_turtle(oracle: Oracle) -> str:
    return TurtleWriter(oracle.world).document(map(to_statement, oracle.closure.facts))  # document() sorts


def derivations_jsonl(oracle: Oracle) -> str:
    """One line per derived statement: the statement, its text and its derivation (Derivation.to_json)."""
    lines = []
    for statement, derivation in oracle.closure.derived():
        record = {"statement": statement.to_json(), "text": str(statement), **derivation.to_json()}
        lines.append(json.dumps(record, sort_keys=True) + "\n")
    return "".join(lines)


def counts(oracle: Oracle) -> dict:
    world, closure = oracle.world, oracle.closure
    by_rule: dict[str, int] = {}
    max_hops = 0
    for rule, _, hops in closure.facts.values():
        by_rule[rule] = by_rule.get(rule, 0) + 1
        max_hops = max(max_hops, hops)
    return {
        "classes": len(world.classes),
        "individuals": len(world.individuals),
        "asserted": len(world.asserted),
        "entailed": len(closure),
        "derived": len(closure) - by_rule.get("asserted", 0),
        "max_hops": max_hops,
        "by_rule": dict(sorted(by_rule.items())),
    }


def manifest(oracle: Oracle, ontology_bytes: bytes, ontology_name: str, outputs: dict[str, bytes],
             figures: dict | None = None, settings: dict | None = None, facts: Path | None = None) -> bytes:
    """The manifest: version, seed, input and output hashes, counts, and the setting overrides
    the dataset was made with (only when there are any)."""
    inputs = {"ontology": {"name": ontology_name, "sha256": sha256(ontology_bytes)}}
    if facts is not None:
        inputs["facts"] = {"name": facts.name, "sha256": sha256(facts.read_bytes())}
    data = {
        "kgsynth_version": __version__,
        "seed": oracle.world.seed,
        "inputs": inputs,
        "counts": figures if figures is not None else counts(oracle),
        "outputs": {name: sha256(content) for name, content in sorted(outputs.items())},
    }
    if settings:
        data["settings"] = dict(sorted(settings.items()))
    data.update(support_limits(oracle))
    return json_bytes(data)


EXAMPLES = 3


def support_limits(oracle: Oracle) -> dict:
    """Where OWL support ended, for the manifest and synth's summary (only what is there):
    `lenient` and the axioms it skipped per construct (count, examples), the halves of
    equivalences OWL 2 RL does not read, and the unsatisfiable classes with why."""
    schema, found = oracle.world.schema, {}
    if schema.lenient:
        found["lenient"] = True
        found["skipped"] = {kind: {"count": len(examples), "examples": examples[:EXAMPLES]}
                            for kind, examples in schema.skipped.items()}
    if schema.one_way:
        found["one_way"] = list(schema.one_way)
    if schema.open_terms:
        found["open_world_terms"] = sorted(schema.open_terms)
    if oracle.unsatisfiable:
        found["unsatisfiable"] = dict(oracle.unsatisfiable)
    return found


def dataset_files(naming: Naming, documents: list[Document], items: dict[str, list[Item]]) -> dict[str, bytes]:
    """lexicon.json, documents.jsonl, train.jsonl and items/<split>.jsonl."""
    files = {
        "lexicon.json": (json.dumps(naming.lexicon, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode(),
        "documents.jsonl": jsonl_bytes(d.to_json() for d in documents),
        "train.jsonl": jsonl_bytes(train_records(documents)),
    }
    for split, found in sorted(items.items()):
        files[f"items/{split}.jsonl"] = jsonl_bytes(item.to_json() for item in found)
    return files


def synth_files(oracle: Oracle, ontology_path: Path, dataset: dict[str, bytes] | None = None,
                figures: dict | None = None, settings: dict | None = None,
                facts: Path | None = None) -> dict[str, bytes]:
    """Every file `synth` writes, by name; the ontology (and the facts table, as facts.csv,
    .tsv or .jsonl) is copied so the output can be reloaded. `figures`: counts(oracle), where
    the caller has them already; `settings`: the overrides of the ontology's task settings
    the dataset was made with."""
    ontology = ontology_path.read_bytes()
    outputs = {
        "kb.ttl": kb_turtle(oracle.world).encode(),
        "closure.ttl": closure_turtle(oracle).encode(),
        "derivations.jsonl": derivations_jsonl(oracle).encode(),
        ontology_copy_name(ontology_path): ontology,
        **(dataset or {}),
    }
    if facts is not None:
        outputs[f"facts{facts.suffix.lower()}"] = facts.read_bytes()
    outputs["manifest.json"] = manifest(oracle, ontology, ontology_path.name, outputs, figures, settings, facts)
    return outputs


def ontology_copy_name(ontology_path: Path) -> str:
    """ontology.ttl, ontology.rdf, ontology.jsonld…: named by the format kgsynth read the file as,
    whatever its own name, so the copy reads back the same (`ontology.*`)."""
    return f"ontology{COPY_SUFFIXES.get(graph_format(ontology_path), '.ttl')}"
