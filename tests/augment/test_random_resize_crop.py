import math

import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl.augment import RandomResizeCrop
from keras_audio_ssl.augment import resize_crop
from tests.test_case import run_layer_test


def _cubic(d, a=-0.75):
    d = abs(d)
    if d <= 1:
        return (a + 2) * d**3 - (a + 3) * d**2 + 1
    if d < 2:
        return a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a
    return 0.0


def reference_resize_crop(x, i, h, j, w, scale=(1.0, 1.5)):
    """Official algorithm written directly: zero canvas, crop, 16-tap bicubic (align_corners)."""
    n_f, n_t = x.shape
    canvas = np.zeros((int(n_f * scale[0]), int(n_t * scale[1])))
    top, left = (canvas.shape[0] - n_f) // 2, (canvas.shape[1] - n_t) // 2
    canvas[top : top + n_f, left : left + n_t] = x
    crop = canvas[i : i + h, j : j + w]
    out = np.zeros((n_f, n_t))
    for oy in range(n_f):
        sy = oy * (h - 1) / (n_f - 1)
        y0 = math.floor(sy)
        for ox in range(n_t):
            sx = ox * (w - 1) / (n_t - 1)
            x0 = math.floor(sx)
            acc = 0.0
            for dy in range(-1, 3):
                for dx in range(-1, 3):
                    yy = min(max(y0 + dy, 0), h - 1)
                    xx = min(max(x0 + dx, 0), w - 1)
                    acc += _cubic(sy - (y0 + dy)) * _cubic(sx - (x0 + dx)) * crop[yy, xx]
            out[oy, ox] = acc
    return out


def _crop(x, params):
    params = [tf.constant(p, tf.int32) for p in zip(*params)]
    return np.asarray(resize_crop(x, *params))


def test_identity_crop_is_identity(rng):
    x = rng.normal(size=(2, 16, 24, 1)).astype("float32")
    left = (36 - 24) // 2
    out = _crop(x, [(0, 16, left, 24)] * 2)
    np.testing.assert_allclose(out, x, atol=1e-5)


@pytest.mark.parametrize(
    "params",
    [
        (0, 9, 0, 14),  # small crop in the top-left corner: zeros of the canvas come in
        (3, 13, 0, 36),  # full canvas width, squeezed
        (0, 16, 2, 30),  # frequency untouched, time squeeze
        (5, 11, 7, 17),
        (0, 1, 35, 1),  # degenerate 1 x 1 crop on the canvas's last column (all zeros)
    ],
)
def test_matches_reference(rng, params):
    x = rng.normal(size=(1, 16, 24, 1)).astype("float32")
    expected = reference_resize_crop(x[0, :, :, 0].astype(np.float64), *params)
    out = _crop(x, [params])
    np.testing.assert_allclose(out[0, :, :, 0], expected, atol=1e-4)


def test_per_sample_params_and_channels(rng):
    x = rng.normal(size=(2, 12, 16, 2)).astype("float32")
    params = [(0, 12, 4, 16), (2, 8, 0, 20)]
    out = _crop(x, params)
    for b, p in enumerate(params):
        for c in range(2):
            expected = reference_resize_crop(x[b, :, :, c].astype(np.float64), *p)
            np.testing.assert_allclose(out[b, :, :, c], expected, atol=1e-4)


def test_drawn_params_follow_the_official_ranges():
    layer = RandomResizeCrop(seed=0)
    f_start, f_size, t_start, t_size = (
        np.asarray(p) for p in layer.draw_crop_params(4000, 64, 96, tf.constant([1, 2], tf.int64))
    )
    canvas_t = 144
    assert f_size.min() == int(0.6 * 64) and f_size.max() == 64  # clipped to F
    assert t_size.min() >= int(0.6 * 96) and t_size.max() <= int(1.5 * 96)
    assert t_size.max() > 140
    assert (f_start >= 0).all() and (f_start + f_size <= 64).all()
    assert (t_start >= 0).all() and (t_start + t_size <= canvas_t).all()
    # Both ends of the start range are reached (random.randint is inclusive).
    assert (t_start == 0).any() and (t_start + t_size == canvas_t).any()
    # P(U(0.6, 1.5) >= 1) = 0.5 / 0.9: those frequency crops are clipped to F.
    assert abs(np.mean(f_size == 64) - 0.5 / 0.9) < 0.04


