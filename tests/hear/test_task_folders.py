"""HEAR task folders: the writer's layout (what heareval's runners read) and the reader's round trip."""

import json
import os

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from keras_audio_ssl import synthetic
from keras_audio_ssl.data.downstream.hear_tasks import hear_event_task
from keras_audio_ssl.data.downstream.hear_tasks import hear_scene_task
from keras_audio_ssl.evaluation.tasks import load_sound_event_tasks
from keras_audio_ssl.evaluation.tasks import load_tasks
from keras_audio_ssl.hear.task_folders import write_hear_tasks


def write_scene_csv(folder, *, per_class=3, test_per_class=2, seconds=0.5, folds=0):
    """A manifest of synthetic clips of six classes, 18 train and 12 test (or 3 folds); returns its path."""
    return synthetic.write_labeled_task(folder, per_class, test_per_class, seconds=seconds, folds=folds)


def write_events_csv(folder, *, n_train=4, n_test=2, seconds=2.0):
    """An events CSV (`path,split,onset,offset,label`) over noise clips; one test clip has no event."""
    rng = np.random.default_rng(3)
    os.makedirs(folder, exist_ok=True)
    rows = []
    for i in range(n_train + n_test):
        name = f"scene{i}.wav"
        sf.write(os.path.join(folder, name), 0.01 * rng.standard_normal(int(seconds * 16000)).astype("float32"), 16000)
        split = "train" if i < n_train else "test"
        if i == n_train + n_test - 1:
            rows.append({"path": name, "split": split, "onset": None, "offset": None, "label": None})
            continue
        rows.append({"path": name, "split": split, "onset": 0.25, "offset": 0.8, "label": "dog"})
        rows.append({"path": name, "split": split, "onset": 1.1, "offset": 1.9 + seconds, "label": "bell"})
    csv = os.path.join(folder, "events.csv")
    pd.DataFrame(rows).to_csv(csv, index=False)
    return csv


def test_scene_task_layout_is_what_heareval_reads(tmp_path):
    csv = write_scene_csv(str(tmp_path / "src"))
    (folder,) = write_hear_tasks([csv], str(tmp_path / "tasks"), verbose=False)
    metadata = json.loads((tmp_path / "tasks" / "synthetic" / "task_metadata.json").read_text())
    assert metadata["embedding_type"] == "scene" and metadata["prediction_type"] == "multiclass"
    assert metadata["split_mode"] == "trainvaltest" and metadata["splits"] == ["train", "valid", "test"]
    assert metadata["evaluation"] == ["top1_acc"] and metadata["sample_duration"] == 0.5  # equal lengths
    vocabulary = pd.read_csv(os.path.join(folder, "labelvocabulary.csv"))
    assert vocabulary["idx"].tolist() == list(range(6)) and vocabulary["label"].tolist() == sorted(vocabulary["label"])
    counts = {}
    for split in metadata["splits"]:
        labels = json.loads((tmp_path / "tasks" / "synthetic" / f"{split}.json").read_text())
        counts[split] = len(labels)
        for name, value in labels.items():
            assert len(value) == 1 and value[0] in set(vocabulary["label"])
            audio, rate = sf.read(os.path.join(folder, "16000", split, name), dtype="float32")
            assert rate == 16000 and audio.shape == (8000,)
    # 18 training clips: 10% (2) drawn as the valid split; the 12 test clips stay.
    assert counts == {"train": 16, "valid": 2, "test": 12}


def test_scene_task_reads_back_as_the_source_task(tmp_path):
    csv = write_scene_csv(str(tmp_path / "src"))
    (folder,) = write_hear_tasks([csv], str(tmp_path / "tasks"), verbose=False)
    source = load_tasks([csv])[0]
    (task,) = load_tasks([f"hear:{folder}"])
    assert task.name == "synthetic" and task.classes == source.classes and task.unit_seconds == 0.5
    assert task.frame["split"].value_counts().to_dict() == {"train": 16, "test": 12, "valid": 2}
    # Same audio and label per clip (the writer keeps the row order in the file names).
    ours = task.frame.sort_values("path", key=lambda p: p.map(os.path.basename)).reset_index(drop=True)
    for row, (_, original) in zip(ours.itertuples(), source.frame.iterrows()):
        assert row.label == original["label"]
        np.testing.assert_allclose(sf.read(row.path, dtype="float32")[0], sf.read(original["path"], dtype="float32")[0],
                                   atol=1e-7)
    # The folder holding task folders (heareval's tasks dir) is a source too, without the prefix.
    assert [t.name for t in load_tasks([str(tmp_path / "tasks")])] == ["synthetic"]


