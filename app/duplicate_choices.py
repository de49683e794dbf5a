"""What the user chose in the Duplicates window, as plain values (no widgets, testable alone).

``DuplicateChoices`` holds the groups found, the photo kept in each (the
suggested keeper until the user picks another) and the photos marked for the
trash (the suggestion: every other photo of the group, when the kept photo is
online).  It turns them into the plan the writer runs
(``Library.trash_photos``), and says which of a group's attributes differ
between its photos (what the window highlights).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.payloads import CleanupPlan
from indexer.duplicates.groups import DuplicateGroup, DuplicatePhoto

ATTRIBUTES = ("resolution", "size", "date", "folder", "format")


def attribute(photo: DuplicatePhoto, name: str) -> str:
    """One attribute of a photo as shown (the values compared to highlight differences)."""
    if name == "resolution":
        return f"{photo.width or '?'} x {photo.height or '?'}"
    if name == "size":
        return f"{photo.bytes / 1e6:.1f} MB" if photo.bytes >= 100_000 else f"{photo.bytes / 1e3:.0f} KB"
    if name == "date":
        return (photo.taken_at or "no date").replace("T", " ")
    if name == "folder":
        return str(photo.path.parent)
    if name == "format":
        return (photo.path.suffix.lstrip(".") or "?").upper().replace("JPEG", "JPG")
    raise ValueError(name)


def differing(group: DuplicateGroup) -> set[str]:
    """The attributes whose values are not the same for every photo of ``group``."""
    return {name for name in ATTRIBUTES if len({attribute(p, name) for p in group.photos}) > 1}


@dataclass
class GroupChoice:
    group: DuplicateGroup
    keep: int  # photo id kept
    trash: set[int]  # photo ids marked for the trash


class DuplicateChoices:
    """The groups on screen and the user's keep/trash choices."""

    def __init__(self, groups: list[DuplicateGroup] | None = None):
        self.choices: list[GroupChoice] = []
        self.set_groups(groups or [])

    def set_groups(self, groups: list[DuplicateGroup]) -> None:
        self.choices = [GroupChoice(g, g.keep.id, {p.id for p in g.suggested}) for g in groups]

    def __len__(self) -> int:
        return len(self.choices)

    def keep(self, index: int, photo_id: int) -> None:
        """Keep ``photo_id`` in group ``index`` instead: it leaves the trash, the former keeper takes its place."""
        choice = self.choices[index]
        if photo_id not in {p.id for p in choice.group.photos}:
            raise ValueError("that photo is not in this group")
        former, choice.keep = choice.keep, photo_id
        choice.trash.discard(photo_id)
        if not self.photo(index, photo_id).online:  # a keeper that cannot be checked protects its group
            choice.trash.clear()
        elif former != photo_id:
            self.set_trash(index, former, True)

    def set_trash(self, index: int, photo_id: int, trash: bool) -> None:
        choice = self.choices[index]
        photo = self.photo(index, photo_id)
        if trash and (photo_id == choice.keep or not photo.online or not self.photo(index, choice.keep).online):
            return  # never the photo kept, an offline photo, or a group whose keeper is offline
        (choice.trash.add if trash else choice.trash.discard)(photo_id)

    def photo(self, index: int, photo_id: int) -> DuplicatePhoto:
        return next(p for p in self.choices[index].group.photos if p.id == photo_id)

    def can_trash(self, index: int, photo_id: int) -> bool:
        choice = self.choices[index]
        return photo_id != choice.keep and self.photo(index, photo_id).online and \
            self.photo(index, choice.keep).online

    def marked(self) -> list[DuplicatePhoto]:
        return [p for c in self.choices for p in c.group.photos if p.id in c.trash]

    def count(self) -> int:
        return len(self.marked())

    def bytes(self) -> int:
        return sum(p.bytes for p in self.marked())

    def plan(self) -> CleanupPlan:
        """(photo kept, photo ids to trash) per group with something marked: what the writer runs."""
        return CleanupPlan((self.photo(i, c.keep).path, tuple(sorted(c.trash)))
                           for i, c in enumerate(self.choices) if c.trash)
