"""Audio decoding, resampling and the log-mel front end."""

from keras_audio_ssl.audio.clips import fit_length
from keras_audio_ssl.audio.clips import load_clips
from keras_audio_ssl.audio.decode import AudioDecodeError
from keras_audio_ssl.audio.decode import decode_wav_tensor
from keras_audio_ssl.audio.decode import load_audio
from keras_audio_ssl.audio.log_mel import LogMelSpectrogram
from keras_audio_ssl.audio.mel_filters import mel_filterbank
from keras_audio_ssl.audio.resample import resample
from keras_audio_ssl.audio.statistics import log_mel_statistics
