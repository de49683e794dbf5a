"""The catalog's places: where photos were taken, ``PlaceTables(catalog)``.

``photo_places`` has a row per photo whose place has been recorded (for the
file version in ``size``, ``mtime_ns``; its position is the one the embedding
read from the photo's EXIF into ``photos.lat/lon``); ``places`` the GeoNames
places those photos are in.  Reading works through any catalog;
``record_places`` (``self: PlaceTables[Catalog]``) only through the writer's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from indexer.catalog import Catalog
from indexer.catalog_reading import C, CatalogPart
from indexer.places.gazetteer import Place
from indexer.places.geometry import bounding_box, distance_km
from indexer.places.names import fold


@dataclass(frozen=True)
class PlaceReading:
    """What reading one photo's GPS gave: its file version, position and place (or why it has none)."""

    photo_id: int
    size: int
    mtime_ns: int
    position: tuple[float, float] | None
    place: Place | None
    refused: str | None = None


@dataclass(frozen=True)
class PlaceCount:
    """A place of the library and how many photos were taken there."""

    place: Place
    photos: int


@dataclass(frozen=True)
class PhotoPlace:
    """Where one photo was taken, for showing it."""

    lat: float
    lon: float
    label: str | None  # "Lisbon, Portugal"; None far from every place


# Indexed photos (their EXIF metadata is current: a changed file loses its vectors until it is embedded
# again) in online folders, without a place recorded for their current file version.
_UNPLACED = (
    "LEFT JOIN photo_places pp ON pp.photo_id = p.id "
    "WHERE p.folder_id IN (SELECT id FROM folders WHERE online=1) "
    "AND EXISTS (SELECT 1 FROM models m JOIN embeddings e ON e.model = m.name AND e.photo_id = p.id) "
    "AND (pp.photo_id IS NULL OR pp.size != p.size OR pp.mtime_ns != p.mtime_ns)"
)
PLACE_COLUMNS = "pl.id, pl.name, pl.lat, pl.lon, pl.population, pl.country_code, pl.region, pl.country"


def place_of_row(row: Sequence[Any]) -> Place:
    pid, name, lat, lon, population, cc, region, country = row
    return Place(int(pid), str(name), float(lat), float(lon), int(population), str(cc),
                 str(region) if region is not None else None, str(country))


