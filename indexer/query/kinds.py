"""What a search looks for, as typed values: the query kinds, their registry, and the ``Filters``.

Each kind is a frozen value (``TextQuery("dog on a beach")``, ``ImageQuery(path)``,
``EditQuery(path, "at night")``, ``SketchQuery(drawing, "red car")``,
``WordsQuery('"total due"')``) registered with a ``KindInfo``: its name, and
how the app offers it (label, icon, placeholder, the side panel that supplies
its picture).  The searcher maps each registered kind to its search strategy
(``indexer.search``); the app builds its search modes from the registry.  A new
kind (people, say) is a new class registered here with ``query_kind`` plus
its strategy: no string switch to extend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar, Union

from indexer.people.filter import PeopleFilter
from indexer.places.filter import PlaceFilter

if TYPE_CHECKING:  # annotations only: building a query needs no Pillow
    from PIL import Image

Picture = Union[Path, "Image.Image"]  # a file, or pixels (a pasted image, a drawing)


@dataclass(frozen=True)
class KindInfo:
    """How a query kind is named and offered: ``name`` (stable: the app's settings store it), ``label``,
    ``icon`` (a name in the app's icon set), ``placeholder`` (the search box's hint), ``panel`` (the side
    panel that supplies its picture, None: words only) and ``mode`` (offered as a search mode)."""

    name: str
    label: str
    icon: str
    placeholder: str
    panel: str | None = None
    mode: bool = True


class QueryKind:
    """A kind of query (a frozen value); subclasses are registered with ``query_kind``."""

    info: ClassVar[KindInfo]

    @classmethod
    def build(cls, words: str, picture: Picture | None) -> QueryKind | None:
        """The query of this kind for ``words`` (as typed, negatives taken out) and the panel's
        ``picture``; None when the kind needs a picture and there is none."""
        raise NotImplementedError

    def fields(self) -> dict[str, object]:
        """The ``Query`` fields that hold this query (``Query.of``); a kind with no fields of its own
        travels as ``Query.what``."""
        return {"what": self}


_KINDS: list[type[QueryKind]] = []
K = TypeVar("K", bound=type[QueryKind])


def query_kind(info: KindInfo) -> Callable[[K], K]:
    """Register a query kind with ``info`` (a class decorator); the names must be unique."""

    def register(cls: K) -> K:
        if any(k.info.name == info.name for k in _KINDS):
            raise ValueError(f"a query kind named {info.name!r} is registered already")
        cls.info = info
        _KINDS.append(cls)
        return cls

    return register


def query_kinds() -> tuple[type[QueryKind], ...]:
    """The registered query kinds, in the order the app offers them."""
    return tuple(_KINDS)


def kind_named(name: str) -> type[QueryKind]:
    """The registered kind called ``name``; ``KeyError`` when there is none."""
    for kind in _KINDS:
        if kind.info.name == name:
            return kind
    raise KeyError(name)


@query_kind(KindInfo("text", "Text", "text", "Describe a photo: “dog on a beach at sunset”   (-word excludes)"))
@dataclass(frozen=True)
class TextQuery(QueryKind):
    """Photos that match words (and, in a hybrid search, the words found in them)."""

    text: str

    @classmethod
    def build(cls, words: str, picture: Picture | None) -> TextQuery:
        return cls(words)

    def fields(self) -> dict[str, object]:
        return {"text": self.text}


@query_kind(KindInfo("image", "Image", "image", "Optional: words to avoid, like -people", panel="image"))
@dataclass(frozen=True)
class ImageQuery(QueryKind):
    """Photos that look like an image (typed words other than negatives are not used)."""

    image: Picture

    @classmethod
    def build(cls, words: str, picture: Picture | None) -> ImageQuery | None:
        return None if picture is None else cls(picture)

    def fields(self) -> dict[str, object]:
        return {"image": self.image}


@query_kind(KindInfo("sketch", "Sketch", "sketch", "Optional words to go with the sketch: “red car”", panel="sketch"))
@dataclass(frozen=True)
class SketchQuery(QueryKind):
    """Photos shaped like a drawing, steered by optional words."""

    sketch: Picture
    text: str = ""

    @classmethod
    def build(cls, words: str, picture: Picture | None) -> SketchQuery | None:
        return None if picture is None else cls(picture, words)

    def fields(self) -> dict[str, object]:
        return {"sketch": self.sketch, "text": self.text}


@query_kind(KindInfo("edit", "Image + edit", "edit", "Describe the change: “at night”, “in snow”, “with a boat”",
                     panel="edit"))
@dataclass(frozen=True)
class EditQuery(QueryKind):
    """An image changed by words (composed); with no words it is an ``ImageQuery``."""

    image: Picture
    text: str

    @classmethod
    def build(cls, words: str, picture: Picture | None) -> EditQuery | None:
        return None if picture is None else cls(picture, words)

    def fields(self) -> dict[str, object]:
        return {"image": self.image, "text": self.text}


@query_kind(KindInfo("words", "Words in photos", "text", "Words shown in the photo: “total due”", mode=False))
@dataclass(frozen=True)
class WordsQuery(QueryKind):
    """Photos whose text (OCR) holds the words: the words filter with nothing else to rank by."""

    contains: str

    @classmethod
    def build(cls, words: str, picture: Picture | None) -> WordsQuery:
        return cls(words)

    def fields(self) -> dict[str, object]:
        return {"contains": self.contains}


@dataclass(frozen=True)
class Filters:
    """Limits on the results, whatever the kind: one folder, a date range (``before`` exclusive), a
    place, and words that must be shown in the photo (``contains``, phrases in double quotes)."""

    folder: Path | None = None
    after: date | None = None
    before: date | None = None
    place: PlaceFilter | None = None
    contains: str = ""
    people: PeopleFilter | None = None  # people who must (not) be in the photo

    def active(self) -> bool:
        return any(v is not None for v in (self.folder, self.after, self.before, self.place)) or \
            bool(self.contains.strip()) or bool(self.people)
