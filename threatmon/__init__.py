"""threatmon: command line and settings tying ingest, indicators and dashboard together."""

__version__ = "0.1.0"
