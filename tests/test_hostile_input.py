"""Hostile and odd ontology files (issue "Reliability and security"): every one is refused on one line, quickly,
without touching the network or any file but the one named, or read correctly.

Each test builds its file in tmp_path, so it reproduces the report on its own.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import rdflib

from kgsynth.errors import OntologyError
from kgsynth.logic.ontology import Schema, load_schema
from kgsynth.logic.statement import ISA, Form, Statement

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGIES = ROOT / "ontologies"
GIB = 1 << 30
BNODE_ID = re.compile(r"BNode|N[0-9a-f]{32}|_:")

RDF_HEAD = (
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"\n'
    '         xmlns:owl="http://www.w3.org/2002/07/owl#">\n'
)
# 1 KB that rdflib expands to 10**9 characters: a hang (the report killed it at 60 s).
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
    + "]>\n" + RDF_HEAD
    + '  <owl:Class rdf:about="http://example.org/x#A"><rdfs:label>&lol9;</rdfs:label></owl:Class>\n</rdf:RDF>\n'
)
TURTLE_HEAD = """\
@prefix :     <http://example.org/test#> .
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix kgs:  <https://kgsynth.org/ns#> .
:A a owl:Class . :B a owl:Class . :C a owl:Class .
:p a owl:ObjectProperty . :q a owl:ObjectProperty . :r a owl:ObjectProperty .
"""


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def refused(path: Path, *mentions: str) -> str:
    """load_schema(path) raises a one-line OntologyError naming the file and every mention; returns the message."""
    with pytest.raises(OntologyError) as info:
        load_schema(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message and len(message) < 300 + len(str(path)), message
    for mention in mentions:
        assert mention in message, message
    return message


def cli_synth(ontology: Path, out: Path, limit_memory: bool = False) -> subprocess.CompletedProcess:
    """`python cli.py synth --ontology … --out …` in a subprocess (30 s; optionally at most 1 GiB of address space)."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (GIB, GIB))

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "cli.py", "synth", "--ontology", str(ontology), "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30, preexec_fn=cap if limit_memory else None,
    )


def assert_cli_error(result: subprocess.CompletedProcess, out: Path, *mentions: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kgsynth: error: "), result.stderr
    for mention in mentions:
        assert mention in lines[0]
    assert not out.exists()


# --- 1. XML entity expansion ----------------------------------------------------


@pytest.mark.parametrize("name", ["laughs.rdf", "laughs.owl", "laughs", "laughs.ttl"])
def test_billion_laughs_is_refused_before_parsing(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, BILLION_LAUGHS)
    assert path.stat().st_size < 1100
    start = time.monotonic()
    refused(path, "XML entity declarations are not supported (<!ENTITY at line 4: 'lol1' refers to another entity")
    assert time.monotonic() - start < 5


def test_billion_laughs_in_utf16_is_refused(tmp_path: Path) -> None:
    text = BILLION_LAUGHS.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    path = write(tmp_path / "laughs16.rdf", text.encode("utf-16"))
    refused(path, "XML entity declarations are not supported (<!ENTITY at line 4: 'lol1' refers to another entity")


def test_parameter_and_external_entities_are_refused(tmp_path: Path) -> None:
    secret = write(tmp_path / "secret.txt", "do not read me")
    body = '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n\n <!ENTITY % pe "x">\n]>\n' + RDF_HEAD + "</rdf:RDF>\n"
    refused(write(tmp_path / "pe.rdf", body), "<!ENTITY at line 4: 'pe' is a parameter entity")
    body = (f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ <!ENTITY s SYSTEM "{secret.as_uri()}"> ]>\n' + RDF_HEAD
            + '<owl:Class rdf:about="http://example.org/x#A"><rdfs:label>&s;</rdfs:label></owl:Class></rdf:RDF>\n')
    refused(write(tmp_path / "ext.rdf", body), "<!ENTITY at line 2: 's' refers to another file")


