"""The options each experiment accepts, as constants only: the CLI offers them as choices
without importing the experiments (and what they import)."""

REGIMES = ("baseline", "icl")  # evaluation: the question alone, or the training corpus in context
CONTEXTS = ("corpus", "relevant")  # icl: the whole corpus, or per item its own documents among distractors
DISTRACTORS = 4  # --context relevant: other documents per item, by default
SCORINGS = ("likelihood", "generate", "choice")  # of the options, free answers judged by the oracle, one letter
SHAPES = ("documents", "independent", "cumulative")  # the training text, as fine-tuning sees it
METHODS = ("lora", "full")
LR_SCHEDULES = ("constant", "linear")  # after the warm-up: the learning rate held, or decayed linearly to 0
PRESETS = {  # fine-tuning defaults by device; the paper used batch 8-16, lr 3e-4, 200-1000 steps (larger model)
    "cpu": {"method": "lora", "steps": 100, "batch_size": 8, "learning_rate": 1e-3},
    "gpu": {"method": "full", "steps": 500, "batch_size": 16, "learning_rate": 1e-4},
}
STRATEGIES = ("local", "global")  # augmentation: one sentence at a time, or the corpus in context
KEEPS = ("entailed", "parsed", "all")  # the augmentations kept for training
STUDY_REGIMES = ("baseline", "icl", "ft", "aug-ft-local", "aug-ft-global", "aug-ft-verified", "oracle-ft")
METATRAIN = {"test_seed": 0, "steps": 180, "batch_size": 4, "learning_rate": 1e-3, "lora_rank": 16, "max_length": 512,
             "eval_every": 30, "eval_worlds": 20, "augment_share": 0.25}  # metatrain's defaults, the CLI's too

# the augmentation strategies whose sentences each augmented regime trains on
AUGMENTED = {"aug-ft-local": ("local",), "aug-ft-global": ("global",), "aug-ft-verified": ("local", "global")}
