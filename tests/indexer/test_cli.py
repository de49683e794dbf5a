"""The `photoseek` command contract (DESIGN.md section 6), run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.bundles import TINY_NAME
from tests.support.photos import resized_copy, write_library, write_photo

ROOT = Path(__file__).resolve().parents[2]


def photoseek(*args: str, library: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "indexer.cli"]
    if library is not None:
        cmd += ["--library", str(library)]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(cmd + list(args), capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"photoseek {' '.join(args)} -> {proc.returncode}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def cli_library(tmp_path_factory, tiny_bundle):
    root = tmp_path_factory.mktemp("cli")
    photos = root / "My Photos"
    paths = write_library(photos, 30)
    resized_copy(paths[4], photos / "copy of four.jpg", 0.5, 70)
    lib = root / "lib"
    proc = photoseek("index", str(photos), "--model", str(tiny_bundle), library=lib)
    return lib, photos, paths, proc


def test_index_prints_a_summary(cli_library):
    _, _, _, proc = cli_library
    assert "indexed 31 photo(s)" in proc.stderr
    assert proc.stdout == ""


def test_status_json(cli_library):
    lib, photos, _, _ = cli_library
    status = json.loads(photoseek("status", "--json", library=lib).stdout)
    assert {k: status[k] for k in ("photos", "indexed", "pending", "failed", "folders", "model")} == {
        "photos": 31, "indexed": 31, "pending": 0, "failed": 0, "folders": 1, "model": TINY_NAME,
    }


def test_search_json_contract(cli_library):
    lib, photos, paths, _ = cli_library
    hits = json.loads(photoseek("search", "a red circle", "--json", "--limit", "7", library=lib).stdout)
    assert len(hits) == 7
    assert [h["rank"] for h in hits] == list(range(1, 8))
    assert all({"path", "score", "rank"} <= h.keys() for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert all(Path(h["path"]).exists() for h in hits)


def test_search_by_image_and_edit(cli_library):
    lib, photos, paths, _ = cli_library
    hits = json.loads(photoseek("search", "--image", str(paths[4]), "--json", "--limit", "3", library=lib).stdout)
    assert hits[0]["path"] == str(photos / "copy of four.jpg")
    assert str(paths[4]) not in [h["path"] for h in hits]
    with_self = json.loads(
        photoseek("search", "--image", str(paths[4]), "--include-self", "--json", library=lib).stdout
    )
    assert with_self[0]["path"] == str(paths[4])
    edit = json.loads(
        photoseek("search", "at night", "--image", str(paths[4]), "--weight", "0.3", "--json", library=lib).stdout
    )
    assert len(edit) == 20


def test_search_with_filters_and_human_output(cli_library):
    lib, photos, paths, _ = cli_library
    out = photoseek("search", "sunset", "--folder", str(photos / "album2"), "--limit", "100", library=lib).stdout
    lines = out.strip().splitlines()
    assert len(lines) == sum(1 for p in paths if p.parent.name == "album2")
    assert all("album2" in line for line in lines)
    none = json.loads(
        photoseek("search", "sunset", "--after", "2090-01-01", "--json", library=lib).stdout
    )
    assert none == []


def test_sketch_search(cli_library, tmp_path):
    from PIL import Image, ImageDraw

    lib, *_ = cli_library
    sketch = Image.new("RGB", (256, 256), "white")
    ImageDraw.Draw(sketch).polygon([(128, 20), (230, 230), (26, 230)], outline="black", width=5)
    sketch.save(tmp_path / "sketch.png")
    hits = json.loads(photoseek("search", "--sketch", str(tmp_path / "sketch.png"), "--json", library=lib).stdout)
    assert len(hits) == 20


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
    lib, *_ = cli_library
    proc = photoseek(*args, library=lib, check=False)
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_search_on_missing_library_fails_cleanly(tmp_path):
    proc = photoseek("search", "x", library=tmp_path / "nothing", check=False)
    assert proc.returncode == 1 and "no Photoseek library" in proc.stderr


def test_index_without_any_model_says_how_to_get_one(tmp_path):
    write_library(tmp_path / "p", 2)
    proc = photoseek("index", str(tmp_path / "p"), library=tmp_path / "lib", check=False)
    assert proc.returncode == 1
    assert "photoseek models download" in proc.stderr and "Traceback" not in proc.stderr


def test_failures_and_folders(tmp_path, tiny_bundle):
    photos = tmp_path / "p"
    write_library(photos, 3)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    lib = tmp_path / "lib"
    photoseek("index", str(photos), "--model", str(tiny_bundle), library=lib)
    failures = json.loads(photoseek("failures", "--json", library=lib).stdout)
    assert [Path(f["path"]).name for f in failures] == ["broken.jpg"]
    assert failures[0]["reason"]
    status = json.loads(photoseek("status", "--json", library=lib).stdout)
    assert (status["photos"], status["indexed"], status["failed"], status["pending"]) == (4, 3, 1, 0)
    listed = json.loads(photoseek("folders", "list", "--json", library=lib).stdout)
    assert listed == [{"path": str(photos), "online": True, "photos": 4, "indexed": 3, "failed": 1}]
    other = tmp_path / "q"
    write_photo(other / "one.jpg", 5)
    photoseek("folders", "add", str(other), library=lib)
    photoseek("index", str(other), library=lib)
    assert json.loads(photoseek("status", "--json", library=lib).stdout)["indexed"] == 4
    photoseek("folders", "remove", str(other), library=lib)
    assert json.loads(photoseek("status", "--json", library=lib).stdout)["photos"] == 4


def test_models_import_use_list_and_rebuild(tmp_path, tiny_bundle):
    photoseek("models", "import", str(tiny_bundle))
    listing = json.loads(photoseek("models", "list", "--json").stdout)
    assert any(m["name"] == TINY_NAME and m["installed"] for m in listing)
    assert any(m["name"] == "ViT-B-32__laion2b-s34b-b79k" and m["default"] for m in listing)
    photos = tmp_path / "p"
    write_library(photos, 4)
    lib = tmp_path / "lib"
    photoseek("index", str(photos), library=lib)  # the one installed model is used
    photoseek("models", "use", TINY_NAME, library=lib)
    proc = photoseek("rebuild", library=lib)
    assert "4 vectors" in proc.stderr
    assert len(json.loads(photoseek("search", "x", "--json", library=lib).stdout)) == 4


def test_version():
    proc = photoseek("--version")
    assert proc.stdout.startswith("photoseek ")
