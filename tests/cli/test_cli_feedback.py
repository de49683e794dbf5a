"""What the command line says to a user: watch lines, index resumes, model actions and names, status.

Every test runs the real `photoseek` command as a subprocess and checks the exact message.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

from app.cli.commands import RESUME_HINT
from app.cli.model_names import no_model_line
from indexer.models.model_purpose import TEST_MODEL_LABEL
from indexer.models.registry import KNOWN_MODELS
from tests.support.bundles import TOYCLIP, TOYCLIP_NAME
from tests.support.cli import ROOT, cli_env, photoseek_cmd, run_photoseek
from tests.support.photos import write_photo
from tests.support.template import copy_template


def test_models_help_lists_every_action_with_a_line_of_help():
    proc = run_photoseek("models", "--help")
    assert proc.returncode == 0
    lines = {line.split()[0]: line for line in proc.stdout.splitlines() if line.startswith("    ") and line.split()}
    for action in ("list", "download", "import", "use", "quantize", "export"):
        assert action in lines and len(lines[action].split()) > 2, proc.stdout


def test_download_of_an_unknown_model_is_refused_before_any_network_use(tmp_path):
    # HF_HUB_OFFLINE is set for every test: reaching the network would fail with "cannot reach the model hub"
    proc = run_photoseek("models", "download", "no-such-model")
    assert proc.returncode == 2
    assert proc.stderr == (
        f"photoseek: error: unknown model 'no-such-model'; known models: {', '.join(KNOWN_MODELS)} "
        "(or give a Hugging Face repository as owner/repo)\n"
    )
    assert not Path(os.environ["PHOTOSEEK_MODELS"], "no-such-model").exists()
    repo = run_photoseek("models", "download", "someone/some-model")  # owner/repo still goes to the hub
    assert repo.returncode == 1 and "cannot reach the model hub" in repo.stderr


def test_status_without_a_model_says_how_to_get_one(tmp_path):
    proc = run_photoseek("status", library=tmp_path / "lib")
    assert proc.returncode == 0
    assert "   model: none (photoseek models download ViT-B-32__laion2b-s34b-b79k, or photoseek models import DIR)\n" \
        in proc.stdout
    assert no_model_line() in proc.stdout


def test_the_toy_model_is_listed_as_a_test_model(tmp_path):
    assert run_photoseek("models", "import", str(TOYCLIP)).returncode == 0
    listing = run_photoseek("models", "list")
    line = next(line for line in listing.stdout.splitlines() if TOYCLIP_NAME in line)
    assert line.endswith(TEST_MODEL_LABEL)
    rows = json.loads(run_photoseek("models", "list", "--json").stdout)
    toy = next(r for r in rows if r["name"] == TOYCLIP_NAME)
    assert toy["test"] is True and toy["description"] == TEST_MODEL_LABEL
    assert all(r["test"] is False for r in rows if r.get("known"))


def test_photoseek_model_picks_the_model_of_a_new_library(tmp_path):
    photos = tmp_path / "photos"
    write_photo(photos / "a.jpg", 1)
    env = dict(os.environ, PHOTOSEEK_MODEL=str(TOYCLIP))
    index = run_photoseek("index", str(photos), library=tmp_path / "lib", env=env)
    assert index.returncode == 0, index.stderr
    status = json.loads(run_photoseek("status", "--json", library=tmp_path / "lib", env=env).stdout)
    assert (status["model"], status["indexed"]) == (TOYCLIP_NAME, 1)


def test_index_without_a_path_indexes_every_library_folder(tmp_path, template_library):
    lib = copy_template(template_library, tmp_path / "t")
    write_photo(lib.photos / "album0" / "new.jpg", 901)
    proc = run_photoseek("index", library=lib.library)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("indexed 1 photo(s) in ")
    assert proc.stderr.endswith(
        f"library: {lib.count + 1} photos, {lib.count + 1} indexed, 0 pending, 0 failed\n")


def test_ctrl_c_during_index_says_how_to_resume(tmp_path, template_library):
    photos = tmp_path / "photos"
    shutil.copytree(template_library.photos, photos)
    library = tmp_path / "lib"
    library.mkdir()
    (library / "settings.toml").write_text(f'model = "{TOYCLIP}"\nbatch_size = 1\ndecode_workers = 0\nocr = false\n')
    with subprocess.Popen(photoseek_cmd("--verbose", "index", str(photos), library=library), cwd=ROOT,
                          env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:  # the scan is logged before the first photo is embedded
            seen.append(line)
            if "scan:" in line:
                break
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        assert proc.wait(60) == 130, "".join(seen) + rest
    assert rest.endswith(f"{RESUME_HINT}\n")
    again = run_photoseek("index", library=library)  # resumes: everything ends up indexed
    assert again.returncode == 0 and again.stderr.endswith(
        f"library: {template_library.count} photos, {template_library.count} indexed, 0 pending, 0 failed\n")


def test_watch_prints_a_start_line_and_a_line_per_batch(tmp_path, template_library):
    lib = copy_template(template_library, tmp_path / "t")
    (lib.library / "settings.toml").write_text(f'model = "{TOYCLIP}"\ndebounce_seconds = 0.2\n')
    proc = subprocess.Popen(photoseek_cmd("watch", "--polling", library=lib.library), cwd=ROOT, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    try:
        lines = [proc.stderr.readline() for _ in range(3)]
        assert lines == [
            f"watching 1 folder(s) of the library {lib.library}; indexing what changed first (Ctrl+C to stop)\n",
            "indexed 0 photo(s)\n",
            "watching 1 folder(s); waiting for changes\n",
        ]
        write_photo(lib.photos / "album1" / "new.jpg", 902)
        assert proc.stderr.readline() == "changes: indexed 1, moved 0, removed 0, failed 0\n"
        lib.paths[0].rename(lib.paths[0].with_name("renamed.jpg"))
        assert proc.stderr.readline() == "changes: indexed 0, moved 1, removed 0, failed 0\n"
        lib.paths[1].unlink()
        assert proc.stderr.readline() == "changes: indexed 0, moved 0, removed 1, failed 0\n"
        (lib.photos / "broken.jpg").write_bytes(b"not a photo")
        assert proc.stderr.readline() == "changes: indexed 0, moved 0, removed 0, failed 1 (see `photoseek failures`)\n"
    finally:
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[1]
    assert proc.returncode == 0
    assert rest.endswith("stopped watching\n")


def test_search_marks_best_matches_filters_by_score_and_has_no_hidden_limit(tmp_path, template_library):
    lib = copy_template(template_library, tmp_path / "t")
    seven = str(lib.paths[7])
    hits = json.loads(run_photoseek("search", "--image", seven, "--json", "--limit", "100000",
                                    library=lib.library).stdout)
    assert len(hits) == lib.count - 1                      # every photo but the query itself
    flags = [h["best"] for h in hits]
    assert flags[0] is True and flags == sorted(flags, reverse=True)
    assert {h["path"] for h in hits if h["best"]} >= {str(p) for p in lib.copies}
    floor = hits[4]["score"]
    kept = json.loads(run_photoseek("search", "--image", seven, "--json", "--limit", "100000",
                                    "--min-score", str(floor), library=lib.library).stdout)
    assert [h["path"] for h in kept] == [h["path"] for h in hits if h["score"] >= floor]
    bad = run_photoseek("search", "cat", "--min-score", "high", library=lib.library)
    assert bad.returncode == 2 and "--min-score: invalid float value: 'high'" in bad.stderr
