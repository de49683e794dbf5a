"""What a search asks (``Query``) and what it finds (``Hit``): plain values, shared by the core, the
command line and the app (``indexer.search`` answers them and re-exports both).

A ``Query`` is a typed query kind (``indexer.query.kinds``), spelled out in fields for
convenience (``Query(text="dog")``, ``Query(image=path, text="at night")``), plus its
``Filters``, its negatives and how to search (limit, weight, recipe, ...).
``Query.of(kind, ...)`` builds one from the typed values, ``Query.kind`` and
``Query.filters`` give them back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from PIL import Image

from indexer.errors import UsageError
from indexer.media.kinds import VIDEO
from indexer.people.filter import PeopleFilter
from indexer.places.filter import PlaceFilter
from indexer.query.kinds import EditQuery, Filters, ImageQuery, QueryKind, SketchQuery, TextQuery, WordsQuery


@dataclass
class Query:
    """A search request.  Which fields are set decides the kind of query (``kind``).

    text only: text query; image only: image query; image + text: image + edit
    (``weight`` 0 = only the photo, 1 = only the words); sketch (+ text): sketch;
    only ``contains``: words in photos; ``what``: a kind with no fields here.
    """

    text: str = ""
    image: Path | Image.Image | None = None
    sketch: Path | Image.Image | None = None
    negatives: list[str] = field(default_factory=list)
    weight: float | None = None  # None: the measured default for the kind of query
    folder: Path | None = None
    after: date | None = None
    before: date | None = None  # exclusive
    limit: int = 50
    exclude_self: bool = True
    recipe: str | None = None  # composed fusion: "weighted_sum" or "harris"; None: the measured default
    sketch_shift: bool | None = None  # sketch domain shift; None: the measured default
    best_level: int = 0  # the best-matches cut: negative narrows it, positive widens it (best_matches.LEVELS)
    min_score: float | None = None  # leave out results scoring below this
    place: PlaceFilter | None = None  # only photos taken there (photos without a position are left out)
    contains: str = ""  # only photos whose text (OCR) holds all these words ("quoted phrases")
    words: bool = True  # a text query also matches the words in photos (hybrid); False: CLIP alone
    text_fusion: str | None = None  # "boost" or "rrf"; None: the measured default
    what: QueryKind | None = None  # a registered kind that has no fields of its own here
    people: PeopleFilter | None = None  # only photos with all these people (and none of those excluded)

    @classmethod
    def of(cls, kind: QueryKind, *, negatives: Iterable[str] = (), filters: Filters | None = None,
           **options: Any) -> Query:
        """The query for ``kind`` within ``filters``, avoiding ``negatives``; ``options`` are the other
        fields (``limit``, ``weight``, ...)."""
        f = filters or Filters()
        fields: dict[str, Any] = dict(folder=f.folder, after=f.after, before=f.before, place=f.place,
                                      contains=f.contains, people=f.people)
        fields.update(kind.fields())
        return cls(negatives=list(negatives), **fields, **options)

    @property
    def kind(self) -> QueryKind:
        """What the query looks for; ``UsageError`` when it looks for nothing."""
        if self.what is not None:
            return self.what
        if self.sketch is not None:
            return SketchQuery(self.sketch, self.text.strip())
        if self.image is not None:
            return EditQuery(self.image, self.text) if self.text.strip() else ImageQuery(self.image)
        if self.text.strip():
            return TextQuery(self.text)
        if self.contains.strip():
            return WordsQuery(self.contains)
        if self.negatives:
            raise UsageError("a query needs something to look for besides the excluded words")
        raise UsageError("empty query: give text, an image or a sketch")

    @property
    def filters(self) -> Filters:
        return Filters(self.folder, self.after, self.before, self.place, self.contains, self.people)

    def searchable(self) -> bool:
        """Whether the query looks for something (``kind`` does not refuse it)."""
        try:
            return self.kind is not None
        except UsageError:
            return False


@dataclass(frozen=True)
class Hit:
    photo_id: int
    path: Path
    score: float
    rank: int
    width: int | None = None
    height: int | None = None
    taken_at: str | None = None
    camera: str | None = None
    online: bool = True
    thumbnail: Path | None = None  # the library's thumbnail of the photo (a video's: its best frame's)
    kind: str = "photo"  # "photo", "raw" or "video"
    time: float | None = None  # a video: seconds from its start to the frame that matched best
    duration: float | None = None  # a video: its length in seconds, when known
    companions: tuple[tuple[Path, str], ...] = ()  # other files of the same photo: (path, "raw" | "motion")
    best: bool = False  # inside the query's cut of best matches (best_matches.py)
    place: str | None = None  # where it was taken ("Lisbon, Portugal"), when known
    lat: float | None = None
    lon: float | None = None
    text: str | None = None  # the line of text in the photo that matched the query's words
    text_boxes: tuple[tuple[tuple[float, float], ...], ...] | None = None  # the matching lines' corners
    photo_text: tuple[str, ...] = ()  # every line of text read in the photo (OCR), in reading order
    people: tuple[str, ...] = ()  # the named people in the photo, left to right

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "path": str(self.path),
            "score": round(float(self.score), 6),
            "rank": self.rank,
            "id": self.photo_id,
            "width": self.width,
            "height": self.height,
            "taken_at": self.taken_at,
            "camera": self.camera,
            "kind": self.kind,
            "best": self.best,
            "people": list(self.people),
        }
        if self.kind == VIDEO:
            data["time"] = None if self.time is None else round(self.time, 3)
            data["duration"] = None if self.duration is None else round(self.duration, 3)
        if self.companions:
            data["companions"] = [{"path": str(path), "kind": role} for path, role in self.companions]
        data.update((k, v) for k, v in (("place", self.place), ("lat", self.lat), ("lon", self.lon)) if v is not None)
        if self.text is not None:  # words found in the photo matched the query
            data["text"] = self.text
            data["text_boxes"] = [[[round(x, 1), round(y, 1)] for x, y in box] for box in self.text_boxes or ()]
        return data
