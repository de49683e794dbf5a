"""The catalog's people: ``PeopleTables(catalog)`` over the tables of ``indexer.people.schema``.

Reading works through any catalog (a reader's, read-only); the methods that write declare
``self: PeopleTables[Catalog]`` and so work only through the writer's.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.catalog import Catalog
from indexer.catalog_reading import C, CatalogPart, CatalogReading, chunks
from indexer.catalog_rows import decode_path
from indexer.people.faces import Face
from indexer.people.grouping import FaceItem
from indexer.people.names import fold

# Indexed photos in online folders whose current file version has not been looked at for faces.
_UNSCANNED = (
    "LEFT JOIN face_scans fs ON fs.photo_id = p.id "
    "WHERE p.status = 'ok' AND p.folder_id IN (SELECT id FROM folders WHERE online=1) "
    "AND EXISTS (SELECT 1 FROM embeddings e WHERE e.photo_id = p.id) "
    "AND (fs.photo_id IS NULL OR fs.size != p.size OR fs.mtime_ns != p.mtime_ns)"
)


@dataclass(frozen=True)
class Person:
    """A person of the library: its name (None until the user gives one), faces and photos."""

    id: int
    name: str | None
    faces: int
    photos: int
    hidden: bool = False

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "faces": self.faces, "photos": self.photos}


@dataclass(frozen=True)
class PersonPhoto:
    """A photo of a person and where the person's face is in it (x, y, width, height in the original's pixels)."""

    photo_id: int
    path: Path
    box: tuple[int, int, int, int]

    def to_json(self) -> dict[str, object]:
        return {"path": str(self.path), "box": list(self.box)}


def _vector(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32)


class PeopleTables(CatalogPart[C]):
    """Faces, people and the user's decisions about them."""

    _ready = False

    def has_people(self) -> bool:
        """Whether the catalog has the people tables (an older catalog read without migrating has none)."""
        if not self._ready:
            self._ready = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='faces'").fetchone() is not None
        return self._ready

    # -- what there is ----------------------------------------------------------------

    def counts(self) -> tuple[int, int]:
        """(faces found, people) -- people with at least one face."""
        if not self.has_people():
            return 0, 0
        faces = self.conn.execute("SELECT COUNT(*) FROM faces").fetchone()[0]
        people = self.conn.execute("SELECT COUNT(DISTINCT person_id) FROM faces WHERE person_id IS NOT NULL")
        return int(faces), int(people.fetchone()[0])

    def people(self, *, hidden: bool = True) -> list[Person]:
        """Every person with a face, most photos first (named before unnamed on a tie)."""
        if not self.has_people():
            return []
        rows = self.conn.execute(
            "SELECT pe.id, pe.name, COUNT(f.id), COUNT(DISTINCT f.photo_id), pe.hidden FROM people pe "
            "JOIN faces f ON f.person_id = pe.id GROUP BY pe.id "
            "ORDER BY COUNT(DISTINCT f.photo_id) DESC, pe.name IS NULL, pe.name, pe.id").fetchall()
        return [Person(int(r[0]), r[1], int(r[2]), int(r[3]), bool(r[4])) for r in rows if hidden or not r[4]]

    def person(self, person_id: int) -> Person | None:
        return next((p for p in self.people() if p.id == person_id), None)

    def person_photos(self, person_id: int) -> list[PersonPhoto]:
        """The photos of a person, newest taken first, each with the person's face in it."""
        if not self.has_people():
            return []
        rows = self.conn.execute(
            "SELECT p.id, p.path, f.x, f.y, f.w, f.h FROM faces f JOIN photos p ON p.id = f.photo_id "
            "WHERE f.person_id = ? ORDER BY p.taken_at DESC, p.path", (person_id,)).fetchall()
        return [PersonPhoto(int(r[0]), decode_path(r[1]), (int(r[2]), int(r[3]), int(r[4]), int(r[5]))) for r in rows]

    def named(self) -> list[tuple[int, str, str]]:
        """(id, name, folded name) of the people the user named."""
        if not self.has_people():
            return []
        rows = self.conn.execute("SELECT id, name, folded FROM people WHERE name IS NOT NULL ORDER BY id")
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def people_named(self, name: str) -> list[int]:
        """Ids of the people called ``name`` (case and accents aside)."""
        if not self.has_people():
            return []
        rows = self.conn.execute("SELECT id FROM people WHERE folded = ?", (fold(name.strip()),))
        return [int(r[0]) for r in rows]

    def photos_with(self, person_ids: Iterable[int]) -> set[int]:
        """Ids of the photos where any of these people is."""
        ids = list(person_ids)
        if not ids or not self.has_people():
            return set()
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(f"SELECT DISTINCT photo_id FROM faces WHERE person_id IN ({marks})", tuple(ids))
        return {int(r[0]) for r in rows}

    def hit_people(self, photo_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """The names of the named people in each of these photos (left to right)."""
        if not self.has_people():
            return {}
        out: dict[int, list[str]] = {}
        for chunk in chunks(list(photo_ids)):
            marks = ",".join("?" * len(chunk))
            for photo, name in self.conn.execute(
                f"SELECT f.photo_id, pe.name FROM faces f JOIN people pe ON pe.id = f.person_id "
                f"WHERE pe.name IS NOT NULL AND f.photo_id IN ({marks}) ORDER BY f.photo_id, f.x", tuple(chunk)):
                out.setdefault(int(photo), []).append(str(name))
        return {k: tuple(v) for k, v in out.items()}

    def has_any(self) -> bool:
        """Whether anything about faces is stored (a face, a photo looked at, a person)."""
        if not self.has_people():
            return False
        return any(self.conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()  # noqa: S608 - fixed names
                   for t in ("faces", "face_scans", "people", "face_rejections"))

    def unscanned(self) -> int:
        """How many indexed photos wait to be looked at for faces."""
        if not self.has_people():
            return 0
        return int(self.conn.execute(f"SELECT COUNT(*) FROM photos p {_UNSCANNED}").fetchone()[0])

    def photos_unscanned(self, limit: int) -> list[tuple[int, Path, int, int]]:
        """(id, path, size, mtime_ns) of indexed photos not looked at for faces in their current version."""
        rows = self.conn.execute(
            f"SELECT p.id, p.path, p.size, p.mtime_ns FROM photos p {_UNSCANNED} ORDER BY p.id LIMIT ?", (limit,))
        return [(int(r[0]), decode_path(r[1]), int(r[2]), int(r[3])) for r in rows]

    def ungrouped(self) -> int:
        """Faces found since grouping last ran."""
        if not self.has_people():
            return 0
        return int(self.conn.execute("SELECT COUNT(*) FROM faces WHERE grouped = 0").fetchone()[0])

    # -- what grouping reads ----------------------------------------------------------

    def unassigned_faces(self) -> list[FaceItem]:
        rejected: dict[int, set[int]] = {}
        for face, person in self.conn.execute("SELECT face_id, person_id FROM face_rejections"):
            rejected.setdefault(int(face), set()).add(int(person))
        rows = self.conn.execute("SELECT id, photo_id, vector FROM faces WHERE person_id IS NULL ORDER BY id")
        return [FaceItem(int(r[0]), int(r[1]), _vector(r[2]), frozenset(rejected.get(int(r[0]), ())))
                for r in rows]

    def members(self) -> dict[int, list[FaceItem]]:
        """Each person's faces (visible or hidden)."""
        out: dict[int, list[FaceItem]] = {}
        for r in self.conn.execute("SELECT id, photo_id, vector, person_id FROM faces WHERE person_id IS NOT NULL"):
            out.setdefault(int(r[3]), []).append(FaceItem(int(r[0]), int(r[1]), _vector(r[2])))
        return out

    # -- writing ----------------------------------------------------------------------

    def record_faces(self: PeopleTables[Catalog], photo_id: int, size: int, mtime_ns: int,
                     faces: Sequence[Face]) -> None:
        """Store the faces found in a photo's current version, replacing any found in an earlier one."""
        self.conn.execute("DELETE FROM faces WHERE photo_id = ?", (photo_id,))
        for face in faces:
            x, y, w, h = face.box
            self.conn.execute(
                "INSERT INTO faces(photo_id, x, y, w, h, score, vector) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (photo_id, x, y, w, h, face.score, np.asarray(face.vector, dtype=np.float32).tobytes()))
        self.conn.execute(
            "INSERT INTO face_scans(photo_id, size, mtime_ns, faces) VALUES (?, ?, ?, ?) ON CONFLICT(photo_id) "
            "DO UPDATE SET size=excluded.size, mtime_ns=excluded.mtime_ns, faces=excluded.faces",
            (photo_id, size, mtime_ns, len(faces)))

    def assign(self: PeopleTables[Catalog], assignments: dict[int, int]) -> None:
        for face, person in assignments.items():
            self.conn.execute("UPDATE faces SET person_id = ? WHERE id = ?", (person, face))

    def new_person(self: PeopleTables[Catalog], face_ids: Sequence[int]) -> int:
        cur = self.conn.execute("INSERT INTO people(created_at) VALUES (?)", (time.time(),))
        assert cur.lastrowid is not None
        self.assign(dict.fromkeys(face_ids, cur.lastrowid))
        return cur.lastrowid

    def mark_grouped(self: PeopleTables[Catalog]) -> None:
        self.conn.execute("UPDATE faces SET grouped = 1 WHERE grouped = 0")

    def name(self: PeopleTables[Catalog], person_id: int, name: str) -> None:
        clean = " ".join(name.split())
        self.conn.execute("UPDATE people SET name = ?, folded = ? WHERE id = ?",
                          (clean or None, fold(clean) if clean else None, person_id))

    def hide(self: PeopleTables[Catalog], person_id: int, hidden: bool = True) -> None:
        self.conn.execute("UPDATE people SET hidden = ? WHERE id = ?", (int(hidden), person_id))

    def merge(self: PeopleTables[Catalog], into: int, others: Sequence[int]) -> None:
        """Put the faces of ``others`` with ``into`` (which keeps its name, or takes the first other's)."""
        for other in others:
            if other == into:
                continue
            self.conn.execute("UPDATE faces SET person_id = ? WHERE person_id = ?", (into, other))
            self.conn.execute(
                "UPDATE people SET name = COALESCE(people.name, o.name), folded = COALESCE(people.folded, o.folded) "
                "FROM people o WHERE people.id = ? AND o.id = ?", (into, other))
            self.conn.execute("UPDATE OR IGNORE face_rejections SET person_id = ? WHERE person_id = ?", (into, other))
            self.conn.execute("DELETE FROM people WHERE id = ?", (other,))

    def move_out(self: PeopleTables[Catalog], face_id: int) -> None:
        """The user says this face is not its person: it leaves them and never joins them again."""
        row = self.conn.execute("SELECT person_id FROM faces WHERE id = ?", (face_id,)).fetchone()
        if row is None or row[0] is None:
            return
        self.conn.execute("INSERT OR IGNORE INTO face_rejections(face_id, person_id) VALUES (?, ?)", (face_id, row[0]))
        self.conn.execute("UPDATE faces SET person_id = NULL, grouped = 1 WHERE id = ?", (face_id,))

    def forget(self: PeopleTables[Catalog], person_id: int) -> int:
        """Delete a person and every face of theirs (vectors included); returns how many faces."""
        cur = self.conn.execute("DELETE FROM faces WHERE person_id = ?", (person_id,))
        self.conn.execute("DELETE FROM people WHERE id = ?", (person_id,))
        return cur.rowcount

    def forget_all(self: PeopleTables[Catalog]) -> None:
        """Delete every face, person and decision: nothing about faces is left in the catalog."""
        for table in ("face_rejections", "faces", "face_scans", "people"):
            self.conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names


def people_status(catalog: CatalogReading) -> dict[str, int]:
    """``status``'s people counts: faces found, and people they were grouped into."""
    faces, people = PeopleTables(catalog).counts()
    return {"faces": faces, "people": people}
