"""People in searches: which photos a people filter keeps."""

from __future__ import annotations

from indexer.catalog_reading import CatalogReading
from indexer.people.filter import PeopleFilter
from indexer.people.tables import PeopleTables


def photos_with_people(catalog: CatalogReading, people: PeopleFilter) -> set[int] | None:
    """Ids of the photos where every person ``people`` names is, without those it excludes; None when it
    names nobody to include (only exclusions: every photo but theirs, ``photos_without_people``)."""
    tables = PeopleTables(catalog)
    kept: set[int] | None = None
    for name in people.names:
        photos = tables.photos_with(tables.people_named(name))
        kept = photos if kept is None else kept & photos
    if kept is not None and people.without:
        kept -= photos_without_people(catalog, people)
    return kept


def photos_without_people(catalog: CatalogReading, people: PeopleFilter) -> set[int]:
    """Ids of the photos where someone ``people`` excludes is."""
    tables = PeopleTables(catalog)
    return tables.photos_with([pid for name in people.without for pid in tables.people_named(name)])
