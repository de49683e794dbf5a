"""One catalog connection per thread (SQLite connections are never shared across threads)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from indexer.catalog import Catalog

logger = logging.getLogger(__name__)


class CatalogConnections:
    """Opens a ``Catalog`` for each thread that asks, and closes them all at the end."""

    def __init__(self, path: Path, *, readonly: bool):
        self.path = path
        self.readonly = readonly
        self._local = threading.local()
        self._all: list[Catalog] = []
        self._lock = threading.Lock()

    def get(self) -> Catalog:
        """The calling thread's connection."""
        catalog: Catalog | None = getattr(self._local, "catalog", None)
        if catalog is None:
            catalog = Catalog(self.path, readonly=self.readonly, create=False)  # the library creates it
            self._local.catalog = catalog
            with self._lock:
                self._all.append(catalog)
        return catalog

    def close_current(self) -> None:
        """Close the calling thread's connection (a worker thread that is ending)."""
        catalog: Catalog | None = getattr(self._local, "catalog", None)
        if catalog is None:
            return
        self._local.catalog = None
        with self._lock:
            if catalog in self._all:
                self._all.remove(catalog)
        catalog.close()

    def close_all(self) -> None:
        with self._lock:
            catalogs, self._all = self._all, []
        for catalog in catalogs:
            try:
                catalog.close()
            except Exception:  # noqa: BLE001 - closing from another thread; the connection dies with it
                logger.debug("closing a catalog connection failed", exc_info=True)
        self._local = threading.local()
