"""Self-supervised methods: thin subclasses of `SelfSupervisedMethod` (methods/base.py); `get(name)` /
`names()` / `register(...)` are the one list of them (methods/registry.py)."""

from keras_audio_ssl.methods.base import SelfSupervisedMethod
from keras_audio_ssl.methods.byola import BYOLA
from keras_audio_ssl.methods.cola import COLA
from keras_audio_ssl.methods.momentum import ema_decay_at
from keras_audio_ssl.methods.momentum import ema_update
from keras_audio_ssl.methods.multi_strategy import MultiStrategy
from keras_audio_ssl.methods.registry import get
from keras_audio_ssl.methods.registry import names
from keras_audio_ssl.methods.registry import register
from keras_audio_ssl.methods.simclr import SimCLRAudio
