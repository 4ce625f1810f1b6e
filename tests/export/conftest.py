import numpy as np
import pytest


@pytest.fixture(scope="session")
def embedding_model():
    """A small AudioNTT2020 embedding model with non-trivial BatchNorm statistics."""
    import keras

    from keras_audio_ssl.encoders import AudioNTT2020
    from keras_audio_ssl.encoders import build_embedding_model

    keras.utils.set_random_seed(7)
    encoder = AudioNTT2020(feature_d=64)
    rng = np.random.default_rng(7)
    for index in (1, 2, 3):
        bn = encoder.get_layer(f"block{index}_bn")
        gamma, beta, mean, var = bn.get_weights()
        bn.set_weights([
            1 + 0.3 * rng.standard_normal(gamma.shape),
            0.2 * rng.standard_normal(beta.shape),
            0.3 * rng.standard_normal(mean.shape),
            0.5 + rng.random(var.shape),
        ])
    return build_embedding_model(encoder, mean=-6.0, std=4.0)


@pytest.fixture(scope="session")
def fit_run_dir(tmp_path_factory):
    """A run directory written by `recipes.byola.fit()` on a tiny budget."""
    from keras_audio_ssl.export.calibration import music_like_waveforms
    from keras_audio_ssl.export.calibration import speech_like_waveforms
    from keras_audio_ssl.recipes.byola import fit

    clips = np.concatenate([speech_like_waveforms(16, 0.95, seed=1), music_like_waveforms(16, 0.95, seed=1)])
    run_dir = tmp_path_factory.mktemp("byola_run")
    fit(clips, output_dir=str(run_dir), feature_d=64, epochs=1, batch_size=16, memory_size=32,
        norm_stats_samples=32, verbose=0)
    return str(run_dir)


_SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "Seven silver swans swam silently seaward.",
    "Please call Stella and ask her to bring these things.",
    "A large fawn jumped quickly over white zinc boxes.",
)


def _espeak_speech(folder):
    """1-s clips of real synthesised speech from espeak-ng, or None when it is missing."""
    import shutil
    import subprocess

    from keras_audio_ssl.audio import load_audio
    from keras_audio_ssl.audio import fit_length

    espeak = shutil.which("espeak-ng")
    if espeak is None:
        return None
    clips = []
    for index, (sentence, voice) in enumerate(zip(_SENTENCES, ("en", "en+f3", "en-us", "en+m5"))):
        path = folder / f"speech{index}.wav"
        subprocess.run([espeak, "-v", voice, "-w", str(path), sentence], check=True, timeout=60)
        clips.append(fit_length(load_audio(str(path)), 16000, 16000))
    return np.stack(clips)


@pytest.fixture(scope="session")
def speech_and_music(tmp_path_factory):
    """Eight 1-s clips: espeak-ng speech (synthetic speech-like when espeak-ng is
    not installed) and synthetic harmonic music-like clips."""
    from keras_audio_ssl.export.calibration import music_like_waveforms
    from keras_audio_ssl.export.calibration import speech_like_waveforms

    speech = _espeak_speech(tmp_path_factory.mktemp("speech"))
    if speech is None:
        speech = speech_like_waveforms(4, 1.0, seed=21)
    return np.concatenate([speech, music_like_waveforms(4, 1.0, seed=21)])
