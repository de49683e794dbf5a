"""A people filter: the people who must all be in a photo, and those who must not be (by name, folded)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PeopleFilter:
    """``names``: every one of them is in the photo; ``without``: none of them is.  Names are folded
    (``indexer.people.names.fold``); a name no person has keeps no photo."""

    names: tuple[str, ...] = ()
    without: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.names or self.without)

    def merged(self, other: PeopleFilter | None) -> PeopleFilter:
        if other is None:
            return self
        return PeopleFilter(tuple(dict.fromkeys(self.names + other.names)),
                            tuple(dict.fromkeys(self.without + other.without)))

    @property
    def label(self) -> str:
        shown = " and ".join(n.title() for n in self.names) or "anyone"
        return shown + "".join(f", not {n.title()}" for n in self.without)
