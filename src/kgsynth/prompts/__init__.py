"""Prompt templates for augmentation (editable; `--prompt-file` takes your own)."""
