"""SimCLR-audio's patch layers: TF patches, mix-back, compression, noise (Fonseca et al., 2021)."""

import numpy as np
import pytest

from keras_audio_ssl import augment


def _log_mels(n=6, frames=40, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(-6.0, 2.0, (n, 8, frames, 1))).astype("float32")


def _round_trip(layer):
    again = type(layer).from_config(layer.get_config())
    assert again.get_config() == layer.get_config()


def test_tf_patches_are_crops_of_their_clip_and_separation_is_exact():
    x = _log_mels()
    layer = augment.RandomTFPatches(10, seed=1)
    out = np.asarray(layer(x))
    assert out.shape == (12, 8, 10, 1)
    starts = []
    for row, clip in zip(out, list(range(6)) * 2):
        found = [s for s in range(31) if np.array_equal(x[clip, :, s:s + 10], row)]
        assert len(found) == 1
        starts.append(found[0])
    assert len(set(starts)) > 3  # drawn, not fixed
    spaced = np.asarray(augment.RandomTFPatches(10, separation=15, seed=2)(x))
    for i in range(6):
        a = [s for s in range(31) if np.array_equal(x[i, :, s:s + 10], spaced[i])][0]
        b = [s for s in range(31) if np.array_equal(x[i, :, s:s + 10], spaced[6 + i])][0]
        assert abs(a - b) == 15
    np.testing.assert_array_equal(np.asarray(layer(x, training=False))[:6], x[:, :, :10])
    short = np.asarray(augment.RandomTFPatches(50, seed=3)(x))  # shorter clips are zero-padded
    np.testing.assert_array_equal(short[:, :, 40:], 0.0)
    with pytest.raises(ValueError, match="separation=35"):
        augment.RandomTFPatches(10, separation=35).build((None, 8, 40, 1))
    _round_trip(augment.RandomTFPatches(12, separation=3, seed=4))


def test_mix_back_keeps_the_energy_and_the_foreground_dominant():
    x = _log_mels(n=8)
    x[3] += 8.0  # a background thousands of times louder than the others
    layer = augment.MixBack(alpha=0.05, seed=5)
    out = np.asarray(layer(x), dtype="float64")
    energy = lambda v: np.exp(v.astype("float64")).mean(axis=(1, 2, 3))  # noqa: E731
    # With the energy adjustment, (1 - λ) E(x) + λ E(x) = E(x): every patch keeps its energy.
    np.testing.assert_allclose(energy(out), energy(x), rtol=1e-4)
    # So the foreground's share of each mixed patch's energy is 1 - λ >= 0.95: it stays dominant,
    # and the patch stays closer to itself than to any other clip.
    for i in range(8):
        distances = [np.abs(out[i] - x[j]).mean() for j in range(8)]
        assert int(np.argmin(distances)) == i
    raw = np.asarray(augment.MixBack(alpha=0.05, energy_adjustment=False, seed=5)(x), dtype="float64")
    victim = [i for i in range(8) if energy(raw)[i] > 10 * energy(x)[i]]
    assert victim, "without the adjustment the loud background dominates the patch it is mixed into"
    # The background is another clip, never the patch itself nor (for stacked views) its pair.
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    _round_trip(layer)


def test_mix_back_formula_on_a_known_pair():
    x = _log_mels(n=3)
    out = np.exp(np.asarray(augment.MixBack(alpha=1.0, seed=6)(x), dtype="float64"))
    lin = np.exp(x.astype("float64"))
    fits = []
    for shift in (1, 2):
        b = np.roll(lin, -shift, axis=0)
        b = b * (lin.mean(axis=(1, 2, 3), keepdims=True) / b.mean(axis=(1, 2, 3), keepdims=True))
        # Least-squares λ per row for out = (1 - λ) x + λ b; only the right shift fits exactly.
        d, e = (b - lin).reshape(3, -1), (out - lin).reshape(3, -1)
        lam = (d * e).sum(axis=1, keepdims=True) / (d * d).sum(axis=1, keepdims=True)
        residual = np.linalg.norm(e - lam * d, axis=1) / np.linalg.norm(out.reshape(3, -1), axis=1)
        fits.append(float(residual.max()))
        if residual.max() < 1e-4:
            assert np.all((lam >= 0) & (lam <= 1))
    assert min(fits) < 1e-4 and max(fits) > 1e-3


def test_mix_back_gives_the_two_views_of_a_clip_different_backgrounds():
    # Clip k is power 1 in band k and ~0 elsewhere, so a mixed row's second-largest band
    # names its background clip and that band's power is λ.
    clips = 6
    onehot = np.full((clips, clips, 4, 1), 1e-6, "float64")
    for k in range(clips):
        onehot[k, k] = 1.0
    views = np.log(np.concatenate([onehot, onehot])).astype("float32")
    seen = set()
    for seed in range(12):
        power = np.exp(np.asarray(augment.MixBack(alpha=1.0, paired_views=True, seed=seed)(views), "float64"))
        band_power = power.mean(axis=(2, 3))
        for i in range(clips):
            first, second = band_power[i].copy(), band_power[clips + i].copy()
            first[i] = second[i] = 0.0
            b1, b2 = int(np.argmax(first)), int(np.argmax(second))
            assert b1 != i and b2 != i and b1 != b2, (seed, i, b1, b2)
            np.testing.assert_allclose(first[b1], second[b2], rtol=1e-4)  # one λ per clip
            seen.add((b1 - i) % clips)
    assert len(seen) > 2  # the shifts are drawn, not fixed
    layer = augment.MixBack(alpha=0.5, paired_views=True, seed=1)
    np.testing.assert_array_equal(np.asarray(layer(views[[0, 6]])), views[[0, 6]])  # one clip: nothing to mix
    _round_trip(layer)


