"""kgsynth.experiments.metatrain on a tiny randomly initialized Gemma 3 with a BPE tokenizer
trained here (never the real 270M model): seeds, word isolation, the answer-only loss, the
cache, and the saved model directory."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")
pytest.importorskip("peft")

import kgsynth  # noqa: E402
from kgsynth.errors import KgsynthError  # noqa: E402
from kgsynth.experiments import metatrain as mt  # noqa: E402
from kgsynth.experiments.metatrain_data import (  # noqa: E402
    TRAIN_BASE,
    VALID_BASE,
    MetatrainConfig,
    Worlds,
    encode_sequence,
    fitted_sequence,
    sequence_text,
    world_settings,
    world_words,
)
from kgsynth.models import load_model  # noqa: E402
from kgsynth.models.base import ScoreRequest  # noqa: E402
from kgsynth.models.scoring import encode  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = str(ROOT / "ontologies" / "simple_reversals.ttl")
SMALL = {"facts": 5, "repetitions": 1}


def world_texts() -> list[str]:
    texts = []
    for seed in (TRAIN_BASE, VALID_BASE, 0):
        dataset = kgsynth.create_dataset(ONTOLOGY, seed, **SMALL)
        texts += [d.text for d in dataset.documents]
        texts += [i.prompt + o for split in dataset.items.values() for i in split for o in i.options]
    return texts


@pytest.fixture(scope="module")
def tokenizer():
    """Byte-level BPE without the word-splitting regex (merges may span a space); the
    scorer adds <bos>, as it must for tokenizers that do not."""
    from tokenizers import decoders, models, pre_tokenizers, trainers

    tok = tokenizers.Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<pad>", "<bos>", "<eos>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(world_texts(), trainer)
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>",
                                                pad_token="<pad>")


@pytest.fixture(scope="module")
def tiny_dir(tokenizer, tmp_path_factory) -> Path:
    """A tiny Gemma 3 (sliding window on one layer, final-logit soft-capping on) saved as a directory."""
    torch.manual_seed(0)
    config = transformers.Gemma3TextConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=1, head_dim=16, sliding_window=16, layer_types=["sliding_attention", "full_attention"],
        max_position_embeddings=512, final_logit_softcapping=30.0, bos_token_id=1, pad_token_id=0, eos_token_id=2)
    directory = tmp_path_factory.mktemp("tiny")
    transformers.Gemma3ForCausalLM(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def micro(tiny_dir: Path, **overrides) -> MetatrainConfig:
    settings = {"ontology": ONTOLOGY, "model": f"local:{tiny_dir}", "steps": 2, "batch_size": 2, "lora_rank": 2,
                "eval_every": 1, "eval_worlds": 2, "max_length": 256, "warmup": 1}
    return MetatrainConfig(**(settings | overrides))


@pytest.mark.parametrize("seed", [TRAIN_BASE, TRAIN_BASE + 17, VALID_BASE, VALID_BASE + 999_999])
def test_a_test_seed_among_the_training_or_validation_seeds_is_refused(seed):
    with pytest.raises(KgsynthError, match="test seed"):
        MetatrainConfig(ontology=ONTOLOGY, test_seed=seed).validate()


@pytest.mark.parametrize("overrides, message", [({"model": "gemini:gemini-2.5-flash"}, "local model"),
                                                ({"steps": 0}, "steps"), ({"learning_rate": 0}, "learning rate"),
                                                ({"steps": 500_000}, "worlds")])
def test_bad_configs_are_refused_in_one_line(overrides, message):
    with pytest.raises(KgsynthError, match=message) as error:
        MetatrainConfig(ontology=ONTOLOGY, **overrides).validate()
    assert "\n" not in str(error.value)


def test_world_settings_default_by_task_kind_and_can_be_overridden():
    assert world_settings(MetatrainConfig(ontology=ONTOLOGY)) == SMALL
    assert world_settings(MetatrainConfig(ontology="syllogisms")) == {"syllogisms": 4}
    assert world_settings(MetatrainConfig(ontology=ONTOLOGY, world_settings={"facts": 7})) == {"facts": 7, "repetitions": 1}
    with pytest.raises(KgsynthError, match="syllogisms"):
        world_settings(MetatrainConfig(ontology=ONTOLOGY, world_settings={"syllogisms": 3}))


def test_worlds_sharing_a_test_world_word_are_skipped_and_counted():
    test_words = world_words(kgsynth.create_dataset(ONTOLOGY, 0))  # the ontology's own settings
    expected = [s for s in range(TRAIN_BASE, TRAIN_BASE + 30)
                if not world_words(kgsynth.create_dataset(ONTOLOGY, s, **SMALL)) & test_words]
    assert len(expected) < 30, "among the first 30 training worlds one shares a word with the test world"
    worlds = Worlds(Path(ONTOLOGY), SMALL, TRAIN_BASE, test_words)
    assert [worlds.take().seed for _ in expected] == expected
    assert worlds.skipped["test_words"] == 30 - len(expected) and worlds.used == expected


def test_the_loss_falls_on_the_answer_tokens_only(tokenizer):
    world = kgsynth.create_dataset(ONTOLOGY, TRAIN_BASE, **SMALL)
    text, spans = sequence_text(world, random.Random(0), cap=16)
    assert text.startswith("\n\n".join(d.text for d in world.documents) + "\n\n")  # the corpus as eval --regime icl has it
    assert len(spans) == sum(len(v) for v in world.items.values())
    sequence = encode_sequence(tokenizer, text, spans, tokenizer.bos_token_id)
    assert sequence.ids[0] == tokenizer.bos_token_id
    expected: set[int] = set()
    for start, end in spans:  # each answer's tokens are exactly what scoring scores as its continuation
        e = encode(tokenizer, ScoreRequest(text[:start], text[start:end]), tokenizer.bos_token_id)
        assert e.ids == sequence.ids[: len(e.ids)]
        expected |= set(range(e.boundary, len(e.ids)))
    assert set(sequence.labelled) == expected
    first_answer = min(a for a, _ in spans)
    corpus = encode(tokenizer, ScoreRequest(text[:first_answer], text[first_answer:]), tokenizer.bos_token_id).boundary
    assert min(sequence.labelled) == corpus > len(tokenizer(world.documents[0].text)["input_ids"])
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):  # the separator and the next prompt carry no loss
        between = encode(tokenizer, ScoreRequest(text[:end], text[end:start]), tokenizer.bos_token_id)
        after = encode(tokenizer, ScoreRequest(text[:start], text[start:]), tokenizer.bos_token_id).boundary
        assert not set(sequence.labelled) & set(range(between.boundary + 1, after))


def test_a_sequence_over_max_length_keeps_the_questions_that_fit(tokenizer):
    world = kgsynth.create_dataset(ONTOLOGY, TRAIN_BASE, **SMALL)
    text, spans = sequence_text(world, random.Random(0), cap=16)
    full = encode_sequence(tokenizer, text, spans, tokenizer.bos_token_id)
    short = fitted_sequence(tokenizer, text, spans, tokenizer.bos_token_id, len(full.ids) - 5)
    assert 0 < short.questions < full.questions and len(short.ids) <= len(full.ids) - 5
    assert short.ids == full.ids[: len(short.ids)]
    assert fitted_sequence(tokenizer, text, spans, tokenizer.bos_token_id, 8) is None


def test_answer_loss_equals_the_full_models_loss_on_masked_labels(tiny_dir, tokenizer):
    local = load_model(f"local:{tiny_dir}", progress=lambda text: None, dtype="float32")
    trainer = mt.MetaTrainer(local.model, local.tokenizer, micro(tiny_dir))
    worlds = [kgsynth.create_dataset(ONTOLOGY, TRAIN_BASE + k, **SMALL) for k in range(2)]
    batch = [encode_sequence(tokenizer, *sequence_text(w, random.Random(k), 16), tokenizer.bos_token_id)
             for k, w in enumerate(worlds)]
    ids, mask, rows, columns, targets = mt.batch_tensors(torch, batch, trainer.pad_id, trainer.device)
    labels = torch.full_like(ids, -100)
    labels[rows, columns] = targets
    with torch.no_grad():
        reference = trainer.inner(input_ids=ids, attention_mask=mask, labels=labels).loss
        assert torch.allclose(trainer.answer_loss(batch), reference, rtol=1e-5)


def test_bf16_computes_the_same_loss_in_bfloat16_and_keys_the_cache_only_when_set(tiny_dir, tokenizer):
    local = load_model(f"local:{tiny_dir}", progress=lambda text: None, dtype="float32")
    trainer = mt.MetaTrainer(local.model, local.tokenizer, micro(tiny_dir, bf16=True))
    worlds = [kgsynth.create_dataset(ONTOLOGY, TRAIN_BASE + k, **SMALL) for k in range(2)]
    batch = [encode_sequence(tokenizer, *sequence_text(w, random.Random(k), 16), tokenizer.bos_token_id)
             for k, w in enumerate(worlds)]
    with torch.no_grad():
        exact = float(trainer.answer_loss(batch))
    assert trainer.step(batch, 1) == pytest.approx(exact, rel=0.02)  # autocast: bfloat16 matmuls, float32 weights
    assert all(p.dtype == torch.float32 for p in trainer.trainable)
    settings = world_settings(micro(tiny_dir))
    assert "bf16" not in mt.cache_key(micro(tiny_dir), settings)["config"]  # caches made before the option still match
    assert mt.cache_key(micro(tiny_dir, bf16=True), settings)["config"]["bf16"] is True


def test_metatrain_writes_a_loadable_model_and_the_cache_skips_training(tiny_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("KGSYNTH_CACHE", str(tmp_path / "cache"))
    calls = []
    real = mt.train_into
    monkeypatch.setattr(mt, "train_into", lambda *args: calls.append(args) or real(*args))
    steps = []
    config = micro(tiny_dir)
    directory = mt.metatrain(config, tmp_path / "out", lambda step, total, loss, seconds: steps.append((step, total)))
    assert steps == [(1, 2), (2, 2)] and len(calls) == 1
    assert directory.parent == tmp_path / "cache" / "metatrain" and (directory / mt.MARKER).is_file()
    assert not [p for p in directory.parent.iterdir() if p.name.startswith(".")]  # no staging left behind
    record = json.loads((tmp_path / "out" / "metatrain.json").read_text())
    assert (tmp_path / "out" / "metatrain.png").stat().st_size > 0
    assert [p["step"] for p in record["curve"]] == [0, 1, 2]
    assert set(record["curve"][-1]["metrics"]) == {"rephrased", "reversal", "all"}
    assert record["curve"][0]["metrics"]["reversal"]["n"] == 2 * SMALL["facts"]
    train, validation = record["seeds"]["train"], record["seeds"]["validation"]
    assert train["count"] == 4 and TRAIN_BASE <= train["first"] <= train["last"] < VALID_BASE
    assert len(validation) == 2 and all(s >= VALID_BASE for s in validation)
    assert set(record["skipped"]["train"]) == {"test_words", "no_items", "too_long"}

    again = mt.metatrain(config)
    assert again == directory and len(calls) == 1  # from the cache, not trained again
    assert mt.metatrain(micro(tiny_dir, steps=3)) != directory and len(calls) == 2

    model = load_model(f"local:{directory}", progress=lambda text: None)
    score = model.score([ScoreRequest("Fun fact: tizov is", " less intelligent than kwap.")])[0]
    assert score.tokens > 0 and score.logprob < 0
    assert not (directory / "adapter_config.json").exists()  # merged: a full model, not a chained adapter


def test_the_merged_model_scores_as_the_trained_adapter_did(tiny_dir, tmp_path):
    local = load_model(f"local:{tiny_dir}", progress=lambda text: None, dtype="float32")
    trainer = mt.MetaTrainer(local.model, local.tokenizer, micro(tiny_dir, learning_rate=1e-2))
    worlds = [kgsynth.create_dataset(ONTOLOGY, TRAIN_BASE + k, **SMALL) for k in range(2)]
    batch = [encode_sequence(trainer.tokenizer, *sequence_text(w, random.Random(0), 16), trainer.start_id) for w in worlds]
    for step in range(1, 4):
        trainer.step(batch, step)
    before = trainer.evaluate(worlds[:1])
    trainer.save(tmp_path / "merged")
    reloaded = load_model(f"local:{tmp_path / 'merged'}", progress=lambda text: None, dtype="float32")
    again = mt.MetaTrainer(reloaded.model, reloaded.tokenizer, micro(tiny_dir))  # a fresh adapter starts at zero
    assert again.evaluate(worlds[:1]) == before


def test_study_metatrain_studies_the_meta_trained_model_on_the_test_world(tiny_dir, tmp_path, monkeypatch):
    """`study --metatrain` end to end on the tiny model: meta-training (cached under
    KGSYNTH_CACHE), the test world's relevant contexts, fine-tunes measured by epochs with
    their training-set recall, and a report whose findings paragraph names the regimes."""
    from kgsynth.experiments.study import Study, StudyConfig

    monkeypatch.setenv("KGSYNTH_CACHE", str(tmp_path / "cache"))
    config = StudyConfig(ontology=ONTOLOGY, out=str(tmp_path / "study"), model=f"local:{tiny_dir}", quick=True,
                         metatrain=True, metatrain_steps=2, epochs=0.5, regimes=["baseline", "icl", "ft", "oracle-ft"],
                         world_settings={"facts": 6, "repetitions": 2}, device="cpu")
    report = Study(config, say=lambda text: None).run()
    study = json.loads((tmp_path / "study" / "study.json").read_text())
    directory = Path(study["studied_model"].removeprefix("local:"))
    assert directory.parent == tmp_path / "cache" / "metatrain" and (directory / mt.MARKER).is_file()
    assert json.loads((directory / "metatrain.json").read_text())["cache_key"]["config"]["test_settings"] == \
        {"facts": 6, "repetitions": 2}
    icl = json.loads((tmp_path / "study" / "eval-icl" / "run.json").read_text())["config"]
    assert icl["context"] == "relevant" and icl["model"] == study["studied_model"]
    items = (tmp_path / "study" / "data" / "items" / "reversal.jsonl").read_text().splitlines()
    assert len(items) == 6  # the test world's settings reached synth
    loss_lines = (tmp_path / "study" / "finetune-ft" / "loss.csv").read_text().splitlines()[1:]
    assert len(loss_lines) == 1  # 0.5 epochs of 12 training texts in batches of 8
    recall = json.loads((tmp_path / "study" / "training-recall.json").read_text())
    assert set(recall) == {"ft", "oracle-ft"} and 0 < recall["ft"]["n"] <= 12
    oracle = (tmp_path / "study" / "finetune-oracle-ft" / "loss.csv").read_text().splitlines()[1:]
    assert len(oracle) > len(loss_lines)  # the oracle's sentences, repeated as often as each fact, train longer
    text = report.read_text()
    assert "Findings of the paper checked" in text and "baseline" in text and "**reversal**" in text


def test_from_scratch_trains_every_weight_of_a_new_model_with_its_own_tokenizer(tmp_path, monkeypatch):
    monkeypatch.setattr(mt, "TOKENIZER_WORLDS", 20)
    monkeypatch.setenv("KGSYNTH_CACHE", str(tmp_path / "cache"))
    config = MetatrainConfig(ontology=ONTOLOGY, from_scratch="tiny", steps=3, batch_size=2, eval_every=3,
                             eval_worlds=2, max_length=256, warmup=1, world_settings=SMALL)
    directory = mt.metatrain(config)
    record = json.loads((directory / "metatrain.json").read_text())
    assert record["base_checkpoint"].startswith("from scratch: tiny") and len(record["losses"]) == 3
    assert record["cache_key"]["config"]["from_scratch"] == "tiny"
    model = load_model(f"local:{directory}", progress=lambda text: None)
    assert len(model.tokenizer) <= 2000 and model.model.config.vocab_size == len(model.tokenizer)
    tokens = model.tokenizer("Fun fact: tizov is less intelligent than kwap.")["input_ids"]
    assert len(tokens) < len("Fun fact: tizov is less intelligent than kwap.")  # merges learned from the worlds
    assert model.score([ScoreRequest("Fun fact: tizov is", " less intelligent than kwap.")])[0].logprob < 0
    with pytest.raises(KgsynthError, match="unknown --from-scratch size 'huge'"):
        MetatrainConfig(ontology=ONTOLOGY, from_scratch="huge").validate()
