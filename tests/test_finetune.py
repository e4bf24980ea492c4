"""The fine-tuning path on a real effect: the reversal curse, reproduced from scratch.

A tiny transformer is trained (really, on CPU) on the forward comparison facts of a
simple-reversals dataset. It learns them (forward items >= 90%) but cannot answer
their reversals (near chance); trained with the oracle's reversals added, it can.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from kgsynth.errors import KgsynthError  # noqa: E402
from kgsynth.experiments.finetune import FinetuneConfig, Trainer, plot_loss  # noqa: E402
from kgsynth.logic.ontology import load_schema  # noqa: E402
from kgsynth.logic.oracle import Oracle  # noqa: E402
from kgsynth.logic.statement import Statement  # noqa: E402
from kgsynth.models.local import LocalModel  # noqa: E402
from kgsynth.tasks import build_world  # noqa: E402
from kgsynth.tasks.items import split_prompt  # noqa: E402
from kgsynth.text.lexicon import LexiconConfig  # noqa: E402
from kgsynth.text.naming import name_world  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def facts_world():
    world = build_world(load_schema(ROOT / "ontologies" / "simple_reversals.ttl"), 0)
    oracle = Oracle(world)
    naming = name_world(world, LexiconConfig(seed=0))
    props = world.schema.properties
    facts = [s for s in world.asserted if s.relation in props]
    return world, oracle, naming, facts


def word_tokenizer(texts: list[str]):
    """A real fast tokenizer, one token per word or punctuation mark."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"<pad>": 0, "<bos>": 1, "<unk>": 2}
    for text in texts:
        for word in pre_tokenizers.BertPreTokenizer().pre_tokenize_str(text):
            vocab.setdefault(word[0], len(vocab))
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    from tokenizers.processors import TemplateProcessing

    tokenizer.post_processor = TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", 1)])
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<bos>", pad_token="<pad>",
                                                unk_token="<unk>")


def tiny_model(vocab_size: int):
    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=vocab_size, hidden_size=96, intermediate_size=192,
                                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                                      max_position_embeddings=64, bos_token_id=1, pad_token_id=0, eos_token_id=2)
    return transformers.LlamaForCausalLM(config)


def two_way_items(grammar, pairs: list[tuple[Statement, Statement]]) -> list[tuple[str, list[str], int]]:
    items = []
    for answer, wrong in pairs:
        prompt, options = split_prompt([grammar.render(answer, "plain"), grammar.render(wrong, "plain")])
        items.append((prompt, options, 0))
    return items


def accuracy(model: LocalModel, items) -> float:
    from kgsynth.models.base import ScoreRequest

    correct = 0
    for prompt, options, answer in items:
        scores = model.score([ScoreRequest(prompt, option) for option in options])
        correct += max(range(len(options)), key=lambda i: scores[i].logprob) == answer
    return correct / len(items)


def train_tiny(tmp_path: Path, name: str, sentences: list[str], tokenizer, steps: int):
    run = tmp_path / name
    config = FinetuneConfig(data=str(tmp_path), method="full", steps=steps, batch_size=32, learning_rate=3e-3,
                            warmup=20, checkpoint_every=steps, max_length=32)
    run.mkdir()
    trainer = Trainer(tiny_model(len(tokenizer)), tokenizer, config, run)
    losses = trainer.train([("", s) for s in sentences])
    return LocalModel(trainer.model, tokenizer, name), losses, run


