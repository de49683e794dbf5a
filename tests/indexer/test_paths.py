"""Where Photoseek keeps its files, and the start-up check that it can write there.

Tests run as root, where permission bits stop nothing; an unwritable folder is
made by putting it under a regular *file* (creating it fails with ENOTDIR), and
read-only disks / full disks are simulated at the one call that probes.
The command line's use of the check is tested in tests/cli/test_cli_paths.py.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import pytest

from indexer import paths


def test_env_overrides_library_and_models(tmp_path, monkeypatch):
    monkeypatch.setenv("PHOTOSEEK_LIBRARY", str(tmp_path / "lib"))
    monkeypatch.setenv("PHOTOSEEK_MODELS", str(tmp_path / "models"))
    assert paths.default_library_dir() == tmp_path / "lib"
    assert paths.models_dir() == tmp_path / "models"


def test_writable_existing_folder_leaves_nothing_behind(tmp_path):
    assert paths.check_writable(tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_fine_when_it_can_be_created_and_is_not_created(tmp_path):
    target = tmp_path / "a" / "b" / "library"
    assert paths.check_writable(target) is None
    assert not (tmp_path / "a").exists()
    assert list(tmp_path.iterdir()) == []


def test_folder_under_a_file_cannot_be_created(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("I am a file")
    problem = paths.check_writable(blocker / "photoseek" / "library", "library folder")
    assert problem == (f"cannot create the library folder {blocker / 'photoseek' / 'library'}: "
                       f"{blocker} is a file, not a folder")
    # and really: creating it fails the same way
    with pytest.raises(OSError):
        (blocker / "photoseek" / "library").mkdir(parents=True)


def test_path_that_is_a_file(tmp_path):
    f = tmp_path / "library"
    f.write_text("x")
    assert paths.check_writable(f, "library folder") == f"the library folder {f} is a file, not a folder"


def test_broken_link(tmp_path):
    link = tmp_path / "library"
    link.symlink_to(tmp_path / "gone" / "elsewhere")
    assert "is a broken link" in paths.check_writable(link)


@pytest.mark.parametrize(
    ("code", "reason"),
    [(errno.EROFS, "it is on a read-only disk"), (errno.EACCES, "permission denied"),
     (errno.ENOSPC, "the disk is full")],
)
def test_unwritable_existing_folder_explains_why(tmp_path, monkeypatch, code, reason):
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    assert paths.check_writable(tmp_path, "models folder") == f"cannot write to the models folder {tmp_path}: {reason}"
    assert paths.check_writable(tmp_path / "new", "models folder") == (
        f"cannot create the models folder {tmp_path / 'new'}: {tmp_path} is not writable ({reason})")


def test_full_disk_when_writing_the_probe_file(tmp_path, monkeypatch):
    real_write = Path.write_bytes

    def full(self, data):
        if self.name == "probe":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    assert paths.check_writable(tmp_path) == f"cannot write to the folder {tmp_path}: the disk is full"
    assert list(tmp_path.iterdir()) == []  # the probe folder was removed


def test_writable_problems_names_the_folder_and_the_way_out(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("PHOTOSEEK_MODELS", str(blocker / "models"))
    problems = paths.writable_problems(blocker / "lib")
    assert len(problems) == 2
    assert problems[0].startswith(f"cannot create the library folder {blocker / 'lib'}")
    assert "--library" in problems[0] and "PHOTOSEEK_LIBRARY" in problems[0]
    assert problems[1].startswith(f"cannot create the models folder {blocker / 'models'}")
    assert "PHOTOSEEK_MODELS" in problems[1]
    assert paths.writable_problems(blocker / "lib", library=False, models=False) == []
    monkeypatch.setenv("PHOTOSEEK_MODELS", str(tmp_path / "models"))
    assert paths.writable_problems(tmp_path / "lib") == []
