"""COLA: contrastive learning of general-purpose audio representations (Saeed et al., 2021)."""

import keras
from keras import ops

from keras_audio_ssl import augment
from keras_audio_ssl import distribute
from keras_audio_ssl.heads import BilinearSimilarity
from keras_audio_ssl.heads import COLAProjectionHead
from keras_audio_ssl.losses import cola_loss
from keras_audio_ssl.methods.base import SelfSupervisedMethod
from keras_audio_ssl.methods.global_post_normalization import post_normalize_global

_SIMILARITIES = ("bilinear", "cosine")
_AUGMENTATIONS = ("none", "byola")


def check_cola_arguments(*, similarity, temperature, augmentation, projection_dim=512, memory_size=2048,
                         mixup_ratio=0.4):
    """Raises a `ValueError` naming the argument."""
    for name, value in (("projection_dim", projection_dim), ("memory_size", memory_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    if isinstance(mixup_ratio, bool) or not isinstance(mixup_ratio, (int, float)) or not 0 <= mixup_ratio <= 1:
        raise ValueError(f"`mixup_ratio` must be in [0, 1]. Received: mixup_ratio={mixup_ratio!r}")
    if similarity not in _SIMILARITIES:
        raise ValueError(f"`similarity` must be one of {_SIMILARITIES}. Received: similarity={similarity!r}")
    if augmentation not in _AUGMENTATIONS:
        raise ValueError(f"`augmentation` must be one of {_AUGMENTATIONS}. Received: augmentation={augmentation!r}")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ValueError(f"`temperature` must be a positive number. Received: temperature={temperature!r}")


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class COLA(SelfSupervisedMethod):
    """COLA (Saeed et al., ICASSP 2021), and COLA' (the BYOL-A paper's baseline).

    Views: two segments of each clip, each cropped at its own random offset
    (the data pipeline's `segments_per_clip=2`: `train_step` receives
    `[B, 2, N]`, the base passes them on crop-major, so `x[:B]` and `x[B:]`
    are the two segments); the draws are independent, so they may overlap,
    and a clip no longer than one segment gives the same segment twice, as
    in the authors' code (never on AudioSet's 10-s clips; a pool of short
    clips gives many such pairs, which COLA' augmentations make differ),
    optionally each augmented with BYOL-A's mixup + random resize crop and
    post-normalized (COLA'). Loss: the encoder embeds both segments in one
    batch of 2B, the head g (Dense 512 -> LayerNorm -> tanh) projects them,
    and `cola_loss` scores every anchor (first segment) against every clip's
    second segment with the bilinear similarity `g(x)^T W g(x')` (default)
    or cosine / temperature: the paper's L, a cross-entropy over the batch in
    one direction (anchor -> positives), as the authors' code computes it.
    Negatives are the other clips of the global batch (gathered across
    replicas), no memory bank. Diagnostics: contrastive accuracy and the
    logits' entropy, over the anchors.

    Where the paper is silent or differs from this garden: the front end is
    BYOL-A's log-mel (64 mels, 96 frames per 0.95 s segment) and inputs are
    pre-normalized with dataset statistics (an affine map; COLA' needs it).
    The authors' code (google-research `cola/`) also L2-normalizes each
    whole clip's waveform and adds N(0, 0.001²) noise to the positive's
    waveform; neither is in the paper and neither is done here (at equal
    budget on the same clips the issue-28 parity run measures the gap).

    Args:
        encoder: Keras model `[B, n_mels, T, 1]` -> `[B, d]` (EfficientNet-B0
            in the paper; any registered encoder).
        projection_dim: int. Units of the head g (512).
        similarity: `"bilinear"` (default) or `"cosine"`.
        temperature: float > 0 for the cosine similarity (0.2).
        augmentation: `"none"` (COLA) or `"byola"` (BYOL-A's mixup + RRC on
            each segment, then post-normalization: COLA' with augmentations).
        mixup_ratio, memory_size: BYOL-A's mixup settings when
            `augmentation="byola"`.
        **kwargs: `SelfSupervisedMethod` arguments (`n_mels`, `front_end`,
            `pre_norm_mean`, `pre_norm_std`, `collapse_threshold`, `seed`).

    Example:
    ```python
    model = COLA(encoders.get("audio_ntt2020", feature_d=512), pre_norm_mean=m, pre_norm_std=s)
    model.compile(optimizer=keras.optimizers.Adam(1e-4))
    model.fit(make_pretraining_dataset(..., segments_per_clip=2), epochs=...)
    ```
    """

    metric_names = ("loss", "embedding_std", "contrastive_accuracy", "logits_entropy")
    STATE_SHAPING = SelfSupervisedMethod.STATE_SHAPING + ("projection_dim", "similarity", "augmentation", "memory_size")
    SEGMENTS_PER_CLIP = 2

    def __init__(
        self,
        encoder,
        *,
        projection_dim=512,
        similarity="bilinear",
        temperature=0.2,
        augmentation="none",
        mixup_ratio=0.4,
        memory_size=2048,
        **kwargs,
    ):
        super().__init__(encoder, **kwargs)
        check_cola_arguments(similarity=similarity, temperature=temperature, augmentation=augmentation,
                             projection_dim=projection_dim, memory_size=memory_size, mixup_ratio=mixup_ratio)
        self.projection_dim = projection_dim
        self.similarity = similarity
        self.temperature = float(temperature)
        self.augmentation = augmentation
        self.mixup_ratio = float(mixup_ratio)
        self.memory_size = memory_size

        # === Layers ===
        self.projector = COLAProjectionHead(projection_dim, name="projector")
        self.bilinear = BilinearSimilarity(name="bilinear_similarity") if similarity == "bilinear" else None
        self.view_augmentation = None
        if augmentation == "byola":
            seeds = self.seeds(2)
            self.view_augmentation = augment.BYOLAAugmentation(
                mixup=augment.MixupBYOLA(ratio=mixup_ratio, memory_size=memory_size, seed=seeds[0], name="mixup"),
                rrc=augment.RandomResizeCrop(seed=seeds[1], name="random_resize_crop"),
                name="byola_augmentation",
            )
            self.post_norm = augment.PostNormalization(name="post_normalization")

    def build_heads(self, log_mel_shape):
        if self.view_augmentation is not None:
            self.view_augmentation.build(log_mel_shape)
        self.projector.build((None, self.embedding_dim()))
        if self.bilinear is not None:
            self.bilinear.build([(None, self.projection_dim), (None, self.projection_dim)])

    def make_views(self, x, training=True):
        """The two segments `[2B, F, T, 1]` (first half: one segment of each clip), augmented for COLA'."""
        if self.view_augmentation is None:
            return x
        views = self.view_augmentation(x, training=training, update_memory=False)
        return post_normalize_global(self.post_norm, views)

    def compute_loss_and_diagnostics(self, views, training=True):
        projection = self.projector(self.encoder(views, training=training))
        anchors, positives = ops.split(projection, 2, axis=0)
        loss, diagnostics = cola_loss(
            anchors,
            positives,
            kernel=None if self.bilinear is None else self.bilinear.kernel,
            temperature=self.temperature,
            # One direction: each anchor against every replica's positives; the anchors are not gathered.
            all_positives=distribute.gather(positives),
            offset=distribute.replica_id() * ops.shape(anchors)[0],
            symmetric=False,
        )
        diagnostics["embeddings"] = projection
        return loss, diagnostics

    def after_step(self, x, views, diagnostics):
        if self.view_augmentation is not None:
            self.view_augmentation.mixup.update_memory(distribute.gather(x))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "projection_dim": self.projection_dim,
                "similarity": self.similarity,
                "temperature": self.temperature,
                "augmentation": self.augmentation,
                "mixup_ratio": self.mixup_ratio,
                "memory_size": self.memory_size,
            }
        )
        return config
