"""BYOL-A's downstream protocol: unit-length crops, both-ends padding, statistics over crops."""

import keras
import numpy as np
import pandas as pd
import pytest

from keras_audio_ssl.audio.clips import crop_or_pad
from keras_audio_ssl.data.downstream import DownstreamDataset
from keras_audio_ssl.evaluation import run_task
from keras_audio_ssl.evaluation import tasks as tasks_module
from keras_audio_ssl.evaluation.unit_segments import resolve_unit_seconds
from keras_audio_ssl.evaluation.unit_segments import statistics_crops
from keras_audio_ssl.evaluation.unit_segments import unit_segments

encoders = pytest.importorskip("keras_audio_ssl.encoders")


def test_longer_clips_are_randomly_cropped_and_shorter_ones_padded_at_both_ends():
    rng = np.random.default_rng(0)
    ramp = np.arange(1, 1001, dtype=np.float32)
    starts = set()
    for _ in range(20):
        crop = crop_or_pad(ramp, 100, rng)
        assert len(crop) == 100
        np.testing.assert_array_equal(np.diff(crop), 1.0)  # one contiguous piece of the clip
        starts.add(int(crop[0]))
    assert len(starts) > 10  # the start is random, not centred
    padded = crop_or_pad(np.ones(7, np.float32), 12, rng)
    np.testing.assert_array_equal(padded, [0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(crop_or_pad(ramp[:100], 100, rng), ramp[:100])


def test_crops_are_seeded():
    waves = [np.arange(5000, dtype=np.float32) + i for i in range(8)]
    first, again, other = (unit_segments(waves, 1000, seed) for seed in (3, 3, 4))
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_statistics_come_from_at_most_max_crops_distinct_clips_of_unit_length():
    waves = [np.full(3000 + 10 * i, float(i), np.float32) for i in range(50)]
    crops = statistics_crops(waves, 1600, seed=0, max_crops=20)
    assert len(crops) == 20 and all(len(c) == 1600 for c in crops)
    assert len({float(c[0]) for c in crops}) == 20  # distinct clips, no repeats
    assert len(statistics_crops(waves, 1600, seed=0)) == 50  # all clips when fewer than 10,000
    with pytest.raises(ValueError, match="max_crops"):
        statistics_crops(waves, 1600, seed=0, max_crops=0)


def test_unit_length_is_the_callers_then_the_datasets_then_the_mean_duration():
    waves = [np.zeros(16000), np.zeros(48000)]  # mean 2.0 s
    assert resolve_unit_seconds(None, None, waves, 16000) == 2.0
    assert resolve_unit_seconds(None, 4.0, waves, 16000) == 4.0
    assert resolve_unit_seconds(0.5, 4.0, waves, 16000) == 0.5
    assert resolve_unit_seconds(None, None, [np.zeros(800)], 16000) == 0.95  # an encoder needs a few frames
    with pytest.raises(ValueError, match="unit_seconds"):
        resolve_unit_seconds(-1.0, None, waves, 16000)


def _task(rng, n=24, unit_seconds=None):
    # Clips of 0.5-2.5 s: loud noise in the first half of each clip, silence after.
    rows, waves = [], []
    for i in range(n):
        length = int(16000 * (0.5 + 2.0 * i / (n - 1)))
        wave = np.zeros(length, np.float32)
        wave[: length // 2] = rng.normal(0, 0.3, length // 2)
        waves.append(wave)
        rows.append({"path": f"clip{i}", "label": str(i % 2), "split": "test" if i % 4 == 3 else "train", "fold": None})
    frame = pd.DataFrame(rows)
    task = DownstreamDataset("toy", frame, ["0", "1"], unit_seconds=unit_seconds)
    task.clips = lambda rows=None, sample_rate=16000: [waves[i] for i in (frame.index if rows is None else rows.index)]
    return task, waves


def test_run_task_embeds_one_unit_crop_per_clip_with_statistics_over_training_crops(monkeypatch):
    rng = np.random.default_rng(0)
    task, waves = _task(rng)
    seen = []
    real_embed = tasks_module.embed_clips

    def spy(model, clips, **kwargs):
        seen.append((clips, kwargs))
        return real_embed(model, clips, **kwargs)

    monkeypatch.setattr(tasks_module, "embed_clips", spy)
    keras.utils.set_random_seed(0)
    model = encoders.build_embedding_model(encoders.AudioNTT2020(feature_d=16), mean=-6.0, std=4.0)

    (result,) = run_task(model, task, runs=1, epochs=5, seed=7, stats_crops=10)
    mean_seconds = round(np.mean([len(w) for w in waves]) / 16000, 2)
    assert result["clip_length"] == "unit" and result["unit_seconds"] == mean_seconds == 1.5
    clips, kwargs = seen[-1]
    assert all(len(c) == 24000 for c in clips) and len(clips) == len(waves)
    assert kwargs["min_samples"] is None and kwargs["normalize_with"] == "downstream"
    stats = kwargs["normalization_clips"]
    assert len(stats) == 10 and all(len(c) == 24000 for c in stats)
    train_ids = {id(w) for w, split in zip(waves, task.frame["split"]) if split == "train"}
    # Each statistics crop is a piece of a training clip (never a test clip).
    for crop in stats:
        assert any(_is_piece(crop, w) for w in waves if id(w) in train_ids)

    run_task(model, task, runs=1, epochs=5, seed=7, stats_crops=10)
    assert all(np.array_equal(a, b) for a, b in zip(seen[-1][0], clips))  # same seed, same crops
    run_task(model, task, runs=1, epochs=5, seed=8, stats_crops=10)
    assert not all(np.array_equal(a, b) for a, b in zip(seen[-1][0], clips))


def _is_piece(crop, wave):
    if len(wave) <= len(crop):  # padded at both ends
        left = (len(crop) - len(wave)) // 2
        return np.array_equal(crop[left : left + len(wave)], wave)
    j = int(np.flatnonzero(crop)[0])  # noise samples are distinct floats: find where this one sits
    return any(np.array_equal(crop, wave[p - j : p - j + len(crop)]) for p in np.flatnonzero(wave == crop[j]) if p >= j)


def test_whole_clip_option_and_a_datasets_own_unit(monkeypatch):
    rng = np.random.default_rng(1)
    task, waves = _task(rng, unit_seconds=1.0)
    seen = []
    real_embed = tasks_module.embed_clips
    monkeypatch.setattr(tasks_module, "embed_clips", lambda m, c, **k: seen.append(c) or real_embed(m, c, **k))
    keras.utils.set_random_seed(0)
    model = encoders.build_embedding_model(encoders.AudioNTT2020(feature_d=16), mean=-6.0, std=4.0)

    (unit,) = run_task(model, task, runs=1, epochs=5)
    assert unit["unit_seconds"] == 1.0 and {len(c) for c in seen[-1]} == {16000}
    (whole,) = run_task(model, task, runs=1, epochs=5, clip_length="whole")
    assert whole["clip_length"] == "whole" and whole["unit_seconds"] is None
    assert [len(c) for c in seen[-1]] == [len(w) for w in waves]
    with pytest.raises(ValueError, match="clip_length"):
        run_task(model, task, runs=1, clip_length="crop")
