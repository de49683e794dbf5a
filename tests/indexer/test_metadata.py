from __future__ import annotations

from PIL import Image

from indexer.metadata import photo_meta


def test_date_camera_and_gps():
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS 5D"
    exif.get_ifd(0x8769)[0x9003] = "2019:07:04 18:30:05"
    gps = exif.get_ifd(0x8825)
    gps[1] = "S"
    gps[2] = (33.0, 51.0, 36.0)
    gps[3] = "E"
    gps[4] = (151.0, 12.0, 36.0)
    meta = photo_meta(4000, 3000, exif)
    assert meta.taken_at == "2019-07-04T18:30:05"
    assert meta.camera == "Canon EOS 5D"
    assert abs(meta.lat + 33.86) < 1e-6 and abs(meta.lon - 151.21) < 1e-6
    assert (meta.width, meta.height) == (4000, 3000)


def test_garbage_exif_yields_none_not_errors():
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "0000:00:00 00:00:00"
    exif[0x0132] = "yesterday"
    exif.get_ifd(0x8825)[2] = (1.0,)
    meta = photo_meta(1, 1, exif)
    assert (meta.taken_at, meta.camera, meta.lat, meta.lon) == (None, None, None, None)
    assert photo_meta(5, 6, None).taken_at is None