def test_compression_keeps_the_mean_and_shrinks_the_spread():
    x = _log_mels()
    out = np.asarray(augment.RandomCompression(gamma_range=(0.6, 1.0), seed=7)(x))
    np.testing.assert_allclose(out.mean(axis=(1, 2, 3)), x.mean(axis=(1, 2, 3)), atol=1e-4)
    gamma = out.std(axis=(1, 2, 3)) / x.std(axis=(1, 2, 3))
    assert np.all(gamma >= 0.6 - 1e-4) and np.all(gamma <= 1.0 + 1e-4) and np.ptp(gamma) > 0.05
    np.testing.assert_array_equal(np.asarray(augment.RandomCompression()(x, training=False)), x)
    _round_trip(augment.RandomCompression(gamma_range=(0.7, 0.9), seed=1))


def test_noise_addition_has_per_patch_level_below_the_bound():
    x = np.zeros((64, 16, 50, 1), "float32")
    out = np.asarray(augment.GaussianNoiseAddition(max_stddev=0.2, seed=8)(x))
    sigma = out.std(axis=(1, 2, 3))
    assert np.all(sigma < 0.21) and 0.07 < sigma.mean() < 0.13  # U(0, 0.2) has mean 0.1
    assert abs(out.mean()) < 0.01
    np.testing.assert_array_equal(np.asarray(augment.GaussianNoiseAddition()(x, training=False)), x)
    _round_trip(augment.GaussianNoiseAddition(max_stddev=0.1, seed=2))


def test_specaugment_masks_whole_bands_and_frames_with_the_patch_mean():
    x = _log_mels(n=16, frames=40)
    out = np.asarray(augment.SpecAugmentMasking(max_freq_fraction=0.25, max_time_fraction=0.25, seed=9)(x))
    changed = out != x
    for i in range(16):
        rows = np.flatnonzero(changed[i, :, :, 0].all(axis=1))  # fully masked bands
        cols = np.flatnonzero(changed[i, :, :, 0].all(axis=0))  # fully masked frames
        mask = np.zeros((8, 40), bool)
        mask[rows, :] = True
        mask[:, cols] = True
        np.testing.assert_array_equal(changed[i, :, :, 0], mask)  # nothing but whole bands and frames
        assert len(rows) <= 2 and len(cols) <= 10  # at most 0.25 of each axis
        np.testing.assert_allclose(out[i][changed[i]], x[i].mean(), rtol=1e-5)
    assert changed.any()
    _round_trip(augment.SpecAugmentMasking(freq_masks=2, seed=1))


def test_shift_moves_each_patch_by_a_bounded_offset_with_edges_repeated():
    x = np.broadcast_to(np.arange(40, dtype="float32")[None, None, :, None], (12, 8, 40, 1)).copy()
    x += 100.0 * np.arange(8, dtype="float32")[None, :, None, None]
    out = np.asarray(augment.RandomTimeFrequencyShift(max_time_shift=5, max_freq_shift=2, seed=10)(x))
    for i in range(12):
        dt = out[i, 0, 20, 0] % 100 - 20  # value at frame 20 came from frame 20 - dt
        df = out[i, 4, 20, 0] // 100 - 4
        assert abs(dt) <= 5 and abs(df) <= 2
        expected = x[i, np.clip(np.arange(8) - int(-df), 0, 7)][:, np.clip(np.arange(40) - int(-dt), 0, 39)]
        np.testing.assert_array_equal(out[i], expected)
    _round_trip(augment.RandomTimeFrequencyShift(max_time_shift=3, seed=2))


def test_blur_keeps_the_mean_and_smooths_an_impulse_into_a_gaussian():
    x = np.zeros((4, 9, 21, 1), "float32")
    x[:, 4, 10, 0] = 1.0
    out = np.asarray(augment.RandomGaussianBlur(sigma_range=(0.8, 1.0), seed=11)(x))
    np.testing.assert_allclose(out.sum(axis=(1, 2, 3)), 1.0, rtol=1e-5)  # nothing reaches the edges
    for patch in out[..., 0]:
        assert patch[4, 10] == patch.max() and patch[4, 10] < 0.25
        np.testing.assert_allclose(patch, patch[::-1, ::-1], atol=1e-6)  # symmetric about the impulse
        profile = patch[4] / patch[4, 10]
        sigma = np.sqrt(-1.0 / (2 * np.log(profile[11])))  # a Gaussian's neighbour ratio
        assert 0.75 < sigma < 1.05
    _round_trip(augment.RandomGaussianBlur(sigma_range=(0.2, 0.5), seed=3))
