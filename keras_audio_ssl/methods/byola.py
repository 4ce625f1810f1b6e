"""BYOL-A: BYOL for Audio (Niizumi et al., 2021; v2 2023) on the shared method base."""

import keras
from keras import ops

from keras_audio_ssl import augment
from keras_audio_ssl import distribute
from keras_audio_ssl.heads import BYOLPredictionHead
from keras_audio_ssl.heads import BYOLProjectionHead
from keras_audio_ssl.layers.initialization import apply_initialization
from keras_audio_ssl.layers.initialization import check_initialization
from keras_audio_ssl.losses import byol_loss
from keras_audio_ssl.methods import momentum
from keras_audio_ssl.methods.base import SelfSupervisedMethod
from keras_audio_ssl.methods.global_post_normalization import post_normalize_global
from keras_audio_ssl.methods.byola_views import AUGMENTATION_BLOCKS  # noqa: F401 (public here too)
from keras_audio_ssl.methods.byola_views import BATCH_NORM_VIEWS  # noqa: F401
from keras_audio_ssl.methods.byola_views import build_augmentation
from keras_audio_ssl.methods.byola_views import check_augmentations
from keras_audio_ssl.methods.byola_views import check_batch_norm_views
from keras_audio_ssl.methods.byola_views import check_view_arguments
from keras_audio_ssl.methods.byola_views import through_network


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class BYOLA(SelfSupervisedMethod):
    """BYOL for Audio (Niizumi et al., ICASSP/IJCNN 2021; v2 2023).

    Views: Pre-Normalized log-mel -> two views, each log-mixup-exp with a
    FIFO memory bank then Random Resize Crop (and Random Linear Fader for v2)
    -> Post-Normalization over both views. Loss: online encoder + projector
    + predictor against the EMA target encoder + projector (no gradient),
    symmetric BYOL loss. After the step: EMA update of the target, then the
    pre-normalized inputs of all replicas enter the memory bank.

    Design decisions (documented where the paper is silent):
    - Both views go through each network as one concatenated batch of 2B,
      so BatchNorm sees statistics over both views (current BYOL practice;
      the v1 code ran the views one after the other: `batch_norm_views=
      "per_view"`).
    - The EMA covers the target's trainable parameters (BYOL, byol-pytorch
      as used by the official code). The target's BatchNorm runs in training
      mode and keeps its own moving statistics, as the official target did.
    - The memory bank receives the pre-normalized inputs once per step
      (after both views were mixed), gathered from all replicas.
    - The model is built for one waveform length (the memory bank stores
      `[memory_size, F, T, 1]` log-mels): train on fixed-length segments.
    - The loss is the sum of the two directions (paper: L + L~), averaged
      over the batch.
    - Post-Normalization statistics are taken over the global batch (all
      replicas), so a distributed step equals the single-device step when
      BatchNorm is synchronized too (`synchronized_batch_norm=True` on the
      encoder and here for the heads).

    Args:
        encoder: Keras model `[B, n_mels, T, 1]` -> `[B, d]`, e.g.
            `AudioNTT2020`. A structural copy becomes the target encoder.
        projection_dim: int. Projector / predictor output size (256).
        hidden_dim: int. Projector / predictor hidden size (4096).
        ema_decay: float in [0, 1]. Target decay rate (0.99).
        ema_schedule: `"constant"` or `"cosine"` (BYOL's, to 1.0 at
            `ema_total_steps`).
        ema_total_steps: int. Needed by the cosine schedule.
        mixup_ratio: float. Log-mixup-exp ratio, lambda ~ U(0, ratio) (0.4).
        memory_size: int. Mixup memory-bank size (2048).
        random_linear_fader: bool. Add BYOL-A v2's Random Linear Fader.
        virtual_crop_scale: Random Resize Crop canvas (F, T) factors
            (paper: (1.0, 1.5)).
        freq_scale, time_scale: Random Resize Crop size ranges (paper:
            (0.6, 1.5) each). All three at (1.0, 1.0) make the crop
            deterministic (used by the distributed-equality test).
        synchronized_batch_norm: bool. Synchronize the heads' BatchNorm
            across replicas.
        augmentations: the blocks between Pre- and Post-Normalization (applied
            in the paper's order: mixing, then crop) from `"mixup"`, `"gaussian"` (the paper's Gaussian-noise
            ablation block, `augment.GaussianNoise`, instead of mixup) and
            `"rrc"`; default `("mixup", "rrc")` (BYOL-A). `()` leaves only the
            normalizations (the paper's Table II rows).
        batch_norm_views: `"joint"` (both views in one batch of 2B) or
            `"per_view"` (each view through the networks on its own, as the
            official v1 code: BatchNorm statistics per view).
        initialization: `"keras"` (Glorot kernels, zero biases) or `"torch"`
            (PyTorch's defaults, as the official code), for the online
            encoder and heads; the target starts as their copy.
        **kwargs: `SelfSupervisedMethod` arguments (`n_mels`, `front_end`,
            `pre_norm_mean`, `pre_norm_std`, `collapse_threshold`, `seed`)
            and base model arguments.

    Example:
    ```python
    model = BYOLA(AudioNTT2020(feature_d=512))
    model.adapt(waveform_dataset, steps=40)
    model.compile(optimizer=keras.optimizers.Adam(3e-4))
    model.fit(waveform_dataset, epochs=100)
    embeddings = model.predict(waveforms)
    ```
    """

    metric_names = ("loss", "embedding_std", "view_mean_pre", "view_std_pre", "view_mean_post", "view_std_post")
    STATE_SHAPING = SelfSupervisedMethod.STATE_SHAPING + (
        "memory_size", "random_linear_fader", "augmentations", "batch_norm_views", "initialization")

    def __init__(
        self,
        encoder,
        *,
        projection_dim=256,
        hidden_dim=4096,
        ema_decay=0.99,
        ema_schedule="constant",
        ema_total_steps=None,
        mixup_ratio=0.4,
        memory_size=2048,
        random_linear_fader=False,
        virtual_crop_scale=(1.0, 1.5),
        freq_scale=(0.6, 1.5),
        time_scale=(0.6, 1.5),
        synchronized_batch_norm=False,
        augmentations=("mixup", "rrc"),
        batch_norm_views="joint",
        initialization="keras",
        **kwargs,
    ):
        super().__init__(encoder, **kwargs)
        momentum.check_ema_arguments(ema_decay, ema_schedule, ema_total_steps)
        check_view_arguments(mixup_ratio=mixup_ratio, memory_size=memory_size, virtual_crop_scale=virtual_crop_scale,
                             freq_scale=freq_scale, time_scale=time_scale)
        self.augmentations = check_augmentations(augmentations)
        check_batch_norm_views(batch_norm_views)
        self.batch_norm_views = batch_norm_views
        check_initialization(initialization)
        self.initialization = initialization
        self.projection_dim = projection_dim
        self.hidden_dim = hidden_dim
        self.ema_decay = float(ema_decay)
        self.ema_schedule = ema_schedule
        self.ema_total_steps = ema_total_steps
        self.mixup_ratio = float(mixup_ratio)
        self.memory_size = memory_size
        self.random_linear_fader = random_linear_fader
        self.virtual_crop_scale = tuple(virtual_crop_scale)
        self.freq_scale = tuple(freq_scale)
        self.time_scale = tuple(time_scale)
        self.synchronized_batch_norm = synchronized_batch_norm

        # === Layers ===
        self.augmentation = build_augmentation(
            self.augmentations, self.seeds(3), mixup_ratio=mixup_ratio, memory_size=memory_size,
            virtual_crop_scale=self.virtual_crop_scale, freq_scale=self.freq_scale, time_scale=self.time_scale,
            random_linear_fader=random_linear_fader)
        self.post_norm = augment.PostNormalization(name="post_normalization")
        heads = dict(hidden_dim=hidden_dim, output_dim=projection_dim, synchronized_batch_norm=synchronized_batch_norm)
        self.projector = BYOLProjectionHead(name="projector", **heads)
        self.predictor = BYOLPredictionHead(name="predictor", **heads)
        self.target_encoder = momentum.structural_copy(encoder, f"target_{encoder.name}")
        self.target_projector = BYOLProjectionHead(name="target_projector", **heads)

    @property
    def mixup(self):
        return self.augmentation.mixup

    @property
    def fader(self):
        return self.augmentation.fader

    def build_heads(self, log_mel_shape):
        self.augmentation.build(log_mel_shape)
        if not self.target_encoder.built:
            self.target_encoder.build(log_mel_shape)
        embedding_shape = (None, self.embedding_dim())
        self.projector.build(embedding_shape)
        self.target_projector.build(embedding_shape)
        self.predictor.build((None, self.projection_dim))
        apply_initialization(self.initialization, [self.encoder, self.projector, self.predictor], seed=self.seed)
        momentum.copy_weights(self._target_variables(), self._online_variables())

    def _target_variables(self):
        return self.target_encoder.trainable_weights + self.target_projector.trainable_weights

    def _online_variables(self):
        return self.encoder.trainable_weights + self.projector.trainable_weights

    def optimizer_excluded_variables(self):
        return self._target_variables()

    # --- views, loss, after-step -------------------------------------------
    def make_views(self, x, training=True):
        """The two post-normalized views `[2B, F, T, 1]` (first half view 1) and their statistics."""
        views = [self.augmentation(x, training=training, update_memory=False) for _ in range(2)]
        views = ops.concatenate(views, axis=0)
        pre_mean, pre_std = distribute.global_mean_std(views)
        normalized = post_normalize_global(self.post_norm, views, (pre_mean, pre_std))
        return {"views": normalized, "view_mean_pre": pre_mean, "view_std_pre": pre_std}

    def compute_loss_and_diagnostics(self, views, training=True):
        normalized = views["views"]

        def online(x):
            projection = self.projector(self.encoder(x, training=training), training=training)
            return projection, self.predictor(projection, training=training)

        def target_network(x):
            return self.target_projector(self.target_encoder(x, training=training), training=training)

        projection, prediction = through_network(online, normalized, self.batch_norm_views)
        target = ops.stop_gradient(through_network(target_network, normalized, self.batch_norm_views))
        p1, p2 = ops.split(prediction, 2, axis=0)
        z1, z2 = ops.split(target, 2, axis=0)
        loss = byol_loss(p1, z2) + byol_loss(p2, z1)
        post_mean, post_std = distribute.global_mean_std(normalized)
        return loss, {
            "embeddings": projection,
            "view_mean_pre": views["view_mean_pre"],
            "view_std_pre": views["view_std_pre"],
            "view_mean_post": post_mean,
            "view_std_post": post_std,
        }

    def current_ema_decay(self):
        step = self.optimizer.iterations - 1
        return momentum.ema_decay_at(step, self.ema_decay, self.ema_schedule, self.ema_total_steps)

    def after_step(self, x, views, diagnostics):
        momentum.ema_update(self._target_variables(), self._online_variables(), self.current_ema_decay())
        if isinstance(self.mixup, augment.MixupBYOLA):
            self.mixup.update_memory(distribute.gather(x))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "projection_dim": self.projection_dim,
                "hidden_dim": self.hidden_dim,
                "ema_decay": self.ema_decay,
                "ema_schedule": self.ema_schedule,
                "ema_total_steps": self.ema_total_steps,
                "mixup_ratio": self.mixup_ratio,
                "memory_size": self.memory_size,
                "random_linear_fader": self.random_linear_fader,
                "virtual_crop_scale": list(self.virtual_crop_scale),
                "freq_scale": list(self.freq_scale),
                "time_scale": list(self.time_scale),
                "synchronized_batch_norm": self.synchronized_batch_norm,
                "augmentations": list(self.augmentations),
                "batch_norm_views": self.batch_norm_views,
                "initialization": self.initialization,
            }
        )
        return config
