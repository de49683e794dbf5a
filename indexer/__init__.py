"""Photoseek headless core: models, catalog, vectors, scanning, pipeline, search, CLI. Never imports Qt."""

__version__ = "0.1.0"
