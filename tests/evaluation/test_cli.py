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
    # BYOL-A's protocol by default: one crop of the task's mean clip duration (0.5-1.2 s clips).
    assert table["clip_length"].tolist() == ["unit", "unit"] and 0.7 < table["unit_seconds"][0] < 1.0

    whole = tmp_path / "whole"
    assert main(["--model", str(tiny_model_path), "--tasks", str(tiny_task), "--output", str(whole), "--runs", "1",
                 "--epochs", "20", "--clip-length", "whole"]) == 0
    assert pd.read_csv(whole / "results.csv")["clip_length"].tolist() == ["whole"]
    unit = tmp_path / "unit"
    assert main(["--model", str(tiny_model_path), "--tasks", str(tiny_task), "--output", str(unit), "--runs", "1",
                 "--epochs", "20", "--unit-seconds", "2.0"]) == 0
    assert pd.read_csv(unit / "results.csv")["unit_seconds"].tolist() == [2.0]


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


def test_cli_task_sed_scores_an_events_csv(tiny_model_path, tmp_path, capsys):
    from tests.evaluation.test_sed_probe import _write_task

    events = _write_task(str(tmp_path / "sed"), n_train=6, n_test=3)
    out = tmp_path / "out"
    code = main(["--model", str(tiny_model_path), "--task", "sed", "--tasks", events, "--output", str(out),
                 "--runs", "1", "--epochs", "40", "--learning-rate", "1e-2", "--probe-batch-size", "128"])
    assert code == 0
    table = pd.read_csv(out / "results.csv")
    row = table.iloc[0]
    assert (row["task"], row["metric"], row["n_train"], row["n_test"]) == ("sed", "onset_f_measure", 6, 3)
    assert 0.0 <= row["score"] <= 1.0 and 0.0 <= row["event_f_measure"] <= 1.0
    assert "onset_f_measure" in capsys.readouterr().out


def test_cli_task_pitch_on_a_manifest(tiny_model_path, tmp_path):
    rows = []
    for note in (57, 64, 69):
        for k in range(4):
            path = write_wav(tmp_path / f"n{note}_{k}.wav", tone(440.0 * 2 ** ((note - 69) / 12), 0.5))
            rows.append({"path": os.path.basename(path), "label": note, "split": "test" if k == 3 else "train"})
    pd.DataFrame(rows).to_csv(tmp_path / "notes.csv", index=False)
    out = tmp_path / "out"
    code = main(["--model", str(tiny_model_path), "--task", "pitch", "--tasks", str(tmp_path / "notes.csv"),
                 "--output", str(out), "--runs", "1", "--epochs", "5"])
    assert code == 0
    row = pd.read_csv(out / "results.csv").iloc[0]
    assert (row["metric"], row["n_classes"], row["n_test"]) == ("pitch_accuracy", 88, 3)
    assert row["chroma_accuracy"] >= row["score"]


def test_cli_task_sed_names_what_it_expected(tiny_model_path, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code = main(["--model", str(tiny_model_path), "--task", "sed", "--tasks", str(tmp_path / "empty")])
    assert code == 2
    assert "No sound event task" in capsys.readouterr().err


def test_dcase2016_task2_layout_reads_dev_and_test_mixtures(tmp_path):
    from keras_audio_ssl.data.downstream import dcase2016_task2
    from keras_audio_ssl.evaluation.tasks import load_sound_event_tasks

    for folder, split in (("dcase2016_task2_train_dev/dcase2016_task2_dev", "dev"),
                          ("dcase2016_task2_test_public", "test")):
        for i in range(2):
            os.makedirs(tmp_path / folder / "sound", exist_ok=True)
            os.makedirs(tmp_path / folder / "annotation", exist_ok=True)
            write_wav(tmp_path / folder / "sound" / f"{split}_mix{i}.wav", tone(440.0, 2.0))
            (tmp_path / folder / "annotation" / f"{split}_mix{i}.txt").write_text(
                "0.50\t1.25\tclearthroat\n1.40\t1.90\tkeyboard\n\n")
    task = dcase2016_task2(str(tmp_path))
    assert task.classes == ["clearthroat", "keyboard"]
    assert task.clips["split"].value_counts().to_dict() == {"train": 2, "test": 2}
    assert task.events_of(task.split("test")[0]) == [(0.5, 1.25, "clearthroat"), (1.4, 1.9, "keyboard")]
    assert load_sound_event_tasks(str(tmp_path))[0].name == "dcase2016_task2"
    # A mixture without its annotation, and a malformed line, are named.
    os.remove(tmp_path / "dcase2016_task2_test_public" / "annotation" / "test_mix1.txt")
    with pytest.raises(ValueError, match="test_mix1.wav has no annotation"):
        dcase2016_task2(str(tmp_path))
    (tmp_path / "dcase2016_task2_test_public" / "annotation" / "test_mix1.txt").write_text("0.5 clearthroat\n")
    with pytest.raises(ValueError, match="line 1"):
        dcase2016_task2(str(tmp_path))


def test_events_csv_checks_events(tmp_path):
    from keras_audio_ssl.data.downstream import events_csv

    write_wav(tmp_path / "a.wav", tone(440.0, 1.0))
    pd.DataFrame([dict(path="a.wav", split="train", onset=0.8, offset=0.3, label="x")]).to_csv(
        tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match="onset before their offset"):
        events_csv(str(tmp_path / "bad.csv"))
    pd.DataFrame([dict(path="a.wav", split="train", onset=0.1, offset=0.3, label="x")]).to_csv(
        tmp_path / "one_split.csv", index=False)
    with pytest.raises(ValueError, match="needs test clips"):
        events_csv(str(tmp_path / "one_split.csv"))
