"""What the results area says when it has no results: one decision, from the query and the library.

``empty_view`` is a pure function of what the user is doing (the query
state) and what the library is doing (open, folders, searching, indexing);
the main window shows the answer in its ``EmptyState`` widget.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.query_controller import QueryState
from app.query_types import Mode


@dataclass(frozen=True)
class EmptyView:
    """An icon, a title, a body and an optional button (``action`` names what it does)."""

    icon: str
    title: str
    body: str
    action: str = ""          # "add-folder", "open-image" or "" (no button)
    action_text: str = ""


def empty_view(state: QueryState, *, library_open: bool, has_folders: bool, searching: bool,
               sketch_empty: bool, indexing: bool) -> EmptyView:
    """The empty state that fits, most pressing first."""
    if not has_folders and library_open:
        return EmptyView("folder-add", "Add your photo folders",
                         "Photoseek indexes the photos in the folders you choose, on this computer. "
                         "You can also drop a folder on this window.", "add-folder", "Add a folder…")
    if searching:
        return EmptyView("search", "Searching…", "")
    if state.mode == Mode.TEXT and not state.text.strip():
        return EmptyView("search", "Search your photos",
                         "Describe what you are looking for: “a dog on the beach”, "
                         "“birthday cake with candles”, “snowy mountains at sunrise”.")
    if state.mode == Mode.IMAGE and state.image_ref is None:
        return EmptyView("image", "Find similar photos",
                         "Drop a photo on the window, paste one, or choose a file.", "open-image", "Choose a photo…")
    if state.mode == Mode.SKETCH and sketch_empty:
        return EmptyView("sketch", "Sketch what you remember", "Draw on the canvas; results follow each stroke.")
    if state.mode == Mode.EDIT and state.edit_ref is None:
        return EmptyView("edit", "Start from a photo, change it with words",
                         "Choose a reference photo, then describe the change in the search bar.",
                         "open-image", "Choose a photo…")
    if indexing:
        return EmptyView("search", "No matches yet",
                         "Photos are still being indexed; results appear as they are added.")
    return EmptyView("search", "No matches", "Try other words, or clear the filters.")
