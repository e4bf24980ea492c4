"""Task families: one module per family (its settings, generator, documents and items),
each ending with one `register(Family(...))`; the registry (kgsynth.tasks.registry) is what
the ontology reader, `build_world`, `build_corpus` and `build_items` consult. Worlds no
family claims get wiki-like documents and items (kgsynth.tasks.wiki). Families outside
kgsynth are imported last (kgsynth.tasks.registry.load_plugins)."""

from .documents import Corpus, DocumentBuilder, build_corpus, train_records
from .items import SPLITS, ItemBuilder, build_items
from .registry import Family, build_world, families, family_of, load_plugins, register, unregister

# the built-in families, registered in this order (the order their items are built in)
from .comparisons import ComparisonTask  # isort: skip
from .syllogisms import SyllogismTask  # isort: skip
from .celebrities import CelebrityTask  # isort: skip
from .family_trees import FamilyTask  # isort: skip
from .hierarchy import HierarchyTask  # isort: skip

__all__ = [
    "SPLITS", "CelebrityTask", "ComparisonTask", "Corpus", "DocumentBuilder", "Family", "FamilyTask", "HierarchyTask",
    "ItemBuilder", "SyllogismTask", "build_corpus", "build_items", "build_world", "families", "family_of", "register",
    "train_records", "unregister",
]

load_plugins()  # families outside kgsynth: $KGSYNTH_TASKS, "kgsynth.tasks" entry points
