"""The built-in stages, in the order a sync runs them after embedding.

Fingerprints first (cheap, from thumbnails), then places (from the stored
positions), then people (faces of photos indexed before, and grouping), then
the text in photos (the slowest, last, so everything else is searchable
before it).  A new capability adds its stage here, or registers it
with ``indexer.stages.register_stage``.
"""

from __future__ import annotations

from indexer.duplicates.backfill import FingerprintStage
from indexer.people.stage import PeopleStage
from indexer.places.stage import PlacesStage
from indexer.stages import StageFactory
from indexer.text.stage import TextStage

DEFAULT_STAGES: tuple[StageFactory, ...] = (FingerprintStage, PlacesStage, PeopleStage, TextStage)
