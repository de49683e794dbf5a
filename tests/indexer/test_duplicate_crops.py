"""Near copies cropped by up to ~10% are found through the crop windows; other pieces of a series are not."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from indexer.duplicates.crop_match import CROP_BAND, WINDOW_BITS
from indexer.duplicates.groups import find_duplicates
from indexer.duplicates.pairs import NEAR_BITS, NEAR_CHROMA
from indexer.duplicates.photo_hash import (
    COLOUR_BYTES,
    CROP_BYTES,
    CROPS,
    Fingerprint,
    colour_distance,
    fingerprint,
    hamming,
    split_crops,
)
from indexer.duplicates.tables import CandidateRow
from tests.support.photos import photo


def groups_of(gen) -> list:
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


def saved(image: Image.Image, quality: int = 90) -> Image.Image:
    """``image`` as a JPEG file of it reads back."""
    data = io.BytesIO()
    image.save(data, "JPEG", quality=quality)
    data.seek(0)
    return Image.open(data).convert("RGB")


def print_of(image: Image.Image) -> Fingerprint:
    """The fingerprint the pipeline takes: from the decode's thumbnail (longest side 256 px)."""
    thumb = image.copy()
    thumb.thumbnail((256, 256))
    return fingerprint(thumb)


def cropped(image: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    w, h = image.size
    return image.crop((round(w * left), round(h * top), round(w * (1 - right)), round(h * (1 - bottom))))


def rows_of(prints: list[Fingerprint], *, windows: bool = True) -> list[CandidateRow]:
    return [CandidateRow(i, Path(f"/p/{i}.jpg"), True, 1000 + i, 0, None, 1200, 900, None, False, fp.shape,
                         fp.colour, fp.crops if windows else None) for i, fp in enumerate(prints)]


def near_groups(prints: list[Fingerprint], *, windows: bool = True) -> list[list[int]]:
    return [sorted(p.id for p in g.photos) for g in groups_of(find_duplicates(rows_of(prints, windows=windows),
                                                                               kind="near"))]


def series_piece(series: int, piece: int, size: tuple[int, int] = (1200, 900)) -> Image.Image:
    """One artwork of a series: the series' background, lighting and palette; the piece's own shapes on it."""
    palette = np.random.default_rng(series)
    c0, c1, *shape_colours = (palette.uniform(0, 255, 3) for _ in range(5))
    angle = palette.uniform(0, np.pi)
    w, h = size
    sw, sh = w // 8, h // 8
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    t = (np.cos(angle) * xx / sw + np.sin(angle) * yy / sh + 1) / 2
    base = (1 - t)[..., None] * c0 + t[..., None] * c1
    blob = np.exp(-(((xx / sw - palette.uniform(0.3, 0.7)) ** 2) + ((yy / sh - palette.uniform(0.3, 0.7)) ** 2)) * 8)
    base = base * (1 - 0.6 * blob[..., None]) + 0.6 * blob[..., None] * shape_colours[0]
    small = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(small)
    rng = np.random.default_rng(1000 * series + piece)
    for k in range(3):
        x0, y0, r = rng.uniform(0, sw), rng.uniform(0, sh), rng.uniform(sw * 0.08, sw * 0.14)
        draw.ellipse([x0 - r, y0 - r, x0 + r, y0 + r], fill=tuple(int(c) for c in shape_colours[k % 3]))
    return small.resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(2))


def test_a_fingerprint_holds_its_crop_windows_which_match_the_cropped_picture():
    base = photo(3, (1200, 900))
    fp = print_of(base)
    assert len(fp.crops) == CROP_BYTES
    hashes, colours = split_crops(np.frombuffer(fp.crops, dtype=np.uint8)[None])
    corner = print_of(cropped(base, 0.0, 0.0, 0.07, 0.07))  # the top-left window's own picture, as a file
    assert hamming(int(hashes[0, 0]), corner.shape) <= 4
    assert max(colour_distance(bytes(colours[0, 0]), corner.colour)) < 3


