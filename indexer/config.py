"""Per-library settings, stored as TOML in ``<library>/settings.toml``."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import tomli_w

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

from .errors import LibraryError

logger = logging.getLogger(__name__)

FILENAME = "settings.toml"


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

    @classmethod
    def load(cls, library_dir: Path) -> Settings:
        path = library_dir / FILENAME
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise LibraryError(f"settings file {path} is not valid TOML: {exc}") from exc
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            logger.warning("ignoring unknown settings in %s: %s", path, ", ".join(sorted(unknown)))
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, library_dir: Path) -> None:
        path = library_dir / FILENAME
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(tomli_w.dumps(asdict(self)), encoding="utf-8")
        os.replace(tmp, path)
