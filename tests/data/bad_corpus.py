"""Builds a corpus of broken and odd audio files for the decoding and data tests.

`write_odd_files(folder)` writes files that are unusual but valid; each comes
with the samples that were written, so a test can check what loads back.
`write_broken_files(folder)` writes files that must be rejected (plus the path of
one that does not exist). `write_long_file` writes a 30-minute clip quickly.
"""

import os

import numpy as np
import soundfile as sf

SR = 16000


class OddFile:
    """A valid file plus what a loader must return: `expected` is float [N, C]
    at `sample_rate`, `atol` the quantisation tolerance of its format."""

    def __init__(self, path, expected, sample_rate, atol):
        self.path = path
        self.expected = np.asarray(expected, dtype=np.float64)
        self.sample_rate = sample_rate
        self.atol = atol

    @property
    def mono(self):
        return self.expected.mean(axis=1)


def _signal(num_samples, channels=1, seed=0, amplitude=0.6):
    rng = np.random.default_rng(seed)
    t = np.arange(num_samples)[:, None] / SR
    freqs = rng.uniform(200.0, 2000.0, size=channels)
    tone = amplitude * np.sin(2 * np.pi * freqs * t)
    return (tone + 0.05 * rng.standard_normal((num_samples, channels))).clip(-0.99, 0.99)


def write_odd_files(folder):
    """Writes unusual-but-valid files; returns {name: OddFile}.

    Integer formats are written from integer samples (no float->int rounding by
    libsndfile), so the expected values are exact: int / 2**(bits - 1).
    """
    os.makedirs(folder, exist_ok=True)
    files = {}

    def add_int(name, signal, sample_rate, subtype, bits):
        levels = 2 ** (bits - 1)
        q = np.clip(np.round(signal * levels), -levels, levels - 1).astype(np.int64)
        # libsndfile takes the top bits of the container: int16 for <= 16 bits, int32 above.
        container, width = (np.int16, 16) if bits <= 16 else (np.int32, 32)
        path = os.path.join(folder, name)
        sf.write(path, (q << (width - bits)).astype(container), sample_rate, subtype=subtype)
        # float32 holds up to 24-bit integers exactly; 32-bit ones round at ~6e-8.
        files[name] = OddFile(path, q.reshape(len(q), -1) / levels, sample_rate, atol=1e-7)

    def add_lossy(name, signal, subtype):
        path = os.path.join(folder, name)
        sf.write(path, signal, SR, subtype=subtype)
        files[name] = OddFile(path, signal.reshape(len(signal), -1), SR, atol=None)

    add_int("silence.wav", np.zeros((SR, 1)), SR, "PCM_16", 16)
    add_int("pcm_u8.wav", _signal(12000, seed=1), SR, "PCM_U8", 8)  # WAV 8-bit is unsigned
    add_int("pcm_16.wav", _signal(12000, seed=2), SR, "PCM_16", 16)
    add_int("pcm_24.wav", _signal(12000, seed=3), SR, "PCM_24", 24)
    add_int("pcm_32.wav", _signal(12000, seed=4), SR, "PCM_32", 32)
    add_int("stereo.wav", _signal(12000, channels=2, seed=6), SR, "PCM_16", 16)
    add_int("rate_44100.wav", _signal(22050, seed=7), 44100, "PCM_16", 16)
    add_int("rate_48000.wav", _signal(24000, seed=8), 48000, "PCM_16", 16)
    add_int("pcm_24.flac", _signal(12000, seed=9), SR, "PCM_24", 24)
    add_int("short.wav", _signal(4000, seed=10), SR, "PCM_16", 16)  # shorter than one 15,200 segment
    float_signal = (_signal(12000, seed=5) * 1.3).astype(np.float32)  # float WAV may exceed [-1, 1]
    path = os.path.join(folder, "float32.wav")
    sf.write(path, float_signal, SR, subtype="FLOAT")
    files["float32.wav"] = OddFile(path, float_signal, SR, atol=0.0)
    # Lossy formats: only length and loudness are comparable (codec delay, quantisation).
    add_lossy("vorbis.ogg", _signal(16000, seed=11), "VORBIS")
    if "MP3" in sf.available_formats():
        add_lossy("mpeg.mp3", _signal(16000, seed=12), "MPEG_LAYER_III")
    return files


