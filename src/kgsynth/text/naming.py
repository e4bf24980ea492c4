"""Give every term of a world its surface words: nonsense by default, real labels on request."""

from __future__ import annotations

from dataclasses import dataclass

from ..logic.world import World
from .grammar import Grammar, Names, relation_phrase
from .lexicon import Lexicon, LexiconConfig, plural, plural_forms


@dataclass
class Naming:
    names: Names
    grammar: Grammar
    lexicon: dict  # what lexicon.json holds


def name_world(world: World, config: LexiconConfig | None = None, keep_labels: bool = False) -> Naming:
    config = config or LexiconConfig(seed=world.seed)
    relations = {p: relation_phrase(p, world.label(p)) for p in sorted(world.schema.properties)}
    kept = {t: world.label(t) for t in world.classes | world.individuals if keep_labels and world.label(t)}
    needing_words = sorted(t for t in world.classes | world.individuals if t not in kept)
    slots = [f"{t}.{part}" for t in needing_words for part in ((1, 2) if t in world.proper_names else (1,))]
    reserved = sorted({w for phrase in relations.values() for w in phrase.split()})
    lexicon = Lexicon.assign(slots, config, reserved=reserved)

    def surface(term: str) -> str:
        if term in kept:
            return kept[term]
        if term in world.proper_names:
            return f"{lexicon.word(term + '.1').title()} {lexicon.word(term + '.2').title()}"
        return lexicon.word(term + ".1")

    names = Names()
    for term in sorted(world.classes):
        word = surface(term)
        forms = plural_forms(word) if term in kept else [plural(word)]
        names.add(term, sg=word, pl=forms[-1])  # a real label in English ("qualities"), nonsense regularly
        for form in forms[:-1]:
            names.alias(term, "pl", form)  # "qualitys" still reads
    for term in sorted(world.individuals):
        names.add(term, ind=surface(term))
    table = {
        "config": {"min_length": config.min_length, "max_length": config.max_length, "seed": config.seed},
        "keep_labels": keep_labels,
        "terms": {t: surface(t) for t in sorted(world.classes | world.individuals)},
        "labels": {world.label(t): surface(t) for t in sorted(world.classes | world.individuals) if world.label(t)},
        "relations": relations,
    }
    return Naming(names, Grammar(relations, names), table)
