"""The command line's text-in-photo contract: `index --no-ocr`, the `ocr_` counts of `status`,
`search --contains` and the `text`/`text_boxes` fields, `failures` with their stage."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import run_photoseek
from tests.support.photos import write_photo
from tests.support.text_images import write_text_image


def photoseek(*args: str, library: Path, code: int = 0):
    proc = run_photoseek(*args, library=library)
    assert proc.returncode == code, f"photoseek {' '.join(args)} -> {proc.returncode}\n{proc.stderr}"
    return proc


def test_index_reads_text_and_search_shows_where(tmp_path: Path, toyclip_bundle: Path) -> None:
    photos, lib = tmp_path / "photos", tmp_path / "lib"
    write_photo(photos / "beach.jpg", 1, (320, 240))
    boxes = write_text_image(photos / "ticket.png", ["TRAIN TICKET", "Zürich to Genève"], size=(560, 300))
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff not a photo")

    first = photoseek("index", str(photos), "--model", str(toyclip_bundle), "--no-ocr", library=lib)
    assert "read the text" not in first.stderr
    status = json.loads(photoseek("status", "--json", library=lib).stdout)
    assert (status["indexed"], status["ocr_done"], status["ocr_pending"]) == (2, 0, 2)
    assert "ocr_pending: 2" in photoseek("status", library=lib).stdout

    second = photoseek("index", library=lib)
    assert "read the text in 2 photo(s)" in second.stderr
    status = json.loads(photoseek("status", "--json", library=lib).stdout)
    assert (status["ocr_done"], status["ocr_pending"]) == (2, 0)

    hits = json.loads(photoseek("search", "--contains", "zurich geneve", "--json", library=lib).stdout)
    assert [Path(h["path"]).name for h in hits] == ["ticket.png"]
    assert hits[0]["text"] == "Zürich to Genève"
    (box,) = hits[0]["text_boxes"]
    left, top, right, bottom = boxes[1]
    assert abs(box[0][0] - left) < 12 and abs(box[0][1] - top) < 12 and abs(box[2][0] - right) < 24
    hybrid = json.loads(photoseek("search", "train ticket", "--json", library=lib).stdout)
    assert Path(hybrid[0]["path"]).name == "ticket.png" and hybrid[0]["text"] == "TRAIN TICKET"
    assert all("text" not in h for h in hybrid[1:])

    failures = json.loads(photoseek("failures", "--json", library=lib).stdout)
    assert [(Path(f["path"]).name, f["stage"]) for f in failures] == [("broken.jpg", "embedding")]
    refused = photoseek("search", "--contains", "--- ...", library=lib, code=2)
    assert "--contains needs at least one word" in refused.stderr
