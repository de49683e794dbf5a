"""The text-reading (OCR) stage: the writer reads the words in photos after they are embedded.

Its cheap first pass, the gate ("any text here?"), runs on the embedding pipeline's one decode of
each new photo (``TextGateStep``): photos without text are done there.  The reading itself runs
after the embedding stage of a sync, so photos are searchable by CLIP first and OCR never
competes with embedding for the cores.  One photo at a time (OCR takes a second or more per photo
with words): decode, read, and commit the photo's lines together with its "read by engine V" mark
in one transaction, so a kill at any moment loses at most the photo being read, and a resumed run
reads only the photos not yet marked.  Between photos it honours pause and cancel, and stops early
when ``interrupt()`` says more urgent work arrived (the watcher's next changes); what is left is
read by the next run.

A photo whose text cannot be read gets an OCR failure (its own reason, listed by ``failures``
with the stage); its CLIP vector and everything else about it is untouched.  A file that changed
or vanished while being read is left for the next scan.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator

from indexer.cancel import CancelToken
from indexer.catalog import Catalog, PhotoRow
from indexer.errors import Cancelled, ModelError, UnreadableImage
from indexer.media.kinds import PHOTO, media_kind
from indexer.models.preprocess import DecodedImage
from indexer.progress import Activity, Progress
from indexer.stages import PhotoStep, StageContext
from indexer.text.gate import GATE_DETAIL_SIDE
from indexer.text.reader import PhotoText, TextReader, shared_reader
from indexer.text.tables import PhotoTextTables

logger = logging.getLogger(__name__)

READING_TEXT = Activity("reading text", "Reading text in photos", busy=True)
"""Reading the words in embedded photos (OCR), after embedding."""

PENDING_CHUNK = 256  # photos fetched from the catalog at a time


class TextReadingStage:
    """Reads the text of every readable photo that ``reader``'s engine version has not read."""

    def __init__(self, catalog: Catalog, reader: TextReader, *, read: Callable[[PhotoRow], PhotoText] | None = None):
        self.catalog = catalog
        self.tables = PhotoTextTables(catalog)
        self.reader = reader
        self._read = read or self._read_file
        self._found: set[int] = set()  # photos of the chunk being read that the gate already found text in
        self.read_count = 0  # photos read by this stage (with or without words), for summaries and tests

    def _read_file(self, row: PhotoRow) -> PhotoText:
        if row.id in self._found:  # the gate found text on the pipeline's decode: read it in full
            return self.reader.read_file(row.path, gate=False)
        return self.reader.read_file(row.path)

    def run(self, cancel: CancelToken | None = None, interrupt: Callable[[], bool] | None = None) -> Iterator[Progress]:
        """A generator of ``Progress`` (``READING_TEXT``): done/total photos, failed, rate.  When the
        text reader itself cannot run (``ModelError``), it logs why and stops: the photos stay pending."""
        try:
            yield from self._run(cancel or CancelToken(), interrupt)
        except ModelError as exc:
            logger.warning("cannot read the text in photos: %s", exc)

    def _run(self, cancel: CancelToken, interrupt: Callable[[], bool] | None) -> Iterator[Progress]:
        engine = self.reader.version
        total = self.tables.text_counts(engine)["ocr_pending"]
        done = failed = 0
        started = time.monotonic()
        yield Progress(READING_TEXT, 0, total)
        skipped: set[int] = set()
        while True:
            rows = [r for r in self.tables.text_pending(engine, PENDING_CHUNK + len(skipped)) if r.id not in skipped]
            if not rows:
                return
            self._found = self.tables.text_found(engine, [r.id for r in rows])
            for row in rows:
                try:
                    cancel.wait_if_paused()
                except Cancelled:
                    return
                if interrupt is not None and interrupt():
                    return
                outcome = self._read_one(row, engine)
                if outcome is None:
                    skipped.add(row.id)
                    continue
                done += 1
                failed += outcome is False
                elapsed = time.monotonic() - started
                rate = done / elapsed if elapsed > 0 else 0.0
                total = max(total, done)
                eta = (total - done) / rate if rate > 0 else None
                yield Progress(READING_TEXT, done, total, rate, eta, row.path, failed)

    def _read_one(self, row: PhotoRow, engine: str) -> bool | None:
        """Read and commit one photo: True when read, False when it failed, None when it changed meanwhile."""
        if media_kind(row.path) != PHOTO:
            # videos and RAW files: the text reader reads still images (a RAW's JPEG twin is read)
            self.tables.record_text(row.id, engine, ())
            return True
        try:
            before = os.stat(row.path)
        except OSError:
            return None
        error: str | None = None
        found: PhotoText | None = None
        try:
            found = self._read(row)
        except UnreadableImage as exc:
            error = exc.reason
        except ModelError:
            raise  # the engine itself cannot run: stop the stage, the photos stay pending
        except MemoryError:
            error = "not enough memory to read the text in this image"
        except Exception as exc:  # noqa: BLE001 - nothing a file holds may stop indexing
            logger.exception("unexpected error reading the text of %s", row.path)
            error = f"unexpected error reading its text: {exc}"
        try:
            after = os.stat(row.path)
        except OSError:
            return None
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or (
            after.st_size, after.st_mtime_ns,
        ) != (row.size, row.mtime_ns):
            return None
        self.read_count += 1
        if found is None:
            logger.warning("cannot read the text in %s: %s", row.path, error)
            self.tables.record_text_failure(row.id, engine, error or "unknown error")
            return False
        self.tables.record_text(row.id, engine, ((line.text, line.confidence, line.box) for line in found.lines))
        return True


