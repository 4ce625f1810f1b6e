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
