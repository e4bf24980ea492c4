"""Every `python cli.py …` command in the README's shell blocks runs, in order, as written,
in a fresh folder: the only change is options appended to keep model work tiny (a tiny
random Gemma instead of the embedded model, two steps, two items). argparse takes the last
of a repeated option, so what the README says is otherwise exactly what runs. The other
tools' commands (pip, pytest, lm_eval, inspect, ruff, bench) are not run here: the harness
tests run lm_eval and inspect on exported tasks."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

README = ROOT / "README.md"
TINY_STEPS = {  # options appended per command: model work kept tiny
    "eval": ["--limit", "2"],
    "finetune": ["--steps", "2"],
    "augment": ["--limit", "2", "--max-tokens", "8"],
    "study": ["--steps", "2", "--items-per-split", "2", "--augment-sources", "2", "--metatrain-steps", "2"],
    "metatrain": ["--steps", "2", "--eval-worlds", "2", "--eval-every", "2"],
}
TAKES_MODEL = {"eval", "finetune", "augment", "study", "metatrain"}


def shell_commands(text: str) -> list[str]:
    """Commands of the ```bash blocks: continuation lines joined, comments dropped, split at && and ;."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"(^|\s)#.*$", "", line).strip()
            commands += [part.strip() for part in re.split(r"&&|;", line) if part.strip()]
    return commands


def kgsynth_commands() -> list[list[str]]:
    return [shlex.split(c)[2:] for c in shell_commands(README.read_text()) if c.startswith("python cli.py ")]


def tiny_run(argv: list[str], model: Path) -> list[str]:
    command = argv[0]
    extra = list(TINY_STEPS.get(command, []))
    given = argv[argv.index("--model") + 1] if "--model" in argv else "local"
    if command in TAKES_MODEL and given == "local":
        extra += ["--model", f"local:{model}"]
    return argv + extra


def test_the_readme_shows_the_commands_this_test_runs():
    commands = [argv[0] for argv in kgsynth_commands()]
    assert {"synth", "stats", "check", "eval", "finetune", "augment", "report", "study", "metatrain", "export"} <= set(commands)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A fresh folder with the checkout's ontologies and cli.py, as after `git clone`."""
    root = tmp_path_factory.mktemp("readme")
    for name in ("ontologies", "grammars", "cli.py"):
        (root / name).symlink_to(ROOT / name)
    return root


def test_every_readme_command_runs(workdir, tiny, tmp_path):
    env = {**os.environ, "KGSYNTH_CACHE": str(tmp_path / "cache"), "COLUMNS": "80"}
    for argv in kgsynth_commands():
        argv = tiny_run(argv, tiny)
        done = subprocess.run([sys.executable, "cli.py", *argv], cwd=workdir, env=env, capture_output=True,
                              text=True, timeout=600)
        shown = " ".join(argv)
        assert done.returncode == 0, f"{shown}\n{done.stderr[-2000:]}"
        assert "Traceback" not in done.stderr, shown
        if argv[0] == "check":
            assert done.stdout.startswith("entailed  Every roand is a thock."), done.stdout
