from pathlib import Path

import pytest

from kgsynth.cli import main
from kgsynth.files import did_you_mean


def test_a_near_miss_names_the_path_that_exists(tmp_path: Path):
    (tmp_path / "runs" / "semantic").mkdir(parents=True)
    assert did_you_mean(tmp_path / "runs" / "semantc") == f"; did you mean {tmp_path / 'runs' / 'semantic'}?"
    assert did_you_mean(tmp_path / "runz" / "semantic") == f"; did you mean {tmp_path / 'runs'}?"  # the first missing folder
    assert did_you_mean(tmp_path / "runs" / "semantic") == ""  # it exists
    assert did_you_mean(tmp_path / "runs" / "zzzzzz") == ""  # nothing near


@pytest.mark.parametrize("command", [["stats", "{near}"], ["check", "--kb", "{near}", "All glon are yomp."],
                                     ["eval", "--data", "{near}", "--regime", "icl", "--out", "{out}"],
                                     ["report", "{near}", "--out", "{out}"]])
def test_commands_suggest_the_near_miss(tmp_path: Path, capsys, command):
    (tmp_path / "semantic").mkdir()
    argv = [a.format(near=tmp_path / "semantc", out=tmp_path / "out") for a in command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.rstrip().endswith(f"did you mean {tmp_path / 'semantic'}?"), err