def test_plain_text_entities_as_ontology_editors_write_them_are_read(tmp_path: Path) -> None:
    """Protégé and others declare namespaces as entities (<!ENTITY owl "http://…#">): read, expanded."""
    body = ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY x "http://example.org/x#" >\n]>\n' + RDF_HEAD
            + '<owl:Class rdf:about="&x;A"><rdfs:subClassOf rdf:resource="&x;B"/></owl:Class></rdf:RDF>\n')
    schema = load_schema(write(tmp_path / "editor.owl", body))
    assert schema.iris["A"] == "http://example.org/x#A" and Statement("A", ISA, "B", Form.ALL) in schema.asserted


def test_plain_text_entities_that_would_expand_beyond_the_limit_are_refused(tmp_path: Path) -> None:
    value = "x" * 500
    body = ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY big "' + value + '" >\n]>\n' + RDF_HEAD
            + '<owl:Class rdf:about="http://example.org/x#A"><rdfs:label>' + "&big;" * 101_000
            + "</rdfs:label></owl:Class></rdf:RDF>\n")
    refused(write(tmp_path / "wide.rdf", body), "the entities would expand the file beyond 50 MB")


def test_a_doctype_without_entities_still_loads(tmp_path: Path) -> None:
    body = ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF>\n' + RDF_HEAD
            + '<owl:Class rdf:about="http://example.org/x#A"><rdfs:label>a</rdfs:label></owl:Class></rdf:RDF>\n')
    schema = load_schema(write(tmp_path / "plain.rdf", body))
    assert schema.classes == {"A"} and schema.labels == {"A": "a"}


def test_billion_laughs_through_the_cli_in_little_memory_and_time(tmp_path: Path) -> None:
    path = write(tmp_path / "laughs.rdf", BILLION_LAUGHS)
    out = tmp_path / "out"
    start = time.monotonic()
    result = cli_synth(path, out, limit_memory=True)
    assert time.monotonic() - start < 30
    assert_cli_error(result, out, str(path), "XML entity declarations are not supported")


# --- 2. JSON-LD never fetches ---------------------------------------------------


