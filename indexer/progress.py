"""What a long operation is doing, and how far it got: ``Activity`` and ``Progress``.

The bottom floor of the core: every long operation of the writer (a scan, the
embedding, each later stage, comparing for duplicates, watching) is a
generator of ``Progress``.  Each report names its ``Activity``, which carries
everything the app and the command line show about it -- the word logs print,
the label the status bar shows, whether it is busy work -- so a new stage
brings its own and nothing else has to learn about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Activity:
    """One kind of long work.

    ``name``: the word logs and the command line show ("reading text").
    ``label``: what the app's status bar calls it while it counts photos ("Reading text in photos").
    ``busy``: the library is being worked on (the app shows progress and holds its re-searches until it ends);
    False for being idle or waiting for changes.
    """

    name: str
    label: str
    busy: bool

    def __str__(self) -> str:
        return self.name


class Phase:
    """The core's own activities (each stage of a sync brings its own ``Activity``)."""

    SCANNING = Activity("scanning", "Looking for new and changed photos", busy=True)  # no decoding
    INDEXING = Activity("indexing", "Indexing", busy=True)  # decoding and embedding pending photos
    COMPARING = Activity("comparing", "Comparing photos", busy=True)  # fingerprints compared to find duplicates
    WATCHING = Activity("watching", "Watching for changes", busy=False)  # idle, following changes
    DONE = Activity("done", "Done", busy=False)  # a sync finished (done/total/failed are its totals)


@dataclass(frozen=True)
class Progress:
    """One progress report of a long operation."""

    phase: Activity
    done: int = 0
    total: int = 0
    rate: float = 0.0  # photos per second
    eta: float | None = None  # seconds
    current: Path | None = None
    failed: int = 0
    message: str = ""
