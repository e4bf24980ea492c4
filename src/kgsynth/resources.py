"""Files shipped inside the package (grammars, prompts, ontologies), read with
importlib.resources so that an installed wheel works from any directory."""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path

from .errors import KgsynthError


def shipped(package: str, name: str) -> Path:
    """The path of a file shipped in `kgsynth.<package>` (grammars, prompts, ontologies)."""
    return Path(str(resources.files(f"kgsynth.{package}").joinpath(name)))


def grammar_path(name: str) -> Path:
    return shipped("grammars", name)


def prompt_text(name: str) -> str:
    return shipped("prompts", name).read_text(encoding="utf-8")


def shipped_ontologies() -> dict[str, Path]:
    """name (file stem) -> path of each ontology kgsynth ships."""
    folder = resources.files("kgsynth.ontologies")
    return {entry.name.rsplit(".", 1)[0]: Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".ttl")}


def ontology_path(spec: str | Path) -> Path:
    """A path to an ontology file, or the name of a shipped one (`syllogisms`)."""
    path = Path(spec)
    if path.exists():
        return path
    known = shipped_ontologies()
    name = str(spec).removesuffix(".ttl")
    if name in known:
        return known[name]
    near = difflib.get_close_matches(name, sorted(known), n=1)
    hint = f"; did you mean {near[0]}?" if near else f"; shipped ontologies: {', '.join(sorted(known))}"
    raise KgsynthError(f"ontology not found: {spec} is neither a file nor a shipped ontology{hint}")
