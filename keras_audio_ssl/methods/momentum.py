"""Momentum (EMA) target networks: the structural copy, its decay schedules and the update."""

import math

from keras import ops

from keras_audio_ssl.layers.model_copy import structural_copy  # noqa: F401 (the target's copy; methods use it)


def copy_weights(targets, sources):
    """Assigns each source variable to its target (a target starts equal to online, as in BYOL)."""
    for target, source in zip(targets, sources):
        target.assign(source)


def ema_decay_at(step, base_decay, schedule="constant", total_steps=None):
    """EMA decay for update number `step` (0-based).

    `"constant"`: `base_decay` always (BYOL-A). `"cosine"`: BYOL's schedule
    `1 - (1 - base_decay) * (cos(pi * step / total_steps) + 1) / 2`, rising from
    `base_decay` to 1.0 at `total_steps` (and held there after).
    """
    if schedule == "constant":
        return ops.cast(base_decay, "float32")
    progress = ops.minimum(
        ops.cast(step, "float32") / float(total_steps), 1.0
    )
    return 1.0 - (1.0 - base_decay) * (ops.cos(math.pi * progress) + 1.0) / 2.0


def ema_update(target_variables, online_variables, decay):
    """`target = decay * target + (1 - decay) * online`, variable by variable."""
    for target, online in zip(target_variables, online_variables):
        d = ops.cast(decay, target.dtype)
        target.assign(d * target + (1.0 - d) * ops.cast(online, target.dtype))


def check_ema_arguments(decay, schedule, total_steps):
    """Raises a ValueError naming the argument when the EMA settings are unusable."""
    if not 0.0 <= float(decay) <= 1.0:
        raise ValueError(f"`ema_decay` must be in [0, 1]. Received: ema_decay={decay}")
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"`ema_schedule` must be 'constant' or 'cosine'. Received: ema_schedule={schedule}")
    if schedule == "cosine" and not (isinstance(total_steps, int) and total_steps > 0):
        raise ValueError(
            f"The cosine EMA schedule needs a positive integer `ema_total_steps`. Received: ema_total_steps={total_steps}"
        )
