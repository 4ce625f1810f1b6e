"""A training step's metrics: the diagnostics tracked by name, the embeddings' spread, the collapse flag,
and the warning a collapse raises at an epoch end.

The collapse flag is a model variable (`collapse_warned`), not a Python attribute, so XLA can compile
the step; `SelfSupervisedMethod.fit` adds `CollapseWarning`, which reads it.
"""

import warnings

import keras
from keras import ops

from keras_audio_ssl import distribute
from keras_audio_ssl import precision
from keras_audio_ssl.layers import l2_normalize


def update_metrics(model, loss, diagnostics):
    """Feeds `loss` and the diagnostics named in `model.trackers` into them; `"embeddings"` feeds
    `embedding_std` and the collapse flag. Returns the logs (rank-1 where the strategy needs it)."""
    values = {k: v for k, v in diagnostics.items() if k in model.trackers}
    values["loss"] = loss
    if "embeddings" in diagnostics:
        embeddings = diagnostics["embeddings"]
        values["embedding_std"] = embedding_std(embeddings)
        _flag_collapse(model, values["embedding_std"], int(embeddings.shape[-1]))
    for name, value in values.items():
        model.trackers[name].update_state(value)
    return distribute.logs_for_strategy({m.name: m.result() for m in model.metrics})


def embedding_std(embeddings):
    """Std over the batch of L2-normalized embeddings, averaged over dims (0 when collapsed)."""
    return ops.mean(ops.std(l2_normalize(precision.to_float32(embeddings)), axis=0))


def _flag_collapse(model, std, dim):
    level = std * (dim**0.5)
    collapsed = ops.cast(level < model.collapse_threshold, "int32")
    model.collapse_warned.assign(ops.maximum(model.collapse_warned, collapsed))


class CollapseWarning(keras.callbacks.Callback):
    """Warns once when a step flagged a collapsed embedding spread."""

    def on_epoch_end(self, epoch, logs=None):
        model = self.model
        if getattr(model, "_collapse_reported", False):
            return
        if int(keras.ops.convert_to_numpy(model.collapse_warned)):
            model._collapse_reported = True
            warnings.warn(
                f"{type(model).__name__} representation collapse? A training step had "
                "embedding_std * sqrt(dim) below collapse_threshold="
                f"{model.collapse_threshold} (epoch {epoch + 1}; latest "
                f"embedding_std={(logs or {}).get('embedding_std')}). "
                "Check the learning rate, the EMA decay / temperature and the augmentations.",
                RuntimeWarning,
                stacklevel=2,
            )
