"""Shared test helpers, in the spirit of keras-hub's TestCase.

`run_layer_test` checks what every layer of this project must satisfy: an eager
call and a symbolic call agree on shape and dtype, `get_config` round-trips
through `from_config`, and a model holding the layer survives a `.keras`
save/load with identical outputs.

`run_loss_test` checks a loss (which returns `(loss, diagnostics)` or a
scalar) against a plain NumPy reference over a grid of shapes and
hyperparameters, and against closed-form cases.
"""

import os
import tempfile

import keras
import numpy as np


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_data,
    expected_output_shape=None,
    expected_output_dtype="float32",
    call_kwargs=None,
    run_saving=True,
    atol=1e-6,
):
    call_kwargs = call_kwargs or {}
    layer = layer_cls(**init_kwargs)

    # Eager call.
    output = layer(input_data, **call_kwargs)
    output = keras.ops.convert_to_numpy(output)
    if expected_output_shape is not None:
        assert tuple(output.shape) == tuple(expected_output_shape), (
            f"eager output shape {output.shape} != {expected_output_shape}"
        )
    assert str(output.dtype) == expected_output_dtype, output.dtype
    assert np.all(np.isfinite(output)), "layer produced non-finite values"

    # Symbolic call: same shape as compute_output_shape / eager.
    sym_in = keras.Input(batch_shape=tuple(np.shape(input_data)), dtype=str(np.asarray(input_data).dtype))
    sym_out = layer_cls(**init_kwargs)(sym_in, **call_kwargs)
    assert tuple(sym_out.shape) == tuple(output.shape), (
        f"symbolic shape {sym_out.shape} != eager shape {output.shape}"
    )

    # Config round trip.
    config = layer.get_config()
    for key in init_kwargs:
        assert key in config, f"get_config() is missing constructor argument {key!r}"
    revived = layer_cls.from_config(config)
    assert revived.get_config() == config

    if run_saving:
        inp = keras.Input(batch_shape=tuple(np.shape(input_data)), dtype=str(np.asarray(input_data).dtype))
        model = keras.Model(inp, layer(inp, **call_kwargs))
        before = keras.ops.convert_to_numpy(model(input_data, training=False))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.keras")
            model.save(path)
            loaded = keras.saving.load_model(path)
        after = keras.ops.convert_to_numpy(loaded(input_data, training=False))
        np.testing.assert_allclose(before, after, atol=atol)
    return output


def run_loss_test(loss_fn, reference_fn, make_inputs, grid, closed_form=(), rtol=1e-5, atol=1e-5, seed=0):
    """Compares `loss_fn` with a NumPy `reference_fn` over `grid`, then closed-form cases.

    Args:
        loss_fn: `loss_fn(**inputs, **params)` -> scalar or `(scalar, diagnostics)`.
        reference_fn: the same signature on NumPy arrays -> float.
        make_inputs: `make_inputs(rng, **params)` -> dict of float32 arrays.
        grid: list of dicts of parameters (shapes, temperatures, ...); each key is
            passed to `make_inputs`, and those `loss_fn` accepts to both functions.
        closed_form: `(inputs, params, expected)` triples with a hand-derived answer.

    Returns:
        The diagnostics of the last grid case (for further assertions), or None.
    """
    import inspect

    accepted = set(inspect.signature(reference_fn).parameters)
    rng = np.random.default_rng(seed)
    diagnostics = None
    assert grid, "run_loss_test needs at least one grid case"
    for params in grid:
        inputs = make_inputs(rng, **params)
        loss_params = {k: v for k, v in params.items() if k in accepted}
        got = loss_fn(**inputs, **loss_params)
        if isinstance(got, tuple):
            got, diagnostics = got
        got = float(keras.ops.convert_to_numpy(got))
        expected = float(reference_fn(**{k: np.asarray(v, np.float64) for k, v in inputs.items()}, **loss_params))
        assert np.isfinite(got), f"non-finite loss for {params}"
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=f"grid case {params}")
    for inputs, params, expected in closed_form:
        got = loss_fn(**inputs, **params)
        if isinstance(got, tuple):
            got = got[0]
        np.testing.assert_allclose(
            float(keras.ops.convert_to_numpy(got)), expected, rtol=rtol, atol=atol, err_msg=f"closed form {params}"
        )
    return diagnostics


