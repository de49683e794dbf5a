"""People end to end on real faces (two people's crops, composed into photos): found, grouped, named,
searched by name, forgotten, and every face deleted when the setting is turned off."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from indexer.library import Library
from indexer.people.grouping import FaceItem, assign, cluster
from indexer.people.names import read_people
from indexer.people.tables import PeopleTables
from tests.support.cli import run_photoseek
from tests.support.indexing import index_without_text

FACES = Path(__file__).resolve().parents[2] / "fixtures" / "faces"
PHOTOS = {  # photo -> the crops in it, left to right
    "solo_amy.jpg": ["amy1"],
    "both_a.jpg": ["amy2", "bernadette1"],
    "solo_bernadette.jpg": ["bernadette2"],
    "both_b.jpg": ["bernadette3", "amy3"],
}

pytestmark = pytest.mark.faces


def compose(path: Path, crops: list[str]) -> None:
    canvas = Image.new("RGB", (200 * len(crops) + 100, 300), (90, 110, 100))
    for i, crop in enumerate(crops):
        with Image.open(FACES / f"{crop}.png") as face:
            canvas.paste(face.convert("RGB").resize((170, 170)), (60 + 200 * i, 60))
    canvas.save(path, quality=92)


@pytest.fixture(scope="module")
def library(tmp_path_factory, tiny_bundle) -> Path:
    root = tmp_path_factory.mktemp("people")
    photos = root / "photos"
    photos.mkdir()
    for name, crops in PHOTOS.items():
        compose(photos / name, crops)
    index_without_text(root / "library", photos, tiny_bundle)
    return root / "library"


def people_json(library: Path) -> list[dict[str, object]]:
    done = run_photoseek("people", "--json", library=library)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def search(library: Path, *args: str) -> list[dict[str, object]]:
    done = run_photoseek("search", *args, "--json", library=library)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def test_faces_found_grouped_named_and_searched(library: Path, tmp_path: Path) -> None:
    lib_copy = tmp_path / "library"
    shutil.copytree(library, lib_copy)
    status = json.loads(run_photoseek("status", "--json", library=lib_copy).stdout)
    assert (status["faces"], status["people"]) == (6, 2)
    people = people_json(lib_copy)
    assert [sorted(p) for p in people] == [["faces", "id", "name", "photos"]] * 2
    assert [(p["name"], p["faces"], p["photos"]) for p in people] == [(None, 3, 3), (None, 3, 3)]
    with Library.open(lib_copy) as lib:  # which group is whom: the person in the photo of Amy alone
        tables = PeopleTables(lib.catalog)
        amy = next(p.id for p in tables.people() if any(ph.path.name == "solo_amy.jpg"
                                                      for ph in tables.person_photos(p.id)))
    bernadette = next(int(str(p["id"])) for p in people if p["id"] != amy)
    shown = json.loads(run_photoseek("people", "show", str(amy), "--json", library=lib_copy).stdout)
    assert sorted(Path(s["path"]).name for s in shown) == ["both_a.jpg", "both_b.jpg", "solo_amy.jpg"]
    assert all(len(s["box"]) == 4 and all(isinstance(v, int) for v in s["box"]) for s in shown)
    assert all(s["box"][2] >= 100 for s in shown)  # the 170-pixel faces, in the photo's own pixels
    for pid, name in ((amy, "Amy"), (bernadette, "Bernadette")):
        assert run_photoseek("people", "name", str(pid), name, library=lib_copy).returncode == 0
    assert {p["name"] for p in people_json(lib_copy)} == {"Amy", "Bernadette"}

    hits = search(lib_copy, "amy")
    assert sorted(Path(str(h["path"])).name for h in hits) == ["both_a.jpg", "both_b.jpg", "solo_amy.jpg"]
    assert all("Amy" in h["people"] for h in hits)  # type: ignore[operator]
    both = {Path(str(h["path"])).name for h in search(lib_copy, "Amy and Bernadette")}
    assert both == {"both_a.jpg", "both_b.jpg"}
    assert {Path(str(h["path"])).name for h in search(lib_copy, "--person", "Amy", "--person", "bernadette")} == both
    assert [Path(str(h["path"])).name for h in search(lib_copy, "Amy -Bernadette")] == ["solo_amy.jpg"]
    hit = search(lib_copy, "--person", "Bernadette", "--limit", "1")[0]
    assert set(hit["people"]) <= {"Amy", "Bernadette"} and "Bernadette" in hit["people"]  # type: ignore[operator]

    assert run_photoseek("people", "forget", str(bernadette), library=lib_copy).returncode == 0
    status = json.loads(run_photoseek("status", "--json", library=lib_copy).stdout)
    assert (status["faces"], status["people"]) == (3, 1)
    assert run_photoseek("people", "show", "9999", library=lib_copy).returncode == 2


def test_the_setting_off_deletes_every_face(library: Path, tmp_path: Path) -> None:
    lib_copy = tmp_path / "library"
    shutil.copytree(library, lib_copy)
    with Library.open(lib_copy) as lib:
        assert PeopleTables(lib.catalog).counts() == (6, 2)
        lib.settings.people = False
        lib.save_settings()
        for _ in lib.sync():
            pass
        for table in ("faces", "face_scans", "people", "face_rejections"):
            assert lib.catalog.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0


def test_a_named_person_keeps_their_faces_and_new_faces_join_them(library: Path, tmp_path: Path) -> None:
    lib_copy = tmp_path / "library"
    shutil.copytree(library, lib_copy)
    photos = library.parent / "photos"
    with Library.open(lib_copy) as lib:
        tables = PeopleTables(lib.catalog)
        first, second = (p.id for p in tables.people())
        with lib.catalog.transaction():
            tables.name(first, "Someone")
            tables.merge(first, [second])  # a wrong merge by the user: kept, whatever the vectors say
        compose(photos / "new_amy.jpg", ["amy1", "bernadette1"])
        try:
            for _ in lib.sync():
                pass
        finally:
            (photos / "new_amy.jpg").unlink()
        people = tables.people()
        assert [(p.id, p.name) for p in people] == [(first, "Someone")]
        assert people[0].faces == 7 and people[0].photos == 5  # one face of the new photo joined; never both


def test_two_faces_of_one_photo_are_never_one_person() -> None:
    v = np.ones(128, dtype=np.float32) / np.sqrt(128)
    twins = [FaceItem(1, 10, v), FaceItem(2, 10, v), FaceItem(3, 11, v + 0.001)]
    groups = cluster(twins)
    assert all(not ({1, 2} <= set(g)) for g in groups)
    assert assign([FaceItem(4, 11, v)], {7: [FaceItem(5, 11, v)]}) == {}  # the person is already in that photo
    assert assign([FaceItem(4, 12, v, frozenset({7}))], {7: [FaceItem(5, 11, v)]}) == {}  # "not this person"
    assert assign([FaceItem(4, 12, v)], {7: [FaceItem(5, 11, v)]}) == {4: 7}


def test_far_faces_stay_apart_and_a_face_alone_is_unassigned() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=128).astype(np.float32), rng.normal(size=128).astype(np.float32)
    faces = [FaceItem(i, i, a + 0.01 * i) for i in range(3)] + [FaceItem(10, 10, b)]
    assert cluster(faces) == [[0, 1, 2]]


def test_names_in_the_search_box() -> None:
    names = ["anna", "ben", "zoe smith"]
    assert read_people("Anna and Ben at the beach", [], names) == ("at the beach", ("anna", "ben"), (), [])
    assert read_people("Zoë Smith 2019", ["ben", "dog"], names) == ("2019", ("zoe smith",), ("ben",), ["dog"])
    assert read_people("dog and cat", [], names) == ("dog and cat", (), (), [])
