"""kgsynth.experiments.augment with deterministic fake models (never a real one): the oracle's audit of
hand-written sentences (one per verdict) on simple_reversals and semantic_structure, odd model
output, local and global augmentation end to end, resuming an interrupted run, keeping the
entailed sentences, coverage and novelty on a constructed case, the shipped prompts, and the
oracle-augmented ceiling."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from helpers import write_synth

from kgsynth.data.dataset import load_dataset
from kgsynth.errors import KgsynthError
from kgsynth.experiments.audit import AugmentationJudge, audit, show_audit
from kgsynth.experiments.augment import (
    AugmentConfig,
    Augmenter,
    Source,
    kept_records,
    load_prompt,
    load_records,
    select_sources,
    split_candidates,
)
from kgsynth.experiments.rundir import RunDir
from kgsynth.files import read_jsonl
from kgsynth.logic.statement import ISA, Form, Statement
from kgsynth.models.base import Model
from kgsynth.text.grammar import Grammar, Names

GARBAGE = "Wibble wobble frobnicate the quux."


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sr(synthesized, tmp_path_factory):
    return load_dataset(write_synth(synthesized("simple_reversals"), tmp_path_factory.mktemp("aug") / "sr"))


@pytest.fixture(scope="module")
def ss(synthesized, tmp_path_factory):
    return load_dataset(write_synth(synthesized("semantic_structure"), tmp_path_factory.mktemp("aug") / "ss"))


@pytest.fixture(scope="module")
def sr_judge(sr):
    return AugmentationJudge(sr)


@pytest.fixture(scope="module")
def ss_judge(ss):
    return AugmentationJudge(ss)


def test_global_sources_are_documents_with_distinct_statements(sr, ss):
    """Simple reversals states each fact in ten documents: one source per fact, not ten."""
    facts = {s.statement for d in sr.documents for s in d.sentences}
    chosen = select_sources(sr.documents, "global", 0, None)
    assert len(chosen) == len(facts) < len(sr.documents)
    by_id = {d.id: d for d in sr.documents}
    assert {s.statement for c in chosen for s in by_id[c.id].sentences} == facts
    stated = [frozenset(s.statement for s in d.sentences) for d in ss.documents]
    assert len(select_sources(ss.documents, "global", 0, None)) == len(set(stated))


class FakeModel(Model):
    """generate = reply(prompt), one prompt at a time; raises KeyboardInterrupt once `fail_after`
    prompts were answered (an interrupted run). Records every prompt and seed."""

    name = "fake"

    def __init__(self, reply, fail_after: int | None = None, max_context: int = 10**9):
        self.reply = reply
        self.fail_after = fail_after
        self.max_context = max_context
        self.prompts: list[str] = []
        self.seeds: list[int] = []

    def score(self, requests, progress=None, shared_prefix=None):
        raise AssertionError("augmentation never scores")

    def generate(self, prompts, max_tokens=48, stop=("\n",), temperature=0.0, seed=0):
        outputs = []
        for prompt in prompts:
            if self.fail_after is not None and len(self.prompts) >= self.fail_after:
                raise KeyboardInterrupt
            self.prompts.append(prompt)
            self.seeds.append(seed)
            outputs.append(self.reply(prompt))
        return outputs

    def count_tokens(self, text):
        return len(text.split())


def cap(text: str) -> str:
    return text[0].upper() + text[1:]


def ind(dataset, term: str) -> str:
    return dataset.naming.names.surface(term, "ind")


def pl(dataset, term: str) -> str:
    return dataset.naming.names.surface(term, "pl")


def trained(dataset) -> list[Statement]:
    return sorted({s.statement for d in dataset.documents for s in d.sentences if s.statement is not None})


def inverse_of(dataset, fact: Statement) -> Statement:
    return next(s for s, d in dataset.oracle.closure.derived() if d.rule == "inverse" and d.premises == (fact,))


def source_sentence(prompt: str) -> str:
    return [line for line in prompt.splitlines() if line.startswith("Sentence: ")][-1].removeprefix("Sentence: ")


def document_of(prompt: str) -> str:
    return prompt.split("Here is a new document:\n\n", 1)[1].split("\n\nWrite what follows", 1)[0]


def config(dataset, strategy: str = "local", **options) -> AugmentConfig:
    return AugmentConfig(data=str(dataset.path), strategy=strategy, model="fake", **options)


def lines_of(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "augmentations.jsonl").read_text().splitlines()]


# --- the audit of hand-written sentences, one per verdict --------------------------------------


def sr_cases(sr) -> dict[str, str]:
    fact = trained(sr)[0]
    a, b = ind(sr, fact.subject), ind(sr, fact.object)
    phrase = sr.naming.grammar.relations[fact.relation]
    reverse = sr.naming.grammar.relations[inverse_of(sr, fact).relation]
    # an entity the closure never relates to `a`: nothing follows about it (open world)
    linked = {(s.subject, s.object) for s in sr.oracle.closure.statements()}
    other = next(c for c in sorted(sr.world.individuals)
                 if c != fact.subject and (fact.subject, c) not in linked and (c, fact.subject) not in linked)
    return {
        "entailed": f"{cap(b)} is {reverse} {a}.",  # the reversal of a trained fact
        "contradicted": f"{cap(b)} is {phrase} {a}.",  # the relation is asymmetric
        "unknown": f"{cap(a)} is {phrase} {ind(sr, other)}.",
        "unparseable": f"{cap(a)} is much nicer than {b}.",
    }


def ss_cases(ss) -> dict[str, str]:
    closure = ss.oracle.closure
    parents = {(s.subject, s.object) for s in trained(ss) if s.relation == ISA and s.form is Form.ALL}
    sub, sup = sorted(parents)[0]
    # a class without a property some other class has: open world, unknown
    props = sorted(s for s in closure.statements() if s.relation != ISA and s.form is Form.ALL)
    lacking = next((c, p) for p in props for c in sorted(ss.world.classes)
                   if Statement(c, p.relation, p.object, Form.ALL) not in closure
                   and Statement(c, ISA, p.object, Form.NO) not in closure)
    cls, prop = lacking
    verb = ss.naming.grammar.relations[prop.relation]
    return {
        "entailed": f"{cap(pl(ss, sup))} include {pl(ss, sub)}.",  # the reversed wording of a trained fact
        "contradicted": f"No {pl(ss, sub)} are {pl(ss, sup)}.",
        "unknown": f"{cap(pl(ss, cls))} {verb} {ss.naming.names.surface(prop.object, 'sg')}.",
        "unparseable": f"{cap(pl(ss, sub))} are rather like {pl(ss, sup)}, sort of.",
    }


@pytest.mark.parametrize("family", ["sr", "ss"])
def test_audit_classifies_one_sentence_per_verdict(family, request):
    dataset, judge = request.getfixturevalue(family), request.getfixturevalue(f"{family}_judge")
    cases = sr_cases(dataset) if family == "sr" else ss_cases(dataset)
    records = [judge.record("hand", "local", text) for text in cases.values()]
    assert [r["verdict"] for r in records] == list(cases)
    entailed = records[0]
    assert entailed["rule"] and Statement.from_json(entailed["statement"]) in dataset.oracle.closure
    assert records[-1]["statement"] is None and records[-1]["error"]
    result = audit(records, dataset)
    assert {v: result[v] for v in cases} == dict.fromkeys(cases, 1)
    assert (result["total"], result["parsed"]) == (4, 3)
    assert result["precision"] == pytest.approx(1 / 3)
    assert result["contradiction_rate"] == pytest.approx(1 / 3)
    assert result["unparseable_rate"] == pytest.approx(1 / 4)
    assert result["distinct_entailed"] == 1


def test_reversal_is_novel_and_item_relevant(sr, sr_judge):
    fact = trained(sr)[0]
    record = sr_judge.record("s", "local", sr_cases(sr)["entailed"])
    assert Statement.from_json(record["statement"]) == inverse_of(sr, fact)
    assert record["rule"] == "inverse" and record["novel"] and record["item_relevant"]
    restated = sr_judge.record("s", "local", f"It is true that {sr.naming.grammar.render(fact)}")
    assert restated["verdict"] == "entailed" and not restated["novel"]


def test_deduction_is_entailed_with_its_rule(ss, ss_judge):
    derived = next(s for s, d in ss.oracle.closure.derived() if d.rule == "subclass-transitive")
    record = ss_judge.record("s", "global", f"All {pl(ss, derived.subject)} are {pl(ss, derived.object)}.")
    assert (record["verdict"], record["rule"], record["novel"]) == ("entailed", "subclass-transitive", True)


# --- odd model output ----------------------------------------------------------------------

ODD = ["", "   \n\n  ", "\x00\x01\x02", "ünïcödé ☃ 漢字 🙂", "x" * 10_000, ("word " * 2_000).strip(),
       ". " * 5_000, "{sentence} {corpus}", "1.\n2.\n-\n*", '"""', "Ok. " * 3_000, "\ud800 lone surrogate"]


