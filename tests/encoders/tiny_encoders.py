"""Tiny settings of every registered encoder, for tests that run each one through a method or an export."""

# name -> constructor kwargs (small widths; the n_mels each architecture allows).
TINY_ENCODERS = {
    "audio_ntt2020": dict(feature_d=16, n_mels=16),
    "audio_ntt2022": dict(feature_d=272, n_mels=16, mlp_hidden_d=16),
    "resnet18": dict(feature_d=16, n_mels=16),
    "efficientnet_b0": dict(feature_d=16, n_mels=32),  # B0's widths are fixed; only the head shrinks
    "efficientnet_b0_cola": dict(n_mels=32),  # COLA's: the same trunk, max pooling, 1280-d
    "slowfast_nfnet_f0": dict(n_mels=16, width_multiplier=0.125, stage_depths=(1, 1, 1, 1)),
    "vgg_like": dict(feature_d=8, n_mels=16),
    "crnn": dict(feature_d=8, n_mels=40, filters=8),
}


# Variants that share another entry's trunk: the default suite covers the trunk once, and the
# variant's own head in its encoder tests; the per-encoder method and export matrices run them
# under -m large.
SAME_TRUNK_AS = {"efficientnet_b0_cola": "efficientnet_b0"}


def encoder_params():
    """`TINY_ENCODERS`' names for `pytest.mark.parametrize`, trunk variants marked `large`."""
    import pytest

    return [pytest.param(name, marks=pytest.mark.large) if name in SAME_TRUNK_AS else name
            for name in sorted(TINY_ENCODERS)]
