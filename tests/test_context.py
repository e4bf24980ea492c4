"""kgsynth.experiments.context: the text before each question, `--context corpus` or
`--context relevant` (the item's own documents among seeded distractors), and the
evaluation that uses it, with a deterministic fake model on simple_reversals on disk."""

from __future__ import annotations

import pytest
from helpers import make_fake_model, write_synth

from kgsynth.data.dataset import SEPARATOR, read_documents
from kgsynth.errors import KgsynthError
from kgsynth.experiments.context import ContextSpec, document_of, item_prefixes
from kgsynth.experiments.evaluate import EvalConfig, Evaluator, select_items


@pytest.fixture(scope="module")
def data(synthesized, tmp_path_factory):
    return write_synth(synthesized("simple_reversals"), tmp_path_factory.mktemp("context") / "data")


@pytest.fixture(scope="module")
def documents(data):
    return read_documents(data)


@pytest.fixture(scope="module")
def items(data):
    return select_items(data, [], 20)


def texts_of(prefix: str) -> list[str]:
    assert prefix.endswith(SEPARATOR)
    return prefix[: -len(SEPARATOR)].split(SEPARATOR)


def test_relevant_context_holds_the_items_documents_and_the_distractors(documents, items):
    by_id = {d.id: d for d in documents}
    for item, prefix in zip(items, item_prefixes(documents, items, ContextSpec("icl", "relevant", distractors=4)),
                            strict=True):
        own = {document_of(s) for s in item.depends_on}
        assert own and all(by_id[d].text in prefix for d in own)
        texts = texts_of(prefix)
        assert len(texts) == len(own) + 4
        remaining = iter(d.text for d in documents)
        assert all(any(t == d for d in remaining) for t in texts)  # corpus order: not always last


def test_relevant_context_is_seeded_and_differs_between_items(documents, items):
    first = item_prefixes(documents, items, ContextSpec("icl", "relevant", seed=0))
    assert first == item_prefixes(documents, items, ContextSpec("icl", "relevant", seed=0))
    assert first != item_prefixes(documents, items, ContextSpec("icl", "relevant", seed=1))
    assert len(set(first)) > len(items) // 2


def test_zero_distractors_keeps_only_the_items_own_documents(documents, items):
    for item, prefix in zip(items, item_prefixes(documents, items, ContextSpec("icl", "relevant", distractors=0)),
                            strict=True):
        own = {document_of(s) for s in item.depends_on}
        assert texts_of(prefix) == [d.text for d in documents if d.id in own]


def test_baseline_has_no_context_and_corpus_is_shared(documents, items):
    assert item_prefixes(documents, items, ContextSpec("baseline", "relevant")) == [""] * len(items)
    corpus = item_prefixes(documents, items, ContextSpec("icl"))
    assert len(set(corpus)) == 1 and len(texts_of(corpus[0])) == len(documents)


@pytest.mark.parametrize("spec, message", [
    (ContextSpec("icl", "nearby"), "unknown context"),
    (ContextSpec("icl", "relevant", subsample=0.5), "--subsample applies to --context corpus"),
    (ContextSpec("icl", "relevant", distractors=-1), "--distractors must be at least 0"),
])
def test_bad_context_settings_are_one_line_errors(spec, message):
    with pytest.raises(KgsynthError, match=message):
        spec.validate()


def test_evaluation_scores_each_item_after_its_own_context(data, documents, items, tmp_path):
    model = make_fake_model()
    config = EvalConfig(data=str(data), regime="icl", model="fake", limit=20, context="relevant", distractors=2)
    metrics = Evaluator(model, config, tmp_path / "run").evaluate()
    expected = dict(zip((i.id for i in items), item_prefixes(documents, items, config.context_spec), strict=True))
    assert metrics["all"]["n"] == len(items)
    by_prompt = {}
    for requests, shared in model.calls:
        assert len({r.context for r in requests}) == 1 and requests[0].context.startswith(shared)
        by_prompt[requests[0].context] = shared
    for item in items:
        assert by_prompt[expected[item.id] + item.prompt] == expected[item.id]
