"""Embed pending photos: decode pool -> batches -> encoder -> one commit per batch.

Decoding runs on a thread pool ``lookahead`` photos ahead of the model (Pillow
and ONNX Runtime release the GIL), so the model is rarely idle.  With
``workers=0`` everything runs inline (tests, debugging).  Each batch is one
SQLite transaction (vectors + metadata + failures); thumbnails are written
before it, so a kill at any moment leaves at worst an orphan thumbnail.

Only unit vectors of finite numbers are stored: a photo the model turns into
NaN, infinity or an all-zero vector is recorded as failed, with the reason,
and never reaches the catalog or the vector index (a NaN would make every
score it takes part in NaN).
"""

from __future__ import annotations

import functools
import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.cancel import CancelToken
from indexer.catalog import Catalog, PhotoRow
from indexer.clip.vector_store import VectorStore
from indexer.clip.vector_tables import VectorTables
from indexer.errors import Cancelled, UnreadableImage
from indexer.media.decode import decode_media
from indexer.media.frames import FrameVectors, encode_decoded
from indexer.media.tables import MediaTables
from indexer.metadata import photo_meta
from indexer.models.encoder import Encoder
from indexer.models.preprocess import DecodedImage, decode_image
from indexer.progress import Phase, Progress
from indexer.stages import PhotoStep
from indexer.thumbnails import ThumbnailStore

logger = logging.getLogger(__name__)

DECODE_TIMEOUT_S = 60.0
NON_FINITE_VECTOR = "the model gave an invalid vector for this photo (NaN or infinity)"
ZERO_VECTOR = "the model gave an empty (all-zero) vector for this photo"


@dataclass
class _Decoded:
    row: PhotoRow
    image: DecodedImage | None
    error: str | None
    skip: bool = False  # file changed or vanished while being read: leave it for the next scan
    decoded: bool = False  # the decoder ran to the end (counted by the consumer thread)
    results: tuple[object, ...] = ()  # each photo step's result, from the same decode (in ``steps`` order)


