"""Videos through FFmpeg: which frames are kept, at which times, and hostile files failing alone."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from indexer.errors import UnreadableImage
from indexer.media import video
from indexer.media.video import MAX_FRAMES, decode_video, frame_count, sample_times
from indexer.models.bundle import ModelBundle
from tests.quality import world
from tests.support.media import (
    huge_stream_video,
    many_streams_video,
    truncated_copy,
    turned_quarter,
    world_video,
    write_video,
)

pytest.importorskip("av")


@pytest.fixture(scope="module")
def cfg(toyclip_bundle):
    return ModelBundle.load(toyclip_bundle).preprocess


def test_longer_videos_get_more_frames_up_to_a_cap():
    counts = [frame_count(s) for s in (0.5, 3, 10, 60, 600, 36_000)]
    assert counts == sorted(counts) and counts[0] >= 1 and counts[-1] == MAX_FRAMES
    assert frame_count(None) == MAX_FRAMES
    times = sample_times(10.0, 4)
    assert times == [1.25, 3.75, 6.25, 8.75]


def test_frames_are_kept_inside_each_scene_and_repeats_are_skipped(tmp_path, cfg):
    scenes = world.sample_scenes(5, 4)
    segments = world_video(tmp_path / "v.mp4", scenes, seconds=5.0, fps=4, gop=4)
    decoded = decode_video(tmp_path / "v.mp4", cfg)
    assert decoded.duration == pytest.approx(20.0, abs=0.3)
    assert (decoded.width, decoded.height) == (128, 128)
    times = [f.time for f in decoded.frames]
    assert times == sorted(times)
    covered = {next(i for i, s in enumerate(segments) if s.start <= t < s.end) for t in times}
    assert covered == set(range(len(scenes)))  # every scene seen
    assert len(times) == len(scenes)  # frame_count(20) = 9 sampled; the still repeats are skipped
    assert all(f.packed.shape == (3, *cfg.size) and max(f.thumbnail.size) <= 256 for f in decoded.frames)


def test_frames_are_held_in_8_bits_and_give_back_the_model_input_exactly(cfg):
    from PIL import Image as PILImage

    from indexer.media.video import pack_pixels, unpack_pixels
    from indexer.models.preprocess import model_input
    from tests.support.images import photo

    for picture in (photo(300, 200, seed=3), PILImage.new("RGB", (90, 160), (255, 0, 7))):
        pixels = model_input(picture, cfg)
        packed = pack_pixels(pixels, cfg)
        assert packed.dtype == "uint8" and packed.nbytes * 4 == pixels.nbytes
        assert np.array_equal(unpack_pixels(packed, cfg), pixels)


def test_a_still_video_keeps_one_frame(tmp_path, cfg):
    write_video(tmp_path / "still.mp4", [Image.new("RGB", (64, 48), (90, 120, 200))] * 60, fps=6)
    assert len(decode_video(tmp_path / "still.mp4", cfg).frames) == 1


def test_a_video_filmed_upright_is_turned_upright(tmp_path, cfg):
    landscape = np.zeros((32, 64, 3), np.uint8)
    landscape[:, :32] = (255, 0, 0)  # the left half red: the top once turned a quarter clockwise
    path = write_video(tmp_path / "upright.mp4", [Image.fromarray(landscape)] * 5, fps=5)
    decoded = decode_video(turned_quarter(path), cfg)
    thumb = decoded.frames[0].thumbnail
    assert (decoded.width, decoded.height) == (32, 64) and thumb.size == (32, 64)
    assert thumb.getpixel((16, 4))[0] > 200 and thumb.getpixel((16, 60))[0] < 50


def test_the_decode_budget_keeps_the_frames_found_so_far(tmp_path, cfg, monkeypatch):
    world_video(tmp_path / "v.mp4", world.sample_scenes(6, 3), seconds=4.0, fps=4, gop=4)
    monkeypatch.setattr(video, "MAX_DECODED_FRAMES", 1)
    assert len(decode_video(tmp_path / "v.mp4", cfg).frames) == 1


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    good = folder / "good.mp4"
    world_video(good, world.sample_scenes(7, 2), seconds=3.0)
    world_video(folder / "good.mkv", world.sample_scenes(7, 2), seconds=3.0)
    (folder / "empty.mp4").write_bytes(b"")
    truncated_copy(good, folder / "truncated.mp4", keep=0.6)  # its index (moov) is at the end: lost
    truncated_copy(folder / "good.mkv", folder / "truncated.mkv", keep=0.6)
    truncated_copy(good, folder / "headless.mov", keep=0.01)
    many_streams_video(folder / "streams.mkv")
    huge_stream_video(folder / "16k.avi")
    world.render_photo(world.sample_scenes(8, 1)[0]).save(folder / "photo.mp4", "JPEG")
    (folder / "noise.webm").write_bytes(bytes(range(256)) * 64)
    return folder


@pytest.mark.parametrize("name, reason", [
    ("empty.mp4", "empty file (0 bytes)"),
    ("streams.mkv", "video has 1000 streams; at most 64 are read"),
    ("16k.avi", "video frames are 15360x8640 pixels, too large to decode safely (limit 40 megapixels)"),
    ("photo.mp4", "not a video: its content is piped jpeg sequence"),
    ("headless.mov", None),
    ("truncated.mp4", None),
    ("noise.webm", None),
])
def test_hostile_videos_fail_with_a_clear_reason(hostile, cfg, name, reason):
    with pytest.raises(UnreadableImage) as err:
        decode_video(hostile / name, cfg)
    if reason is not None:
        assert err.value.reason == reason
    else:
        assert err.value.reason.startswith(("not a video", "video is truncated", "no frame"))


def test_a_truncated_video_keeps_the_frames_it_still_has(hostile, cfg):
    decoded = decode_video(hostile / "truncated.mkv", cfg)
    assert 1 <= len(decoded.frames)
    assert all(f.time < 6.0 for f in decoded.frames)


def test_garbage_in_the_middle_costs_only_the_frames_it_hides(tmp_path, cfg):
    segments = world_video(tmp_path / "v.mkv", world.sample_scenes(9, 4), seconds=3.0, fps=5, gop=5)
    data = bytearray((tmp_path / "v.mkv").read_bytes())
    third, half = len(data) // 3, len(data) // 2
    data[third:half] = np.random.default_rng(1).integers(0, 255, half - third, dtype=np.uint8).tobytes()
    (tmp_path / "damaged.mkv").write_bytes(bytes(data))
    decoded = decode_video(tmp_path / "damaged.mkv", cfg)
    seen = {next(i for i, s in enumerate(segments) if s.start <= f.time < s.end) for f in decoded.frames}
    assert {0, 3} <= seen  # the undamaged start and end are still found