@pytest.mark.parametrize("text", ODD, ids=range(len(ODD)))
def test_odd_text_is_unparseable_never_a_crash(sr_judge, text):
    for candidate in [text, *split_candidates(text)[:50]]:
        record = sr_judge.record("odd", "local", candidate)
        assert record["verdict"] == "unparseable" and record["statement"] is None
        assert len(record["text"]) <= 1001
        json.dumps(record)


def test_odd_model_output_end_to_end(ss, tmp_path):
    replies = iter(ODD * 2)
    model = FakeModel(lambda prompt: next(replies))
    started = time.perf_counter()
    result = Augmenter(model, config(ss, limit=len(ODD)), tmp_path / "run").augment()
    assert time.perf_counter() - started < 20
    assert result["entailed"] == result["parsed"] == 0 and result["unparseable"] == result["total"]
    assert len(model.prompts) == len(ODD)
    assert (tmp_path / "run" / "train_augmented.jsonl").read_text() == ""


def test_split_candidates():
    output = '1. Foo is bar. Bar is baz!\n- "Quoted."\n\n  * star\n(2) paren\n3) close\n• dot\n...\n  '
    assert split_candidates(output) == ["Foo is bar.", "Bar is baz!", "Quoted.", "star", "paren", "close", "dot"]
    assert split_candidates("") == [] and split_candidates("\n\n") == []


