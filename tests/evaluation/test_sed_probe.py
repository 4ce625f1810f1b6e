"""The SED probe recovers hand-placed events with an oracle-like embedding and nothing with shuffled labels."""

import os

import keras
import numpy as np
import pandas as pd
import pytest

from keras_audio_ssl.data.downstream.sound_events import SoundEventDataset
from keras_audio_ssl.data.downstream.sound_events import events_csv
from keras_audio_ssl.encoders import build_embedding_model
from keras_audio_ssl.evaluation.sed_probe import evaluate_sed
from keras_audio_ssl.evaluation.sed_probe import frame_seconds
from tests.test_case import write_wav

SR = 16000


class BandEnergyFrames(keras.Model):
    """An oracle-like encoder: log-mel band energies averaged over 8 frames (80 ms).

    A tone burst and a noise burst differ plainly in these features, so a linear
    frame classifier can separate them; the test then checks timing and decoding.
    """

    def __init__(self, n_mels=64, return_frames=False, **kwargs):
        inputs = keras.Input((n_mels, None, 1))
        x = keras.layers.AveragePooling2D((1, 8))(inputs)
        x = keras.layers.Permute((2, 1, 3))(x)
        frames = keras.layers.Reshape((-1, n_mels))(x)
        outputs = frames if return_frames else keras.layers.GlobalAveragePooling1D()(frames)
        super().__init__(inputs, outputs, **kwargs)
        self.n_mels, self.return_frames = n_mels, return_frames

    def get_config(self):
        return {"n_mels": self.n_mels, "return_frames": self.return_frames, "name": self.name}


def _scene(rng, seconds=6.0):
    """A 6 s scene: quiet noise floor with 2-3 non-overlapping 0.6 s tone or noise bursts."""
    audio = 0.003 * rng.standard_normal(int(seconds * SR))
    events, cursor = [], rng.uniform(0.2, 0.8)
    while cursor + 0.6 < seconds - 0.2:
        label = "tone" if rng.random() < 0.5 else "noise"
        n = int(0.6 * SR)
        if label == "tone":
            burst = 0.3 * np.sin(2 * np.pi * rng.uniform(800, 1200) * np.arange(n) / SR)
        else:
            burst = 0.2 * rng.standard_normal(n)
        start = int(cursor * SR)
        audio[start : start + n] += burst
        events.append((start / SR, (start + n) / SR, label))
        cursor += 0.6 + rng.uniform(0.6, 1.6)
    return audio.astype(np.float32), events


def _write_task(root, n_train=16, n_test=8, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for split, count in (("train", n_train), ("test", n_test)):
        for i in range(count):
            audio, events = _scene(rng)
            path = f"audio/{split}_{i:02d}.wav"
            os.makedirs(os.path.join(root, "audio"), exist_ok=True)
            write_wav(os.path.join(root, path), audio)
            rows += [dict(path=path, split=split, onset=on, offset=off, label=label) for on, off, label in events]
    pd.DataFrame(rows).to_csv(os.path.join(root, "sed.csv"), index=False)
    return os.path.join(root, "sed.csv")


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    return events_csv(_write_task(str(tmp_path_factory.mktemp("sed"))))


@pytest.fixture(scope="module")
def oracle_model():
    return build_embedding_model(BandEnergyFrames(), mean=0.0, std=1.0)


# Fast probe settings for a 1,200-frame training set (the paper's 1e-4 for 250 epochs of
# batch 1024 is sized for DCASE's ~30k frames).
PROBE = dict(runs=1, epochs=60, batch_size=128, learning_rate=1e-2)


def test_frame_rate_is_the_hop_times_the_encoder_downsampling(oracle_model):
    assert frame_seconds(oracle_model, 6 * SR, 75) == pytest.approx(0.08)


def test_sed_probe_recovers_hand_placed_events(oracle_model, task):
    result = evaluate_sed(oracle_model, task, **PROBE)
    assert result["metric"] == "onset_f_measure"
    assert result["score"] >= 0.9, result
    assert result["event_f_measure"] >= 0.9, result
    assert result["segment_1s_f1"] >= 0.9 and result["segment_1s_er"] <= 0.2, result
    assert result["psds1"] >= 0.9, result  # DCASE's PSDS1 over the decision thresholds
    assert result["n_classes"] == 2 and result["n_train"] == 16 and result["n_test"] == 8
    assert set(dict(kv.split("=") for kv in result["class_wise_onset_f_measure"].split(";"))) == {"noise", "tone"}


def test_sed_probe_learns_nothing_from_shuffled_labels(oracle_model, task):
    # Each training clip gets another clip's events: labels no longer line up with the audio.
    train = task.clips[task.clips["split"] == "train"]["path"].tolist()
    moved = dict(zip(train, train[1:] + train[:1]))
    events = task.events.copy()
    events["path"] = [moved.get(p, p) for p in events["path"]]
    shuffled = SoundEventDataset("shuffled", task.clips, events, task.classes)
    result = evaluate_sed(oracle_model, shuffled, **PROBE)
    assert result["score"] < 0.25 and result["psds1"] < 0.25


def test_too_short_a_clip_is_named(oracle_model, tmp_path):
    write_wav(str(tmp_path / "short.wav"), np.zeros(100, np.float32) + 0.1)
    write_wav(str(tmp_path / "long.wav"), np.full(SR, 0.1, np.float32))
    pd.DataFrame([dict(path="long.wav", split="train", onset=0.1, offset=0.5, label="a"),
                  dict(path="short.wav", split="test", onset=None, offset=None, label=None)]).to_csv(
        tmp_path / "e.csv", index=False)
    with pytest.raises(ValueError, match="short.wav"):
        evaluate_sed(oracle_model, events_csv(str(tmp_path / "e.csv")), runs=1, epochs=1)
