"""``ModelChoice``: which model a library is configured with, which one answers searches, and their encoders.

*Configured* model: the session override (``--model``), else the library's
settings, else ``$PHOTOSEEK_MODEL``, else the model the library already has
vectors from (while its bundle is still where it was), else the first
installed model.

Vectors are kept by *vector space*, not by model name: a bundle's space is
its name plus a fingerprint of its weights and preprocessing
(``models.fingerprint``), and its key in the catalog is the name, or
``NAME@<12 hex digits>`` for another model that came under a name already
used (``VectorTables.vector_space``).  ``Encoder.model_id`` is that key, so a
model replaced under the same name (``models import --force``, ``--model
/other/dir/NAME``) is a model switch: its vectors are built beside the old
ones, and new-model queries never meet old-model photos.

*Serving* model: the configured one once it covers the library.  During a
model switch the new model re-embeds in the background and the space with
the most vectors keeps answering searches, so results never go blank -- as
long as a bundle that makes that space's vectors is still at hand (a model
replaced in place is gone: the new one answers, from what it has covered).

Bundles, fingerprints and ONNX Runtime sessions are cached here and shared by
the writer and the readers of one process (sessions are safe to run from
several threads).  A bundle is reloaded when the metadata of one of its files
changes (``files_stamp``); its fingerprint is computed once per set of files
and process, unless the catalog already recorded it for those files.
Nothing here writes: the writer records vector spaces in the catalog.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import NamedTuple

from indexer import paths
from indexer.catalog_reading import CatalogReading
from indexer.clip.vector_tables import VectorTables
from indexer.config import Settings
from indexer.errors import ModelError, ModelNotFound
from indexer.models import known_bundles
from indexer.models.bundle import ModelBundle
from indexer.models.encoder import Encoder
from indexer.models.fingerprint import files_stamp, fingerprint
from indexer.models.registry import installed_models, resolve_model


class _Space(NamedTuple):
    """A bundle with what identifies its vectors: its files' stamp, its fingerprint, its key in the catalog."""

    bundle: ModelBundle
    stamp: str
    fingerprint: str
    key: str


