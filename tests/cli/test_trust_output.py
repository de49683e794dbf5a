"""What the command line prints cannot be driven by a file name, and says what it did and why.

Control characters in file and folder names are escaped in human output (JSON
stays exact); `index` counts failures apart from indexed photos; `--model` saves
an absolute bundle path; `--folder` says why it cannot match; settings errors
are one line.  Each runs the real `photoseek` as a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import cli_env, photoseek_cmd, run_photoseek
from tests.support.photos import write_photo

# ESC ] (retitle the terminal), BEL, CSI (clear the screen), CR (overwrite the line), a bidi override.
HOSTILE_FOLDER = "f\x1b]0;pwned\x07"
HOSTILE_NAMES = ["a\x1b[2J.jpg", "b\rFAKE.jpg", "c\u202egpj.jpg", "d\x9b31m.jpg"]
HOSTILE_BROKEN = "e\x1b]2;title\x07.jpg"
RAW = ("\x1b", "\x07", "\r", "\u202e", "\x9b")


def photoseek(*args: str, library: Path, check: bool = True) -> subprocess.CompletedProcess:
    proc = run_photoseek(*args, library=library, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"photoseek {' '.join(args)} -> {proc.returncode}\n{proc.stderr}")
    return proc


def assert_clean(text: str) -> None:
    found = [c for c in RAW if c in text]
    assert not found, f"raw control characters {found!r} reached the terminal: {text!r}"


@pytest.fixture(scope="module")
def hostile_library(tmp_path_factory, toyclip_bundle) -> dict:
    root = tmp_path_factory.mktemp("hostile")
    folder = root / "photos" / HOSTILE_FOLDER
    paths = [write_photo(folder / name, i, (96, 72)) for i, name in enumerate(HOSTILE_NAMES)]
    (folder / HOSTILE_BROKEN).write_bytes(b"\xff\xd8\xff not a jpeg")
    lib = root / "lib"
    proc = photoseek("index", str(root / "photos"), "--model", str(toyclip_bundle), library=lib)
    return {"root": root, "folder": folder, "paths": paths, "library": lib, "index": proc}


def test_search_output_escapes_control_characters_and_json_stays_exact(hostile_library):
    lib, paths = hostile_library["library"], hostile_library["paths"]
    human = photoseek("search", "a photo", library=lib).stdout
    assert_clean(human)
    assert len(human.splitlines()) == len(paths)  # a CR or a newline in a name cannot fake a line
    assert "\\x1b[2J" in human and "\\r" in human and "\\u202e" in human
    hits = json.loads(photoseek("search", "a photo", "--json", library=lib).stdout)
    assert sorted(h["path"] for h in hits) == sorted(str(p) for p in paths)  # exact names


def test_failures_folders_and_errors_escape_control_characters(hostile_library):
    lib, folder = hostile_library["library"], hostile_library["folder"]
    index = hostile_library["index"]
    assert_clean(index.stderr)
    failures = photoseek("failures", library=lib).stdout
    assert_clean(failures)
    assert "\\x1b]2;title\\x07" in failures and len(failures.splitlines()) == 1
    assert json.loads(photoseek("failures", "--json", library=lib).stdout)[0]["path"] == str(folder / HOSTILE_BROKEN)
    folders = photoseek("folders", "list", library=lib).stdout
    assert_clean(folders)
    # An error message that quotes a file name.
    missing = photoseek("search", "--image", str(folder / "gone\x1b]0;x\x07.jpg"), library=lib, check=False)
    assert missing.returncode == 1 and missing.stderr.startswith("photoseek: error:")
    assert_clean(missing.stderr)
    assert len(missing.stderr.strip().splitlines()) == 1


def test_index_counts_failed_photos_apart_from_indexed_ones(hostile_library):
    stderr = hostile_library["index"].stderr
    assert f"indexed {len(HOSTILE_NAMES)} photo(s), 1 failed" in stderr, stderr


def test_all_failed_is_not_reported_as_indexed(tmp_path, toyclip_bundle):
    broken = tmp_path / "broken"
    broken.mkdir()
    for i in range(3):
        (broken / f"{i}.jpg").write_bytes(b"\xff\xd8\xff garbage")
    proc = photoseek("index", str(broken), "--model", str(toyclip_bundle), library=tmp_path / "lib")
    assert "indexed 0 photo(s), 3 failed" in proc.stderr, proc.stderr
    assert "indexed 3 photo(s)" not in proc.stderr


def test_a_relative_model_path_is_saved_absolute(tmp_path, toyclip_bundle):
    import shutil

    work = tmp_path / "work"
    shutil.copytree(toyclip_bundle, work / "mymodel")
    photos = tmp_path / "photos"
    write_photo(photos / "p.jpg", 1, (96, 72))
    lib = tmp_path / "lib"
    proc = subprocess.run(photoseek_cmd("index", str(photos), "--model", "./mymodel", library=lib),
                          capture_output=True, text=True, env=cli_env(), cwd=work, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f'model = "{(work / "mymodel").resolve()}"' in (lib / "settings.toml").read_text(encoding="utf-8")
    # From another directory the library still finds its model.
    status = json.loads(photoseek("status", "--json", library=lib).stdout)
    assert (status["model"], status["indexed"]) == ("mymodel", 1)


def test_folder_filter_says_why_it_cannot_match(hostile_library, tmp_path):
    from indexer.errors import UsageError
    from indexer.library_reader import LibraryReader
    from indexer.search import Query

    lib, folder, root = hostile_library["library"], hostile_library["folder"], hostile_library["root"]
    alias = tmp_path / "alias"
    os.symlink(root / "photos", alias)
    cases = {
        hostile_library["paths"][0]: "is a file, not a folder",
        tmp_path: "is not in the library",
        folder / "no such album": "does not exist",
        alias: "filter by that path",
    }
    with LibraryReader.open(lib) as reader:
        for given, why in cases.items():
            with pytest.raises(UsageError, match=why):
                reader.search(Query(text="a photo", folder=given))
        assert len(reader.search(Query(text="a photo", folder=folder))) == len(HOSTILE_NAMES)
        assert len(reader.search(Query(text="a photo", folder=root))) == len(HOSTILE_NAMES)  # holds the folder
    # The command line: a usage error (exit code 2) with the reason, nothing on stdout.
    proc = photoseek("search", "a photo", "--folder", str(tmp_path), library=lib, check=False)
    assert proc.returncode == 2 and proc.stdout == "", proc.stderr
    assert proc.stderr.startswith("photoseek: error: ") and "is not in the library" in proc.stderr


def test_bad_settings_are_one_clear_line(hostile_library, tmp_path):
    import shutil

    lib = tmp_path / "lib"
    shutil.copytree(hostile_library["library"], lib)
    (lib / "settings.toml").write_text('batch_size = "16"\n', encoding="utf-8")
    for args in (("status",), ("search", "a photo"), ("index",)):
        proc = photoseek(*args, library=lib, check=False)
        assert proc.returncode == 1, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert lines == [lines[0]] and "settings.toml: batch_size: must be a whole number" in lines[0], proc.stderr


def test_log_lines_and_tracebacks_are_escaped_for_the_terminal_and_the_log_file():
    import logging

    from app.cli.terminal import EscapingFormatter, shown

    name = "x\x1b]0;t\x07\r\n\u202e\udcff.jpg"
    assert shown(name) == "x\\x1b]0;t\\x07\\r\\n\\u202e\\udcff.jpg"
    assert shown("Ünïcode 日本 ok") == "Ünïcode 日本 ok"
    try:
        raise OSError(f"cannot read {name}")
    except OSError:
        import sys

        record = logging.LogRecord("t", logging.WARNING, __file__, 1, "skipping %s", (name,), sys.exc_info())
    text = EscapingFormatter("%(levelname)s: %(message)s").format(record)
    assert_clean(text)
    assert "\udcff" not in text  # would fail to encode into the UTF-8 log file
    assert text.startswith("WARNING: skipping x\\x1b]0;t\\x07") and "Traceback" in text.splitlines()[1]
