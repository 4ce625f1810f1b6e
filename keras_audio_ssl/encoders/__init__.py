"""Audio encoders (backbones), their registry, the waveform -> embedding model and its presets."""

from keras_audio_ssl.encoders.audio_ntt import AudioNTT2020
from keras_audio_ssl.encoders.audio_ntt import AudioNTT2022
from keras_audio_ssl.encoders.audio_ntt import MeanMaxTimePooling
from keras_audio_ssl.encoders.blocks import FrequencyPooling
from keras_audio_ssl.encoders.crnn import CRNN
from keras_audio_ssl.encoders.crnn import LastFramePooling
from keras_audio_ssl.encoders.efficientnet import EfficientNetB0Encoder
from keras_audio_ssl.encoders.embedding_model import EMBED_CHUNK_CLIPS
from keras_audio_ssl.encoders.embedding_model import build_embedding_model
from keras_audio_ssl.encoders.embedding_model import chunked_embedding_fn
from keras_audio_ssl.encoders.embedding_model import load_embedding_model
from keras_audio_ssl.encoders.initial import apply_initial_encoder
from keras_audio_ssl.encoders.initial import load_initial_weights
from keras_audio_ssl.encoders.presets import from_preset
from keras_audio_ssl.encoders.presets import preset_names
from keras_audio_ssl.encoders.presets import save_to_preset
from keras_audio_ssl.encoders.registry import get
from keras_audio_ssl.encoders.registry import get_class
from keras_audio_ssl.encoders.registry import names
from keras_audio_ssl.encoders.resnet import ResNet18
from keras_audio_ssl.encoders.slowfast_nfnet import SlowFastNFNetF0
from keras_audio_ssl.encoders.vgg_like import VGGLike
from keras_audio_ssl.layers.fused_batch_norm import FusedBatchNormalization