def write_broken_files(folder):
    """Writes files that must be rejected; returns {name: path}.

    Includes `missing.wav`, a path that is never created.
    """
    os.makedirs(folder, exist_ok=True)
    paths = {name: os.path.join(folder, name) for name in (
        "empty.wav", "truncated_header.wav", "header_only.wav", "zero_samples.wav",
        "nan.wav", "inf.wav", "not_audio.wav", "missing.wav",
    )}
    open(paths["empty.wav"], "wb").close()
    reference = os.path.join(folder, ".reference.wav")
    sf.write(reference, _signal(4000, seed=20), SR, subtype="PCM_16")
    with open(reference, "rb") as f:
        raw = f.read()
    os.remove(reference)
    with open(paths["truncated_header.wav"], "wb") as f:
        f.write(raw[:20])  # cut inside the fmt chunk
    with open(paths["header_only.wav"], "wb") as f:
        f.write(raw[:44])  # a complete header, then no data at all
    sf.write(paths["zero_samples.wav"], np.zeros((0, 1)), SR, subtype="PCM_16")
    nan = _signal(4000, seed=21).astype(np.float32)
    nan[1234] = np.nan
    sf.write(paths["nan.wav"], nan, SR, subtype="FLOAT")
    inf = _signal(4000, seed=22).astype(np.float32)
    inf[3000] = -np.inf
    sf.write(paths["inf.wav"], inf, SR, subtype="FLOAT")
    with open(paths["not_audio.wav"], "wb") as f:
        f.write(b"<html><body>404 Not Found</body></html>\n" * 20)
    return paths


def write_truncated_data_file(folder, name="truncated_data.wav"):
    """A 16-bit WAV cut mid-data: the header promises more samples than exist.

    libsndfile reads the samples present; `tf.audio.decode_wav` rejects it.
    Returns (path, the int16 samples that are present).
    """
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    samples = np.round(_signal(8000, seed=30)[:, 0] * 32767).astype(np.int16)
    sf.write(path, samples, SR, subtype="PCM_16")
    with open(path, "rb") as f:
        raw = f.read()
    keep = 44 + 2 * 5000 + 1  # 5000 whole samples plus one stray byte
    with open(path, "wb") as f:
        f.write(raw[:keep])
    return path, samples[:5000]


