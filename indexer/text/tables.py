"""The catalog's text found in photos, ``PhotoTextTables(catalog)``: lines read, their full-text index,
and which engine version read each photo.

A photo's lines and its ``photo_text`` row ("read by engine V", or "failed: why") are written in
one transaction, so a kill leaves a photo either read completely or not at all.  The full-text
index ``photo_text_lines_fts`` follows ``photo_text_lines`` through triggers (same transaction);
deleting a photo deletes its lines (foreign keys), a moved photo keeps them (same id), and a
changed file forgets them (the catalog's ``mark_changed``) until it is read again.  Reading works
through any catalog; writing (``self: PhotoTextTables[Catalog]``) only through the writer's.

Searching: ``photos_with_terms`` finds the photos whose lines hold every term (a word, a prefix,
or a phrase; see ``indexer.text.words``) and the lines that matched.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from indexer.catalog import Catalog
from indexer.catalog_reading import C, CatalogPart, chunks
from indexer.catalog_rows import PhotoRow

MAX_TERM_LINES = 50_000  # lines read per search term: bounds a search for a very common word


def found_mark(engine: str) -> str:
    """The ``photo_text.engine`` of a photo whose text ``engine``'s gate found but that is not read yet (never
    an engine's own version, so the photo still counts as pending for it)."""
    return f"{engine}+gate-found"


class TextLineRow(NamedTuple):
    """One stored line of a photo: its text, confidence and box (four (x, y) corners, original pixels)."""

    text: str
    confidence: float
    box: tuple[tuple[float, float], ...]


class TextFailure(NamedTuple):
    photo: PhotoRow
    reason: str