# --- local and global augmentation end to end ----------------------------------------------


def reversal_reply(dataset):
    """Answers with the reversal of the prompt's sentence, a restatement, a swap and garbage."""
    grammar = dataset.naming.grammar

    def reply(prompt: str) -> str:
        fact = grammar.parse(source_sentence(prompt))
        swapped = Statement(fact.object, fact.relation, fact.subject, fact.form)
        return (f"1. {grammar.render(inverse_of(dataset, fact))}\n2. {grammar.render(fact, 'happens')} "
                f"{grammar.render(swapped)}\n- {GARBAGE}\n\nSentence: not a candidate")

    return reply


def test_local_end_to_end(sr, tmp_path):
    model = FakeModel(reversal_reply(sr))
    seen: list[tuple[int, int]] = []
    run = tmp_path / "run"
    result = Augmenter(model, config(sr), run).augment(lambda n, total: seen.append((n, total)))
    facts = trained(sr)
    assert len(model.prompts) == len(facts) == 100  # one source per distinct trained statement
    assert {sr.naming.grammar.parse(source_sentence(p)) for p in model.prompts} == set(facts)
    assert seen[0] == (0, 100) and sum(n for n, _ in seen) == 100
    lines = lines_of(run)
    done = [r for r in lines if r.get("done")]
    records = [r for r in lines if not r.get("done")]
    assert len(done) == 100 and len({r["source_id"] for r in done}) == 100
    assert all(r["candidates"] == 4 and "Sentence:" not in r["outputs"][0] for r in done)
    for r in records:
        assert set(r) >= {"source_id", "strategy", "text", "statement", "verdict", "rule", "novel", "item_relevant"}
        assert r["strategy"] == "local"
    verdicts = [r["verdict"] for r in records]
    assert verdicts == ["entailed", "entailed", "contradicted", "unparseable"] * 100
    assert result["total"] == 400 and result["parsed"] == 300
    assert result["precision"] == pytest.approx(2 / 3) and result["contradiction_rate"] == pytest.approx(1 / 3)
    assert result["unparseable_rate"] == pytest.approx(1 / 4)
    assert result["distinct_entailed"] == 200 and result["novelty"] == pytest.approx(0.5)
    assert result["coverage"] == 1.0 and result["coverage_by_split"] == {"rephrased": 1.0, "reversal": 1.0}
    assert result["sources"] == 100
    assert json.loads((run / "audit.json").read_text()) == result
    settings = json.loads((run / "run.json").read_text())
    assert settings["kind"] == "augment" and settings["config"]["strategy"] == "local" and settings["inputs"]["prompt"]
    show_audit(result)


