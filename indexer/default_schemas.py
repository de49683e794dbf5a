"""The tables of the capabilities added since the core's numbered schema, in the order they migrate.

Each entry is a slice's ``SliceSchema`` (its ``schema.py``).  The writer brings
every one up to date when it opens a library (``Catalog.migrate``); a reader
refuses a catalog where one is older or newer than this version knows
(``check_slice_schemas``).  A module of its own, light to import: a cold
search reads it.
"""

from __future__ import annotations

from indexer.media.schema import MEDIA_SCHEMA
from indexer.people.schema import PEOPLE_SCHEMA
from indexer.slice_schema import SliceSchema

DEFAULT_SCHEMAS: tuple[SliceSchema, ...] = (MEDIA_SCHEMA, PEOPLE_SCHEMA)
