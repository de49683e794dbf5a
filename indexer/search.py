"""Queries -> vectors -> candidates -> exact rescoring -> hits.

All scores are cosine similarities of L2-normalised vectors.  The fusion
maths lives in ``indexer.clip.recipes`` (see docs/query_recipes.md); this
module answers each kind of ``Query`` with the strategy registered for it: it
turns the query into vectors, gathers candidates from the HNSW index (or
exactly, when filters leave few photos), rescores them from the stored vectors
and joins the catalog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
from PIL import Image

from indexer.best_matches import ScoreBackground, best_flags
from indexer.catalog_browse import BrowseQueries
from indexer.catalog_reading import CatalogReading
from indexer.clip import recipes
from indexer.clip.vector_store import SearchIndex
from indexer.clip.vector_tables import VectorTables
from indexer.errors import UnreadableImage, UsageError
from indexer.folder_filter import check_folder
from indexer.media.frame_search import FrameScorer, Moment, StoredFrames, best_frames, merge_videos
from indexer.media.kinds import VIDEO, media_kind
from indexer.media.tables import MediaTables
from indexer.models.encoder import Encoder
from indexer.models.preprocess import load_rgb
from indexer.people.search import photos_with_people, photos_without_people
from indexer.people.tables import PeopleTables
from indexer.places.search import photos_matching
from indexer.places.tables import PlaceTables
from indexer.query.kinds import EditQuery, ImageQuery, QueryKind, SketchQuery, TextQuery, WordsQuery
from indexer.query.types import Hit, Query
from indexer.text.tables import PhotoTextTables
from indexer.text.words import WordsInPhotos, hit_text
from indexer.thumbnails import ThumbnailPaths

__all__ = ["Hit", "Query", "Searcher", "search_strategy", "sketch_canvas"]

logger = logging.getLogger(__name__)

EXACT_SEARCH_MAX = 20_000  # filtered sets up to this size are searched exactly from stored vectors
COMPOSED_CANDIDATES = 200  # top-M per query vector gathered for composed queries
NEGATIVE_WEIGHT = 0.5
SKETCH_CANVAS_MAX = 1024  # side of the largest sketch canvas: over twice any model's input


class GalleryStats(Protocol):
    """Per-model statistics the recipes need (computed and cached by the library)."""

    def photo_mean(self) -> np.ndarray: ...
    def photo_sample(self) -> np.ndarray: ...
    def text_mean(self) -> np.ndarray: ...
    def sketch_mean(self) -> np.ndarray: ...


@dataclass
class Scope:
    """What every strategy of a search shares: the query, the photos its filters allow (None: all), the
    photos left out (the query photo itself), the negatives' vector and the words found in photos."""

    query: Query
    allowed: set[int] | None
    exclude: set[int]
    negative: np.ndarray | None
    words: WordsInPhotos


@dataclass(frozen=True)
class Ranking:
    """A strategy's answer: photo ids and scores, best first; how a video frame scores (``scorer``) and
    the query's scores over the library's sample (``background``, for the best-matches cut).  Without a
    scorer the ranking is the words' alone (no video frames, every hit a best match)."""

    ids: np.ndarray
    scores: np.ndarray
    scorer: FrameScorer | None = None
    background: np.ndarray | None = None


