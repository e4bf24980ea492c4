"""Real-style names, seeded: people and organizations as ontologies label them, with accents,
initials, periods, suffixes, digits (leading too), hyphens, apostrophes, commas, capitals
inside and several words. Used by tests/test_grammar.py and bench/real_names.py."""

from __future__ import annotations

import random

FIRST = ["Alexander", "Zoë", "José", "Björn", "Åsa", "Chloé", "François", "Jürgen", "Núria", "Søren", "Mary", "Frank",
         "Ana", "Łukasz", "Renée", "Siobhán", "Dwayne", "Jean-Luc", "Mary-Kate", "D'Angelo", "Leonardo", "Ngozi",
         "Yūki", "Ólafur", "İlkay", "Æthelred", "Max", "Ève", "Ümit", "Çağla"]
LAST = ["Skarsgård", "Chandor", "Stallone", "O'Brien", "McDonald", "DiCaprio", "García Márquez", "Núñez", "Müller",
        "Ødegaard", "Dvořák", "Smith-Jones", "van der Berg", "de la Cruz", "Le Pen", "MacArthur", "Brontë", "Zoëga",
        "Kowalczyk", "Ngata", "Yamamoto", "Þórsson", "Nakamura-Lee", "D'Souza", "St. John", "Fitzgerald", "Lévesque"]
SUFFIX = ["Sr.", "Jr.", "II", "III", "IV", "Ph.D.", "M.D."]
ORG_HEAD = ["2025 World Hoverboard", "R2-D2", "3M", "7-Eleven", "Procter & Gamble", "AT&T", "Café Müller", "Crédit Agricole",
            "Saint-Gobain", "Moët & Chandon", "Ben & Jerry's", "1. FC Köln", "Fábrica 42", "Yahoo!", "Toys \"R\" Us"]
ORG_TAIL = ["Championship", "Inc.", "Ltd.", "GmbH", "S.A.", "Co.", "Foundation", "Group", "Society", "Orchestra", "B.V."]


def initials(rng: random.Random) -> str:
    letters = rng.sample("ABCDEFGHJKLMNPRSTW", rng.randint(1, 3))
    return rng.choice(["".join(f"{c}." for c in letters), " ".join(f"{c}." for c in letters)])


def person(rng: random.Random) -> str:
    first = initials(rng) if rng.random() < 0.25 else rng.choice(FIRST)
    parts = [first]
    if rng.random() < 0.3:
        parts.append(rng.choice(FIRST) if rng.random() < 0.5 else initials(rng))
    parts.append(rng.choice(LAST))
    name = " ".join(parts)
    if rng.random() < 0.25:
        name += rng.choice([" ", ", "]) + rng.choice(SUFFIX)
    return name


def organization(rng: random.Random) -> str:
    name = rng.choice(ORG_HEAD)
    if rng.random() < 0.6:
        name += " " + rng.choice(ORG_TAIL)
    if rng.random() < 0.3:
        name = f"{rng.randint(1, 2099)} {name}" if rng.random() < 0.5 else f"{name} {rng.randint(2, 99)}"
    return name


def real_names(count: int, seed: int = 0) -> list[str]:
    """`count` distinct names, about four people to one organization, in a seeded order."""
    rng = random.Random(seed)
    found: dict[str, None] = {}
    while len(found) < count:
        found[person(rng) if rng.random() < 0.8 else organization(rng)] = None
    return list(found)
