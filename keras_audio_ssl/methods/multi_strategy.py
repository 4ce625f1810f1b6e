"""Multiple sampling strategies: clip, frame and pitch-shift losses together (Kuroyanagi & Komatsu, 2022)."""

import keras
import numpy as np
from keras import ops

from keras_audio_ssl import distribute
from keras_audio_ssl.augment.pitch_shift import PitchShift
from keras_audio_ssl.encoders.embedding_model_parts import shared_frames_model
from keras_audio_ssl.heads import BilinearSimilarity
from keras_audio_ssl.heads import COLAProjectionHead
from keras_audio_ssl.losses import cola_loss
from keras_audio_ssl.losses import frame_contrastive_loss
from keras_audio_ssl.losses import pitch_shift_loss
from keras_audio_ssl.methods.base import SelfSupervisedMethod

_SIMILARITIES = ("bilinear", "cosine")


def check_multi_strategy_arguments(*, similarity, temperature, frame_weight, pitch_weight, m, factor_range):
    """Raises a `ValueError` naming the argument; the recipe calls it before reading any data."""
    if similarity not in _SIMILARITIES:
        raise ValueError(f"`similarity` must be one of {_SIMILARITIES}. Received: similarity={similarity!r}")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ValueError(f"`temperature` must be a positive number. Received: temperature={temperature!r}")
    for name, value in (("frame_weight", frame_weight), ("pitch_weight", pitch_weight)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ValueError(f"`{name}` must be a number >= 0. Received: {name}={value!r}")
    if isinstance(m, bool) or not isinstance(m, int) or m < 0:
        raise ValueError(f"`m` must be an integer >= 0. Received: m={m!r}")
    if len(factor_range) != 2 or not 0 < factor_range[0] <= factor_range[1]:
        raise ValueError(f"`factor_range` must be (low, high) with 0 < low <= high. Received: factor_range={factor_range!r}")


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class MultiStrategy(SelfSupervisedMethod):
    """Self-supervised learning with multiple sampling strategies (Kuroyanagi & Komatsu, ICASSP 2022).

    Views: two random segments x, x' of each clip (`segments_per_clip=2`, as
    COLA) and x^ = x pitch-shifted by a ~ U(0.8, 1.2) per clip (`PitchShift`
    on the mel axis). The encoder's frames h = f(·) `[B, T', d]` (the input of
    its final time pooling, shared weights) feed three heads and losses:

    - clip (eq. 1-2): g_clip = Dense 512 -> LayerNorm -> tanh on the
      time-averaged h, COLA's bilinear cross-entropy over the batch (`cola_loss`);
    - frame (eq. 3-5): g_frame, the same head shape per frame, a bilinear
      similarity of its own; each frame's positives are the frames within ±m
      (m = 0), the negatives the clip's other frames (`frame_contrastive_loss`),
      averaged over x, x' and x^;
    - pitch (eq. 6): g_pitch = Dense 1 per frame, `‖g(x^) - g(x) - a‖²` with a
      in semitones, 12·log2(factor): the paper's "shift width a" is the
      factor, whose no-shift value 1 would be a non-zero target; semitones
      are zero for no shift and antisymmetric.

    `L = L_clip + α L_frame + β L_pitch`, α = β = 1; each term is logged.
    `similarity="cosine"` replaces every bilinear similarity by cosine / 0.2
    (the paper's Table 2).

    The paper's equations in the code, term by term:

    - Views. x, x' are two independent random segments of one clip
      (`data.make_pretraining_dataset(segments_per_clip=2)`, each crop
      drawn with its own seed, as COLA's). x^ = `PitchShift(x)`: output mel
      band f reads the input at f's centre frequency / a on the front end's
      mel grid, linearly interpolated; bands whose source lies outside the
      grid get the sample's minimum (silence).
    - Eq. 1, s_clip = g_clip(f(x))ᵀ W g_clip(f(x')): `clip_head` on the
      time-averaged frames, `clip_similarity.kernel` as W, through
      `losses.cola_loss`'s pair similarity.
    - Eq. 2, L_clip: cross-entropy of each anchor over the batch's positives
      (`cola_loss`); the code averages the row and the column direction, the
      paper writes the rows only (a symmetric version of the same objective).
    - Eq. 3, s_frame = g_frame(f(x_t))ᵀ W' g_frame(f(x_{t+τ})): one einsum over
      all frame pairs of a clip with `frame_similarity.kernel` as W'.
    - Eq. 4, L_frame: numerator the logsumexp over frames with |t - t'| <= m,
      denominator over all T' frames of the same clip, divided by M = 2m + 1
      and averaged over anchor frames and clips (`frame_contrastive_loss`).
      With m = 0 the positive is the frame itself in the same view: under
      `similarity="cosine"` self-similarity is always the maximum (frame
      accuracy 1 by construction, the loss only spreads a clip's frames
      apart); under the bilinear similarity W' makes it a real task.
    - Eq. 5, (L(x) + L(x') + L(x^)) / 3: one frame loss over the stacked
      [x; x'; x^] frames, three blocks of B clips, so its mean is the mean of
      the three.
    - Eq. 6, ‖g_pitch(f(x^)) - g_pitch(f(x)) - a‖²: `pitch_head` = Dense(1) per
      frame on the frames of x^ and x; a = 12·log2(factor) broadcast over
      T', averaged over frames and clips (`pitch_shift_loss`). In semitones
      a ≈ 17.3·ln(factor), so the squared error is ≈ 300× what ln units
      would give: β = 1 weighs the pitch term more than a target in factor
      units would; `pitch_weight` is β.
    - Eq. 7, L = L_clip + α L_frame + β L_pitch with α = `frame_weight`,
      β = `pitch_weight`, both 1.

    Where the paper differs from this garden: its encoder is EfficientNet-B0
    with frequency pooling and T' = 3 (`encoders.EfficientNetB0Encoder`); any
    registered encoder whose last layer pools frames works (AudioNTT2020: T' =
    T / 8). The factor is drawn per clip and step (the paper: per epoch).

    Args:
        encoder: Keras model `[B, n_mels, T, 1]` -> `[B, d]` ending in a time pooling.
        projection_dim: units of g_clip and g_frame (512).
        similarity: `"bilinear"` (default) or `"cosine"`.
        temperature: the cosine similarity's divisor (0.2).
        frame_weight, pitch_weight: α and β (1.0; 0 drops the term, the ablation).
        m: the frame loss's positive neighbourhood (0).
        factor_range: the pitch-shift factor's range ((0.8, 1.2)).
        **kwargs: `SelfSupervisedMethod` arguments.
    """

    metric_names = ("loss", "embedding_std", "clip_loss", "frame_loss", "pitch_loss", "contrastive_accuracy",
                    "frame_accuracy")
    STATE_SHAPING = SelfSupervisedMethod.STATE_SHAPING + ("projection_dim", "similarity")
    SEGMENTS_PER_CLIP = 2

    def __init__(self, encoder, *, projection_dim=512, similarity="bilinear", temperature=0.2, frame_weight=1.0,
                 pitch_weight=1.0, m=0, factor_range=(0.8, 1.2), **kwargs):
        super().__init__(encoder, **kwargs)
        factor_range = tuple(float(v) for v in factor_range)
        check_multi_strategy_arguments(similarity=similarity, temperature=temperature, frame_weight=frame_weight,
                                       pitch_weight=pitch_weight, m=m, factor_range=factor_range)
        self.projection_dim = projection_dim
        self.similarity = similarity
        self.temperature = float(temperature)
        self.frame_weight = float(frame_weight)
        self.pitch_weight = float(pitch_weight)
        self.m = m
        self.factor_range = factor_range

        # === Layers ===
        self.frames_encoder = shared_frames_model(encoder)
        front = self.front_end
        self.pitch_shift = PitchShift(
            n_mels=getattr(front, "n_mels", self.n_mels), f_min=getattr(front, "f_min", 60.0),
            f_max=getattr(front, "f_max", 7800.0), mel_scale=getattr(front, "mel_scale", "slaney"),
            factor_range=factor_range, seed=self.seeds(1)[0], name="pitch_shift",
        )
        self.clip_head = COLAProjectionHead(projection_dim, name="clip_head")
        self.frame_head = COLAProjectionHead(projection_dim, name="frame_head")
        self.pitch_head = keras.layers.Dense(1, name="pitch_head")
        bilinear = similarity == "bilinear"
        self.clip_similarity = BilinearSimilarity(name="clip_similarity") if bilinear else None
        self.frame_similarity = BilinearSimilarity(name="frame_similarity") if bilinear else None

    def build_heads(self, log_mel_shape):
        self.pitch_shift.build(log_mel_shape)
        d = self.embedding_dim()
        self.clip_head.build((None, d))
        self.frame_head.build((None, None, d))
        self.pitch_head.build((None, None, d))
        pair = [(None, self.projection_dim), (None, self.projection_dim)]
        for layer in (self.clip_similarity, self.frame_similarity):
            if layer is not None:
                layer.build(pair)

    def make_views(self, x, training=True):
        """`(views [3B, F, T, 1], semitones [B])`: x, x' (the two segments) and x^ = pitch-shifted x."""
        first, _ = ops.split(x, 2, axis=0)
        shifted, factors = self.pitch_shift(first, training=training)
        semitones = 12.0 * ops.log(factors) / np.log(2.0)
        return ops.concatenate([x, shifted], axis=0), semitones

    def compute_loss_and_diagnostics(self, views, training=True):
        views, semitones = views
        frames = self.frames_encoder(views, training=training)  # [3B, T', d]
        h_x, h_other, h_shifted = ops.split(frames, 3, axis=0)

        clip = self.clip_head(ops.mean(ops.concatenate([h_x, h_other], axis=0), axis=1))
        anchors, positives = ops.split(clip, 2, axis=0)
        clip_loss, clip_diagnostics = cola_loss(
            anchors, positives, kernel=None if self.clip_similarity is None else self.clip_similarity.kernel,
            temperature=self.temperature, all_anchors=distribute.gather(anchors),
            all_positives=distribute.gather(positives), offset=distribute.replica_id() * ops.shape(anchors)[0],
        )
        frame_kernel = None if self.frame_similarity is None else self.frame_similarity.kernel
        frame_loss, frame_accuracy = frame_contrastive_loss(self.frame_head(frames), kernel=frame_kernel,
                                                            temperature=self.temperature, m=self.m)
        pitch = ops.squeeze(self.pitch_head(ops.concatenate([h_x, h_shifted], axis=0)), -1)
        pitch_x, pitch_shifted = ops.split(pitch, 2, axis=0)
        pitch_loss = pitch_shift_loss(pitch_shifted, pitch_x, semitones)
        loss = clip_loss + self.frame_weight * frame_loss + self.pitch_weight * pitch_loss
        return loss, {
            "clip_loss": clip_loss,
            "frame_loss": frame_loss,
            "pitch_loss": pitch_loss,
            "contrastive_accuracy": clip_diagnostics["contrastive_accuracy"],
            "frame_accuracy": frame_accuracy,
            "embeddings": clip,
        }

    def get_config(self):
        config = super().get_config()
        config.update({
            "projection_dim": self.projection_dim,
            "similarity": self.similarity,
            "temperature": self.temperature,
            "frame_weight": self.frame_weight,
            "pitch_weight": self.pitch_weight,
            "m": self.m,
            "factor_range": list(self.factor_range),
        })
        return config
