import os
import subprocess
import sys

import pandas as pd
import pytest

offline_benchmark = pytest.importorskip("keras_audio_ssl_tools.offline_benchmark")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.large
def test_quality_benchmark_quick(tmp_path):
    missing = offline_benchmark.missing_by_task(list(offline_benchmark.TASKS))
    if missing:
        pytest.skip("offline benchmark needs Debian packages that are not installed: "
                    + ", ".join(sorted({p for ps in missing.values() for p in ps})))
    out = tmp_path / "quality"
    subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "quality.py"), "--quick",
                    "--benchmark", str(tmp_path / "bench"), "--output", str(out), "--methods", "byol-a", "cola"], check=True, cwd=ROOT)
    long = pd.read_csv(out / "quality.csv")
    assert set(long["encoder"]) == {"byol-a", "cola", "random"}
    summary = pd.read_csv(out / "quality_summary.csv")
    # The average over the linear-protocol tasks, then the frame-level rows (quality.py's docstring).
    tasks = list(summary["task"])
    assert set(tasks[tasks.index("average") + 1:]) == {"sed", "pitch_88"}, tasks
    assert summary[["byol-a", "cola", "random"]].apply(lambda c: c.between(0, 1)).all().all()
    margin = summary["cola margin"] - (summary["cola"] - summary["random"])
    assert margin.abs().max() < 1e-12
    assert "Budget:" in (out / "quality.md").read_text()
