"""benchmarks/data_size.py: pool specs, the per-pool rows, the plot, and a tiny run over two pool sizes."""

import os
import re
import subprocess
import sys

import pandas as pd
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))
import data_size  # noqa: E402

from tests.benchmarks import STAMP
from tests.benchmarks import starts_with_the_machine_stamp


def test_a_pool_is_a_source_and_an_optional_clip_count(tmp_path):
    assert data_size.parse_pool("benchmark") == ("benchmark", None)
    assert data_size.parse_pool("full:2825") == ("full", 2825)
    assert data_size.parse_pool("/data/pool:10") == ("/data/pool", 10)
    with pytest.raises(ValueError, match="positive integer. Received: pools=\\[..., 'full:0'"):
        data_size.parse_pool("full:0")
    assert data_size.pool_folder("benchmark", "BENCH", str(tmp_path), 0) == "BENCH"
    with pytest.raises(ValueError, match="pretrain_pool.csv. Received: pools=\\[..., 'nowhere'"):
        data_size.pool_folder("nowhere", "BENCH", str(tmp_path), 0)


def _quality_result(clips, minutes, byol, random):
    table = pd.DataFrame([{"task": "average", "metric": "mean", "byol-a": byol, "byol-a ±": 0.02, "byol-a n": 3,
                           "random": random, "random ±": 0.01, "random n": 3, "margin": byol - random,
                           "margin ±": 0.03, "margin verdict": "better" if byol - random > 0.03 else "no difference"}])
    return {"table": table, "pool_clips": clips, "minutes": {"byol-a": minutes}}


def test_rows_per_pool_and_the_plot(tmp_path):
    rows = (data_size.summary_rows("benchmark", _quality_result(565, 3.0, 0.50, 0.49), ["byol-a"])
            + data_size.summary_rows("full", _quality_result(3900, 3.1, 0.60, 0.49), ["byol-a"]))
    table = pd.DataFrame(rows)
    assert list(table["row"]) == ["byol-a", "random", "byol-a", "random"]
    assert list(table["clips"]) == [565, 565, 3900, 3900]
    byol = table[table["row"] == "byol-a"].set_index("pool")
    assert byol.loc["full", "vs random"] == "better" and byol.loc["benchmark", "vs random"] == "no difference"
    assert byol.loc["full", "margin"] == pytest.approx(0.11)
    assert pd.isna(table[table["row"] == "random"]["margin"]).all()
    table.attrs["budget_line"] = "Budget: two pools."
    data_size.write_docs(table, str(tmp_path), command="python benchmarks/data_size.py")
    text = (tmp_path / "data_size.md").read_text()
    assert "Budget: two pools." in text and re.search(r"\|\s*full\s*\|\s*3900\s*\|\s*byol-a\s*\|", text) and STAMP.search(text)
    assert (tmp_path / "data_size.png").stat().st_size > 0


@pytest.mark.large  # builds the tiny benchmark and pretrains at two pool sizes x two seeds: minutes on 2 cores
def test_quick_run_over_two_pool_sizes(tmp_path):
    from keras_audio_ssl_tools import offline_benchmark

    missing = offline_benchmark.missing_by_task(list(offline_benchmark.TASKS))
    if missing:
        pytest.skip("offline benchmark needs Debian packages that are not installed: "
                    + ", ".join(sorted({p for ps in missing.values() for p in ps})))
    out, docs = tmp_path / "data_size", tmp_path / "docs"
    proc = subprocess.run([sys.executable, "benchmarks/data_size.py", "--quick", "--benchmark", str(tmp_path / "bench"),
                           "--output", str(out), "--write-docs", str(docs)],
                          cwd=REPO, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert starts_with_the_machine_stamp(proc.stdout), proc.stdout[:500]
    table = pd.read_csv(out / "data_size.csv")
    assert list(table["row"]) == ["byol-a", "random", "byol-a", "random"]
    clips = list(table["clips"])
    assert clips[0] == 12 and clips[2] > 12
    assert table["average"].between(0, 1).all() and table["± 95 %"].notna().all()  # 2 seeds: an interval
    assert (docs / "data_size.png").stat().st_size > 0 and "not a measurement" in (docs / "data_size.md").read_text()


@pytest.mark.large  # pretrains at two pool sizes x two seeds and probes: a minute or two on 2 cores
def test_two_pool_sizes_of_a_small_benchmark_in_process(tmp_path):
    from tests.benchmarks.test_ablation import _fake_benchmark

    bench = _fake_benchmark(tmp_path / "bench")  # 8 pool clips
    table = data_size.run(str(bench), output=str(tmp_path / "out"), pools=("benchmark:4", "benchmark"),
                          methods=("byol-a",), seeds=2, epochs=1, minutes=1.0, feature_d=16, batch_size=4,
                          probe_runs=2, probe_epochs=10, verbose=0)
    assert list(zip(table["pool"], table["clips"], table["row"])) == [
        ("benchmark:4", 4, "byol-a"), ("benchmark:4", 4, "random"), ("benchmark", 8, "byol-a"), ("benchmark", 8, "random")]
    assert table["average"].between(0, 1).all() and table["± 95 %"].notna().all()
    assert table[table["row"] == "byol-a"]["vs random"].isin(["better", "worse", "no difference"]).all()
    assert sorted(os.listdir(tmp_path / "out")) == ["benchmark", "benchmark_4", "data_size.csv", "data_size.md"]
