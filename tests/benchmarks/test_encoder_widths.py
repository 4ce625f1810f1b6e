"""The benchmarks measure each registered encoder at a width it accepts."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

import encoders as encoders_benchmark  # noqa: E402
import throughput  # noqa: E402

from keras_audio_ssl import encoders  # noqa: E402
from keras_audio_ssl.encoders.registry import fixed_arguments  # noqa: E402


def test_a_variant_that_fixes_its_width_is_measured_at_that_width():
    # efficientnet_b0_cola fixes feature_d=1280; its class's default (512) is refused by the registry.
    assert encoders_benchmark.default_width("efficientnet_b0_cola") == 1280
    assert throughput.default_feature_ds("efficientnet_b0_cola") == (1280,)
    assert encoders_benchmark.default_width("efficientnet_b0") == 512
    assert throughput.default_feature_ds("audio_ntt2020") == (512, 2048)
    assert encoders_benchmark.default_width("slowfast_nfnet_f0") is None
    for name in encoders.names():  # no width the benchmark picks clashes with what the registry fixes
        fixed = fixed_arguments(name).get("feature_d")
        assert fixed is None or encoders_benchmark.default_width(name) == fixed, name
