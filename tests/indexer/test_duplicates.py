"""Duplicate finding: fingerprints from the pipeline and the backfill, groups of each kind, keeper choice."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance

from indexer.cancel import CancelToken
from indexer.duplicates.backfill import FINGERPRINTING
from indexer.duplicates.groups import DuplicateGroup, find_duplicates
from indexer.duplicates.photo_hash import CROP_BYTES, colour_distance, fingerprint, hamming
from indexer.duplicates.tables import CandidateRow, DuplicateTables
from indexer.errors import UsageError
from indexer.library import Library
from indexer.library_files import CATALOG_FILE
from indexer.progress import Phase
from tests.support.photos import exif_for, photo
from tests.support.template import TOTAL, copy_template


def groups_of(gen) -> list[DuplicateGroup]:
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


@pytest.fixture
def lib(tmp_path, template_library):
    t = copy_template(template_library, tmp_path / "t")
    with Library.open(t.library) as library:
        yield library, t


def test_indexing_fingerprints_every_photo_and_finds_the_resized_copies(lib):
    library, t = lib
    reader = library.reader()
    assert reader.unfingerprinted() == 0
    assert all(r.crops is not None and len(r.crops) == CROP_BYTES for r in DuplicateTables(reader.catalog).candidates())
    groups = groups_of(reader.duplicates())
    assert len(groups) == 1, [g.to_json() for g in groups]  # 40 different photos: no false group
    group = groups[0]
    assert group.kind == "near"
    assert {p.path for p in group.photos} == {t.paths[7], *t.copies}
    assert group.keep.path == t.paths[7] and group.reason.startswith("highest resolution")
    assert [p.path for p in group.suggested] == [p.path for p in group.photos[1:]]
    as_json = group.to_json()
    assert set(as_json) == {"kind", "similarity", "keep", "photos"} and 0.7 < as_json["similarity"] <= 1.0
    assert set(as_json["photos"][0]) == {"path", "width", "height", "bytes", "taken_at"}
    assert groups_of(reader.duplicates(kind="exact")) == [] and groups_of(reader.duplicates(kind="burst")) == []
    assert groups_of(reader.duplicates(folder=t.photos / "album0")) == []


def test_an_exact_copy_is_found_as_exact_and_inside_the_near_group(lib):
    library, t = lib
    copy = t.photos / "backup" / "img_0007.jpg"
    copy.parent.mkdir()
    shutil.copy2(t.paths[7], copy)
    list(library.sync())
    exact = groups_of(library.reader().duplicates(kind="exact"))
    assert [{p.path for p in g.photos} for g in exact] == [{t.paths[7], copy}]
    assert exact[0].similarity == 1.0 and exact[0].reason in ("the oldest file", "first of equals")
    near = groups_of(library.reader().duplicates(kind="near"))
    assert {p.path for p in near[0].photos} == {t.paths[7], copy, *t.copies}


def test_bursts_group_shots_seconds_apart_but_not_minutes_apart(lib):
    library, t = lib
    base = photo(99, (800, 600))
    rng = np.random.default_rng(1)
    folder = t.photos / "burst"
    folder.mkdir()
    for i, seconds in enumerate((0, 1, 3, 600)):
        shot = base if i == 0 else base.transform(base.size, Image.Transform.AFFINE, (1, 0, i * 3, 0, 1, i * 2))
        noisy = np.clip(np.asarray(shot, dtype=np.float32) + rng.normal(0, 3, (600, 800, 3)), 0, 255)
        exif = exif_for(99)
        exif.get_ifd(0x8769)[0x9003] = f"2022:06:01 10:{seconds // 60:02d}:{seconds % 60:02d}"
        if i == 3:  # ten minutes later, another framing of the scene
            noisy = np.asarray(base.crop((250, 150, 800, 600)).resize((800, 600)), dtype=np.float32)
        Image.fromarray(noisy.astype(np.uint8)).save(folder / f"shot{i}.jpg", quality=90, exif=exif)
    list(library.sync())
    bursts = groups_of(library.reader().duplicates(kind="burst"))
    assert [sorted(p.path.name for p in g.photos) for g in bursts] == [["shot0.jpg", "shot1.jpg", "shot2.jpg"]]
    everything = groups_of(library.reader().duplicates())
    assert sorted(g.kind for g in everything) == ["burst", "near"]


def test_colour_variants_of_one_design_are_not_copies_but_an_exposure_edit_is():
    base = photo(5, (640, 480))
    r, g, b = base.split()
    variant = Image.merge("RGB", (b, r, g))  # the same shapes in other colours
    brighter = ImageEnhance.Brightness(base).enhance(1.12)
    fa, fv, fb = fingerprint(base), fingerprint(variant), fingerprint(brighter)
    assert hamming(fa.shape, fb.shape) <= 6 and max(colour_distance(fa.colour, fb.colour)) < 6
    assert max(colour_distance(fa.colour, fv.colour)) > 10

    def row(i: int, fp, taken: str | None = None) -> CandidateRow:
        return CandidateRow(i, Path(f"/p/{i}.jpg"), True, 1000, i, None, 640, 480, taken, False, fp.shape, fp.colour)

    groups = groups_of(find_duplicates([row(1, fa), row(2, fv), row(3, fb)]))
    assert [sorted(p.id for p in grp.photos) for grp in groups] == [[1, 3]]


def _row(i: int, w: int, h: int, size: int, *, exif: bool = False, mtime: int = 0, online: bool = True) -> CandidateRow:
    return CandidateRow(i, Path(f"/photos/{i}.jpg"), online, size, mtime, "same", w, h, None, exif, 7, bytes(48))


@pytest.mark.parametrize(
    ("rows", "keeper", "reason"),
    [
        ([_row(1, 800, 600, 9000), _row(2, 1600, 1200, 9000)], 2, "highest resolution (1600x1200)"),
        ([_row(1, 800, 600, 9000), _row(2, 800, 600, 90_000)], 2, "least compressed at 800x600"),
        ([_row(1, 800, 600, 9000), _row(2, 800, 600, 9000, exif=True)], 2, "has the original EXIF"),
        ([_row(1, 800, 600, 9000, mtime=5), _row(2, 800, 600, 9000, mtime=3)], 2, "the oldest file"),
    ],
)
def test_the_keeper_is_chosen_by_resolution_compression_exif_then_age(rows, keeper, reason):
    rows = [CandidateRow(*[*r.__dict__.values()][:5], f"h{r.id}", *[*r.__dict__.values()][6:]) for r in rows]
    groups = groups_of(find_duplicates(rows, kind="near"))
    assert len(groups) == 1 and groups[0].keep.id == keeper and groups[0].reason.startswith(reason)
    chosen = groups[0].with_keeper(3 - keeper)
    assert chosen.keep.id == 3 - keeper and chosen.reason == "chosen by you" and chosen.suggested[0].id == keeper
    with pytest.raises(UsageError):
        groups[0].with_keeper(99)


def test_a_keeper_on_an_offline_folder_suggests_nothing_to_trash():
    rows = [_row(1, 1600, 1200, 9000, online=False), _row(2, 800, 600, 9000)]
    (group,) = groups_of(find_duplicates(rows, kind="exact"))
    assert group.keep.id == 1 and group.keeper_offline and group.suggested == ()


def test_unknown_kind_and_cancel():
    with pytest.raises(UsageError):
        groups_of(find_duplicates([], kind="similar"))
    cancel = CancelToken()
    cancel.cancel()
    rows = [_row(i, 10, 10, 10) for i in range(3)]
    assert groups_of(find_duplicates(rows, kind="near", cancel=cancel)) == []


def test_the_backfill_fingerprints_a_library_indexed_before_and_resumes(lib):
    library, t = lib
    library.close()
    conn = sqlite3.connect(t.library / CATALOG_FILE)
    with conn:
        conn.execute("DELETE FROM photo_fingerprints")
    conn.close()
    with Library.open(t.library) as again:
        assert again.reader().unfingerprinted() == TOTAL
        cancel = CancelToken()
        from indexer.duplicates.backfill import backfill_fingerprints

        gen = backfill_fingerprints(again.catalog, cancel, batch=10)
        first = [next(gen), next(gen)]
        cancel.cancel()
        list(gen)
        assert first[1].phase is FINGERPRINTING and first[1].done == 10
        assert again.reader().unfingerprinted() == TOTAL - 10  # committed batch by batch
        progress = list(again.sync())
        phases = [p.phase for p in progress]
        assert FINGERPRINTING in phases and phases[-1] is Phase.DONE
        assert phases.index(FINGERPRINTING) > max(i for i, p in enumerate(phases) if p is Phase.INDEXING)
        assert again.reader().unfingerprinted() == 0
        (group,) = groups_of(again.reader().duplicates())
        assert {p.path for p in group.photos} == {t.paths[7], *t.copies}


def test_a_changed_file_loses_its_fingerprint_until_indexed_again(lib):
    library, t = lib
    copy = t.copies[0]
    before = copy.stat()
    photo(1234, (320, 240)).save(copy, quality=80)  # another picture under the copy's name
    os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns + 5_000_000_000))
    library.scan_paths([copy])
    (group,) = groups_of(library.reader().duplicates())  # the stale fingerprint no longer counts
    assert copy not in {p.path for p in group.photos}
    assert library.reader().unfingerprinted() == 0  # waits for its new vector: the pipeline fingerprints it
    list(library.sync())
    (group,) = groups_of(library.reader().duplicates())
    assert {p.path for p in group.photos} == {t.paths[7], t.copies[1]}


def test_popcount_counts_bits_with_or_without_numpys_own(monkeypatch):
    from indexer.duplicates import pairs as duplicate_pairs

    x = np.array([[0, 1, 2**64 - 1], [2**63, 0b1011, 12345678901234567]], dtype=np.uint64)
    expected = [[0, 1, 64], [1, 3, bin(12345678901234567).count("1")]]
    assert duplicate_pairs.popcount(x).tolist() == expected
    monkeypatch.delattr(np, "bitwise_count", raising=False)  # numpy < 2
    out = np.empty(x.shape, dtype=np.uint8)
    assert duplicate_pairs.popcount(x, out=out).tolist() == expected and out.tolist() == expected


def test_version_1_fingerprints_still_group_until_the_backfill_adds_their_crop_windows(lib):
    library, t = lib
    library.close()
    conn = sqlite3.connect(t.library / CATALOG_FILE)
    with conn:
        conn.execute("UPDATE photo_fingerprints SET version = 1, crops = NULL")  # as fingerprint version 1 left them
    conn.close()
    with Library.open(t.library) as again:
        assert again.reader().unfingerprinted() == TOTAL  # every photo still lacks its crop windows
        (group,) = groups_of(again.reader().duplicates())  # compared on their whole pictures meanwhile
        assert {p.path for p in group.photos} == {t.paths[7], *t.copies}
        list(again.sync())
        assert again.reader().unfingerprinted() == 0
        crops = again.catalog.conn.execute("SELECT COUNT(*) FROM photo_fingerprints WHERE length(crops) = ?",
                                           (CROP_BYTES,)).fetchone()[0]
        assert crops == TOTAL
        (group,) = groups_of(again.reader().duplicates())
        assert {p.path for p in group.photos} == {t.paths[7], *t.copies}


def test_a_catalog_from_before_crop_windows_is_read_after_a_writer_brings_it_up_to_date(lib):
    from indexer.catalog import SCHEMA_VERSION
    from indexer.errors import CatalogOutdated
    from indexer.library_reader import LibraryReader

    library, t = lib
    library.close()
    conn = sqlite3.connect(t.library / CATALOG_FILE)  # as a writer of the previous schema left it
    with conn:
        conn.execute("ALTER TABLE photo_fingerprints DROP COLUMN crops")
        conn.execute("UPDATE photo_fingerprints SET version = 1")
        conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION - 1),))
    conn.close()
    with pytest.raises(CatalogOutdated):  # a reader never migrates, and never guesses at missing columns
        LibraryReader.open(t.library)
    Library.open(t.library).close()  # a writer adds the column; the version-1 fingerprints stay until the backfill
    with LibraryReader.open(t.library) as reader:
        (group,) = groups_of(reader.duplicates())
        assert {p.path for p in group.photos} == {t.paths[7], *t.copies}
