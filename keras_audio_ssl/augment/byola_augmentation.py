import keras

from keras_audio_ssl.layers import seeding
from keras_audio_ssl.augment.mixup import MixupBYOLA
from keras_audio_ssl.augment.random_linear_fader import RandomLinearFader
from keras_audio_ssl.augment.random_resize_crop import RandomResizeCrop


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class BYOLAAugmentation(keras.layers.Layer):
    """One BYOL-A view: mixup -> random resize crop (-> random linear fader).

    The augmentation blocks between BYOL-A's Pre- and Post-Normalization
    (Niizumi et al., 2021, Fig. 3; the fader is BYOL-A v2's). Call it twice
    on the same pre-normalized batch for the two views, then post-normalize
    their concatenation.

    Args:
        mixup: a layer, None for `MixupBYOLA()` (paper defaults), or False
            to leave the block out (ablations; `GaussianNoise()` fits here).
        rrc: a layer, None for `RandomResizeCrop()`, or False to leave it out.
        fader: a layer, True for `RandomLinearFader()`, or None/False for
            none (v1).
        **kwargs: base layer arguments.

    Call arguments:
        inputs: `[B, F, T, C]` pre-normalized log-mels. training: identity
            when False. seed: optional `[2]` int tensor; each block gets its
            own seed derived from it. update_memory: passed to a
            `MixupBYOLA` block.

    Example:
    ```python
    augment = BYOLAAugmentation()
    view_1 = augment(x, training=True, update_memory=False)
    view_2 = augment(x, training=True, update_memory=False)
    augment.mixup.update_memory(x)
    ```
    """

    def __init__(self, mixup=None, rrc=None, fader=None, **kwargs):
        kwargs.setdefault("dtype", "float32")  # views stay float32 under a mixed policy (precision.py)
        super().__init__(**kwargs)
        self.mixup = MixupBYOLA() if mixup is None else _layer_or_none(mixup, "mixup")
        self.rrc = RandomResizeCrop() if rrc is None else _layer_or_none(rrc, "rrc")
        if fader is True:
            fader = RandomLinearFader()
        self.fader = None if fader is None else _layer_or_none(fader, "fader")

    def build(self, input_shape):
        for block in self._blocks():
            if not block.built:  # a block may be shared or already used on its own
                block.build(input_shape)

    def _blocks(self):
        return [b for b in (self.mixup, self.rrc, self.fader) if b is not None]

    def call(self, inputs, training=True, seed=None, update_memory=True):
        outputs = keras.ops.cast(inputs, "float32")
        if not training:
            return outputs
        for index, block in enumerate(self._blocks()):
            kwargs = {"training": training}
            if seed is not None:
                kwargs["seed"] = seeding.sub_seed(seeding.next_seed(None, seed), index)
            if isinstance(block, MixupBYOLA):
                kwargs["update_memory"] = update_memory
            outputs = block(outputs, **kwargs)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                name: (False if block is None else keras.saving.serialize_keras_object(block))
                for name, block in (("mixup", self.mixup), ("rrc", self.rrc), ("fader", self.fader))
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in ("mixup", "rrc", "fader"):
            if isinstance(config.get(name), dict):
                config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)


def _layer_or_none(value, name):
    if value is False:
        return None
    if not isinstance(value, keras.layers.Layer):
        raise ValueError(f"`{name}` must be a Keras layer, None or False. Received: {name}={value!r}")
    return value
