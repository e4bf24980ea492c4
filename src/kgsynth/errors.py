"""The one exception family for errors a user can cause."""


class KgsynthError(Exception):
    """A user-caused error; the CLI prints it on one line and exits 2."""


class OntologyError(KgsynthError):
    """The ontology file is missing, malformed or uses an unsupported construct."""


class SettingsError(KgsynthError):
    """A kgs: generation setting is unknown or has a bad value."""


class InconsistencyError(KgsynthError):
    """The world contradicts itself (cycle in a strict order, disjoint classes, ...)."""


class OutputError(KgsynthError):
    """An output location cannot be written."""