def test_global_end_to_end(ss, tmp_path):
    grammar = ss.naming.grammar

    def reply(prompt: str) -> str:
        # the first sentence of the document whose statement is a class inclusion, reversed in wording
        for line in document_of(prompt).replace(". ", ".\n").splitlines():
            try:
                statement = grammar.parse(line.removeprefix("- "))
            except KgsynthError:
                continue
            if statement.relation == ISA and statement.form is Form.ALL:
                return f"{grammar.render(statement, 'include_rev')}\n{GARBAGE}"
        return GARBAGE

    model = FakeModel(reply)
    result = Augmenter(model, config(ss, "global", limit=4, subsample=0.05), tmp_path / "run").augment()
    documents = {d.id: d for d in ss.documents}
    assert len(model.prompts) == 4
    in_context = [d for d in documents.values() if f"\n\n{d.text}\n\n" in model.prompts[0]]
    assert len(in_context) == pytest.approx(0.05 * len(documents), abs=2)  # the subsampled corpus
    assert all(p.split("Here is a new document")[0] == model.prompts[0].split("Here is a new document")[0]
               for p in model.prompts)  # one corpus for every document
    records = [r for r in lines_of(tmp_path / "run") if not r.get("done")]
    assert {r["source_id"] for r in records} <= set(documents)
    assert {r["strategy"] for r in records} == {"global"}
    for r in records:
        if r["verdict"] == "entailed":
            assert r["text"] != GARBAGE and not r["novel"]
    assert result["entailed"] >= 1 and result["unparseable"] == 4


def test_samples_use_their_own_seeds(sr, tmp_path):
    model = FakeModel(reversal_reply(sr))
    Augmenter(model, config(sr, limit=3, samples=2, temperature=0.7, seed=5), tmp_path / "run").augment()
    assert model.seeds == [5, 6] * 3
    records = [r for r in lines_of(tmp_path / "run") if not r.get("done")]
    assert sorted({r["sample"] for r in records}) == [0, 1] and len(records) == 3 * 2 * 4


def test_prompt_over_the_window_is_refused_before_any_output(ss, tmp_path):
    model = FakeModel(lambda prompt: GARBAGE, max_context=5_000)
    with pytest.raises(KgsynthError, match="--subsample"):
        Augmenter(model, config(ss, "global", limit=2), tmp_path / "run").augment()
    assert not (tmp_path / "run").exists() and not model.prompts


# --- resume --------------------------------------------------------------------------------


def test_resume_generates_each_source_once(sr, tmp_path):
    run = tmp_path / "run"
    first = FakeModel(reversal_reply(sr), fail_after=5)
    with pytest.raises(KeyboardInterrupt):
        Augmenter(first, config(sr, limit=12), run).augment()
    assert len([r for r in lines_of(run) if r.get("done")]) == 5
    with (run / "augmentations.jsonl").open("a") as out:  # a line cut short by the interruption
        out.write('{"source_id": "doc00001.s01", "text": "Finl')
    second = FakeModel(reversal_reply(sr))
    result = Augmenter(second, config(sr, limit=12), run).augment()
    assert len(first.prompts) + len(second.prompts) == 12
    assert not set(first.prompts) & set(second.prompts)
    done = [r["source_id"] for r in lines_of(run) if r.get("done")]
    assert len(done) == len(set(done)) == 12 and result["total"] == 48
    third = FakeModel(reversal_reply(sr))
    assert Augmenter(third, config(sr, limit=12), run).augment() == result and not third.prompts


def test_unfinished_source_lines_are_dropped_and_redone(sr, tmp_path):
    run = tmp_path / "run"
    Augmenter(FakeModel(reversal_reply(sr)), config(sr, limit=3), run).augment()
    lines = (run / "augmentations.jsonl").read_text().splitlines()
    (run / "augmentations.jsonl").write_text("\n".join(lines[:-3]) + "\n")  # the last source lost its done line
    records, done = load_records(RunDir(run, "augment"))
    assert len(done) == 2 and len(records) == 8
    again = FakeModel(reversal_reply(sr))
    result = Augmenter(again, config(sr, limit=3), run).augment()
    assert len(again.prompts) == 1 and result["total"] == 12
    assert len(lines_of(run)) == 15


