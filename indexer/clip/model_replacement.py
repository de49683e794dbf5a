"""Stored vectors whose model may have been replaced: keep them only while a bundle still makes them.

Two cases:

* Vectors stored before the library recorded models' fingerprints are keyed by a model's name
  and size alone.  A bundle of that name and size adopts them only if it gives the same
  vectors (up to float noise) for a few unchanged photos (``makes_stored_vectors``);
  otherwise it gets a vector space of its own.
* A bundle directory replaced in place (e.g. ``models import --force``) now holds another
  model: once the new model's vectors cover the library, those of the models the directory
  held before are dropped, since no bundle can make them any more (``drop_replaced_vectors``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from indexer.catalog import Catalog
from indexer.catalog_reading import CatalogReading
from indexer.clip.model_choice import ModelChoice
from indexer.clip.vector_store import VectorStore, VectorStores
from indexer.clip.vector_tables import VectorTables
from indexer.models.encoder import Encoder
from indexer.models.preprocess import decode_image

logger = logging.getLogger(__name__)

# Vectors stored before the library recorded models' fingerprints are adopted by a bundle of the same
# name and size only if it gives the same vectors (up to float noise) for a few unchanged photos.
LEGACY_CHECK_PHOTOS = 3
LEGACY_CHECK_CANDIDATES = 20
LEGACY_CHECK_MIN_COSINE = 0.98


def makes_stored_vectors(catalog: CatalogReading, encoder: Encoder) -> bool:
    """Whether ``encoder`` gives a few unchanged photos the vectors stored under its key (True when
    none can be checked)."""
    stored_vectors = VectorTables(catalog)
    ids = stored_vectors.vector_ids(encoder.model_id)[:LEGACY_CHECK_CANDIDATES]
    rows = catalog.photos_by_id(ids)
    found, stored = stored_vectors.vectors(encoder.model_id, ids)
    checked = 0
    for pid, vector in zip(found.tolist(), stored):
        row = rows.get(pid)
        try:
            st = os.stat(row.path) if row is not None else None
        except OSError:
            continue
        if row is None or st is None or (st.st_size, st.st_mtime_ns) != (row.size, row.mtime_ns):
            continue
        try:
            pixels = decode_image(row.path, encoder.bundle.preprocess, draft=True).pixels
        except Exception:  # noqa: BLE001 - an unreadable photo just cannot be checked
            continue
        fresh = encoder.encode_pixels(pixels[None], check_finite=False)[0]
        if not float(np.dot(fresh, vector)) >= LEGACY_CHECK_MIN_COSINE:
            return False
        checked += 1
        if checked >= LEGACY_CHECK_PHOTOS:
            break
    return True


def drop_replaced_vectors(
    catalog: Catalog, models: ModelChoice, stores: VectorStores, vectors_dir: Path, encoder: Encoder
) -> None:
    """Once ``encoder``'s vectors cover the library, forget those of the models its bundle directory
    held before (replaced in place, e.g. ``models import --force``): no bundle can make them any more.

    A loaded store of such a model is caught up (to nothing); otherwise its files in
    ``vectors_dir`` are deleted.
    """
    source = str(encoder.bundle.path)
    tables = VectorTables(catalog)
    replaced = [key for key, other in tables.model_sources()
                if key != encoder.model_id and other == source and tables.vector_count(key)]
    if not replaced or catalog.counts(encoder.model_id)["pending"]:
        return
    for key in replaced:
        if models.bundle_for_key(catalog, key) is not None:
            continue
        dropped = tables.drop_vectors(key)
        logger.info("dropped %d vectors of %s: its bundle %s now holds another model", dropped, key, source)
        loaded = [s for s in stores.loaded() if s.model == key]
        for store in loaded:
            store.catch_up(catalog)  # to nothing
        if not loaded:
            for file in VectorStore.paths(vectors_dir, key):
                file.unlink(missing_ok=True)
