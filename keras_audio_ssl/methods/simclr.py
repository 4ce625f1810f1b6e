"""SimCLR-audio with mix-back: contrastive learning of sound events (Fonseca et al., 2021)."""

import math

import keras
from keras import ops

from keras_audio_ssl import augment
from keras_audio_ssl import distribute
from keras_audio_ssl.heads import MLPHead
from keras_audio_ssl.layers import l2_normalize
from keras_audio_ssl.losses import nt_xent_loss
from keras_audio_ssl.methods.base import SelfSupervisedMethod

# The paper's augmentations, by the name an `augmentation` policy ("rrc+compression+noise") uses.
AUGMENTATIONS = ("rrc", "compression", "noise", "specaugment", "shift", "blur")

# The authors' code (edufonseca/uclser20, params_unsupervised_cl.yaml) where the slides give no value.
# RRC: torchvision's crop of area U(0.8, 1) and aspect U(3/4, 4/3) inside the patch, resized back; each
# axis keeps 0.79-1 of the patch, mean 0.933 (Monte Carlo of their get_params); U(0.87, 1) per axis has
# that mean (and a mean area of 0.87, theirs 0.87). No zero canvas (theirs crops inside the patch).
RRC_SCALE = (0.87, 1.0)
# Compander: log power times U(0.75, 1) ("comp_alpha: 0.75").
COMPRESSION_GAMMA = (0.75, 1.0)
# Gaussian noise: σ ~ U(0, 0.01) in log10 power before normalization ("awgn_stdev_gen: 0.01"); this
# garden's log-mel is natural-log power, so σ ≤ 0.01·ln 10 nats, added before pre-normalization.
NOISE_MAX_STDDEV_NATS = 0.01 * math.log(10.0)


def parse_policy(policy):
    """`"rrc+compression+noise"` -> the names in order; `"none"` -> ()."""
    if not isinstance(policy, str):
        raise ValueError(f"`augmentation` must be a string like 'rrc+compression+noise'. Received: augmentation={policy!r}")
    if policy == "none":
        return ()
    names = tuple(policy.split("+"))
    unknown = [n for n in names if n not in AUGMENTATIONS]
    if unknown or len(set(names)) != len(names):
        raise ValueError(
            f"`augmentation` must be 'none' or distinct names from {AUGMENTATIONS} joined by '+'. "
            f"Received: augmentation={policy!r}"
        )
    return names


def _augmentation_layer(name, seed):
    if name == "rrc":  # "small stretch in time/freq & small freq transposition"
        return augment.RandomResizeCrop(virtual_crop_scale=(1.0, 1.0), freq_scale=RRC_SCALE, time_scale=RRC_SCALE,
                                        seed=seed, name="random_resize_crop")
    if name == "compression":
        return augment.RandomCompression(gamma_range=COMPRESSION_GAMMA, seed=seed, name=name)
    if name == "noise":
        return augment.GaussianNoiseAddition(max_stddev=NOISE_MAX_STDDEV_NATS, seed=seed, name=name)
    layer = {
        "specaugment": augment.SpecAugmentMasking,
        "shift": augment.RandomTimeFrequencyShift,
        "blur": augment.RandomGaussianBlur,
    }[name]
    return layer(seed=seed, name=name)


