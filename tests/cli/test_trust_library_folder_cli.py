"""The command line on a library folder made by someone else (issue 26, class 1): one line, exit code 1,
and the file a planted link points to is left as it was."""

from __future__ import annotations

import os
import pwd
import stat

import pytest

from tests.support.cli import run_photoseek
from tests.support.images import photo, write_jpeg

VICTIM_TEXT = "alias ls='ls --color'\n"


@pytest.fixture
def setup(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(2):
        write_jpeg(photos / f"p{i}.jpg", photo(96, 64, seed=i))
    victim = tmp_path / "home" / ".profile"
    victim.parent.mkdir()
    victim.write_text(VICTIM_TEXT)
    library = tmp_path / "lib"
    library.mkdir(mode=0o700)
    (library / "photoseek.log").symlink_to(victim)
    return photos, library, victim


def _refused(proc, library, victim, why: str) -> None:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("photoseek: error: the library folder"), proc.stderr
    assert why in lines[0] and str(library) in lines[0]
    assert victim.read_text() == VICTIM_TEXT
    assert sorted(p.name for p in library.iterdir()) == ["photoseek.log"]


def test_index_refuses_a_library_folder_everyone_may_write(setup, toyclip_bundle):
    photos, library, victim = setup
    os.chmod(library, 0o777)
    proc = run_photoseek("index", str(photos), "--model", str(toyclip_bundle), library=library)
    _refused(proc, library, victim, "may be written by other users")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown to another user needs root")
def test_index_refuses_a_library_folder_of_another_user(setup, toyclip_bundle):
    photos, library, victim = setup
    try:
        nobody = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        nobody = 65534
    os.chown(library, nobody, -1)
    proc = run_photoseek("index", str(photos), "--model", str(toyclip_bundle), library=library)
    _refused(proc, library, victim, "belongs to another user")


def test_index_never_logs_through_a_linked_log(setup, toyclip_bundle):
    photos, library, victim = setup
    proc = run_photoseek("index", str(photos), "--model", str(toyclip_bundle), library=library)
    assert proc.returncode == 0, proc.stderr
    assert victim.read_text() == VICTIM_TEXT
    assert os.path.islink(library / "photoseek.log")  # left as it was: no log is written through it
    assert stat.S_IMODE(os.stat(library).st_mode) == 0o700
