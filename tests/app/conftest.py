"""Fixtures for the GUI tests: a generated, indexed library and the real app on it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from app.compat import protect_bool_singletons  # noqa: E402
from indexer.status import LibraryStatus  # noqa: E402
from tests.support.indexing import index_without_text  # noqa: E402
from tests.support.photos import write_library  # noqa: E402

GUI_PHOTOS = 60

protect_bool_singletons()       # PySide6 6.12 + Python 3.11: emit() drops a reference to True


@pytest.fixture(scope="session")
def gui_photos(tmp_path_factory) -> Path:
    """A folder of generated photos (JPEG with EXIF, PNG; three albums)."""
    folder = tmp_path_factory.mktemp("gui-photos") / "Pictures"
    write_library(folder, GUI_PHOTOS)
    return folder


@pytest.fixture(scope="session")
def gui_library_template(tmp_path_factory, gui_photos, tiny_bundle) -> Path:
    """A library with ``gui_photos`` fully indexed by the tiny model (built once), without reading the
    text in them (these tests are not about OCR)."""
    path = tmp_path_factory.mktemp("gui-library-template") / "library"
    index_without_text(path, gui_photos, tiny_bundle)
    return path


@pytest.fixture
def library_dir(tmp_path, gui_library_template) -> Path:
    """A private copy of the indexed library."""
    dest = tmp_path / "library"
    shutil.copytree(gui_library_template, dest)
    return dest


@pytest.fixture
def empty_library_dir(tmp_path, tiny_bundle) -> Path:
    """A library with a model and no folders.  Reading text in photos is off: these tests are about
    indexing and the window (the text-in-photo GUI has its own tests, and its cost its benchmark)."""
    path = tmp_path / "empty-library"
    index_without_text(path, None, tiny_bundle)
    return path


@pytest.fixture
def ui_settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


class RecordingDesktop:
    """Stands in for DesktopServices: records what the window asked for."""

    def __init__(self):
        self.calls: list[tuple[str, object]] = []

    def open_path(self, path):
        self.calls.append(("open", Path(path)))
        return True

    def open_video_at(self, path, seconds):
        self.calls.append(("open at", (Path(path), seconds)))
        return True

    def reveal(self, path):
        self.calls.append(("reveal", Path(path)))
        return True

    def copy_paths(self, paths):
        self.calls.append(("copy", [Path(p) for p in paths]))


@pytest.fixture
def make_app(qtbot, ui_settings, tmp_path):
    """Start the real app (PhotoseekApp: services + main window) on a library."""
    from app.application import PhotoseekApp

    apps = []

    def make(library: Path, *, watch: bool = False, first_run: bool = False, desktop=None, wait_ready=True):
        app = PhotoseekApp(library, ui_settings=ui_settings, first_run=first_run, watch=watch, desktop=desktop)
        qtbot.addWidget(app.window)
        apps.append(app)
        runs = []

        def run_finished(cancelled: bool, status: LibraryStatus) -> None:
            runs.append(status)

        app.index.finished.connect(run_finished)
        if wait_ready:
            with qtbot.waitSignal(app.ready, timeout=20000) as ready:
                app.start()
            status: LibraryStatus = ready.args[0]
            if not watch and status.folders and status.model:
                # the start-up rescan: let it finish so its refresh does not race the test's searches
                qtbot.waitUntil(lambda: bool(runs), timeout=30000)
        else:
            app.start()
        app.window.search_bar.set_delay(50)
        return app

    yield make
    for app in apps:
        app.window.close()
        app.shutdown()
