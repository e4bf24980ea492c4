"""Read one ontology file safely into an rdflib Graph.

The file is read once, as bytes, and rdflib is handed those bytes, never the path, so
parsing cannot open anything else. Before parsing: XML entity declarations other than plain
text are refused (billion laughs, external files), and JSON-LD that refers to another document (@context IRI, @import) is
refused, so reading an ontology never touches the network or another file. The format
comes from the extension, or from the content when the extension is missing, unknown or
wrong. Parse errors become one readable line.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from xml.parsers import expat
from xml.sax import SAXParseException

import rdflib
from rdflib.util import guess_format

from ..errors import OntologyError

FORMATS = {"xml", "trix", "turtle", "n3", "nt", "nquads", "trig", "json-ld"}
XML_FORMATS = {"xml", "trix"}
DETAIL_LIMIT = 200
XML_START = re.compile(rb"<(\?xml|!|rdf:RDF\b)")
JSON_START = re.compile(rb"\{|\[\s*([\[{\"0-9-]|\]\s*$)")  # Turtle may start "[ :p …" or "[] a …", never "[{" or "[1"
MAX_ENTITY_CHARS = 500  # a namespace IRI; entities are expanded by expat, so their size is bounded here
MAX_EXPANSION = 50_000_000
BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class Malformed(Exception):
    """The bytes do not parse as `fmt`; `detail` says why, on one line."""

    def __init__(self, fmt: str, detail: str):
        super().__init__(detail)
        self.fmt, self.detail = fmt, detail


def read_graph(path: Path) -> rdflib.Graph:
    """Parse the file at `path` alone, or raise a one-line OntologyError naming it."""
    if not path.is_file():
        raise OntologyError(f"ontology file not found: {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OntologyError(f"{path}: cannot read the ontology: {exc.strerror or exc}") from None
    declared, sniffed = guess_format(str(path)), sniff_format(data)
    formats = candidate_formats(path, data)
    failures: dict[str, Malformed] = {}
    for fmt in formats:
        try:
            return parse_as(path, data, fmt)
        except Malformed as exc:
            failures[fmt] = exc
    # the error of the format the content looks like, unless that is only the Turtle default
    # and the extension names another text format (N-Triples is Turtle too, with better errors)
    weak = sniffed == "turtle" and declared in FORMATS - XML_FORMATS - {"nt"}
    failure = failures.get(declared if weak else sniffed) or failures[formats[0]]
    raise OntologyError(f"{path}: malformed RDF ({failure.fmt}): {failure.detail}")


def candidate_formats(path: Path, data: bytes) -> list[str]:
    """The formats read_graph tries, in order: the extension decides, unless it is missing or
    the content plainly says XML or JSON; when the first format fails, the other is tried
    (Turtle in a .owl file, and so on)."""
    declared, sniffed = guess_format(str(path)), sniff_format(data)
    formats = [sniffed] if declared not in FORMATS else [declared, sniffed]
    if sniffed != "turtle":
        formats.reverse()
    return list(dict.fromkeys(formats))


def graph_format(path: Path) -> str:
    """The format read_graph reads the file at `path` as (rdflib's name: turtle, xml, json-ld,
    nt…): the first of its candidates that parses; the file is parsed only when there are two."""
    data = path.read_bytes()
    *first, last = candidate_formats(path, data)
    for fmt in first:
        try:
            parse_as(path, data, fmt)
            return fmt
        except Malformed:
            continue
    return last


def sniff_format(data: bytes) -> str:
    """The format the content looks like: XML, JSON-LD or (the default) Turtle."""
    head = data[:4096]
    for bom in BOMS:
        if head.startswith(bom):
            if bom != BOMS[0]:
                head = head.decode("utf-16", errors="replace").encode("utf-8")
            else:
                head = head[len(bom):]
            break
    head = head.lstrip()
    if XML_START.match(head):
        return "xml"
    if JSON_START.match(head):
        return "json-ld"
    return "turtle"


def parse_as(path: Path, data: bytes, fmt: str) -> rdflib.Graph:
    """Parse `data` as `fmt`: OntologyError for refused input, Malformed if it does not parse."""
    payload: bytes | str = data
    if fmt in XML_FORMATS:
        refuse_xml_entities(path, data)
    elif fmt == "json-ld":
        payload = checked_json_ld(path, data)
    graph = rdflib.Graph()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's JSON-LD parser uses ConjunctiveGraph
            graph.parse(data=payload, format=fmt, publicID=path.absolute().as_uri())
    except Exception as exc:  # rdflib raises many types for malformed input
        raise Malformed(fmt, describe(exc)) from None
    return graph


# --- XML: only plain-text entities ------------------------------------------------


class _Stop(Exception):
    """Raised from expat handlers to stop the prolog scan."""

    def __init__(self, line: int = 0, why: str = ""):
        super().__init__(line)
        self.line, self.why = line, why


def refuse_xml_entities(path: Path, data: bytes) -> None:
    """Refuse entity declarations that can grow or reach outside the file: a parameter or external
    entity, or one that refers to another entity (how a 1 KB file becomes gigabytes). Plain-text
    entities, as ontology editors write for namespaces (<!ENTITY owl "http://…#">), are read, as
    long as their expansion stays small."""
    line, why = unsafe_entity(data)
    if line:
        raise OntologyError(f"{path}: XML entity declarations are not supported (<!ENTITY at line {line}: {why}; "
                            "only plain-text entities are read)")


def unsafe_entity(data: bytes) -> tuple[int, str]:
    """(line, why) of the first entity declaration kgsynth will not expand, found by expat in the
    prolog (any encoding); (0, "") if there is none."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    expanded = [0]

    def on_entity(name, is_parameter, value, _base, system_id, public_id, _notation) -> None:
        why = entity_problem(is_parameter, value, system_id or public_id)
        if not why:
            expanded[0] += data.count(f"&{name};".encode()) * len(value)
            why = "the entities would expand the file beyond 50 MB" if expanded[0] > MAX_EXPANSION else ""
        if why:
            raise _Stop(parser.CurrentLineNumber, f"{name!r} {why}" if not why.startswith("the") else why)

    def on_element(*_args) -> None:
        raise _Stop()  # declarations come only before the root element

    parser.EntityDeclHandler = on_entity
    parser.StartElementHandler = on_element
    try:
        parser.Parse(data, True)
    except _Stop as stop:
        return stop.line, stop.why
    except (expat.ExpatError, ValueError):
        # expat cannot read the prolog, so rdflib's expat cannot either; refuse the text anyway
        match = re.search(rb"<!\s*ENTITY", data, re.IGNORECASE)
        return (data.count(b"\n", 0, match.start()) + 1, "unreadable declaration") if match else (0, "")
    return 0, ""


