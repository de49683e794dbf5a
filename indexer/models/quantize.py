"""An int8 copy of a bundle's image tower, for slow CPUs.

``quantize_visual(bundle, models_dir)`` writes ``models_dir/<name>__int8``:
the same bundle with ``visual/model.onnx`` replaced by ONNX Runtime's
dynamic quantisation of it (int8 weights for MatMul/Gemm, activations
quantised on the fly).  The text tower is copied unchanged: text queries are
short and rare, images are many.  The copy is a separate model with its own
name, so its vectors are never mixed with the fp32 model's.

Measured on ViT-B-32 (random weights) on this project's 2-core CPU, 2
threads, ``python tests/benchmarks/bench_quantize.py --uint8``: signed int8
weights (``QInt8``) ran 1.9-3.5x the fp32 images/s over five runs (the CPU
was shared with other jobs, load average 6-10, so the ratio moved with the
load), with embeddings at cosine >= 0.9998 to fp32, centred cosine >= 0.995
and top-1 agreement 1.0 over 32 images; unsigned weights (``QUInt8``) gave
the same accuracy at only 1.0-1.3x (ONNX Runtime's fast int8 kernels pair u8
activations with s8 weights); per-channel scales cost ~10% speed for no
useful accuracy gain.  Hence QInt8, per-tensor.

Needs the ``onnx`` package (the ``[export]`` extra).
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from indexer.errors import ModelError
from indexer.models.bundle import ModelBundle
from indexer.models.registry import install_dir, staging_dir, validate_model_name

if TYPE_CHECKING:
    from onnx import GraphProto

logger = logging.getLogger(__name__)

QUANT_INFO_FILE = "quantization.json"  # written into visual/ of the quantised bundle
INT8_SUFFIX = "__int8"
OP_TYPES = ("MatMul", "Gemm")
#: fp32 towers larger than this keep their int8 weights in an external data file
EXTERNAL_DATA_THRESHOLD = 4 << 30
_NOT_COPIED = ("download.json",)  # provenance of the fp32 download; quantization.json replaces it


def _require_onnx() -> tuple[ModuleType, Any, Any]:
    """``(onnx, quantize_dynamic, QuantType)``, imported on first use (the export extra)."""
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as e:
        raise ModelError(
            f"quantising a model needs the onnx package ({e.name or e}); "
            "install it with: pip install 'photoseek[export]'"
        ) from e
    return onnx, quantize_dynamic, QuantType


def external_data_files(model_path: Path) -> set[str]:
    """Names (relative to the model's directory) of the external data files the graph refers to."""
    onnx, _, _ = _require_onnx()
    try:
        model = onnx.load(str(model_path), load_external_data=False)
    except Exception as e:  # onnx raises DecodeError, ValueError, ... for a bad file
        raise ModelError(f"cannot read {model_path}: {e}") from e
    from onnx.external_data_helper import uses_external_data

    names: set[str] = set()

    def visit(graph: GraphProto) -> None:  # initializers, and tensors in node attributes, subgraphs included
        tensors = list(graph.initializer)
        for node in graph.node:
            for attr in node.attribute:
                if attr.HasField("t"):
                    tensors.append(attr.t)
                tensors.extend(attr.tensors)
                if attr.HasField("g"):
                    visit(attr.g)
                for g in attr.graphs:
                    visit(g)
        for tensor in tensors:
            if uses_external_data(tensor):
                names.update(e.value for e in tensor.external_data if e.key == "location")

    visit(model.graph)
    return names


@contextlib.contextmanager
def _quiet_preprocess_hint() -> Iterator[None]:
    """ONNX Runtime logs a 'consider pre-processing' warning on the root logger; demote it to debug."""

    class _Filter(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            if str(record.msg).startswith("Please consider to run pre-processing"):
                logger.debug("onnxruntime: %s", record.getMessage())
                return False
            return True

    f = _Filter()
    root = logging.getLogger()
    root.addFilter(f)
    try:
        yield
    finally:
        root.removeFilter(f)


def quantize_visual(
    bundle: ModelBundle, models_dir: Path, *, name: str | None = None, force: bool = False
) -> ModelBundle:
    """Write an int8 copy of ``bundle`` (image tower quantised) as a new model and return it.

    The new model is ``models_dir/<name>`` (default ``<bundle name>__int8``);
    an existing model of that name is refused unless ``force``.  The copy is
    assembled in a temporary directory and renamed into place only once it
    loads.  Raises ``ModelError`` when ``onnx`` is missing or the tower cannot
    be quantised.
    """
    onnx, quantize_dynamic, QuantType = _require_onnx()
    import onnxruntime

    models_dir = Path(models_dir)
    name = validate_model_name(name or f"{bundle.name}{INT8_SUFFIX}")
    dest = models_dir / name
    src = Path(bundle.path)
    if dest.resolve() == src.resolve():
        raise ModelError(f"the quantised copy of {bundle.name} needs a name other than its own")
    if dest.exists() and not force:
        raise ModelError(f"a model named {name} already exists in {models_dir}; remove it or choose another name")

    if (src / "visual" / QUANT_INFO_FILE).exists():
        raise ModelError(f"the image tower of {bundle.name} is already quantised")
    src_model = src / "visual" / "model.onnx"
    external = external_data_files(src_model)
    skip_visual = {"model.onnx", *external}

    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = staging_dir(models_dir, f"quantize-{name}")
    try:
        out = tmp / "bundle"
        # Everything except the fp32 image tower, its weights, and the download record.
        try:
            shutil.copytree(
                src,
                out,
                ignore=lambda d, names: [
                    n
                    for n in names
                    if (Path(d) == src / "visual" and n in skip_visual) or (Path(d) == src and n in _NOT_COPIED)
                ],
            )
        except OSError as e:
            raise ModelError(f"cannot copy {bundle.name} into {models_dir}: {e}") from e
        fp32_bytes = sum((src / "visual" / rel).stat().st_size for rel in skip_visual)
        started = time.perf_counter()
        try:
            # Loaded here (external data included) so the quantiser never writes beside the
            # source bundle, which may be read-only.
            model = onnx.load(str(src_model))
            with _quiet_preprocess_hint():
                quantize_dynamic(
                    model,
                    out / "visual" / "model.onnx",
                    op_types_to_quantize=list(OP_TYPES),
                    weight_type=QuantType.QInt8,
                    per_channel=False,
                    use_external_data_format=fp32_bytes > EXTERNAL_DATA_THRESHOLD,
                )
            del model
        except ModelError:
            raise
        except Exception as e:  # the quantiser raises whatever onnx/ORT raise
            raise ModelError(f"cannot quantise the image tower of {bundle.name}: {e}") from e
        info = {
            "method": "onnxruntime.quantization.quantize_dynamic",
            "weight_type": "QInt8",
            "per_channel": False,
            "op_types": list(OP_TYPES),
            "source_model": bundle.name,
            "onnxruntime": onnxruntime.__version__,
            "fp32_bytes": fp32_bytes,
            "int8_bytes": sum(p.stat().st_size for p in (out / "visual").iterdir() if p.name.startswith("model.onnx")),
        }
        (out / "visual" / QUANT_INFO_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")
        try:
            ModelBundle.load(out)
        except ModelError as e:
            raise ModelError(f"the quantised copy of {bundle.name} does not load: {e}") from e
        try:
            install_dir(out, dest, replace=force)
        except OSError as e:
            raise ModelError(f"cannot install {name} in {models_dir}: {e}") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info(
        "quantised %s -> %s in %.1f s (image tower %.0f MB -> %.0f MB)",
        bundle.name,
        name,
        time.perf_counter() - started,
        info["fp32_bytes"] / 1e6,
        info["int8_bytes"] / 1e6,
    )
    return ModelBundle.load(dest)
