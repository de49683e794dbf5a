"""First run, folders and settings dialogs, driven through their real widgets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.payloads import Folders
from indexer.library import Library
from tests.support.photos import write_library

pytestmark = pytest.mark.gui


@pytest.fixture
def no_model_library(tmp_path) -> Path:
    """A fresh library: no folders, no model configured or installed."""
    return tmp_path / "fresh-library"


def test_first_run_imports_a_model_adds_folders_and_indexes(make_app, qtbot, no_model_library, tiny_bundle, tmp_path):
    photos = tmp_path / "Pictures"
    write_library(photos, 12, start_seed=300)
    app = make_app(no_model_library, first_run=True)
    qtbot.waitUntil(lambda: app.welcome is not None and app.welcome.isVisible(), timeout=10000)
    dlg = app.welcome
    # step 1: folders (the Pictures suggestion depends on the machine: start from a clean list)
    dlg.folder_list.list.clear()
    dlg.folder_list.add(photos)
    assert dlg.folder_list.folders() == [photos]
    dlg.next_button.click()
    # step 2: a model -- import a bundle directory (a background job with progress)
    assert dlg.pages.currentWidget() is dlg.model_page and not dlg.next_button.isEnabled()
    with qtbot.waitSignal(dlg.getter.installed, timeout=60000):
        dlg.getter.import_from(tiny_bundle)
    assert (Path(os.environ["PHOTOSEEK_MODELS"]) / tiny_bundle.name / "config.json").is_file()
    qtbot.waitUntil(dlg.next_button.isEnabled)
    assert dlg.next_button.text() == "Start"
    with qtbot.waitSignal(app.index.indexingChanged, timeout=30000, check_params_cb=lambda on: not on):
        dlg.next_button.click()
    qtbot.waitUntil(lambda: app.index.last_status.indexed == 12, timeout=30000)
    assert app.index.last_status.model == tiny_bundle.name


def test_a_failed_download_is_a_readable_message(make_app, qtbot, no_model_library, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")      # nothing listens there
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    app = make_app(no_model_library, first_run=True)
    qtbot.waitUntil(lambda: app.welcome is not None and app.welcome.isVisible(), timeout=10000)
    getter = app.welcome.getter
    with qtbot.waitSignal(getter.busyChanged, timeout=60000, check_params_cb=lambda busy: not busy):
        getter.download()
    assert getter.error_label.text()                       # says what went wrong
    assert "Traceback" not in getter.error_label.text()
    assert app.window.isVisible()


def test_folders_dialog_lists_counts_and_removes(make_app, qtbot, library_dir, gui_photos):
    app = make_app(library_dir)
    dlg = app.show_folders()
    qtbot.waitUntil(lambda: dlg.tree.topLevelItemCount() == 1)
    item = dlg.tree.topLevelItem(0)
    assert item.text(0) == str(gui_photos) and item.text(1) == "60" and item.text(2) == "60"
    item.setSelected(True)
    with qtbot.waitSignal(app.index.foldersChanged, timeout=20000, check_params_cb=lambda f: f == Folders()):
        dlg.remove_selected(confirm=False)
    qtbot.waitUntil(lambda: dlg.tree.topLevelItemCount() == 0)


def test_settings_dialog_saves_threads_provider_and_exclusions(make_app, qtbot, library_dir, tmp_path):
    app = make_app(library_dir)
    qtbot.waitUntil(lambda: app.index.settings is not None)     # the writer published its settings
    # the GUI side holds copies and a reader, never the writer's Library
    assert not any(isinstance(v, Library) for obj in (app, app.index, app.window) for v in vars(obj).values())
    dlg = app.show_settings()
    assert dlg is not None
    assert dlg.provider.itemData(0) == "" and dlg.provider.count() >= 2       # automatic + CPU
    cpu = dlg.provider.findData("CPUExecutionProvider")
    dlg.provider.setCurrentIndex(cpu)
    dlg.threads.setValue(1)
    excluded = tmp_path / "private"
    excluded.mkdir()
    dlg.excluded.add(excluded)
    with qtbot.waitSignal(app.index.statusChanged, timeout=20000):
        dlg.accept()
    qtbot.waitUntil(lambda: (library_dir / "settings.toml").read_text().count("CPUExecutionProvider") == 1,
                    timeout=10000)
    text = (library_dir / "settings.toml").read_text()
    assert "threads = 1" in text and str(excluded) in text


def test_settings_lists_installed_models_from_the_background(make_app, qtbot, library_dir, tiny_bundle):
    from indexer.models.registry import import_bundle
    import_bundle(tiny_bundle, Path(os.environ["PHOTOSEEK_MODELS"]))
    app = make_app(library_dir)
    qtbot.waitUntil(lambda: app.index.settings is not None)
    dlg = app.show_settings()
    qtbot.waitUntil(lambda: dlg.models.count() == 1, timeout=10000)
    assert dlg.models.item(0).data(Qt.ItemDataRole.UserRole) == tiny_bundle.name
    dlg.reject()


def test_a_library_in_use_elsewhere_is_searched_read_only(make_app, qtbot, library_dir):
    holder = Library.open(library_dir)                  # another writer holds the lock
    try:
        app = make_app(library_dir, wait_ready=False)
        w = app.window
        qtbot.waitUntil(lambda: "in use" in w.banner.message(), timeout=20000)
        assert "read-only" in w.banner.message()
        with qtbot.waitSignal(w.controller.resultsChanged, timeout=30000) as sig:
            w.search_bar.setText("a red circle")
            w.search_bar.returnPressed.emit()
        assert sig.args[0] == 60
    finally:
        holder.close()


def test_first_run_download_shows_progress_and_installs(make_app, qtbot, no_model_library, tiny_bundle,
                                                        monkeypatch):
    """The default model, downloaded from a local fake Hugging Face hub (no network here)."""
    from huggingface_hub import constants

    from indexer.models import hub
    from indexer.models.registry import DEFAULT_MODEL
    from tests.indexer.models.test_hub import FakeHub

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    server = FakeHub()
    server.add_bundle(f"immich-app/{DEFAULT_MODEL}", tiny_bundle)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setattr(hub, "PROGRESS_INTERVAL", 0.0)
    try:
        app = make_app(no_model_library, first_run=True)
        qtbot.waitUntil(lambda: app.welcome is not None and app.welcome.isVisible(), timeout=10000)
        dlg = app.welcome
        dlg.next_button.click()                           # folders -> model
        getter = dlg.getter
        values = []
        getter.progress.valueChanged.connect(values.append)
        with qtbot.waitSignal(getter.installed, timeout=60000) as sig:
            getter.download_button.click()
        assert sig.args[0].name == DEFAULT_MODEL
        assert values and values[-1] == getter.progress.maximum() and len(set(values)) > 2
        assert "ready" in getter.progress_label.text()
        qtbot.waitUntil(dlg.next_button.isEnabled)
    finally:
        server.close()


def test_adding_a_folder_without_a_model_asks_for_one(make_app, qtbot, no_model_library, tmp_path):
    photos = tmp_path / "Pictures"
    write_library(photos, 3, start_seed=800)
    app = make_app(no_model_library, first_run=False)     # "Later" on the first run, in effect
    assert app.welcome is None
    app.window.add_folder(photos)
    qtbot.waitUntil(lambda: app.welcome is not None and app.welcome.isVisible(), timeout=20000)
    assert app.welcome.pages.currentWidget() is app.welcome.model_page
    assert app.welcome.pages.count() == 1
    app.welcome.reject()