def test_reversal_curse_reproduced_and_cured_by_oracle_reversals(facts_world, tmp_path):
    """Forward facts only: forward >= 90%, reversals near chance. Oracle reversals added: >= 90%."""
    world, oracle, naming, facts = facts_world
    grammar = naming.grammar
    props = world.schema.properties

    def inverse(s: Statement) -> Statement:
        return Statement(s.object, props[s.relation].inverse, s.subject)

    def other_wording(s: Statement) -> Statement:  # same subject and object, the contradictory relation
        return Statement(s.subject, props[s.relation].inverse, s.object)

    forward_items = two_way_items(grammar, [(f, other_wording(f)) for f in facts])
    reversal_items = two_way_items(grammar, [(inverse(f), other_wording(inverse(f))) for f in facts])
    for f in facts:  # the oracle agrees with the items' answers
        assert oracle.query(inverse(f)).value == "entailed"
        assert oracle.query(other_wording(inverse(f))).value == "contradicted"
    forward_text = [grammar.render(f, "plain") for f in facts]
    reversals = [grammar.render(s, "plain") for s, d in oracle.closure.derived() if d.rule == "inverse"]
    assert len(reversals) == len(facts)
    tokenizer = word_tokenizer(forward_text + reversals)

    plain, losses, run = train_tiny(tmp_path, "forward", forward_text, tokenizer, steps=300)
    assert losses[-1] < losses[0] / 3
    forward, reversal = accuracy(plain, forward_items), accuracy(plain, reversal_items)
    assert forward >= 0.9, forward
    assert 0.3 <= reversal <= 0.7, reversal  # chance is 0.5: the reversal curse

    augmented, _, _ = train_tiny(tmp_path, "oracle", forward_text + reversals, tokenizer, steps=500)
    assert accuracy(augmented, forward_items) >= 0.9
    assert accuracy(augmented, reversal_items) >= 0.9

    rows = list(csv.DictReader((run / "loss.csv").read_text().splitlines()))
    assert [int(r["step"]) for r in rows] == list(range(1, 301))
    assert plot_loss(run).read_bytes()[:4] == b"\x89PNG"


class Stop(Exception):
    pass


def stop_at_15(step, total, loss):
    if step == 15:
        raise Stop


def interrupted_run(facts_world, tmp_path, name: str):
    """(config, tokenizer, examples, the losses of an uninterrupted 20-step run, a run directory
    whose training was stopped at step 15, after its checkpoint at step 10)."""
    _, _, naming, facts = facts_world
    sentences = [naming.grammar.render(f, "plain") for f in facts]
    tokenizer = word_tokenizer(sentences)
    config = FinetuneConfig(data=str(tmp_path), method="full", steps=20, batch_size=8, learning_rate=1e-3,
                            checkpoint_every=10, max_length=32)
    examples = [("", s) for s in sentences]
    whole = tmp_path / "whole"
    whole.mkdir()
    reference = Trainer(tiny_model(len(tokenizer)), tokenizer, config, whole).train(examples)
    run = tmp_path / name
    run.mkdir()
    with pytest.raises(Stop):
        Trainer(tiny_model(len(tokenizer)), tokenizer, config, run, progress=stop_at_15).train(examples)
    return config, tokenizer, examples, reference, run


def test_interrupted_finetune_resumes_where_it_stopped(facts_world, tmp_path):
    """Stopped after a checkpoint, a rerun continues from it and ends like an uninterrupted run."""
    config, tokenizer, examples, reference, broken = interrupted_run(facts_world, tmp_path, "broken")
    resumed = Trainer(tiny_model(len(tokenizer)), tokenizer, config, broken)
    rest = resumed.train(examples)
    assert len(rest) == 10  # steps 11..20 after the checkpoint at 10
    assert rest == pytest.approx(reference[10:], rel=1e-4)
    steps = [int(r["step"]) for r in csv.DictReader((broken / "loss.csv").read_text().splitlines())]
    assert steps == list(range(1, 21))


