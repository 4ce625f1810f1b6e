"""A tiny fit killed with SIGKILL at random moments, rerun each time, ends as an uninterrupted run.

Large: about a minute per kill point on 2 cores (each rerun pays TensorFlow's import).
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EPOCHS = 4
_FIT = """
import sys, numpy as np
from keras_audio_ssl import synthetic
from keras_audio_ssl.recipes import byola
clips = synthetic.make_unlabeled_corpus(16, seconds=0.95, seed=3)
byola.fit(clips, output_dir=sys.argv[1], epochs=int(sys.argv[2]), feature_d=16, batch_size=8, memory_size=16,
          norm_stats_samples=16, verbose=0, jit_compile=False, seed=5)
"""


def _fit(run_dir, kill_after=None):
    proc = subprocess.Popen([sys.executable, "-c", _FIT, str(run_dir), str(EPOCHS)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    if kill_after is None:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err.decode()[-3000:]
        return True
    try:
        proc.wait(timeout=kill_after)
        return proc.returncode == 0
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return False


def _weights(run_dir):
    import keras

    import keras_audio_ssl  # noqa: F401  (registers the classes)

    return keras.saving.load_model(os.path.join(run_dir, "encoder.keras")).get_weights()


@pytest.mark.large
def test_sigkill_at_random_moments_then_rerun_gives_the_uninterrupted_run(tmp_path):
    reference = tmp_path / "reference"
    started = time.time()
    _fit(reference)
    full_seconds = time.time() - started

    run = tmp_path / "killed"
    rng = np.random.default_rng(0)
    kills = 0
    # At least 10 kill points spread over the whole run (start-up, epochs, state writes, the final save),
    # continuing after the run has finished: killing a finished run's rerun must not damage it either.
    progress = []  # finished epochs seen after each kill: the kills must land inside training too
    for _ in range(25):
        if kills >= 10:
            break
        if not _fit(run, kill_after=float(rng.uniform(2.0, full_seconds))):
            kills += 1
            state = run / "checkpoints" / "state.json"
            progress.append(json.loads(state.read_text())["epochs_finished"] if state.exists() else 0)
    _fit(run)
    print(f"{kills} kills; finished epochs after each: {progress}")
    assert len(set(progress)) >= 2, f"every kill landed at the same point: {progress}"
    assert kills >= 10, f"only {kills} kills landed before the run finished"
    with open(run / "history.csv", newline="") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == list(range(EPOCHS))
    for a, b in zip(_weights(str(reference)), _weights(str(run))):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
