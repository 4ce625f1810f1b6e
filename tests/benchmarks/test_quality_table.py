"""benchmarks/quality.py's table: every method beside the random encoder of its own architecture."""

import os
import sys

import pandas as pd
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

import quality  # noqa: E402


def _long(scores):
    """Result rows as `results_frame` gives them: one per (task, encoder), per-seed scores joined by ';'."""
    return pd.DataFrame([
        {"task": task, "protocol": "linear", "metric": "accuracy", "encoder": encoder,
         "score": sum(seeds) / len(seeds), "score_std": 0.0, "scores": ";".join(str(v) for v in seeds)}
        for (task, encoder), seeds in scores.items()
    ])


def test_each_method_is_compared_with_the_random_encoder_of_its_architecture():
    long = _long({
        ("a", "byol-a"): [0.6, 0.6], ("a", "byol-a v2"): [0.9, 0.9],
        ("a", "random"): [0.5, 0.5], ("a", "random AudioNTT2022"): [0.8, 0.8],
        ("b", "byol-a"): [0.4, 0.6], ("b", "byol-a v2"): [0.3, 0.3],
        ("b", "random"): [0.5, 0.5], ("b", "random AudioNTT2022"): [0.4, 0.4],
    })
    baselines = {"byol-a": "random", "byol-a v2": "random AudioNTT2022"}
    table = quality._summary_table(long, ["byol-a", "byol-a v2"], baselines).set_index("task")
    assert table.loc["a", "byol-a margin"] == pytest.approx(0.1)
    assert table.loc["a", "byol-a v2 margin"] == pytest.approx(0.1)  # against its own random, not 0.4
    assert table.loc["average", "byol-a v2"] == pytest.approx(0.6)
    assert table.loc["average", "byol-a v2 margin"] == pytest.approx(0.6 - 0.6)
    assert table.loc["average", "byol-a std"] == pytest.approx(0.05)  # per-seed averages 0.5 and 0.6
    shown = quality._pm(table.reset_index(), ["byol-a", "byol-a v2"], baselines)
    assert list(shown.columns) == ["task", "metric", "byol-a", "byol-a v2", "random", "random AudioNTT2022",
                                   "byol-a margin", "byol-a v2 margin"]


def test_byol_a_v2_is_listed_with_the_papers_settings():
    recipe, settings = quality.variant_settings("byol-a v2")
    assert recipe == "byola" and settings["encoder"] == "AudioNTT2022" and settings["feature_d"] == 3072
    assert settings["random_linear_fader"] and settings["mixup_ratio"] == 0.2 and settings["learning_rate"] == 1e-4
