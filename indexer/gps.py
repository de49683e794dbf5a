"""A photo's position from its EXIF GPS block, with garbage refused and counted.

Cameras and editors write all sorts of GPS values: NaN, zero denominators
(which Pillow reads as NaN), degrees over 90/180, minutes or seconds over 60,
a reference letter missing or wrong, and 0,0 as a "no fix" placeholder.  A
position is kept only when every part of it is sound; otherwise the photo has
no position, and ``GpsCounts`` says why (so a fill pass can report it).

``read_gps_file`` reads the EXIF header of a file without decoding its pixels
(JPEG, HEIC, PNG, WebP and TIFF, as far as Pillow and pillow-heif read EXIF).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import ExifTags, Image

from indexer.models.image_input import open_image_file  # also registers the HEIC/HEIF reader

logger = logging.getLogger(__name__)

_GPS_IFD = ExifTags.IFD.GPSInfo
NULL_ISLAND_DEGREES = 1e-4  # |lat| and |lon| both under this: a 0,0 placeholder, not a position (about 11 m)


@dataclass
class GpsCounts:
    """How many photos had a position, had none, or had one that was refused, by reason."""

    found: int = 0
    absent: int = 0
    refused: Counter[str] = field(default_factory=Counter)

    def add(self, reading: GpsReading) -> None:
        if reading.position is not None:
            self.found += 1
        elif reading.refused:
            self.refused[reading.refused] += 1
        else:
            self.absent += 1


@dataclass(frozen=True)
class GpsReading:
    """A position in degrees (``None`` when there is none), and why a value present was refused."""

    position: tuple[float, float] | None = None
    refused: str | None = None  # "not a number", "out of range", "0,0 placeholder", "malformed"


def gps_from_exif(exif: Image.Exif | None) -> GpsReading:
    """The position in ``exif``'s GPS block; never raises."""
    if exif is None:
        return GpsReading()
    try:
        gps = exif.get_ifd(_GPS_IFD)
    except Exception as exc:  # noqa: BLE001 - a corrupt EXIF block must not fail the photo
        logger.debug("unreadable GPS block: %s", exc)
        return GpsReading(refused="malformed")
    if not gps:
        return GpsReading()
    raw_lat, raw_lon = gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLongitude)
    if raw_lat is None and raw_lon is None:
        return GpsReading()
    try:
        lat = _degrees(raw_lat, gps.get(ExifTags.GPS.GPSLatitudeRef), "NS")
        lon = _degrees(raw_lon, gps.get(ExifTags.GPS.GPSLongitudeRef), "EW")
    except _Refused as why:
        return GpsReading(refused=str(why))
    return gps_from_position(lat, lon)


def gps_from_position(lat: float | None, lon: float | None) -> GpsReading:
    """A position already in degrees (one stored earlier), checked as ``gps_from_exif`` checks the EXIF's:
    NaN, out of range and 0,0 placeholders are refused."""
    if lat is None or lon is None:
        return GpsReading()
    if not math.isfinite(lat) or not math.isfinite(lon):
        return GpsReading(refused="not a number")
    if not -90.0 <= lat <= 90.0 or not -180.0 <= lon <= 180.0:
        return GpsReading(refused="out of range")
    if abs(lat) < NULL_ISLAND_DEGREES and abs(lon) < NULL_ISLAND_DEGREES:
        return GpsReading(refused="0,0 placeholder")
    return GpsReading((lat, lon))


def read_gps_file(path: Path) -> GpsReading:
    """The position in the EXIF header of the file at ``path`` (pixels are not decoded); never raises.

    A file that cannot be opened or has no EXIF has no position.  Only regular files are opened (the
    guarded open every image goes through: a pipe or a device in a folder never blocks the pass).
    """
    try:
        with open_image_file(path) as fh, Image.open(fh) as image:
            exif = image.getexif()
    except Exception as exc:  # noqa: BLE001 - any file in a folder: unreadable means no position
        logger.debug("no EXIF read from %s: %s", path, exc)
        return GpsReading()
    return gps_from_exif(exif)


class _Refused(ValueError):
    pass


def _degrees(value: Any, ref: Any, letters: str) -> float:
    """Degrees, minutes, seconds (raw EXIF values, any type) -> signed degrees; raises ``_Refused``."""
    try:
        parts = [float(x) for x in value]
    except (TypeError, ValueError, ZeroDivisionError):
        raise _Refused("malformed") from None
    if not 1 <= len(parts) <= 3:
        raise _Refused("malformed")
    parts += [0.0] * (3 - len(parts))
    if not all(math.isfinite(p) for p in parts):
        raise _Refused("not a number")
    d, m, s = parts
    if d < 0 or not 0 <= m <= 60 or not 0 <= s <= 60:  # 60: a rounded 59.99...
        raise _Refused("out of range")
    out = d + m / 60 + s / 3600
    letter = _ref_letter(ref)
    if letter is not None and letter not in letters:
        raise _Refused("malformed")
    return -out if letter == letters[1] else out


def _ref_letter(ref: Any) -> str | None:
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    text = str(ref).strip().strip("\x00").upper() if ref is not None else ""
    return text[:1] or None
