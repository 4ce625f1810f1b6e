"""Audio decoding: soundfile on the host, `tf.audio.decode_wav` in the graph.

Every format and bit depth libsndfile reads (WAV 8/16/24/32-bit integer and
float, FLAC, OGG/Vorbis, MP3 with libsndfile >= 1.1) goes through `load_audio`,
which also downmixes, resamples to the target rate and rejects broken files with
an `AudioDecodeError` naming the file. 16-bit PCM WAV can also be decoded inside
a `tf.data` graph with `decode_wav_tensor`.

tensorflow-io is optional: its 0.37.1 wheel imports on TensorFlow >= 2.18 but none
of its compiled ops load, so `tfio_available()` only says yes when an op really runs.
"""

import functools
import io
import os
import re
import stat

import numpy as np
import tensorflow as tf


class AudioDecodeError(ValueError):
    """An audio file could not be decoded; the message names the file and why."""

    def __init__(self, path, reason):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"Cannot decode audio file {self.path!r}: {reason}")

    def __reduce__(self):
        # Worker pools pickle exceptions back to the parent; the default reduce passes only the
        # message, which __init__ cannot take, and the pool's result thread dies (a hang).
        return type(self), (self.path, self.reason)


# Float files may exceed 1.0 a little (mastering overs); a peak above this is mis-scaled audio
# (int16-scaled floats peak near 32768) that would embed to finite garbage.
MAX_FLOAT_PEAK = 8.0
OUT_OF_RANGE_MODES = ("error", "rescale")

# Sample rates a recording can have. A header outside them is damaged, not audio: resampling a "1 Hz"
# 32 kB WAV to 16 kHz makes 256 M samples (4 GB of memory, 1 s per clip), a "2 GHz" one becomes a
# single sample. Such files are refused naming the rate (skip_bad_files skips them, counted) rather
# than resampled at a bounded cost: no bound makes their samples mean anything. 1 kHz is below any
# telephone or bioacoustic recorder's rate; 768 kHz is the highest rate of PCM audio interfaces.
MIN_SAMPLE_RATE = 1000
MAX_SAMPLE_RATE = 768000


def rate_error(path, file_rate):
    """The `AudioDecodeError` of a file whose header gives an absurd sample rate, else None."""
    if MIN_SAMPLE_RATE <= file_rate <= MAX_SAMPLE_RATE:
        return None
    return AudioDecodeError(path, f"its header gives a sample rate of {file_rate} Hz, outside "
                                  f"[{MIN_SAMPLE_RATE}, {MAX_SAMPLE_RATE}] Hz: a damaged header, not audio")


