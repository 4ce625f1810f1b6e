"""Mixed precision for every method's train step, in one place.

A recipe's `dtype_policy` (`"float32"`, `"mixed_bfloat16"`, `"mixed_float16"` or
`"auto"`) is the Keras global policy while the encoder, the method and its heads are
built (`policy_scope`): the encoder (and its momentum copy) and the heads then
compute in bfloat16 / float16 while their variables stay float32. Everything
whose numerics the papers depend on declares `dtype="float32"` itself and so
stays float32 under any global policy: the log-mel front end (a float16 log-mel
loses the quiet bins), pre- and post-normalization, the view augmentations and
their memory banks, the method model itself (its `call` does not cast the
waveform down). The losses cast their inputs up (`to_float32`), BatchNorm and
weight standardization take their statistics in float32, and the EMA target
update works on the float32 variables.

float16's range is small (max 65504, smallest normal 6e-5), so its gradients
are scaled: `SelfSupervisedMethod.compile` wraps the optimizer in Keras's
`LossScaleOptimizer` when the encoder computes in float16 (`needs_loss_scaling`),
the train step multiplies the loss by its dynamic scale, and the optimizer
unscales the gradients and skips (and halves the scale on) any step whose
gradients are not finite. bfloat16 has float32's range and needs none.

What a run writes (encoder.keras, embedding_model.keras, and so the exports)
is float32 whatever the training policy (`float32_copy`): the same weights,
computing in float32.

`"auto"` is resolved once, before anything is built (`resolve_dtype_policy`):
`mixed_bfloat16` where bfloat16 is fast, i.e. a GPU or TPU is visible or the CPU
computes bfloat16 natively (AVX512_BF16 or AMX, `cpu_info.has_native_bfloat16`),
`float32` otherwise. On a CPU without native bfloat16 (AVX2 only, e.g. AMD Zen 3)
oneDNN has no bfloat16 kernels, TensorFlow falls back to slow emulated ones, and a
bf16 step runs several times slower than float32; an explicit `"mixed_bfloat16"`
there is kept but warned about once per process. The resolved policy is what a
run records in `config.json` and what resume compares.
"""

import contextlib
import warnings

import keras
from keras import ops

from keras_audio_ssl import cpu_info
from keras_audio_ssl.layers.model_copy import structural_copy

POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")
AUTO = "auto"
_LOW_PRECISION = ("float16", "bfloat16")

# BYOL-A's train step under mixed_bfloat16 against float32 on an AVX2-only CPU (AMD Zen 3), as
# measured for DESIGN.md ("several times slower"). It could not be re-measured on an AVX512_BF16
# Xeon held to AVX2 kernels (ONEDNN_MAX_CPU_ISA=AVX2): TensorFlow still routes bfloat16 to oneDNN
# there, which then aborts the step. Quoted by the warning, not used to decide.
AVX2_BFLOAT16_SLOWDOWN = "several times"
_warned_slow_bfloat16 = False


def check_dtype_policy(dtype_policy):
    """`dtype_policy` when it is one of `POLICIES` or `"auto"`, else a ValueError naming it."""
    if not isinstance(dtype_policy, str) or dtype_policy not in POLICIES + (AUTO,):
        raise ValueError(
            f"dtype_policy must be one of {POLICIES + (AUTO,)}. Received: dtype_policy={dtype_policy!r}"
        )
    return dtype_policy


def accelerator_visible():
    """True when TensorFlow sees a GPU or a TPU (where bfloat16 is fast whatever the host CPU)."""
    import tensorflow as tf

    return any(tf.config.list_physical_devices(kind) for kind in ("GPU", "TPU"))


def resolve_dtype_policy(dtype_policy):
    """The concrete policy for `dtype_policy`: `"auto"` becomes mixed_bfloat16 or float32.

    `"auto"` picks `"mixed_bfloat16"` where a GPU / TPU is visible or the CPU has
    native bfloat16 (`cpu_info.has_native_bfloat16`), `"float32"` otherwise. The
    other policies are returned as they are; an explicit `"mixed_bfloat16"` on a CPU
    without native bfloat16 and no accelerator warns (once per process) that it is
    several times slower there than float32.
    """
    check_dtype_policy(dtype_policy)
    if dtype_policy == AUTO:
        fast = cpu_info.has_native_bfloat16() or accelerator_visible()
        return "mixed_bfloat16" if fast else "float32"
    if dtype_policy == "mixed_bfloat16" and not cpu_info.has_native_bfloat16() and not accelerator_visible():
        _warn_slow_bfloat16()
    return dtype_policy