class PlaceTables(CatalogPart[C]):
    """The ``photo_places`` and ``places`` tables."""

    _places_ready = False

    def has_places(self) -> bool:
        """Whether the catalog has the place tables: a catalog of an older version read without being
        migrated (a read-only backup disk) has none, and then no photo has a place."""
        if not self._places_ready:
            self._places_ready = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='photo_places'").fetchone() is not None
        return self._places_ready

    def photos_without_place(self, limit: int) -> list[tuple[int, int, int, float | None, float | None]]:
        """(id, size, mtime_ns, lat, lon) of indexed photos in online folders whose place has not been recorded
        for their current file version, oldest first: ``lat``/``lon`` are the position the embedding read from
        the photo's EXIF (its metadata, current once the photo has a vector)."""
        rows = self.conn.execute(
            f"SELECT p.id, p.size, p.mtime_ns, p.lat, p.lon FROM photos p {_UNPLACED} ORDER BY p.id LIMIT ?",
            (limit,),
        ).fetchall()
        return [(int(r[0]), int(r[1]), int(r[2]), r[3], r[4]) for r in rows]

    def places_unread(self) -> int:
        """How many indexed photos (in online folders) still wait for their place to be recorded."""
        row = self.conn.execute(f"SELECT COUNT(*) FROM photos p {_UNPLACED}").fetchone()
        return int(row[0])

    def record_places(self: PlaceTables[Catalog], readings: Sequence[PlaceReading]) -> None:
        """Store what reading photos' GPS gave (the caller holds the transaction)."""
        for r in readings:
            if r.place is not None:
                p = r.place
                # Upserts, not INSERT OR REPLACE: a row replaced that way fires no delete trigger, and the
                # triggers keep the place-name index and the places photos are in (catalog_schema).
                self.conn.execute(
                    "INSERT INTO places(id, name, folded, region, country_code, country, lat, lon, population) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name=excluded.name, "
                    "folded=excluded.folded, region=excluded.region, country_code=excluded.country_code, "
                    "country=excluded.country, lat=excluded.lat, lon=excluded.lon, population=excluded.population "
                    "WHERE (name, folded, region, country_code, country, lat, lon, population) IS NOT (excluded.name, "
                    "excluded.folded, excluded.region, excluded.country_code, excluded.country, excluded.lat, "
                    "excluded.lon, excluded.population)",  # unchanged: no write, and no re-indexing
                    (p.id, p.name, fold(p.name), p.region, p.country_code, p.country, p.lat, p.lon, p.population),
                )
            lat, lon = r.position if r.position is not None else (None, None)
            self.conn.execute(
                "INSERT INTO photo_places(photo_id, size, mtime_ns, lat, lon, place_id, refused) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(photo_id) DO UPDATE SET size=excluded.size, "
                "mtime_ns=excluded.mtime_ns, lat=excluded.lat, lon=excluded.lon, place_id=excluded.place_id, "
                "refused=excluded.refused",
                (r.photo_id, r.size, r.mtime_ns, lat, lon, r.place.id if r.place else None, r.refused),
            )

    # -- what the library has ------------------------------------------------------

    def place_counts(self) -> list[PlaceCount]:
        """The places photos were taken in, with their numbers of photos, most photos first."""
        if not self.has_places():
            return []
        rows = self.conn.execute(
            f"SELECT {PLACE_COLUMNS}, COUNT(*) AS n FROM photo_places pp JOIN places pl ON pl.id = pp.place_id "
            "JOIN photos p ON p.id = pp.photo_id AND p.size = pp.size AND p.mtime_ns = pp.mtime_ns "
            "GROUP BY pl.id ORDER BY n DESC, pl.name"
        ).fetchall()
        return [PlaceCount(place_of_row(r[:8]), int(r[8])) for r in rows]

    def library_places_named(self, folded: str) -> list[Place]:
        """Places of the library's photos whose name folds to ``folded``."""
        if not self.has_places():
            return []
        rows = self.conn.execute(f"SELECT {PLACE_COLUMNS} FROM places pl WHERE pl.folded = ?", (folded,)).fetchall()
        return [place_of_row(r) for r in rows]

    # -- filters -------------------------------------------------------------------

    def photos_near(self, lat: float, lon: float, km: float) -> set[int]:
        """Ids of photos taken within ``km`` of a position."""
        if not self.has_places():
            return set()
        lat_lo, lat_hi, lon_lo, lon_hi = bounding_box(lat, lon, km)
        lon_clause = "pp.lon BETWEEN ? AND ?" if lon_lo <= lon_hi else "(pp.lon >= ? OR pp.lon <= ?)"
        rows = self.conn.execute(
            f"SELECT pp.photo_id, pp.lat, pp.lon FROM photo_places pp WHERE pp.lat BETWEEN ? AND ? AND {lon_clause}",
            (lat_lo, lat_hi, lon_lo, lon_hi),
        )
        return {r[0] for r in rows if distance_km(lat, lon, r[1], r[2]) <= km + 1e-9}

    def photos_at_places(self, place_ids: Sequence[int]) -> set[int]:
        if not place_ids or not self.has_places():
            return set()
        marks = ",".join("?" * len(place_ids))
        rows = self.conn.execute(f"SELECT photo_id FROM photo_places WHERE place_id IN ({marks})", tuple(place_ids))
        return {r[0] for r in rows}

    def photos_in_country(self, country_code: str) -> set[int]:
        if not self.has_places():
            return set()
        rows = self.conn.execute(
            "SELECT pp.photo_id FROM photo_places pp JOIN places pl ON pl.id = pp.place_id WHERE pl.country_code = ?",
            (country_code,),
        )
        return {r[0] for r in rows}

    def photos_in_region(self, country_code: str, region: str) -> set[int]:
        """Ids of the photos geocoded to a place in a first-level region ("Bavaria" of "DE")."""
        if not self.has_places():
            return set()
        rows = self.conn.execute(
            "SELECT pp.photo_id FROM photo_places pp JOIN places pl ON pl.id = pp.place_id "
            "WHERE pl.country_code = ? AND pl.region = ?",
            (country_code, region),
        )
        return {r[0] for r in rows}

    def hit_places(self, ids: Sequence[int]) -> dict[int, PhotoPlace]:
        """Where each of these photos was taken (photos without a position are left out)."""
        if not self.has_places():
            return {}
        out: dict[int, PhotoPlace] = {}
        items = list(ids)
        for start in range(0, len(items), 900):
            chunk = items[start:start + 900]
            marks = ",".join("?" * len(chunk))
            for r in self.conn.execute(
                f"SELECT pp.photo_id, pp.lat, pp.lon, {PLACE_COLUMNS} FROM photo_places pp "
                f"LEFT JOIN places pl ON pl.id = pp.place_id WHERE pp.lat IS NOT NULL AND pp.photo_id IN ({marks})",
                tuple(chunk),
            ):
                label = place_of_row(r[3:]).label if r[3] is not None else None
                if math.isfinite(r[1]) and math.isfinite(r[2]):
                    out[r[0]] = PhotoPlace(float(r[1]), float(r[2]), label)
        return out
