"""Tiny settings of every registered encoder, for tests that run each one through a method or an export."""

# name -> constructor kwargs (small widths; the n_mels each architecture allows).
TINY_ENCODERS = {
    "audio_ntt2020": dict(feature_d=16, n_mels=16),
    "audio_ntt2022": dict(feature_d=272, n_mels=16, mlp_hidden_d=16),
    "resnet18": dict(feature_d=16, n_mels=16),
    "efficientnet_b0": dict(feature_d=16, n_mels=32),  # B0's widths are fixed; only the head shrinks
    "slowfast_nfnet_f0": dict(n_mels=16, width_multiplier=0.125, stage_depths=(1, 1, 1, 1)),
    "vgg_like": dict(feature_d=8, n_mels=16),
    "crnn": dict(feature_d=8, n_mels=40, filters=8),
}