def test_linear_schedule_warms_up_then_decays_to_zero_and_keeps_older_runs_identity(tmp_path):
    """--lr-schedule linear: the warm-up as before, then a straight line down, which the step after
    the last would end at 0 (loss.csv logs the rate each step used); constant keeps the run identity
    of before."""
    from kgsynth.experiments.finetune import finetune_run

    tokenizer = word_tokenizer(["glon is taller than femp ."])
    config = FinetuneConfig(data=str(tmp_path), method="full", steps=6, warmup=2, learning_rate=1e-2,
                            lr_schedule="linear", batch_size=1, checkpoint_every=6, max_length=16)
    run = tmp_path / "run"
    run.mkdir()
    Trainer(tiny_model(len(tokenizer)), tokenizer, config, run).train([("", "glon is taller than femp .")])
    rates = [float(r["learning_rate"]) for r in csv.DictReader((run / "loss.csv").read_text().splitlines())]
    assert rates == pytest.approx([5e-3, 1e-2, 1e-2, 7.5e-3, 5e-3, 2.5e-3])
    held = FinetuneConfig(**{**config.__dict__, "lr_schedule": "constant"})
    assert [held.learning_rate_at(step) for step in range(6)] == pytest.approx([5e-3] + [1e-2] * 5)
    assert "lr_schedule" not in finetune_run(held, run).config
    assert finetune_run(config, run).config["lr_schedule"] == "linear"
    with pytest.raises(KgsynthError, match="learning-rate schedule 'cosine'"):
        FinetuneConfig(data=str(tmp_path), lr_schedule="cosine").validate()


def test_lora_adapts_every_linear_layer_but_the_head_from_a_seeded_start(tmp_path):
    """target_modules="all-linear": the attention and MLP projections, not lm_head; the
    adapters' initial weights follow the seed, and the saved config lists its modules sorted."""
    tokenizer = word_tokenizer(["glon is tall."])
    config = FinetuneConfig(data=str(tmp_path), method="lora", lora_rank=4, seed=3)

    def adapters(seed: int):
        trainer = Trainer(tiny_model(len(tokenizer)), tokenizer, FinetuneConfig(**{**config.__dict__, "seed": seed}),
                          tmp_path)
        return trainer, {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}

    trainer, first = adapters(3)
    adapted = {n.removesuffix(".lora_A") for n, _ in trainer.model.named_modules() if n.endswith(".lora_A")}
    assert {n.rsplit(".", 1)[-1] for n in adapted} == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                                       "down_proj"}
    assert len(adapted) == 2 * 7 and not any("lm_head" in n for n in adapted)
    torch.manual_seed(12345)  # whatever the global generator holds before
    _, second = adapters(3)
    _, other = adapters(4)
    assert first.keys() == second.keys() and all(torch.equal(first[n], second[n]) for n in first)
    assert any(not torch.equal(first[n], other[n]) for n in first if "lora_A" in n)
    trainer.model.save_pretrained(tmp_path / "adapter")
    saved = json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())["target_modules"]
    assert saved == sorted(saved) and len(saved) == len(adapted)


def test_checkpoint_staging_of_a_killed_run_is_removed_and_a_checkpoint_moved_aside_recovered(facts_world, tmp_path):
    """Killed mid-save, a run left .checkpoint.tmp/.checkpoint.old forever, and lost the checkpoint it
    had just moved aside. Now the next run removes dead processes' staging (never a live one's) and
    puts that checkpoint back."""
    import os

    from test_outdir import dead_pid

    config, tokenizer, examples, reference, run = interrupted_run(facts_world, tmp_path, "run")
    dead, live = dead_pid(), os.getppid()  # killed between moving the checkpoint aside and putting the new one
    (run / "checkpoint").rename(run / f".checkpoint.old-{dead}")
    for name in (f".checkpoint.tmp-{dead}", f".checkpoint.tmp-{live}", ".checkpoint.tmp"):
        (run / name).mkdir()
        (run / name / "state.pt").write_bytes(b"half written")
    rest = Trainer(tiny_model(len(tokenizer)), tokenizer, config, run).train(examples)
    assert len(rest) == 10 and rest == pytest.approx(reference[10:], rel=1e-4)  # resumed from step 10
    assert sorted(p.name for p in run.iterdir()) == sorted(["checkpoint", "loss.csv", f".checkpoint.tmp-{live}"])
