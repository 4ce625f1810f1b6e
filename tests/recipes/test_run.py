"""`recipes.run.pretrain`'s run-directory guarantees, through the BYOL-A recipe."""

import csv
import json
import os

import keras
import numpy as np
import pytest

from keras_audio_ssl import synthetic
from keras_audio_ssl.recipes import byola

TINY = dict(feature_d=16, batch_size=8, memory_size=16, norm_stats_samples=16, verbose=0, jit_compile=False)


def _epochs_in_csv(path):
    with open(path, newline="") as f:
        return [int(r["epoch"]) for r in csv.DictReader(f)]


class _EpochsSeen(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


@pytest.fixture(scope="module")
def clips():
    return synthetic.make_unlabeled_corpus(16, seconds=0.95, seed=3)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, clips):
    run = tmp_path_factory.mktemp("finished") / "run"
    byola.fit(clips, output_dir=str(run), epochs=2, **TINY)
    return run


def _encoder_weights(run):
    return [np.array(w) for w in keras.saving.load_model(str(run / "encoder.keras")).get_weights()]


def test_finished_run_called_again_returns_it_without_training(finished_run, clips, capsys):
    before = _encoder_weights(finished_run)
    stamp = os.path.getmtime(finished_run / "encoder.keras")
    seen = _EpochsSeen()
    model, history = byola.fit(clips, output_dir=str(finished_run), epochs=2, callbacks=[seen],
                               **{**TINY, "verbose": 2})
    assert seen.epochs == [] and history.epoch == [0, 1]
    assert "nothing to train" in capsys.readouterr().out
    assert os.path.getmtime(finished_run / "encoder.keras") == stamp
    for a, b in zip(before, model.encoder.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert _epochs_in_csv(finished_run / "history.csv") == [0, 1]


def test_more_epochs_continue_and_append_history(tmp_path, finished_run, clips):
    run = tmp_path / "run"
    import shutil

    shutil.copytree(finished_run, run)
    stats = json.loads((run / "normalization.json").read_text())
    seen = _EpochsSeen()
    _, history = byola.fit(clips, output_dir=str(run), epochs=3, callbacks=[seen], **TINY)
    assert seen.epochs == [2] and history.epoch == [0, 1, 2]
    assert _epochs_in_csv(run / "history.csv") == [0, 1, 2]
    assert json.loads((run / "normalization.json").read_text()) == stats  # statistics reused
    config = json.loads((run / "config.json").read_text())
    assert config["status"] == "finished" and config["epochs_finished"] == 3


@pytest.mark.parametrize("damage", ["empty", "garbage"])
def test_damaged_state_falls_back_to_the_backup_and_says_so(tmp_path, finished_run, clips, capsys, damage):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    state = run / "checkpoints" / "state.json"
    assert (run / "checkpoints" / "state.json.bkp").exists()
    state.write_text("" if damage == "empty" else "{not json")
    seen = _EpochsSeen()
    _, history = byola.fit(clips, output_dir=str(run), epochs=2, callbacks=[seen], **TINY)
    err = capsys.readouterr().err
    assert "state.json is damaged" in err and "state.json.bkp" in err
    # The backup is the state after epoch 1 of 2: one epoch is retrained, none is lost or duplicated.
    assert seen.epochs == [1] and history.epoch == [0, 1]
    assert _epochs_in_csv(run / "history.csv") == [0, 1]


def test_unloadable_checkpoint_falls_back_to_the_previous_one(tmp_path, finished_run, clips, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    state = json.loads((run / "checkpoints" / "state.json").read_text())
    newest = run / "checkpoints" / "state" / state["checkpoints"][-1][1]
    newest.write_bytes(b"\0" * 64)  # what a disk-full failure can leave
    seen = _EpochsSeen()
    byola.fit(clips, output_dir=str(run), epochs=2, callbacks=[seen], **TINY)
    err = capsys.readouterr().err
    assert os.path.basename(str(newest)) in err
    assert seen.epochs == [1]
    assert _epochs_in_csv(run / "history.csv") == [0, 1]


def _audio_folder(root, count=15):
    import soundfile as sf

    root.mkdir()
    for i, clip in enumerate(synthetic.make_unlabeled_corpus(count, seconds=0.95, seed=4)):
        sf.write(str(root / f"clip{i:02d}.flac"), clip, 16000, subtype="PCM_16")
    return root


def _folder_with_corrupt_payload(root, count=15):
    from tests.data import bad_corpus

    return bad_corpus.write_corrupt_payload_flac(str(_audio_folder(root, count)))


@pytest.mark.large  # a fit, then two more epochs (tests/data/test_pretraining.py checks the skipping by default)
def test_decode_failure_mid_run_is_skipped_and_reported_at_epoch_end(tmp_path, capsys):
    from tests.data import bad_corpus

    audio, run = _audio_folder(tmp_path / "audio"), str(tmp_path / "run")
    byola.fit(str(audio), output_dir=run, epochs=1, **TINY)
    # Continued with a corrupt file added: the statistics are reused, so training meets it first.
    corrupt = bad_corpus.write_corrupt_payload_flac(str(audio))
    _, history = byola.fit(str(audio), output_dir=run, epochs=3, skip_bad_files=True, **TINY)
    assert history.epoch == [0, 1, 2] and np.isfinite(history.history["loss"]).all()
    err = capsys.readouterr().err
    assert f"Epoch 2: skipped 1 more audio file(s) that failed to decode (1 so far): {corrupt!r}" in err
    assert "damaged audio data" in err
    assert "Epoch 3: skipped" not in err  # a known failure is neither decoded nor reported again
    assert _epochs_in_csv(tmp_path / "run" / "history.csv") == [0, 1, 2]


def test_decode_failure_without_skip_is_one_line_error_naming_the_file(tmp_path):
    from keras_audio_ssl.data import BadAudioFilesError

    corrupt = _folder_with_corrupt_payload(tmp_path / "audio")
    with pytest.raises(BadAudioFilesError) as info:
        byola.fit(str(tmp_path / "audio"), output_dir=str(tmp_path / "run"), epochs=1, **TINY)
    message = str(info.value)
    assert corrupt in message and "skip_bad_files=True" in message
    assert "\n" not in message and len(message) < 400
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_each_file_header_is_checked_once_per_fit(tmp_path, monkeypatch):
    from keras_audio_ssl.data import checks

    calls = []
    inspect = checks.inspect_audio_file
    monkeypatch.setattr(checks, "inspect_audio_file", lambda path, **kw: calls.append(path) or inspect(path, **kw))
    audio = _audio_folder(tmp_path / "audio", count=12)
    byola.fit(str(audio), output_dir=str(tmp_path / "run"), epochs=1, **TINY)
    assert len(calls) == 12 and len(set(calls)) == 12  # statistics and training share one check


# Float32 under MirroredStrategy is also the reference run of tests/recipes/test_multi_worker.py.
@pytest.mark.large  # a subprocess fits twice under MirroredStrategy
@pytest.mark.parametrize("recipe,dtype_policy", [("byola", "mixed_float16"), ("cola", "mixed_bfloat16")])
def test_fit_under_mirrored_strategy_on_two_replicas_and_resume(tmp_path, recipe, dtype_policy):
    import json as json_module
    import subprocess
    import sys

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.run([sys.executable, os.path.join(repo, "tests", "recipes", "mirrored_fit.py"), recipe,
                           str(tmp_path / "run"), dtype_policy], cwd=repo, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json_module.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["replicas"] == 2 and summary["variables_mirrored"]
    assert summary["config_strategy"] == {"type": "MirroredStrategy", "replicas": 2, "workers": 1}
    # The resumed call trained one more epoch on top of the first: history covers both.
    assert len(summary["losses"]) == 2 and summary["losses"][0] == summary["first_losses"][0]
    assert summary["finite"] and summary["epochs_finished"] == 2 and summary["status"] == "finished"
    # Mixed precision under the strategy: the encoder computes low, float16 scales its loss.
    assert summary["dtype_policy"] == dtype_policy
    assert summary["encoder_compute_dtype"] == dtype_policy.split("_")[1]
    assert summary["loss_scaled"] == (dtype_policy == "mixed_float16")


def test_strategy_argument_is_checked(tmp_path):
    from keras_audio_ssl.recipes import byola

    for bad in ("tpu_pod", 3):
        with pytest.raises(ValueError, match="strategy"):
            byola.fit(np.zeros((4, 15200), "float32"), output_dir=str(tmp_path / "run"), strategy=bad, epochs=1)
    from keras_audio_ssl.recipes.run import resolve_strategy

    assert resolve_strategy(None) == (None, None)


def test_the_training_dataset_runs_without_the_autotuning_thread(tmp_path, clips, monkeypatch):
    # Deleting an iterator a tf.function consumed waits out that thread's sleep (up to a minute):
    # every fit ending before its dataset (a time budget) stalled that long after its last epoch.
    from keras_audio_ssl.methods.base import SelfSupervisedMethod

    trained_on, fit = [], SelfSupervisedMethod.fit

    def recording_fit(self, x=None, *args, **kwargs):
        trained_on.append(x)
        return fit(self, x, *args, **kwargs)

    monkeypatch.setattr(SelfSupervisedMethod, "fit", recording_fit)
    byola.fit(clips, output_dir=str(tmp_path / "run"), epochs=1, **TINY)
    assert len(trained_on) == 1 and trained_on[0].options().autotune.enabled is False
