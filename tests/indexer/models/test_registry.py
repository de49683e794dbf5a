"""Known models, installed bundles, resolving names, importing bundles atomically."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from indexer.errors import ModelError, ModelNotFound
from indexer.models import registry
from indexer.models.bundle import ModelBundle
from indexer.models.registry import (
    DEFAULT_MODEL,
    KNOWN_MODELS,
    broken_models,
    import_bundle,
    installed_models,
    resolve_model,
    scan_models,
)


@pytest.fixture(scope="module")
def src_bundle(tmp_path_factory: pytest.TempPathFactory, tiny_bundle: Path) -> Path:
    """A private copy named ``tiny`` of the session's tiny bundle (tests/conftest.py)."""
    src = tmp_path_factory.mktemp("src") / "tiny"
    shutil.copytree(tiny_bundle, src)
    return src


@pytest.fixture(scope="module")
def other_bundle(tmp_path_factory: pytest.TempPathFactory, src_bundle: Path) -> Path:
    """Same name and layout as ``src_bundle``, a different (but valid) model."""
    other = tmp_path_factory.mktemp("other") / "tiny"
    shutil.copytree(src_bundle, other)
    cfg = json.loads((other / "config.json").read_text(encoding="utf-8"))
    cfg["note"] = "a different model of the same name"
    (other / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    return other


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_known_models_name_their_immich_repositories() -> None:
    assert DEFAULT_MODEL == "ViT-B-32__laion2b-s34b-b79k"
    for name in (
        DEFAULT_MODEL,
        "ViT-B-32__openai",
        "ViT-B-16-SigLIP2__webli",
        "nllb-clip-base-siglip__v1",
        "XLM-Roberta-Large-Vit-B-32",
    ):
        known = KNOWN_MODELS[name]
        assert known.name == name
        assert known.repo_id == f"immich-app/{name}"
        assert known.embed_dim in (512, 768) and known.approx_size_mb > 0 and known.description
    assert any(m.multilingual for m in KNOWN_MODELS.values())


def test_no_models_dir_means_no_models(tmp_path: Path) -> None:
    assert installed_models(tmp_path / "missing") == []
    assert scan_models(tmp_path) == []


def test_import_copies_validates_and_lists(tmp_path: Path, src_bundle: Path) -> None:
    models = tmp_path / "models"
    (src_bundle / "visual" / "fp16").mkdir(exist_ok=True)
    (src_bundle / "visual" / "fp16" / "model.armnn").write_bytes(b"other runtime")
    try:
        bundle = import_bundle(src_bundle, models)
    finally:
        shutil.rmtree(src_bundle / "visual" / "fp16")

    assert bundle.name == "tiny" and bundle.path == models / "tiny"
    assert _files(bundle.path) == _files(src_bundle)  # armnn file not copied
    assert [p.name for p in models.iterdir()] == ["tiny"]  # no staging left behind
    assert [b.name for b in installed_models(models)] == ["tiny"]

    renamed = import_bundle(src_bundle, models, name="tiny-copy")
    assert renamed.name == "tiny-copy"
    assert sorted(b.name for b in installed_models(models)) == ["tiny", "tiny-copy"]


def test_import_same_files_again_is_a_no_op(tmp_path: Path, src_bundle: Path) -> None:
    models = tmp_path / "models"
    first = import_bundle(src_bundle, models)
    stamp = (first.path / "visual" / "model.onnx").stat().st_mtime_ns
    again = import_bundle(src_bundle, models)
    assert again.path == first.path
    assert (again.path / "visual" / "model.onnx").stat().st_mtime_ns == stamp


def test_import_refuses_to_overwrite_a_different_model(tmp_path: Path, src_bundle: Path, other_bundle: Path) -> None:
    models = tmp_path / "models"
    import_bundle(src_bundle, models)
    with pytest.raises(ModelError, match="different model named tiny is already installed"):
        import_bundle(other_bundle, models)
    assert _files(models / "tiny") == _files(src_bundle)

    replaced = import_bundle(other_bundle, models, force=True)
    assert _files(replaced.path) == _files(other_bundle)
    assert [p.name for p in models.iterdir()] == ["tiny"]


def test_import_of_a_broken_bundle_installs_nothing(tmp_path: Path, src_bundle: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(src_bundle, broken)
    (broken / "textual" / "model.onnx").unlink()
    models = tmp_path / "models"
    with pytest.raises(ModelError, match="textual/model.onnx"):
        import_bundle(broken, models)
    assert not models.exists() or list(models.iterdir()) == []

    with pytest.raises(ModelNotFound):
        import_bundle(tmp_path / "nowhere", models)
    with pytest.raises(ModelError, match="cannot be a model name"):
        import_bundle(src_bundle, models, name="../escape")


def test_import_that_fails_midway_leaves_nothing(
    tmp_path: Path, src_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_copytree = shutil.copytree

    calls: list[object] = []

    def copy_then_fail(src, dst, *args, **kw):  # shutil.copytree recurses through the patched name
        calls.append(src)
        top = len(calls) == 1
        real_copytree(src, dst, *args, **kw)
        if top:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(registry.shutil, "copytree", copy_then_fail)
    models = tmp_path / "models"
    with pytest.raises(ModelError, match="cannot copy the model bundle .* No space left on device"):
        import_bundle(src_bundle, models)
    assert list(models.iterdir()) == []  # neither the model nor the staging directory


def test_broken_models_are_listed_with_their_error(tmp_path: Path, src_bundle: Path) -> None:
    models = tmp_path / "models"
    import_bundle(src_bundle, models)
    broken = models / "half-copied"
    shutil.copytree(src_bundle, broken)
    (broken / "config.json").write_text("{not json", encoding="utf-8")
    (models / ".download-something").mkdir()  # work areas are not models
    (models / "notes.txt").write_text("not a model", encoding="utf-8")

    assert [b.name for b in installed_models(models)] == ["tiny"]
    bad = broken_models(models)
    assert [e.name for e in bad] == ["half-copied"]
    assert bad[0].bundle is None and "config.json" in bad[0].error
    assert [(e.name, e.ok) for e in scan_models(models)] == [("half-copied", False), ("tiny", True)]


def test_resolve_by_name_and_by_path(tmp_path: Path, src_bundle: Path) -> None:
    models = tmp_path / "models"
    import_bundle(src_bundle, models)
    by_name = resolve_model("tiny", models)
    assert isinstance(by_name, ModelBundle) and by_name.path == models / "tiny"
    by_path = resolve_model(str(src_bundle), models)
    assert by_path.path == src_bundle
    assert resolve_model(src_bundle, models).path == src_bundle


def test_resolve_unknown_names_says_what_to_do(tmp_path: Path, src_bundle: Path) -> None:
    models = tmp_path / "models"
    import_bundle(src_bundle, models)
    with pytest.raises(ModelNotFound) as err:
        resolve_model("no-such-model", models)
    message = str(err.value)
    assert "installed: tiny" in message and "photoseek models download" in message

    with pytest.raises(ModelNotFound, match=f"photoseek models download {DEFAULT_MODEL}"):
        resolve_model(DEFAULT_MODEL, models)
    with pytest.raises(ModelNotFound, match="no model bundle directory"):
        resolve_model(str(tmp_path / "missing" / "bundle"), models)


def test_resolve_a_damaged_installed_model(tmp_path: Path, src_bundle: Path) -> None:
    models = tmp_path / "models"
    import_bundle(src_bundle, models)
    (models / "tiny" / "visual" / "model.onnx").write_bytes(b"\x00garbage")
    with pytest.raises(ModelError, match="installed model tiny .* is damaged"):
        resolve_model("tiny", models)
