"""Target-network momentum (EMA) update and its decay schedules."""

import math

from keras import ops


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
