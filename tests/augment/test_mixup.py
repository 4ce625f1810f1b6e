import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl.augment import MixupBYOLA
from keras_audio_ssl.augment import log_mixup_exp
from tests.test_case import run_layer_test

EPS = float(np.finfo(np.float32).eps)
SHAPE = (6, 4, 1)


def test_log_mixup_exp_matches_official_formula(rng):
    x = rng.normal(scale=3, size=(5, 4, 6, 1))
    z = rng.normal(scale=3, size=(5, 4, 6, 1))
    lam = rng.uniform(0, 0.4, size=(5, 1, 1, 1))
    expected = np.log((1 - lam) * np.exp(x) + lam * np.exp(z) + EPS)
    out = np.asarray(log_mixup_exp(x.astype("float32"), z.astype("float32"), lam.astype("float32")))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    # Finite where exp() would overflow or everything would underflow; lam = 0 exact.
    big = np.asarray(log_mixup_exp(np.float32([200.0, -200.0]), np.float32([100.0, -300.0]), np.float32([0.3, 0.0])))
    np.testing.assert_allclose(big, [200 + np.log(0.7 + 0.3 * np.exp(-100.0)), np.log(EPS)], rtol=1e-6)


def test_fifo_order_matches_numpy_queue(rng):
    layer = MixupBYOLA(memory_size=5, seed=0)
    layer.build((None,) + SHAPE)
    queue = np.zeros((0,) + SHAPE, np.float32)
    for size in (3, 4, 2, 7, 1):
        batch = rng.normal(size=(size,) + SHAPE).astype("float32")
        layer.update_memory(batch)
        queue = np.concatenate([queue, batch])[-5:]
        np.testing.assert_array_equal(layer.memory_contents(), queue)


def test_call_pushes_inputs_not_mixed_outputs(rng):
    layer = MixupBYOLA(memory_size=4, seed=0)
    a = rng.normal(size=(3,) + SHAPE).astype("float32")
    b = rng.normal(size=(3,) + SHAPE).astype("float32")
    # Empty bank: no mixing (a sample never mixes with itself).
    np.testing.assert_array_equal(np.asarray(layer(a, training=True)), a)
    out_b = np.asarray(layer(b, training=True))
    assert not np.allclose(out_b, b)
    np.testing.assert_array_equal(layer.memory_contents(), np.concatenate([a, b])[-4:])
    # update_memory=False and inference leave the bank alone.
    layer(a, training=True, update_memory=False)
    layer(b, training=False)
    np.testing.assert_array_equal(layer.memory_contents(), np.concatenate([a, b])[-4:])


def test_mixing_ratio_recovered_from_outputs(rng):
    layer = MixupBYOLA(ratio=0.4, memory_size=1, seed=3)
    z = rng.normal(size=(1,) + SHAPE).astype("float32")
    layer(z, training=True)  # fills the one-slot bank
    x = rng.normal(size=(64,) + SHAPE).astype("float32")
    out = np.asarray(layer(x, training=True)).astype(np.float64)
    ex, ez = np.exp(x.astype(np.float64)), np.exp(z.astype(np.float64))
    lam = (np.exp(out) - EPS - ex) / (ez - ex)
    per_sample = np.median(lam, axis=(1, 2, 3))
    mask = np.abs(ez - ex) > 0.5  # well-conditioned elements
    np.testing.assert_allclose(lam[mask], np.broadcast_to(per_sample[:, None, None, None], lam.shape)[mask], atol=2e-3)
    assert per_sample.min() > -1e-3 and per_sample.max() < 0.4 + 1e-3
    assert per_sample.max() > 0.3 and per_sample.min() < 0.1  # spread over U(0, 0.4)
    assert len(np.unique(np.round(per_sample, 4))) > 60  # one lambda per sample


def test_output_in_linear_convex_hull(rng):
    layer = MixupBYOLA(memory_size=8, seed=1)
    layer(rng.normal(size=(8,) + SHAPE).astype("float32"), training=True)
    bank = layer.memory_contents()
    x = rng.normal(size=(32,) + SHAPE).astype("float32")
    lin = np.exp(np.asarray(layer(x, training=True)).astype(np.float64)) - EPS
    lo = np.minimum(np.exp(x), np.exp(bank).min(axis=0))
    hi = np.maximum(np.exp(x), np.exp(bank).max(axis=0))
    assert np.all(lin >= lo * (1 - 1e-5)) and np.all(lin <= hi * (1 + 1e-5))


def test_counterpart_drawn_uniformly_from_filled_slots():
    # Entry k has profile 1 + k*f, so out / out[f=0] (x = 0, linear mixing) names k.
    freq = np.arange(SHAPE[0], dtype=np.float32)[:, None, None]
    bank = np.stack([np.broadcast_to(1 + k * freq, SHAPE) for k in range(3)]).astype("float32")
    layer = MixupBYOLA(memory_size=4, log_mixup_exp=False, seed=2)
    layer.build((None,) + SHAPE)
    layer.update_memory(bank)  # 3 of 4 slots filled
    out = np.asarray(layer(np.zeros((3000,) + SHAPE, np.float32), training=True, update_memory=False))
    keep = out[:, 0, 0, 0] > 1e-3
    k = np.round(out[keep, 1, 0, 0] / out[keep, 0, 0, 0] - 1).astype(int)
    counts = np.bincount(k, minlength=4)
    assert counts[3] == 0 and len(counts) == 4  # the empty slot is never read
    assert np.all(np.abs(counts[:3] / keep.sum() - 1 / 3) < 0.04)


def test_reproducible_and_per_sample(rng):
    x = np.repeat(rng.normal(size=(1,) + SHAPE).astype("float32"), 8, axis=0)
    bank = rng.normal(size=(4,) + SHAPE).astype("float32")
    outs = []
    for seed in (7, 7, 8):
        layer = MixupBYOLA(memory_size=4, seed=seed)
        layer(bank, training=True)
        outs.append(np.asarray(layer(x, training=True)))
    np.testing.assert_array_equal(outs[0], outs[1])
    assert not np.allclose(outs[0], outs[2])
    assert len({o.tobytes() for o in outs[0]}) == 8


def test_works_in_compiled_step(rng):
    layer = MixupBYOLA(memory_size=4, seed=0)
    layer.build((None,) + SHAPE)
    step = tf.function(lambda v: layer(v, training=True), jit_compile=True)
    batches = [rng.normal(size=(3,) + SHAPE).astype("float32") for _ in range(3)]
    outs = [np.asarray(step(b)) for b in batches]
    np.testing.assert_array_equal(outs[0], batches[0])
    assert not np.allclose(outs[1], batches[1])
    np.testing.assert_array_equal(layer.memory_contents(), np.concatenate(batches)[-4:])


def test_bad_arguments():
    with pytest.raises(ValueError, match="ratio"):
        MixupBYOLA(ratio=1.5)
    with pytest.raises(ValueError, match="memory_size"):
        MixupBYOLA(memory_size=0)
    with pytest.raises(ValueError, match="known F, T, C"):
        MixupBYOLA()(tf.zeros((2, 4, 5)))


def test_layer_contract(rng):
    run_layer_test(
        MixupBYOLA,
        {"ratio": 0.4, "memory_size": 8, "log_mixup_exp": True, "seed": 1},
        rng.normal(size=(2,) + SHAPE).astype("float32"),
        expected_output_shape=(2,) + SHAPE,
    )
