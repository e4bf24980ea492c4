import io

from rich.console import Console

from kgsynth import progress as progress_module
from kgsynth.progress import progress, remaining


def log_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=False, width=80, soft_wrap=True), out


def test_time_left_is_the_average_step_times_the_steps_left():
    assert remaining(60.0, 2, 10) == "~4 min left"  # 30 s per step, 8 steps left
    assert remaining(10.0, 5, 10) == "~10 s left"
    assert remaining(7200.0, 1, 3) == "~4.0 h left"
    assert remaining(None, 0, 10) == "" and remaining(5.0, 0, 10) == "" and remaining(5.0, 10, 10) == ""


def test_a_step_slower_than_half_a_minute_still_has_a_time_left():
    assert remaining(120.0, 1, 5) == "~8 min left"


def test_in_a_log_file_a_line_every_interval_and_one_at_the_end(monkeypatch):
    monkeypatch.setattr(progress_module, "LOG_EVERY", 0.0)
    out, text = log_console()
    with progress("finetune ft", 4, out) as tracker:
        for step in range(1, 5):
            tracker.step(step, 4, 2.0 / step)
    lines = text.getvalue().splitlines()
    assert lines[0].startswith("finetune ft: 1/4, loss 2.000, ") and "left" not in lines[0]  # the baseline
    assert lines[1].startswith("finetune ft: 2/4, loss 1.000, ") and lines[1].endswith("left")
    assert lines[-1].startswith("finetune ft: 4/4, loss 0.500, ") and lines[-1].endswith("done")
    assert len(lines) == 5  # four steps, then done


def test_in_a_log_file_the_time_left_after_the_first_units_then_nothing_until_the_end(monkeypatch):
    monkeypatch.setattr(progress_module, "LOG_EVERY", 3600.0)
    out, text = log_console()
    with progress("eval icl", None, out) as advance:
        advance(0, 100)  # resumed: nothing done before; the baseline
        for _ in range(50):
            advance(2, 100)
    lines = text.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("eval icl: 2/100, ") and lines[0].endswith("left")
    assert lines[1].startswith("eval icl: 100/100, ") and lines[1].endswith("done")


def test_work_resumed_is_not_counted_in_the_time_left(monkeypatch):
    monkeypatch.setattr(progress_module, "LOG_EVERY", 3600.0)
    clock = iter([0.0, 100.0, 100.0] + [108.0] * 9)  # start; the first report; the second
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: next(clock))
    out, text = log_console()
    with progress("augment local", None, out) as advance:
        advance(90, 100)  # 90 sources done in an earlier run, reported at t=100
        advance(1, 100)  # one more at t=108: 8 s per source, 9 left
    assert text.getvalue().splitlines()[0] == "augment local: 91/100, 1.8 min, ~72 s left"


def test_in_a_terminal_a_rich_bar_with_the_loss():
    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, width=100)
    with progress("metatrain", 10, terminal) as tracker:
        tracker.step(5, 10, 0.25)
        assert tracker.bar is not None
        assert tracker.bar.tasks[0].completed == 5 and tracker.bar.tasks[0].fields["info"] == "loss 0.250"
    assert "metatrain" in out.getvalue()