def test_identity_at_inference_and_shapes(rng):
    x = rng.normal(size=(3, 16, 24, 1)).astype("float32")
    layer = RandomResizeCrop(seed=1)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    out = layer(x, training=True)
    assert out.shape == x.shape and out.dtype == tf.float32


def test_per_sample_parameters_differ(rng):
    x = np.repeat(rng.normal(size=(1, 16, 24, 1)).astype("float32"), 6, axis=0)
    out = np.asarray(RandomResizeCrop(seed=2)(x, training=True))
    for a in range(6):
        for b in range(a + 1, 6):
            assert not np.allclose(out[a], out[b])


def test_reproducible_with_seed(rng):
    x = rng.normal(size=(4, 16, 24, 1)).astype("float32")
    a = np.asarray(RandomResizeCrop(seed=5)(x, training=True))
    b = np.asarray(RandomResizeCrop(seed=5)(x, training=True))
    c = np.asarray(RandomResizeCrop(seed=6)(x, training=True))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_under_xla(rng):
    x = tf.constant(rng.normal(size=(4, 64, 96, 1)).astype("float32"))
    # The crop maths compiles and equals the eager result for the same crops.
    params = [tf.constant(p, tf.int32) for p in ([0, 5, 0, 20], [64, 40, 50, 60], [24, 0, 0, 70], [96, 57, 144, 74])]
    compiled_crop = tf.function(lambda v, *p: resize_crop(v, *p), jit_compile=True)
    np.testing.assert_allclose(np.asarray(compiled_crop(x, *params)), np.asarray(resize_crop(x, *params)), atol=1e-4)
    # The layer compiles on both seed paths. XLA's stateless RNG is a different
    # stream from TF's kernels, so only reproducibility within XLA is checked.
    layer = RandomResizeCrop(seed=3)
    layer.build(x.shape)
    seed = tf.constant([4, 2], tf.int64)
    explicit = tf.function(lambda v, s: layer(v, training=True, seed=s), jit_compile=True)
    np.testing.assert_array_equal(np.asarray(explicit(x, seed)), np.asarray(explicit(x, seed)))
    stateful = tf.function(lambda v: layer(v, training=True), jit_compile=True)
    assert not np.allclose(np.asarray(stateful(x)), np.asarray(stateful(x)))


def test_bad_arguments():
    with pytest.raises(ValueError, match="virtual_crop_scale"):
        RandomResizeCrop(virtual_crop_scale=(0.5, 1.5))
    with pytest.raises(ValueError, match="freq_scale"):
        RandomResizeCrop(freq_scale=(1.5, 0.6))


def test_layer_contract(rng):
    run_layer_test(
        RandomResizeCrop,
        {"virtual_crop_scale": (1.0, 1.5), "freq_scale": (0.6, 1.5), "time_scale": (0.6, 1.5), "seed": 1},
        rng.normal(size=(2, 16, 24, 1)).astype("float32"),
        expected_output_shape=(2, 16, 24, 1),
    )


def test_matches_official_pytorch_output():
    # Output of the official algorithm run with PyTorch 2.11 (data/make_torch_rrc_reference.py).
    import os

    ref = np.load(os.path.join(os.path.dirname(__file__), "data", "torch_rrc_reference.npz"))
    params = [tf.constant(ref["params"][:, k], tf.int32) for k in range(4)]
    out = np.asarray(resize_crop(ref["x"][..., None], *params))[..., 0]
    np.testing.assert_allclose(out, ref["out"], atol=2e-5)