def test_another_config_or_prompt_is_refused(sr, tmp_path):
    run = tmp_path / "run"
    Augmenter(FakeModel(reversal_reply(sr)), config(sr, limit=2), run).augment()
    with pytest.raises(KgsynthError, match="holds another augment run \\(max_tokens 32 here, 64 there\\)"):
        Augmenter(FakeModel(reversal_reply(sr)), config(sr, limit=2, max_tokens=32), run).augment()
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Say it again.\nSentence: {sentence}\n")
    with pytest.raises(KgsynthError, match="holds another augment run \\(prompt_file"):
        Augmenter(FakeModel(reversal_reply(sr)), config(sr, limit=2, prompt_file=str(prompt)), run).augment()
    settings = json.loads((run / "run.json").read_text())
    settings["inputs"]["documents.jsonl"] = "0" * 64  # as if synth wrote the dataset again
    (run / "run.json").write_text(json.dumps(settings))
    with pytest.raises(KgsynthError, match="documents.jsonl changed since"):
        Augmenter(FakeModel(reversal_reply(sr)), config(sr, limit=2), run).augment()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "file").write_text("x")
    with pytest.raises(KgsynthError, match="not written by kgsynth"):
        Augmenter(FakeModel(reversal_reply(sr)), config(sr), tmp_path / "other").augment()
    again = FakeModel(reversal_reply(sr))
    result = Augmenter(again, config(sr, limit=2, max_tokens=32), run).augment(restart=True)
    assert len(again.prompts) == 2 and result["total"] == 8
    assert json.loads((run / "run.json").read_text())["config"]["max_tokens"] == 32


def test_edited_prompt_file_is_refused_on_rerun(sr, tmp_path):
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("Say it again.\nSentence: {sentence}\n")
    model = FakeModel(reversal_reply(sr))
    Augmenter(model, config(sr, limit=2, prompt_file=str(prompt)), tmp_path / "run").augment()
    assert all(p.startswith("Say it again.\nSentence: ") for p in model.prompts)
    prompt.write_text("Say it once more.\nSentence: {sentence}\n")
    with pytest.raises(KgsynthError, match=f"{prompt} changed since"):
        Augmenter(model, config(sr, limit=2, prompt_file=str(prompt)), tmp_path / "run").augment()


@pytest.mark.parametrize("options, message", [
    ({"strategy": "both"}, "unknown strategy"),
    ({"samples": 2}, "temperature"),
    ({"subsample": 0.5}, "global strategy only"),
    ({"strategy": "global", "subsample": 1.5}, r"\(0, 1\]"),
    ({"limit": 0}, "--limit"),
    ({"max_tokens": 0}, "--max-tokens"),
])
def test_config_is_validated(sr, options, message):
    values = {"strategy": "local", **options}
    with pytest.raises(KgsynthError, match=message):
        AugmentConfig(data=str(sr.path), model="fake", **values).validate()


# --- keeping, coverage, novelty -----------------------------------------------------------------


def test_keep_entailed_writes_only_entailed_sentences(sr, sr_judge, tmp_path):
    run = tmp_path / "run"
    Augmenter(FakeModel(reversal_reply(sr)), config(sr, limit=6), run).augment(keep="entailed")
    kept = read_jsonl(run / "train_augmented.jsonl")
    assert len(kept) == 12  # the reversal and the restatement of each of 6 sources
    for i, record in enumerate(kept, 1):
        assert set(record) == {"shape", "id", "doc_id", "context", "text"}
        assert (record["shape"], record["id"], record["doc_id"], record["context"]) == \
            ("independent", f"aug-{i:06d}", "augment", "")
        assert sr_judge.classify(record["text"])[1] == "entailed"
    statements = [sr.naming.grammar.parse(r["text"]) for r in kept]
    assert len(set(statements)) == len(statements)
    records, _ = load_records(RunDir(run, "augment"))
    assert len(kept_records(records, "parsed")) == 18
    everything = kept_records(records, "all")
    assert len(everything) == 19 and [r["text"] for r in everything].count(GARBAGE) == 1  # deduplicated


