"""kgsynth: synthetic knowledge graphs for testing how language models generalize.

    import kgsynth
    dataset = kgsynth.create_dataset("syllogisms", seed=0)   # in memory, nothing written
    dataset.items["syllogism"][0].prompt, dataset.oracle.query(...)
    dataset = kgsynth.load_dataset("runs/syl")                # what `synth` wrote
"""

__version__ = "0.1.0"

from . import tasks  # noqa: E402  (registers the built-in task families)
from .data.dataset import Dataset, create_dataset, load_dataset  # noqa: E402

__all__ = ["Dataset", "__version__", "create_dataset", "load_dataset", "tasks"]
