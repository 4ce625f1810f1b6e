"""CI check: build a tiny slice of the offline benchmark and run one probe on it."""

import keras
import numpy as np
import pytest

from keras_audio_ssl.evaluation import load_tasks
from keras_audio_ssl.evaluation import run_task

offline_benchmark = pytest.importorskip("keras_audio_ssl_tools.offline_benchmark")
encoders = pytest.importorskip("keras_audio_ssl.encoders")

TASK = "language"  # espeak-ng only: the quickest task to render


def test_tiny_offline_benchmark_slice_runs_a_probe(tmp_path):
    missing = offline_benchmark.missing_by_task([TASK])
    if missing:
        pytest.skip(f"offline benchmark task {TASK!r} needs Debian packages that are not installed: "
                    f"{', '.join(sorted(set(p for ps in missing.values() for p in ps)))}")
    offline_benchmark.build_offline_benchmark(str(tmp_path), size="tiny", workers=1, tasks=[TASK], verbose=False)
    (task,) = load_tasks(str(tmp_path))
    assert task.name == TASK and len(task.classes) >= 5
    keras.utils.set_random_seed(0)
    model = encoders.build_embedding_model(encoders.AudioNTT2020(feature_d=16), mean=-6.0, std=4.0)
    (result,) = run_task(model, task, protocols=("linear",), runs=1, epochs=30, max_seconds=3.0)
    assert result["n_train"] > 0 and result["n_test"] > 0
    assert result["n_train"] + result["n_test"] == len(task)
    assert 0.0 <= result["score"] <= 1.0 and np.isfinite(result["score"])
