import os
import re
import subprocess
import sys

import pytest

from tests.benchmarks import starts_with_the_machine_stamp

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.large  # times each variant's inference at several thread counts
def test_quick_latency_prints_the_one_core_fraction_and_the_faster_thread_count(tmp_path):
    proc = subprocess.run(
        [sys.executable, "benchmarks/latency.py", "--quick", "--variants", "fp32", "--batch-clips", "4",
         "--write-docs", str(tmp_path / "results")],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert starts_with_the_machine_stamp(out), out[:500]
    assert "tf.lite.Interpreter is deprecated" not in proc.stdout + proc.stderr  # LiteRT's interpreter
    peak = float(re.search(r"one core's GEMM peak ([0-9.]+) GFLOP/s", out).group(1))
    gflop = float(re.search(r"d=512: ([0-9.]+) GFLOP", out).group(1))
    assert peak > 0 and 0.1 < gflop < 0.3  # AudioNTT2020 d=512 on 1 s: about 0.18 GFLOP
    row = next(line for line in out.splitlines() if "tflite fp32" in line and "%" in line).split()
    one_ms, fraction, many_ms, faster = float(row[4]), float(row[5].rstrip("%")), float(row[6]), row[7]
    recomputed = 100 * gflop / (one_ms / 1000) / peak
    # Recomputed from the printed (rounded) figures: allow each one's half-unit of rounding.
    rounding = recomputed * (0.0005 / gflop + 0.005 / one_ms + 0.05 / peak) + 0.05
    assert abs(fraction - recomputed) <= rounding, (fraction, recomputed, rounding)
    assert faster == ("1" if one_ms <= many_ms else str(os.cpu_count()))
    assert re.search(r"tflite fp32\s+[0-9.]+\s+\d+ thread", out)  # the batch figure
    assert re.search(r"keras, one call\s+[0-9.]+", out) and re.search(r"keras, chunks of \d+\s+[0-9.]+", out)
    # --write-docs: the same figures as a Markdown table and a plot for the documentation.
    md = (tmp_path / "results" / "latency.md").read_text()
    assert f"| 512 | tflite fp32 | " in md and f"| {one_ms:.2f} | {fraction:.1f} % |" in md, md
    assert "not a measurement" in md and "latency.png" in md
    assert (tmp_path / "results" / "latency.png").read_bytes()[:4] == b"\x89PNG"
