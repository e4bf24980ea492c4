"""The logic: statements, the ontology reader, settings, worlds, closure, consistency,
categorical logic and the oracle. No English, no models."""
