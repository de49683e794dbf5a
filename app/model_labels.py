"""How an installed model is named wherever models are listed: its name, size, and a test model said so."""

from __future__ import annotations

from indexer.models.bundle import ModelBundle
from indexer.models.model_purpose import TEST_MODEL_LABEL, is_test_model
from indexer.models.registry import KNOWN_MODELS


def model_label(bundle: ModelBundle) -> str:
    """``name    (512-d)``, plus `` — test model: ...`` for a test model."""
    text = f"{bundle.name}    ({bundle.embed_dim}-d)"
    return f"{text} — {TEST_MODEL_LABEL}" if is_test_model(bundle.path) else text


def installed_description(bundle: ModelBundle) -> str:
    """What the model step says once ``bundle`` is installed (it replaces the default's description)."""
    known = KNOWN_MODELS.get(bundle.name)
    about = TEST_MODEL_LABEL if is_test_model(bundle.path) else (known.description if known else "")
    return f"{bundle.name} is installed and will be used" + (f": {about}." if about else ".")
