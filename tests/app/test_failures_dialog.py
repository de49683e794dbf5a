"""Unreadable files in the GUI: "N unreadable" opens their list; reveal, open and try again."""

from __future__ import annotations

import shutil

import pytest

from tests.app.conftest import RecordingDesktop
from tests.support.photos import write_photo

pytestmark = pytest.mark.gui


@pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$", r"^Corrupt JPEG data",
                           r"^JPEG datastream contains no image$")
def test_the_unreadable_count_opens_the_list_and_a_fixed_file_is_read_again(make_app, qtbot, library_dir,
                                                                          gui_photos, tmp_path):
    folder = tmp_path / "more"
    folder.mkdir()
    broken = folder / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    desktop = RecordingDesktop()
    app = make_app(library_dir, desktop=desktop)
    w = app.window
    with qtbot.waitSignal(app.index.finished, timeout=30000):
        w.add_folder(folder)
    qtbot.waitUntil(lambda: w.index_status.unreadable.isVisible(), timeout=10000)
    assert w.index_status.unreadable.text() == "1 unreadable"

    w.index_status.unreadable.click()
    dlg = app.failures_dialog
    assert dlg is not None
    qtbot.waitUntil(lambda: dlg.list.topLevelItemCount() == 1, timeout=10000)
    item = dlg.list.topLevelItem(0)
    assert item.text(0) == "broken.jpg" and item.text(2) == str(folder) and item.text(1)
    assert dlg.intro.text().startswith("1 file could not be read.")
    item.setSelected(True)
    dlg.reveal_button.click()
    dlg.open_button.click()
    assert desktop.calls == [("reveal", broken), ("open", broken)]

    write_photo(broken, 7)                       # the file is fixed (same name): try again
    shutil.copystat(gui_photos / "album0" / "img_0000.jpg", broken)   # even with an old time stamp
    with qtbot.waitSignal(app.index.finished, timeout=30000):
        dlg.retry_button.click()
    qtbot.waitUntil(lambda: dlg.list.topLevelItemCount() == 0, timeout=10000)
    assert dlg.intro.text() == "Every file could be read."
    qtbot.waitUntil(lambda: not w.index_status.unreadable.isVisible(), timeout=10000)