def test_folds_become_presplit_kfold_and_read_back_as_folds(tmp_path):
    csv = write_scene_csv(str(tmp_path / "src"), folds=3)
    (folder,) = write_hear_tasks([csv], str(tmp_path / "tasks"), verbose=False)
    metadata = json.loads(open(os.path.join(folder, "task_metadata.json")).read())
    assert metadata["split_mode"] == "presplit_kfold" and metadata["splits"] == ["fold00", "fold01", "fold02"]
    assert metadata["nfolds"] == 3
    task = hear_scene_task(folder)
    assert task.evaluation == "folds" and sorted(task.frame["fold"].unique()) == [1, 2, 3]
    two_folds = tmp_path / "two.csv"
    table = pd.read_csv(csv)
    table.assign(fold=1 + table.index % 2, path=[os.path.join(tmp_path, "src", p) for p in table["path"]]).to_csv(
        two_folds, index=False)
    with pytest.raises(ValueError, match=">= 3 folds"):
        write_hear_tasks([str(two_folds)], str(tmp_path / "tasks2"), verbose=False)


def test_event_task_in_milliseconds_round_trips_in_seconds(tmp_path):
    csv = write_events_csv(str(tmp_path / "src"))
    (folder,) = write_hear_tasks([csv], str(tmp_path / "tasks"), sample_duration=2.0, verbose=False)
    metadata = json.loads(open(os.path.join(folder, "task_metadata.json")).read())
    assert (metadata["embedding_type"], metadata["prediction_type"]) == ("event", "multilabel")
    assert metadata["evaluation"] == ["event_onset_200ms_fms", "segment_1s_er"] and metadata["sample_duration"] == 2.0
    test = json.loads(open(os.path.join(folder, "test.json")).read())
    first, silent = sorted(test)
    # Milliseconds; the bell running past the clip's end is cut at 2 s; the clip without events has [].
    assert test[first] == [{"label": "dog", "start": 250.0, "end": 800.0}, {"label": "bell", "start": 1100.0, "end": 2000.0}]
    assert test[silent] == []
    task = hear_event_task(folder)
    assert task.classes == ["bell", "dog"] and len(task.split("test")) == 2
    onset, offset, label = task.events_of(os.path.join(folder, "16000", "test", first))[0]
    assert (onset, offset, label) == (0.25, 0.8, "dog")
    assert [t.name for t in load_sound_event_tasks([f"hear:{folder}"])] == ["events"]
    with pytest.raises(ValueError, match="--task sed"):
        load_tasks([f"hear:{folder}"])


def test_rewriting_reuses_the_same_conversion_and_bad_sources_are_named(tmp_path):
    csv = write_scene_csv(str(tmp_path / "src"))
    (folder,) = write_hear_tasks([csv], str(tmp_path / "tasks"), verbose=False)
    stamp = os.stat(os.path.join(folder, "task_metadata.json")).st_mtime_ns
    write_hear_tasks([csv], str(tmp_path / "tasks"), verbose=False)
    assert os.stat(os.path.join(folder, "task_metadata.json")).st_mtime_ns == stamp
    killed = tmp_path / "tasks" / f".kas-tmp-999999999-{os.path.basename(folder)}"  # a killed rewrite's copy
    killed.mkdir()
    (killed / "task_metadata.json").write_text("{")
    write_hear_tasks([csv], str(tmp_path / "tasks"), sample_duration=0.25, verbose=False)  # new options: rewritten
    assert json.loads(open(os.path.join(folder, "task_metadata.json")).read())["sample_duration"] == 0.25
    assert not [n for n in os.listdir(tmp_path / "tasks") if n.startswith(".kas-tmp")]
    with pytest.raises(ValueError, match="nowhere"):
        write_hear_tasks([str(tmp_path / "nowhere")], str(tmp_path / "tasks"), verbose=False)
    with pytest.raises(ValueError, match="No HEAR task"):
        load_tasks([f"hear:{tmp_path / 'src'}"])


def test_evaluation_cli_scores_a_hear_folder(tmp_path, tiny_run_dir):
    from keras_audio_ssl.evaluation.__main__ import main

    csv = write_scene_csv(str(tmp_path / "src"), per_class=2, test_per_class=1, seconds=0.25)
    (folder,) = write_hear_tasks([csv], str(tmp_path / "tasks"), verbose=False)
    out = tmp_path / "results"
    assert main(["--model", tiny_run_dir, "--tasks", f"hear:{folder}", "--output", str(out), "--runs", "1",
                 "--epochs", "5"]) == 0
    row = pd.read_csv(out / "results.csv").iloc[0]
    # 12 training clips less the 10% (1) drawn as valid; 6 test clips.
    assert (row["task"], row["n_train"], row["n_test"], row["n_classes"]) == ("synthetic", 11, 6, 6)
    assert main(["--model", tiny_run_dir, "--tasks", f"hear:{tmp_path / 'nowhere'}", "--output", str(out)]) == 2