def check_simclr_arguments(*, temperature, mix_back_alpha, policy, patch_frames, separation):
    """Raises a `ValueError` naming the argument; the recipe calls it before reading any data."""
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ValueError(f"`temperature` must be a positive number. Received: temperature={temperature!r}")
    if isinstance(mix_back_alpha, bool) or not isinstance(mix_back_alpha, (int, float)) or not 0 <= mix_back_alpha <= 1:
        raise ValueError(f"`mix_back_alpha` must be in [0, 1]. Received: mix_back_alpha={mix_back_alpha!r}")
    parse_policy(policy)
    augment.RandomTFPatches(patch_frames, separation=separation)  # it checks both, naming them


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class SimCLRAudio(SelfSupervisedMethod):
    """SimCLR for sound events with TF patches and mix-back (Fonseca et al., ICASSP 2021).

    Views: two patches of `patch_frames` log-mel frames drawn at random from
    each clip's segment (`RandomTFPatches`), each mixed back with a patch of
    another clip of the batch (`MixBack`, on log power before normalization,
    energy-adjusted, λ ~ U(0, 0.05)), then augmented per patch with the
    paper's best policy: random resized crop with small stretches and
    transposition, compression, Gaussian noise. Loss: NT-Xent (τ = 0.2) on
    the L2-normalised output of an MLP head (one hidden layer + BatchNorm +
    ReLU), negatives the global batch's other 2B - 2 patches (gathered across
    replicas). Diagnostics: contrastive accuracy, and the gap between the
    mean cosine of positive pairs and of negative pairs.

    Where the slides are silent, the authors' code (edufonseca/uclser20):
    head widths (hidden = the encoder's d, 512 for ResNet-18 as theirs;
    output 512, their `low_dim`), the augmentation ranges (`RRC_SCALE`: a
    crop of 0.87-1 of each axis inside the patch, resized back, matching
    their crop of area 0.8-1 and aspect 3/4-4/3; `COMPRESSION_GAMMA` 0.75-1;
    Gaussian noise σ ≤ 0.01 in log10 power units, added before
    normalization, `NOISE_MAX_STDDEV_NATS`). Still different from theirs:
    bicubic, not bilinear, resizing; compression pivots on the patch mean,
    theirs on 0 in log10 power; their optimizer, SGD (its values: the
    `recipes.simclr` docstring), is a setting of every recipe
    (`TrainingSettings.optimizer`), not the recipe's default. This garden's
    choice: a
    segment of a few seconds per clip (the recipe's `segment_samples`) as the
    clip the patches are drawn from. A clip shorter than that segment is
    tiled at a random phase (`PAD_MODE = "repeat"`), not zero-padded: the
    authors' code repeats short clips, and patches drawn from a zero-padded
    segment would be mostly silence for the many sub-second clips of a
    sound-event corpus. Each view is mixed back with a different other clip
    (`MixBack(paired_views=True)`), as in the authors' code. The paper's
    encoders: ResNet-18 (the recipe's), VGG-like and CRNN; any registered
    encoder works.

    Args:
        encoder: Keras model `[B, n_mels, T, 1]` -> `[B, d]`.
        patch_frames: int. Frames per patch (101; 1.01 s at a 10 ms hop).
        separation: None (random, the paper's best) or frames between patches.
        mix_back_alpha: float in [0, 1]; 0 disables mix-back.
        energy_adjustment: bool. Mix-back's energy adjustment.
        augmentation: augmentations applied in order, joined by "+", from
            `AUGMENTATIONS` (rrc, compression, noise, specaugment, shift,
            blur); default `"rrc+compression+noise"` (the paper's best);
            `"none"` for none.
        hidden_dim, projection_dim: head widths (None: hidden = d).
        temperature: NT-Xent temperature.
        synchronized_batch_norm: bool. Synchronize the head's BatchNorm across replicas.
        **kwargs: `SelfSupervisedMethod` arguments (`n_mels`: the paper's
            96 is the recipe's, the class keeps the base's 64 that the default
            encoders are built for; `front_end`, `pre_norm_mean`, `pre_norm_std`,
            `seed`, ...).
    """

    metric_names = ("loss", "embedding_std", "contrastive_accuracy", "similarity_gap")
    PAD_MODE = "repeat"
    STATE_SHAPING = SelfSupervisedMethod.STATE_SHAPING + ("projection_dim", "hidden_dim", "mix_back_alpha", "augmentation")

    def __init__(
        self,
        encoder,
        *,
        patch_frames=101,
        separation=None,
        mix_back_alpha=0.05,
        energy_adjustment=True,
        augmentation="rrc+compression+noise",
        hidden_dim=None,
        projection_dim=512,
        temperature=0.2,
        synchronized_batch_norm=False,
        **kwargs,
    ):
        super().__init__(encoder, **kwargs)
        check_simclr_arguments(temperature=temperature, mix_back_alpha=mix_back_alpha, policy=augmentation,
                               patch_frames=patch_frames, separation=separation)
        self.patch_frames = patch_frames
        self.separation = separation
        self.mix_back_alpha = float(mix_back_alpha)
        self.energy_adjustment = bool(energy_adjustment)
        self.augmentation = augmentation
        self.hidden_dim = hidden_dim
        self.projection_dim = projection_dim
        self.temperature = float(temperature)
        self.synchronized_batch_norm = bool(synchronized_batch_norm)

        # === Layers ===
        seeds = self.seeds(2 + len(AUGMENTATIONS))
        self.patches = augment.RandomTFPatches(patch_frames, separation=separation, seed=seeds[0], name="tf_patches")
        self.mix_back = None
        if self.mix_back_alpha > 0:
            self.mix_back = augment.MixBack(self.mix_back_alpha, energy_adjustment=energy_adjustment, paired_views=True,
                                            seed=seeds[1], name="mix_back")
        self.patch_augmentations = [
            _augmentation_layer(name, seeds[2 + AUGMENTATIONS.index(name)]) for name in parse_policy(augmentation)
        ]
        self.projector = None  # built in build_heads: its hidden width may depend on the encoder

    def build_heads(self, log_mel_shape):
        patch_shape = self.patches.compute_output_shape(log_mel_shape)
        self.patches.build(log_mel_shape)
        if self.mix_back is not None:
            self.mix_back.build(patch_shape)
        for layer in self.patch_augmentations:
            layer.build(patch_shape)
        # Built here, maybe outside the policy scope the encoder was built in: compute like the encoder.
        self.projector = MLPHead(self.hidden_dim or self.embedding_dim(), self.projection_dim,
                                 synchronized_batch_norm=self.synchronized_batch_norm,
                                 dtype=self.encoder.dtype_policy, name="projector")
        self.projector.build((None, self.embedding_dim()))

    def make_views(self, x, training=True):
        """Two augmented patches per clip `[2B, F, patch_frames, 1]` (rows `:B` first patches)."""
        views = self.patches(x, training=training)
        mean, std = self.pre_norm.mean_weight, self.pre_norm.std_weight
        if self.mix_back is not None:
            views = (self.mix_back(views * std + mean, training=training) - mean) / std
        for layer in self.patch_augmentations:
            if layer.name == "noise":  # σ in log-power units: added before pre-normalization, as theirs
                views = (layer(views * std + mean, training=training) - mean) / std
            else:
                views = layer(views, training=training)
        return views

    def compute_loss_and_diagnostics(self, views, training=True):
        z = l2_normalize(self.projector(self.encoder(views, training=training), training=training))
        z1, z2 = ops.split(z, 2, axis=0)
        loss, diagnostics = nt_xent_loss(
            z1, z2, self.temperature, return_diagnostics=True,
            all_z1=distribute.gather(z1), all_z2=distribute.gather(z2),
            offset=distribute.replica_id() * ops.shape(z1)[0],
        )
        return loss, {
            "contrastive_accuracy": diagnostics["accuracy"],
            "similarity_gap": diagnostics["similarity_gap"],
            "embeddings": z,
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "patch_frames": self.patch_frames,
                "separation": self.separation,
                "mix_back_alpha": self.mix_back_alpha,
                "energy_adjustment": self.energy_adjustment,
                "augmentation": self.augmentation,
                "hidden_dim": self.hidden_dim,
                "projection_dim": self.projection_dim,
                "temperature": self.temperature,
                "synchronized_batch_norm": self.synchronized_batch_norm,
            }
        )
        return config