@pytest.fixture
def no_fetching(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """Record (and refuse) every connect, urlopen and file open while the test runs."""
    seen: dict[str, list] = {"connect": [], "urlopen": [], "open": []}

    def connect(_sock, address, *args, **kwargs):
        seen["connect"].append(address)
        raise OSError("the test forbids network access")

    def urlopen(url, *args, **kwargs):
        seen["urlopen"].append(url)
        raise OSError("the test forbids urlopen")

    real_open = io.open

    def recording_open(file, *args, **kwargs):
        seen["open"].append(os.fspath(file) if isinstance(file, (str, bytes, os.PathLike)) else file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    monkeypatch.setattr(builtins, "open", recording_open)
    monkeypatch.setattr(io, "open", recording_open)
    return seen


def json_ld(context) -> str:
    return json.dumps({"@context": context, "@id": "http://example.org/x#A", "@type": "http://www.w3.org/2002/07/owl#Class"})


@pytest.mark.parametrize("iri", ["http://example.org/context.jsonld", "file:///etc/hostname"])
def test_json_ld_context_iri_is_refused_without_fetching(tmp_path: Path, no_fetching: dict, iri: str) -> None:
    path = write(tmp_path / "remote.jsonld", json_ld(iri))
    refused(path, iri, "@context")
    assert no_fetching["connect"] == [] and no_fetching["urlopen"] == []
    assert [opened for opened in no_fetching["open"] if "hostname" in str(opened)] == []


def test_a_local_context_file_is_never_opened(tmp_path: Path, no_fetching: dict) -> None:
    context = write(tmp_path / "context.jsonld", json.dumps({"@context": {"ex": "http://example.org/x#"}}))
    path = write(tmp_path / "local.jsonld", json_ld(context.as_uri()))
    no_fetching["open"].clear()
    refused(path, context.as_uri())
    assert str(context) not in map(str, no_fetching["open"])
    assert str(path) in map(str, no_fetching["open"])  # the recorder works: the ontology itself was opened


NESTED = {
    "in a list": {"@context": [{"ex": "http://example.org/x#"}, "http://example.org/ctx"], "@id": "http://example.org/x#A"},
    "in a node": {"@graph": [{"@id": "http://example.org/x#A", "@context": "http://example.org/ctx"}]},
    "scoped": {"@context": {"ex": {"@id": "http://example.org/x#ex", "@context": "http://example.org/ctx"}}},
    "@import": {"@context": {"@version": 1.1, "@import": "http://example.org/ctx"}, "@id": "http://example.org/x#A"},
}


@pytest.mark.parametrize("case", list(NESTED))
def test_nested_context_references_are_refused(tmp_path: Path, no_fetching: dict, case: str) -> None:
    path = write(tmp_path / "nested.jsonld", json.dumps(NESTED[case]))
    refused(path, "http://example.org/ctx", "@import" if case == "@import" else "@context")
    assert no_fetching["connect"] == [] and no_fetching["urlopen"] == []


def test_json_ld_with_an_inline_context_loads(tmp_path: Path, no_fetching: dict) -> None:
    turtle = ONTOLOGIES / "syllogisms.ttl"
    graph = rdflib.Graph().parse(turtle, format="turtle")
    context = [None, {"owl": "http://www.w3.org/2002/07/owl#"}, {"kgs": "https://kgsynth.org/ns#", "@vocab": "https://kgsynth.org/ns#"}]
    path = tmp_path / "inline.jsonld"
    graph.serialize(destination=str(path), format="json-ld", context=context[1], encoding="utf-8")
    document = json.loads(path.read_text(encoding="utf-8"))
    document["@context"] = context
    write(path, json.dumps(document))
    assert same_schema(load_schema(path), load_schema(turtle))
    assert no_fetching["connect"] == [] and no_fetching["urlopen"] == []


# --- 3. blank nodes are named by their construct --------------------------------

BLANK = {
    "unionOf": (":D a owl:Class ; rdfs:subClassOf [ a owl:Class ; owl:unionOf ( :A :B ) ] .\n",
                "an owl:unionOf class expression of (A, B) in the rdfs:subClassOf of D"),
    "intersectionOf": (":D a owl:Class ; owl:disjointWith [ owl:intersectionOf ( :A :B ) ] .\n",
                       "an owl:intersectionOf class expression of (A, B) in the owl:disjointWith of D"),
    "untyped unionOf in a domain": (":p rdfs:domain [ owl:unionOf ( :A :B :C ) ] .\n",
                                    "an owl:unionOf class expression of (A, B, C) in the rdfs:domain of p"),
    "nested in a restriction": (
        ":D rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :p ; owl:someValuesFrom [ owl:unionOf ( :A :B ) ] ] .\n",
        "an owl:unionOf class expression of (A, B) in the owl:someValuesFrom of an owl:someValuesFrom restriction on p "
        "in the rdfs:subClassOf of D"),
    "complementOf": (":D owl:disjointWith [ owl:complementOf :A ] .\n",
                     "an owl:complementOf class expression of A in the owl:disjointWith of D"),
    "restriction as a type": (":x a [ a owl:Restriction ; owl:onProperty :p ; owl:allValuesFrom :B ] .\n",
                              "an owl:allValuesFrom restriction on p in the rdf:type of x"),
    "inverse in a chain": (":r owl:propertyChainAxiom ( :p [ owl:inverseOf :q ] ) .\n",
                           "an owl:inverseOf property expression of q in the owl:propertyChainAxiom of r"),
    "anonymous individual": (":x :p [ a :A ] .\n", "a blank node of type A in the p of x"),
    "alone": ("[ a owl:Class ; owl:unionOf ( :A :B ) ] .\n", "an owl:unionOf class expression of (A, B)"),
}


@pytest.mark.parametrize("case", list(BLANK))
def test_blank_nodes_are_named_by_their_construct(tmp_path: Path, case: str) -> None:
    body, expected = BLANK[case]
    message = refused(write(tmp_path / "blank.ttl", TURTLE_HEAD + body), "unsupported construct", expected)
    assert not BNODE_ID.search(message), message


def test_a_looping_list_is_an_error_not_a_hang(tmp_path: Path) -> None:
    body = ":r owl:propertyChainAxiom _:l . _:l rdf:first :q ; rdf:rest _:l .\n"
    refused(write(tmp_path / "loop.ttl", TURTLE_HEAD + body), "owl:propertyChainAxiom of r is not a proper RDF list")


# --- 4. an empty ontology is an error -------------------------------------------

EMPTY = {
    "empty.ttl": "",
    "comments.ttl": "# nothing here\n\n",
    "header.ttl": "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n<http://example.org/o> a owl:Ontology .\n",
    "empty.owl": '<?xml version="1.0"?>\n' + RDF_HEAD + "</rdf:RDF>\n",
    "empty.jsonld": "[]",
}


@pytest.mark.parametrize("name", list(EMPTY))
def test_an_empty_ontology_is_an_error(tmp_path: Path, name: str) -> None:
    refused(write(tmp_path / name, EMPTY[name]), "the ontology is empty: nothing to generate")


def test_an_empty_ontology_through_the_cli(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.ttl", "")
    out = tmp_path / "out"
    assert_cli_error(cli_synth(path, out), out, str(path), "the ontology is empty: nothing to generate")


# --- 5. the format comes from the content when the extension is missing or wrong -


def same_schema(left: Schema, right: Schema) -> bool:
    def key(schema: Schema) -> tuple:
        return schema.asserted, schema.tasks, schema.classes, schema.properties

    return key(left) == key(right)


@pytest.mark.parametrize("source", ["syllogisms", "family"])
@pytest.mark.parametrize("name", ["myontology", "x.owl", "x.jsonld", "x.nt"])
def test_turtle_without_or_with_a_misleading_extension_loads(tmp_path: Path, source: str, name: str) -> None:
    turtle = ONTOLOGIES / f"{source}.ttl"
    copy = tmp_path / name
    shutil.copyfile(turtle, copy)
    expected, schema = load_schema(turtle), load_schema(copy)
    assert schema.path == str(copy)
    assert same_schema(schema, expected)


@pytest.mark.parametrize("name", ["myontology", "x.ttl"])
@pytest.mark.parametrize("fmt", ["xml", "json-ld"])
def test_xml_and_json_ld_are_sniffed(tmp_path: Path, fmt: str, name: str) -> None:
    turtle = ONTOLOGIES / "family.ttl"
    path = tmp_path / name
    rdflib.Graph().parse(turtle, format="turtle").serialize(destination=str(path), format=fmt, encoding="utf-8")
    assert same_schema(load_schema(path), load_schema(turtle))


# --- 6. malformed RDF reads as one line of text with a line number --------------

MALFORMED = {
    "no statement.ttl": ("# kgsynth\n\nWill this parse?\n", "malformed RDF (turtle): line 3: ", "Will this parse?"),
    "open string.ttl": (TURTLE_HEAD + ':A :p "never closed .\n:B :p :C .\n', "line 8", "never closed"),
    "unbound prefix.ttl": (TURTLE_HEAD + "\n\nzz:A :p :B .\n", "line 10", 'Prefix "zz:" not bound'),
    "unfinished.ttl": ("@prefix : <http://x#> .\n:a :b :c .\n:a :b\n", "line 3: objectList expected", ":a :b"),
    "broken.owl": ('<?xml version="1.0"?>\n' + RDF_HEAD + "<owl:Class>\n</rdf:RDF>\n",
                   "malformed RDF (xml): line 5", "mismatched tag"),
    "broken.jsonld": ('{"@id": "http://example.org/x#A",\n "@type": }\n', "malformed RDF (json-ld): line 2", "Expecting value"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_rdf_is_one_readable_line(tmp_path: Path, name: str) -> None:
    text, *mentions = MALFORMED[name]
    message = refused(write(tmp_path / name, text), *mentions)
    assert "b'" not in message and "\\n" not in message and "^" not in message, message
    assert len(message) - len(str(tmp_path / name)) < 300
