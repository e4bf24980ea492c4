"""Progress on long work, one system for every command: a rich bar in a terminal, and in a
log file (no terminal) a line once the first units say how long the rest will take, then
every half minute. The time left is the average time per unit so far times the units left
(so it survives units slower than rich's own 30 s window), counted from the first report."""

from __future__ import annotations

import time
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

LOG_EVERY = 30.0  # seconds between lines in a log file

console = Console(stderr=True, soft_wrap=True)  # progress and messages; results go to stdout


def remaining(elapsed: float | None, completed: float, total: float | None) -> str:
    """'~3 min left' from the average time per step so far ('' until a step is done)."""
    if not total or not completed or elapsed is None or completed >= total:
        return ""
    seconds = elapsed / completed * (total - completed)
    if seconds < 90:
        return f"~{seconds:.0f} s left"
    return f"~{seconds / 60:.0f} min left" if seconds < 5400 else f"~{seconds / 3600:.1f} h left"


class Tracker:
    """What a long job reports to: `tracker(count, total)` advances by count; `tracker.step(step,
    total, loss)` (a trainer's callback) sets the step reached and shows the loss. The first
    report is the baseline (work resumed, a model loaded); the time left is measured from it."""

    def __init__(self, description: str, total: int | None, out: Console):
        self.description, self.total, self.completed, self.info = description, total, 0, ""
        self.out = out
        self.started = self.shown = time.monotonic()
        self.baseline: tuple[float, int] | None = None  # (when, completed) at the first report
        self.announced = False
        self.bar: Progress | None = None
        self.task = None

    def __call__(self, count: int, total: int | None = None) -> None:
        self.update(self.completed + count, total)

    def step(self, step: int, total: int | None = None, loss: float | None = None, *_rest) -> None:
        """A trainer's report; its first (after loading, a first evaluation) is the baseline."""
        self.update(step, total, "" if loss is None else f"loss {loss:.3f}")

    def left(self) -> str:
        if self.baseline is None:
            return ""
        since, from_count = self.baseline
        return remaining(time.monotonic() - since, self.completed - from_count, (self.total or 0) - from_count)

    def update(self, completed: int, total: int | None = None, info: str | None = None) -> None:
        self.completed = completed
        self.total = total if total is not None else self.total
        self.info = info if info is not None else self.info
        if self.baseline is None:
            self.baseline = (time.monotonic(), completed)
        warmed_up = not self.announced and completed > self.baseline[1] and bool(self.left())
        self.announced = self.announced or warmed_up
        if self.bar is not None:
            self.bar.update(self.task, completed=completed, total=self.total, info=self.info, left=self.left())
        elif warmed_up or time.monotonic() - self.shown >= LOG_EVERY:
            self.log()  # first when the first units say how long the rest will take, then every LOG_EVERY

    def log(self, done: bool = False) -> None:
        self.shown = time.monotonic()
        elapsed = self.shown - self.started
        count = f"{self.completed}/{self.total}" if self.total else str(self.completed)
        parts = [f"{self.description}: {count}", self.info, f"{elapsed / 60:.1f} min", "done" if done else self.left()]
        self.out.print(", ".join(p for p in parts if p), markup=False, highlight=False)


@contextmanager
def progress(description: str, total: int | None = None, out: Console | None = None):
    """Yields a Tracker for the job; a bar in a terminal, lines in a log."""
    out = out or console
    tracker = Tracker(description, total, out)
    if not out.is_terminal:
        yield tracker
        if tracker.baseline is not None:  # something was reported (a cached result reports nothing)
            tracker.log(done=True)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
               TimeElapsedColumn(), TextColumn("{task.fields[left]}", style="progress.remaining"))
    with Progress(*columns, console=out) as bar:
        tracker.bar, tracker.task = bar, bar.add_task(description, total=total, info="", left="")
        yield tracker


def silence_library_bars() -> None:
    """transformers' and the hub's own tqdm bars would interleave with ours."""
    import os

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import transformers
    except ImportError:
        return
    transformers.logging.disable_progress_bar()
