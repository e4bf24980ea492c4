"""Adapters for the evaluation harnesses users run: lm-evaluation-harness (a task group written
by `kgsynth export lm-eval`) and inspect_ai (the tasks `kgsynth/choice` and `kgsynth/generate`)."""
