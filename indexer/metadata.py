"""Photo metadata from EXIF: date taken, camera, GPS position."""

from __future__ import annotations

import logging
from datetime import datetime

from PIL import ExifTags, Image

from indexer.catalog import PhotoMeta
from indexer.gps import gps_from_exif

logger = logging.getLogger(__name__)

_EXIF_IFD = ExifTags.IFD.Exif
_DATE_TAGS = (ExifTags.Base.DateTimeOriginal, ExifTags.Base.DateTimeDigitized)


def photo_meta(width: int, height: int, exif: Image.Exif | None) -> PhotoMeta:
    """Never raises: corrupt EXIF yields what could be read, the rest None."""
    taken_at = camera = None
    lat = lon = None
    if exif is not None:
        try:
            taken_at = _taken_at(exif)
        except Exception as exc:  # noqa: BLE001 - corrupt EXIF must not fail the photo
            logger.debug("unreadable EXIF date: %s", exc)
        try:
            camera = _camera(exif)
        except Exception as exc:  # noqa: BLE001
            logger.debug("unreadable EXIF camera: %s", exc)
        try:
            lat, lon = _gps(exif)
        except Exception as exc:  # noqa: BLE001
            logger.debug("unreadable EXIF GPS: %s", exc)
    return PhotoMeta(width=width, height=height, taken_at=taken_at, camera=camera, lat=lat, lon=lon)


def _taken_at(exif: Image.Exif) -> str | None:
    sub = exif.get_ifd(_EXIF_IFD)
    for tag in _DATE_TAGS:
        value = sub.get(tag)
        if value:
            parsed = _parse_date(str(value))
            if parsed:
                return parsed
    value = exif.get(ExifTags.Base.DateTime)
    return _parse_date(str(value)) if value else None


def _parse_date(value: str) -> str | None:
    value = value.strip().strip("\x00")
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y:%m:%d"):
        try:
            dt = datetime.strptime(value[: len(datetime(2000, 1, 1).strftime(fmt))], fmt)
        except ValueError:
            continue
        if 1800 <= dt.year <= 2200:
            return dt.strftime("%Y-%m-%dT%H:%M:%S")
    return None


def _camera(exif: Image.Exif) -> str | None:
    make = str(exif.get(ExifTags.Base.Make) or "").strip().strip("\x00")
    model = str(exif.get(ExifTags.Base.Model) or "").strip().strip("\x00")
    if model.lower().startswith(make.lower()):
        make = ""
    name = " ".join(p for p in (make, model) if p)
    return name or None


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    """The position, or (None, None) when there is none or it is garbage (see ``gps.gps_from_exif``)."""
    position = gps_from_exif(exif).position
    return position if position is not None else (None, None)
