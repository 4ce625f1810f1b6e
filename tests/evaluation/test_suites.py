"""`--suite hares` and `--suite offline` on tiny fake data roots."""

import json
import os

import keras
import numpy as np
import pandas as pd
import pytest

from keras_audio_ssl.evaluation.__main__ import main
from keras_audio_ssl.evaluation.suites import GROUPS
from keras_audio_ssl.evaluation.suites import HARES_TASKS
from keras_audio_ssl.evaluation.suites import OFFLINE_TASKS
from tests.data.test_hares_layouts import write_audioset
from tests.data.test_hares_layouts import write_fluent_speech_commands
from tests.data.test_hares_layouts import write_nsynth
from tests.test_case import tone
from tests.test_case import write_wav

encoders = pytest.importorskip("keras_audio_ssl.encoders")

FAST = ["--runs", "1", "--epochs", "20", "--learning-rate", "1e-2"]


@pytest.fixture(scope="module")
def tiny_model_path(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = encoders.build_embedding_model(encoders.AudioNTT2020(feature_d=16), mean=-6.0, std=4.0)
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    model.save(path)
    return str(path)


def _row(table, task):
    return table[table["task"] == task].iloc[0]


def test_hares_has_the_twelve_tasks_in_three_groups():
    assert len(HARES_TASKS) == 12 and len({t.name for t in HARES_TASKS}) == 12
    assert [sum(t.group == g for t in HARES_TASKS) for g in GROUPS] == [4, 5, 3]
    assert [t.name for t in HARES_TASKS if t.protocol == "mlp"] == ["audioset"]
    assert {t.name for t in HARES_TASKS if t.metric == "mAP"} == {"audioset", "magnatagatune"}
    assert {t.name: t.group for t in OFFLINE_TASKS} == {
        "instrument": "music", "pitch": "music", "keywords": "speech", "language": "speech",
        "environmental": "environment", "sed": "environment"}


def test_suite_hares_evaluates_what_is_present_and_averages_by_group(tiny_model_path, tmp_path, capsys):
    root = tmp_path / "hares"
    write_audioset(str(root / "audioset"))
    write_fluent_speech_commands(str(root / "fluent_speech_commands"))
    write_nsynth(str(root / "nsynth"))
    out = tmp_path / "out"
    with pytest.warns(UserWarning, match="no clip"):  # one AudioSet segment without its clip
        code = main(["--model", tiny_model_path, "--suite", "hares", "--data-root", str(root), "--output", str(out),
                     *FAST])
    printed = capsys.readouterr().out
    assert code == 0
    # Progress per task, and every missing task named with its folder and where to get it.
    assert "[hares] 1/4 audioset (environment, mlp)" in printed and "[hares] 4/4 nsynth_pitch" in printed
    for folder in ("speech_commands_v1", "magnatagatune", "voxceleb1", "tut18", "birdsong"):
        assert str(root / folder) in printed
    assert "8 hares task(s) have no data" in printed and "research.google.com/audioset" not in printed
    assert "mirg.city.ac.uk" in printed  # MagnaTagATune's hint

    table = pd.read_csv(out / "hares.csv")
    assert len(table) == 12 + 4
    ok = table[table["status"] == "ok"]
    assert ok["task"].tolist() == ["audioset", "fluent_speech_commands", "nsynth_instrument", "nsynth_pitch"]
    assert (table["status"] == "missing").sum() == 8
    audioset = _row(table, "audioset")
    assert (audioset["protocol"], audioset["metric"], audioset["n_classes"]) == ("mlp(512)", "mAP", 3)
    assert (audioset["n_train"], audioset["n_test"]) == (24, 12)
    assert _row(table, "nsynth_pitch")["chroma_accuracy"] >= _row(table, "nsynth_pitch")["score"]
    assert ok["score"].between(0.0, 1.0).all()
    # Group averages over the evaluated tasks; the overall one over all evaluated tasks.
    assert _row(table, "average (environment)")["score"] == pytest.approx(audioset["score"])
    assert _row(table, "average (environment)")["status"] == "1/4 tasks"
    assert _row(table, "average (music)")["score"] == pytest.approx(ok["score"].iloc[2:].mean())
    assert _row(table, "average (all)")["score"] == pytest.approx(ok["score"].mean())
    assert _row(table, "average (all)")["status"] == "4/12 tasks"
    markdown = (out / "hares.md").read_text()
    assert markdown.startswith("# HARES evaluation of") and "average (speech)" in markdown


def test_suite_hares_without_any_task_names_the_folders(tiny_model_path, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code = main(["--model", tiny_model_path, "--suite", "hares", "--data-root", str(tmp_path / "empty")])
    err = capsys.readouterr().err
    assert code == 2 and "No hares task found" in err and "Traceback" not in err
    for task in HARES_TASKS:
        assert os.path.join(str(tmp_path / "empty"), task.folder) in err
    assert main(["--model", tiny_model_path, "--suite", "hares"]) == 2
    assert "--data-root" in capsys.readouterr().err
    assert main(["--model", tiny_model_path]) == 2


def test_suite_hares_reports_a_task_it_cannot_read(tiny_model_path, tmp_path, capsys):
    (tmp_path / "hares" / "tut18").mkdir(parents=True)  # present, but empty
    out = tmp_path / "out"
    code = main(["--model", tiny_model_path, "--suite", "hares", "--data-root", str(tmp_path / "hares"),
                 "--output", str(out), *FAST])
    assert code == 1
    assert "tut18: TUT 2018 meta.csv not found" in capsys.readouterr().err
    row = _row(pd.read_csv(out / "hares.csv"), "tut18")
    assert row["status"].startswith("error: TUT 2018 meta.csv not found") and np.isnan(row["score"])


def _offline_benchmark(root):
    """A hand-made offline benchmark: language, environmental (folds), pitch and sed; no keywords/instrument."""
    from tests.evaluation.test_sed_probe import _write_task

    rng = np.random.default_rng(0)
    os.makedirs(root / "clips")
    rows = {"language": [], "environmental": [], "pitch": []}
    for i in range(18):
        low = i % 2 == 0
        path = write_wav(root / "clips" / f"tone{i}.wav", tone((250.0 if low else 3000.0) * rng.uniform(0.9, 1.1), 0.6))
        rows["language"].append({"path": os.path.relpath(path, root), "label": "de" if low else "en",
                                 "split": "test" if i >= 12 else "train"})
        rows["environmental"].append({"path": os.path.relpath(path, root), "label": "rain" if low else "bird",
                                      "split": "test" if i % 3 == 0 else "train", "fold": i % 3})
    for note in (57, 64, 69):
        for k in range(4):
            path = write_wav(root / "clips" / f"n{note}_{k}.wav", tone(440.0 * 2 ** ((note - 69) / 12), 0.5))
            rows["pitch"].append({"path": os.path.relpath(path, root), "label": note,
                                  "split": "test" if k == 3 else "train"})
    tasks = {}
    for name, task_rows in rows.items():
        pd.DataFrame(task_rows).to_csv(root / f"{name}.csv", index=False)
        tasks[name] = {"type": "multiclass", "manifest": f"{name}.csv"}
    _write_task(str(root), n_train=4, n_test=2)
    tasks["sed"] = {"type": "sed", "manifest": "sed.csv"}
    (root / "benchmark.json").write_text(json.dumps({"sample_rate": 16000, "tasks": tasks}))
    return root


def test_suite_offline_groups_the_benchmark_tasks(tiny_model_path, tmp_path, capsys):
    bench = _offline_benchmark(tmp_path / "bench")
    out = tmp_path / "out"
    code = main(["--model", tiny_model_path, "--suite", "offline", "--tasks", str(bench), "--output", str(out),
                 "--probe-batch-size", "128", *FAST])
    printed = capsys.readouterr().out
    assert code == 0
    assert "make_offline_benchmark.py --output <dir> --tasks keywords" in printed
    table = pd.read_csv(out / "offline.csv")
    ok = table[table["status"] == "ok"].set_index("task")
    assert ok["group"].to_dict() == {"environmental": "environment", "sed": "environment", "language": "speech",
                                     "pitch": "music"}
    assert ok.loc["sed", "metric"] == "onset_f_measure" and ok.loc["environmental", "evaluation"] == "leave-one-fold-out"
    assert ok.loc["pitch", "chroma_accuracy"] >= ok.loc["pitch", "score"]
    assert set(table[table["status"] == "missing"]["task"]) == {"keywords", "instrument"}
    assert _row(table, "average (environment)")["score"] == pytest.approx(ok.loc[["environmental", "sed"], "score"].mean())
    assert _row(table, "average (all)")["status"] == "4/6 tasks"
    # The offline suite needs benchmark.json.
    assert main(["--model", tiny_model_path, "--suite", "offline", "--tasks", str(tmp_path / "out")]) == 2
    assert "no benchmark.json" in capsys.readouterr().err
