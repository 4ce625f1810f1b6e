"""tools/hear_eval.py: heareval's embeddings and predictions on tiny generated tasks, beside our probe."""

import json
import math
import os
import subprocess
import sys

import pytest

from keras_audio_ssl import synthetic
from tests.hear.test_task_folders import write_events_csv
from tests.heareval_venv import heareval_python

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(REPO, "tools", "hear_eval.py")


def _tool(*args, **kwargs):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True, env=env, **kwargs)


def test_bad_arguments_fail_in_one_line(tmp_path):
    for args, named in ((["--model", str(tmp_path / "missing.keras"), "--tasks", str(tmp_path)], "missing.keras"),
                        (["--model", str(tmp_path), "--tasks", str(tmp_path / "nowhere")], "nowhere"),
                        (["--model", str(tmp_path), "--tasks", str(tmp_path), "--grid", "huge"], "--grid"),
                        (["--model", str(tmp_path), "--tasks", str(tmp_path), "--grid-points", "0"], "--grid-points"),
                        (["--tasks", str(tmp_path)], "--model")):
        proc = _tool(*args, "--output", str(tmp_path / "out"), timeout=120)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("error:") and named in lines[0], args
        assert not os.path.exists(tmp_path / "out")  # nothing written for bad arguments


@pytest.mark.large
def test_scene_and_event_tasks_scored_by_heareval_and_our_probe(tiny_run_dir, tmp_path):
    python = heareval_python()
    scene = synthetic.write_labeled_task(str(tmp_path / "scene"), 4, 2, seconds=0.5)
    events = write_events_csv(str(tmp_path / "events"), n_train=6, n_test=2)
    out = tmp_path / "out"
    proc = _tool("--model", tiny_run_dir, "--tasks", scene, events, "--output", str(out), "--grid", "faster",
                 "--grid-points", "1", "--probe", "--probe-runs", "1",
                 "--venv", os.path.dirname(os.path.dirname(python)), timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for step in ("writing the HEAR task folders", "task 1/2 synthetic: heareval embeddings",
                 "task 2/2 events: heareval predictions", "our probe: events"):
        assert step in proc.stdout
    rows = {row["task"]: row for row in json.loads((out / "scores.json").read_text())}
    assert set(rows) == {"synthetic", "events"}
    # heareval's own test scores, read from its test.predicted-scores.json.
    assert 0.0 <= rows["synthetic"]["heareval"]["top1_acc"] <= 1.0
    # sed_eval's F is NaN when nothing was detected (precision 0 / 0), as an untrained model may do.
    fms = rows["events"]["heareval"]["event_onset_200ms_fms"]
    assert math.isnan(fms) or 0.0 <= fms <= 1.0
    assert rows["events"]["heareval"]["segment_1s_er"] >= 0.0
    # Our probe on the same task folders.
    assert 0.0 <= rows["synthetic"]["our_probe"]["accuracy"] <= 1.0
    assert 0.0 <= rows["events"]["our_probe"]["onset_f_measure"] <= 1.0
    assert "| synthetic | top1_acc" in proc.stdout
    # heareval wrote its layout: one embedding per clip, the embeddings of every split memory-mapped.
    (model_dir,) = os.listdir(out / "embeddings")
    task_dir = out / "embeddings" / model_dir / "keras_audio_ssl.hear" / "synthetic"
    dims = json.loads((task_dir / "test.embedding-dimensions.json").read_text())
    assert dims == [12, 16]  # 2 test clips x 6 classes, the tiny model's d=16
    # A second run reuses the task folders and the embeddings (heareval's .done markers) and redoes predictions.
    proc = _tool("--model", tiny_run_dir, "--tasks", scene, "--output", str(out), "--grid", "faster",
                 "--grid-points", "1", "--venv", os.path.dirname(os.path.dirname(python)),
                 timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "reusing synthetic" in proc.stdout and "| synthetic |" in proc.stdout
    # A model heareval cannot load: exit 1, the end of the step's log shown, no traceback of the tool's own.
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a keras file")
    proc = _tool("--model", str(broken), "--tasks", scene, "--output", str(out), "--grid", "faster",
                 "--venv", os.path.dirname(os.path.dirname(python)), timeout=900)
    assert proc.returncode == 1 and "synthetic: heareval embeddings failed" in proc.stderr
    assert str(out / "logs" / "synthetic.embeddings.log") in proc.stderr


def test_tasks_only_writes_the_folders_our_probe_reads(tmp_path):
    csv = synthetic.write_labeled_task(str(tmp_path / "src"), 2, 1, seconds=0.25)
    proc = _tool("--tasks", csv, "--output", str(tmp_path / "out"), "--tasks-only", "--venv", str(tmp_path / "no_venv"),
                 timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    folder = tmp_path / "out" / "tasks" / "synthetic"
    assert f"[hear-eval] {folder}" in proc.stdout and not (tmp_path / "no_venv").exists()  # no environment built
    from keras_audio_ssl.evaluation.tasks import load_tasks

    (task,) = load_tasks([f"hear:{folder}"])
    assert len(task.frame) == 18 and sorted(task.frame["split"].unique()) == ["test", "train", "valid"]
