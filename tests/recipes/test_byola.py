import csv
import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from keras_audio_ssl import synthetic
from keras_audio_ssl.recipes import byola
from keras_audio_ssl.recipes import cli
from keras_audio_ssl.recipes import run as run_module
from keras_audio_ssl.recipes.callbacks import TrainingDivergedError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = dict(feature_d=32, batch_size=8, memory_size=16, norm_stats_samples=16, verbose=0, jit_compile=False)
ARTEFACTS = ("embedding_model.keras", "encoder.keras", "encoder.weights.h5", "normalization.json",
             "config.json", "history.csv")


def _epochs_in_csv(path):
    with open(path, newline="") as f:
        return [int(r["epoch"]) for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def clips():
    return synthetic.make_unlabeled_corpus(24, seconds=0.95, seed=0)


@pytest.mark.large  # a 2-epoch fit; test_run.py's shared run and test_first_run.py's CLI cover the run directory
def test_fit_writes_every_artefact_and_a_usable_embedding_model(tmp_path, clips):
    from keras_audio_ssl.encoders import load_embedding_model

    run = tmp_path / "run"
    model, history = byola.fit(clips, output_dir=str(run), epochs=2, **TINY)
    for name in ARTEFACTS:
        assert (run / name).exists(), name
    assert (run / "logs").is_dir() and list((run / "checkpoints").glob("encoder_epoch_*.weights.h5"))
    state = json.loads((run / "checkpoints" / "state.json").read_text())
    assert state["epochs_finished"] == 2  # kept: a later call with more epochs continues from it
    assert _epochs_in_csv(run / "history.csv") == [0, 1] and history.epoch == [0, 1]
    assert np.all(np.isfinite(history.history["loss"]))

    config = json.loads((run / "config.json").read_text())
    assert config["status"] == "finished" and config["feature_d"] == 32 and config["epochs_finished"] == 2
    assert {"tensorflow", "keras", "keras_audio_ssl"} <= set(config["versions"])
    stats = json.loads((run / "normalization.json").read_text())
    # The stats are the log-mel mean/std of (crops of) the training clips.
    from keras_audio_ssl.audio import LogMelSpectrogram

    mel = keras.ops.convert_to_numpy(LogMelSpectrogram()(clips[:16]))
    assert abs(stats["mean"] - mel.mean()) < 0.5 * mel.std() and 0.5 < stats["std"] / mel.std() < 2

    embedder = load_embedding_model(str(run))
    emb = np.asarray(embedder.predict(clips[:3], verbose=0))
    assert emb.shape == (3, 32) and np.all(np.isfinite(emb))
    # The saved embedding model is the trained online encoder behind the saved stats.
    direct = keras.ops.convert_to_numpy(model(clips[:3], training=False))
    np.testing.assert_allclose(emb, direct, rtol=1e-4, atol=1e-4)


_KILL_SCRIPT = textwrap.dedent(
    """
    import os, sys
    import keras
    from keras_audio_ssl import synthetic
    from keras_audio_ssl.recipes import byola

    class KillMidEpoch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
        def on_train_batch_begin(self, batch, logs=None):
            if self.epoch == 1 and batch == 1:
                os._exit(17)  # like a SIGKILL: no cleanup, no on_train_end

    clips = synthetic.make_unlabeled_corpus(24, seconds=0.95, seed=0)
    byola.fit(clips, output_dir=sys.argv[1], epochs=3, callbacks=[KillMidEpoch()], **{tiny})
    """
)


@pytest.mark.large  # a killed subprocess fit, then a 3-epoch resumed fit
def test_resume_after_kill_mid_epoch_keeps_finished_epochs(tmp_path, clips):
    run = tmp_path / "run"
    script = _KILL_SCRIPT.replace("{tiny}", repr(TINY))
    proc = subprocess.run([sys.executable, "-c", script, str(run)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 17, proc.stderr[-3000:]
    assert _epochs_in_csv(run / "history.csv") == [0]
    state = json.loads((run / "checkpoints" / "state.json").read_text())
    assert state["epochs_finished"] == 1
    assert not (run / "embedding_model.keras").exists()

    # What the resumed run starts from: the encoder weights saved after epoch 1.
    saved = keras.models.clone_model(run_module.build_encoder("AudioNTT2020", 32))
    saved.load_weights(str(run / "checkpoints" / "encoder_epoch_001.weights.h5"))
    seen = {}

    class Probe(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if "initial_epoch" not in seen:
                seen["initial_epoch"] = epoch
                seen["weights"] = [np.array(w) for w in self.model.encoder.get_weights()]

    _, history = byola.fit(clips, output_dir=str(run), epochs=3, callbacks=[Probe()], **TINY)
    assert seen["initial_epoch"] == 1
    for restored, expected in zip(seen["weights"], saved.get_weights()):
        np.testing.assert_array_equal(restored, expected)
    assert _epochs_in_csv(run / "history.csv") == [0, 1, 2]
    assert history.epoch == [0, 1, 2] and len(history.history["loss"]) == 3
    for name in ARTEFACTS:
        assert (run / name).exists(), name
    assert json.loads((run / "config.json").read_text())["epochs_finished"] == 3


def test_divergence_stops_with_a_clear_error(tmp_path, clips):
    run = tmp_path / "run"
    with pytest.raises(TrainingDivergedError, match=r"epoch 1, step \d+.*lower learning rate"):
        byola.fit(clips, output_dir=str(run), epochs=2, learning_rate=1e30, **TINY)
    config = json.loads((run / "config.json").read_text())
    assert config["status"] == "diverged" and "learning rate" in config["error"]
    assert not (run / "embedding_model.keras").exists()  # no NaN model written


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(feature_d=0), "feature_d=0"),
        (dict(learning_rate=-1.0), "learning_rate=-1.0"),
        (dict(mixup_ratio=2.0), "mixup_ratio=2.0"),
        (dict(encoder="ResNet"), "encoder='ResNet'"),
        (dict(jit_compile="maybe"), "jit_compile='maybe'"),
    ],
)
def test_bad_arguments_are_named(tmp_path, clips, kwargs, match):
    args = {**TINY, "epochs": 1, **kwargs}
    with pytest.raises(ValueError, match=match):
        byola.fit(clips, output_dir=str(tmp_path / "run"), **args)


@pytest.mark.large  # tests/test_first_run.py runs this command line, test_cola/test_simclr.py a preset
def test_cli_runs_a_preset_on_a_wav_folder(tmp_path):
    folder = tmp_path / "wavs"
    synthetic.write_wav_folder(str(folder), synthetic.make_unlabeled_corpus(16, seconds=1.0, seed=2))
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "keras_audio_ssl.recipes.byola", "--config", "recipes/byola_audioset_d512.json",
         "--data", str(folder), "--output-dir", str(out), "--epochs", "1", "--batch-size", "8",
         "--feature-d", "32", "--memory-size", "16", "--norm-stats-samples", "8", "--verbose", "2"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    config = json.loads((out / "config.json").read_text())
    assert config["feature_d"] == 32 and config["data"] == str(folder) and config["epochs_finished"] == 1
    assert (out / "embedding_model.keras").exists()


def test_resume_with_different_model_settings_is_refused(tmp_path, clips):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "state.json").write_text('{"epochs_finished": 1, "checkpoints": [], "history": {}}')
    (run / "config.json").write_text(json.dumps({"feature_d": 64, "encoder": "AudioNTT2020"}))
    with pytest.raises(ValueError, match=r"feature_d: 64 -> 32.*Received: feature_d=32"):
        byola.fit(clips, output_dir=str(run), epochs=2, **TINY)


