"""Per-model gallery statistics used by the query recipes, computed lazily and cached.

``photo_mean``/``photo_sample``: mean and a random sample of the stored photo
vectors; ``text_mean``: mean vector of generic phrases; ``sketch_mean``: mean
embedding of edge maps of a sample of the user's own thumbnails (the sketch
domain's centre).  Recomputed when the library has grown or shrunk by a fifth.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import numpy as np
from PIL import Image

from indexer.catalog_reading import CatalogReading
from indexer.clip import recipes
from indexer.clip.vector_tables import VectorTables
from indexer.errors import UnreadableImage
from indexer.models.encoder import Encoder
from indexer.models.preprocess import load_rgb
from indexer.thumbnails import ThumbnailPaths

logger = logging.getLogger(__name__)

PHOTO_SAMPLE = 2000
SKETCH_SAMPLE = 32
REFRESH_RATIO = 0.2


class GalleryStatsCache:
    """The statistics of one model's vectors.  Thread-safe: ``catalog()`` gives the calling thread's
    read connection, ``thumbnails`` the library's thumbnails (read only)."""

    def __init__(self, catalog: Callable[[], CatalogReading], thumbnails: ThumbnailPaths, encoder: Encoder):
        self._catalog = catalog
        self._thumbnails = thumbnails
        self._encoder = encoder
        self._lock = threading.Lock()
        self._count = -1
        self._sample: np.ndarray | None = None
        self._mean: np.ndarray | None = None
        self._text_mean: np.ndarray | None = None
        self._sketch_mean: np.ndarray | None = None

    def _refresh(self) -> None:
        model = self._encoder.model_id
        count = VectorTables(self._catalog()).vector_count(model)
        if self._sample is not None and abs(count - self._count) <= REFRESH_RATIO * max(self._count, 1):
            return
        sample = VectorTables(self._catalog()).sample_vectors(model, PHOTO_SAMPLE)
        if sample.size == 0:
            sample = np.zeros((1, self._encoder.dim), dtype=np.float32)
        self._sample = sample
        self._mean = recipes.gallery_mean(sample)
        self._sketch_mean = None
        self._count = count

    def photo_sample(self) -> np.ndarray:
        with self._lock:
            self._refresh()
            assert self._sample is not None
            return self._sample

    def photo_mean(self) -> np.ndarray:
        with self._lock:
            self._refresh()
            assert self._mean is not None
            return self._mean

    def text_mean(self) -> np.ndarray:
        with self._lock:
            if self._text_mean is None:
                self._text_mean = recipes.gallery_mean(self._encoder.encode_texts(list(recipes.GENERIC_PHRASES)))
            return self._text_mean

    def sketch_mean(self) -> np.ndarray:
        with self._lock:
            self._refresh()
            if self._sketch_mean is None:
                self._sketch_mean = self._compute_sketch_mean()
            return self._sketch_mean

    def _compute_sketch_mean(self) -> np.ndarray:
        model = self._encoder.model_id
        ids = VectorTables(self._catalog()).vector_ids(model)
        rng = np.random.default_rng(0)
        chosen = [ids[i] for i in rng.permutation(len(ids))[: SKETCH_SAMPLE * 2]] if ids else []
        edges: list[Image.Image] = []
        for pid in chosen:
            path = self._thumbnails.path(pid)
            try:  # the one guarded loader: a thumbnail swapped for a pipe or a bomb is skipped, never waited on
                edges.append(Image.fromarray(recipes.edge_map(np.asarray(load_rgb(path)))))
            except (OSError, UnreadableImage):
                continue
            if len(edges) >= SKETCH_SAMPLE:
                break
        if not edges:
            assert self._mean is not None
            return self._mean  # nothing to learn from: the shift becomes a no-op
        logger.info("computing the sketch-domain mean of %s from %d edge maps", model, len(edges))
        return recipes.gallery_mean(self._encoder.encode_images(edges))
