"""Where Photoseek keeps its files.

``PHOTOSEEK_LIBRARY`` (or ``--library``) overrides the library directory;
``PHOTOSEEK_MODELS`` overrides the models directory.  Nothing here creates
directories: callers that write create what they need.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "photoseek"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_library_dir() -> Path:
    env = os.environ.get("PHOTOSEEK_LIBRARY")
    return Path(env).expanduser() if env else data_dir() / "library"


def models_dir() -> Path:
    """Installed model bundles, shared by every library of this user."""
    env = os.environ.get("PHOTOSEEK_MODELS")
    return Path(env).expanduser() if env else data_dir() / "models"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
