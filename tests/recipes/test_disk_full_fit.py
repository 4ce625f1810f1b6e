"""A full disk during `fit` (finding 2): one line naming the path, the finished epochs kept, no segfault."""

import os
import subprocess
import sys

import pytest

from keras_audio_ssl import synthetic
from keras_audio_ssl.recipes import run_state
from tests.small_disk import fill
from tests.small_disk import small_disk

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.large
def test_a_full_disk_during_fit_is_one_line_and_keeps_the_finished_epochs(tmp_path):
    folder = tmp_path / "wavs"
    synthetic.write_wav_folder(str(folder), synthetic.make_unlabeled_corpus(16, seconds=1.0, seed=2))
    with small_disk(tmp_path / "disk", megabytes=200) as disk:  # a BYOL state with its 4096-wide MLPs is 45 MB
        run = os.path.join(disk, "run")
        command = [sys.executable, "-m", "keras_audio_ssl.recipes.byola", "--data", str(folder), "--output-dir", run,
                   "--batch-size", "8", "--feature-d", "16", "--memory-size", "16", "--norm-stats-samples", "8",
                   "--verbose", "0", "--jit-compile", "false"]
        env = dict(os.environ, PYTHONPATH=REPO)
        first = subprocess.run(command + ["--epochs", "1"], capture_output=True, text=True, timeout=600, env=env)
        assert first.returncode == 0, first.stderr[-3000:]
        fill(disk, leave_bytes=16 << 10)
        full = subprocess.run(command + ["--epochs", "3"], capture_output=True, text=True, timeout=600, env=env)
        assert full.returncode == 1, (full.returncode, full.stderr[-3000:])  # 139 was the segfault
        errors = [line for line in full.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "no space left" in errors[0] and run in errors[0], full.stderr[-3000:]
        assert "Traceback" not in full.stderr and "decrement id ref count" not in full.stderr
        os.remove(os.path.join(disk, "filler.bin"))
        state = run_state.RunState.read(run)
        assert state.epochs_finished == 1 and not state.notes
        import keras

        keras.saving.load_model(os.path.join(run, "embedding_model.keras"), compile=False)
        again = subprocess.run(command + ["--epochs", "2"], capture_output=True, text=True, timeout=600, env=env)
        assert again.returncode == 0, again.stderr[-3000:]
        assert run_state.RunState.read(run).epochs_finished == 2
