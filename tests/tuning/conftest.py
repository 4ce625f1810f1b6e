"""Tiny pretraining data and downstream tasks for the tuning tests (seconds per trial)."""

import os

import pandas as pd
import pytest

from keras_audio_ssl import synthetic

#: A tiny BYOL-A: d=16, two steps of batch 8 per epoch.
TINY_BYOLA = dict(feature_d=16, batch_size=8, memory_size=16, norm_stats_samples=16, jit_compile=False,
                  steps_per_epoch=2)
#: A cheap probe: one seed, a few epochs.
TINY_PROBE = dict(runs=1, epochs=15)


@pytest.fixture(scope="session")
def pool():
    """16 unlabelled clips of 0.95 s (one BYOL-A segment each)."""
    return synthetic.make_unlabeled_corpus(16, seconds=0.95, seed=0)


@pytest.fixture(scope="session")
def task_csvs(tmp_path_factory):
    """Two task manifests over the same synthetic clips: which of six classes, and tonal or not."""
    root = str(tmp_path_factory.mktemp("tasks"))
    task = synthetic.make_labeled_task(3, 2, seconds=0.5, seed=1)
    names = task["class_names"]
    rows = []
    for split, x, y in (("train", task["x_train"], task["y_train"]), ("test", task["x_test"], task["y_test"])):
        paths = synthetic.write_wav_folder(os.path.join(root, split), x, prefix=split)
        rows += [{"path": p, "label": names[label], "split": split} for p, label in zip(paths, y)]
    classes = pd.DataFrame(rows)
    noisy = {"noise_burst", "percussion"}
    tonal = classes.assign(label=["noisy" if label in noisy else "tonal" for label in classes["label"]])
    classes.to_csv(os.path.join(root, "classes.csv"), index=False)
    tonal.to_csv(os.path.join(root, "tonal.csv"), index=False)
    return [os.path.join(root, "classes.csv"), os.path.join(root, "tonal.csv")]
