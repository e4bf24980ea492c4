"""The names of free premises: the terms people write, found in the sentences themselves.

A term is a run of words that are not the grammar's own (between "all", "are", "is a",
"not", ...): "sea otters", "data analysis tool", "Max". Its singular and plural are one
term when `lexicon.plural_forms` links them ("fox"/"foxes", "class"/"classes",
"berry"/"berries", "mammal"/"mammals"); a run written only in the plural is its own
singular too ("All glon are yomp", as the study writes them, reads the same as "All
glons are yomps"). Every term can stand as a class or as an individual: an individual
is a term that is the subject of "is"/"is not" with no quantifier before it ("Max is a
wumpus", "Max is not sour"). A term used both ways is refused, naming the sentences.
"""

from __future__ import annotations

from ..errors import KgsynthError
from ..logic.categorical import INDIVIDUAL_FORMS
from ..logic.statement import Statement
from .grammar import Grammar, Names, normalize
from .lexicon import plural_forms, singular_forms
from .surfaces import TRAILING


def runs(sentence: str, literals: set[str]) -> list[str]:
    """The runs of words of the sentence that are not the grammar's, as written (case kept)."""
    found: list[list[str]] = [[]]
    for token in " ".join(sentence.replace('"', " ").replace("\u2019", "'").split()).split(" "):
        word = token.rstrip(TRAILING)
        if not word or normalize(word) in literals:
            found.append([])
            continue
        found[-1].append(word)
        if word != token:  # punctuation ends a run: "interestingly, foxes ..."
            found.append([])
    return [" ".join(words) for words in found if words]


def premise_grammar(sentences: list[str]) -> Grammar:
    """A grammar whose names are the runs of the sentences that are not the grammar's own words."""
    literals = Grammar({}, Names()).literals()
    written: dict[str, str] = {}  # normalized run -> as first written
    for sentence in sentences:
        for run in runs(sentence, literals):
            written.setdefault(normalize(run), run)
    singulars = {run: [s for s in singular_forms(run) if s in written] for run in written}
    names = Names()
    for lemma in sorted(run for run in written if not singulars[run]):
        plurals = [run for run in written if lemma in singulars[run]]
        names.add(lemma, sg=lemma, pl=plurals[0] if plurals else lemma, ind=written[lemma])
        for surface in plural_forms(lemma) + plurals:
            names.alias(lemma, "pl", surface)
    return Grammar({}, names)


def check_roles(sentences: list[str], statements: list[Statement]) -> None:
    """Refuse a term used both as an individual and as a class, naming both sentences."""
    as_individual: dict[str, str] = {}
    for text, statement in zip(sentences, statements, strict=True):
        if statement.form in INDIVIDUAL_FORMS:
            as_individual.setdefault(statement.subject, text)
    for text, statement in zip(sentences, statements, strict=True):
        classes = [statement.object] + ([statement.subject] if statement.form.is_categorical else [])
        for term in classes:
            if term in as_individual:
                raise KgsynthError(f"'{term}' is an individual in {as_individual[term]!r} (the subject of 'is' with no "
                                   f"'every', 'all', 'some' or 'no') and a class in {text!r}; use two words")
