"""Building blocks shared by several folders: the seeded random-layer base, the FIFO
memory bank, the fused BatchNorm, L2 normalization and a model's structural copy."""

from keras_audio_ssl.layers.fused_batch_norm import FusedBatchNormalization
from keras_audio_ssl.layers.l2_normalize import l2_normalize
from keras_audio_ssl.layers.memory_bank import FIFOMemoryBank
from keras_audio_ssl.layers.model_copy import structural_copy
from keras_audio_ssl.layers.seeded_random_layer import SeededRandomLayer