def test_coverage_and_novelty_on_a_constructed_case(sr, sr_judge):
    grammar = sr.naming.grammar
    reversal = [i.answer_statement for i in sr.items["reversal"]]
    rephrased = [i.answer_statement for i in sr.items["rephrased"]]
    answers = set(reversal) | set(rephrased)
    assert set(rephrased) <= set(trained(sr)) and not set(reversal) & set(trained(sr))
    texts = ([grammar.render(s) for s in reversal[:10]]  # 10 novel answers
             + [grammar.render(s, "true") for s in reversal[:4]]  # the same again, another wording
             + [grammar.render(s) for s in rephrased[:5]]  # 5 trained answers
             + [grammar.render(Statement(s.object, s.relation, s.subject)) for s in reversal[10:13]]  # contradicted
             + [GARBAGE])
    records = [sr_judge.record("c", "local", t) for t in texts]
    result = audit(records, sr)
    assert (result["total"], result["entailed"], result["contradicted"], result["unparseable"]) == (23, 19, 3, 1)
    assert result["distinct_entailed"] == 15 and result["novel_entailed"] == 10
    assert result["novelty"] == pytest.approx(10 / 15)
    assert result["answer_statements"] == len(answers)
    assert result["coverage"] == pytest.approx(15 / len(answers))
    assert result["coverage_by_split"]["reversal"] == pytest.approx(10 / len(set(reversal)))
    assert result["coverage_by_split"]["rephrased"] == pytest.approx(5 / len(set(rephrased)))
    assert result["precision"] == pytest.approx(19 / 22)
    assert result["surface_coverage"] == pytest.approx(10 / 200)  # only the plain reversals are worded as the test words them
    empty = audit([], sr)
    assert empty["total"] == 0 and empty["precision"] is None and empty["coverage"] == 0.0


# --- prompts ---------------------------------------------------------------------------------


def toy_grammar() -> Grammar:
    names = Names()
    for word in ("glon", "femp"):
        names.add(word, ind=word)
    for word in ("grud", "abme", "yomp", "zarp"):
        names.add(word, sg=word, pl=word + "s")
    relations = {"moreDangerousThan": "more dangerous than", "lessDangerousThan": "less dangerous than", "can": "can"}
    return Grammar(relations, names)


def test_shipped_prompts_and_their_examples():
    local, global_ = load_prompt("local"), load_prompt("global")
    assert local.rstrip().endswith("Sentence: {sentence}\nRephrasings and reversals:")
    assert global_.index("{corpus}") < global_.index("{document}")
    assert "Inferences linking this document to what you read before:" in global_
    grammar = toy_grammar()
    blocks = re.findall(r"Sentence: (.+)\nRephrasings and reversals:\n((?:.+\n)+)", local)
    assert len(blocks) == 3
    meaning = {  # what each example may say: the sentence, or its reversal
        "Glon is more dangerous than femp.": {Statement("glon", "moreDangerousThan", "femp"),
                                              Statement("femp", "lessDangerousThan", "glon")},
        "Gruds are a type of abmes.": {Statement("grud", ISA, "abme", Form.ALL), Statement("abme", ISA, "grud", Form.SOME)},
        "Yomps can zarp.": {Statement("yomp", "can", "zarp", Form.ALL)},
    }
    for sentence, outputs in blocks:
        assert grammar.parse(sentence) in meaning[sentence]
        lines = outputs.strip().splitlines()
        assert len(lines) >= 3
        assert {grammar.parse(line) for line in lines} <= meaning[sentence]


def test_prompt_file_needs_its_placeholders(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("no placeholder here")
    with pytest.raises(KgsynthError, match=r"\{sentence\}"):
        load_prompt("local", str(path))
    with pytest.raises(KgsynthError, match=r"\{corpus\}, \{document\}"):
        load_prompt("global", str(path))
    with pytest.raises(KgsynthError, match="cannot read"):
        load_prompt("local", str(tmp_path / "missing.txt"))


def test_braces_in_the_text_are_left_alone(sr, tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("{corpus} stays. Sentence: {sentence}\n")
    model = FakeModel(lambda prompt: "")
    augmenter = Augmenter(model, config(sr, limit=1, prompt_file=str(path)), tmp_path / "run")
    assert augmenter.prompt(Source("x", "a {document} b")) == "{corpus} stays. Sentence: a {document} b\n"
