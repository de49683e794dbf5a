"""Generated photos with an EXIF position (GPS block) and date taken."""

from __future__ import annotations

from pathlib import Path

from PIL import ExifTags, Image

from tests.support.images import photo


def dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    return float(d), float(m), round((value - d - m / 60) * 3600, 4)


def gps_exif(lat: float | None, lon: float | None, taken: str | None = None,
             raw_gps: dict[int, object] | None = None) -> Image.Exif:
    """EXIF with a GPS block for (lat, lon) (or ``raw_gps`` as given) and DateTimeOriginal ``taken``
    ("YYYY:MM:DD HH:MM:SS")."""
    exif = Image.Exif()
    if raw_gps is not None:
        exif[ExifTags.IFD.GPSInfo] = raw_gps
    elif lat is not None and lon is not None:
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S", ExifTags.GPS.GPSLatitude: dms(lat),
            ExifTags.GPS.GPSLongitudeRef: "E" if lon >= 0 else "W", ExifTags.GPS.GPSLongitude: dms(lon),
        }
    if taken is not None:
        exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: taken}
    loaded = Image.Exif()  # as read back from a file (an Exif built in memory cannot open its sub-IFDs)
    loaded.load(exif.tobytes())
    return loaded


def write_geo_photo(path: Path, lat: float | None, lon: float | None, taken: str | None = None, *,
                    seed: int = 0, raw_gps: dict[int, object] | None = None, fmt: str = "JPEG") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    photo(96, 72, seed=seed).save(path, fmt, exif=gps_exif(lat, lon, taken, raw_gps).tobytes())
    return path
