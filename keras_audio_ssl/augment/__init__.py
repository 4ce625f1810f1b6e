"""On-device audio augmentation layers (BYOL-A's normalization and view blocks; SimCLR-audio's patches,
mix-back, compression and noise).

All layers take and return `[B, F, T, C]` float32 log-mels, draw their random
parameters per sample, are the identity when `training=False` (except
`PreNormalization`, which always normalizes), and accept an explicit stateless
`seed` in `call` for use inside `tf.data.Dataset.map` (see `seeding.py`).
"""

from keras_audio_ssl.augment.byola_augmentation import BYOLAAugmentation
from keras_audio_ssl.augment.gaussian_noise import GaussianNoise
from keras_audio_ssl.augment.log_mixup_exp import log_mixup_exp
from keras_audio_ssl.augment.mix_back import MixBack
from keras_audio_ssl.augment.mixup import MixupBYOLA
from keras_audio_ssl.augment.patch_augmentations import GaussianNoiseAddition
from keras_audio_ssl.augment.patch_augmentations import RandomCompression
from keras_audio_ssl.augment.patch_augmentations import RandomGaussianBlur
from keras_audio_ssl.augment.patch_augmentations import RandomTimeFrequencyShift
from keras_audio_ssl.augment.patch_augmentations import SpecAugmentMasking
from keras_audio_ssl.augment.post_normalization import PostNormalization
from keras_audio_ssl.augment.pre_normalization import PreNormalization
from keras_audio_ssl.augment.random_linear_fader import RandomLinearFader
from keras_audio_ssl.augment.random_resize_crop import RandomResizeCrop
from keras_audio_ssl.augment.random_resize_crop import bicubic_crop_matrix
from keras_audio_ssl.augment.random_resize_crop import resize_crop
from keras_audio_ssl.augment.tf_patches import RandomTFPatches
