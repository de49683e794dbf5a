"""CLIP tokenizer on the ``tokenizers`` package, matching open_clip's SimpleTokenizer.

open_clip cleans text before BPE (``basic_clean`` = ftfy.fix_text + HTML
unescaping, ``whitespace_clean``, lower-casing), then adds start/end tokens and
pads with 0 or truncates to the context length, keeping the end token.  ftfy
is not a runtime dependency, so :func:`clean_text` re-implements the parts of
ftfy.fix_text that apply to typed text (HTML entities, C1 controls, Latin
ligatures, full/half-width forms, curly quotes, line breaks, surrogates,
terminal escapes, control characters, NFC).  Only ftfy's mojibake repair
(re-decoding text that was decoded with the wrong codec) is not reproduced.

The BPE itself comes from the bundle's ``tokenizer.json``: either the one our
exporter builds from open_clip's vocabulary, or the Hugging Face CLIP
tokenizer that Immich ships (start/end tokens spelled ``<|startoftext|>``).
"""

from __future__ import annotations

import html
import html.entities
import logging
import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import ModelError

logger = logging.getLogger(__name__)

#: the longest token sequence a tokenizer pads to (each query allocates context length x 8 bytes per text)
MAX_CONTEXT_LENGTH = 1024
START_TOKENS = ("<start_of_text>", "<|startoftext|>", "<s>", "[CLS]")
END_TOKENS = ("<end_of_text>", "<|endoftext|>", "</s>", "[SEP]")

# --- the parts of ftfy.fix_text that matter for typed text -------------------

