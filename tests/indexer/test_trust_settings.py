"""settings.toml is checked when it is read: a wrong type or range is one clear error, never a crash or a runaway."""

from __future__ import annotations

import logging
import os
import threading

import pytest

from indexer.config import FILENAME, MAX_THREADS, Settings
from indexer.errors import LibraryError

BAD = [
    ('batch_size = "16"', "batch_size", "whole number"),
    ("batch_size = 0", "batch_size", "from 1 to 256"),
    ("batch_size = 100000", "batch_size", "from 1 to 256"),
    ("batch_size = 16.0", "batch_size", "whole number"),
    ('providers = "cuda"', "providers", "must be a list"),
    ("providers = [1, 2]", "providers", "text"),
    ('providers = [""]', "providers", "empty"),
    ("threads = 100000", "threads", f"from 0 to {MAX_THREADS}"),
    ("threads = -1", "threads", "from 0"),
    ("threads = true", "threads", "whole number"),
    ("decode_workers = 33", "decode_workers", "from 0 to 32"),
    ("decode_workers = -1", "decode_workers", "from 0 to 32"),
    ("reconcile_minutes = 0", "reconcile_minutes", "above 0"),
    ("reconcile_minutes = -5.0", "reconcile_minutes", "above 0"),
    ("reconcile_minutes = nan", "reconcile_minutes", "above 0"),
    ("reconcile_minutes = inf", "reconcile_minutes", "above 0"),
    ("reconcile_minutes = 1e12", "reconcile_minutes", "at most"),
    ('reconcile_minutes = "10"', "reconcile_minutes", "number of minutes"),
    ("debounce_seconds = 0.0", "debounce_seconds", "above 0"),
    ("debounce_seconds = 1e9", "debounce_seconds", "at most"),
    ("debounce_seconds = false", "debounce_seconds", "number of seconds"),
    ("model = 3", "model", "must be text"),
    ("model = ['a']", "model", "must be text"),
    ('model = "a\\u0000b"', "model", "NUL"),
    ('excluded = "/tmp"', "excluded", "must be a list"),
    ("excluded = [[1]]", "excluded", "text"),
    ("[model]\nname = 'x'", "model", "must be text"),
]


@pytest.mark.parametrize(("toml", "key", "problem"), BAD)
def test_a_bad_value_is_one_clear_error(tmp_path, toml, key, problem):
    (tmp_path / FILENAME).write_text(toml + "\n", encoding="utf-8")
    with pytest.raises(LibraryError) as err:
        Settings.load(tmp_path)
    message = str(err.value)
    assert message.startswith(f"{tmp_path / FILENAME}: {key}: "), message
    assert problem in message
    assert "\n" not in message


def test_good_values_load_with_their_declared_types(tmp_path, caplog):
    (tmp_path / FILENAME).write_text(
        'model = "toyclip"\nproviders = ["cpu"]\nthreads = 4\nexcluded = ["/a", "tmp"]\nbatch_size = 256\n'
        "decode_workers = 0\nreconcile_minutes = 10\ndebounce_seconds = 0.2\nfuture_option = 1\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING):
        s = Settings.load(tmp_path)
    assert (s.model, s.providers, s.threads, s.excluded) == ("toyclip", ["cpu"], 4, ["/a", "tmp"])
    assert (s.batch_size, s.decode_workers) == (256, 0)
    assert isinstance(s.reconcile_minutes, float) and s.reconcile_minutes == 10.0
    assert s.debounce_seconds == 0.2
    assert "future_option" in caplog.text  # an unknown key stays a warning


def test_saving_a_bad_value_is_refused_and_leaves_the_file(tmp_path):
    Settings(threads=2).save(tmp_path)
    before = (tmp_path / FILENAME).read_bytes()
    with pytest.raises(LibraryError, match="threads"):
        Settings(threads=100000).save(tmp_path)
    assert (tmp_path / FILENAME).read_bytes() == before
    assert Settings.load(tmp_path).threads == 2


def test_a_settings_path_that_is_not_a_file_is_an_error_not_a_hang(tmp_path):
    (tmp_path / FILENAME).mkdir()
    with pytest.raises(LibraryError, match="not a regular file"):
        Settings.load(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_settings_file_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / FILENAME)
    result: list[BaseException | None] = []

    def load() -> None:
        try:
            Settings.load(tmp_path)
            result.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            result.append(exc)

    t = threading.Thread(target=load, daemon=True)
    t.start()
    t.join(5)
    if t.is_alive():  # unblock the reader so the thread ends
        with open(tmp_path / FILENAME, "wb"):
            pass
        pytest.fail("Settings.load blocked on a FIFO")
    assert isinstance(result[0], LibraryError)


def test_a_huge_or_binary_settings_file_is_an_error(tmp_path):
    (tmp_path / FILENAME).write_bytes(b"# " + b"x" * (2 << 20))
    with pytest.raises(LibraryError, match="too big"):
        Settings.load(tmp_path)
    (tmp_path / FILENAME).write_bytes(b"\xff\xfe\x00")
    with pytest.raises(LibraryError, match="not valid TOML"):
        Settings.load(tmp_path)


def test_the_library_and_reader_refuse_bad_settings_with_the_same_error(tmp_path):
    from indexer.library import Library
    from indexer.library_reader import LibraryReader

    lib_dir = tmp_path / "lib"
    with Library.open(lib_dir):
        pass
    (lib_dir / FILENAME).write_text('providers = "cuda"\n', encoding="utf-8")
    with pytest.raises(LibraryError, match="providers: must be a list"):
        Library.open(lib_dir)
    with pytest.raises(LibraryError, match="providers: must be a list"):
        LibraryReader.open(lib_dir)
