import keras
import numpy as np
import pytest

from keras_audio_ssl import precision
from keras_audio_ssl.encoders import AudioNTT2020
from keras_audio_ssl.losses import byol_loss
from keras_audio_ssl.losses import nt_xent_loss


def test_policy_scope_sets_the_global_policy_and_restores_it_after_an_error():
    assert keras.config.dtype_policy().name == "float32"
    with pytest.raises(RuntimeError):
        with precision.policy_scope("mixed_bfloat16"):
            assert keras.layers.Dense(2).compute_dtype == "bfloat16"
            raise RuntimeError("inside")
    assert keras.config.dtype_policy().name == "float32"
    with pytest.raises(ValueError, match="Received: dtype_policy='bfloat16'"):
        precision.check_dtype_policy("bfloat16")


def test_an_encoder_built_under_a_mixed_policy_gets_a_float32_copy_with_its_weights():
    with precision.policy_scope("mixed_bfloat16"):
        mixed = AudioNTT2020(feature_d=16)
    assert precision.low_precision_layers(mixed) and not precision.needs_loss_scaling(mixed)
    float32 = AudioNTT2020(feature_d=16)
    assert precision.float32_copy(float32) is float32  # nothing to do
    copy = precision.float32_copy(mixed)
    assert copy is not mixed and precision.low_precision_layers(copy) == []
    for a, b in zip(copy.get_weights(), mixed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(0).standard_normal((2, 64, 32, 1)).astype("float32")
    exact, rounded = np.asarray(copy(x)), np.asarray(mixed(x), dtype=np.float32)
    assert exact.dtype == np.float32 and not np.array_equal(exact, rounded)  # bfloat16 did compute
    np.testing.assert_allclose(rounded, exact, rtol=0.05, atol=0.02 * np.abs(exact).max())
    with precision.policy_scope("mixed_float16"):
        assert precision.needs_loss_scaling(AudioNTT2020(feature_d=16))


def test_losses_compute_in_float32_from_low_precision_inputs():
    rng = np.random.default_rng(1)
    p, z = (rng.standard_normal((6, 8)).astype("float32") for _ in range(2))
    for low in ("bfloat16", "float16"):
        p_low, z_low = keras.ops.cast(p, low), keras.ops.cast(z, low)
        # The loss of the rounded inputs, computed in float32.
        expected = byol_loss(keras.ops.cast(p_low, "float32"), keras.ops.cast(z_low, "float32"))
        got = byol_loss(p_low, z_low)
        assert got.dtype == "float32"
        np.testing.assert_allclose(float(got), float(expected), rtol=1e-6)
        loss, diagnostics = nt_xent_loss(p_low, z_low, temperature=0.1, return_diagnostics=True)
        assert loss.dtype == "float32" and diagnostics["logits"].dtype == "float32"
    assert precision.to_float32(np.ones(2)).dtype == np.float64  # float64 (NumPy references) is kept


def test_a_resume_across_float16_loss_scaling_is_refused():
    precision.check_resume_policy("run", "float32", "mixed_bfloat16")
    precision.check_resume_policy("run", "mixed_float16", "mixed_float16")
    for previous, new in (("float32", "mixed_float16"), ("mixed_float16", "mixed_bfloat16")):
        with pytest.raises(ValueError, match=f"Received: dtype_policy='{new}'"):
            precision.check_resume_policy("run", previous, new)


AVX2_ONLY = frozenset({"avx", "avx2", "fma"})  # AMD Zen 3
AVX512_BF16 = AVX2_ONLY | {"avx512f", "avx512_bf16"}  # AMD Zen 4
AMX = AVX2_ONLY | {"avx512f", "amx_tile", "amx_bf16"}  # Intel Sapphire Rapids


def _machine(monkeypatch, flags, accelerator=False):
    from keras_audio_ssl import cpu_info

    monkeypatch.setattr(cpu_info, "cpu_flags", lambda: flags)
    monkeypatch.setattr(precision, "accelerator_visible", lambda: accelerator)
    monkeypatch.setattr(precision, "_warned_slow_bfloat16", False)


@pytest.mark.parametrize("flags,accelerator,expected", [
    (AVX2_ONLY, False, "float32"),
    (AVX2_ONLY, True, "mixed_bfloat16"),  # a GPU / TPU computes bfloat16 whatever the host CPU
    (AVX512_BF16, False, "mixed_bfloat16"),
    (AMX, False, "mixed_bfloat16"),
    (frozenset(), False, "float32"),  # flags unknown: the safe choice
])
def test_auto_picks_bfloat16_only_where_it_is_native(monkeypatch, flags, accelerator, expected):
    _machine(monkeypatch, flags, accelerator)
    assert precision.resolve_dtype_policy("auto") == expected
    with precision.policy_scope("auto"):
        assert keras.config.dtype_policy().name == expected
    for explicit in precision.POLICIES:  # an explicit choice is kept on every machine
        assert precision.resolve_dtype_policy(explicit) == explicit
    with pytest.raises(ValueError, match="Received: dtype_policy='Auto'"):
        precision.resolve_dtype_policy("Auto")


def test_explicit_bfloat16_without_native_support_warns_once(monkeypatch, recwarn):
    _machine(monkeypatch, AVX512_BF16)
    precision.resolve_dtype_policy("mixed_bfloat16")
    assert not recwarn.list  # native: nothing to say
    _machine(monkeypatch, AVX2_ONLY, accelerator=True)
    precision.resolve_dtype_policy("mixed_bfloat16")
    assert not recwarn.list  # the GPU computes it
    _machine(monkeypatch, AVX2_ONLY)
    for policy in ("float32", "mixed_float16", "auto"):
        precision.resolve_dtype_policy(policy)
    assert not recwarn.list
    for _ in range(3):
        assert precision.resolve_dtype_policy("mixed_bfloat16") == "mixed_bfloat16"
    warned = [w for w in recwarn.list if issubclass(w.category, RuntimeWarning)]
    assert len(warned) == 1
    assert "several times slower" in str(warned[0].message) and "AVX2" in str(warned[0].message)
