"""Connects the search box's understanding of places and dates to the window: the chips under the search bar,
the Places list of the filter bar, and the list's refresh when the library's places change.

Kept apart from ``main_window`` (which composes the widgets) so that the window only creates the chips
and calls ``connect_places``.
"""

from __future__ import annotations

from app.payloads import Understood
from app.query_controller import QueryController
from app.services.index_service import IndexService
from app.services.search_service import SearchService
from app.widgets.parse_chips import ParseChips
from app.widgets.places_filter import PlacesFilter
from indexer.progress import Phase, Progress
from indexer.query.parse import ParsedQuery


def chip_labels(parsed: ParsedQuery | None) -> tuple[str | None, str | None]:
    """(place label, dates label) of a parse, for the chips (None: no chip)."""
    if parsed is None:
        return None, None
    return (parsed.place.label if parsed.place else None), (parsed.dates.label if parsed.dates else None)


def connect_places(controller: QueryController, chips: ParseChips, places: PlacesFilter, search: SearchService,
                   index: IndexService) -> None:
    def show_understood(understood: Understood) -> None:
        chips.set_parse(*chip_labels(understood.parsed))

    controller.understood.connect(show_understood)
    chips.placeRemoved.connect(controller.drop_place)
    chips.datesRemoved.connect(controller.drop_dates)
    places.placeChosen.connect(controller.choose_place)
    search.places.connect(places.set_places)

    def on_progress(progress: Progress) -> None:
        if progress.phase is Phase.DONE:  # a sync ended: its new photos' places have been read
            search.list_places()

    index.opened.connect(lambda _status: search.list_places())
    index.progress.connect(on_progress)