class EmbeddingPipeline:
    """Embeds the pending photos of one model into the catalog and the vector index."""

    def __init__(
        self,
        catalog: Catalog,
        encoder: Encoder,
        vectors: VectorStore,
        thumbnails: ThumbnailStore,
        *,
        batch_size: int = 16,
        workers: int = 2,
        decode: Callable[[Path], DecodedImage] | None = None,
        decode_timeout: float = DECODE_TIMEOUT_S,
        steps: Sequence[PhotoStep] = (),
    ):
        self.catalog = catalog
        self.stored = VectorTables(catalog)
        self.media = MediaTables(catalog)
        self.encoder = encoder
        self.vectors = vectors
        self.thumbnails = thumbnails
        self.batch_size = max(1, batch_size)
        self.workers = workers
        self.decode_timeout = decode_timeout
        self.steps = tuple(steps)  # the later stages' work on this decode of each photo
        cfg = encoder.bundle.preprocess
        detail_side = max((step.detail_side for step in self.steps), default=0)
        photo = functools.partial(decode_image, detail_side=detail_side)
        self._decode = decode or (lambda path: decode_media(path, cfg, photo=photo))
        self.decoded_count = 0  # files decoded (counted on the consuming thread), for tests and the summary

    def run(self, cancel: CancelToken | None = None) -> Iterator[Progress]:
        cancel = cancel or CancelToken()
        model = self.encoder.model_id
        pending = self.stored.pending_photos(model)
        total = len(pending)
        done = failed = 0
        started = time.monotonic()
        yield Progress(Phase.INDEXING, 0, total)
        if not pending:
            return
        pool = DecodePool(self.workers, self._decode_one) if self.workers > 0 else None
        try:
            for batch in self._decoded_batches(pending, pool, cancel):
                if cancel.cancelled:
                    return  # stop between batches: everything committed so far is consistent
                failed += self._commit(batch, model)
                done += len(batch)
                elapsed = time.monotonic() - started
                rate = done / elapsed if elapsed > 0 else 0.0
                eta = (total - done) / rate if rate > 0 else None
                yield Progress(Phase.INDEXING, done, total, rate, eta, batch[-1].row.path, failed)
        except Cancelled:
            return
        finally:
            if pool is not None:
                pool.shutdown()
                # A photo step may be inside a native library (the text gate's ONNX Runtime): let the decodes
                # under way end before the caller goes on (or the process exits), within the time limit.
                pool.join(self.decode_timeout)

    # -- stages --------------------------------------------------------------

    def _decoded_batches(
        self, rows: list[PhotoRow], pool: DecodePool | None, cancel: CancelToken
    ) -> Iterator[list[_Decoded]]:
        batch: list[_Decoded] = []
        if pool is None:
            results: Iterator[_Decoded] = (self._decode_one(row) for row in rows)
        else:
            results = self._decode_ahead(rows, pool)
        for item in results:
            cancel.wait_if_paused()
            if item.decoded:
                self.decoded_count += 1
            batch.append(item)
            if len(batch) >= self.batch_size:
                yield batch
                batch = []
        if batch:
            cancel.raise_if_cancelled()
            yield batch

    def _decode_ahead(self, rows: list[PhotoRow], pool: DecodePool) -> Iterator[_Decoded]:
        lookahead = max(2 * self.batch_size, 2 * self.workers)
        waiting: deque[tuple[PhotoRow, Future[_Decoded]]] = deque()
        it = iter(rows)
        for row in it:
            waiting.append((row, pool.submit(row)))
            if len(waiting) >= lookahead:
                break
        while waiting:
            row, future = waiting.popleft()
            item = pool.result(future, self.decode_timeout)
            if item is None:  # stuck (a dead network share, a pathological file): its thread is abandoned
                logger.warning("decoding %s took longer than %.0f s; skipping it", row.path, self.decode_timeout)
                item = _Decoded(row, None, f"decoding took longer than {self.decode_timeout:.0f} s")
            yield item
            nxt = next(it, None)
            if nxt is not None:
                waiting.append((nxt, pool.submit(nxt)))

    def _decode_one(self, row: PhotoRow) -> _Decoded:
        try:
            before = os.stat(row.path)
        except OSError:
            return _Decoded(row, None, None, skip=True)
        try:
            image = self._decode(row.path)
            error = None
        except UnreadableImage as exc:
            image, error = None, exc.reason
        except MemoryError:
            image, error = None, "not enough memory to decode this image"
        except Exception as exc:  # noqa: BLE001 - nothing a file holds may stop indexing
            logger.exception("unexpected error decoding %s", row.path)
            image, error = None, f"unexpected decoder error: {exc}"
        try:
            after = os.stat(row.path)
        except OSError:
            return _Decoded(row, None, None, skip=True)
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or (
            after.st_size,
            after.st_mtime_ns,
        ) != (row.size, row.mtime_ns):
            return _Decoded(row, None, None, skip=True)
        results = () if image is None else tuple(_prepare(step, row, image) for step in self.steps)
        if image is not None:
            image.detail = None  # only the steps need it: the batch waiting for the model holds no more than that
        return _Decoded(row, image, error, decoded=True, results=results)

    def _commit(self, batch: list[_Decoded], model: str) -> int:
        good = [b for b in batch if b.image is not None and not b.skip]
        vectors = np.zeros((0, self.encoder.dim), dtype=np.float32)
        videos: dict[int, FrameVectors] = {}
        if good:
            vectors, frame_sets = encode_decoded(self.encoder, [b.image for b in good])  # type: ignore[misc]
            videos = {b.row.id: fs for b, fs in zip(good, frame_sets) if fs is not None}
            problems = vector_problems(vectors)
            for b, problem in zip(good, problems):
                if problem is not None:
                    logger.warning("%s: %s", b.row.path, problem)
                    b.image, b.error = None, problem
            keep = [i for i, problem in enumerate(problems) if problem is None]
            good, vectors = [good[i] for i in keep], vectors[keep]
            for b in good:
                self.thumbnails.save(b.row.id, b.image.thumbnail)  # type: ignore[union-attr]
                _save_frame_thumbnails(self.thumbnails, b.row.id, videos.get(b.row.id))
        failed = 0
        with self.catalog.transaction():
            for b, vector in zip(good, vectors):
                img = b.image
                assert img is not None
                self.stored.record_indexed(b.row.id, model, vector, photo_meta(img.width, img.height, img.exif))
                if b.row.id in videos:
                    frames = videos[b.row.id]
                    self.media.record_video(b.row.id, model, frames.duration, frames.times, frames.vectors)
            for number, step in enumerate(self.steps):
                step.record(self.catalog, [(b.row, b.results[number]) for b in good])
            for b in batch:
                if b.error is not None and not b.skip:
                    self.catalog.record_failure(b.row.id, b.error)
                    failed += 1
            checkpoint = self.catalog.checkpoint(model)
        self.vectors.add(np.array([b.row.id for b in good], dtype=np.int64), vectors, checkpoint=checkpoint)
        return failed


