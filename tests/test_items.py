"""Test items of every family and split: answers entailed, distractors not, options parse back to
their statements, nothing leaks from training, the study's formats; renaming invariance."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from helpers import FAMILIES, loose

from kgsynth.logic.oracle import CONTRADICTED, ENTAILED, UNKNOWN
from kgsynth.logic.statement import ISA, Form, Statement
from kgsynth.tasks import SPLITS, CelebrityTask
from kgsynth.tasks.celebrities import groups as celebrity_groups

# items whose prompt is an introduction ("The relationships between X and Y are:") rather than
# the start of the option's sentence
INTRO_PROMPT = "The relationships between "
PARSE_SAMPLE = 40  # items per split whose every option is parsed back (a parse takes milliseconds)


def sentence_of(item, index: int) -> str:
    """The test sentence an option makes: prompt + option, or the option alone after an introduction."""
    if item.prompt.startswith(INTRO_PROMPT):
        return item.options[index].strip()
    return item.prompt + item.options[index]


def sample(items: list, count: int = PARSE_SAMPLE) -> list:
    return items[:: max(1, len(items) // count)]


@pytest.fixture(scope="module", params=FAMILIES)
def synth(request, synthesized):
    return synthesized(request.param)


# --- every family ------------------------------------------------------------------------


def test_every_family_has_items(synth) -> None:
    assert synth.items
    assert set(synth.items) <= set(SPLITS)
    for split, items in synth.items.items():
        assert items, split
        assert len({i.id for i in items}) == len(items)
        for item in items:
            assert item.split == split
            n = len(item.options)
            assert n >= 2 and len(item.statements) == n and len(item.verdicts) == n
            assert 0 <= item.answer < n
            assert len(set(item.statements)) == n and len(set(item.options)) == n


def test_answers_entailed_distractors_not(synth) -> None:
    oracle = synth.oracle
    for item in synth.all_items():
        for index, statement in enumerate(item.statements):
            open_verdict = oracle.query(statement).value
            closed_verdict = oracle.query(statement, closed_world=True).value
            assert item.verdicts[index] == closed_verdict, (item.id, str(statement))
            if index == item.answer:
                assert open_verdict == ENTAILED, (item.id, str(statement))
            elif synth.name == "syllogisms":
                # an invalid conclusion need not be false: some are only unknown (STUDY.md)
                assert closed_verdict in (CONTRADICTED, UNKNOWN), (item.id, str(statement))
            else:
                assert open_verdict != ENTAILED, (item.id, str(statement))
                assert closed_verdict == CONTRADICTED, (item.id, str(statement))


def test_options_parse_back_to_their_statements(synth) -> None:
    grammar = synth.grammar
    for split, items in synth.items.items():
        for item in sample(items):
            for index, statement in enumerate(item.statements):
                assert grammar.parse(sentence_of(item, index)) == statement, (split, item.id, index)


def test_no_test_sentence_is_a_training_sentence(synth) -> None:
    training = {loose(s.text) for s in synth.sentences()}
    for item in synth.all_items():
        asked = loose(item.prompt + item.options[item.answer])
        assert asked not in training, (item.id, asked)
        assert loose(sentence_of(item, item.answer)) not in training, (item.id, asked)


def test_inferences_are_not_trained_and_rephrasings_are(synth) -> None:
    trained = {s.statement for s in synth.sentences() if s.statement is not None}
    for split in ("syllogism", "multihop", "category_holdout"):
        for item in synth.items.get(split, []):
            assert item.statements[item.answer] not in trained, (item.id, str(item.statements[item.answer]))
    for item in synth.items.get("rephrased", []):
        assert item.statements[item.answer] in trained, item.id


def test_depends_on_names_training_sentences_that_hold_the_support(synth) -> None:
    by_id = {s.id: s for s in synth.sentences()}
    for item in synth.all_items():
        assert item.depends_on, item.id
        unknown = [sid for sid in item.depends_on if sid not in by_id]
        assert not unknown, (item.id, unknown)
        support = set(item.support)
        assert support <= {by_id[sid].statement for sid in item.depends_on}, item.id


def test_derivation_matches_the_oracle(synth) -> None:
    for item in synth.all_items():
        answer = item.statements[item.answer]
        derivation = synth.oracle.query(answer).derivation
        assert item.derivation == derivation
        assert item.support == sorted(synth.oracle.closure.support(answer))


def test_distractors_are_true_of_another_entity(synth) -> None:
    """STUDY.md: each distractor is true of another entity ("gruds are zept" where "telk are zept" holds)."""
    if synth.name in ("simple_reversals", "syllogisms"):
        pytest.skip("the study's own distractors: the contradictory comparison, the invalid candidates")
    holders, held = defaultdict(set), defaultdict(set)
    for s in synth.oracle.closure.statements():
        holders[(s.relation, s.form, s.object)].add(s.subject)
        held[(s.relation, s.form, s.subject)].add(s.object)
    for item in synth.all_items():
        answer = item.statements[item.answer]
        for index, wrong in enumerate(item.statements):
            if index == item.answer:
                continue
            if wrong.subject == answer.subject:  # another object: some other subject has it
                assert holders[(wrong.relation, wrong.form, wrong.object)] - {answer.subject}, (item.id, str(wrong))
            else:  # another subject: it has the relation to some other object
                assert wrong.object == answer.object, (item.id, str(wrong))
                assert held[(wrong.relation, wrong.form, wrong.subject)] - {answer.object}, (item.id, str(wrong))


# --- semantic structure ------------------------------------------------------------------


def test_category_holdout_items_follow_from_the_parent_fact(synthesized) -> None:
    """STUDY.md: a held-out category's only trained fact is its parent; every inference from that fact is tested."""
    synth = synthesized("semantic_structure")
    holdout = set(synth.corpus.holdout)
    parent = {}
    for sentence in synth.sentences():
        s = sentence.statement
        if s.subject in holdout and s.relation == ISA and s.form is Form.ALL:
            parent[s.subject] = s
    assert set(parent) == holdout
    items = synth.items["category_holdout"]
    assert {i.statements[i.answer].subject for i in items} == holdout
    wrong = []
    for item in items:
        answer = item.statements[item.answer]
        support = set(item.support)
        if parent[answer.subject] not in support:
            wrong.append(f"{item.id}: {answer} from {sorted(map(str, support))}")
    assert not wrong, wrong


