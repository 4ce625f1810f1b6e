"""A toy method from outside the package: a small SimSiam (Chen & He, CVPR 2021) on the method base.

Registered as "simsiam" when imported; the command line names it by module:
`python -m keras_audio_ssl.recipes --method tests.toy.simsiam:simsiam --data <folder>`.
"""

import keras
from keras import ops

from keras_audio_ssl import augment
from keras_audio_ssl import methods


@keras.saving.register_keras_serializable(package="keras_audio_ssl_tests")
class SimSiam(methods.SelfSupervisedMethod):
    """SimSiam: two mixed-up, cropped views; predictor against the stop-gradient projection.

    Args:
        projection_dim: int. Projector and predictor output width (64).
        mixup_ratio: float. Log-mixup-exp ratio of the views (0.4).
        **kwargs: `SelfSupervisedMethod` arguments.
    """

    STATE_SHAPING = methods.SelfSupervisedMethod.STATE_SHAPING + ("projection_dim",)

    def __init__(self, encoder, *, projection_dim=64, mixup_ratio=0.4, **kwargs):
        super().__init__(encoder, **kwargs)
        self.projection_dim, self.mixup_ratio = projection_dim, float(mixup_ratio)
        seeds = self.seeds(2)
        self.views = augment.BYOLAAugmentation(
            mixup=augment.MixupBYOLA(ratio=mixup_ratio, memory_size=64, seed=seeds[0], name="mixup"),
            rrc=augment.RandomResizeCrop(seed=seeds[1], name="random_resize_crop"), name="views")
        self.projector = keras.layers.Dense(projection_dim, name="projector")
        self.predictor = keras.layers.Dense(projection_dim, name="predictor")

    def build_heads(self, log_mel_shape):
        self.views.build(log_mel_shape)
        self.projector.build((None, self.embedding_dim()))
        self.predictor.build((None, self.projection_dim))

    def make_views(self, x, training=True):
        return ops.concatenate([self.views(x, training=training, update_memory=False) for _ in range(2)], axis=0)

    def compute_loss_and_diagnostics(self, views, training=True):
        z = self.projector(self.encoder(views, training=training))
        p = self.predictor(z)
        z1, z2 = ops.split(ops.stop_gradient(z), 2, axis=0)
        p1, p2 = ops.split(p, 2, axis=0)

        def negative_cosine(a, b):
            return -ops.mean(ops.sum(a * b, axis=-1) / (ops.norm(a, axis=-1) * ops.norm(b, axis=-1) + 1e-6))

        return negative_cosine(p1, z2) / 2 + negative_cosine(p2, z1) / 2, {"embeddings": z}

    def after_step(self, x, views, diagnostics):
        self.views.mixup.update_memory(x)

    def get_config(self):
        return {**super().get_config(), "projection_dim": self.projection_dim, "mixup_ratio": self.mixup_ratio}


methods.register("simsiam", SimSiam, paper={"encoder": "AudioNTT2020", "feature_d": 32, "learning_rate": 1e-3})
