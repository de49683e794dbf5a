"""EXIF GPS: positions read from JPEG, PNG and WebP headers; garbage refused and counted."""

from __future__ import annotations

import math

import pytest
from PIL import ExifTags, Image, TiffImagePlugin

from indexer.gps import GpsCounts, gps_from_exif, read_gps_file
from indexer.metadata import photo_meta
from tests.support.geo_photos import gps_exif, write_geo_photo

G = ExifTags.GPS


def raw(lat, lon, lat_ref="N", lon_ref="E"):
    return {G.GPSLatitudeRef: lat_ref, G.GPSLatitude: lat, G.GPSLongitudeRef: lon_ref, G.GPSLongitude: lon}


class ExifAsRead:
    """An EXIF block holding values no writer would write (NaN): what a damaged file reads as."""

    def __init__(self, gps):
        self.gps = gps

    def get_ifd(self, tag):
        return self.gps if tag == ExifTags.IFD.GPSInfo else {}

    def get(self, tag, default=None):
        return default


@pytest.mark.parametrize("fmt, suffix", [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_a_position_is_read_from_the_header_of_each_format(tmp_path, fmt, suffix):
    path = write_geo_photo(tmp_path / f"p.{suffix}", -33.8688, 151.2093, fmt=fmt)
    reading = read_gps_file(path)
    assert reading.position is not None
    assert reading.position == pytest.approx((-33.8688, 151.2093), abs=1e-6)


def test_southern_and_western_references_give_negative_degrees():
    reading = gps_from_exif(gps_exif(None, None, raw_gps=raw((22.0, 54.0, 0.0), (43.0, 12.0, 0.0), "S", "W")))
    assert reading.position == pytest.approx((-22.9, -43.2))


ZERO_DENOMINATOR = TiffImagePlugin.IFDRational(1, 0)  # what a camera's "1/0" reads as (NaN)


@pytest.mark.parametrize("gps, why", [
    (raw((float("nan"), 0.0, 0.0), (9.0, 0.0, 0.0)), "not a number"),
    (raw((ZERO_DENOMINATOR, 0.0, 0.0), (9.0, 0.0, 0.0)), "not a number"),
    (raw((91.0, 0.0, 0.0), (9.0, 0.0, 0.0)), "out of range"),
    (raw((38.0, 0.0, 0.0), (181.0, 0.0, 0.0)), "out of range"),
    (raw((38.0, 75.0, 0.0), (9.0, 0.0, 0.0)), "out of range"),
    (raw((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)), "0,0 placeholder"),
    (raw("garbage", (9.0, 0.0, 0.0)), "malformed"),
    (raw((38.0, 0.0, 0.0, 1.0), (9.0, 0.0, 0.0)), "malformed"),
    (raw((38.0, 0.0, 0.0), (9.0, 0.0, 0.0), "X", "E"), "malformed"),
])
def test_garbage_is_refused_with_a_reason(gps, why):
    reading = gps_from_exif(ExifAsRead(gps))
    assert reading.position is None and reading.refused == why
    meta = photo_meta(10, 10, ExifAsRead(gps))  # the indexer's metadata agrees
    assert meta.lat is None and meta.lon is None


def test_a_zero_denominator_in_a_file_is_refused(tmp_path):
    gps = raw((ZERO_DENOMINATOR, 0.0, 0.0), (9.0, 0.0, 0.0))
    assert read_gps_file(write_geo_photo(tmp_path / "z.jpg", None, None, raw_gps=gps)).refused == "not a number"


def test_counts_say_how_many_had_a_position_none_or_garbage():
    counts = GpsCounts()
    for exif in (gps_exif(38.7, -9.1), gps_exif(None, None), None,
                 gps_exif(None, None, raw_gps=raw((0.0, 0.0, 0.0), (0.0, 0.0, 0.0))),
                 ExifAsRead(raw((float("nan"), 0.0, 0.0), (1.0, 0.0, 0.0)))):
        counts.add(gps_from_exif(exif))
    assert (counts.found, counts.absent) == (1, 2)
    assert counts.refused == {"0,0 placeholder": 1, "not a number": 1}


def test_files_without_exif_or_not_images_have_no_position(tmp_path):
    plain = tmp_path / "plain.jpg"
    Image.new("RGB", (8, 8)).save(plain)
    text = tmp_path / "notes.jpg"
    text.write_bytes(b"not an image at all")
    assert read_gps_file(plain).position is None
    assert read_gps_file(text).position is None and read_gps_file(tmp_path / "missing.jpg").position is None


def test_a_position_survives_float_rounding_of_seconds():
    reading = gps_from_exif(gps_exif(None, None, raw_gps=raw((64.0, 5.0, 60.0), (21.0, 54.0, 0.0), "N", "W")))
    assert reading.position is not None and math.isclose(reading.position[0], 64.1, abs_tol=1e-9)


def test_a_heic_position_is_read(tmp_path):
    pytest.importorskip("pillow_heif")
    path = tmp_path / "p.heic"
    Image.new("RGB", (64, 48), (200, 100, 50)).save(path, format="HEIF",
                                                     exif=gps_exif(35.6895, 139.6917).tobytes())
    assert read_gps_file(path).position == pytest.approx((35.6895, 139.6917), abs=1e-6)


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_named_like_a_photo_is_not_opened(tmp_path):
    import os

    pipe = tmp_path / "pipe.jpg"
    os.mkfifo(pipe)
    assert read_gps_file(pipe).position is None  # returns at once: nothing waits for a writer
