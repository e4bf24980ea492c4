"""The surface: nonsense words (lexicon), naming a world, the grammar (render and parse), judging sentences."""
