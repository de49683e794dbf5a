"""Train a small CLIP on the generated photo world, on the CPU, in minutes.

    python -m tests.quality.train --out DIR --seconds 240

The committed fixture (tests/fixtures/toyclip) was made in two runs on a busy
shared 2-core machine (docs/quality.md):

    python -m tests.quality.train --out /tmp/stage1 --seconds 1080 --seed 0 --save-state /tmp/stage1.pt
    python -m tests.quality.train --out tests/fixtures/toyclip --seconds 720 --seed 1 --resume /tmp/stage1.pt

The model is an ordinary open_clip ``CLIP`` with a custom tiny config (a
ModifiedResNet image tower at 64 px with 8 base channels; text transformer width 32, 3 layers,
context 32, the real CLIP BPE vocabulary of 49408 tokens; embed_dim 64),
trained with the symmetric InfoNCE loss and a learnable temperature.  It is
exported through :func:`indexer.models.export.export_model`, the same code
path as real models, so the bundle runs through the product's encoder.

Training never sees a held-out attribute combination (world.is_heldout).
Training data: photos with captions naming all or some attributes
(world.random_caption).  ``--drawings F`` (default 0.15) also shows a fraction
F of clean line drawings captioned "a drawing of ..." (a stand-in for the
drawings a web-trained CLIP has seen); these are rendered unlike the
evaluation's hand-drawn sketches (exact outlines, uniform width, coloured
ink and paper, laid out like the photo).  docs/quality.md reports it.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import time
from pathlib import Path

import numpy as np
from PIL import Image

from tests.quality import world

logger = logging.getLogger(__name__)

IMAGE_SIZE = 64
CONTEXT_LENGTH = 32
MEAN = (0.48145466, 0.4578275, 0.40821073)      # OpenAI CLIP statistics
STD = (0.26862954, 0.26130258, 0.27577711)
MODEL_CONFIG = {
    "embed_dim": 64,
    # open_clip's ModifiedResNet (the CLIP "RN" tower), 8 base channels: its convolutions
    # learn shapes in a few hundred CPU steps where a same-cost ViT only learns colours.
    "vision_cfg": {"image_size": IMAGE_SIZE, "layers": [1, 1, 1, 1], "width": 8, "head_width": 32},
    "text_cfg": {"context_length": CONTEXT_LENGTH, "vocab_size": 49408, "width": 32, "heads": 2,
                 "layers": 3, "mlp_ratio": 2.0},
}


def build_model():
    """A fresh open_clip CLIP with the toy config."""
    import torch
    from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg

    torch.manual_seed(0)
    return CLIP(embed_dim=MODEL_CONFIG["embed_dim"],
                vision_cfg=CLIPVisionCfg(**MODEL_CONFIG["vision_cfg"]),
                text_cfg=CLIPTextCfg(**MODEL_CONFIG["text_cfg"]))


def preprocess_config():
    """The bundle preprocess that matches how training images are prepared."""
    from indexer.models.bundle import PreprocessConfig

    return PreprocessConfig(size=(IMAGE_SIZE, IMAGE_SIZE), mode="RGB", mean=MEAN, std=STD,
                            interpolation="bicubic", resize_mode="shortest", fill_color=0)


def to_pixels(img: Image.Image) -> np.ndarray:
    """PIL photo -> normalised float32 (3, 64, 64), as the bundle preprocess does."""
    if img.size != (IMAGE_SIZE, IMAGE_SIZE):
        img = img.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BICUBIC)
    a = np.asarray(img.convert("RGB"), np.float32) / 255.0
    a = (a - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return a.transpose(2, 0, 1)


def render_pool(n: int, seed: int, drawings: float) -> tuple[np.ndarray, list[world.Scene], np.ndarray]:
    """Pre-render ``n`` training images (seen combinations only).

    Returns pixels (n, 3, 64, 64) float16, scenes, and a bool mask of drawings.
    """
    rng = np.random.default_rng(seed)
    scenes = [world.sample_scene(rng, heldout=False) for _ in range(n)]
    is_drawing = rng.random(n) < drawings
    pix = np.empty((n, 3, IMAGE_SIZE, IMAGE_SIZE), np.float16)
    for i, (scene, drawing) in enumerate(zip(scenes, is_drawing)):
        img = world.render_drawing(scene) if drawing else world.render_photo(scene, jpeg=bool(i % 2))
        pix[i] = to_pixels(img)
    return pix, scenes, is_drawing


def group_by_look(scenes: list[world.Scene], is_drawing: np.ndarray) -> list[np.ndarray]:
    """Pool indices grouped by what is easy to see (colour, setting, night; drawings apart)."""
    keys: dict[tuple, list[int]] = {}
    for i, (s, d) in enumerate(zip(scenes, is_drawing)):
        keys.setdefault(("drawing",) if d else (s.colour, s.setting, s.night), []).append(i)
    return [np.array(v) for v in keys.values() if len(v) >= 8]


def sample_batch(groups: list[np.ndarray], pool_size: int, batch_size: int,
                 rng: np.random.Generator, per_group: int = 8) -> np.ndarray:
    """Half the batch in small groups that share colour and setting (hard negatives that
    differ in shape, count and size, so those are learnt early), half at random."""
    n_groups = batch_size // (2 * per_group)
    chosen = [rng.choice(groups[g], per_group, replace=False)
              for g in rng.choice(len(groups), n_groups, replace=False)]
    grouped = np.concatenate(chosen) if chosen else np.zeros(0, int)
    rest = rng.choice(np.setdiff1d(np.arange(pool_size), grouped), batch_size - len(grouped), replace=False)
    return np.concatenate([grouped, rest])


def train(seconds: float, *, seed: int = 0, pool_size: int = 8000, batch_size: int = 128,
          lr: float = 2e-3, drawings: float = 0.15, threads: int = 1, log_every: int = 50,
          resume: Path | None = None):
    """Train the toy CLIP for about ``seconds`` of wall time (pool rendering included).

    ``resume``: a state dict saved by ``--save-state`` to continue from (a warm
    restart of the learning-rate schedule, on a freshly rendered pool).

    Returns (model, info) where info records steps, samples, final loss, timings.
    """
    import open_clip
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    t0 = time.monotonic()
    pix, scenes, is_drawing = render_pool(pool_size, seed, drawings)
    render_s = time.monotonic() - t0
    logger.info("rendered %d training images in %.1fs", pool_size, render_s)
    tokenizer = open_clip.tokenizer.SimpleTokenizer(context_length=CONTEXT_LENGTH)
    model = build_model()
    if resume is not None:
        model.load_state_dict(torch.load(resume, map_location="cpu"))
    model.train()
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "token_embedding" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2 or "token_embedding" in n]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                             {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.98))
    rng = np.random.default_rng(seed + 1)
    groups = group_by_look(scenes, is_drawing)
    budget = max(1.0, seconds - (time.monotonic() - t0))
    start = time.monotonic()
    warmup = 40
    step, loss_v = 0, float("nan")
    seen_tokens: set[int] = set()
    while True:
        frac = (time.monotonic() - start) / budget
        if frac >= 1.0:
            break
        scale = min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0)))
        for g in opt.param_groups:
            g["lr"] = lr * max(scale, 0.02)
        idx = sample_batch(groups, pool_size, batch_size, rng)
        texts = [world.drawing_caption(scenes[i], rng) if is_drawing[i]
                 else world.random_caption(scenes[i], rng) for i in idx]
        images = torch.from_numpy(pix[idx].astype(np.float32))
        tokens = tokenizer(texts)
        seen_tokens.update(torch.unique(tokens).tolist())
        img_f = model.encode_image(images, normalize=True)
        txt_f = model.encode_text(tokens, normalize=True)
        logits = model.logit_scale.exp().clamp(max=100) * img_f @ txt_f.T
        # identical captions in a batch are not negatives of each other
        same = torch.tensor([[a == b for b in texts] for a in texts])
        logits_t = logits.masked_fill(same & ~torch.eye(len(texts), dtype=torch.bool), -1e4)
        labels = torch.arange(len(texts))
        loss = 0.5 * (F.cross_entropy(logits_t, labels) + F.cross_entropy(logits_t.T, labels))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        loss_v = float(loss.detach())
        step += 1
        if step % log_every == 0:
            logger.info("step %d  loss %.3f  T %.1f  %.0fs", step, loss_v,
                        float(model.logit_scale.exp()), time.monotonic() - t0)
    model.eval()
    unseen = forget_unseen_tokens(model, seen_tokens)
    info = {"steps": step, "samples": step * batch_size, "final_loss": loss_v,
            "render_seconds": round(render_s, 1), "seconds": round(time.monotonic() - t0, 1),
            "resumed_from": str(resume) if resume else None, "pool_size": pool_size, "batch_size": batch_size, "drawings": drawings, "seed": seed,
            "threads": threads, "tokens_seen": len(seen_tokens), "tokens_zeroed": unseen,
            "config": MODEL_CONFIG}
    return model, info


def forget_unseen_tokens(model, seen: set[int]) -> int:
    """Zero the embeddings of tokens that no training caption used; returns how many.

    They were never trained (random initial values), so a word outside the
    world's vocabulary ("make", "instead") now adds nothing but its position,
    and the committed bundle compresses well in git.
    """
    import torch

    with torch.no_grad():
        emb = model.token_embedding.weight
        keep = torch.zeros(emb.shape[0], dtype=torch.bool)
        keep[sorted(seen)] = True
        emb[~keep] = 0.0
    return int((~keep).sum())


def export(model, out_dir: Path, info: dict, *, name: str = "toyclip") -> Path:
    """Export through the product's exporter and record how it was trained."""
    from indexer.models.export import export_model

    out_dir = Path(out_dir)
    path = export_model(model, out_dir, name=name,
                        source=f"tests/quality/train.py ({info['steps']} steps, seed {info['seed']})",
                        preprocess=preprocess_config(), model_cfg=MODEL_CONFIG)
    (Path(path) / "training.json").write_text(json.dumps(info, indent=1))
    return Path(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="bundle directory to write")
    ap.add_argument("--seconds", type=float, default=240, help="wall-clock training budget")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pool", type=int, default=8000, help="training images rendered up front")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--drawings", type=float, default=0.15,
                    help="fraction of clean line drawings in training (0 = photos only)")
    ap.add_argument("--resume", type=Path, help="continue from a state dict written by --save-state")
    ap.add_argument("--save-state", type=Path, help="also save the torch state dict here")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1 is fastest on a busy shared CPU: spinning threads stall)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    model, info = train(args.seconds, seed=args.seed, pool_size=args.pool, batch_size=args.batch,
                        drawings=args.drawings, threads=args.threads, resume=args.resume)
    if args.save_state:
        import torch

        torch.save(model.state_dict(), args.save_state)
    path = export(model, args.out, info)
    print(json.dumps({"bundle": str(path), **{k: v for k, v in info.items() if k != "config"}}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
