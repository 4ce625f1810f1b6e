import os
import re
import subprocess
import sys

import pytest

from tests.benchmarks import starts_with_the_machine_stamp

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.large  # times input, augmentation and train steps for a minute
def test_quick_run_prints_the_table_and_the_targets(tmp_path):
    proc = subprocess.run(
        [sys.executable, "benchmarks/throughput.py", "--quick", "--jit-compile", "off", "--write-docs", str(tmp_path)],
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
    # The fraction of peak is rate x the traced graph's GFLOP per clip / GEMM rate; at d=512
    # the graph count is within 3 % of the speed issue's 1.35 GFLOP cost model.
    gflop = float(re.search(r"d=512: ([0-9.]+) GFLOP/clip", out).group(1))
    assert abs(gflop - 1.35) < 0.03 * 1.35
    step = next(l for l in out.splitlines() if l.startswith("(c) train step")).split()
    rate, frac = float(step[-2]), float(step[-1].rstrip("%"))
    recomputed = 100 * rate * gflop / gemm
    # Recomputed from the printed (rounded) figures: allow each one's half-unit of rounding.
    rounding = recomputed * (0.05 / rate + 0.0005 / gflop + 0.05 / gemm) + 0.05
    assert abs(frac - recomputed) <= rounding, (frac, recomputed, rounding)
    assert "Against the targets" in out and "ratio" in out
    assert starts_with_the_machine_stamp(out), out[:500]  # CPU model, flags, cores, versions, date
    assert re.search(r"GEMM peak .*GFLOP/s \((tf.matmul|numpy|torch.mm); tf.matmul [0-9.]+, numpy [0-9.]+", out)
    # --write-docs: the step row as printed, in the Markdown table beside its plot.
    md = (tmp_path / "throughput.md").read_text()
    assert f"| (c) train step | 512 | 8 | False | {rate:.1f} | {frac:.1f} % |" in md, md
    assert (tmp_path / "throughput.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.large  # times train steps of a d=2048 encoder
def test_a_single_wider_feature_d_gets_its_own_targets():
    # `--feature-d 2048` alone crashed in the targets summary, which looked for d=512 rows.
    proc = subprocess.run(
        [sys.executable, "benchmarks/throughput.py", "--quick", "--jit-compile", "off", "--feature-d", "2048"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"d=2048 B=8: step [0-9.]+% of peak \(target >= 55%", proc.stdout), proc.stdout[-2000:]


@pytest.mark.large
def test_another_encoder_gets_its_own_cost_model_and_percent_of_peak():
    proc = subprocess.run(
        [sys.executable, "benchmarks/throughput.py", "--quick", "--jit-compile", "off", "--encoder", "vgg_like"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    gflop = float(re.search(r"Encoder: vgg_like; .* d=512: ([0-9.]+) GFLOP/clip", proc.stdout).group(1))
    assert gflop > 2.0  # VGG-like's 3x3 convolutions at full resolution cost more than AudioNTT2020's
    assert re.search(r"d=512 B=8: step [0-9.]+% of peak \(no target\)", proc.stdout), proc.stdout[-2000:]


@pytest.mark.large
def test_encoder_table_lists_size_speed_and_latency_per_encoder():
    proc = subprocess.run(
        [sys.executable, "benchmarks/encoders.py", "--quick", "--encoders", "audio_ntt2020", "crnn"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert starts_with_the_machine_stamp(proc.stdout), proc.stdout[:500]
    rows = {line.split()[0]: line.split() for line in proc.stdout.splitlines()
            if line.split() and line.split()[0] in ("audio_ntt2020", "crnn")}
    assert rows["audio_ntt2020"][1] == "512" and rows["crnn"][1] == "64"
    import keras_audio_ssl.encoders as encoders

    crnn = encoders.get("crnn", feature_d=64)
    crnn.build((None, 64, 96, 1))
    assert int(rows["crnn"][2].replace(",", "")) == crnn.count_params()
    assert abs(float(rows["audio_ntt2020"][3]) - 1.35) < 0.03 * 1.35  # step GFLOP/clip, the cost model
    for row in rows.values():
        assert all(float(v.rstrip("%")) > 0 for v in row[4:]), row  # clips/s, % peak, GFLOP, ms, % 1-core
