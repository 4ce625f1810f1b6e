"""benchmarks/quality.py's table: every method beside the random encoder of its own architecture."""

import os
import sys

import pandas as pd
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

import quality  # noqa: E402


def _long(scores):
    """Result rows as `quality.run` gives them: one per (task, encoder, pretraining seed); `score` is the
    seed's mean over its probe seeds."""
    return pd.DataFrame([
        {"task": task, "protocol": "linear", "metric": "accuracy", "encoder": encoder, "seed": seed,
         "score": score, "score_std": 0.0, "scores": str(score)}
        for (task, encoder), per_seed in scores.items() for seed, score in enumerate(per_seed)
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
    # Per-seed averages 0.5 and 0.6: sample std 0.0707, t(0.975, 1) = 12.706, half width 12.706 * 0.05.
    assert table.loc["average", "byol-a ±"] == pytest.approx(12.7062 * 0.05, rel=1e-4)
    assert table.loc["a", "byol-a margin verdict"] == "better"  # no spread on either side
    assert table.loc["average", "byol-a margin verdict"] == "no difference"
    shown = quality._pm(table.reset_index(), ["byol-a", "byol-a v2"], baselines)
    assert list(shown.columns) == ["task", "metric", "byol-a", "byol-a v2", "random", "random AudioNTT2022",
                                   "byol-a margin", "byol-a v2 margin"]
    assert shown.set_index("task").loc["a", "byol-a margin"] == "+0.1000 ± 0.0000 (better)"


def test_a_margin_is_called_worse_only_when_its_interval_excludes_zero():
    long = _long({("a", "byol-a"): [0.40, 0.41, 0.42], ("a", "random"): [0.50, 0.51, 0.52],
                  ("b", "byol-a"): [0.40, 0.60, 0.50], ("b", "random"): [0.52, 0.48, 0.50]})
    table = quality._summary_table(long, ["byol-a"]).set_index("task")
    assert table.loc["a", "margin"] == pytest.approx(-0.1) and table.loc["a", "margin verdict"] == "worse"
    assert table.loc["b", "margin verdict"] == "no difference"
    assert list(table.index) == ["a", "b", "average"]
    assert table.loc["average", "byol-a n"] == 3


def test_one_seed_prints_means_without_an_interval():
    long = _long({("a", "byol-a"): [0.6], ("a", "random"): [0.5]})
    shown = quality._pm(quality._summary_table(long, ["byol-a"]), ["byol-a"]).set_index("task")
    assert shown.loc["a", "byol-a"] == "0.6000"
    assert shown.loc["a", "margin"] == "+0.1000 (no interval (n=1))"


def test_byol_a_v2_is_listed_with_the_papers_settings():
    recipe, settings = quality.variant_settings("byol-a v2")
    assert recipe == "byola" and settings["encoder"] == "AudioNTT2022" and settings["feature_d"] == 3072
    assert settings["random_linear_fader"] and settings["mixup_ratio"] == 0.2 and settings["learning_rate"] == 1e-4


def test_the_initial_encoder_row_is_those_weights_as_is_behind_the_pools_statistics(tmp_path):
    import keras
    import numpy as np

    from keras_audio_ssl.encoders import AudioNTT2020
    from keras_audio_ssl.encoders import build_embedding_model

    keras.utils.set_random_seed(5)
    given = AudioNTT2020(feature_d=16)
    given.save(tmp_path / "encoder.keras")
    stats = {"mean": -5.0, "std": 3.0}
    model = quality.initial_embedding_model(str(tmp_path / "encoder.keras"), "audio_ntt2020", 16, stats)
    waves = (0.1 * np.random.default_rng(0).standard_normal((2, 16000))).astype("float32")
    expected = build_embedding_model(given, **stats)(waves)
    np.testing.assert_allclose(np.asarray(model(waves)), np.asarray(expected), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="feature_d=16"):
        quality.initial_embedding_model(str(tmp_path / "encoder.keras"), "audio_ntt2020", 32, stats)


@pytest.mark.large  # pretrains twice per seed (cold and warm) and probes four encoders, two seeds: a minute or two
def test_a_tiny_run_over_two_seeds_with_an_initial_encoder(tmp_path):
    import keras

    from keras_audio_ssl.encoders import AudioNTT2020
    from tests.benchmarks.test_ablation import _fake_benchmark

    bench = _fake_benchmark(tmp_path / "bench")
    keras.utils.set_random_seed(5)
    AudioNTT2020(feature_d=16).save(tmp_path / "given.keras")
    result = quality.run(str(bench), output=str(tmp_path / "out"), methods=("byol-a",), epochs=1, minutes=1.0,
                         feature_d=16, batch_size=4, probe_runs=2, probe_epochs=10, seeds=2, frame_tasks=False,
                         initial_encoder=str(tmp_path / "given.keras"), initial_name="given", verbose=0)
    long = pd.read_csv(tmp_path / "out" / "quality.csv")
    assert sorted(set(long["encoder"])) == ["byol-a", "byol-a from given", "given", "random"]
    assert sorted(set(long["seed"])) == [0, 1] and len(long) == 4 * 2  # one task x four encoders x two seeds
    table = result["table"].set_index("task")
    assert list(table.index) == ["tones", "average"]
    for name in ("byol-a", "byol-a from given", "given"):
        margin = table.loc["average", f"{name} margin"]
        assert margin == pytest.approx(table.loc["average", name] - table.loc["average", "random"])
        assert table.loc["average", f"{name} margin verdict"] in ("better", "worse", "no difference")
    assert sorted(os.listdir(tmp_path / "out")) == sorted(
        ["quality.csv", "quality.md", "quality_summary.csv"]
        + [f"{run}_seed{s}_run" for run in ("byol-a", "byol-a_from_given") for s in (0, 1)])
    assert result["minutes"]["given"] == 0.0 and "given = " in result["budget_line"]
    quality.write_docs(result, str(tmp_path / "docs"))
    assert (tmp_path / "docs" / "quality.png").stat().st_size > 0
