"""Per-library settings, stored as TOML in ``<library>/settings.toml``.

Every value is checked when the file is read (and before it is written): a
wrong type or an out-of-range number is one ``LibraryError`` that names the
file, the key and the problem, never a crash or a runaway deep inside indexing.
"""

from __future__ import annotations

import logging
import math
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

from indexer.errors import LibraryError
from indexer.private_files import write_new

logger = logging.getLogger(__name__)

FILENAME = "settings.toml"
MAX_BYTES = 1 << 20  # a settings file is a few lines; anything bigger is not one

# Bounds of the settings (inclusive).  threads: 0 = all cores; more threads than
# MAX_THREADS only cost memory (each ONNX Runtime thread has its own stack and arena).
MAX_THREADS = 256
MAX_BATCH_SIZE = 256
MAX_DECODE_WORKERS = 32
MAX_RECONCILE_MINUTES = 7 * 24 * 60  # a week
MAX_DEBOUNCE_SECONDS = 600
MAX_LIST_ITEMS = 10_000
MAX_TEXT_CHARS = 4096


@dataclass
class Settings:
    model: str = ""  # installed model name or bundle directory; "" -> $PHOTOSEEK_MODEL, then the first installed
    providers: list[str] = field(default_factory=list)  # forced ONNX Runtime providers; [] -> best available
    threads: int = 0  # ONNX Runtime intra-op threads; 0 -> all cores
    excluded: list[str] = field(default_factory=list)  # folders (absolute) or folder names to skip
    batch_size: int = 16
    decode_workers: int = 2
    reconcile_minutes: float = 10.0  # full rescan while watching
    debounce_seconds: float = 1.0
    pair_raw_with_still: bool = True  # a RAW beside a JPEG/HEIC of the same name is one photo with two files
    pair_live_photos: bool = True  # a MOV beside a JPEG/HEIC of the same name is the still's motion part
    ocr: bool = True  # read the words in photos (OCR) after embedding them
    ocr_threads: int = 0  # ONNX Runtime threads for reading text; 0 -> half the cores
    people: bool = True  # find faces and group them into people; off: every face vector is deleted

    @classmethod
    def load(cls, library_dir: Path) -> Settings:
        """The settings of the library at ``library_dir`` (the defaults when it has no settings file).

        Raises ``LibraryError`` ("PATH: KEY: problem") when the file cannot be read, is not
        TOML, or holds a value of the wrong type or out of range.  Unknown keys are logged
        and ignored.
        """
        path = library_dir / FILENAME
        text = _read(path)
        if text is None:
            return cls()
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise LibraryError(f"settings file {path} is not valid TOML: {exc}") from exc
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            logger.warning("ignoring unknown settings in %s: %s", path, ", ".join(sorted(unknown)))
        settings = cls(**{k: v for k, v in data.items() if k in known})
        settings.validate(path)
        return settings

    def validate(self, where: Path | str = FILENAME) -> None:
        """Raise ``LibraryError`` ("WHERE: KEY: problem") for the first value of a wrong type or range."""
        for key, check in _CHECKS.items():
            problem = check(getattr(self, key))
            if problem:
                raise LibraryError(f"{where}: {key}: {problem}; correct it or delete the line")
        # TOML gives `reconcile_minutes = 10` as an int: keep the declared type.
        self.reconcile_minutes = float(self.reconcile_minutes)
        self.debounce_seconds = float(self.debounce_seconds)

    def save(self, library_dir: Path) -> None:
        """Write the settings (atomically, mode 0600); ``LibraryError`` for a value that ``load`` would refuse."""
        path = library_dir / FILENAME
        self.validate(path)
        tmp = path.with_suffix(".toml.tmp")
        write_new(tmp, tomli_w.dumps(asdict(self)).encode("utf-8"))  # 0600, never through a link
        os.replace(tmp, path)


def _read(path: Path) -> str | None:
    """The text of the settings file; None when there is none.  Never blocks on a FIFO or a device."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LibraryError(f"cannot read the settings file {path}: {exc.strerror}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise LibraryError(f"settings file {path} is not a regular file; remove it (the defaults are used without one)")
    if st.st_size > MAX_BYTES:
        raise LibraryError(
            f"settings file {path} is {st.st_size} bytes, too big to be Photoseek's settings; remove or fix it"
        )
    try:
        with open(path, "rb") as f:  # opened as read, not re-checked: it was a regular file a moment ago
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LibraryError(f"cannot read the settings file {path}: {exc.strerror}") from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LibraryError(f"settings file {path} is not valid TOML: it is not UTF-8 text ({exc})") from exc


def _type_name(value: object) -> str:
    names = {bool: "true/false", int: "a whole number", float: "a number", str: "text", list: "a list",
             dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _text_problem(value: object, what: str) -> str | None:
    if not isinstance(value, str):
        return f"must be {what}, not {_type_name(value)} ({value!r:.60})"
    if len(value) > MAX_TEXT_CHARS:
        return f"is {len(value)} characters long; at most {MAX_TEXT_CHARS}"
    if "\0" in value:  # no file name or provider name holds one; os.stat would fail on it later
        return f"contains a NUL character ({value!r:.80})"
    return None


def _text(what: str) -> Callable[[Any], str | None]:
    return lambda value: _text_problem(value, what)


def _text_list(example: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, list):
            return f"must be a list of text, e.g. {example}, not {_type_name(value)} ({value!r:.60})"
        if len(value) > MAX_LIST_ITEMS:
            return f"has {len(value)} entries; at most {MAX_LIST_ITEMS}"
        for item in value:
            problem = _text_problem(item, "text")
            if problem:
                return f"entry {item!r:.60} {problem}"
            if not item.strip():
                return "has an empty entry"
        return None

    return check


def _whole(lo: int, hi: int, note: str = "") -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number from {lo} to {hi}{note}, not {_type_name(value)} ({value!r:.60})"
        if not lo <= value <= hi:
            return f"must be from {lo} to {hi}{note}, not {value}"
        return None

    return check


def _positive(hi: float, unit: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"must be a number of {unit} above 0 and at most {hi:g}, not {_type_name(value)} ({value!r:.60})"
        if not (math.isfinite(value) and 0 < value <= hi):
            return f"must be above 0 and at most {hi:g} {unit}, not {value}"
        return None

    return check


_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "model": _text("text (a model name or a bundle folder)"),
    "providers": _text_list('providers = ["cuda"]'),
    "threads": _whole(0, MAX_THREADS, " (0: all cores)"),
    "excluded": _text_list('excluded = ["/home/me/Photos/private", "tmp"]'),
    "batch_size": _whole(1, MAX_BATCH_SIZE),
    "decode_workers": _whole(0, MAX_DECODE_WORKERS),
    "reconcile_minutes": _positive(MAX_RECONCILE_MINUTES, "minutes"),
    "debounce_seconds": _positive(MAX_DEBOUNCE_SECONDS, "seconds"),
    "pair_raw_with_still": lambda value: None if isinstance(value, bool) else
    f"must be true or false, not {_type_name(value)} ({value!r:.60})",
    "pair_live_photos": lambda value: None if isinstance(value, bool) else
    f"must be true or false, not {_type_name(value)} ({value!r:.60})",
    "ocr": lambda value: None if isinstance(value, bool) else
    f"must be true or false, not {_type_name(value)} ({value!r:.60})",
    "ocr_threads": _whole(0, MAX_THREADS, " (0: half the cores)"),
    "people": lambda value: None if isinstance(value, bool) else
    f"must be true or false, not {_type_name(value)} ({value!r:.60})",
}