def write_unreadable_file(folder, name="unreadable.wav"):
    """A valid WAV with mode 000. Root can still read it; others cannot."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    sf.write(path, _signal(4000, seed=40), SR, subtype="PCM_16")
    os.chmod(path, 0)
    return path


def write_long_file(folder, minutes=30, name="long_30min.wav"):
    """A `minutes`-long 16 kHz mono int16 WAV of low-amplitude noise, written fast.

    Returns (path, int16 samples).
    """
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    samples = np.random.default_rng(50).integers(-300, 300, size=minutes * 60 * SR, dtype=np.int16)
    sf.write(path, samples, SR, subtype="PCM_16")
    return path, samples


def write_manifest(path, rows, header=("path",)):
    """Writes a CSV manifest; `rows` are tuples matching `header`."""
    import csv

    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def write_wav_with_trailing_chunk(folder, name="trailing_chunk.wav", channels=2):
    """A 16-bit WAV with a metadata chunk AFTER the data chunk (some editors write these).

    Returns (path, int16 samples [N, C]).
    """
    import struct

    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    samples = np.round(_signal(6000, channels=channels, seed=60) * 32767).astype(np.int16)
    sf.write(path, samples, SR, subtype="PCM_16")
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    chunk = b"LIST" + struct.pack("<I", 10) + b"INFOIC\x02\x00x\x00"
    raw += chunk
    raw[4:8] = struct.pack("<I", len(raw) - 8)
    with open(path, "wb") as f:
        f.write(bytes(raw))
    return path, samples


def write_corrupt_payload_flac(folder, name="corrupt_payload.flac"):
    """A FLAC whose header is intact (it passes the header check) but whose frames are noise bytes.

    libsndfile's FLAC decoder fails on it only when reading the samples.
    """
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    sf.write(path, _signal(32000, seed=31)[:, 0], SR, subtype="PCM_16")
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    start = len(raw) // 3
    raw[start:] = np.random.default_rng(31).integers(0, 256, len(raw) - start, dtype=np.uint8).tobytes()
    with open(path, "wb") as f:
        f.write(bytes(raw))
    return path


def _write_with_rate(path, rate):
    """A 16-bit WAV whose header claims `rate` Hz (rate and byte rate rewritten)."""
    import struct

    sf.write(path, np.round(_signal(16000, seed=60)[:, 0] * 32767).astype(np.int16), SR, subtype="PCM_16")
    with open(path, "r+b") as f:
        f.seek(24)
        f.write(struct.pack("<II", rate, min(rate * 2, 2**32 - 1)))


#: What an entry point may do with a hostile input: decode it, or refuse / skip it in one named line.
OK, REFUSED = "ok", "refused"


def write_hostile_audio(folder):
    """Every kind of hostile audio input tried so far; returns {kind: (path, expected outcome)}.

    `expected` is `OK` (a valid file, however odd: it must decode) or `REFUSED`
    (an error naming the file, or a counted skip with `skip_bad_files`). Kinds:
    last round's broken and odd files, plus this round's corrupt FLAC payload,
    GSM 6.10, absurd header rates, a FIFO, symlinks (broken, looping), a folder
    named like audio, a non-UTF-8 file name and a truncated data chunk.
    """
    os.makedirs(folder, exist_ok=True)
    kinds = {}
    for name, odd in write_odd_files(os.path.join(folder, "odd")).items():
        kinds[f"odd {name}"] = (odd.path, OK)
    for name, path in write_broken_files(os.path.join(folder, "broken")).items():
        if name != "missing.wav":
            kinds[f"broken {name}"] = (path, REFUSED)
    kinds["truncated data chunk"] = (write_truncated_data_file(folder)[0], OK)  # libsndfile reads what is there
    kinds["corrupt FLAC payload"] = (write_corrupt_payload_flac(folder), REFUSED)
    gsm = os.path.join(folder, "gsm610.wav")
    sf.write(gsm, _signal(8000, seed=61)[:, 0], 8000, format="WAV", subtype="GSM610")
    kinds["GSM 6.10 WAV"] = (gsm, OK)
    for label, rate in (("1 Hz", 1), ("2 GHz", 2_000_000_000)):
        path = os.path.join(folder, f"rate_{rate}.wav")
        _write_with_rate(path, rate)
        kinds[f"header rate {label}"] = (path, REFUSED)
    fifo = os.path.join(folder, "fifo.wav")
    os.mkfifo(fifo)
    kinds["FIFO"] = (fifo, REFUSED)
    os.symlink(os.path.join(folder, "nowhere.wav"), os.path.join(folder, "broken_link.wav"))
    kinds["broken symlink"] = (os.path.join(folder, "broken_link.wav"), REFUSED)
    loop = os.path.join(folder, "loop.wav")
    os.symlink(loop, loop)
    kinds["symlink loop"] = (loop, REFUSED)
    os.makedirs(os.path.join(folder, "folder.wav"))
    kinds["folder named .wav"] = (os.path.join(folder, "folder.wav"), REFUSED)
    latin1 = os.path.join(os.fsencode(folder), "caf\xe9.wav".encode("latin-1"))  # not valid UTF-8
    sf.write(os.path.join(folder, "latin1.wav"), _signal(8000, seed=62)[:, 0], SR, subtype="PCM_16")
    os.rename(os.path.join(folder, "latin1.wav"), latin1)  # soundfile cannot open such a name itself
    kinds["non-UTF-8 file name"] = (os.fsdecode(latin1), OK)
    return kinds
