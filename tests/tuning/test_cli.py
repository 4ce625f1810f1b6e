"""`python -m keras_audio_ssl.tuning`: a failed trial is recorded and the search goes on; bad input exits 2."""

import json
import os

import pandas as pd
import pytest

from keras_audio_ssl import synthetic
from keras_audio_ssl.recipes import cli
from keras_audio_ssl.recipes.schema import fit_for
from keras_audio_ssl.tuning.__main__ import main
from tests.tuning.conftest import TINY_BYOLA

TINY_FLAGS = [f"{k}={json.dumps(v)}" for k, v in TINY_BYOLA.items()]


@pytest.mark.large  # a search of three trials, each a pretraining and a probe; test_search covers resume and scoring
def test_a_failed_trial_is_recorded_with_its_error_and_the_search_goes_on(tmp_path, pool, task_csvs, capsys):
    data = str(tmp_path / "pool")
    synthetic.write_wav_folder(data, pool)
    space = tmp_path / "space.json"
    # 1.5 is outside BYOL-A's mixup range: fit() refuses it, that trial fails; 0.2 trains.
    space.write_text(json.dumps({"mixup_ratio": {"type": "choice", "values": [0.2, 1.5]}}))
    out = str(tmp_path / "search")
    rc = main(["--method", "byola", "--space", str(space), "--data", data, "--tasks", *task_csvs, "--output-dir", out,
               "--max-trials", "2", "--epochs", "3", "--minutes", "0.0001", "--executions", "2", "--probe-runs", "1",
               "--probe-epochs", "15", "--set", *TINY_FLAGS])
    printed = capsys.readouterr().out
    assert rc == 0
    table = pd.read_csv(os.path.join(out, "trials.csv"), dtype={"trial": str}, keep_default_na=False)
    failed, completed = table[table["status"] == "failed"], table[table["status"] == "completed"]
    assert len(failed) == 1 and len(completed) == 1
    assert failed.iloc[0]["mixup_ratio"] == 1.5 and completed.iloc[0]["mixup_ratio"] == 0.2
    assert failed.iloc[0]["error"].startswith("ValueError: mixup_ratio must be a number in [0.0, 1.0]")
    assert "Traceback" in (tmp_path / "search" / f"trial_{failed.iloc[0]['trial']}" / "error.txt").read_text()
    assert failed.iloc[0]["score"] == "" and 0 <= float(completed.iloc[0]["score"]) <= 1
    # The time budget stopped pretraining after its first epoch (of 3).
    assert completed.iloc[0]["epochs"] == 1
    # Two executions (seeds 42, 43), their scores averaged.
    trial_dir = tmp_path / "search" / f"trial_{completed.iloc[0]['trial']}"
    seeds = [json.loads((trial_dir / run / "config.json").read_text())["seed"] for run in ("run", "run_1")]
    assert seeds == [42, 43]
    summary = json.loads((trial_dir / "summary.json").read_text())
    assert len(summary["execution_scores"]) == 2
    assert float(completed.iloc[0]["score"]) == pytest.approx(sum(summary["execution_scores"]) / 2)
    # One progress line per trial: id, status, score, seconds, values.
    lines = [line for line in printed.splitlines() if line.startswith("[tuning] trial")]
    assert len(lines) == 2 and any("failed" in line and "mixup_ratio=1.5" in line for line in lines)
    assert any("completed score=" in line and "mixup_ratio=0.2" in line for line in lines)

    # The best preset runs unchanged with the recipe command line (the method from its "method" key).
    best = os.path.join(out, "best_preset.json")
    with open(best) as f:
        preset = json.load(f)
    assert preset["method"] == "byola" and preset["mixup_ratio"] == 0.2
    fit = fit_for(preset["method"])
    _, output_dir, config = cli.parse_args(fit, ["--config", best, "--data", data, "--output-dir", "x"])
    assert output_dir == "x" and config["mixup_ratio"] == 0.2 and config["epochs"] == 3
    assert {k: config[k] for k in TINY_BYOLA} == TINY_BYOLA


def test_bad_input_exits_2_with_one_line_naming_it(tmp_path, pool, task_csvs, capsys):
    data = str(tmp_path / "pool")
    synthetic.write_wav_folder(data, pool[:2])
    common = ["--method", "cola", "--data", data, "--tasks", *task_csvs, "--output-dir", str(tmp_path / "s")]
    assert main([*common, "--set", "feature_width=16"]) == 2
    assert "'feature_width'" in capsys.readouterr().err
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"temprature": {"type": "float", "min": 0.1, "max": 0.5}}))
    assert main([*common, "--space", str(space)]) == 2
    err = capsys.readouterr().err
    assert "'temprature'" in err and "'temperature'" in err
    assert main([*common[:2], "--data", str(tmp_path / "missing"), *common[4:]]) == 2
    assert "Pretraining data not found" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "s" / "trial_0")


def test_a_search_whose_every_trial_failed_exits_1(tmp_path, pool, task_csvs, capsys):
    # Finding 12: tuning exited 0 when every trial failed.
    data = str(tmp_path / "pool")
    synthetic.write_wav_folder(data, pool)
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"mixup_ratio": {"type": "choice", "values": [1.5, 2.5]}}))  # fit() refuses both
    rc = main(["--method", "byola", "--space", str(space), "--data", data, "--tasks", *task_csvs, "--output-dir",
               str(tmp_path / "search"), "--max-trials", "2", "--epochs", "1", "--set", *TINY_FLAGS])
    assert rc == 1
    assert "no trial completed" in capsys.readouterr().err