class PhotoTextTables(CatalogPart[C]):
    """The ``photo_text``, ``photo_text_lines`` and ``photo_text_lines_fts`` tables."""

    # -- writing (the writer's thread, inside its transactions) ---------------

    def record_text(
        self: PhotoTextTables[Catalog], photo_id: int, engine: str,
        lines: Iterable[tuple[str, float, Sequence[tuple[float, float]]]],
    ) -> None:
        """Replace a photo's lines with ``lines`` (text, confidence, corners) read by ``engine``."""
        with self.catalog.transaction():
            self.conn.execute("DELETE FROM photo_text_lines WHERE photo_id=?", (photo_id,))
            count = 0
            for text, confidence, box in lines:
                self.conn.execute(
                    "INSERT INTO photo_text_lines(photo_id, text, confidence, box) VALUES (?, ?, ?, ?)",
                    (photo_id, text, float(confidence), json.dumps([[float(x), float(y)] for x, y in box])),
                )
                count += 1
            self.conn.execute(
                "INSERT OR REPLACE INTO photo_text(photo_id, engine, lines, error, read_at) VALUES (?, ?, ?, NULL, ?)",
                (photo_id, engine, count, time.time()),
            )

    def record_text_failure(self: PhotoTextTables[Catalog], photo_id: int, engine: str, reason: str) -> None:
        """``engine`` could not read the photo: no lines, and the reason (listed by ``failures``)."""
        with self.catalog.transaction():
            self.conn.execute("DELETE FROM photo_text_lines WHERE photo_id=?", (photo_id,))
            self.conn.execute(
                "INSERT OR REPLACE INTO photo_text(photo_id, engine, lines, error, read_at) VALUES (?, ?, 0, ?, ?)",
                (photo_id, engine, reason, time.time()),
            )

    def record_text_found(self: PhotoTextTables[Catalog], photo_id: int, engine: str) -> None:
        """``engine``'s gate found text in the photo: it stays pending for ``engine``, to be read in full
        without being gated again (``text_found``)."""
        with self.catalog.transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO photo_text(photo_id, engine, lines, error, read_at) VALUES (?, ?, 0, NULL, ?)",
                (photo_id, found_mark(engine), time.time()),
            )

    def text_found(self, engine: str, ids: Sequence[int]) -> set[int]:
        """Which of these photos ``engine``'s gate found text in (``record_text_found``) since their files
        last changed."""
        found: set[int] = set()
        for chunk in chunks(list(ids), 900):
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT photo_id FROM photo_text WHERE engine=? AND photo_id IN ({marks})",
                (found_mark(engine), *chunk),
            )
            found.update(r[0] for r in rows)
        return found

    # -- reading ----------------------------------------------------------------

    def text_pending(self, engine: str, limit: int | None = None) -> list[PhotoRow]:
        """Readable photos (in online folders) that ``engine`` has not read yet, oldest first."""
        sql = (
            "WHERE status='ok' AND folder_id IN (SELECT id FROM folders WHERE online=1) "
            "AND id NOT IN (SELECT photo_id FROM photo_text WHERE engine=?) ORDER BY id"
        )
        params: tuple[object, ...] = (engine,)
        if limit is not None:
            sql += " LIMIT ?"
            params = (engine, limit)
        return self.catalog.photo_rows(sql, params)

    def text_counts(self, engine: str) -> dict[str, int]:
        """``ocr_done``: photos ``engine`` has read (with or without words); ``ocr_pending``: readable
        photos it has not read yet; ``ocr_failed``: photos it could not read."""
        done, failed = self.conn.execute(
            "SELECT COALESCE(SUM(t.error IS NULL), 0), COALESCE(SUM(t.error IS NOT NULL), 0) "
            "FROM photo_text t JOIN photos p ON p.id = t.photo_id WHERE t.engine=? AND p.status='ok'",
            (engine,),
        ).fetchone()
        readable = self.conn.execute("SELECT COUNT(*) FROM photos WHERE status='ok'").fetchone()[0]
        return {"ocr_done": done, "ocr_pending": max(0, readable - done - failed), "ocr_failed": failed}

    def text_failures(self) -> list[TextFailure]:
        """Photos whose text could not be read (by the engine that last tried), by path."""
        rows = self.conn.execute(
            "SELECT p.id, t.error FROM photo_text t JOIN photos p ON p.id = t.photo_id "
            "WHERE t.error IS NOT NULL AND p.status='ok'"
        ).fetchall()
        reasons = {r[0]: str(r[1]) for r in rows}
        photos = [p for i in chunks(list(reasons)) for p in self.catalog.photo_rows(
            f"WHERE id IN ({','.join('?' * len(i))})", tuple(i))]
        return sorted((TextFailure(p, reasons[p.id]) for p in photos), key=lambda f: bytes(f.photo.path))

    def photo_text(self, photo_id: int) -> list[TextLineRow]:
        """A photo's lines, in reading order."""
        rows = self.conn.execute(
            "SELECT text, confidence, box FROM photo_text_lines WHERE photo_id=? ORDER BY id", (photo_id,)
        ).fetchall()
        return [TextLineRow(r[0], r[1], _box(r[2])) for r in rows]

    def photo_texts(self, ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """The lines read in each of ``ids`` that has any, in reading order."""
        out: dict[int, list[str]] = {}
        for chunk in chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for pid, text in self.conn.execute(
                f"SELECT photo_id, text FROM photo_text_lines WHERE photo_id IN ({marks}) ORDER BY id", tuple(chunk)
            ):
                out.setdefault(pid, []).append(text)
        return {pid: tuple(lines) for pid, lines in out.items()}

    def photo_lines(self, ids: Sequence[int]) -> dict[int, list[TextLineRow]]:
        """The lines (with confidence and box) of each of ``ids`` that has any, in reading order."""
        out: dict[int, list[TextLineRow]] = {}
        for chunk in chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for pid, text, confidence, box in self.conn.execute(
                f"SELECT photo_id, text, confidence, box FROM photo_text_lines WHERE photo_id IN ({marks}) "
                "ORDER BY id", tuple(chunk)
            ):
                out.setdefault(pid, []).append(TextLineRow(text, confidence, _box(box)))
        return out

    def photos_with_terms(
        self, terms: Sequence[str], within: set[int] | None = None, min_terms: int | None = None
    ) -> dict[int, tuple[int, list[tuple[int, TextLineRow]]]]:
        """Photos whose lines, together, hold at least ``min_terms`` (default: every one) of the FTS5
        ``terms`` (each a ready MATCH expression): photo id -> (how many terms it holds, the lines that
        matched a term as (how many terms the line holds, line))."""
        if not terms:
            return {}
        need = len(terms) if min_terms is None else max(1, min(min_terms, len(terms)))
        photo_terms: dict[int, int] = {}
        line_terms: dict[int, int] = {}
        line_photo: dict[int, int] = {}
        for i, term in enumerate(terms):
            found: set[int] = set()
            for line_id, photo_id in self.conn.execute(
                "SELECT l.id, l.photo_id FROM photo_text_lines_fts f JOIN photo_text_lines l ON l.id = f.rowid "
                "WHERE photo_text_lines_fts MATCH ? LIMIT ?",
                (term, MAX_TERM_LINES),
            ):
                if within is None or photo_id in within:
                    found.add(photo_id)
                    line_terms[line_id] = line_terms.get(line_id, 0) + 1
                    line_photo[line_id] = photo_id
            for photo_id in found:
                photo_terms[photo_id] = photo_terms.get(photo_id, 0) + 1
            left = len(terms) - i - 1
            if left < need and not any(n + left >= need for n in photo_terms.values()):
                return {}  # no photo can reach ``need`` any more
        photos = {pid for pid, n in photo_terms.items() if n >= need}
        keep = [lid for lid, pid in line_photo.items() if pid in photos]
        lines: dict[int, list[tuple[int, TextLineRow]]] = {pid: [] for pid in photos}
        for chunk in chunks(keep):
            marks = ",".join("?" * len(chunk))
            for lid, pid, text, confidence, box in self.conn.execute(
                f"SELECT id, photo_id, text, confidence, box FROM photo_text_lines WHERE id IN ({marks})",
                tuple(chunk),
            ):
                lines[pid].append((line_terms[lid], TextLineRow(text, confidence, _box(box))))
        return {pid: (photo_terms[pid], found_lines) for pid, found_lines in lines.items()}


def _box(text: str) -> tuple[tuple[float, float], ...]:
    try:
        corners = json.loads(text)
        return tuple((float(x), float(y)) for x, y in corners)
    except (ValueError, TypeError):
        return ()



__all__ = ["PhotoTextTables", "TextFailure", "TextLineRow"]
