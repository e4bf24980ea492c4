"""The dataset: built in memory, exported, written atomically, read back, summarized."""
