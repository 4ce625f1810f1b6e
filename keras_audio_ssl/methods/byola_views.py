"""BYOL-A's views: which augmentation blocks make them and with which ranges (validated), the augmentation
layer those choices assemble, and how the two views pass the networks' BatchNorm (together or one by one).

The arguments are documented once, in `BYOLA`'s docstring (methods/byola.py); the ablation axes (issue 17)
are `augmentations` and `batch_norm_views`.
"""

import keras
from keras import ops

from keras_audio_ssl import augment

AUGMENTATION_BLOCKS = ("mixup", "gaussian", "rrc")
BATCH_NORM_VIEWS = ("joint", "per_view")


def check_augmentations(augmentations):
    """The augmentation block names as a tuple, or a ValueError naming what is wrong."""
    if isinstance(augmentations, str):
        augmentations = [augmentations] if augmentations else []
    blocks = tuple(augmentations)
    unknown = [b for b in blocks if b not in AUGMENTATION_BLOCKS]
    if unknown or len(set(blocks)) != len(blocks) or {"mixup", "gaussian"} <= set(blocks):
        raise ValueError(f"`augmentations` takes each of {AUGMENTATION_BLOCKS} at most once, and mixup or gaussian "
                         f"(they share the mixing slot). Received: augmentations={list(blocks)!r}")
    return blocks


def check_view_arguments(*, mixup_ratio, memory_size, virtual_crop_scale, freq_scale, time_scale):
    """Raises a `ValueError` naming the argument."""
    if isinstance(mixup_ratio, bool) or not isinstance(mixup_ratio, (int, float)) or not 0 <= mixup_ratio <= 1:
        raise ValueError(f"mixup_ratio must be a number in [0.0, 1.0]. Received: mixup_ratio={mixup_ratio!r}")
    if isinstance(memory_size, bool) or not isinstance(memory_size, int) or memory_size < 1:
        raise ValueError(f"`memory_size` must be a positive integer. Received: memory_size={memory_size!r}")
    for name, pair in (("virtual_crop_scale", virtual_crop_scale), ("freq_scale", freq_scale),
                       ("time_scale", time_scale)):
        if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in pair)
                or (name != "virtual_crop_scale" and pair[0] > pair[1])):
            raise ValueError(f"`{name}` must be two positive numbers" + ("" if name == "virtual_crop_scale" else
                             " (low <= high)") + f". Received: {name}={pair!r}")


def check_batch_norm_views(batch_norm_views):
    if batch_norm_views not in BATCH_NORM_VIEWS:
        raise ValueError(f"`batch_norm_views` must be one of {BATCH_NORM_VIEWS}. "
                         f"Received: batch_norm_views={batch_norm_views!r}")


def build_augmentation(blocks, seeds, *, mixup_ratio, memory_size, virtual_crop_scale, freq_scale, time_scale,
                       random_linear_fader):
    """The `augment.BYOLAAugmentation` of the checked `blocks`, its three random layers seeded by `seeds`."""
    if "mixup" in blocks:
        mixing = augment.MixupBYOLA(ratio=mixup_ratio, memory_size=memory_size, seed=seeds[0], name="mixup")
    elif "gaussian" in blocks:
        mixing = augment.GaussianNoise(seed=seeds[0], name="gaussian_noise")
    else:
        mixing = False
    return augment.BYOLAAugmentation(
        mixup=mixing,
        rrc=False if "rrc" not in blocks else augment.RandomResizeCrop(
            virtual_crop_scale=virtual_crop_scale,
            freq_scale=freq_scale,
            time_scale=time_scale,
            seed=seeds[1],
            name="random_resize_crop",
        ),
        fader=augment.RandomLinearFader(seed=seeds[2], name="random_linear_fader") if random_linear_fader else None,
        name="byola_augmentation",
    )


def through_network(network, views, batch_norm_views):
    """`network` on the `[2B, ...]` views (first half view 1): as one batch of 2B (`"joint"`) or on each view
    alone (`"per_view"`, BatchNorm statistics per view), its outputs concatenated back in view order."""
    if batch_norm_views == "joint":
        return network(views)
    outputs = [network(view) for view in ops.split(views, 2, axis=0)]
    return keras.tree.map_structure(lambda *halves: ops.concatenate(halves, axis=0), *outputs)