def _warn_slow_bfloat16():
    global _warned_slow_bfloat16
    if _warned_slow_bfloat16:
        return
    _warned_slow_bfloat16 = True
    warnings.warn(
        f"dtype_policy='mixed_bfloat16' on a CPU without native bfloat16 ({cpu_info.cpu_model()}: "
        f"{cpu_info.isa_summary()}, no AVX512_BF16 / AMX) and no GPU/TPU: bfloat16 is emulated here and "
        f"BYOL-A's train step runs {AVX2_BFLOAT16_SLOWDOWN} slower than in float32 on such CPUs (AMD Zen 3, DESIGN.md). "
        "Use dtype_policy='float32', or 'auto' to choose per machine.",
        RuntimeWarning,
        stacklevel=3,
    )


@contextlib.contextmanager
def policy_scope(dtype_policy):
    """Layers created inside take `dtype_policy` unless they pass their own `dtype`."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(resolve_dtype_policy(dtype_policy))
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def check_resume_policy(output_dir, previous, dtype_policy):
    """Refuses to resume a run across mixed_float16's loss scaling (a ValueError naming dtype_policy).

    Variables and the optimizer's slots are float32 under every policy, so a
    run continues under another one, except into or out of mixed_float16:
    its `LossScaleOptimizer` checkpoints two more variables (the scale and its
    growth counter), and the saved state would not load.
    """
    if (previous == "mixed_float16") != (dtype_policy == "mixed_float16"):
        raise ValueError(
            f"Cannot resume the run in {output_dir}, trained under dtype_policy={previous!r}, under "
            f"{dtype_policy!r}: mixed_float16's loss-scale optimizer keeps state the other policies do not. "
            f"Resume with {previous!r}" + ("" if previous == "mixed_float16" else " or the other non-float16 policy")
            + f", or use another output_dir. Received: dtype_policy={dtype_policy!r}"
        )


def low_precision_layers(model):
    """The layers of `model` (itself included, nested ones too) computing in float16 or bfloat16."""
    return [
        layer for layer in model._flatten_layers(include_self=True, recursive=True)
        if layer.dtype_policy.compute_dtype in _LOW_PRECISION
    ]


def needs_loss_scaling(model):
    """True when some layer of `model` computes in float16 (bfloat16 has float32's range)."""
    return any(layer.dtype_policy.compute_dtype == "float16" for layer in low_precision_layers(model))


def to_float32(*tensors):
    """Each tensor cast to float32 when it is float16 / bfloat16 (float32 and float64 are kept).

    The losses call it on their inputs: a similarity matrix, a log-sum-exp and a
    mean over the batch need float32's mantissa, and float16 overflows in them.
    """
    out = []
    for x in tensors:
        x = x if hasattr(x, "dtype") else ops.convert_to_tensor(x)
        out.append(ops.cast(x, "float32") if keras.backend.standardize_dtype(x.dtype) in _LOW_PRECISION else x)
    return out[0] if len(out) == 1 else out


def float32_copy(model):
    """`model` itself when it computes in float32 throughout, else a float32 copy holding its weights.

    The copy is rebuilt from the model's config under the float32 policy (the
    registered encoders create their layers from the global policy) and gets
    every weight, BatchNorm statistics included; variables are float32 under
    every policy, so the weights are the trained ones exactly.
    """
    if not low_precision_layers(model):
        return model
    with policy_scope("float32"):
        copy = structural_copy(model, model.name)
    left = low_precision_layers(copy)
    if left:
        raise ValueError(
            f"{type(model).__name__} {model.name!r} keeps a mixed dtype policy in its config, so no float32 "
            f"copy can be rebuilt from it. Received: layers={[layer.name for layer in left][:5]}"
        )
    copy.set_weights(model.get_weights())
    return copy
