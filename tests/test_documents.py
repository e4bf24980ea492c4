"""Training documents per dataset family, against the numbers of STUDY.md; the three training
shapes; determinism."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import pytest
from helpers import FAMILIES, SYNTH_SEED, synthesize

from kgsynth.logic.statement import ISA, Form, Statement
from kgsynth.tasks import CelebrityTask, train_records
from kgsynth.tasks.celebrities import groups as celebrity_groups


def docs_json(corpus) -> str:
    return json.dumps([d.to_json() for d in corpus.documents], sort_keys=True)


def starts_with_lead(text: str, leads: list[str]) -> str | None:
    lowered = text.lower()
    return next((lead for lead in leads if lowered.startswith(lead + " ")), None)


# --- simple reversals --------------------------------------------------------------------


@pytest.fixture(scope="module")
def reversals(synthesized):
    return synthesized("simple_reversals")


def comparison_facts(synth) -> list[Statement]:
    return [s for s in synth.world.asserted if s.relation != ISA and s.form is Form.FACT]


def test_reversals_100_facts_over_28_dimensions(reversals) -> None:
    props = reversals.world.schema.properties
    dimensions = {frozenset((p, props[p].inverse)) for p in props if props[p].strict_order and props[p].inverse}
    assert len(dimensions) == 28
    assert all(len(d) == 2 for d in dimensions)
    facts = comparison_facts(reversals)
    assert len(facts) == 100
    assert all(props[f.relation].strict_order for f in facts)
    assert len({frozenset((f.relation, props[f.relation].inverse)) for f in facts}) > 1  # several dimensions used


def test_reversals_each_fact_in_exactly_10_texts_each_with_a_lead(reversals) -> None:
    docs = reversals.corpus.documents
    assert len(docs) == 1000
    per_fact = Counter()
    leads = reversals.grammar.leads()
    used_leads = Counter()
    for doc in docs:
        assert doc.kind == "comparison"
        assert len(doc.sentences) == 1
        sentence = doc.sentences[0]
        assert doc.text == sentence.text
        lead = starts_with_lead(sentence.text, leads)
        assert lead is not None, sentence.text
        used_leads[lead] += 1
        per_fact[sentence.statement] += 1
    assert set(per_fact) == set(comparison_facts(reversals))
    assert set(per_fact.values()) == {10}
    assert len(used_leads) >= len(leads) // 2  # random lead-ins, not one
    for doc in docs[::5]:  # parsing takes milliseconds: a sample
        assert reversals.grammar.parse(doc.text) == doc.sentences[0].statement


# --- syllogisms --------------------------------------------------------------------------


def test_syllogisms_69_documents_three_terms_two_premises(synthesized) -> None:
    synth = synthesized("syllogisms")
    docs = synth.corpus.documents
    assert len(docs) == 69
    names = synth.naming.names
    for doc in docs:
        assert doc.kind == "syllogism"
        terms = doc.meta["terms"]
        assert len(set(terms)) == 3 and set(terms) <= synth.world.classes
        intro, *premises = doc.sentences
        assert intro.statement is None
        assert intro.text.startswith("The relationships between ") and intro.text.endswith(" are:")
        listed = intro.text.removeprefix("The relationships between ").removesuffix(" are:")
        words = listed.replace(" and ", ", ").split(", ")
        assert sorted(words) == sorted(names.surface(t, "pl") for t in terms), intro.text
        assert len(premises) == 2, doc.text
        statements = [p.statement for p in premises]
        for premise in premises:
            s = premise.statement
            assert s.relation == ISA and s.form in (Form.ALL, Form.SOME, Form.NO), s  # "some ... not" omitted
            assert s.subject in terms and s.object in terms and s.subject != s.object
            assert synth.grammar.parse(premise.text) == s
        pairs = [{s.subject, s.object} for s in statements]
        assert len(pairs[0] & pairs[1]) == 1, doc.text  # one middle term
        assert pairs[0] | pairs[1] == set(terms)
        assert doc.text == " ".join(s.text for s in doc.sentences)


# --- semantic structure ------------------------------------------------------------------


@pytest.fixture(scope="module")
def semantic(synthesized):
    return synthesized("semantic_structure")


def test_semantic_2200_documents_of_4_to_20_sentences(semantic) -> None:
    docs = semantic.corpus.documents
    assert len(docs) == 2200
    lengths = [len(d.sentences) for d in docs]
    assert min(lengths) >= 4 and max(lengths) <= 20
    assert len(set(lengths)) > 10  # lengths vary across the range
    for doc in docs:
        assert all(s.statement is not None for s in doc.sentences)


def test_semantic_formats_vary(semantic) -> None:
    formats = Counter(d.meta["format"] for d in semantic.corpus.documents)
    assert set(formats) == {"prose", "heading", "list", "qa"}
    assert min(formats.values()) >= 50
    for doc in semantic.corpus.documents:
        texts = [s.text for s in doc.sentences]
        fmt = doc.meta["format"]
        if fmt == "prose":
            assert doc.text == " ".join(texts)
        elif fmt == "heading":
            assert doc.text.startswith("# ") and doc.text.endswith(" ".join(texts))
        elif fmt == "list":
            assert doc.text.splitlines()[1:] == [f"- {t}" for t in texts]
        else:
            assert doc.text.startswith("Q: ") and "\nA: " in doc.text and doc.text.endswith(" ".join(texts))


def test_semantic_sentences_parse_to_their_statements(semantic) -> None:
    sentences = semantic.sentences()
    for sentence in sentences[:: max(1, len(sentences) // 300)]:
        assert semantic.grammar.parse(sentence.text) == sentence.statement


@pytest.mark.parametrize("family", FAMILIES)
def test_every_fact_a_test_item_depends_on_is_in_a_document(synthesized, family: str) -> None:
    synth = synthesized(family)
    trained = {s.statement for s in synth.sentences() if s.statement is not None}
    missing = set()
    for item in synth.all_items():
        support = set(item.support)
        assert support, item.id
        missing |= support - trained
    assert not missing, sorted(map(str, missing))[:10]


def test_semantic_holdout_categories_are_trained_on_their_parent_only(semantic) -> None:
    holdout = semantic.corpus.holdout
    assert len(holdout) == semantic.world.documents_settings().holdout_categories
    about = defaultdict(set)
    for sentence in semantic.sentences():
        if sentence.statement.subject in holdout:
            about[sentence.statement.subject].add(sentence.statement)
    for category in holdout:
        (only,) = about[category]
        assert only.relation == ISA and only.form is Form.ALL, only


# --- celebrities -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def celebrities(synthesized):
    return synthesized("celebrities")


def test_celebrities_3600_examples_in_two_groups(celebrities) -> None:
    docs = celebrities.corpus.documents
    assert len(docs) == 3600
    assert all(len(d.sentences) == 1 and d.kind == "celebrity" for d in docs)
    groups = celebrity_groups(celebrities.corpus.documents)
    assert len(groups) == 900
    assert Counter(groups.values()) == {"name_first": 450, "both": 450}
    task = next(t for t in celebrities.world.schema.tasks if isinstance(t, CelebrityTask))
    per_fact = Counter(d.sentences[0].statement for d in docs)
    assert set(per_fact.values()) == {task.repetitions}
    for doc in docs:
        assert doc.meta["group"] == groups[doc.sentences[0].statement.subject]


def test_celebrities_name_first_and_both_orders(celebrities) -> None:
    names = celebrities.naming.names
    orders = defaultdict(set)
    for doc in celebrities.corpus.documents:
        sentence = doc.sentences[0]
        fact = sentence.statement
        text = sentence.text.lower()
        name, work = names.surface(fact.subject, "ind").lower(), names.surface(fact.object, "ind").lower()
        assert name in text and work in text, sentence.text
        orders[fact.subject].add("name_first" if text.index(name) < text.index(work) else "description_first")
    for celebrity, group in celebrity_groups(celebrities.corpus.documents).items():
        expected = {"name_first"} if group == "name_first" else {"name_first", "description_first"}
        assert orders[celebrity] == expected, (celebrity, group)
    for doc in celebrities.corpus.documents[::18]:  # parsing takes milliseconds: a sample
        assert celebrities.grammar.parse(doc.text) == doc.sentences[0].statement


# --- training shapes ---------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_train_records_in_three_shapes(synthesized, family: str) -> None:
    corpus = synthesized(family).corpus
    records = train_records(corpus.documents)
    by_shape = defaultdict(list)
    for record in records:
        by_shape[record["shape"]].append(record)
    assert set(by_shape) == {"documents", "independent", "cumulative"}
    docs = corpus.documents
    sentences = [(doc, i, s) for doc in docs for i, s in enumerate(doc.sentences)]
    assert len(by_shape["documents"]) == len(docs)
    assert [(r["doc_id"], r["text"], r["context"]) for r in by_shape["documents"]] == [(d.id, d.text, "") for d in docs]
    assert len(by_shape["independent"]) == len(sentences)
    assert [(r["id"], r["doc_id"], r["text"], r["context"]) for r in by_shape["independent"]] == [
        (s.id, doc.id, s.text, "") for doc, _, s in sentences
    ]
    assert len(by_shape["cumulative"]) == len(sentences)
    assert [(r["id"], r["doc_id"], r["text"], r["context"]) for r in by_shape["cumulative"]] == [
        (s.id, doc.id, s.text, " ".join(p.text for p in doc.sentences[:i])) for doc, i, s in sentences
    ]


# --- determinism -------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_same_seed_same_documents_other_seed_other_documents(synthesized, family: str) -> None:
    built = synthesized(family)
    again = synthesize(family, SYNTH_SEED, items=False)
    assert docs_json(again.corpus) == docs_json(built.corpus)
    other = synthesize(family, SYNTH_SEED + 1, items=False)
    assert docs_json(other.corpus) != docs_json(built.corpus)
