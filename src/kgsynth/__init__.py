"""kgsynth: synthetic knowledge graphs for testing how language models generalize."""

__version__ = "0.1.0"
