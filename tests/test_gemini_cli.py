"""The command line on Gemini, run as a user runs it (a subprocess) against the fake server:
a run killed midway and rerun sends no request twice; the planted key is in no file the
runs write, nor in what they print; a paid run asks before it starts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("google.genai")

from fake_gemini import FakeGemini, bad_request  # noqa: E402
from helpers import write_synth  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KEY = "PLANTED-cli-key-8d2e77b1"


@pytest.fixture(scope="module")
def data(synthesized, tmp_path_factory) -> Path:
    return write_synth(synthesized("syllogisms"), tmp_path_factory.mktemp("gemini-cli") / "data")


def environment(fake: FakeGemini, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}
    return env | {"GEMINI_API_KEY": KEY, "KGSYNTH_GEMINI_BASE_URL": fake.url, "KGSYNTH_CACHE": str(home / "cache"),
                  "HOME": str(home), "PYTHONPATH": str(ROOT / "src")}


def cli(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "cli.py"), *args]


def eval_args(data: Path, out: Path, *extra: str) -> list[str]:
    return cli("eval", "--data", str(data), "--model", "gemini:gemini-2.5-flash", "--regime", "icl",
               "--scoring", "generate", "--limit", "6", "--out", str(out), *extra)


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.is_file()]


def test_a_killed_run_reruns_without_sending_a_request_twice(data, tmp_path):
    with FakeGemini() as fake:
        env = environment(fake, tmp_path)
        process = subprocess.Popen(eval_args(data, tmp_path / "run", "--yes"), env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)

        def kill_at_the_fourth(count: int) -> bool:
            if count == 4:
                process.send_signal(signal.SIGKILL)
                return True  # never answered: the run dies waiting for it
            return False

        fake.on_generate = kill_at_the_fourth
        process.communicate(timeout=300)
        assert process.returncode == -signal.SIGKILL
        first = [body for _, body in fake.answered]
        fake.on_generate = None
        rerun = subprocess.run(eval_args(data, tmp_path / "run", "--yes"), env=env, capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        second = [body for _, body in fake.answered][len(first):]
    results = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert len(first) == 3 and len(results) == len(first) + len(second)
    assert not set(first) & set(second) and len(set(second)) == len(second)


def test_the_key_is_in_no_file_written_and_nothing_printed(data, tmp_path):
    with FakeGemini() as fake:
        env = environment(fake, tmp_path)
        runs = [
            eval_args(data, tmp_path / "eval", "--yes"),
            cli("augment", "--data", str(data), "--model", "gemini:gemini-2.5-flash", "--strategy", "global",
                "--limit", "2", "--out", str(tmp_path / "augment"), "--yes", "--batch"),
            cli("finetune", "--data", str(data), "--model", "gemini:gemini-2.5-flash", "--out", str(tmp_path / "tune")),
        ]
        printed = []
        for args in runs:
            done = subprocess.run(args, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
            assert done.returncode == 0, done.stderr
            printed += [done.stdout, done.stderr]
        fake.fail(":generateContent", bad_request(f"API key not valid: {KEY}"))
        refused = subprocess.run(eval_args(data, tmp_path / "refused", "--yes", "--seed", "1"), env=env, capture_output=True,
                                 text=True, stdin=subprocess.DEVNULL, timeout=300)
        assert refused.returncode == 2 and "HTTP 400" in refused.stderr
        printed += [refused.stdout, refused.stderr]
        assert any(p.endswith(":batchGenerateContent") for _, p, _ in fake.requests)
    written = files_under(tmp_path)
    assert len(written) > 20  # results, manifests, audit, tuning data, the response cache
    assert [p for p in written if KEY.encode() in p.read_bytes()] == []
    assert not any(KEY in text for text in printed)


def test_a_paid_run_asks_first_and_needs_yes_without_a_terminal(data, tmp_path):
    with FakeGemini() as fake:
        done = subprocess.run(eval_args(data, tmp_path / "run"), env=environment(fake, tmp_path), capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=300)
        assert fake.generate_requests() == []
    assert done.returncode == 2
    assert "input tokens" in done.stderr and "pass --yes" in done.stderr.splitlines()[-1]


def test_a_resumed_run_estimates_only_the_requests_it_still_sends(data, tmp_path):
    """The report: a resumed run's estimate counted every request. Ten items, scored eight at a
    time: killed at the ninth request, the first eight are in results.jsonl and two are left."""
    args = cli("eval", "--data", str(data), "--model", "gemini:gemini-2.5-flash", "--regime", "icl", "--scoring",
               "generate", "--limit", "10", "--out", str(tmp_path / "run"), "--yes")
    with FakeGemini() as fake:
        env = environment(fake, tmp_path)
        process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   stdin=subprocess.DEVNULL)

        def kill_at_the_ninth(count: int) -> bool:
            if count == 9:
                process.send_signal(signal.SIGKILL)
            return count == 9

        fake.on_generate = kill_at_the_ninth
        first = process.communicate(timeout=300)[1].decode()
        fake.on_generate = None
        before = len(fake.generate_requests())
        rerun = subprocess.run(args, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
        sent = len(fake.generate_requests()) - before
    assert rerun.returncode == 0, rerun.stderr
    assert len((tmp_path / "run" / "results.jsonl").read_text().splitlines()) == 10
    assert "this run sends about 10 requests," in " ".join(first.split())
    assert sent == 2 and "this run sends about 2 requests," in " ".join(rerun.stderr.split())
