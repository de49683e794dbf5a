"""A library last opened by an older Photoseek: reading commands refuse it clearly and write nothing;
a writing command brings it up to date."""

from __future__ import annotations

import pytest

from indexer.errors import CatalogOutdated
from indexer.library_reader import LibraryReader
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


def test_reading_commands_say_what_to_do_and_write_nothing_then_index_brings_it_up_to_date(old_library):
    lib, expected = old_library
    before = {p: p.stat().st_mtime_ns for p in lib.rglob("*") if p.is_file() and not p.name.endswith(("-shm", "-wal"))}
    for command in (["search", "a red circle"], ["status"], ["failures"]):
        proc = run_photoseek(*command, library=lib)
        assert proc.returncode == 1, (command, proc.stderr)
        assert "last opened by an older Photoseek" in proc.stderr and "photoseek index" in proc.stderr
        assert "Traceback" not in proc.stderr and "no such table" not in proc.stderr
    after = {p: p.stat().st_mtime_ns for p in lib.rglob("*") if p.is_file() and not p.name.endswith(("-shm", "-wal"))}
    assert after == before
    assert run_photoseek("index", library=lib).returncode == 0
    proc = run_photoseek("search", "a red circle", "--json", library=lib)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == expected