def write_wav(path, samples, sample_rate=16000, subtype="PCM_16"):
    """Writes a WAV/FLAC/OGG file with soundfile (format from the extension)."""
    import soundfile as sf

    sf.write(str(path), np.asarray(samples), sample_rate, subtype=subtype)
    return str(path)


def tone(freq=440.0, seconds=1.0, sample_rate=16000, amplitude=0.5):
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def run_method_test(build_model, waveforms, *, tmp_path, epochs=8, batch_size=8, min_loss_drop=0.1,
                    mirrored_builder=None):
    """What every self-supervised method must do, on a tiny model and a tiny set.

    1. One `train_step`: finite logs for every tracked metric; the optimizer's
       variables move, the ones the method keeps out of the optimizer
       (momentum targets) are not among them.
    2. The loss falls over `epochs` of `fit` (by `min_loss_drop`), without a
       collapse warning flag.
    3. A `.keras` save/load round trip restores the method (same config) and
       the next step is identical for the original and the loaded model.
    4. With `mirrored_builder` ("module:function", see
       tests/methods/method_builders.py), one step under MirroredStrategy on 2
       logical CPUs equals the single-device step (subprocess).

    Args:
        build_model: `() -> ` a compiled, built method (same seed every call).
        waveforms: float32 `[N, samples]` (or `[N, S, samples]` for methods
            that take several crops per clip).
    """
    import json
    import subprocess
    import sys

    import tensorflow as tf

    # 1. One step.
    model = build_model()
    variables = model.trainable_variables
    excluded = {id(v) for v in model.optimizer_excluded_variables()}
    assert not excluded & {id(v) for v in variables}, "a momentum target is in the optimizer"
    before = [np.array(v.numpy()) for v in variables]
    logs = model.train_step(tf.constant(waveforms[:batch_size]))
    for name in model.metric_names:
        if name in logs:
            assert np.all(np.isfinite(np.asarray(logs[name]))), f"{name} is not finite: {logs[name]}"
    assert "loss" in logs
    moved = sum(not np.allclose(b, np.asarray(v.numpy())) for b, v in zip(before, variables))
    assert moved > len(variables) // 2, f"only {moved} of {len(variables)} trainable variables moved"

    # 2. The loss falls on a tiny set.
    model = build_model()
    data = tf.data.Dataset.from_tensor_slices(waveforms).batch(batch_size, drop_remainder=True)
    losses = model.fit(data, epochs=epochs, verbose=0, shuffle=False).history["loss"]
    assert np.all(np.isfinite(losses)), losses
    assert np.mean(losses[-2:]) < np.mean(losses[:2]) - min_loss_drop, losses
    assert int(model.collapse_warned.numpy()) == 0

    # 3. .keras round trip continues training identically.
    path = os.path.join(str(tmp_path), "method.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model) and loaded.get_config() == model.get_config()
    batch = tf.constant(waveforms[:batch_size])
    model.train_step(batch)
    loaded.train_step(batch)
    assert len(model.variables) == len(loaded.variables)
    for a, b in zip(model.variables, loaded.variables):
        np.testing.assert_allclose(np.asarray(a.numpy()), np.asarray(b.numpy()), rtol=1e-5, atol=1e-6, err_msg=a.path)

    # 4. MirroredStrategy step == single-device step.
    if mirrored_builder is not None:
        repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        script = os.path.join(repo, "tests", "methods", "mirrored_step.py")
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=repo + os.pathsep + os.environ.get("PYTHONPATH", ""))
        result = subprocess.run([sys.executable, script, mirrored_builder, "1"], capture_output=True, text=True,
                                env=env, timeout=600, cwd=repo)
        assert result.returncode == 0, result.stderr[-3000:]
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        assert summary["replicas"] == 2
        assert abs(summary["loss_single"] - summary["loss_mirrored"]) < 1e-5, summary
        assert summary["moved"] > 1e-4, summary  # the step did something
        assert summary["max_weight_diff_step1"] < 1e-5, summary
        return summary
    return None


def exit_code(main, argv):
    """Runs a command line's `main(argv)` in this process; returns its exit status.

    What `python tools/x.py ARGS` or `python -m package.module ARGS` would exit with (the int `main`
    returns, or argparse's `SystemExit` code), without a new process paying TensorFlow's import again.
    Tests about the process itself (its start-up output, its exit under a signal) start one instead.
    """
    try:
        return main(argv)
    except SystemExit as error:
        return error.code
