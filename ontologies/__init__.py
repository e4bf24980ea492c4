"""The ontologies kgsynth ships, one per dataset family; `--ontology NAME` finds them by name."""
