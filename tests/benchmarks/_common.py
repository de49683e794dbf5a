"""Shared helpers of the benchmark scripts (not a test module).

Every script prints a table of figures measured side by side in one process;
the machines are shared and noisy, so each figure is printed with the load
average seen while it was measured.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

CACHE = Path(os.environ.get("PHOTOSEEK_BENCH_CACHE", Path(tempfile.gettempdir()) / "photoseek-bench"))


def parser(doc: str | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(doc or "").splitlines()[0] if doc else None)
    p.add_argument("--quick", action="store_true", help="a short smoke run (small sizes, figures not meaningful)")
    return p


def load() -> str:
    """The 1/5/15-minute load averages and the core count, e.g. 'load 2.1/1.9/1.5 on 2 cores'."""
    a, b, c = os.getloadavg()
    return f"load {a:.1f}/{b:.1f}/{c:.1f} on {os.cpu_count()} cores"


def rss_bytes() -> int:
    """Current resident set size of this process (Linux /proc, else peak RSS)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def table(rows: list[tuple], headers: tuple[str, ...]) -> str:
    cells = [tuple(str(c) for c in headers)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(c.ljust(w) for c, w in zip(cells[0], widths)), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells[1:]]
    return "\n".join(out)


def vit_b32(cache: Path = CACHE) -> Path:
    """The random-weight ViT-B-32 bundle of the tests, exported once into the cache (about a minute)."""
    from tests.support.bundles import VIT_B32_NAME, vit_b32_bundle

    path = cache / "bundles" / VIT_B32_NAME
    if (path / "bundle.json").exists() or (path / "config.json").exists():
        return path
    started = time.monotonic()
    print(f"exporting random-weight ViT-B-32 to {path} (once) ...", flush=True)
    out = vit_b32_bundle(cache / "bundles")
    print(f"  exported in {time.monotonic() - started:.0f} s", flush=True)
    return out


def cpu(fn: Callable[[], object], clock: Callable[[], float] = time.process_time) -> tuple[float, object]:
    """(CPU seconds ``fn`` took by ``clock``, its result): ``time.thread_time`` counts this thread only (the
    work itself, not the runtime's own threads), ``time.process_time`` every thread of the process."""
    started = clock()
    out = fn()
    return clock() - started, out


def median(values: list[float]) -> float:
    return statistics.median(values)


# --- synthetic CLIP-like embeddings ---------------------------------------------------------------

class ClipLikeVectors:
    """Unit vectors shaped like CLIP image embeddings (not i.i.d. noise).

    Real CLIP embeddings live in a narrow cone (a large shared mean component: random pairs of
    photos have cosine ~0.2-0.5), have a low intrinsic dimension (a few dozen directions carry most
    of the variance, with a power-law tail) and are clumpy (many near-duplicates and themes).  This
    generator reproduces those three properties:

        x = normalise( g * mu  +  C[k]  +  (z * s) @ B  +  sigma * e )

    - ``mu``: one shared unit direction (the cone), weight ``g``;
    - ``C[k]``: one of ``clusters`` theme centres, themselves drawn from a ``center_rank``-dim
      subspace with a power-law spectrum and a Zipf-like popularity (some themes are huge);
    - ``(z * s) @ B``: within-theme variation in a ``latent``-dim subspace, per-axis scales
      ``s_i ~ i^-0.7`` (anisotropic), each theme with its own random subset/sign of the axes;
    - ``e``: a small isotropic residual over all 512 dims.
    Queries ("text-like") are theme centres plus a constant offset (CLIP's modality gap) plus a
    little noise: they sit *off* the data manifold, the hard case for graph search.
    """

    def __init__(self, dim: int = 512, *, clusters: int = 2000, center_rank: int = 128, latent: int = 64,
                 seed: int = 0):
        rng = np.random.default_rng(seed)
        self.dim = dim
        self.rng_seed = seed
        self.mu = _unit(rng.normal(size=dim))
        basis_c = np.linalg.qr(rng.normal(size=(dim, center_rank)))[0].T  # (rank, dim) orthonormal
        spec_c = (np.arange(1, center_rank + 1, dtype=np.float64) ** -0.6).astype(np.float32)
        coef = rng.normal(size=(clusters, center_rank)).astype(np.float32) * spec_c
        self.centers = (coef @ basis_c).astype(np.float32)
        self.centers *= 0.9 / np.sqrt((self.centers ** 2).sum(1).mean())
        self.basis_w = np.linalg.qr(rng.normal(size=(dim, latent)))[0].T.astype(np.float32)  # (latent, dim)
        self.scales = (np.arange(1, latent + 1, dtype=np.float32) ** -0.7)
        self.scales *= 0.55 / np.sqrt((self.scales ** 2).sum())
        self.cluster_mask = (rng.random((clusters, latent)) < 0.6).astype(np.float32) * rng.choice(
            [-1.0, 1.0], size=(clusters, latent)).astype(np.float32) + 0.25
        pop = 1.0 / np.arange(1, clusters + 1) ** 0.8
        self.popularity = pop / pop.sum()
        self.gap = _unit(rng.normal(size=dim)).astype(np.float32)  # modality gap direction
        self.g = 1.0
        self.sigma = 0.012

    def sample(self, n: int, seed: int, chunk: int = 100_000) -> np.ndarray:
        out = np.empty((n, self.dim), dtype=np.float32)
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            rng = np.random.default_rng((self.rng_seed, seed, start))
            k = rng.choice(len(self.centers), size=m, p=self.popularity)
            z = rng.normal(size=(m, len(self.scales))).astype(np.float32) * self.scales * self.cluster_mask[k]
            x = self.g * self.mu + self.centers[k] + z @ self.basis_w
            x += self.sigma * rng.normal(size=(m, self.dim)).astype(np.float32)
            out[start:start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
        return out

    def text_queries(self, n: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng((self.rng_seed, seed, 7))
        k = rng.choice(len(self.centers), size=n, p=self.popularity)
        z = rng.normal(size=(n, len(self.scales))).astype(np.float32) * self.scales * 0.7
        x = 0.6 * self.g * self.mu + self.centers[k] + z @ self.basis_w + 1.5 * self.gap
        x += 0.02 * rng.normal(size=(n, self.dim)).astype(np.float32)
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def describe(x: np.ndarray, rng_seed: int = 0) -> dict[str, float]:
    """Statistics that say how CLIP-like a sample is."""
    rng = np.random.default_rng(rng_seed)
    s = x[rng.choice(len(x), size=min(len(x), 4000), replace=False)]
    g = s @ s.T
    iu = np.triu_indices(len(s), 1)
    np.fill_diagonal(g, -2)
    centred = s - s.mean(0)
    ev = np.linalg.svd(centred, compute_uv=False) ** 2
    cum = np.cumsum(ev) / ev.sum()
    pr = ev.sum() ** 2 / (ev ** 2).sum()
    return {
        "mean_pair_cos": float(g[iu].mean()),
        "mean_nn_cos_in_4k": float(g.max(1).mean()),
        "dims_for_90pct_var": int(np.searchsorted(cum, 0.90) + 1),
        "participation_ratio": float(pr),
    }


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)
