"""benchmarks/ablation.py: variants, the balanced pool, matched random baselines, the table, a tiny grid."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from keras_audio_ssl import synthetic

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))
import ablation  # noqa: E402

from tests.benchmarks import STAMP
from tests.benchmarks import starts_with_the_machine_stamp


def _fake_benchmark(root, speech=6, music=2):
    """A pool (speech/ and music/ folders) and one two-class task: tones low vs high."""
    import soundfile as sf

    rows = []
    for kind, count in (("speech", speech), ("music", music)):
        os.makedirs(root / "audio" / "pretrain_pool" / kind)
        for i, clip in enumerate(synthetic.make_unlabeled_corpus(count, seconds=1.0, seed=len(kind))):
            path = f"audio/pretrain_pool/{kind}/{i}.wav"
            sf.write(root / path, clip, 16000)
            rows.append({"path": path, "label": "", "split": "pretrain", "group": kind})
    pd.DataFrame(rows).to_csv(root / "pretrain_pool.csv", index=False)
    t = np.arange(16000) / 16000.0
    rng = np.random.default_rng(0)
    task = []
    for i in range(24):
        label = ["low", "high"][i % 2]
        hz = rng.uniform(200, 400) if label == "low" else rng.uniform(2000, 4000)
        path = f"audio/tones/{i}.wav"
        os.makedirs(root / "audio" / "tones", exist_ok=True)
        sf.write(root / path, (0.3 * np.sin(2 * np.pi * hz * t) + 0.01 * rng.standard_normal(16000)).astype("float32"),
                 16000)
        task.append({"path": path, "label": label, "split": ["train", "train", "valid", "test"][i // 2 % 4]})
    pd.DataFrame(task).to_csv(root / "tones.csv", index=False)
    (root / "benchmark.json").write_text(json.dumps({"tasks": {
        "pretrain_pool": {"type": "unlabeled", "manifest": "pretrain_pool.csv"},
        "tones": {"type": "classification", "manifest": "tones.csv"}}}))
    return root


def test_balanced_pool_repeats_the_rarer_kind(tmp_path):
    bench = _fake_benchmark(tmp_path / "bench")
    as_built = ablation.pool_paths(str(bench), "benchmark")
    balanced = ablation.pool_paths(str(bench), "balanced", seed=0)
    assert ablation.pool_composition(as_built) == "music 2, speech 6"
    assert ablation.pool_composition(balanced) == "music 6, speech 6"
    assert set(balanced) == set(as_built)  # repeats, nothing new
    assert balanced == ablation.pool_paths(str(bench), "balanced", seed=0)
    with pytest.raises(ValueError, match="pool mode"):
        ablation.pool_paths(str(bench), "speech only")


def test_variants_change_one_thing_and_random_baselines_match_them():
    default, _ = ablation.variant_settings("default", 512)
    assert default == {"feature_d": 512, "learning_rate": 3e-4}
    for name in ablation.VARIANTS:
        settings, pool = ablation.variant_settings(name, 512)
        changed = {k for k in settings if settings[k] != default.get(k)} | ({"pool"} if pool != "benchmark" else set())
        assert len(changed) == 1 or name == "default", (name, changed)
    assert ablation.random_key(ablation.variant_settings("torch init", 512)[0]) == (512, "slaney", "torch")
    assert ablation.random_key(ablation.variant_settings("htk mel", 512)[0]) == (512, "htk", "keras")
    assert ablation.random_key(ablation.variant_settings("rrc", 512)[0]) == ablation.random_key(default)
    with pytest.raises(ValueError, match="Unknown variant 'bogus'"):
        ablation.variant_settings("bogus", 512)


def test_a_combination_applies_every_part_and_nothing_else():
    default, _ = ablation.variant_settings("default", 512)
    for name, (_, parts) in ablation.COMBINATIONS.items():
        settings, pool = ablation.variant_settings(name, 512)
        expected = dict(default)
        for part in parts:
            expected.update(ablation.variant_settings(part, 512)[0])
        assert settings == expected and pool == "benchmark"
        assert len(parts) >= 2 and all(part in ablation.VARIANTS for part in parts)
    settings, _ = ablation.variant_settings("mixup + bn per view", 2048)
    assert settings == {"feature_d": 2048, "learning_rate": 3e-4, "augmentations": ["mixup"],
                        "batch_norm_views": "per_view"}
    assert ablation.describe("mixup + bn per view") == "Mixup only and BatchNorm per view"


def _result(scores_by_task):
    return {"tasks": {t: {"score": float(np.mean(s)), "std": float(np.std(s)), "scores": s}
                      for t, s in scores_by_task.items()}, "epochs": 3, "minutes": 1.0}


def test_summary_table_margins_and_differences_over_seeds():
    # Per seed, a variant's average is the mean over tasks of its probe-seed means.
    random = [_result({"a": [0.5], "b": [0.5]}), _result({"a": [0.5], "b": [0.4]}), _result({"a": [0.5], "b": [0.6]})]
    default = [_result({"a": [0.7], "b": [0.5]}), _result({"a": [0.6, 0.8], "b": [0.5]}), _result({"a": [0.7], "b": [0.5]})]
    rrc = [_result({"a": [0.4], "b": [0.6]}), _result({"a": [0.4], "b": [0.6]}), _result({"a": [0.4], "b": [0.6]})]
    table = ablation.summary_table([("default", "default", default, random), ("rrc", "rrc", rrc, random)])
    table = table.set_index("variant")
    assert table.loc["default", "average"] == pytest.approx(0.6) and table.loc["default", "seeds"] == 3
    assert table.loc["default", "± 95 %"] == pytest.approx(0.0, abs=1e-12)  # 0.6 for every seed
    assert table.loc["default", "random"] == pytest.approx(0.5)
    # Random's per-seed averages 0.5, 0.45, 0.55: margin 0.1 ± t(0.975, 2) * 0.05 / sqrt(3).
    assert table.loc["default", "margin"] == pytest.approx(0.1)
    assert table.loc["default", "margin ±"] == pytest.approx(4.302653 * 0.05 / np.sqrt(3), abs=1e-4)
    assert table.loc["default", "vs random"] == "no difference"  # 0.1 ± 0.124 includes 0
    assert table.loc["rrc", "vs default"] == pytest.approx(-0.1)
    assert table.loc["rrc", "vs default verdict"] == "worse"  # both without spread
    assert table.loc["rrc", "worst task vs random"] == pytest.approx(-0.1)  # task a: 0.4 vs 0.5
    assert table.loc["default", "epochs"] == "3/3/3"


def test_multi_strategy_grid_is_the_papers_ablation_order_on_the_method_defaults():
    import inspect

    from keras_audio_ssl.methods import MultiStrategy

    assert list(ablation.MULTI_STRATEGY_VARIANTS) == ["clip", "clip+frame", "clip+pitch", "all"]
    weights = {name: ablation.variant_settings(name, 512, method="multi-strategy")[0]
               for name in ablation.MULTI_STRATEGY_VARIANTS}
    assert weights["all"] == {"feature_d": 512, "encoder": "audio_ntt2020"}  # the class defaults, α = β = 1
    defaults = inspect.signature(MultiStrategy.__init__).parameters
    assert defaults["frame_weight"].default == 1.0 and defaults["pitch_weight"].default == 1.0
    assert weights["clip"]["frame_weight"] == 0.0 and weights["clip"]["pitch_weight"] == 0.0
    assert "frame_weight" not in weights["clip+frame"] and weights["clip+frame"]["pitch_weight"] == 0.0
    assert "pitch_weight" not in weights["clip+pitch"] and weights["clip+pitch"]["frame_weight"] == 0.0
    with pytest.raises(ValueError, match="Unknown variant 'rrc'"):
        ablation.variant_settings("rrc", 512, method="multi-strategy")
    with pytest.raises(ValueError, match="Unknown method"):
        ablation.variant_settings("clip", 512, method="wav2vec")


@pytest.mark.large  # pretrains and probes two variants and a curve in subprocesses: minutes on 2 cores
def test_a_tiny_grid_runs_keeps_results_and_reruns_without_training(tmp_path):
    bench = _fake_benchmark(tmp_path / "bench")
    out = tmp_path / "ablation"
    command = [sys.executable, "benchmarks/ablation.py", "--benchmark", str(bench), "--output", str(out),
               "--variants", "default", "torch init", "--minutes", "0.02", "--curve", "0.05", "0.1",
               "--curve-variant", "torch init", "--epochs", "2",
               "--feature-d", "16", "--batch-size", "4", "--probe-runs", "2", "--probe-epochs", "20", "--seeds", "2",
               "--write-docs", str(tmp_path / "docs_results")]
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert starts_with_the_machine_stamp(proc.stdout), proc.stdout[:500]
    assert STAMP.search((out / "ablation.md").read_text())
    table = pd.read_csv(out / "ablation.csv").set_index("variant")
    # The curve continues the "torch init" run: its rows keep that variant's random baseline.
    assert list(table.index) == ["default", "torch init", "torch init @ 0.05 min", "torch init @ 0.1 min"]
    assert table.loc["torch init @ 0.1 min", "random"] == table.loc["torch init", "random"]
    assert table.loc["torch init", "margin"] == pytest.approx(table.loc["torch init", "average"]
                                                              - table.loc["torch init", "random"], abs=2e-4)
    assert table["tones"].between(0, 1).all() and (table["seeds"] == 2).all()
    assert table["vs random"].isin(["better", "worse", "no difference"]).all()
    # Two random baselines per seed, one per initialization scheme; the curve's later point trained on.
    kept = ["default", "torch_init", "torch_init___0_05_min", "torch_init___0_1_min", "random_d16_slaney_keras",
            "random_d16_slaney_torch"]
    assert sorted(os.listdir(out / "results")) == sorted(f"{k}_seed{s}.json" for k in kept for s in (0, 1))
    for s in (0, 1):
        curve = [json.loads((out / "results" / f"{f}_seed{s}.json").read_text())["epochs"]
                 for f in ("torch_init___0_05_min", "torch_init___0_1_min")]
        assert curve[1] >= curve[0] >= 1
    assert sorted(os.listdir(out / "runs")) == ["default_seed0", "default_seed1", "torch_init_seed0", "torch_init_seed1"]
    assert re.search(r"\|\s*torch init @ 0\.1 min\s*\|", (tmp_path / "docs_results" / "ablation.md").read_text())
    assert (tmp_path / "docs_results" / "ablation.png").stat().st_size > 0
    # A second call reads the kept results: nothing is trained or probed again.
    first = pd.read_csv(out / "ablation.csv")
    again = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "pool clips" not in again.stdout and "[ablation] tones" not in again.stdout
    pd.testing.assert_frame_equal(pd.read_csv(out / "ablation.csv"), first)
    bad = subprocess.run([*command[:6], "--variants", "bogus"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Unknown variant 'bogus'" in bad.stderr


def test_the_curve_must_start_after_the_default_budget(tmp_path):
    with pytest.raises(ValueError, match="curve"):
        ablation.run(str(_fake_benchmark(tmp_path / "bench")), output=str(tmp_path / "out"), variants=("default",),
                     curve=(5.0, 10.0), minutes=5.0)
    with pytest.raises(ValueError, match="increasing"):
        ablation.run(str(tmp_path / "bench"), output=str(tmp_path / "out"), variants=("default",), curve=(20.0, 10.0))


@pytest.mark.large  # pretrains multi-strategy twice per seed, two seeds: a minute or two on 2 cores
def test_the_multi_strategy_grid_runs_over_seeds_beside_its_reference(tmp_path):
    bench = _fake_benchmark(tmp_path / "bench")
    table = ablation.run(str(bench), output=str(tmp_path / "out"), method="multi-strategy", variants=("clip", "all"),
                         epochs=1, minutes=1.0, feature_d=16, batch_size=4, probe_runs=2, probe_epochs=10, seeds=2,
                         verbose=0).set_index("variant")
    assert list(table.index) == ["clip", "all"] and (table["seeds"] == 2).all()
    assert table.loc["all", "vs all verdict"] == "-" and table.loc["all", "vs all"] == 0.0
    assert table.loc["clip", "vs all"] == pytest.approx(table.loc["clip", "average"] - table.loc["all", "average"],
                                                        abs=2e-4)
    kept = json.loads((tmp_path / "out" / "results" / "clip_seed1.json").read_text())
    assert kept["settings"] == {"feature_d": 16, "encoder": "audio_ntt2020", "frame_weight": 0.0, "pitch_weight": 0.0}
    assert kept["seed"] == 1


def test_each_method_grid_writes_its_own_results_file(tmp_path):
    # BYOL-A's grid and multi-strategy's are both generated into docs/results/: neither may overwrite the other.
    assert ablation.results_name("byol-a") == "ablation"
    assert ablation.results_name("multi-strategy") == "ablation_multi_strategy"
    table = pd.DataFrame({"variant": ["clip", "all"], "minutes": [1.0, 1.0], "average": [0.5, 0.6],
                          "± 95 %": [0.01, 0.02], "random": [0.4, 0.4]})
    table.attrs.update(method="multi-strategy", budget_line="Budget: a test.")
    ablation.write_docs(table, str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["ablation_multi_strategy.md", "ablation_multi_strategy.png"]
    assert "| clip" in (tmp_path / "ablation_multi_strategy.md").read_text()
