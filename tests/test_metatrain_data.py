"""kgsynth.experiments.metatrain_data without a model: augmentation demonstrations are
`augment`'s own prompts answered with what the oracle derives, and nothing else."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import kgsynth
from kgsynth.experiments.augment import fill, load_prompt, split_candidates
from kgsynth.experiments.metatrain_data import MAX_TARGETS, TRAIN_BASE, MetatrainConfig, augmentation_text

ROOT = Path(__file__).resolve().parents[1]
WORLDS = {"simple_reversals": {"facts": 5, "repetitions": 1}, "syllogisms": {"syllogisms": 4}}


@pytest.mark.parametrize("strategy", ["local", "global"])
@pytest.mark.parametrize("name", sorted(WORLDS))
def test_demonstrations_are_augments_prompt_answered_with_entailed_new_sentences(name, strategy):
    for k in range(6):
        world = kgsynth.create_dataset(ROOT / "ontologies" / f"{name}.ttl", TRAIN_BASE + k, **WORLDS[name])
        found = augmentation_text(world, random.Random(k), strategy)
        if found is None:
            continue
        text, [(start, end)] = found
        prompt, answer = text[:start], text[start:end]
        assert end == len(text) and answer.endswith("\n\n")  # the blank line augment stops at
        if strategy == "local":
            source = prompt.rsplit("Sentence: ", 1)[1].split("\nRephrasings and reversals:")[0]
            assert prompt == fill(load_prompt("local"), sentence=source)
        else:
            assert prompt.startswith(load_prompt("global").split("{corpus}")[0])
        targets = split_candidates(answer)
        assert 1 <= len(targets) <= MAX_TARGETS
        trained = {s.statement for d in world.documents for s in d.sentences}
        for sentence in targets:
            statement = world.grammar.parse(sentence)
            assert world.oracle.query(statement).value == "entailed", sentence
            if strategy == "global":
                assert statement not in trained, sentence  # an inference, not a copy


def test_the_augment_share_is_checked():
    with pytest.raises(kgsynth.errors.KgsynthError, match="augment share must be in"):
        MetatrainConfig(ontology="simple_reversals", augment_share=1.5).validate()
