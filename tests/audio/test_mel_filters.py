import librosa
import numpy as np
import pytest

from keras_audio_ssl.audio.mel_filters import hz_to_mel
from keras_audio_ssl.audio.mel_filters import mel_filterbank
from keras_audio_ssl.audio.mel_filters import mel_to_hz

CONFIGS = [
    # BYOL-A's front end.
    dict(sample_rate=16000, n_fft=1024, n_mels=64, f_min=60.0, f_max=7800.0),
    # A different grid: full band, odd FFT size, many narrow low bands.
    dict(sample_rate=22050, n_fft=2047, n_mels=128, f_min=0.0, f_max=11025.0),
    dict(sample_rate=8000, n_fft=256, n_mels=40, f_min=20.0, f_max=3800.0),
]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("mel_scale", ["slaney", "htk"])
@pytest.mark.parametrize("norm", ["slaney", None])
def test_matches_librosa(config, mel_scale, norm):
    ours = mel_filterbank(**config, mel_scale=mel_scale, norm=norm)
    reference = librosa.filters.mel(
        sr=config["sample_rate"],
        n_fft=config["n_fft"],
        n_mels=config["n_mels"],
        fmin=config["f_min"],
        fmax=config["f_max"],
        htk=mel_scale == "htk",
        norm=norm,
        dtype=np.float64,
    )
    assert ours.shape == (config["n_fft"] // 2 + 1, config["n_mels"])
    assert ours.dtype == np.float32
    # Tolerance relative to the largest weight: float32 storage round-off only.
    np.testing.assert_allclose(ours, reference.T, rtol=0, atol=1e-6 * reference.max())


def test_defaults_are_byola_slaney():
    default = mel_filterbank()
    reference = librosa.filters.mel(sr=16000, n_fft=1024, n_mels=64, fmin=60, fmax=7800)
    np.testing.assert_allclose(default, reference.T, atol=1e-8)


@pytest.mark.parametrize("mel_scale", ["slaney", "htk"])
def test_mel_scale_conversions_match_librosa_and_invert(mel_scale):
    freqs = np.array([0.0, 60.0, 440.0, 999.0, 1000.0, 1001.0, 4000.0, 7800.0])
    mels = hz_to_mel(freqs, mel_scale)
    np.testing.assert_allclose(
        mels, librosa.hz_to_mel(freqs, htk=mel_scale == "htk"), rtol=1e-12
    )
    np.testing.assert_allclose(mel_to_hz(mels, mel_scale), freqs, rtol=1e-12, atol=1e-9)


def test_slaney_norm_gives_unit_area_triangles():
    # Slaney normalisation scales each triangle to height 2 / width (Hz), so
    # its area in Hz is 1; the sampled sum approximates it for wide bands.
    sample_rate, n_fft = 16000, 8192
    fb = mel_filterbank(sample_rate, n_fft, n_mels=32, f_min=500.0, f_max=8000.0)
    areas = fb.sum(axis=0) * (sample_rate / n_fft)
    np.testing.assert_allclose(areas, 1.0, rtol=1e-2)


def test_htk_without_norm_peaks_near_one_and_bands_cover_range():
    fb = mel_filterbank(mel_scale="htk", norm=None)
    assert np.all(fb >= 0)
    assert fb.max() <= 1.0
    # Every band is non-empty with the default 1024-point FFT.
    assert np.all(fb.max(axis=0) > 0.3)
    freqs = np.fft.rfftfreq(1024, 1 / 16000)
    covered = freqs[fb.sum(axis=1) > 0]
    assert covered.min() >= 60.0 and covered.max() <= 7800.0


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(mel_scale="bark"), "mel_scale"),
        (dict(norm="l2"), "norm"),
        (dict(f_max=9000.0), "f_max"),
        (dict(f_min=5000.0, f_max=4000.0), "f_max"),
        (dict(f_min=-1.0), "f_min"),
        (dict(n_mels=0), "n_mels"),
        (dict(n_fft=1), "n_fft"),
        (dict(sample_rate=0), "sample_rate"),
    ],
)
def test_bad_arguments_raise(kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        mel_filterbank(**kwargs)
