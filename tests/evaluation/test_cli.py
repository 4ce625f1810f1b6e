import os

import keras
import numpy as np
import pandas as pd
import pytest

from keras_audio_ssl.evaluation.__main__ import main
from keras_audio_ssl.evaluation import load_tasks
from tests.test_case import tone
from tests.test_case import write_wav

encoders = pytest.importorskip("keras_audio_ssl.encoders")


@pytest.fixture
def tiny_task(tmp_path):
    """Two well separated classes (low / high tones), train and test splits."""
    rng = np.random.default_rng(0)
    rows = []
    os.makedirs(tmp_path / "clips")
    for i in range(24):
        label = "low" if i % 2 == 0 else "high"
        freq = (250.0 if label == "low" else 3000.0) * rng.uniform(0.9, 1.1)
        path = write_wav(tmp_path / "clips" / f"{i}.wav", tone(freq, rng.uniform(0.5, 1.2)))
        rows.append({"path": os.path.relpath(path, tmp_path), "label": label, "split": "test" if i >= 16 else "train"})
    pd.DataFrame(rows).to_csv(tmp_path / "tones.csv", index=False)
    return tmp_path / "tones.csv"


@pytest.fixture
def tiny_model_path(tmp_path):
    keras.utils.set_random_seed(0)
    model = encoders.build_embedding_model(encoders.AudioNTT2020(feature_d=16), mean=-6.0, std=4.0)
    path = tmp_path / "tiny.keras"
    model.save(path)
    return path


def test_cli_runs_tasks_and_writes_table(tiny_task, tiny_model_path, tmp_path, capsys):
    out = tmp_path / "results"
    code = main(["--model", str(tiny_model_path), "--tasks", str(tiny_task), "--output", str(out),
                 "--protocols", "linear,knn", "--runs", "2", "--k", "5", "--epochs", "60"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| task" in printed and "tones" in printed
    table = pd.read_csv(out / "results.csv")
    assert table["protocol"].tolist() == ["linear", "knn(k=5)"]
    assert table["n_train"].tolist() == [16, 16] and table["n_test"].tolist() == [8, 8]
    # Low vs high tones are separable even for a random encoder.
    assert (table["score"] >= 0.85).all()
    assert (out / "results.md").read_text().startswith("# Evaluation of")


def test_load_tasks_reads_benchmark_json_and_skips_the_pool(tmp_path, tiny_task):
    (tmp_path / "pool.csv").write_text("path,label,split\nclips/0.wav,,pretrain\n")
    assert [t.name for t in load_tasks(str(tmp_path))] == ["tones"]
    (tmp_path / "benchmark.json").write_text(
        '{"tasks": {"tones": {"type": "multiclass", "manifest": "tones.csv"},'
        ' "pool": {"type": "unlabeled", "manifest": "pool.csv"}}}'
    )
    assert [t.name for t in load_tasks(str(tmp_path))] == ["tones"]


def test_cli_reports_missing_task_source(tiny_model_path, tmp_path, capsys):
    code = main(["--model", str(tiny_model_path), "--tasks", str(tmp_path / "nowhere"), "--output", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "nowhere" in err and "Traceback" not in err
    code = main(["--model", str(tmp_path / "missing.keras"), "--tasks", str(tmp_path), "--output", str(tmp_path)])
    assert code == 2 and "missing.keras" in capsys.readouterr().err


def test_cli_names_the_line_of_an_empty_manifest_row(tiny_task, tiny_model_path, tmp_path, capsys):
    lines = tiny_task.read_text().splitlines()
    lines.insert(3, ",,")  # what a spreadsheet export leaves; pandas reads the empty path as NaN
    tiny_task.write_text("\n".join(lines) + "\n")
    code = main(["--model", str(tiny_model_path), "--tasks", str(tiny_task), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "empty `path` on line(s) [4]" in err and str(tiny_task) in err