def _prepare(step: PhotoStep, row: PhotoRow, image: DecodedImage) -> object:
    """A photo step's result; None when it failed (the photo is still embedded; the stage's ``run`` retries)."""
    try:
        return step.prepare(row, image)
    except Exception:  # noqa: BLE001 - a later stage's trouble must not cost the photo its vector
        logger.exception("%s: could not prepare %s", type(step).__name__, row.path)
        return None


def _save_frame_thumbnails(thumbnails: ThumbnailStore, photo_id: int, frames: FrameVectors | None) -> None:
    for number, image in enumerate(frames.thumbnails if frames is not None else ()):
        thumbnails.save_frame(photo_id, number, image)


def vector_problems(vectors: np.ndarray) -> list[str | None]:
    """Per row of L2-normalised ``vectors``: why it must not be stored, or None when it is a finite unit vector."""
    finite = np.isfinite(vectors).all(axis=1)
    norms = np.linalg.norm(np.where(np.isfinite(vectors), vectors, 0.0), axis=1)
    return [
        None if ok and abs(norm - 1.0) < 1e-3 else NON_FINITE_VECTOR if not ok else ZERO_VECTOR
        for ok, norm in zip(finite.tolist(), norms.tolist())
    ]


class DecodePool:
    """Decode threads with a per-file time limit that holds even when a decode never returns.

    The time limit counts from when a file's decode *starts* (not while it waits
    behind others).  A worker past it is abandoned and replaced, so a few stuck
    files (a dead network share) never starve the rest, and the threads are
    daemons, so a stuck one never keeps the process from exiting.
    """

    def __init__(self, workers: int, fn: Callable[[PhotoRow], _Decoded]):
        self._fn = fn
        self._jobs: queue.SimpleQueue[tuple[PhotoRow, Future[_Decoded]] | None] = queue.SimpleQueue()
        self._started: dict[int, float] = {}  # id(future) -> when its decode started
        self._abandoned: set[int] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._threads = 0
        for _ in range(workers):
            self._spawn()

    def _spawn(self) -> None:
        with self._lock:
            self._threads += 1
        threading.Thread(target=self._work, name="decode", daemon=True).start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                break
            row, future = job
            if not future.set_running_or_notify_cancel():
                continue
            with self._lock:
                self._started[id(future)] = time.monotonic()
            try:
                future.set_result(self._fn(row))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting side
                future.set_exception(exc)
            with self._lock:
                self._started.pop(id(future), None)
                abandoned = id(future) in self._abandoned
                self._abandoned.discard(id(future))
            if abandoned:  # a replacement took this thread's place
                break
        with self._lock:
            self._threads -= 1
            self._idle.notify_all()

    def submit(self, row: PhotoRow) -> Future[_Decoded]:
        future: Future[_Decoded] = Future()
        self._jobs.put((row, future))
        return future

    def result(self, future: Future[_Decoded], timeout: float) -> _Decoded | None:
        """The decode's result, or None once it has run for ``timeout`` seconds."""
        while True:
            with self._lock:
                started = self._started.get(id(future))
            wait = timeout if started is None else started + timeout - time.monotonic()
            try:
                return future.result(timeout=max(wait, 0.0))
            except FutureTimeout:
                with self._lock:
                    started = self._started.get(id(future))
                    stuck = started is not None and time.monotonic() - started >= timeout
                    if stuck:
                        self._abandoned.add(id(future))
                if stuck:
                    self._spawn()
                    return None

    def shutdown(self) -> None:
        """Cancel what has not started; idle workers exit (a stuck one is left to finish on its own)."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[1].cancel()
        with self._lock:
            threads = self._threads
        for _ in range(threads):
            self._jobs.put(None)

    def join(self, timeout: float) -> None:
        """After ``shutdown``: wait until the workers have exited, at most ``timeout`` seconds (not for the
        abandoned ones, whose decodes are stuck)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._threads > len(self._abandoned):
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._idle.wait(left)