class ModelChoice:
    def __init__(self, settings: Settings, *, override: str | None = None):
        self._settings = settings
        self._override = override
        self._lock = threading.RLock()
        self._bundles: dict[str, tuple[ModelBundle, str]] = {}  # ref -> (bundle, files stamp)
        self._fingerprints: dict[str, str] = {}  # files stamp -> fingerprint
        self._encoders: dict[str, Encoder] = {}  # vector-space key -> encoder

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

    def configured_ref(self, catalog: CatalogReading) -> str:
        """The configured model (name or bundle dir), or raise a ``ModelNotFound`` that says how to get one."""
        ref = self._override or self._settings.model or os.environ.get("PHOTOSEEK_MODEL", "")
        if ref:
            return ref
        for _name, source in VectorTables(catalog).model_sources():
            if Path(source).is_dir():
                return source
        installed = installed_models(paths.models_dir())
        if installed:
            return installed[0].name
        raise ModelNotFound(
            "no model installed: run `photoseek models download ViT-B-32__laion2b-s34b-b79k`, "
            "or `photoseek models import DIR` for a bundle you have"
        )

    def bundle(self, catalog: CatalogReading, ref: str | None = None) -> ModelBundle:
        """The bundle of ``ref`` (default: the configured model).

        Loading a bundle parses tokenizer.json (MBs of JSON, GIL held) and status, folders and
        every search ask for it, so it is kept while none of the bundle's files changed.
        """
        return self._load(catalog, ref)[0]

    def _load(self, catalog: CatalogReading, ref: str | None) -> tuple[ModelBundle, str]:
        """(bundle, files stamp) of ``ref``: from the cache while the stamp holds."""
        ref = ref or self.configured_ref(catalog)
        with self._lock:
            cached = self._bundles.get(ref)
        if cached is not None and cached[1] == _stamp_or_none(cached[0].path):
            return cached
        # tokenizer.json is read by the tokenizer, when text is first encoded (on the thread that loads the
        # text tower ahead of a search): not here, before every search
        bundle = resolve_model(ref, paths.models_dir(), read_tokenizer=False)
        loaded = (bundle, files_stamp(bundle.path))
        with self._lock:
            self._bundles[ref] = loaded
        return loaded

    def identify(self, catalog: CatalogReading, bundle: ModelBundle, stamp: str | None = None) -> tuple[str, str]:
        """(files stamp, fingerprint) of ``bundle``: hashed once per set of files, unless the catalog knows it."""
        stamp = stamp or files_stamp(bundle.path)
        with self._lock:
            known = self._fingerprints.get(stamp)
        if known is None:
            known = VectorTables(catalog).fingerprint_of_files(stamp)
        if known is None:
            remembered = known_bundles.recall(stamp)  # met by another library of this user
            known = remembered.fingerprint if remembered is not None else None
        if known is None:
            known = fingerprint(bundle)
            if files_stamp(bundle.path) != stamp:
                raise ModelError(f"the files of model {bundle.name} ({bundle.path}) changed while they were "
                                 "read; run the command again")
            known_bundles.remember(stamp, known)
        with self._lock:
            self._fingerprints[stamp] = known
        return stamp, known

    def _space(
        self, catalog: CatalogReading, ref: str | None = None, loaded: tuple[ModelBundle, str] | None = None
    ) -> _Space:
        bundle, stamp = loaded or self._load(catalog, ref)
        stamp, print_ = self.identify(catalog, bundle, stamp)
        key = VectorTables(catalog).vector_space(bundle.name, print_, bundle.embed_dim).key
        return _Space(bundle, stamp, print_, key)

    def vector_key(self, catalog: CatalogReading, bundle: ModelBundle) -> str:
        """The key under which the library keeps (or would keep) ``bundle``'s vectors."""
        return self._space(catalog, loaded=(bundle, files_stamp(bundle.path))).key

    def configured_name(self, catalog: CatalogReading) -> str | None:
        """The configured model's name, or None when there is none (or it cannot be read)."""
        try:
            return self.bundle(catalog).name
        except ModelError:
            return None

    def configured_key(self, catalog: CatalogReading) -> str | None:
        """The key of the configured model's vector space, or None when there is no usable model."""
        space = self._configured_space(catalog)
        return space.key if space is not None else None

    def _configured_space(self, catalog: CatalogReading) -> _Space | None:
        try:
            return self._space(catalog)
        except ModelError:
            return None

    def encoder(self, catalog: CatalogReading, ref: str | None = None) -> Encoder:
        """The encoder of ``ref`` (default: the configured model); its ``model_id`` is its vector-space key."""
        return self._encoder_for(self._space(catalog, ref))

    def _encoder_for(self, space: _Space) -> Encoder:
        with self._lock:
            enc = self._encoders.get(space.key)
            if enc is None or enc.fingerprint != space.fingerprint or enc.files_stamp != space.stamp:
                enc = Encoder(space.bundle, providers=self._settings.providers or None,
                              threads=self._settings.threads or None,
                              model_id=space.key, fingerprint=space.fingerprint, files_stamp=space.stamp)
                self._encoders[space.key] = enc
            return enc

    def check_dim(self, catalog: CatalogReading, encoder: Encoder) -> None:
        """Refuse a model whose vectors have another size than those stored under its key."""
        dim = VectorTables(catalog).model_dim(encoder.model_id)
        if dim is not None and dim != encoder.dim:
            raise ModelError(
                f"model {encoder.model_id} now has {encoder.dim}-dimensional vectors but the library holds "
                f"{dim}-dimensional ones under that name; import it under another name"
            )

    # -- the serving model -----------------------------------------------------

    def serving_name(self, catalog: CatalogReading) -> str | None:
        """The key of the vector space that answers searches (see the module docstring)."""
        space = self._serving(catalog, self._configured_space(catalog))
        if space is None or isinstance(space, _Space):
            return space.key if space is not None else None
        return space

    def _serving(self, catalog: CatalogReading, active_space: _Space | None) -> _Space | str | None:
        """The serving space (a key only when nothing at hand can serve it, for reports)."""
        active = active_space.key if active_space is not None else None
        if active is not None and catalog.counts(active)["pending"] == 0:
            return active_space
        with_vectors = VectorTables(catalog).models_with_vectors()
        if not with_vectors:
            return active_space
        ranked = sorted(with_vectors, key=lambda key: (with_vectors[key], key == active), reverse=True)
        for key in ranked:
            if key == active or (active is not None and with_vectors[key] <= with_vectors.get(active, 0)):
                return active_space
            other = self._space_for_key(catalog, key)
            if other is not None:
                return other
            if active is None:
                return key
        return active_space

    def bundle_for_key(self, catalog: CatalogReading, key: str) -> ModelBundle | None:
        """A bundle at hand that makes the vectors stored under ``key`` (where it was registered from, or
        the installed model of its name), or None when there is none any more."""
        space = self._space_for_key(catalog, key)
        return space.bundle if space is not None else None

    def _space_for_key(self, catalog: CatalogReading, key: str) -> _Space | None:
        label = VectorTables(catalog).model_label(key) or key
        candidates = [VectorTables(catalog).model_source(key), str(paths.models_dir() / label)]
        for ref in dict.fromkeys(c for c in candidates if c):
            try:
                if not Path(ref).is_dir():
                    continue
                space = self._space(catalog, ref)
            except (ModelError, OSError):
                continue
            if space.key == key:
                return space
        return None

    def serving_encoder(self, catalog: CatalogReading, ref: str | None = None) -> Encoder:
        """The encoder that answers searches (``ref``, or the session override, wins)."""
        if ref is not None or self._override:
            return self.encoder(catalog, ref)
        serving = self._serving(catalog, self._configured_space(catalog))
        if isinstance(serving, _Space):
            return self._encoder_for(serving)
        return self.encoder(catalog)  # raises the configured model's error

    # -- closing -----------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._close_encoders()

    def _close_encoders(self) -> None:
        for encoder in self._encoders.values():
            encoder.close()
        self._encoders.clear()


def _stamp_or_none(path: Path) -> str | None:
    try:
        return files_stamp(path)
    except ModelError:
        return None