_ANSI_RE = re.compile("\033\\[((?:\\d|;)*)([a-zA-Z])")
_SINGLE_QUOTE_RE = re.compile("[\u02bc\u2018-\u201b]")
_DOUBLE_QUOTE_RE = re.compile("[\u201c-\u201f]")
_C1_RE = re.compile("[\x80-\x9f]")
_SURROGATE_PAIR_RE = re.compile("[\ud800-\udbff][\udc00-\udfff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_LINE_BREAK_RE = re.compile("\r\n|\r|\u2028|\u2029|\u0085")
_LIGATURES = {
    ord("Ĳ"): "IJ", ord("ĳ"): "ij", ord("ŉ"): "ʼn",
    ord("Ǳ"): "DZ", ord("ǲ"): "Dz", ord("ǳ"): "dz",
    ord("Ǆ"): "DŽ", ord("ǅ"): "Dž", ord("ǆ"): "dž",
    ord("Ǉ"): "LJ", ord("ǈ"): "Lj", ord("ǉ"): "lj",
    ord("Ǌ"): "NJ", ord("ǋ"): "Nj", ord("ǌ"): "nj",
    ord("ﬀ"): "ff", ord("ﬁ"): "fi", ord("ﬂ"): "fl", ord("ﬃ"): "ffi", ord("ﬄ"): "ffl",
    ord("ﬅ"): "ſt", ord("ﬆ"): "st",
}


def _width_map() -> dict[int, str]:
    table = {0x3000: " "}
    for code in range(0xFF01, 0xFFF0):
        alternate = unicodedata.normalize("NFKC", chr(code))
        if alternate != chr(code):
            table[code] = alternate
    return table


_WIDTH_MAP = _width_map()
_CONTROL_CHARS: dict[int, None] = {
    code: None
    for code in [*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F, *range(0x206A, 0x2070), 0xFEFF,
                 *range(0xFFF9, 0xFFFD)]
}


def _html_entities() -> dict[str, str]:
    """ftfy's table: HTML5 entities ending in ';', plus all-caps forms of the
    lower-case ones where that is unambiguous (&EACUTE; -> É)."""
    entities = {}
    for name, char in html.entities.html5.items():
        if name.endswith(";"):
            entities["&" + name] = char
            if name == name.lower():
                upper = "&" + name.upper()
                if html.unescape(upper) == upper:
                    entities[upper] = char.upper()
    return entities


_HTML_ENTITIES = _html_entities()
_HTML_ENTITY_RE = re.compile(r"&#?[0-9A-Za-z]{1,24};")


def _unescape_entity(match: re.Match[str]) -> str:
    text = match.group(0)
    if text in _HTML_ENTITIES:
        return _HTML_ENTITIES[text]
    if text.startswith("&#"):
        unescaped = html.unescape(text)
        return text if ";" in unescaped else unescaped
    return text


def _c1_to_windows_1252(match: re.Match[str]) -> str:
    char = match.group(0)
    try:
        return char.encode("latin-1").decode("windows-1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined stay as they are
        return char


def _surrogate_pair(match: re.Match[str]) -> str:
    high, low = tuple(match.group(0))  # the pattern matches exactly two characters
    return chr(0x10000 + ((ord(high) - 0xD800) << 10) + (ord(low) - 0xDC00))


# ftfy repeats its fixes until nothing changes; each round undoes one level of
# nesting ("&amp;amp;" -> "&amp;" -> "&"), so a crafted text of n levels costs
# n rounds over the whole text.  Typed text settles in two or three rounds.
_MAX_FIX_ROUNDS = 16


def _fix_text(text: str) -> str:
    """ftfy.fix_text without mojibake repair: repeated until nothing changes
    (at most ``_MAX_FIX_ROUNDS`` times, so nested escapes cost linear time)."""
    unescape = "<" not in text
    for _ in range(_MAX_FIX_ROUNDS):
        before = text
        if unescape:
            text = _HTML_ENTITY_RE.sub(_unescape_entity, text)
        text = _C1_RE.sub(_c1_to_windows_1252, text)
        text = text.translate(_LIGATURES)
        text = text.translate(_WIDTH_MAP)
        text = _SINGLE_QUOTE_RE.sub("'", _DOUBLE_QUOTE_RE.sub('"', text))
        text = _LINE_BREAK_RE.sub("\n", text)
        if _SURROGATE_RE.search(text):
            text = _SURROGATE_PAIR_RE.sub(_surrogate_pair, text)
            text = _SURROGATE_RE.sub("\ufffd", text)
        text = _ANSI_RE.sub("", text)
        text = text.translate(_CONTROL_CHARS)
        text = unicodedata.normalize("NFC", text)
        if text == before:
            break
    return text


def clean_text(text: str) -> str:
    """open_clip's ``_clean_lower``: basic_clean, whitespace_clean, lower()."""
    text = _fix_text(text)
    text = html.unescape(html.unescape(text)).strip()
    return " ".join(text.split()).strip().lower()


def clean_whitespace(text: str) -> str:
    """open_clip's ``_clean_whitespace``: basic_clean and whitespace_clean, case kept."""
    text = html.unescape(html.unescape(_fix_text(text))).strip()
    return " ".join(text.split()).strip()


_PUNCTUATION = str.maketrans("", "", string.punctuation)


def clean_canonicalize(text: str) -> str:
    """open_clip's ``_clean_canonicalize`` (SigLIP): also drops punctuation and lower-cases."""
    text = html.unescape(html.unescape(_fix_text(text))).strip()
    text = text.replace("_", " ").translate(_PUNCTUATION).lower()
    return " ".join(text.split()).strip()


CLEANERS = {"lower": clean_text, "whitespace": clean_whitespace, "canonicalize": clean_canonicalize}

# Raw characters of one text that are cleaned and tokenized.  A model reads
# at most ``context_length`` tokens and typed text averages under 8 characters
# a token, so 64 a token (at most 8192) keeps every token a real query can
# use, while the cleaning and the BPE of a pasted megabyte stay cheap.
CHARS_PER_TOKEN = 64
MAX_TEXT_CHARS = 8192


def text_budget(context_length: int) -> int:
    """How many characters of a text can matter to a model with this context length."""
    return max(1, min(MAX_TEXT_CHARS, CHARS_PER_TOKEN * context_length))


# --- the tokenizer ------------------------------------------------------------------


@dataclass(frozen=True)
class TokenBatch:
    """Token ids padded to the context length, and each row's real length."""

    ids: np.ndarray  # (n, context_length) int64
    lengths: np.ndarray  # (n,) int64, including start and end tokens

    @property
    def longest(self) -> int:
        return int(self.lengths.max()) if len(self.lengths) else 0

    def trimmed(self) -> np.ndarray:
        """The ids cut to the longest real sequence (for dynamic-length graphs)."""
        return self.ids[:, : max(self.longest, 1)]


class ClipTokenizer:
    """Turns strings into padded token ids like open_clip's tokenizer.

    With a CLIP vocabulary (start and end tokens present) this is open_clip's
    SimpleTokenizer: clean, BPE, ``[start, ..., end]``, pad with ``pad_id``
    (0 unless tokenizer_config names a pad token), truncate keeping the end
    token.  Other vocabularies (SigLIP, multilingual models) fall back to the
    tokenizer file's own post-processor for special tokens, truncated to the
    context length and padded with their pad token.

    ``clean`` is open_clip's text cleaning: "lower" (CLIP), "whitespace", or
    "canonicalize" (SigLIP: also drops punctuation).
    """

    def __init__(self, tokenizer_file: str | Path, context_length: int = 77,
                 tokenizer_config: dict[str, Any] | None = None, *, clean: str | None = None):
        from tokenizers import Tokenizer  # the runtime dependency; imported with the model

        if not isinstance(context_length, int) or isinstance(context_length, bool):
            raise ModelError(f"context length {context_length!r} is not a whole number")
        if context_length < 2:
            raise ModelError(f"context length {context_length} is too short for start and end tokens")
        if context_length > MAX_CONTEXT_LENGTH:
            raise ModelError(f"context length {context_length} is longer than the {MAX_CONTEXT_LENGTH} supported")
        try:
            self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        except Exception as exc:  # tokenizers raises plain Exception subclasses
            raise ModelError(f"cannot load tokenizer {tokenizer_file}: {exc}") from exc
        self.context_length = context_length
        config = tokenizer_config or {}
        self.start_id = self._special_id(config.get("bos_token"), START_TOKENS)
        self.end_id = self._special_id(config.get("eos_token"), END_TOKENS)
        self.clip_style = self.start_id is not None and self.end_id is not None
        self.clean = clean or ("lower" if self.clip_style else "whitespace")
        if not isinstance(self.clean, str) or self.clean not in CLEANERS:
            raise ModelError(f"unknown text cleaning {self.clean!r} (expected one of {', '.join(CLEANERS)})")
        self._clean = CLEANERS[self.clean]
        pad_id = self._special_id(config.get("pad_token"), () if self.clip_style else ("<pad>", "[PAD]"))
        self.pad_id = 0 if pad_id is None else pad_id
        self._tokenizer.no_padding()
        if self.clip_style:
            self._tokenizer.no_truncation()
        else:
            self._tokenizer.enable_truncation(max_length=context_length)
            logger.info("tokenizer %s has no CLIP start/end tokens; using its own post-processor", tokenizer_file)

    def _special_id(self, configured: Any, candidates: Sequence[str]) -> int | None:
        for name in (_token_text(configured), *candidates):
            if name:
                token_id = self._tokenizer.token_to_id(name)
                if token_id is not None:
                    return token_id
        return None

    def encode(self, text: str) -> list[int]:
        """Token ids of the cleaned text, without start/end tokens (CLIP vocabularies)."""
        cleaned = self._clean(text[: text_budget(self.context_length)])
        if not cleaned:
            return []
        return list(self._tokenizer.encode(cleaned, add_special_tokens=False).ids)

    def __call__(self, texts: Sequence[str]) -> TokenBatch:
        if isinstance(texts, str):
            texts = [texts]
        n, ctx = len(texts), self.context_length
        ids = np.full((n, ctx), self.pad_id, dtype=np.int64)
        lengths = np.zeros(n, dtype=np.int64)
        budget = text_budget(ctx)  # only the start of a text can reach the model: clean no more
        cleaned = [self._clean(t[:budget]) for t in texts]
        if not n:
            return TokenBatch(ids=ids, lengths=lengths)
        encoded = self._tokenizer.encode_batch(cleaned, add_special_tokens=not self.clip_style)
        for row, (text, enc) in enumerate(zip(cleaned, encoded)):
            if self.clip_style:
                tokens = [self.start_id, *(enc.ids if text else ()), self.end_id]
                if len(tokens) > ctx:
                    tokens = tokens[:ctx]
                    tokens[-1] = self.end_id
            else:
                tokens = list(enc.ids)[:ctx]
            ids[row, : len(tokens)] = tokens
            lengths[row] = len(tokens)
        return TokenBatch(ids=ids, lengths=lengths)


def _token_text(value: Any) -> str | None:
    """tokenizer_config.json spells tokens as strings or {"content": ...} objects."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        content = value.get("content")
        if isinstance(content, str):
            return content
    return None
