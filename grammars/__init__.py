"""The Lark grammars kgsynth ships: english.lark (statements <-> sentences), lexicon.lark (nonsense words)."""