def test_random_resize_crop_ranges_reach_the_method_from_the_command_line(tmp_path):
    from keras_audio_ssl.encoders import AudioNTT2020
    from keras_audio_ssl.methods import BYOLA

    data, _, config = cli.parse_args(byola.fit, ["--data", str(tmp_path), "--freq-scale", "[0.8, 1.2]",
                                        "--virtual-crop-scale", "[1.0, 2.0]"])
    assert config["freq_scale"] == [0.8, 1.2] and config["time_scale"] == (0.6, 1.5)
    model = BYOLA(AudioNTT2020(feature_d=16), pre_norm_mean=-5.0, pre_norm_std=4.0, freq_scale=config["freq_scale"],
                  virtual_crop_scale=config["virtual_crop_scale"])
    assert model.freq_scale == (0.8, 1.2) and model.virtual_crop_scale == (1.0, 2.0)
    assert model.time_scale == (0.6, 1.5)
    with pytest.raises(ValueError, match="freq_scale"):
        byola.fit(data, output_dir=str(tmp_path / "run"), freq_scale=(1.5, 0.6))


@pytest.mark.large  # two fits; tests/methods/test_byola_ablation_axes.py checks each setting on the method by default
def test_ablation_settings_reach_the_run_and_the_exported_front_end(tmp_path, clips):
    from keras_audio_ssl.encoders import load_embedding_model
    from keras_audio_ssl.encoders.embedding_model_parts import find_front_end

    data, _, config = cli.parse_args(byola.fit, ["--data", str(tmp_path), "--augmentations", '["rrc"]',
                                        "--mel-scale", "htk", "--batch-norm-views", "per_view"])
    assert config["augmentations"] == ["rrc"] and config["mel_scale"] == "htk"
    run = tmp_path / "run"
    settings = dict(augmentations=["gaussian", "rrc"], batch_norm_views="per_view", initialization="torch",
                    mel_scale="htk")
    model, history = byola.fit(clips, output_dir=str(run), epochs=1, **settings, **TINY)
    assert np.isfinite(history.history["loss"][-1])
    assert model.front_end.mel_scale == "htk" and model.batch_norm_views == "per_view"
    saved = json.loads((run / "config.json").read_text())
    assert {k: saved[k] for k in settings} == settings
    # The shipped embedding model computes the log-mel it was trained on.
    assert find_front_end(load_embedding_model(str(run))).mel_scale == "htk"
    slaney = byola.fit(clips, output_dir=str(tmp_path / "slaney"), epochs=1, **TINY)[0]
    assert slaney.front_end.mel_scale == "slaney"
    stats = [json.loads((r / "normalization.json").read_text())["mean"] for r in (run, tmp_path / "slaney")]
    assert abs(stats[0] - stats[1]) > 1e-3  # the statistics were taken with the run's own mel scale
    with pytest.raises(ValueError, match="mel_scale"):
        byola.fit(clips, output_dir=str(run), epochs=2, **{**settings, "mel_scale": "slaney"}, **TINY)
    for bad in (dict(mel_scale="bark"), dict(batch_norm_views="both"), dict(initialization="he"),
                dict(augmentations=["mixup", "gaussian"])):
        with pytest.raises(ValueError, match=next(iter(bad))):
            byola.fit(clips, output_dir=str(tmp_path / "bad"), epochs=1, **bad, **TINY)


def test_warm_start_from_a_finished_run_directory(tmp_path, clips):
    # A real run directory (its config.json is a run's settings, not a preset's) seeds a new run.
    first, _ = byola.fit(clips, output_dir=str(tmp_path / "first"), epochs=1, **TINY)
    given = [w.copy() for w in first.encoder.get_weights()]
    captured = {}

    class AtStart(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            captured["weights"] = [w.copy() for w in self.model.encoder.get_weights()]

    second, history = byola.fit(clips, output_dir=str(tmp_path / "second"), epochs=1, seed=7,
                                initial_encoder=str(tmp_path / "first"), callbacks=[AtStart()], **TINY)
    for got, want in zip(captured["weights"], given, strict=True):
        np.testing.assert_array_equal(got, want)
    assert np.isfinite(history.history["loss"]).all()
    with open(tmp_path / "second" / "config.json") as f:
        assert json.load(f)["initial_encoder"] == str(tmp_path / "first")
