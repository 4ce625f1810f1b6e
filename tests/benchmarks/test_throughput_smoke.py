import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_quick_run_prints_the_table_and_the_targets():
    proc = subprocess.run(
        [sys.executable, "benchmarks/throughput.py", "--quick", "--jit-compile", "off"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    gemm = float(re.search(r"GEMM peak .*: ([0-9.]+) GFLOP/s", out).group(1))
    assert gemm > 0
    for part in ("(a) input, wav folder", "(b) augmentation", "(c) train step", "(d) end to end"):
        line = next(l for l in out.splitlines() if l.startswith(part))
        assert "failed" not in line, line
        assert float(line.split()[-2 if part[1] in "cd" else -1]) > 0, line
    # The fraction of peak is rate * 1.35 GFLOP / GEMM rate.
    step = next(l for l in out.splitlines() if l.startswith("(c) train step")).split()
    rate, frac = float(step[-2]), float(step[-1].rstrip("%"))
    assert abs(frac - 100 * rate * 1.35 / gemm) < 0.1 + 0.01 * frac
    assert "Against the targets" in out and "ratio" in out
    assert re.search(r"Device: CPU \(\d+ logical cores\), \S", out)  # the CPU model is named


def test_a_single_wider_feature_d_gets_its_own_targets():
    # `--feature-d 2048` alone crashed in the targets summary, which looked for d=512 rows.
    proc = subprocess.run(
        [sys.executable, "benchmarks/throughput.py", "--quick", "--jit-compile", "off", "--feature-d", "2048"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"d=2048 B=8: step [0-9.]+% of peak \(target >= 55%", proc.stdout), proc.stdout[-2000:]
