"""benchmarks/interleaved.py (settings timed in turn) and benchmarks/op_profile.py (the step per op kind)."""

import os
import subprocess
import sys

import pytest
import tensorflow as tf

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

import interleaved  # noqa: E402
import op_profile  # noqa: E402


def test_a_setting_splits_into_environment_and_options():
    assert interleaved.parse_setting("default") == ("default", {}, {})
    name, env, options = interleaved.parse_setting("avx2: ONEDNN_MAX_CPU_ISA=AVX2 jit=on intra=1 tree=/x")
    assert name == "avx2" and env == {"ONEDNN_MAX_CPU_ISA": "AVX2"}
    assert options == {"jit": "on", "intra": "1", "tree": "/x"}
    for bad in (": A=1", "x: noequals", "x: threads=2", "x: jit=maybe"):
        with pytest.raises(ValueError, match="Received: setting="):
            interleaved.parse_setting(bad)


def test_bad_arguments_are_one_line_and_exit_2(tmp_path):
    for args in (["--setting", "a", "--setting", "a"], ["--setting", f"b: tree={tmp_path}"], ["--steps", "0"]):
        proc = subprocess.run([sys.executable, "benchmarks/interleaved.py", *args], cwd=REPO, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and "Received:" in proc.stderr, proc.stderr


def test_op_kinds_and_the_flops_of_a_convolution_and_its_gradients():
    assert op_profile.kind_of("_MklNativeConv2DBackpropFilterWithBias") == "conv filter grad"
    assert op_profile.kind_of("_MklNativeFusedConv2D") == "conv forward"
    assert op_profile.kind_of("_MklNativeFusedBatchNormGradV3") == "BatchNorm backward"
    assert op_profile.kind_of("AssignSubVariableOp") == "variable updates (Adam, EMA)"
    assert op_profile.kind_of("Mul") == op_profile.OTHER
    kernel = tf.Variable(tf.ones((3, 3, 2, 5)))
    dense = tf.Variable(tf.ones((7, 4)))

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            out = tf.nn.conv2d(x, kernel, strides=1, padding="SAME")
            loss = tf.reduce_sum(out) + tf.reduce_sum(tf.matmul(y, dense))
        return tape.gradient(loss, [x, kernel, dense])

    graph = step.get_concrete_function(tf.TensorSpec((2, 8, 6, 2)), tf.TensorSpec((3, 7))).graph
    flops = op_profile.graph_flops(graph)
    conv = 2 * 2 * 8 * 6 * 5 * 3 * 3 * 2  # 2 x N x H x W x Cout x kh x kw x Cin
    assert flops["conv forward"] == flops["conv input grad"] == flops["conv filter grad"] == conv
    # forward 3x7 @ 7x4, and the weight's gradient 7x3 @ 3x4 (the input y needs none)
    assert flops["matmul (MLP, heads)"] == 2 * 2 * 3 * 7 * 4


@pytest.mark.large  # two worker processes build and time a tiny BYOL-A step (~40 s)
def test_two_settings_give_equal_losses_and_a_ratio_table():
    proc = subprocess.run(
        [sys.executable, "benchmarks/interleaved.py", "--setting", "a: intra=1 inter=1", "--setting", "b: intra=1 inter=1 KMP_BLOCKTIME=0",
         "--feature-d", "16", "--batch-size", "2", "--rounds", "2", "--steps", "1"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {line.split("|")[1].strip(): line.split("|")[2:-1] for line in proc.stdout.splitlines()
            if line.startswith("| a ") or line.startswith("| b ")}
    assert set(rows) == {"a", "b"}, proc.stdout
    assert float(rows["a"][2]) == 1.0 and float(rows["b"][2]) > 0
    # The same single-threaded step in two processes (an environment variable that does not touch the
    # maths) gives the same losses; thread counts alone move them by ~1e-4 after 3 steps of a tiny BN batch.
    assert float(rows["b"][4]) < 1e-6
