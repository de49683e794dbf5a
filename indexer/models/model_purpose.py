"""Which installed models are test models, and the line that says so where models are listed.

A bundle whose ``photoseek_export.json`` says ``"purpose": "test"`` (the small
model committed for Photoseek's own tests, or a bundle exported with random
weights) finds nothing useful in real photos: every list of models labels it.
"""

from __future__ import annotations

from pathlib import Path

from indexer.errors import ModelError
from indexer.models.bundle_checks import read_json

METADATA_FILE = "photoseek_export.json"  # written by the exporter beside the towers
METADATA_LIMIT = 64 * 1024
TEST_MODEL_LABEL = "test model: tiny, trained for Photoseek's tests; not for real photos"


def is_test_model(bundle_dir: Path) -> bool:
    """Whether the bundle in ``bundle_dir`` is marked as a test model (a missing or unreadable mark: no)."""
    if not (Path(bundle_dir) / METADATA_FILE).is_file():
        return False
    try:
        meta = read_json(Path(bundle_dir), METADATA_FILE, limit=METADATA_LIMIT)
    except ModelError:
        return False
    return meta.get("purpose") == "test"
