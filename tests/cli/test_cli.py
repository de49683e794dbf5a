"""The `photoseek` command contract (docs/cli.md), run as a real subprocess of app/cli.py."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.bundles import TOYCLIP_NAME
from tests.support.cli import run_photoseek
from tests.support.consistency import library_files
from tests.support.photos import write_library, write_photo
from tests.support.shapes import shape_of, sketch
from tests.support.template import TemplateLibrary, copy_template


def photoseek(*args: str, library: Path | None = None, check: bool = True):
    proc = run_photoseek(*args, library=library, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"photoseek {' '.join(args)} -> {proc.returncode}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def cli_library(tmp_path_factory, template_library) -> TemplateLibrary:
    """A copy of the session's indexed library, shared by this module's reading commands."""
    return copy_template(template_library, tmp_path_factory.mktemp("cli") / "t")


def test_status_json(cli_library):
    status = json.loads(photoseek("status", "--json", library=cli_library.library).stdout)
    assert status == {
        "photos": cli_library.count, "indexed": cli_library.count, "pending": 0, "failed": 0, "folders": 1,
        "model": TOYCLIP_NAME, "offline_folders": [], "library": str(cli_library.library),
        "videos": 0,
        "ocr_done": 0, "ocr_pending": cli_library.count,  # the template reads no text (tests/support/template.py)
        "faces": 0, "people": 0,  # its photos show no faces
    }


def test_status_of_a_missing_library_is_empty_and_creates_nothing(tmp_path):
    status = json.loads(photoseek("status", "--json", library=tmp_path / "nothing").stdout)
    assert (status["photos"], status["indexed"], status["folders"], status["model"]) == (0, 0, 0, None)
    assert not (tmp_path / "nothing").exists()


def test_search_json_contract(cli_library):
    hits = json.loads(photoseek("search", "a red circle", "--json", "--limit", "7", library=cli_library.library).stdout)
    assert len(hits) == 7
    assert [h["rank"] for h in hits] == list(range(1, 8))
    assert all({"path", "score", "rank"} <= h.keys() for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert all(Path(h["path"]).exists() and cli_library.photos in Path(h["path"]).parents for h in hits)


def test_search_by_image_and_edit(cli_library):
    lib, seven = cli_library.library, cli_library.paths[7]
    hits = json.loads(photoseek("search", "--image", str(seven), "--json", "--limit", "3", library=lib).stdout)
    assert {h["path"] for h in hits[:2]} == {str(p) for p in cli_library.copies}  # its two resized copies
    assert str(seven) not in [h["path"] for h in hits]
    with_self = json.loads(photoseek("search", "--image", str(seven), "--include-self", "--json", library=lib).stdout)
    assert with_self[0]["path"] == str(seven) and with_self[0]["score"] == pytest.approx(1.0, abs=1e-4)
    edit = json.loads(photoseek("search", "at night", "--image", str(seven), "--weight", "0.3", "--json",
                                library=lib).stdout)
    assert len(edit) == 20 and str(seven) not in [h["path"] for h in edit]


def test_search_with_filters_and_human_output(cli_library):
    lib, photos = cli_library.library, cli_library.photos
    out = photoseek("search", "sunset", "--folder", str(photos / "album2"), "--limit", "100", library=lib).stdout
    lines = out.strip().splitlines()
    assert len(lines) == sum(1 for p in cli_library.paths if p.parent.name == "album2")
    assert all("album2" in line for line in lines)
    rank, score, path = lines[0].split(maxsplit=2)
    assert rank == "1" and -1.0 <= float(score) <= 1.0 and Path(path).parent == photos / "album2"
    none = photoseek("search", "sunset", "--after", "2090-01-01", "--json", library=lib)
    assert json.loads(none.stdout) == []
    human = photoseek("search", "sunset", "--after", "2090-01-01", library=lib)
    assert human.stdout == "" and "no results" in human.stderr


def test_sketch_search(shapes_library, tmp_path):
    library = shapes_library.copy(tmp_path / "library")
    sketch("triangle").save(tmp_path / "sketch.png")
    hits = json.loads(photoseek("search", "--sketch", str(tmp_path / "sketch.png"), "--json", "--limit", "5",
                                library=library).stdout)
    assert len(hits) == 5 and len({h["path"] for h in hits}) == 5
    assert shape_of(Path(hits[0]["path"])) == "triangle", [Path(h["path"]).name for h in hits]


def test_reading_commands_write_nothing_but_their_log(cli_library):
    before = library_files(cli_library.library, with_log=False)
    for args in (["status", "--json"], ["search", "a blue square", "--json"], ["failures", "--json"],
                 ["folders", "list", "--json"], ["models", "list", "--json"]):
        photoseek(*args, library=cli_library.library)
    assert library_files(cli_library.library, with_log=False) == before


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["search", "x", "--after", "yesterday"], 2, "not a date"),
        (["search", "x", "--weight", "3"], 2, "between 0"),
        (["search"], 2, "needs TEXT"),
        (["search", "--image", "/nonexistent/photo.jpg"], 1, "cannot read image"),
        (["search", "x", "--limit", "0"], 2, "at least 1"),
        (["frobnicate"], 2, "invalid choice"),
        (["folders", "remove", "/not/a/folder"], 2, "not one of the library's folders"),
        (["models", "use", "no-such-model"], 1, "no-such-model"),
    ],
)
def test_errors_are_one_clear_line(cli_library, args, code, message):
    proc = photoseek(*args, library=cli_library.library, check=False)
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_search_on_missing_library_fails_cleanly(tmp_path):
    proc = photoseek("search", "x", library=tmp_path / "nothing", check=False)
    assert proc.returncode == 1 and "no Photoseek library" in proc.stderr
    assert not (tmp_path / "nothing").exists()


def test_index_without_any_model_says_how_to_get_one(tmp_path):
    write_library(tmp_path / "p", 2)
    proc = photoseek("index", str(tmp_path / "p"), library=tmp_path / "lib", check=False)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "photoseek models download" in lines[0] and "Traceback" not in proc.stderr


def test_index_without_a_path_indexes_every_library_folder(template_library, tmp_path):
    t = copy_template(template_library, tmp_path / "t")
    write_photo(t.photos / "album0" / "new.jpg", 4242)
    (t.paths[3]).unlink()
    proc = photoseek("index", library=t.library)
    assert "indexed 1 photo(s)" in proc.stderr and proc.stdout == ""
    assert f"library: {t.count} photos, {t.count} indexed, 0 pending, 0 failed" in proc.stderr
    empty = photoseek("index", library=tmp_path / "empty", check=False)
    assert empty.returncode == 2 and "the library has no folders yet" in empty.stderr


def test_index_failures_and_folders(tmp_path, toyclip_bundle):
    photos = tmp_path / "p"
    write_library(photos, 3)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    lib = tmp_path / "lib"
    proc = photoseek("index", str(photos), "--model", str(toyclip_bundle), library=lib)
    assert "indexed 3 photo(s), 1 failed (see `photoseek failures`)" in proc.stderr and proc.stdout == ""
    assert "library: 4 photos, 3 indexed, 0 pending, 1 failed" in proc.stderr
    failures = json.loads(photoseek("failures", "--json", library=lib).stdout)
    assert [Path(f["path"]).name for f in failures] == ["broken.jpg"]
    assert failures[0]["reason"]
    human = photoseek("failures", library=lib).stdout
    assert human == f"{photos / 'broken.jpg'}: {failures[0]['reason']}\n"
    status = json.loads(photoseek("status", "--json", library=lib).stdout)
    assert (status["photos"], status["indexed"], status["failed"], status["pending"]) == (4, 3, 1, 0)
    assert status["model"] == TOYCLIP_NAME
    listed = json.loads(photoseek("folders", "list", "--json", library=lib).stdout)
    assert listed == [{"path": str(photos), "online": True, "photos": 4, "indexed": 3, "failed": 1}]
    other = tmp_path / "q"
    write_photo(other / "one.jpg", 5)
    photoseek("folders", "add", str(other), library=lib)
    assert json.loads(photoseek("status", "--json", library=lib).stdout)["folders"] == 2
    photoseek("index", str(other), library=lib)
    assert json.loads(photoseek("status", "--json", library=lib).stdout)["indexed"] == 4
    photoseek("folders", "remove", str(other), library=lib)
    status = json.loads(photoseek("status", "--json", library=lib).stdout)
    assert (status["photos"], status["folders"]) == (4, 1)
    assert (other / "one.jpg").is_file()  # forgotten, not deleted


def test_models_import_use_list_and_rebuild(tmp_path, toyclip_bundle):
    photoseek("models", "import", str(toyclip_bundle))
    listing = json.loads(photoseek("models", "list", "--json").stdout)
    assert any(m["name"] == TOYCLIP_NAME and m["installed"] for m in listing)
    assert any(m["name"] == "ViT-B-32__laion2b-s34b-b79k" and m["default"] for m in listing)
    assert (Path(os.environ["PHOTOSEEK_MODELS"]) / TOYCLIP_NAME / "config.json").is_file()
    photos = tmp_path / "p"
    write_library(photos, 4)
    lib = tmp_path / "lib"
    photoseek("index", str(photos), library=lib)  # the one installed model is used
    photoseek("models", "use", TOYCLIP_NAME, library=lib)
    listing = json.loads(photoseek("models", "list", "--json", library=lib).stdout)
    assert [m["name"] for m in listing if m.get("current")] == [TOYCLIP_NAME]
    proc = photoseek("rebuild", library=lib)
    assert "4 vectors" in proc.stderr
    assert len(json.loads(photoseek("search", "x", "--json", library=lib).stdout)) == 4


def test_version():
    proc = photoseek("--version")
    assert proc.stdout.startswith("photoseek ")
