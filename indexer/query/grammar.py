"""The words of a query as typed: what to look for, what to avoid, and phrases to take as they are.

``read_terms('sign "open late" -people not cars')`` gives the words
``sign "open late"`` and the negatives ``people`` and ``cars``:

- ``-word`` and ``not word`` (any case) exclude the word; ``-"a phrase"`` and
  ``not "a phrase"`` exclude the phrase.  A ``-`` inside a word ("t-shirt")
  or before no letter or digit excludes nothing; ``not`` at the end is an
  ordinary word, and before an excluded term it adds nothing.
- A part in double quotes (straight or curly) is a phrase: its words are never
  read as a place, a date or a negative, and go to the model as typed.  A
  quote left open runs to the end of the query.

Places and dates are read from the words afterwards (``indexer.query.parse``).
This module is pure and cheap: the command line and the app call it to build
a query without loading anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPEN_QUOTES = "\"“„”"
CLOSE_QUOTES = "\"”“"
NOT_WORDS = frozenset({"not"})

# a quoted phrase (maybe negated, maybe unterminated), else a run of non-spaces
_TOKEN = re.compile(rf"(-?)[{OPEN_QUOTES}]([^{CLOSE_QUOTES}]*)[{CLOSE_QUOTES}]?|\S+")


@dataclass(frozen=True)
class Term:
    """One word as typed, or one phrase (its words without the quotes)."""

    text: str
    phrase: bool = False

    def typed(self) -> str:
        """The term as it would be typed again: a phrase in straight quotes."""
        return f'"{self.text}"' if self.phrase else self.text


@dataclass(frozen=True)
class Terms:
    """A query's terms: ``words`` to look for (in order) and ``negatives`` to avoid."""

    words: tuple[Term, ...] = ()
    negatives: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The words to look for as they would be typed again (phrases quoted): reading it gives the same
        words and no negatives."""
        return " ".join(t.typed() for t in self.words)

    @property
    def plain(self) -> str:
        """The words to look for with the quotes taken off (what a model reads)."""
        return " ".join(t.text for t in self.words)


def read_terms(text: str) -> Terms:
    """``text`` split into the words to look for and the negatives (see the module docstring)."""
    tokens: list[tuple[Term, bool]] = []  # (term, excluded)
    for match in _TOKEN.finditer(text):
        if match.group(2) is not None:  # a quoted phrase
            phrase = " ".join(match.group(2).split())
            if phrase:
                tokens.append((Term(phrase, phrase=True), bool(match.group(1))))
            continue
        token = match.group(0)
        if token.startswith("-") and token[1:2].isalnum():
            tokens.append((Term(token[1:]), True))
        else:
            tokens.append((Term(token), False))
    words: list[Term] = []
    negatives: list[str] = []
    i = 0
    while i < len(tokens):
        term, excluded = tokens[i]
        if excluded:
            negatives.append(term.text)
        elif not term.phrase and term.text.lower() in NOT_WORDS and i + 1 < len(tokens):
            if not tokens[i + 1][1]:  # "not -word": the word is excluded once
                negatives.append(tokens[i + 1][0].text)
                i += 1
        elif term.phrase or term.text.strip("-"):
            words.append(term)
        i += 1
    return Terms(tuple(words), tuple(negatives))