class Searcher:
    """Answers queries against one model's vectors.  One per thread (it holds a catalog).  Each query
    kind is answered by the strategy registered for it (``search_strategy``)."""

    def __init__(self, catalog: CatalogReading, vectors: SearchIndex, encoder: Encoder, stats: GalleryStats,
                 thumbnails: ThumbnailPaths | None = None, frames: StoredFrames | None = None):
        self.catalog = catalog
        self.stored = VectorTables(catalog)  # the stored vectors (``vectors``: the HNSW index of them)
        self.frames = frames  # the stored frames of the indexed videos: a video scores as its best frame
        self.vectors = vectors
        self.thumbnails = thumbnails
        self.encoder = encoder
        self.stats = stats
        self.model = encoder.model_id

    def search(self, query: Query) -> list[Hit]:
        kind = query.kind
        if query.limit <= 0:
            raise UsageError("limit must be a positive number")
        strategy = _STRATEGIES.get(type(kind))
        if strategy is None:
            raise UsageError(f"this version cannot search for {kind.info.label.lower()} queries")
        check_folder(self.catalog, query.folder)
        words = WordsInPhotos(self.catalog, text=kind.text if isinstance(kind, TextQuery) else "",
                              contains=query.contains, hybrid=query.words, allowed=self._allowed_ids(query),
                              fusion=query.text_fusion)
        scope = Scope(query, words.allowed, set(), self._negative_vector(query.negatives), words)
        ranking = strategy(self, kind, scope)
        ids, scores = ranking.ids, ranking.scores
        if ranking.scorer is None or ranking.background is None:  # words alone: every hit shows the words
            return self._hits(ids, scores, {}, np.ones(len(ids), dtype=bool), words)
        moments: dict[int, Moment] = {}
        if self.frames is not None and len(self.frames):
            video_ids, video_scores, moments = best_frames(self.frames, ranking.scorer, scope.allowed, scope.exclude,
                                                           query.limit)
            ids, scores = merge_videos(ids, scores, video_ids, video_scores, query.limit)
        best = best_flags(scores, ScoreBackground.of(ranking.background), query.best_level)
        keep = np.ones(len(ids), dtype=bool) if query.min_score is None else scores >= query.min_score
        return self._hits(ids[keep], scores[keep], moments, best[keep], words)

    # -- rankings (the strategies below call these) ----------------------------

    def _nearest(self, q: np.ndarray, scope: Scope) -> Ranking:
        """The photos nearest ``q`` moved away from the negatives, fused with the words found in photos."""
        q = _subtract(q, scope.negative)
        ids, scores = self._knn(q, scope.query.limit, scope.allowed, scope.exclude)
        ids, scores = scope.words.fuse(ids, scores, lambda extra: self._rescore(q, extra), scope.query.limit)
        return Ranking(ids, scores, _dot(q), self.stats.photo_sample() @ q.astype(np.float32))

    def _fused(self, v: np.ndarray, text: str, default_weight: float, scope: Scope) -> Ranking:
        """A picture's vector ``v`` steered by ``text`` (image + edit, sketch + words)."""
        t = self._text_vector(text)
        query = scope.query
        weight = query.weight if query.weight is not None else default_weight
        if not 0.0 <= weight <= 1.0:
            raise UsageError("--weight must be between 0 (only the photo) and 1 (only the words)")
        ids, scores, scorer = self._composed(v, t, scope.negative, weight, query, scope.allowed, scope.exclude)
        return Ranking(ids, scores, scorer, self._composed_background(v, t, scope.negative, weight, query))

    def _picture(self, image: Path | Image.Image, scope: Scope) -> np.ndarray:
        """The query image's vector; an indexed photo is left out of its own results unless asked."""
        vector, self_id = self._image_vector(image)
        if self_id is not None and scope.query.exclude_self:
            scope.exclude.add(self_id)
        return vector

    def _drawing(self, sketch: Path | Image.Image, with_words: bool, scope: Scope) -> np.ndarray:
        """The sketch's vector, moved from the sketches' mean to the photos' when the query (else the
        measured default) says so."""
        vector = self._sketch_vector(sketch)
        default_shift = recipes.DEFAULT_SKETCH_WORDS_SHIFT if with_words else recipes.DEFAULT_SKETCH_SHIFT
        shift = scope.query.sketch_shift if scope.query.sketch_shift is not None else default_shift
        return recipes.domain_shift(vector, self.stats.sketch_mean(), self.stats.photo_mean()) if shift else vector

    # -- query vectors -------------------------------------------------------

    def _text_vector(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.encoder.encode_texts([text.strip()])[0]
        return vector

    def _negative_vector(self, negatives: list[str]) -> np.ndarray | None:
        words = [n.strip() for n in negatives if n.strip()]
        if not words:
            return None
        mean: np.ndarray = self.encoder.encode_texts(words).mean(axis=0)
        return mean

    def _image_vector(self, image: Path | Image.Image) -> tuple[np.ndarray, int | None]:
        """The image's vector, from the catalog when it is an indexed photo (no decode)."""
        if isinstance(image, (str, Path)):
            path = Path(image).expanduser()
            if not path.exists():
                raise UnreadableImage(path, "no such file")
            row = self.catalog.photo_by_path(path.resolve()) or self.catalog.photo_by_path(path.absolute())
            if row is not None:
                ids, vecs = self.stored.vectors(self.model, [row.id])
                if len(ids):
                    return vecs[0], row.id
                return self.encoder.encode_images([path])[0], row.id
            return self.encoder.encode_images([path])[0], None
        return self.encoder.encode_images([image])[0], None

    def _sketch_vector(self, sketch: Path | Image.Image) -> np.ndarray:
        """The sketch's vector: loaded through the same guards as every image, then framed."""
        if isinstance(sketch, (str, Path)):
            sketch = Path(sketch).expanduser()
        drawing = load_rgb(sketch)  # regular files only, bounded pixels and aspect; UnreadableImage
        vector: np.ndarray = self.encoder.encode_images([sketch_canvas(drawing)])[0]
        return vector

    # -- candidates ----------------------------------------------------------

    def _allowed_ids(self, query: Query) -> set[int] | None:
        """Ids passing the filters, or None when nothing is filtered."""
        ids = self._allowed_without_people(query)
        if not query.people:
            return ids
        with_people = photos_with_people(self.catalog, query.people)
        if with_people is None:  # only exclusions
            everyone = ids if ids is not None else set(
                BrowseQueries(self.catalog).filtered_ids(folder=None, after=None, before=None))
            return everyone - photos_without_people(self.catalog, query.people)
        return with_people if ids is None else ids & with_people

    def _allowed_without_people(self, query: Query) -> set[int] | None:
        offline = any(not f.online for f in self.catalog.folders())
        if query.folder is None and query.after is None and query.before is None and not offline:
            return photos_matching(self.catalog, query.place) if query.place is not None else None
        ids = set(
            BrowseQueries(self.catalog).filtered_ids(
                folder=Path(query.folder).expanduser().absolute() if query.folder else None,
                after=_iso(query.after),
                before=_iso(query.before),
            )
        )
        return ids & photos_matching(self.catalog, query.place) if query.place is not None else ids

    def _knn(self, q: np.ndarray, k: int, allowed: set[int] | None, exclude: set[int]) -> tuple[np.ndarray, np.ndarray]:
        if allowed is not None and len(allowed) <= EXACT_SEARCH_MAX:
            return self._exact(q, k, allowed - exclude)
        if allowed is None and not exclude:
            ids, _ = self.vectors.search(q, k)
        else:
            keep = (lambda label: label not in exclude) if allowed is None else (
                lambda label: label in allowed and label not in exclude
            )
            ids, _ = self.vectors.search(q, k, filter=keep)
        # The graph only picks the candidates: their scores are the cosines of the stored vectors, never the
        # index's distances (a stale or damaged index must not rank or score anything).
        ids, scores = self._rescore(q, ids)
        eligible = (len(self.vectors) if allowed is None else len(allowed)) - len(exclude)
        if len(ids) < min(k, eligible):
            # The graph could not reach enough photos (a tight filter, or k near the library size):
            # answer exactly from the stored vectors rather than return fewer results than exist.
            pool = allowed if allowed is not None else set(self.stored.vector_ids(self.model))
            return self._exact(q, k, pool - exclude)
        return ids, scores

    def _rescore(self, q: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``ids`` with the true cosine of their stored vectors, best first (ids without one are dropped)."""
        found, vecs = self.stored.vectors(self.model, ids.tolist())
        if not len(found):
            return found, np.zeros(0, dtype=np.float32)
        scores = vecs @ q.astype(np.float32)
        order = np.argsort(-scores, kind="stable")
        return found[order], scores[order]

    def _exact(self, q: np.ndarray, k: int, ids: set[int]) -> tuple[np.ndarray, np.ndarray]:
        found, vecs = self.stored.vectors(self.model, sorted(ids))
        if not len(found):
            return found, np.zeros(0, dtype=np.float32)
        scores = vecs @ q.astype(np.float32)
        order = np.argsort(-scores, kind="stable")[:k]
        return found[order], scores[order]

    def _composed(
        self,
        v: np.ndarray,
        t: np.ndarray,
        negative: np.ndarray | None,
        weight: float,
        query: Query,
        allowed: set[int] | None,
        exclude: set[int],
    ) -> tuple[np.ndarray, np.ndarray, FrameScorer]:
        fused = _subtract(recipes.weighted_sum(v, t, weight), negative)
        recipe = query.recipe or recipes.DEFAULT_EDIT_RECIPE
        if recipe == "weighted_sum":
            return (*self._knn(fused, query.limit, allowed, exclude), _dot(fused))
        if recipe != "harris":
            raise UsageError(f"unknown fusion recipe {recipe!r} (use one of {', '.join(recipes.RECIPES)})")
        if negative is not None:
            t = _subtract(t, negative)
        m = max(COMPOSED_CANDIDATES, query.limit)
        pool: set[int] = set()
        for vec in (v, t, fused):
            ids, _ = self._knn(vec, m, allowed, exclude)
            pool.update(ids.tolist())
        ids, gallery = self.stored.vectors(self.model, sorted(pool))

        def harris(vectors: np.ndarray) -> np.ndarray:
            return recipes.harris_scores(vectors, v, t, mu_image=self.stats.photo_mean(),
                                         mu_text=self.stats.text_mean(), a=weight, reference=self.stats.photo_sample())

        if not len(ids):
            return ids, np.zeros(0, dtype=np.float32), harris
        scores = harris(gallery)
        order = np.argsort(-scores, kind="stable")[: query.limit]
        return ids[order], scores[order].astype(np.float32), harris

    def _composed_background(
        self, v: np.ndarray, t: np.ndarray, negative: np.ndarray | None, weight: float, query: Query
    ) -> np.ndarray:
        """A composed query's scores over the library's photo sample (for the best-matches cut)."""
        sample = self.stats.photo_sample()
        if (query.recipe or recipes.DEFAULT_EDIT_RECIPE) != "harris":
            fused: np.ndarray = sample @ _subtract(recipes.weighted_sum(v, t, weight), negative).astype(np.float32)
            return fused
        t = t if negative is None else _subtract(t, negative)
        scores: np.ndarray = recipes.harris_scores(
            sample, v, t, mu_image=self.stats.photo_mean(), mu_text=self.stats.text_mean(), a=weight, reference=sample
        )
        return scores

    # -- results -------------------------------------------------------------

    def _hits(self, ids: np.ndarray, scores: np.ndarray, moments: dict[int, Moment], best: np.ndarray,
              words: WordsInPhotos | None = None) -> list[Hit]:
        rows = BrowseQueries(self.catalog).hit_rows(ids.tolist())
        videos = [pid for pid, row in rows.items() if media_kind(row[0]) == VIDEO]
        durations = MediaTables(self.catalog).video_durations(videos) if videos else {}
        places = PlaceTables(self.catalog).hit_places(ids.tolist())
        texts = PhotoTextTables(self.catalog).photo_texts(ids.tolist())
        people = PeopleTables(self.catalog).hit_people(ids.tolist())
        hits: list[Hit] = []
        for pid, score, is_best in zip(ids.tolist(), scores.tolist(), best.tolist()):
            row = rows.get(pid)
            if row is None:
                continue  # removed since the index was read
            path, width, height, taken_at, camera, _mtime, online = row
            moment = moments.get(pid)
            thumb = self._thumbnail(pid, moment)
            where = places.get(pid)
            text, boxes = hit_text(words.matches, pid) if words is not None else (None, None)
            hits.append(Hit(pid, path, float(score), len(hits) + 1, width, height, taken_at, camera, bool(online),
                            thumb, media_kind(path), moment.time if moment else None, durations.get(pid),
                            best=bool(is_best), place=where.label if where else None,
                            lat=where.lat if where else None, lon=where.lon if where else None,
                            text=text, text_boxes=boxes, photo_text=texts.get(pid, ()),
                            people=people.get(pid, ())))
        return hits

    def _thumbnail(self, photo_id: int, moment: Moment | None) -> Path | None:
        """The thumbnail of a hit: a video's best frame's when there is one, else the photo's."""
        if self.thumbnails is None:
            return None
        if moment is not None:
            frame = self.thumbnails.frame_path(photo_id, moment.frame)
            if frame.exists():
                return frame
        thumb = self.thumbnails.path(photo_id)
        return thumb if thumb.exists() else None


def sketch_canvas(drawing: Image.Image) -> Image.Image:
    """Dark strokes on white, padded to a square (transparent areas become white).

    The square is at most ``SKETCH_CANVAS_MAX`` pixels a side (a larger drawing
    is scaled down first), so padding an elongated drawing never makes a
    canvas its long side squared.
    """
    if drawing.mode in ("RGBA", "LA", "PA") or (drawing.mode == "P" and "transparency" in drawing.info):
        rgba = drawing.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        drawing = Image.alpha_composite(white, rgba)
    drawing = drawing.convert("RGB")
    longest = max(drawing.size)
    if longest > SKETCH_CANVAS_MAX:
        scale = SKETCH_CANVAS_MAX / longest
        size = (max(1, round(drawing.width * scale)), max(1, round(drawing.height * scale)))
        drawing = drawing.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)
    side = max(drawing.size)
    canvas = Image.new("RGB", (side, side), (255, 255, 255))
    canvas.paste(drawing, ((side - drawing.width) // 2, (side - drawing.height) // 2))
    return canvas


def _dot(q: np.ndarray) -> FrameScorer:
    query = q.astype(np.float32)
    return lambda vectors: vectors @ query


def _subtract(q: np.ndarray, negative: np.ndarray | None) -> np.ndarray:
    """rclip-style negative terms: move the query away from the excluded words, renormalise."""
    if negative is None:
        return q
    return recipes.normalize(q - NEGATIVE_WEIGHT * negative)


def _iso(value: date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    return value.strftime("%Y-%m-%dT00:00:00")


# -- strategies: one per registered query kind ------------------------------------

KindT = TypeVar("KindT", bound=QueryKind)
Strategy = Callable[[Searcher, KindT, Scope], Ranking]
_STRATEGIES: dict[type[QueryKind], Strategy[Any]] = {}


def search_strategy(kind: type[KindT]) -> Callable[[Strategy[KindT]], Strategy[KindT]]:
    """Register how queries of ``kind`` are answered (a function decorator)."""

    def register(strategy: Strategy[KindT]) -> Strategy[KindT]:
        _STRATEGIES[kind] = strategy
        return strategy

    return register


def has_strategy(kind: type[QueryKind]) -> bool:
    return kind in _STRATEGIES


@search_strategy(TextQuery)
def _text(searcher: Searcher, kind: TextQuery, scope: Scope) -> Ranking:
    return searcher._nearest(searcher._text_vector(kind.text), scope)


@search_strategy(ImageQuery)
def _image(searcher: Searcher, kind: ImageQuery, scope: Scope) -> Ranking:
    return searcher._nearest(searcher._picture(kind.image, scope), scope)


@search_strategy(EditQuery)
def _edit(searcher: Searcher, kind: EditQuery, scope: Scope) -> Ranking:
    return searcher._fused(searcher._picture(kind.image, scope), kind.text, recipes.DEFAULT_EDIT_WEIGHT, scope)


@search_strategy(SketchQuery)
def _sketch(searcher: Searcher, kind: SketchQuery, scope: Scope) -> Ranking:
    drawing = searcher._drawing(kind.sketch, bool(kind.text.strip()), scope)
    if not kind.text.strip():
        return searcher._nearest(drawing, scope)
    return searcher._fused(drawing, kind.text, recipes.DEFAULT_SKETCH_WORDS_WEIGHT, scope)


@search_strategy(WordsQuery)
def _words(searcher: Searcher, kind: WordsQuery, scope: Scope) -> Ranking:
    ids, scores = scope.words.ranked(scope.query.limit)
    return Ranking(ids, scores)
