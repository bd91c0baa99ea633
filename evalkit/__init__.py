"""evalkit: the model layer, the results store, test suites, judges, agreement and tournaments."""

__version__ = "0.1.0"