class TextGateStep:
    """The gate's verdict on a new photo, from the pipeline's one decode (its ``detail`` image, at the gate's
    size or more): a photo without text is recorded as read, with no words, and is never opened again; one with
    text is marked so that the stage reads it in full (at ``READ_SIDE``) without gating it again."""

    detail_side = GATE_DETAIL_SIDE

    def __init__(self, threads: int = 0) -> None:
        self.threads = threads  # the text reader's threads (the ``ocr_threads`` setting)
        self._broken = False  # the engine cannot run: the stage says why, the photos stay pending

    def prepare(self, row: PhotoRow, image: DecodedImage) -> object:
        if image.detail is None or self._broken or media_kind(row.path) != PHOTO:
            return None  # videos, RAW files: the stage records them without opening them
        reader = shared_reader(self.threads)
        try:
            return reader.has_text(image.detail, max(image.width, image.height))
        except ModelError as exc:
            self._broken = True
            logger.warning("cannot gate the text in photos: %s", exc)
            return None

    def record(self, catalog: Catalog, results: list[tuple[PhotoRow, object]]) -> None:
        engine = shared_reader(self.threads).version
        tables = PhotoTextTables(catalog)
        for row, found in results:
            if found is True:
                tables.record_text_found(row.id, engine)
            elif found is False:
                tables.record_text(row.id, engine, ())


class TextStage:
    """The text in photos as a ``Stage`` of a sync: reads what the current engine has not read.

    Runs when the ``ocr`` setting is on and the caller does not defer it (the watcher reads text
    when idle, through ``Library.run_stage``).  Then new photos are gated on the pipeline's decode
    (``photo_step``), and only those with text are opened again, to be read in full."""

    activity = READING_TEXT

    def __init__(self) -> None:
        self.read_count = 0  # photos read by this stage's runs (summaries, tests)
        self.gate_step = TextGateStep()

    @property
    def photo_step(self) -> PhotoStep | None:
        return self.gate_step

    def enabled(self, context: StageContext) -> bool:
        self.gate_step.threads = context.settings.ocr_threads  # the reader its photo step gates with
        return context.read_text and context.settings.ocr

    def pending(self, context: StageContext) -> int:
        engine = shared_reader(context.settings.ocr_threads).version
        return PhotoTextTables(context.catalog).text_counts(engine)["ocr_pending"]

    def run(
        self, context: StageContext, cancel: CancelToken, interrupt: Callable[[], bool] | None = None
    ) -> Iterator[Progress]:
        stage = TextReadingStage(context.catalog, shared_reader(context.settings.ocr_threads))
        try:
            yield from stage.run(cancel, interrupt)
        finally:
            self.read_count += stage.read_count
