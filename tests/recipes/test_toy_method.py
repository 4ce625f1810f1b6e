"""A method defined outside the package (tests/toy/simsiam.py) trains through the command line, resumes
and exports: the registry, `TrainingSettings` and `run.pretrain` are all a new method needs."""

import json
import os
import subprocess
import sys

import pytest

from keras_audio_ssl import synthetic

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(*args):
    proc = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=REPO))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.mark.large
def test_toy_simsiam_trains_from_the_command_line_resumes_and_exports(tmp_path):
    folder = tmp_path / "wavs"
    synthetic.write_wav_folder(str(folder), synthetic.make_unlabeled_corpus(8, seconds=1.0, seed=5))
    out = tmp_path / "run"
    train = ["-m", "keras_audio_ssl.recipes", "--method", "tests.toy.simsiam:simsiam", "--data", str(folder),
             "--output-dir", str(out), "--batch-size", "4", "--norm-stats-samples", "4", "--verbose", "0",
             "--jit-compile", "off"]
    _run(*train, "--epochs", "1")
    config = json.loads((out / "config.json").read_text())
    assert config["method"] == "simsiam" and config["feature_d"] == 32 and config["projection_dim"] == 64
    assert config["epochs_finished"] == 1 and config["learning_rate"] == 1e-3  # the toy's "paper" overrides
    _run(*train, "--epochs", "2")  # continues from the finished epoch
    config = json.loads((out / "config.json").read_text())
    assert config["epochs_finished"] == 2 and config["status"] == "finished"
    _run("tools/export_savedmodel.py", "--model", str(out), "--output", str(tmp_path / "serving"))
    assert any(os.scandir(tmp_path / "serving"))
