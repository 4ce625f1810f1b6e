"""benchmarks/block_alternatives.py: the encoder block's ops against same-numbers alternatives."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

import block_alternatives  # noqa: E402


@pytest.mark.parametrize("variant", block_alternatives.VARIANTS[1:])
def test_every_alternative_computes_the_as_built_block(variant):
    x = tf.random.stateless_normal((4, 16, 24, 3), seed=(3, 4))

    def run(name):
        step = block_alternatives._step(block_alternatives.build_block(name, (16, 24, 3)))
        return {k: t.numpy() for k, t in step(x).items()}

    built, other = run("as built"), run(variant)
    shapes = {"output": (4, 8, 12, 64), "input gradient": (4, 16, 24, 3), "kernel gradient": (3, 3, 3, 64),
              "bias gradient": (64,), "gamma gradient": (64,), "beta gradient": (64,)}
    assert {k: v.shape for k, v in built.items()} == {k: v.shape for k, v in other.items()} == shapes
    assert np.abs(built["output"]).max() > 0.1 and np.abs(built["input gradient"]).max() > 0.1  # not zeros
    assert block_alternatives._relative_difference(other, built) < 1e-4


def test_the_first_block_leaves_out_the_input_gradient_as_training_does():
    step = block_alternatives._step(block_alternatives.build_block("as built", (16, 24, 1)), input_gradient=False)
    assert "input gradient" not in step(tf.ones((2, 16, 24, 1)))


def test_the_difference_names_a_lever_that_changes_the_numbers():
    names = ("output", "kernel gradient", "bias gradient", "gamma gradient")
    a = {name: np.ones(3) for name in names}
    b = {name: v.copy() for name, v in a.items()}
    b["bias gradient"] += 1e-3  # rounding noise on both sides, not compared
    assert block_alternatives._relative_difference(a, b) == 0.0
    b["kernel gradient"] = b["kernel gradient"] * 1.01
    assert block_alternatives._relative_difference(a, b) == pytest.approx(0.01 / 1.01)


def test_a_small_run_prints_and_writes_the_table(tmp_path):
    proc = subprocess.run([sys.executable, "benchmarks/block_alternatives.py", "--batch-size", "1", "--rounds", "2",
                           "--steps", "1", "--isa", "native", "avx2", "--write-docs", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    written = (tmp_path / "block_alternatives.md").read_text()
    assert (tmp_path / "block_alternatives.png").stat().st_size > 0
    rows = [line for line in written.splitlines() if line.startswith("| native") or line.startswith("| avx2")]
    assert len(rows) == 2 * len(block_alternatives.BLOCKS) * len(block_alternatives.VARIANTS)
    assert "held to AVX2" in written and "by `python benchmarks/block_alternatives.py" in written
    for row in rows:
        difference = float(row.strip("| ").split(" | ")[-1])
        assert difference < 1e-4, row


def test_bad_arguments_are_one_line_and_exit_2():
    for args in (["--rounds", "0"], ["--isa", "avx3"], ["--batch-size", "-1"]):
        proc = subprocess.run([sys.executable, "benchmarks/block_alternatives.py", *args], cwd=REPO,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.strip().splitlines()[-1].startswith("block_alternatives.py: error:"), proc.stderr
