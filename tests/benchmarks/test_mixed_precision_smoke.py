import os
import re
import subprocess
import sys

import pytest

from tests.benchmarks import starts_with_the_machine_stamp

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.large  # builds and traces 2 x 3 policies of BYOL-A, then trains 3 tiny runs
def test_tiny_run_prints_the_speed_and_the_loss_tables():
    proc = subprocess.run(
        [sys.executable, "benchmarks/mixed_precision.py", "--feature-d", "16", "--batch-size", "8", "--cycles", "2",
         "--epochs", "2", "--clips", "16", "--loss-feature-d", "16"],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert starts_with_the_machine_stamp(out), out[:500]
    for policy in ("float32", "mixed_bfloat16", "mixed_float16"):
        for part in ("(c) train step", "(d) end to end"):
            line = next(l for l in out.splitlines() if l.startswith(part) and f" {policy} " in l)
            assert "failed" not in line, line
    # Two epochs of losses per run (3 policies, float32 with the next seed), and each one's difference to float32.
    rows = [l.split() for l in out.splitlines() if re.match(r"\s+[12]\s+-?[0-9.]+\s", l)]
    assert len(rows) == 2 and all(len(r) == 1 + 4 + 3 for r in rows), rows
    assert len(re.findall(r"max \|[\w ]+ - float32\| = [0-9.]+", out)) == 3
