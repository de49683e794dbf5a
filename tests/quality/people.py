"""People: how well faces are found and grouped on real faces, and what finding them costs.

Run: ``python -m tests.quality.people [FACES_DIR]`` (default ``../shared/faces`` beside the repository:
MIT-licensed example images of face-api.js and face_recognition).  Prints, for the labelled faces
(a folder named after its person, or a file named after one), the grouping's adjusted Rand index,
people mixing two real people, faces left unassigned; for from-scratch grouping and for incremental
grouping (half the photos first, the rest joining); then the CPU cost of finding faces per photo.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from indexer.people.faces import FaceFinder
from indexer.people.grouping import FaceItem, assign, cluster

KNOWN = ("obama", "biden", "alex_lacamoire", "alex-lacamoire", "lin-manuel-miranda")


def label_of(path: Path, root: Path) -> str | None:
    parts = path.relative_to(root).parts
    if len(parts) >= 3 and parts[0] == "faceapi":
        return parts[1]
    if "train" in parts:
        return parts[-2].replace("alex_lacamoire", "alex-lacamoire")
    name = path.stem.lower()
    for known in KNOWN:
        if name.startswith(known) and "_and_" not in name:
            return known.replace("_", "-")
    return None


def ari(truth: list[str], found: list[int]) -> float:
    """Adjusted Rand index of two labelings."""
    def comb(x: np.ndarray) -> float:
        return float((x * (x - 1) / 2).sum())
    t = {v: i for i, v in enumerate(sorted(set(truth)))}
    f = {v: i for i, v in enumerate(sorted(set(found)))}
    table = np.zeros((len(t), len(f)))
    for a, b in zip(truth, found):
        table[t[a], f[b]] += 1
    index, rows, cols = comb(table), comb(table.sum(1)), comb(table.sum(0))
    total = comb(np.array([len(truth)]))
    expected = rows * cols / total if total else 0.0
    top = (rows + cols) / 2 - expected
    return 1.0 if top == 0 else (index - expected) / top


def report(name: str, items: list[FaceItem], labels: dict[int, str | None], people: dict[int, int]) -> None:
    labelled = [f.id for f in items if labels[f.id] is not None]
    found = [people.get(i, -i - 1000) for i in labelled]  # unassigned: a group of its own
    truth = [str(labels[i]) for i in labelled]
    groups: dict[int, list[int]] = {}
    for face, person in people.items():
        groups.setdefault(person, []).append(face)
    mixing = sum(1 for g in groups.values() if len({labels[i] for i in g if labels[i]}) > 1)
    unassigned = sum(1 for f in items if f.id not in people)
    print(f"{name}: {len(items)} faces ({len(labelled)} labelled, {len(set(truth))} people) -> {len(groups)} people;"
          f" ARI {ari(truth, found):.3f}; people mixing two real people: {mixing};"
          f" unassigned {unassigned} ({100 * unassigned / max(1, len(items)):.1f}%)")


def main() -> None:
    repo = Path(__file__).resolve().parents[2]
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else next(
        (p for p in (repo.parent / "shared" / "faces", repo.parents[1] / "shared" / "faces") if p.is_dir()),
        repo.parent / "shared" / "faces")
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    finder = FaceFinder()
    finder.find(Image.new("RGB", (64, 64)))  # load the models before timing
    items: list[FaceItem] = []
    labels: dict[int, str | None] = {}
    costs: list[tuple[float, int, tuple[int, int]]] = []
    for photo, path in enumerate(paths):
        image = Image.open(path).convert("RGB")
        started = time.process_time()
        faces = finder.find(image)
        costs.append((time.process_time() - started, len(faces), image.size))
        for face in faces:
            items.append(FaceItem(len(items), photo, face.vector))
            labels[len(items) - 1] = label_of(path, root)
    print(f"{len(paths)} photos, {len(items)} faces found in {root}")
    report("from scratch", items, labels, {f: k for k, g in enumerate(cluster(items)) for f in g})
    half = {f.photo for f in items if f.photo % 2 == 0}
    first = [f for f in items if f.photo in half]
    people = {f: k for k, g in enumerate(cluster(first)) for f in g}
    members = {k: [f for f in first if people.get(f.id) == k] for k in set(people.values())}
    rest = [f for f in items if f.photo not in half] + [f for f in first if f.id not in people]
    joined = assign(rest, members)
    people.update(joined)
    left = [f for f in rest if f.id not in joined]
    base = max(people.values(), default=0) + 1
    people.update({f: base + k for k, g in enumerate(cluster(left)) for f in g})
    report("incremental", items, labels, people)
    big = [c for c, n, size in costs if size[0] * size[1] >= 600_000]
    print(f"CPU per photo (process time, detection at {finder.detect_side} px + every face): "
          f"median {1000 * float(np.median([c for c, _, _ in costs])):.0f} ms; photos >= 0.6 MP "
          f"median {1000 * float(np.median(big)) if big else 0:.0f} ms; faces per photo {Counter(n for _, n, _ in costs)}")


if __name__ == "__main__":
    main()