# --- simple reversals --------------------------------------------------------------------


def test_reversal_items_are_correct_reversal_against_contradiction(synthesized) -> None:
    synth = synthesized("simple_reversals")
    props = synth.world.schema.properties
    asserted = {s for s in synth.world.asserted if s.relation != ISA}
    items = synth.items["reversal"]
    assert len(items) == len(asserted) == 100
    reversed_facts = set()
    for item in items:
        assert len(item.options) == 2
        answer, wrong = item.statements[item.answer], item.statements[1 - item.answer]
        fact = Statement(answer.object, props[answer.relation].inverse, answer.subject)
        assert fact in asserted, item.id  # the answer is the reversal of a trained fact ...
        assert wrong == Statement(answer.subject, fact.relation, answer.object), item.id  # ... the other contradicts it
        assert synth.oracle.query(wrong).value == CONTRADICTED  # contradicted even without closed-world reading
        reversed_facts.add(fact)
        # "glon are less dangerous than femp" vs "glon are more dangerous than femp": one prompt, two relations
        phrases = {synth.grammar.relations[answer.relation], synth.grammar.relations[wrong.relation]}
        assert {item.options[0].strip().rstrip("."), item.options[1].strip().rstrip(".")} == {
            f"{p} {synth.naming.names.surface(answer.object, 'ind')}" for p in phrases
        }
    assert reversed_facts == asserted


# --- syllogisms --------------------------------------------------------------------------


