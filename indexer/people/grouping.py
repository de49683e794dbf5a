"""Grouping faces into people (pure: vectors in, decisions out; no catalog).

Two rules hold whatever the vectors say: two faces of one photo are never the
same person, and a face is never put back with a person the user said it is
not.  A face that is not clearly someone stays unassigned rather than guessed.

Grouping is incremental.  A new face first joins the known person it is
closest to (``assign``): the mean of its distances to that person's nearest
``NEAREST`` faces must be within ``JOIN_DISTANCE``, and clearly nearer than
the next person's.  People are never split or regrouped, so a person the user
named, merged or corrected stays as it is.  The faces left over are then
grouped among themselves (``cluster``): average linkage under the rules above,
stopping at ``CLUSTER_DISTANCE``; a group of two faces or more becomes a new
person, a face alone waits for a second face of its person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

JOIN_DISTANCE = 0.55  # mean distance to a person's nearest faces for a new face to join them
JOIN_MARGIN = 0.04  # ... and at least this much nearer than to the next person
CLUSTER_DISTANCE = 0.55  # average linkage stops here: faces further apart on average are not one person
NEAREST = 3
MAX_CLUSTER = 4000  # faces grouped at once (the distance matrix is this squared)


@dataclass(frozen=True)
class FaceItem:
    """A face as grouping sees it: its id, its photo and its vector; ``not_people``: people it is not."""

    id: int
    photo: int
    vector: np.ndarray
    not_people: frozenset[int] = field(default_factory=frozenset)


def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of ``a`` and the rows of ``b``."""
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    out: np.ndarray = np.sqrt(np.maximum(sq, 0.0))
    return out


def assign(faces: Sequence[FaceItem], people: dict[int, list[FaceItem]]) -> dict[int, int]:
    """The known person each face joins (face id -> person id); faces that join nobody are left out.

    Faces closest to a person are placed first, so of two faces of one photo the nearer one gets the person
    and the other looks elsewhere."""
    if not faces or not people:
        return {}
    ids = list(people)
    photos = {pid: {f.photo for f in members} for pid, members in people.items()}
    vectors = np.stack([f.vector for f in faces]).astype(np.float32)
    scores = np.full((len(faces), len(ids)), np.inf, dtype=np.float32)
    for j, pid in enumerate(ids):
        members = np.stack([f.vector for f in people[pid]]).astype(np.float32)
        d = distances(vectors, members)
        k = min(NEAREST, d.shape[1])
        scores[:, j] = np.sort(d, axis=1)[:, :k].mean(axis=1)
    choices: list[tuple[float, int, int]] = []
    for i, face in enumerate(faces):
        row = scores[i].copy()
        for j, pid in enumerate(ids):
            if pid in face.not_people:
                row[j] = np.inf
        order = np.argsort(row)
        best = float(row[order[0]])
        second = float(row[order[1]]) if len(order) > 1 else np.inf
        if best <= JOIN_DISTANCE and second - best >= JOIN_MARGIN:
            choices.append((best, i, ids[int(order[0])]))
    out: dict[int, int] = {}
    for _, i, pid in sorted(choices):
        face = faces[i]
        if face.photo in photos[pid]:
            continue  # the person already has a face in this photo
        out[face.id] = pid
        photos[pid].add(face.photo)
    return out


def cluster(faces: Sequence[FaceItem], *, threshold: float = CLUSTER_DISTANCE, min_size: int = 2) -> list[list[int]]:
    """Groups of face ids that are one person each (at least ``min_size`` faces; the rest stay alone): average
    linkage, never joining two faces of one photo, stopping when the closest groups are ``threshold`` apart."""
    faces = list(faces)[:MAX_CLUSTER]
    n = len(faces)
    if n < min_size:
        return []
    vectors = np.stack([f.vector for f in faces]).astype(np.float64)
    d = distances(vectors, vectors)
    np.fill_diagonal(d, np.inf)
    photo = np.array([f.photo for f in faces])
    d[photo[:, None] == photo[None, :]] = np.inf
    sizes = np.ones(n)
    members: list[list[int]] = [[i] for i in range(n)]
    alive = np.ones(n, dtype=bool)
    # Average linkage by the Lance-Williams update; a cannot-link (inf) spreads to the merged group.
    while True:
        flat = int(np.argmin(d))
        a, b = divmod(flat, n)
        if not np.isfinite(d[a, b]) or d[a, b] > threshold:
            break
        if a > b:
            a, b = b, a
        merged = (sizes[a] * d[a] + sizes[b] * d[b]) / (sizes[a] + sizes[b])
        merged[~np.isfinite(d[a]) | ~np.isfinite(d[b])] = np.inf
        d[a, :] = merged
        d[:, a] = merged
        d[a, a] = np.inf
        d[b, :] = np.inf
        d[:, b] = np.inf
        sizes[a] += sizes[b]
        members[a].extend(members[b])
        members[b] = []
        alive[b] = False
    groups = [[faces[i].id for i in m] for k, m in enumerate(members) if alive[k] and len(m) >= min_size]
    return sorted(groups, key=lambda g: (-len(g), g[0]))
