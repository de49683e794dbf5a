"""A library last opened by an older Photoseek: readers refuse it clearly; the command line brings it up
to date once, as `index` would."""

from __future__ import annotations

import pytest

from indexer.errors import CatalogOutdated
from indexer.library_reader import LibraryReader
from indexer.lock import LibraryLock
from tests.support.cli import run_photoseek
from tests.support.old_catalogs import as_schema_2
from tests.support.template import copy_template


@pytest.fixture
def old_library(template_library, tmp_path):
    lib = copy_template(template_library, tmp_path / "t").library
    expected = run_photoseek("search", "a red circle", "--json", library=lib)
    assert expected.returncode == 0, expected.stderr
    as_schema_2(lib)
    return lib, expected.stdout


def test_a_reader_refuses_an_outdated_catalog_and_says_what_to_do(old_library):
    lib, _ = old_library
    with pytest.raises(CatalogOutdated, match=r"older Photoseek \(catalog schema 2.*photoseek index"):
        LibraryReader.open(lib)


def test_search_brings_the_catalog_up_to_date_once_then_answers(old_library):
    lib, expected = old_library
    proc = run_photoseek("search", "a red circle", "--json", library=lib)
    assert proc.returncode == 0, proc.stderr
    assert "brought the library's catalog up to date" in proc.stderr
    assert proc.stdout == expected
    again = run_photoseek("search", "a red circle", "--json", library=lib)
    assert again.returncode == 0 and "up to date" not in again.stderr
    with LibraryReader.open(lib) as reader:
        assert reader.status().indexed > 0


def test_while_another_photoseek_writes_it_the_reader_error_stands(old_library):
    lib, _ = old_library
    lock = LibraryLock(lib / "lock")
    lock.acquire()
    try:
        proc = run_photoseek("status", library=lib)
    finally:
        lock.release()
    assert proc.returncode != 0
    assert "older Photoseek" in proc.stderr and "Traceback" not in proc.stderr