def check_sample_rate(sample_rate, name="sample_rate"):
    """Refuses a target rate outside [MIN_SAMPLE_RATE, MAX_SAMPLE_RATE] (e.g. `fit(sample_rate=1)`)."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or \
            not MIN_SAMPLE_RATE <= sample_rate <= MAX_SAMPLE_RATE:
        raise ValueError(f"`{name}` must be an integer rate in Hz within [{MIN_SAMPLE_RATE}, {MAX_SAMPLE_RATE}] "
                         f"(16000 for every model here). Received: {name}={sample_rate!r}")


def check_out_of_range(out_of_range):
    if out_of_range not in OUT_OF_RANGE_MODES:
        raise ValueError(f"`out_of_range` must be one of {OUT_OF_RANGE_MODES}. Received: out_of_range={out_of_range!r}")


def float_peak_error(path, peak):
    """The `AudioDecodeError` for a float file whose peak is above `MAX_FLOAT_PEAK`."""
    return AudioDecodeError(
        path,
        f"float samples peak at {peak:.4g}, far above 1.0 (int16-scaled or mis-scaled audio; the limit is "
        f"{MAX_FLOAT_PEAK:g}). Rescale the file, or pass out_of_range='rescale' "
        "(tools/prepare_audio.py --out-of-range rescale) to divide it by its peak",
    )


def load_audio(path, sample_rate=16000, mono=True, out_of_range="error"):
    """Reads an audio file into float32 samples, downmixed and resampled.

    Integer PCM maps to [-1, 1) (soundfile's scaling: int16 / 32768); float
    files keep their stored values, unless their peak is above
    `MAX_FLOAT_PEAK` (8.0): such a file is an error, or with
    `out_of_range="rescale"` is divided by its peak.

    Args:
        path: path of any file libsndfile reads (WAV of any PCM/float depth,
            FLAC, OGG, MP3, AIFF, ...).
        sample_rate: output sample rate in Hz; `None` keeps the file's rate.
        mono: if True, average the channels and return `[N]`; otherwise return
            `[N, C]`.
        out_of_range: `"error"` or `"rescale"`, for float files peaking above 8.0.

    Returns:
        `np.ndarray` float32 `[N]` (or `[N, C]`).

    Raises:
        AudioDecodeError: (a `ValueError`) naming the file, when it is missing,
            unreadable, empty, not audio, has a broken header, has no samples,
            contains NaN/Inf samples, or is float audio peaking above 8.0.

    Example:
    >>> waveform = load_audio("clip.flac")  # float32 [N] at 16 kHz, mono
    """
    if sample_rate is not None:
        check_sample_rate(sample_rate)
    check_out_of_range(out_of_range)
    data, file_rate, is_float = _read_file(path)
    if is_float:
        peak = float(np.max(np.abs(data)))
        if peak > MAX_FLOAT_PEAK:
            if out_of_range == "error":
                raise float_peak_error(path, peak)
            data = data / np.float32(peak)
    if mono:
        data = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1)
    if sample_rate is not None and file_rate != sample_rate:
        from keras_audio_ssl.audio.resample import resample

        data = np.asarray(resample(data, file_rate, sample_rate), dtype=np.float32)
    return np.ascontiguousarray(data, dtype=np.float32)


def _read_file(path):
    """Returns (float32 [N, C], sample_rate, is_float_file) or raises AudioDecodeError."""
    import soundfile as sf

    path = os.fspath(path)
    if isinstance(path, bytes):  # tf.numpy_function hands strings over as bytes
        path = os.fsdecode(path)  # a file name need not be UTF-8 (surrogate escapes keep it openable)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise AudioDecodeError(path, "file does not exist") from None
    except OSError as e:  # a symlink loop, a name too long, no permission on the folder
        raise AudioDecodeError(path, f"cannot be read ({e.strerror or e})") from None
    if stat.S_ISDIR(mode):
        raise AudioDecodeError(path, "is a directory, not a file")
    if not stat.S_ISREG(mode):  # opening a FIFO blocks until a writer comes: refuse, do not hang
        raise AudioDecodeError(path, "is not a regular file (a FIFO, socket or device)")
    try:
        handle = open(path, "rb")
    except OSError as e:
        raise AudioDecodeError(path, f"cannot be read ({e.strerror or e})") from e
    with handle:
        if os.fstat(handle.fileno()).st_size == 0:
            raise AudioDecodeError(path, "file is empty (0 bytes)")
        try:
            # Decode from the handle already opened: permissions were checked by open().
            audio_file = sf.SoundFile(handle)
        except Exception as e:  # libsndfile raises LibsndfileError/RuntimeError/TypeError by version
            raise AudioDecodeError(path, f"not a readable audio file or truncated header ({_short(e)})") from e
        with audio_file as f:
            file_rate = f.samplerate
            if rate_error(path, file_rate):
                raise rate_error(path, file_rate)
            is_float = f.subtype in ("FLOAT", "DOUBLE")
            try:
                # GSM 6.10 (and other block codecs) report themselves not seekable: soundfile then
                # needs the frame count, which their header gives.
                frames = -1 if f.seekable() else f.frames
                data = f.read(frames=frames, dtype="float32", always_2d=True)
            except Exception as e:  # the header parsed; the samples after it did not
                raise AudioDecodeError(path, f"damaged audio data after a valid header ({_short(e)})") from e
    if data.shape[0] == 0:
        raise AudioDecodeError(path, "contains no samples")
    if not np.isfinite(data).all():
        bad = int((~np.isfinite(data)).sum())
        raise AudioDecodeError(path, f"contains {bad} NaN or Inf samples")
    return data, int(file_rate), is_float


def _short(error):
    text = str(error).strip().splitlines()
    text = text[-1] if text else type(error).__name__
    # libsndfile prefixes "Error opening <_io.BufferedReader name=...>: "; keep only the reason.
    return re.sub(r"^Error opening <[^>]*>:\s*", "", text)


def decode_wav_tensor(contents):
    """Decodes 16-bit PCM WAV bytes inside a TensorFlow graph.

    Args:
        contents: scalar `tf.string` tensor holding the whole WAV file
            (e.g. from `tf.io.read_file`).

    Returns:
        `(audio, sample_rate)`: float32 `[N, C]` in [-1, 1) and a scalar int32.

    Example:
    >>> audio, sr = decode_wav_tensor(tf.io.read_file("clip.wav"))
    """
    audio, sample_rate = tf.audio.decode_wav(contents, desired_channels=-1)
    return audio, sample_rate


def wav_is_graph_decodable(path):
    """Whether `tf.audio.decode_wav` will decode this file without error.

    Walks the RIFF chunks with the same rules as TensorFlow's WAV reader
    (`fmt ` chunk first, PCM 16-bit, consistent block/byte rates, every chunk
    inside the file, one `data` chunk, no pad bytes) without reading the
    samples. A file libsndfile tolerates (truncated data, odd chunks) but this
    reader does not is then decoded on the host instead of failing mid-epoch.
    """
    return pcm16_wav_layout(path) is not None


def pcm16_wav_layout(path):
    """`(data_offset, num_frames, channels)` of a WAV `tf.audio.decode_wav` accepts, else None.

    With the layout known, the samples are `num_frames * channels` little-endian
    int16 at byte `data_offset`: `tf.io.decode_raw` on that slice equals
    `decode_wav` (times 32768) and runs ~5x faster than `decode_wav`'s
    per-sample loop.
    """
    import struct

    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(36)
            if len(head) < 36 or head[0:4] != b"RIFF" or head[8:12] != b"WAVE" or head[12:16] != b"fmt ":
                return None
            fmt_size, audio_format, channels, rate, byte_rate, block_align, bits = struct.unpack(
                "<IHHIIHH", head[16:36]
            )
            if fmt_size not in (16, 18) or audio_format != 1 or bits != 16 or channels < 1:
                return None
            if block_align != 2 * channels or byte_rate != block_align * rate:
                return None
            offset = 20 + fmt_size
            layout = None
            while offset < size:
                f.seek(offset)
                header = f.read(8)
                if len(header) < 8:
                    return None
                chunk_id, chunk_size = header[:4], struct.unpack("<I", header[4:])[0]
                offset += 8
                if chunk_size > 0x7FFFFFFF or offset + chunk_size > size:
                    return None
                if chunk_id == b"data":
                    if layout is not None:
                        return None  # TF rejects a second data chunk
                    frames = chunk_size // block_align
                    layout = (offset, frames, channels)
                    offset += frames * block_align  # TF's reader stops at whole frames
                else:
                    offset += chunk_size
            return layout
    except (OSError, struct.error):
        return None


@functools.lru_cache(maxsize=None)
def tfio_available():
    """Whether tensorflow-io is installed AND its compiled ops actually run.

    Importing tensorflow_io succeeds even where its shared library fails to load
    (0.37.1 on TensorFlow >= 2.18), so this decodes a tiny in-memory WAV with one
    of its ops. Any failure means "not available". The answer is cached.
    """
    try:
        import tensorflow_io as tfio  # noqa: F401

        import soundfile as sf

        buf = io.BytesIO()
        sf.write(buf, np.zeros(8, np.int16), 16000, format="WAV", subtype="PCM_16")
        out = tfio.audio.decode_wav(tf.constant(buf.getvalue()), dtype=tf.int16)
        return tuple(out.shape) == (8, 1)
    except Exception:
        return False
