"""kgsynth's items as inspect_ai tasks, registered as `kgsynth/choice` and `kgsynth/generate`
(the `inspect_ai` entry point names kgsynth.harness.inspect_registry):

    inspect eval kgsynth/choice -T data=DIR -T split=reversal -T regime=icl --model ...

choice: each item as a lettered question (the options as whole sentences, as `kgsynth eval
--scoring choice` shows them) after the same in-context corpus as `eval`, answered through
inspect's multiple_choice solver and scored by its choice scorer.
generate: the corpus and the item's prompt, continued by the model; the sentence it makes is
parsed by the dataset's grammar and judged by the oracle (closed world): correct when
entailed; the verdict (entailed, contradicted, unknown, unparseable) and the derivation go in
the score's metadata. Both report accuracy and its standard error per split and overall.
"""

from __future__ import annotations

from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import CORRECT, INCORRECT, Score, Target, accuracy, grouped, scorer, stderr
from inspect_ai.scorer import choice as choice_scorer
from inspect_ai.solver import TaskState, multiple_choice
from inspect_ai.solver import generate as generate_solver

from ..data.dataset import load_dataset
from ..errors import KgsynthError
from ..experiments.audit import judge_sentence
from ..experiments.evaluate import EvalConfig, answer_sentence, corpus_prefix, select_items
from ..models.base import LETTERS, cut_at_stop
from ..tasks.records import Item

STOP = (".", "\n")  # as `eval --scoring generate`: an answer is one sentence
MAX_TOKENS = 32
CHOICE_TEMPLATE = ("{question}\n{choices}\n"
                   "Reply in the form 'ANSWER: $LETTER' (without quotes), where LETTER is one of {letters}.")
# A raw prompt for base models, whose tokenizer has no chat template: -M chat_template=... (see README)
RAW_CHAT_TEMPLATE = "{% for message in messages %}{{ message['content'] }}{% endfor %}"


def split_metrics() -> list:
    return [grouped(accuracy(), "split"),
            grouped(stderr(), "split", name_template="{group_name}_stderr", all_label="all_stderr")]


def chosen_items(data: str, split: str | None, regime: str) -> tuple[list[Item], str]:
    """(the items of `split`, comma-separated, or of every split; the text before each prompt)."""
    config = EvalConfig(data=data, regime=regime, model="inspect", splits=split.split(",") if split else [])
    config.validate()
    if not (Path(data) / "manifest.json").is_file():
        raise KgsynthError(f"data={data} is not a directory written by synth (no manifest.json)")
    return select_items(Path(data), config.chosen_splits(), None), config.regime


def item_metadata(item: Item, regime: str) -> dict:
    return {"split": item.split, "regime": regime, "prompt": item.prompt, "answer": item.answer,
            "options": item.options}


def choice_sample(item: Item, prefix: str, regime: str) -> Sample:
    stem = item.prompt.strip()
    return Sample(input=f"{prefix}Which sentence is true? Complete: {stem} ...",
                  choices=[f"{stem} {option.strip()}" for option in item.options],
                  target=LETTERS[item.answer], id=item.id, metadata=item_metadata(item, regime))


@task
def choice(data: str, split: str | None = None, regime: str = "baseline", subsample: float | None = None,
           seed: int = 0) -> Task:
    """The items as lettered questions: inspect's multiple_choice solver and choice scorer."""
    items, regime = chosen_items(data, split, regime)
    prefix = corpus_prefix(Path(data), regime, subsample, seed)
    samples = [choice_sample(item, prefix, regime) for item in items]
    return Task(dataset=MemoryDataset(samples, name=f"kgsynth:{Path(data).name}"),
                solver=multiple_choice(template=CHOICE_TEMPLATE), scorer=choice_scorer(), metrics=split_metrics())


@task
def generate(data: str, split: str | None = None, regime: str = "baseline", subsample: float | None = None,
                    seed: int = 0) -> Task:
    """The item's prompt continued by the model, the sentence judged by the oracle."""
    items, regime = chosen_items(data, split, regime)
    prefix = corpus_prefix(Path(data), regime, subsample, seed)
    samples = [Sample(input=prefix + item.prompt, target=item.options[item.answer].strip(), id=item.id,
                      metadata=item_metadata(item, regime)) for item in items]
    return Task(dataset=MemoryDataset(samples, name=f"kgsynth:{Path(data).name}"), solver=generate_solver(),
                scorer=oracle(data), config=GenerateConfig(max_tokens=MAX_TOKENS, stop_seqs=list(STOP)))


@scorer(metrics=split_metrics())
def oracle(data: str):
    """The completion's sentence (the prompt and its continuation, cut at the first stop)
    judged by the dataset's oracle, closed world: correct when entailed."""
    dataset = load_dataset(data)

    async def score(state: TaskState, target: Target) -> Score:
        text = cut_at_stop(state.output.completion, STOP)
        sentence = answer_sentence(state.metadata["prompt"], text)
        statement, verdict, why = judge_sentence(dataset.grammar, dataset.oracle, sentence, closed_world=True)
        value = verdict.value if verdict is not None else "unparseable"
        derivation = verdict.derivation.to_json() if verdict is not None and verdict.derivation else None
        metadata = {"verdict": value, "sentence": sentence, "derivation": derivation,
                    "statement": statement.to_json() if statement is not None else None}
        if why:
            metadata["unparseable"] = why
        return Score(value=CORRECT if value == "entailed" else INCORRECT, answer=sentence,
                     explanation=f"{value}: {sentence}", metadata=metadata)

    return score