def test_a_cropped_copy_of_a_photo_groups_with_it_and_its_copies():
    # photos whose 10% crop moves the whole picture past the near bounds (more than NEAR_BITS bits, or colours)
    for seed in (0, 7, 17):
        base = photo(seed, (1200, 900))
        copy = saved(base.resize((600, 450), Image.Resampling.LANCZOS), 80)
        crop = saved(cropped(base, 0.09, 0.02, 0.01, 0.08))
        prints = [print_of(base), print_of(copy), print_of(crop)]
        whole_bits = hamming(prints[0].shape, prints[2].shape)
        assert whole_bits > NEAR_BITS or max(colour_distance(prints[0].colour, prints[2].colour)) > NEAR_CHROMA
        assert near_groups(prints, windows=False) == [[0, 1]]  # the whole pictures alone miss the crop
        assert near_groups(prints) == [[0, 1, 2]], seed
        (group,) = groups_of(find_duplicates(rows_of(prints), kind="near"))
        assert 1 - WINDOW_BITS / 64 <= group.similarity <= 1.0


def test_another_artwork_of_the_series_is_not_joined_even_cropped():
    first, second = series_piece(2, 0), series_piece(2, 1)
    second_cropped = saved(cropped(second, 0.08, 0.04, 0.0, 0.04))
    prints = [print_of(saved(first)), print_of(second_cropped), print_of(saved(cropped(first, 0.0, 0.05, 0.08, 0.03)))]
    assert hamming(prints[0].shape, prints[1].shape) <= CROP_BAND  # close enough to be checked window by window
    assert near_groups(prints) == [[0, 2]]  # its own crop joins; the other piece, cropped alike, does not


def test_a_darker_rendition_of_a_design_is_not_a_cropped_copy():
    base = photo(5, (1200, 900))
    dark = ImageEnhance.Color(ImageEnhance.Brightness(base).enhance(0.55)).enhance(1.6)  # same shapes, other tones
    r, g, b = base.split()
    recoloured = Image.merge("RGB", (g, b, r))
    prints = [print_of(saved(base)), print_of(saved(cropped(dark, 0.06, 0.0, 0.0, 0.06))),
              print_of(saved(cropped(recoloured, 0.0, 0.05, 0.05, 0.0)))]
    assert min(hamming(prints[0].shape, p.shape) for p in prints[1:]) <= CROP_BAND
    assert near_groups(prints) == []


def test_only_the_window_the_shapes_align_is_compared_on_colour():
    rng = np.random.default_rng(4)
    colour = rng.integers(40, 200, COLOUR_BYTES).astype(np.uint8)
    other = colour.reshape(-1, 3)[:, [1, 0, 2]].reshape(-1)  # the same design, red and green swapped
    assert max(colour_distance(bytes(colour), bytes(other))) > NEAR_CHROMA
    shape = int(rng.integers(0, 2**63))

    def windows(hashes: list[int], colours: list[np.ndarray]) -> bytes:
        return np.array(hashes, dtype="<u8").tobytes() + np.stack(colours).astype(np.uint8).tobytes()

    far = [shape ^ (2**40 - 1 << k) for k in range(CROPS)]  # 40 bits away: windows that align with nothing
    # the first photo's top-left window aligns with the second (2 bits) but keeps the first one's colours;
    # another window, 8 bits off, happens to have the second one's colours
    first_windows = windows([shape ^ 0b11, *far[1:5], shape ^ 0xFF, *far[6:]], [colour] * 5 + [other] + [colour] * 3)
    first = Fingerprint(shape, bytes(colour), first_windows)
    second = Fingerprint(shape ^ 0b1111, bytes(other), windows(far, [other] * CROPS))
    assert near_groups([first, second]) == []
    aligned = Fingerprint(shape, bytes(colour), windows([shape ^ 0b11, *far[1:]], [other] + [colour] * 8))
    assert near_groups([aligned, second]) == [[0, 1]]  # where the shapes align, the colours agree: a crop


def test_version_one_fingerprints_without_windows_are_still_compared_whole():
    base = photo(11, (1200, 900))
    copy = saved(base, 70)
    old = [Fingerprint(fp.shape, fp.colour) for fp in (print_of(base), print_of(copy))]
    assert near_groups(old) == [[0, 1]]
    assert near_groups([print_of(base), old[1]]) == [[0, 1]]  # a mix of both versions
