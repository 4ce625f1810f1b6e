import os
import re
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

import scaling  # noqa: E402

from tests.benchmarks import starts_with_the_machine_stamp


def test_audioset_estimate_follows_its_stated_model():
    per_gpu, rows = scaling.audioset_estimate(
        gflop_per_clip=2.0, gradient_mb=100.0, batch_per_gpu=200, gpus=[1, 4], gpu_tflops=10.0,
        allreduce_gbps=10.0, input_per_core=1000.0, cores_per_gpu=8, storage_gbps=100.0, clip_mb=0.32,
        clips=1_000_000)
    assert per_gpu == 5000.0  # 10 TFLOP/s / 2 GFLOP per clip
    (n1, hours1, eff1, limit1), (n4, hours4, eff4, limit4) = rows
    assert (n1, eff1, limit1) == (1, 1.0, "compute")
    assert hours1 == pytest.approx(1_000_000 / 5000 / 3600)
    # 4 GPUs: compute 200 / 5000 = 40 ms a step; ring all-reduce 2 * 3/4 * 0.1 GB / 10 GB/s = 15 ms.
    assert eff4 == pytest.approx(40 / 55)
    assert limit4 == "compute" and hours4 == pytest.approx(1_000_000 / (4 * 5000 * 40 / 55) / 3600)
    # Eight cores at 500 clips/s decode 4,000 clips/s, less than the GPU's 5,000.
    _, [(_, hours, _, limit)] = scaling.audioset_estimate(
        gflop_per_clip=2.0, gradient_mb=100.0, batch_per_gpu=200, gpus=[1], gpu_tflops=10.0,
        allreduce_gbps=10.0, input_per_core=500.0, cores_per_gpu=8, storage_gbps=100.0, clip_mb=0.32,
        clips=1_000_000)
    assert limit == "decoding" and hours == pytest.approx(1_000_000 / 4000 / 3600)
    # 64 GPUs want 64 x 5,000 clips/s; 1.6 GB/s of 0.32-MB clips is 5,000 clips/s for all of them.
    _, [(_, hours, _, limit)] = scaling.audioset_estimate(
        gflop_per_clip=2.0, gradient_mb=100.0, batch_per_gpu=200, gpus=[64], gpu_tflops=10.0,
        allreduce_gbps=10.0, input_per_core=1000.0, cores_per_gpu=8, storage_gbps=1.6, clip_mb=0.32,
        clips=1_000_000)
    assert limit == "storage" and hours == pytest.approx(1_000_000 / 5000 / 3600)


@pytest.mark.large  # times training at several batch sizes and replica counts
def test_quick_run_prints_the_three_tables(tmp_path):
    proc = subprocess.run(
        [sys.executable, "benchmarks/scaling.py", "--quick", "--replicas", "1", "2", "--batch-sizes", "8",
         "--write-docs", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert starts_with_the_machine_stamp(out), out[:500]
    assert "Throughput vs batch size" in out and "Throughput vs replicas" in out
    rows = {int(m.group(1)): m for m in re.finditer(r"^\s+(\d)\s+([0-9.]+)\s+([0-9.]+)x\s+([0-9.]+)\s+([0-9.]+)\s+"
                                                      r"([0-9.]+)%$", out, re.M)}
    assert set(rows) == {1, 2} and float(rows[1].group(5)) == 0.0 and float(rows[2].group(5)) > 0
    assert re.search(r"One AudioSet epoch .* [0-9.]+ GFLOP/clip", out) and "ASSUMED" in out
    assert re.search(r"^\s+256\s+[0-9.]+\s+[0-9.]+ h", out, re.M)
    # --write-docs: the replicas row as printed, in the Markdown table beside its plot.
    two = rows[2]
    md = (tmp_path / "scaling.md").read_text()
    assert f"| 2 | {two.group(2)} | {two.group(3)}x | " in md and "not a measurement" in md
    assert (tmp_path / "scaling.png").read_bytes()[:4] == b"\x89PNG"


def test_bad_arguments_exit_2_naming_them():
    proc = subprocess.run([sys.executable, "benchmarks/scaling.py", "--replicas", "3", "--global-batch", "64"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "does not split evenly between [3] replicas" in proc.stderr
