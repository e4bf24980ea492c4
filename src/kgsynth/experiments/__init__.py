"""Experiments on models: run directories, evaluation, fine-tuning, augmentation and its
audit, tuning on Gemini, cost estimates, the study, the report."""
