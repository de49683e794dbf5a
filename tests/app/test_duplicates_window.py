"""The Duplicates window: choices as plain values, the dialog alone, and the real app scanning, trashing
and undoing (trash inside the test's temporary directory)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.duplicate_choices import DuplicateChoices, differing
from app.payloads import CleanupPlan
from app.widgets.duplicates_dialog import DuplicatesDialog
from indexer.duplicates.groups import DuplicateGroup, DuplicatePhoto
from tests.support.template import copy_template
from tests.support.trash import temporary_trash


def _photo(i: int, w: int, size: int, *, folder: str = "/a", online: bool = True, name: str = "") -> DuplicatePhoto:
    return DuplicatePhoto(i, Path(folder) / (name or f"p{i}.jpg"), w, w * 3 // 4, size, "2024-01-01T10:00:00",
                          online, True)


def _group(*photos: DuplicatePhoto, kind: str = "near") -> DuplicateGroup:
    return DuplicateGroup(kind, 0.9, photos, "highest resolution")


def test_choices_follow_the_suggestion_and_the_users_changes():
    big, small, png = _photo(1, 1600, 900_000), _photo(2, 800, 200_000), _photo(3, 800, 2_000_000, name="p3.png")
    offline_keeper = _group(_photo(4, 1600, 10, online=False), _photo(5, 800, 10))
    choices = DuplicateChoices([_group(big, small, png), offline_keeper])
    assert choices.count() == 2 and choices.bytes() == 2_200_000
    assert choices.plan() == ((big.path, (2, 3)),)  # nothing from the group whose keeper is offline
    assert differing(choices.choices[0].group) == {"resolution", "size", "format"}
    choices.keep(0, 3)  # keep the PNG instead: the former keeper takes its place in the trash
    assert choices.plan() == ((png.path, (1, 2)),) and not choices.can_trash(0, 3)
    choices.set_trash(0, 1, False)
    choices.set_trash(0, 3, True)  # the photo kept is never trashed
    assert choices.plan() == ((png.path, (2,)),)
    choices.set_trash(0, 1, True)
    choices.set_trash(1, 5, True)  # nor anything of a group whose keeper is offline
    assert choices.plan() == ((png.path, (1, 2)),)
    with pytest.raises(ValueError):
        choices.keep(0, 99)


def test_the_dialog_highlights_differences_and_asks_before_trashing(qtbot):
    asked: list[str] = []
    answer = [False]
    dlg = DuplicatesDialog(confirm=lambda _parent, question, _detail: asked.append(question) or answer[0])
    qtbot.addWidget(dlg)
    name = "<b>evil<i>.jpg"  # a name from the disk is shown as it is
    dlg.set_groups([_group(_photo(1, 1600, 3_000_000, name=name), _photo(2, 800, 1_000_000, folder="/b"))])
    (card,) = dlg.cards
    tiles = list(card.tiles.values())
    assert tiles[0].name.text() == name and tiles[0].name.textFormat().name == "PlainText"
    assert tiles[0].attributes["resolution"].property("differs") is True
    assert tiles[0].attributes["folder"].property("differs") is True
    assert tiles[0].attributes["date"].property("differs") is False
    assert tiles[0].keep.isChecked() and not tiles[0].trash.isEnabled() and tiles[1].trash.isChecked()
    assert dlg.trash_button.text() == "Trash 1 suggested (1.0 MB)"
    with qtbot.assertNotEmitted(dlg.trashRequested):
        dlg.trash_button.click()
    assert asked == ["Move 1 photo(s) (1.0 MB) to the trash?"]
    tiles[1].keep.click()  # keep the other one instead
    assert dlg.trash_button.text() == "Trash 1 suggested (3.0 MB)" and "chosen by you" in card.reason.text()
    answer[0] = True
    with qtbot.waitSignal(dlg.trashRequested) as sent:
        dlg.trash_button.click()
    assert sent.args[0] == CleanupPlan([(Path("/b/p2.jpg"), (1,))])
    tiles[0].trash.click()  # unmark: nothing left to trash
    assert dlg.trash_button.text() == "Trash 0 suggested (0.0 MB)" and not dlg.trash_button.isEnabled()


@pytest.fixture
def trash_home(tmp_path, monkeypatch) -> Path:
    return temporary_trash(tmp_path, monkeypatch)


@pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")  # the offscreen platform
def test_scan_trash_and_undo_in_the_app(make_app, qtbot, tmp_path, template_library, trash_home):
    t = copy_template(template_library, tmp_path / "t")
    app = make_app(t.library)
    app.window.top_bar.duplicates_button.click()
    dlg = app.duplicates_dialog
    assert dlg is not None and dlg.isVisible()
    dlg._confirm = lambda *_args: True
    progress: list[tuple[int, int]] = []
    app.duplicates.scanProgress.connect(lambda done, total: progress.append((done, total)))
    dlg.scan_button.click()
    qtbot.waitUntil(lambda: len(dlg.cards) == 1, timeout=20000)
    assert progress and progress[-1][0] == progress[-1][1] == t.count
    (card,) = dlg.cards
    assert {tile.photo.path for tile in card.tiles.values()} == {t.paths[7], *t.copies}
    assert dlg.trash_button.text().startswith("Trash 2 suggested")
    dlg.trash_button.click()
    qtbot.waitUntil(lambda: dlg.outcome.text().startswith("Moved 2 photo(s)"), timeout=20000)
    assert not any(p.exists() for p in t.copies) and t.paths[7].exists()
    assert len(list((trash_home / "files").iterdir())) == 2 and dlg.cards == []
    assert app.window.isEnabled()
    dlg.undo_button.click()
    qtbot.waitUntil(lambda: dlg.outcome.text().startswith("Put back 2 photo(s)"), timeout=20000)
    assert all(p.exists() for p in t.copies) and not any((trash_home / "files").iterdir())
