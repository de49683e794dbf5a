"""``ModelChoice``: which model a library is configured with, which one answers searches, and their encoders.

*Configured* model: the session override (``--model``), else the library's
settings, else ``$PHOTOSEEK_MODEL``, else the model the library already has
vectors from (while its bundle is still where it was), else the first
installed model.

*Serving* model: the configured one once it covers the library.  During a
model switch the new model re-embeds in the background and the model with
the most vectors keeps answering searches, so results never go blank.

Bundles and ONNX Runtime sessions are cached here and shared by the writer and
the readers of one process (sessions are safe to run from several threads).
Nothing here writes: the writer records models in the catalog.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from . import paths
from .catalog import Catalog
from .config import Settings
from .errors import ModelError, ModelNotFound
from .models.bundle import ModelBundle
from .models.encoder import Encoder
from .models.registry import installed_models, resolve_model


class ModelChoice:
    def __init__(self, settings: Settings, *, override: str | None = None):
        self._settings = settings
        self._override = override
        self._lock = threading.RLock()
        self._bundles: dict[str, tuple[ModelBundle, int | None]] = {}
        self._encoders: dict[str, Encoder] = {}

    @property
    def overridden(self) -> bool:
        return bool(self._override)

    def set_settings(self, settings: Settings) -> None:
        """The writer saved new settings (a model switch, providers, threads)."""
        with self._lock:
            providers_changed = (settings.providers, settings.threads) != (
                self._settings.providers, self._settings.threads)
            self._settings = settings
            if providers_changed:
                self._close_encoders()

    # -- the configured model ------------------------------------------------

    def configured_ref(self, catalog: Catalog) -> str:
        """The configured model (name or bundle dir), or raise a ``ModelNotFound`` that says how to get one."""
        ref = self._override or self._settings.model or os.environ.get("PHOTOSEEK_MODEL", "")
        if ref:
            return ref
        for _name, source in catalog.model_sources():
            if Path(source).is_dir():
                return source
        installed = installed_models(paths.models_dir())
        if installed:
            return installed[0].name
        raise ModelNotFound(
            "no model installed: run `photoseek models download ViT-B-32__laion2b-s34b-b79k`, "
            "or `photoseek models import DIR` for a bundle you have"
        )

    def bundle(self, catalog: Catalog, ref: str | None = None) -> ModelBundle:
        """The bundle of ``ref`` (default: the configured model).

        Loading a bundle parses tokenizer.json (MBs of JSON, GIL held) and status, folders and
        every search ask for it, so it is kept while the bundle's config.json is unchanged.
        """
        ref = ref or self.configured_ref(catalog)
        with self._lock:
            cached = self._bundles.get(ref)
            if cached is not None and cached[1] == _bundle_stamp(cached[0].path):
                return cached[0]
        bundle = resolve_model(ref, paths.models_dir())
        with self._lock:
            self._bundles[ref] = (bundle, _bundle_stamp(bundle.path))
        return bundle

    def configured_name(self, catalog: Catalog) -> str | None:
        """The configured model's name, or None when there is none (or it cannot be read)."""
        try:
            return self.bundle(catalog).name
        except ModelError:
            return None

    def encoder(self, catalog: Catalog, ref: str | None = None) -> Encoder:
        bundle = self.bundle(catalog, ref)
        with self._lock:
            enc = self._encoders.get(bundle.name)
            if enc is None:
                enc = Encoder(bundle, providers=self._settings.providers or None,
                              threads=self._settings.threads or None)
                self._encoders[bundle.name] = enc
            return enc

    def check_dim(self, catalog: Catalog, encoder: Encoder) -> None:
        """Refuse a model whose vectors have another size than those stored under its name."""
        dim = catalog.model_dim(encoder.model_id)
        if dim is not None and dim != encoder.dim:
            raise ModelError(
                f"model {encoder.model_id} now has {encoder.dim}-dimensional vectors but the library holds "
                f"{dim}-dimensional ones under that name; import it under another name"
            )

    # -- the serving model -----------------------------------------------------

    def serving_name(self, catalog: Catalog) -> str | None:
        """The model whose vectors answer searches (see the module docstring)."""
        active = self.configured_name(catalog)
        if active is not None and catalog.counts(active)["pending"] == 0:
            return active
        with_vectors = catalog.models_with_vectors()
        if not with_vectors:
            return active
        best = max(with_vectors, key=lambda name: (with_vectors[name], name == active))
        if active is not None and with_vectors.get(active, 0) >= with_vectors[best]:
            return active
        return best

    def serving_encoder(self, catalog: Catalog, ref: str | None = None) -> Encoder:
        """The encoder that answers searches (``ref``, or the session override, wins)."""
        if ref is not None or self._override:
            return self.encoder(catalog, ref)
        name = self.serving_name(catalog)
        with self._lock:
            loaded = self._encoders.get(name) if name else None
        if loaded is not None:
            return loaded
        try:
            active: ModelBundle | None = self.bundle(catalog)
        except ModelError:
            active = None
        if name is None or (active is not None and active.name == name):
            return self.encoder(catalog)
        try:
            return self.encoder(catalog, name)
        except ModelNotFound:
            # A model given as a bundle directory is known to the catalog by its source path.
            source = catalog.model_source(name)
            if source and Path(source).is_dir():
                return self.encoder(catalog, source)
            raise

    # -- closing -----------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._close_encoders()

    def _close_encoders(self) -> None:
        for encoder in self._encoders.values():
            encoder.close()
        self._encoders.clear()


def _bundle_stamp(path: Path) -> int | None:
    try:
        return (Path(path) / "config.json").stat().st_mtime_ns
    except OSError:
        return None