def entity_problem(is_parameter: bool, value: str | None, external: str | None) -> str:
    if is_parameter:
        return "is a parameter entity"
    if value is None or external:
        return "refers to another file"
    if "&" in value or "%" in value:
        return "refers to another entity"
    if len(value) > MAX_ENTITY_CHARS:
        return f"is longer than {MAX_ENTITY_CHARS} characters"
    return ""


# --- JSON-LD: nothing fetched ---------------------------------------------------


def checked_json_ld(path: Path, data: bytes) -> str:
    """The document as JSON text for rdflib, once no @context or @import in it refers to another document."""
    try:
        document = json.loads(data)
    except json.JSONDecodeError as exc:
        raise Malformed("json-ld", f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except (UnicodeDecodeError, RecursionError) as exc:
        raise Malformed("json-ld", describe(exc)) from None
    reference = external_reference(document)
    if reference is not None:
        key, target = reference
        shown = json.dumps(target)[:120]
        raise OntologyError(
            f"{path}: the JSON-LD {key} {shown} refers to another document; only inline @context objects are "
            "supported (reading an ontology never fetches anything)"
        )
    return json.dumps(document)


def external_reference(document) -> tuple[str, object] | None:
    """The first (@context, IRI) or (@import, value) anywhere in the document, in document order."""
    queue, index = [document], 0
    while index < len(queue):
        item, index = queue[index], index + 1
        if isinstance(item, list):
            queue.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if key == "@import":
                    return key, value
                if key == "@context":
                    for context in value if isinstance(value, list) else [value]:
                        if context is not None and not isinstance(context, dict):
                            return key, context
                queue.append(value)
    return None


# --- one readable line ----------------------------------------------------------


def describe(exc: BaseException) -> str:
    """rdflib's error as one readable line with a line number where rdflib gives one."""
    if hasattr(exc, "_why") and hasattr(exc, "lines"):  # notation3.BadSyntax: Turtle, N3, TriG
        detail = f"line {stop_line(exc)}: {exc._why}{near(exc)}"
    elif isinstance(exc, SAXParseException):
        detail = f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    elif isinstance(exc, RecursionError):
        detail = "the document is nested too deeply"
    else:
        detail = str(exc)
    detail = re.sub(r"""\bb(['"])(.*?)\1""", r"\2", detail)  # no bytes reprs
    detail = " ".join(detail.replace("\\n", " ").split()) or type(exc).__name__
    return detail if len(detail) <= DETAIL_LIMIT else detail[: DETAIL_LIMIT - 1] + "…"


def stop_line(exc) -> int:
    """The line where a notation3 parser stopped, counted in its text (its own count drifts)."""
    try:
        return exc._str.count(b"\n", 0, max(int(exc._i), 0)) + 1
    except (AttributeError, TypeError, ValueError):
        return exc.lines + 1


def near(exc) -> str:
    """`, near "…"`: the text where a notation3 parser stopped, from the start of its line."""
    try:
        text = exc._str.decode("utf-8", errors="replace")
        stop = min(max(int(exc._i), 0), len(text))
    except (AttributeError, TypeError, ValueError):
        return ""
    start = text.rfind("\n", 0, stop) + 1
    before, after = text[start:stop], text[stop:].split("\n", 1)[0]
    snippet = " ".join((before[-40:] + after[:40]).split())
    return f', near "{snippet}"' if snippet else ""
