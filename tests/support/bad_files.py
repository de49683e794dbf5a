"""A corpus of hostile files and folders, each with the outcome it must get.

``write_corpus(folder, outside)`` fills ``folder`` with every bad-file case and
returns a list of ``Case``: what each file is, and whether indexing must

- ``INDEXED``: give it a vector (and an upright thumbnail),
- ``FAILED``: record it in ``photoseek failures`` with a reason containing ``reason``,
- ``IGNORED``: leave it out of the catalog altogether (it is not a regular image
  file: a symlink loop, a FIFO, a duplicate path to a file already indexed).

The 200-megapixel panorama is slow-ish to make (~3 s), so ``panorama_jpeg`` writes
it once and callers cache it (the tests keep one per session).

Unreadable files: the tests run as root, where ``chmod 000`` does not stop
``open()``.  ``UNREADABLE_HOOK`` is a ``sitecustomize`` module that makes
``open()`` of the paths listed in ``$PHOTOSEEK_TEST_UNREADABLE`` fail with
``EACCES``, as it would for an ordinary user; ``unreadable_env`` puts it on the
``PYTHONPATH`` of a subprocess.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from tests.support.photos import exif_for, photo

INDEXED = "indexed"
FAILED = "failed"
IGNORED = "ignored"

PANORAMA_SIZE = (20000, 10000)  # 200 megapixels
UPRIGHT_SIZE = (320, 192)  # landscape, multiples of 16 so JPEG blocks line up in every orientation

# Orientation n is displayed by applying _DISPLAY[n]; files are written with its inverse.
_INVERSE = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # displayed with ROTATE_270
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,  # displayed with ROTATE_90
}


@dataclass(frozen=True)
class Case:
    name: str  # what the case is, for messages
    path: Path  # as it appears inside the folder (may hold invalid UTF-8 as surrogates)
    outcome: str  # INDEXED | FAILED | IGNORED
    reason: str | None = None  # FAILED: a word the recorded reason must contain


def upright_image() -> Image.Image:
    """A landscape photo with a red block in its top-left corner (tells every orientation apart)."""
    img = photo(77, UPRIGHT_SIZE)
    ImageDraw.Draw(img).rectangle([0, 0, 95, 63], fill=(230, 20, 20))
    ImageDraw.Draw(img).rectangle([UPRIGHT_SIZE[0] - 64, UPRIGHT_SIZE[1] - 48, UPRIGHT_SIZE[0], UPRIGHT_SIZE[1]],
                                  fill=(20, 20, 230))
    return img


def oriented_file(path: Path, orientation: int) -> Path:
    """A JPEG whose pixels are stored rotated/flipped, with the EXIF orientation that makes it upright."""
    img = upright_image()
    inverse = _INVERSE[orientation]
    stored = img.transpose(inverse) if inverse is not None else img
    stored.save(path, "JPEG", quality=95, exif=exif_for(3, orientation=orientation))
    return path


def panorama_jpeg(path: Path) -> Path:
    """A smooth 20000 x 10000 JPEG (~3 MB on disk, 600 MB if decoded at full size)."""
    small = Image.linear_gradient("L").resize((40, 100))
    strip = Image.merge("RGB", [small, small.transpose(Image.Transpose.FLIP_LEFT_RIGHT), small.rotate(180)])
    strip = strip.resize((PANORAMA_SIZE[0] // 10, PANORAMA_SIZE[1]), Image.Resampling.BILINEAR)
    img = Image.new("RGB", PANORAMA_SIZE)
    for i in range(10):
        img.paste(strip, (i * strip.width, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    img.save(tmp, "JPEG", quality=60)
    os.replace(tmp, path)
    return path


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(path: Path, size: tuple[int, int] = (100_000, 100_000)) -> Path:
    """A valid-looking PNG of a few hundred bytes that declares ``size`` (10 gigapixels by default)."""
    ihdr = struct.pack(">IIBBBBB", size[0], size[1], 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 4096)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))
    return path


def corrupt_exif_jpeg(path: Path) -> Path:
    """A good JPEG whose APP1 EXIF block is garbage (IFD offset past the end, bogus counts)."""
    raw = b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 0xFFFFFF00) + b"\xff\x00\x13" * 40
    # A second variant inside the same block would be ignored; one broken TIFF header is enough.
    buf = io.BytesIO()
    photo(91, (320, 240)).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    app1 = b"\xff\xe1" + struct.pack(">H", len(raw) + 2) + raw
    path.write_bytes(data[:2] + app1 + data[2:])
    return path


def write_corpus(folder: Path, outside: Path, *, panorama: Path | None = None) -> list[Case]:
    """Fill ``folder`` (and ``outside``, a folder the library does not watch) with every case."""
    folder.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def add(name: str, rel: str | Path, outcome: str, reason: str | None = None) -> Path:
        path = folder / rel
        cases.append(Case(name, path, outcome, reason))
        return path

    # -- files that must fail, with a reason --------------------------------------------------
    good = io.BytesIO()
    photo(1, (640, 480)).save(good, "JPEG", quality=90)
    add("truncated JPEG", "truncated.jpg", FAILED, "truncated").write_bytes(good.getvalue()[: len(good.getvalue()) * 2 // 5])
    add("zero-byte file", "empty.jpg", FAILED, "empty").write_bytes(b"")
    rng = np.random.default_rng(6)
    noise = rng.integers(0, 256, 50_000, dtype=np.uint8).tobytes()
    add("random bytes named .jpg", "random.jpg", FAILED, "not an image").write_bytes(b"\x00" + noise)
    add("JPEG magic then garbage", "jpeg_garbage.jpg", FAILED, "cannot decode").write_bytes(b"\xff\xd8\xff" + noise)
    add("text file named .png", "notes.png", FAILED, "not an image").write_text(
        "Shopping list:\n- milk\n- photos\n" * 20, encoding="utf-8"
    )
    bomb_png(add("decompression bomb (PNG declaring 100k x 100k)", "bomb.png", FAILED, "decompression bomb"))
    unreadable = add("unreadable file (no permission)", "unreadable.jpg", FAILED, "permission denied")
    photo(2, (320, 240)).save(unreadable, "JPEG")
    unreadable.chmod(0)

    # -- awkward but valid images: all indexed ------------------------------------------------
    if panorama is not None:
        pano = add("200-megapixel panorama", "panorama.jpg", INDEXED)
        try:
            os.link(panorama, pano)  # same file, no copy (the corpus may be built more than once)
        except OSError:
            shutil.copyfile(panorama, pano)
    cmyk = photo(3, (320, 240)).convert("CMYK")
    cmyk.save(add("CMYK JPEG", "cmyk.jpg", INDEXED), "JPEG", quality=90)
    gradient = (np.linspace(0, 65535, 256, dtype=np.float64)[None, :] * np.ones((128, 1))).astype(np.uint16)
    Image.fromarray(gradient).save(add("16-bit PNG", "sixteen_bit.png", INDEXED))
    pal = Image.new("P", (200, 120), 0)
    pal.putpalette([255, 0, 255] + [0, 128, 0] + [0, 0, 0] * 254)
    ImageDraw.Draw(pal).rectangle([0, 0, 99, 119], fill=1)  # left half green, right half transparent
    pal.save(add("palette PNG with transparency", "palette_alpha.png", INDEXED), transparency=0)
    frames = [Image.new("RGB", (120, 90), c) for c in ((220, 30, 30), (30, 30, 220), (30, 220, 30))]
    frames[0].save(add("animated GIF", "animated.gif", INDEXED), save_all=True, append_images=frames[1:],
                   duration=100, loop=0)
    pages = [photo(10 + i, (200, 150)) for i in range(3)]
    pages[0].save(add("multi-page TIFF", "pages.tiff", INDEXED), save_all=True, append_images=pages[1:])
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        photo(4, (320, 240)).save(add("HEIC", "phone.heic", INDEXED), quality=80)
    except ImportError:  # pragma: no cover - pillow_heif is a dependency
        pass
    for n in range(1, 9):
        oriented_file(add(f"EXIF orientation {n}", f"orientation_{n}.jpg", INDEXED), n)
    corrupt_exif_jpeg(add("corrupt EXIF", "corrupt_exif.jpg", INDEXED))
    Image.new("RGB", (1, 1), (10, 200, 30)).save(add("1x1 image", "one_pixel.png", INDEXED))
    photo(5, (320, 240)).save(add("plain photo", "normal.jpg", INDEXED), "JPEG")

    # -- names ----------------------------------------------------------------------------------
    photo(20, (160, 120)).save(add("unicode name", "café — 写真 ünïcødé.jpg", INDEXED), "JPEG")
    photo(21, (160, 120)).save(add("spaces in name", "  spaced   out  .jpg", INDEXED), "JPEG")
    photo(22, (160, 120)).save(add("newline in name", "line\nbreak.jpg", INDEXED), "JPEG")
    bad_utf8 = os.fsdecode(b"latin1 caf\xe9 \xff\xfe.jpg")
    photo(23, (160, 120)).save(add("invalid UTF-8 name", bad_utf8, INDEXED), "JPEG")

    # -- folder structure -----------------------------------------------------------------------
    add("directory named like an image", "album.jpg", IGNORED).mkdir()
    photo(30, (160, 120)).save(add("photo inside a directory named like an image", "album.jpg/inside.jpg", INDEXED),
                               "JPEG")
    os.symlink(".", add("symlink loop (directory -> itself)", "loop", IGNORED))
    os.symlink("loop_b.jpg", add("symlink loop (a.jpg -> b.jpg -> a.jpg)", "loop_a.jpg", IGNORED))
    os.symlink("loop_a.jpg", add("symlink loop (b.jpg -> a.jpg)", "loop_b.jpg", IGNORED))
    os.symlink("nowhere.jpg", add("dangling symlink", "dangling.jpg", IGNORED))
    photo(31, (160, 120)).save(outside / "outside.jpg", "JPEG")
    os.symlink(outside / "outside.jpg", add("symlink to a file outside the folder", "link_outside.jpg", INDEXED))
    (folder / "sub").mkdir()
    os.symlink(outside / "outside.jpg", add("second symlink to the same outside file", "sub/link_outside_again.jpg",
                                              IGNORED))
    os.symlink("../normal.jpg", add("symlink to a photo inside the folder", "sub/alias_of_normal.jpg", IGNORED))
    (folder / "deep").mkdir()
    photo(32, (160, 120)).save(add("photo reached both directly and through a link", "deep/real.jpg", INDEXED), "JPEG")
    os.symlink("deep/real.jpg", add("top-level symlink to a photo deeper inside (the real path wins)",
                                    "a_link_to_deep.jpg", IGNORED))
    os.symlink("deep", add("symlinked directory aliasing a real one (the real path wins)", "a_alias_dir", IGNORED))
    os.mkfifo(add("FIFO named .jpg", "pipe.jpg", IGNORED))
    return cases


def unreadable_paths(cases: list[Case]) -> list[Path]:
    return [c.path for c in cases if c.reason == "permission denied"]


UNREADABLE_HOOK = '''
"""Test hook: open() of the files in $PHOTOSEEK_TEST_UNREADABLE fails with EACCES (as for a non-root user)."""
import builtins, errno, io, os
_denied = {os.fsencode(p) for p in os.environ.get("PHOTOSEEK_TEST_UNREADABLE", "").split(os.pathsep) if p}
_real_open = builtins.open
def _guarded_open(file, *args, **kwargs):
    if isinstance(file, (str, bytes, os.PathLike)) and os.fsencode(os.path.abspath(os.fspath(file))) in _denied:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(file))
    return _real_open(file, *args, **kwargs)
builtins.open = _guarded_open
io.open = _guarded_open
'''


def unreadable_env(env: dict[str, str], hook_dir: Path, paths: list[Path]) -> dict[str, str]:
    """``env`` for a subprocess in which ``paths`` cannot be opened even by root."""
    if os.geteuid() != 0:
        return env  # chmod 000 is enough
    hook_dir.mkdir(parents=True, exist_ok=True)
    (hook_dir / "sitecustomize.py").write_text(UNREADABLE_HOOK)
    env = dict(env)
    env["PYTHONPATH"] = str(hook_dir) + os.pathsep + env.get("PYTHONPATH", "")
    env["PHOTOSEEK_TEST_UNREADABLE"] = os.pathsep.join(os.fspath(p) for p in paths)
    return env
