"""Builds the tiny offline benchmark once and checks what the benchmark promises."""

import hashlib
import json
import os

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from keras_audio_ssl_tools.offline_benchmark import TASKS
from keras_audio_ssl_tools.offline_benchmark import build_offline_benchmark
from keras_audio_ssl_tools.offline_benchmark import missing_by_task
from keras_audio_ssl_tools.offline_benchmark.requirements import format_missing_message

LABELLED = ["instrument", "pitch", "keywords", "language", "environmental"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    missing = missing_by_task(TASKS)
    if missing:
        pytest.skip(format_missing_message(missing))
    out = tmp_path_factory.mktemp("offline_benchmark")
    build_offline_benchmark(str(out), size="tiny", workers=2, seed=0, verbose=False)
    return out


def _manifest(root, task):
    return pd.read_csv(os.path.join(root, f"{task}.csv"))


def test_benchmark_json_describes_every_manifest(tiny):
    with open(tiny / "benchmark.json") as f:
        description = json.load(f)
    assert set(description["tasks"]) == set(LABELLED + ["sed", "pretrain_pool"])
    for task, info in description["tasks"].items():
        df = _manifest(tiny, task)
        assert info["manifest"] == f"{task}.csv"
        assert sum(info["counts"].values()) == df["path"].nunique()
        if task != "pretrain_pool":
            assert info["num_classes"] == df["label"].nunique()
    assert description["tasks"]["sed"]["events"] == len(_manifest(tiny, "sed"))
    assert description["tasks"]["instrument"]["num_classes"] == 11
    assert description["tasks"]["language"]["num_classes"] >= 5
    readme = (tiny / "README.md").read_text()
    assert "| fluid-soundfont-gm |" in readme and "| MIT" in readme
    assert "not installed" not in readme  # every source package has its copyright file


def test_manifests_point_to_16k_mono_pcm16_files(tiny):
    for task in LABELLED + ["sed", "pretrain_pool"]:
        df = _manifest(tiny, task)
        expected = ["path", "split", "onset"] if task == "sed" else ["path", "label", "split"]
        assert list(df.columns[:3]) == expected, task
        assert len(df) > 0, task
        for rel in df["path"]:
            path = tiny / rel
            assert path.exists(), f"{task}: {rel}"
            info = sf.info(str(path))
            assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16"), rel


def test_every_class_has_train_and_test_examples(tiny):
    for task in LABELLED:
        df = _manifest(tiny, task)
        splits = df.groupby("label")["split"].agg(set)
        lacking = splits[splits.apply(lambda s: s != {"train", "test"})]
        assert lacking.empty, f"{task}: classes without both splits: {dict(lacking)}"


def test_splits_are_disjoint_by_voice_soundfont_and_group(tiny):
    for task in LABELLED:
        df = _manifest(tiny, task)
        train, test = set(df[df.split == "train"]["group"]), set(df[df.split == "test"]["group"])
        assert train and test and not train & test, task
    assert set(_manifest(tiny, "instrument")["group"]) == {"fluidr3", "musescore"}
    env = _manifest(tiny, "environmental")
    # A recording group lives in one fold only, and fold 0 is exactly the test split.
    assert (env.groupby("group")["fold"].nunique() == 1).all()
    assert ((env["fold"] == 0) == (env["split"] == "test")).all()
    # Keyword background noise: test noise files are never used in training.
    kw = pd.read_csv(tiny / "provenance" / "keywords.csv")
    assert not set(kw[kw.split == "train"]["noise"]) & set(kw[kw.split == "test"]["noise"])


def _sha1(path):
    return hashlib.sha1(open(path, "rb").read()).hexdigest()


def test_pretrain_pool_is_disjoint_from_every_test_set(tiny):
    pool = pd.read_csv(tiny / "provenance" / "pretrain_pool.csv")
    pool_sources = set(pool["source"]) | set(pool["source_sha1"])
    for task in LABELLED + ["sed"]:
        prov = pd.read_csv(tiny / "provenance" / f"{task}.csv")
        used = set(prov["source"])
        if "source_sha1" in prov:
            used |= set(prov["source_sha1"])
        if "noise" in prov:
            used |= set(prov["noise"])
        assert not pool_sources & used, task
    # And no pool clip's audio equals a labelled clip's audio.
    pool_hashes = {_sha1(tiny / p) for p in pool["path"]}
    for task in LABELLED:
        assert not pool_hashes & {_sha1(tiny / p) for p in _manifest(tiny, task)["path"]}, task


def test_clips_are_neither_silent_nor_clipped(tiny):
    for task in LABELLED + ["sed", "pretrain_pool"]:
        for rel in _manifest(tiny, task)["path"].unique():
            x, _ = sf.read(str(tiny / rel), dtype="float32")
            rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
            assert rms > 1e-3, f"silent clip {rel} (rms={rms})"
            assert np.abs(x).max() < 0.999, f"clipped clip {rel}"


def test_classes_are_balanced_enough_to_probe(tiny):
    kw = _manifest(tiny, "keywords")
    assert kw["label"].value_counts().min() >= 3
    assert set(kw["label"]) >= {"yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"}
    inst = _manifest(tiny, "instrument")
    assert inst["label"].value_counts().min() >= 2


def test_rendered_notes_sound_at_the_labelled_pitch(tiny):
    """The pitch label is the note fluidsynth played: pYIN's median f0 on the
    sustained part agrees within half a semitone (families without organ-style
    sub-octave stops, where f0 trackers legitimately jump an octave)."""
    import librosa

    pitch = _manifest(tiny, "pitch")
    family = _manifest(tiny, "instrument").set_index("path")["label"]
    pitch = pitch[family.loc[pitch["path"]].isin(["flute", "reed", "string"]).values]
    assert len(pitch) >= 12
    for rel, midi in zip(pitch["path"][::2], pitch["label"][::2]):
        x, sr = sf.read(str(tiny / rel), dtype="float32")
        f0, _, _ = librosa.pyin(x[1600:12800], fmin=60, fmax=2100, sr=sr, frame_length=2048)
        assert abs(librosa.hz_to_midi(np.nanmedian(f0)) - midi) < 0.5, rel


def test_sed_scenes_place_events_at_their_labels_and_split_sources(tiny):
    from keras_audio_ssl.data.downstream import events_csv

    events = pd.read_csv(tiny / "provenance" / "sed.csv")
    task = events_csv(str(tiny / "sed.csv"))
    assert set(task.classes) == set(events["label"]) and len(task.events) == len(events)
    assert set(task.clips["split"]) == {"train", "test"}
    train, test = events[events.split == "train"], events[events.split == "test"]
    # No event recording (by group or content) and no background file in both splits.
    assert not set(train["group"]) & set(test["group"])
    assert not set(train["source_sha1"]) & set(test["source_sha1"])
    assert not set(train["noise"]) & set(test["noise"])
    assert set(events["ebr_db"]) == {-6.0, 0.0, 6.0}
    for path, scene_events in events.groupby("path"):
        audio, sr = sf.read(str(tiny / path), dtype="float32")
        assert 10.0 <= len(audio) / sr <= 30.0
        ordered = scene_events.sort_values("onset")
        assert (ordered["onset"] >= 0).all() and (ordered["offset"] <= len(audio) / sr).all()
        assert (ordered["onset"].to_numpy()[1:] >= ordered["offset"].to_numpy()[:-1]).all()  # one at a time
