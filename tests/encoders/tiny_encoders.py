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


# Variants that share another entry's trunk: their own head is tested in their encoder's tests.
SAME_TRUNK_AS = {"efficientnet_b0_cola": "efficientnet_b0"}
# Encoders whose fixed-width trunks take half a minute or more per step or export even at tiny
# settings; their own test files cover layer contract, saving and (SlowFast) export in the default suite.
HEAVY = ("efficientnet_b0", "slowfast_nfnet_f0")


def in_default_suite(name):
    """Whether the per-encoder method and export matrices run `name` by default (else `-m large`)."""
    return name not in SAME_TRUNK_AS and name not in HEAVY


def encoder_params():
    """`TINY_ENCODERS`' names for `pytest.mark.parametrize`, those not `in_default_suite` marked `large`."""
    import pytest

    return [name if in_default_suite(name) else pytest.param(name, marks=pytest.mark.large)
            for name in sorted(TINY_ENCODERS)]