def venn_valid(premises: list[Statement], conclusion: Statement, terms: list[str]) -> bool:
    """Classical validity with existential import, by brute force over Venn diagrams."""
    regions = [frozenset(t for t, inside in zip(terms, bits, strict=True) if inside)
               for bits in itertools.product((0, 1), repeat=len(terms))]
    regions = [r for r in regions if r]

    def holds(s: Statement, model) -> bool:
        a, b = s.subject, s.object
        if s.form is Form.ALL:
            return not any(a in r and b not in r for r in model)
        if s.form is Form.SOME:
            return any(a in r and b in r for r in model)
        if s.form is Form.NO:
            return not any(a in r and b in r for r in model)
        if s.form is Form.SOME_NOT:
            return any(a in r and b not in r for r in model)
        raise AssertionError(s)

    for size in range(len(regions) + 1):
        for model in itertools.combinations(regions, size):
            if all(any(t in r for r in model) for t in terms) and all(holds(p, model) for p in premises):
                if not holds(conclusion, model):
                    return False
    return True


def test_syllogism_items_have_the_study_format(synthesized) -> None:
    synth = synthesized("syllogisms")
    names = synth.naming.names
    docs = {d.id: d for d in synth.corpus.documents}
    items = synth.items["syllogism"]
    assert len(items) == 69  # validOnly: every training syllogism has a valid conclusion
    assert sorted(i.meta["document"] for i in items) == sorted(docs)
    for item in items:
        doc = docs[item.meta["document"]]
        premises = [s.statement for s in doc.sentences if s.statement is not None]
        terms = doc.meta["terms"]
        counts = {t: sum(t in (p.subject, p.object) for p in premises) for t in terms}
        ends = sorted(t for t, n in counts.items() if n == 1)
        assert len(ends) == 2
        a, b = (names.surface(t, "pl") for t in ends)
        assert item.prompt in (f"The relationships between {a} and {b} are:", f"The relationships between {b} and {a} are:")
        candidates = {Statement(x, ISA, y, f) for x, y in (ends, ends[::-1]) for f in (Form.ALL, Form.SOME, Form.NO)}
        assert len(candidates) == 6
        valid = {c for c in candidates if venn_valid(premises, c, terms)}
        answer = item.statements[item.answer]
        assert answer in valid, item.id
        # every candidate is scored: the answer and every invalid one
        assert set(item.statements) == {answer} | (candidates - valid), item.id
        for option in item.options:
            assert option.startswith(" ") and option.strip()[0].isupper() and option.endswith(".")


# --- celebrities -------------------------------------------------------------------------


def test_celebrity_items_choose_a_name_among_four(synthesized) -> None:
    synth = synthesized("celebrities")
    task = next(t for t in synth.world.schema.tasks if isinstance(t, CelebrityTask))
    names = synth.naming.names
    groups = celebrity_groups(synth.corpus.documents)
    asked = set()
    for split in ("reversal", "rephrased"):
        for item in synth.items[split]:
            assert len(item.options) == 4
            answer = item.statements[item.answer]
            assert answer.relation in task.description_property
            expected_group = "name_first" if split == "reversal" else "both"
            assert groups[answer.subject] == expected_group == item.meta["group"]
            for option, statement in zip(item.options, item.statements, strict=True):
                assert option.strip().rstrip(".") == names.surface(statement.subject, "ind")
                assert synth.oracle.entails(Statement(statement.subject, ISA, task.person_class))
                assert (statement.relation, statement.object) == (answer.relation, answer.object)
            assert len({o.strip() for o in item.options}) == 4
            asked.add(answer.subject)
    assert asked == set(groups)  # every celebrity is asked about once


# --- renaming invariance -----------------------------------------------------------------


def meaning(synth) -> dict:
    """Items without their words: statements, verdicts, answers, derivations, dependencies."""
    return {
        split: [(i.id, i.statements, i.verdicts, i.answer, i.derivation, i.support, i.depends_on, i.meta) for i in items]
        for split, items in sorted(synth.items.items())
    }


@pytest.mark.parametrize("family", ["semantic_structure", "family"])
def test_other_nonsense_words_same_items(synthesized, family: str) -> None:
    first, second = synthesized(family), synthesized(family, lexicon_seed=1234)
    words_first, words_second = first.naming.lexicon["terms"], second.naming.lexicon["terms"]
    assert words_first.keys() == words_second.keys()
    changed = sum(words_first[t] != words_second[t] for t in words_first)
    assert changed > len(words_first) // 2  # the words really differ
    assert [s.statement for s in first.sentences()] == [s.statement for s in second.sentences()]
    assert meaning(first) == meaning(second)
