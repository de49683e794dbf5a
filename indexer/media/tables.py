"""The catalog's videos and their frames, and the companions of stills: ``MediaTables(catalog)``.

A video is one row of ``photos`` like any photo, with one vector in
``embeddings`` (the frame that stands for it, which the vector index holds)
and one row in ``videos`` (its length).  ``video_frames`` holds, per model,
every frame kept with its time and vector: searches score a video by its
best frame.  Frames are written in the same transaction as the video's
vector (so the model's checkpoint covers them too) and go with the photo
(``ON DELETE CASCADE``); frames of a video whose vector was removed (a file
that changed and waits to be indexed again) are never read.  The catalog's
core copies a video's rows to an identical twin file (``copy_vectors``).

``photo_companions`` (the media slice's own table, ``media/schema.py``) holds
the files that go with a still (a RAW, a Live Photo's movie), as the scan
found them; a search reads them for a page of hits in one query per 900.

Reading works through any catalog; ``record_video`` and
``record_companions`` (``self: MediaTables[Catalog]``) only through the
writer's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.catalog import Catalog, encode_path
from indexer.catalog_reading import C, CatalogPart, chunks
from indexer.catalog_rows import decode_path
from indexer.media.frame_search import StoredFrames

Companions = tuple[tuple[Path, str], ...]  # (path, "raw" | "motion") of each file that goes with a still
_FEW = 2000  # photos whose stored companions are looked up one by one; more: the whole table is read


class MediaTables(CatalogPart[C]):
    """The ``videos``, ``video_frames`` and ``photo_companions`` tables."""

    def record_video(self: MediaTables[Catalog], photo_id: int, model: str, duration: float | None,
                     times: Sequence[float], vectors: np.ndarray) -> None:
        """Store a video's length and its frames' times and vectors for ``model`` (call inside a transaction)."""
        self.conn.execute(
            "INSERT OR REPLACE INTO videos(photo_id, duration) VALUES (?, ?)", (photo_id, duration)
        )
        self.conn.execute("DELETE FROM video_frames WHERE model=? AND photo_id=?", (model, photo_id))
        self.conn.executemany(
            "INSERT INTO video_frames(photo_id, model, frame, time, vector) VALUES (?, ?, ?, ?, ?)",
            [(photo_id, model, i, float(t), np.ascontiguousarray(v, dtype=np.float32).tobytes())
             for i, (t, v) in enumerate(zip(times, vectors))],
        )

    def stored_frames(self, model: str, dim: int) -> StoredFrames:
        """The frames of ``model``'s indexed videos (those whose vector is stored)."""
        rows = self._read(
            "SELECT f.photo_id, f.frame, f.time, f.vector FROM video_frames f "
            "JOIN embeddings e ON e.model = f.model AND e.photo_id = f.photo_id "
            "WHERE f.model=? ORDER BY f.photo_id, f.frame",
            (model,),
        )
        rows = [r for r in rows if len(r[3]) == 4 * dim]
        vectors = (np.frombuffer(b"".join(r[3] for r in rows), dtype=np.float32).reshape(len(rows), dim)
                   if rows else np.zeros((0, dim), dtype=np.float32))
        return StoredFrames(
            np.array([r[0] for r in rows], dtype=np.int64),
            np.array([r[1] for r in rows], dtype=np.int32),
            np.array([r[2] for r in rows], dtype=np.float64),
            vectors,
        )

    def frames_signature(self, model: str) -> tuple[int, float, float]:
        """What changes whenever ``stored_frames(model)`` would (frames added, removed, replaced), without
        reading a vector: their count and the sums of their videos' ids and vector sequence numbers."""
        rows = self._read(
            "SELECT COUNT(*), TOTAL(f.photo_id), TOTAL(e.seq) FROM video_frames f "
            "JOIN embeddings e ON e.model = f.model AND e.photo_id = f.photo_id WHERE f.model=?",
            (model,),
        )
        return (int(rows[0][0]), float(rows[0][1]), float(rows[0][2])) if rows else (0, 0.0, 0.0)

    def video_durations(self, ids: Sequence[int]) -> dict[int, float | None]:
        """The length in seconds of those of ``ids`` that are indexed videos (None: not known)."""
        out: dict[int, float | None] = {}
        ids = list(ids)
        for start in range(0, len(ids), 900):
            chunk = ids[start:start + 900]
            marks = ",".join("?" * len(chunk))
            for pid, duration in self._read(
                f"SELECT photo_id, duration FROM videos WHERE photo_id IN ({marks})", tuple(chunk)
            ):
                out[int(pid)] = None if duration is None else float(duration)
        return out

    def count_videos(self, model: str | None) -> int:
        """Indexed videos of ``model`` (videos waiting or failed are counted as photos are: pending, failed).

        Counted from ``videos``, not from the file names of every photo: reading every path costs
        1.5 s at a million photos, this a lookup per video.
        """
        if not model:
            return 0
        rows = self._read(
            "SELECT COUNT(*) FROM videos v JOIN embeddings e ON e.photo_id = v.photo_id AND e.model = ? "
            "JOIN photos p ON p.id = v.photo_id WHERE p.status = 'ok'",
            (model,),
        )
        return int(rows[0][0]) if rows else 0

    def record_companions(self: MediaTables[Catalog], found: Mapping[int, Companions]) -> int:
        """Make the stored companions of each photo of ``found`` what the scan found (none: an empty
        tuple), writing only what differs (call inside a transaction).  Returns the photos changed."""
        stored = self._stored(found.keys())
        rows = {pid: {(encode_path(path), role) for path, role in now} for pid, now in found.items() if now}
        changed = [pid for pid in found if rows.get(pid, set()) != stored.get(pid, set())]
        for chunk in chunks(changed):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(f"DELETE FROM photo_companions WHERE photo_id IN ({marks})", tuple(chunk))
        self.conn.executemany(
            "INSERT OR REPLACE INTO photo_companions(photo_id, path, role) VALUES (?, ?, ?)",
            [(pid, path, role) for pid in changed for path, role in rows.get(pid, ())],
        )
        return len(changed)

    def _stored(self, ids: Collection[int]) -> dict[int, set[tuple[bytes, str]]]:
        """The stored companions of ``ids`` as rows: looked up by id for a few photos; for a scan of many,
        one pass over the table (it holds only the stills that have companions)."""
        selects: list[tuple[str, tuple[int, ...]]] = [("", ())]
        if len(ids) <= _FEW:
            selects = [(f"WHERE photo_id IN ({','.join('?' * len(c))})", tuple(c)) for c in chunks(list(ids))]
        out: dict[int, set[tuple[bytes, str]]] = {}
        for where, params in selects:
            for pid, path, role in self._read(f"SELECT photo_id, path, role FROM photo_companions {where}", params):
                if pid in ids:
                    out.setdefault(int(pid), set()).add((bytes(path), str(role)))
        return out

    def companions(self, ids: Sequence[int]) -> dict[int, Companions]:
        """The files that go with those of ``ids`` that have any, sorted by path; files that are photos of
        their own are left out (the rule that paired them was turned off and no scan followed yet)."""
        out: dict[int, list[tuple[Path, str]]] = {}
        for chunk in chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for pid, path, role in self._read(
                f"SELECT c.photo_id, c.path, c.role FROM photo_companions c WHERE c.photo_id IN ({marks}) "
                "AND NOT EXISTS (SELECT 1 FROM photos p WHERE p.path = c.path) ORDER BY c.photo_id, c.path",
                tuple(chunk),
            ):
                out.setdefault(int(pid), []).append((decode_path(path), str(role)))
        return {pid: tuple(found) for pid, found in out.items()}

    def _read(self, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        """The rows of a query on the media tables; none from a catalog that predates them (a reader
        may open a catalog that no writer of this version has migrated yet)."""
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
