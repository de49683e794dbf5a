"""Photoseek headless core: models, catalog, vector stores, scanning, pipeline, watching, search.

Never imports Qt or ``app`` (the command line and the GUI live in ``app/``).
"""

__version__ = "0.1.0"
