"""Run a bundle's two towers with ONNX Runtime.

``Encoder`` owns the sessions of one bundle: it creates each lazily, once
(thread-safe), on the best execution provider available (CUDA, CoreML,
DirectML, else CPU) or the one the user forces, and always returns
L2-normalised float32 vectors.  Graphs with a fixed batch (Immich's bundles
take one item at a time) are fed item by item; text graphs with a dynamic
length receive only as many tokens as the longest text in the batch, which
gives the same vectors as a full 77-token run (causal mask, end-token pooling)
at a fraction of the cost.

A vector is only worth anything when it is finite: each tower is run once on
a plain input (a grey image, a short text) when its session loads, and a
tower that answers NaN or infinity is refused there with a ``ModelError``
(a tower whose files passed that check before, on the same ONNX Runtime and
providers, is remembered in the user's cache by ``known_bundles`` and not
run again for it); query vectors (texts, images) that come out non-finite raise one too, and
``encode_pixels(..., check_finite=False)`` lets the indexing pipeline find the
photos the model fails on and record them as failed instead.

``model_id`` names the *vector space*: the key under which the library stores
this bundle's vectors (by default the bundle's name; the library gives a
replaced model of the same name a key of its own).  The encoder remembers the
``files_stamp`` of the bundle's files it was made for and refuses to load a
session from files that changed since, so it never makes one model's vectors
under another's key.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.errors import ModelError
from indexer.models import known_bundles, tower_layout
from indexer.models.bundle import ModelBundle, TowerSpec
from indexer.models.fingerprint import files_stamp as bundle_files_stamp
from indexer.models.preprocess import ImageSource, decode_image
from indexer.models.tokenizer import ClipTokenizer

if TYPE_CHECKING:
    import onnxruntime

logger = logging.getLogger(__name__)

# Preferred order when the user does not choose; CPU is always the fallback.
AUTO_PROVIDERS = ("CUDAExecutionProvider", "CoreMLExecutionProvider", "DmlExecutionProvider")
PROVIDER_ALIASES = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "gpu": "CUDAExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "directml": "DmlExecutionProvider",
    "dml": "DmlExecutionProvider",
}


def available_providers() -> list[str]:
    import onnxruntime

    return list(onnxruntime.get_available_providers())


def resolve_providers(requested: Sequence[str] | None) -> list[str]:
    """Turn a user's choice ("cuda", "CPUExecutionProvider", ...) into an ORT provider list.

    ``None`` or empty picks automatically.  A provider that this installation of
    ONNX Runtime lacks raises ``ModelError`` naming what is available.
    """
    available = available_providers()
    if not requested:
        chosen = [p for p in AUTO_PROVIDERS if p in available]
    else:
        chosen = []
        for name in requested:
            full = PROVIDER_ALIASES.get(name.strip().lower(), name.strip())
            if full not in available:
                raise ModelError(
                    f"execution provider {name!r} is not available in this ONNX Runtime "
                    f"(available: {', '.join(available)})"
                )
            if full not in chosen:
                chosen.append(full)
    if "CPUExecutionProvider" not in chosen:
        chosen.append("CPUExecutionProvider")
    return chosen


class Encoder:
    """Image and text embeddings from one bundle; see the module doc."""

    def __init__(
        self,
        bundle: ModelBundle | str | Path,
        *,
        providers: list[str] | None = None,
        threads: int | None = None,
        model_id: str | None = None,
        fingerprint: str | None = None,
        files_stamp: str | None = None,
    ):
        self.bundle = bundle if isinstance(bundle, ModelBundle) else ModelBundle.load(bundle)
        self.dim = self.bundle.embed_dim
        self.model_id = model_id or self.bundle.name  # the key of this bundle's vector space in a library
        self.fingerprint = fingerprint  # of the bundle's weights and preprocessing, when the caller knows it
        self.files_stamp = files_stamp or bundle_files_stamp(self.bundle.path)
        self.providers = resolve_providers(providers)
        if threads is not None and threads < 0:
            raise ModelError(f"thread count must be 0 (automatic) or more, not {threads}")
        self.threads = threads
        self._lock = threading.Lock()
        self._sessions: dict[str, onnxruntime.InferenceSession] = {}
        self._preparing: set[str] = set()  # towers being loaded ahead of use (``prepare``)
        self._loading = {"visual": threading.Lock(), "textual": threading.Lock()}  # one load of a tower at a time
        self._tokenizer: ClipTokenizer | None = None

    # --- public API -------------------------------------------------------------

    def encode_pixels(self, pixels: np.ndarray, *, check_finite: bool = True) -> np.ndarray:
        """(n, 3, H, W) preprocessed pixels -> (n, d) float32, L2-normalised.

        A row the model makes NaN or infinite raises ``ModelError``; with ``check_finite=False``
        it is returned as is, for the caller to set aside (the indexing pipeline records it as
        a failed photo).
        """
        tower = self.bundle.visual
        pixels = np.asarray(pixels)
        h, w = self.bundle.preprocess.size
        if pixels.ndim != 4 or pixels.shape[1:] != (3, h, w):
            raise ModelError(f"image input must have shape (n, 3, {h}, {w}), not {pixels.shape}")
        if len(pixels) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        session = self._session("visual")
        return self._run(session, tower, pixels.astype(tower.input_dtype, copy=False), check_finite=check_finite)

    def encode_images(self, images: Sequence[ImageSource], *, draft: bool = True) -> np.ndarray:
        """Decode and embed images (paths, bytes or PIL images) -> (n, d) float32.

        Raises ``UnreadableImage`` for the first image that cannot be decoded.
        """
        cfg = self.bundle.preprocess
        if len(images) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        pixels = np.stack([decode_image(image, cfg, draft=draft).pixels for image in images])
        return self.encode_pixels(pixels)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Tokenize and embed texts -> (n, d) float32, L2-normalised."""
        if isinstance(texts, str):
            raise ModelError("encode_texts takes a list of strings, not one string")
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        tower = self.bundle.textual
        tokens = self.tokenizer(texts)
        ids = tokens.trimmed() if self.bundle.trims_text else tokens.ids
        session = self._session("textual")
        return self._run(session, tower, ids.astype(tower.input_dtype, copy=False))

    @property
    def tokenizer(self) -> ClipTokenizer:
        with self._lock:
            if self._tokenizer is None:
                text_cfg = self.bundle.config.get("text_cfg") or {}
                clean = (text_cfg.get("tokenizer_kwargs") or {}).get("clean")
                self._tokenizer = ClipTokenizer(
                    self.bundle.tokenizer_file,
                    self.bundle.context_length,
                    self.bundle.tokenizer_config,
                    clean=clean,
                )
            return self._tokenizer

    def verify(self) -> None:
        """Check both towers now (each is loaded and run once on a plain input): a ``ModelError`` if
        either cannot load or gives non-finite vectors.

        A tower that passed this check before, for the same bundle files (same ``files_stamp`` and
        fingerprint) on the same ONNX Runtime and providers -- in any library of this user -- is not
        loaded again here (``known_bundles``); it is loaded when first used, and its outputs are checked then.
        """
        for which in ("visual", "textual"):
            if not self._checked_before(which):
                self._session(which)

    def _check_label(self, which: str) -> str:
        return f"{which}@{known_bundles.runtime_label(self.providers)}"

    def _checked_before(self, which: str) -> bool:
        """Whether this tower's files passed the finite-output check before, on this ONNX Runtime and these
        providers (in any library of this user): then it is not run on a plain input again."""
        known = known_bundles.recall(self.files_stamp) if self.fingerprint else None
        return known is not None and known.fingerprint == self.fingerprint and self._check_label(which) in known.checked

    def keep_fast_text_layout(self) -> None:
        """Write, once per set of bundle files, the copy of the text tower that loads in half the time
        (``tower_layout``): worth it for processes that load the text tower anew each time (a cold
        ``photoseek search``).  Costs about one load of the tower; call it after the answer is out."""
        if tower_layout.fast_graph(self.files_stamp, "textual") is None:
            tower_layout.write_fast_graph(self.bundle.textual.model_path, self.files_stamp, "textual")

    def prepare(self, which: str) -> None:
        """Start loading a tower's session (``"visual"`` or ``"textual"``) on a thread of its own, so that
        the caller's other work (a cold search loading its vector index) overlaps it.

        Returns at once.  The first real use waits for the load; a load that fails here is not kept,
        so that use loads it again and raises the ``ModelError`` itself.
        """
        with self._lock:
            if which in self._sessions or which in self._preparing:
                return
            self._preparing.add(which)
        # Not a daemon: a process that ends while a session is being created waits for it, because ONNX
        # Runtime aborts the process ("terminate called ...") when it is torn down under a live session.
        threading.Thread(target=self._prepare, args=(which,), name=f"load {which} tower").start()

    def _prepare(self, which: str) -> None:
        try:
            if which == "textual":
                # tokenizer.json too (the query needs it), first: its parsing holds Python's lock (0.1 s for
                # CLIP's), best while the caller checksums its vector index, which leaves the lock free; then
                # the session, whose creation leaves it free too (measured: 0.86 s against 0.91-0.95 s for
                # a cold search, docs/performance.md)
                self.tokenizer  # noqa: B018
            self._session(which)
        except Exception as exc:  # noqa: BLE001 - raised again, to the caller, by the first real use
            logger.debug("loading the %s tower ahead of use failed: %s", which, exc)
        finally:
            with self._lock:
                self._preparing.discard(which)

    def close(self) -> None:
        """Release the sessions (they are recreated if the encoder is used again)."""
        with self._lock:
            self._sessions.clear()
            self._tokenizer = None

    def __enter__(self) -> Encoder:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # --- internals --------------------------------------------------------------

    def _session(self, which: str) -> onnxruntime.InferenceSession:
        with self._lock:
            session = self._sessions.get(which)
        if session is not None:
            return session
        # outside the locks: the text probe needs the tokenizer.  A tower checked before is not probed (its
        # real outputs are still checked, by ``_run``).
        probe = None if self._checked_before(which) else self._probe_input(which)
        with self._loading[which]:  # one load per tower; the other tower and the tokenizer stay free
            with self._lock:
                session = self._sessions.get(which)
            if session is not None:
                return session
            tower: TowerSpec = getattr(self.bundle, which)
            if bundle_files_stamp(self.bundle.path) != self.files_stamp:
                raise ModelError(
                    f"the files of model {self.bundle.name} ({self.bundle.path}) changed after it was "
                    "loaded; run the command again to load the new files"
                )
            session = self._create_session(tower, spin=which == "textual")
            if probe is not None:
                self._check_finite_output(session, tower, probe, which)
            with self._lock:
                self._sessions[which] = session
            if self.fingerprint and probe is not None:
                known_bundles.remember(self.files_stamp, self.fingerprint, checked=self._check_label(which))
            return session

    def _probe_input(self, which: str) -> np.ndarray:
        """A plain input for a tower: a uniform mid-grey image, or the tokens of a short text."""
        tower: TowerSpec = getattr(self.bundle, which)
        batch = tower.static_batch or 1
        if which == "visual":
            cfg = self.bundle.preprocess
            h, w = cfg.size
            grey = (0.5 - np.asarray(cfg.mean, dtype=np.float32)) / np.asarray(cfg.std, dtype=np.float32)
            pixels = np.broadcast_to(grey.reshape(1, 3, 1, 1), (batch, 3, h, w))
            return np.ascontiguousarray(pixels, dtype=tower.input_dtype)
        tokens = self.tokenizer(["a photo"] * batch)
        ids = tokens.trimmed() if self.bundle.trims_text else tokens.ids
        return np.ascontiguousarray(ids, dtype=tower.input_dtype)

    def _check_finite_output(
        self, session: onnxruntime.InferenceSession, tower: TowerSpec, probe: np.ndarray, which: str
    ) -> None:
        """Refuse a tower whose output for a plain input is NaN or infinite: every vector would be."""
        try:
            out = np.asarray(self._run_once(session, tower, probe), dtype=np.float32)
        except Exception as exc:  # ORT raises its own exception types
            raise ModelError(f"{tower.model_path} failed to run: {_first_line(exc)}") from exc
        if not np.isfinite(out).all():
            what = "a plain grey image" if which == "visual" else "a short text"
            raise ModelError(
                f"model {self.bundle.name} is unusable: {tower.model_path} gives non-finite values "
                f"(NaN or infinity) for {what}; use another model or import a repaired copy of it"
            )

    def _create_session(self, tower: TowerSpec, *, spin: bool = True) -> onnxruntime.InferenceSession:
        """A session for ``tower``.  ``spin=False``: its idle intra-op threads sleep instead of spinning.

        The image tower does not spin: while it indexes, the decode threads share the cores, and
        spinning threads take CPU time from them (measured: docs/performance.md, "Against rclip").
        The text tower answers one short query at a time, where spinning saves latency.
        """
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        if not spin:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if self.threads:
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
        which = "textual" if tower is self.bundle.textual else "visual"
        graph = tower_layout.fast_graph(self.files_stamp, which) or tower.model_path
        try:
            session = ort.InferenceSession(str(graph), sess_options=options, providers=self.providers)
        except Exception as exc:  # ORT raises its own exception types for bad graphs
            raise ModelError(f"cannot load {tower.model_path} with ONNX Runtime: {_first_line(exc)}") from exc
        names = [arg.name for arg in session.get_inputs()]
        if tower.input_name not in names:
            raise ModelError(
                f"{tower.model_path}: ONNX Runtime reports inputs {names}, not {tower.input_name!r}"
            )
        logger.info(
            "loaded %s on %s (threads %s)",
            graph, ", ".join(session.get_providers()), self.threads or "auto",
        )
        return session

    def _run(
        self, session: onnxruntime.InferenceSession, tower: TowerSpec, batch: np.ndarray, *, check_finite: bool = True
    ) -> np.ndarray:
        step = tower.static_batch
        try:
            if step is None:
                out = self._run_once(session, tower, batch)
            else:
                chunks = []
                for start in range(0, len(batch), step):
                    chunk = batch[start : start + step]
                    real = len(chunk)
                    if real < step:  # pad a fixed-batch graph's last chunk
                        pad = np.repeat(chunk[-1:], step - real, axis=0)
                        chunk = np.concatenate([chunk, pad])
                    chunks.append(self._run_once(session, tower, chunk)[:real])
                out = np.concatenate(chunks)
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"{tower.model_path} failed to run: {_first_line(exc)}") from exc
        out = np.asarray(out, dtype=np.float32)
        if out.ndim != 2 or out.shape[0] != len(batch) or out.shape[1] != self.dim:
            raise ModelError(
                f"{tower.model_path} returned shape {out.shape}; expected ({len(batch)}, {self.dim})"
            )
        unit = l2_normalize(out)
        if check_finite:
            bad = int((~np.isfinite(unit).all(axis=1)).sum())
            if bad:
                raise ModelError(
                    f"model {self.bundle.name} gave non-finite values (NaN or infinity) for {bad} of "
                    f"{len(batch)} input(s); the model is unusable for them"
                )
        return unit

    @staticmethod
    def _run_once(session: onnxruntime.InferenceSession, tower: TowerSpec, batch: np.ndarray) -> np.ndarray:
        out: np.ndarray = session.run([tower.output_name], {tower.input_name: np.ascontiguousarray(batch)})[0]
        return out


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Row-wise unit vectors (a zero row stays zero; a row with NaN or infinity becomes NaN, silently:
    callers check ``np.isfinite``)."""
    with np.errstate(invalid="ignore", over="ignore"):
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: np.ndarray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
    return unit


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
