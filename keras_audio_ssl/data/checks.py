"""Pre-flight check of audio files, run before a dataset is built.

A broken file found mid-epoch kills a training run hours in; this check opens
every file's header up front so the error (naming the file) comes before the
first step.

What is checked per file, and what it costs:
- exists, is a file, is not empty, can be opened for reading;
- libsndfile parses its header (`soundfile.info`): catches non-audio bytes and
  truncated headers; frames > 0: catches zero-sample files;
- float-typed files (FLOAT/DOUBLE subtypes) are read once in blocks to find
  NaN/Inf samples and a peak above `MAX_FLOAT_PEAK` (8.0: int16-scaled or
  mis-scaled floats, which would embed to finite garbage). Integer PCM (WAV, FLAC) cannot hold NaN/Inf, so those are
  never read past the header: the check stays at header speed for ordinary
  corpora and costs one sequential read only for float files.
- `full_decode=True` additionally decodes every file with `load_audio`
  (catches corrupt compressed payloads; as slow as one pass over the data).
"""

import concurrent.futures
import dataclasses
import functools
import logging
import os
import re

import numpy as np

from keras_audio_ssl.audio.decode import MAX_FLOAT_PEAK
from keras_audio_ssl.audio.decode import AudioDecodeError
from keras_audio_ssl.audio.decode import check_out_of_range
from keras_audio_ssl.audio.decode import float_peak_error
from keras_audio_ssl.audio.decode import load_audio
from keras_audio_ssl.audio.decode import pcm16_wav_layout
from keras_audio_ssl.audio.decode import rate_error

logger = logging.getLogger(__name__)

_FLOAT_SUBTYPES = ("FLOAT", "DOUBLE")
_NAMES_SHOWN = 5


@dataclasses.dataclass(frozen=True)
class AudioFileInfo:
    """Header facts of one audio file, as libsndfile reports them."""

    path: str
    sample_rate: int
    channels: int
    frames: int
    format: str
    subtype: str
    # For a clean 16-bit PCM WAV (one tf.audio.decode_wav reads): where its samples start and how
    # many frames its data chunk holds, as TF's reader sees them; else -1.
    pcm16_data_offset: int = -1
    pcm16_num_frames: int = -1

    @property
    def graph_decodable(self):
        """Whether the samples can be decoded in the graph (16-bit PCM WAV, TF-compatible layout)."""
        return self.pcm16_data_offset >= 0


class BadAudioFilesError(ValueError):
    """Some audio files cannot be used; `failures` lists `(path, reason)`."""

    def __init__(self, message, failures):
        super().__init__(message)
        self.failures = list(failures)


def inspect_audio_file(path, full_decode=False, out_of_range="error"):
    """Checks one file and returns its `AudioFileInfo`.

    `out_of_range="rescale"` accepts float files peaking above 8.0 (`load_audio`
    then divides them by their peak); `"error"` refuses them.

    Raises:
        AudioDecodeError: naming the file and the reason.
    """
    import soundfile as sf

    path = os.fspath(path)
    if not os.path.exists(path):
        if os.path.lexists(path):
            raise AudioDecodeError(path, "is a symlink to nothing (broken, or a loop)")
        raise AudioDecodeError(path, "file does not exist")
    if not os.path.isfile(path):
        raise AudioDecodeError(path, "is not a regular file")
    if os.path.getsize(path) == 0:
        raise AudioDecodeError(path, "file is empty (0 bytes)")
    try:
        with open(path, "rb") as f:
            f.read(1)
    except OSError as e:
        raise AudioDecodeError(path, f"cannot be read ({e.strerror or e})") from e
    try:
        with open(path, "rb") as handle:  # by handle: libsndfile cannot open a name that is not UTF-8
            info = sf.info(handle)
    except Exception as e:  # libsndfile's error type differs across soundfile versions
        reason = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        reason = re.sub(r"^Error opening <[^>]*>:\s*", "", reason.replace(f"Error opening {path!r}: ", ""))
        raise AudioDecodeError(path, f"not a readable audio file or truncated header ({reason})") from e
    if info.frames <= 0:
        raise AudioDecodeError(path, "contains no samples")
    if rate_error(path, int(info.samplerate)):
        raise rate_error(path, int(info.samplerate))
    if info.subtype in _FLOAT_SUBTYPES:
        peak = 0.0
        with open(path, "rb") as handle:
            for block in sf.blocks(handle, blocksize=1 << 16, dtype="float32", always_2d=True):
                if not np.isfinite(block).all():
                    raise AudioDecodeError(path, "contains NaN or Inf samples")
                peak = max(peak, float(np.max(np.abs(block), initial=0.0)))
        if peak > MAX_FLOAT_PEAK and out_of_range == "error":
            raise float_peak_error(path, peak)
    if full_decode:
        load_audio(path, sample_rate=None, mono=False, out_of_range=out_of_range)
    layout = pcm16_wav_layout(path) if info.format == "WAV" and info.subtype == "PCM_16" else None
    return AudioFileInfo(
        path=path,
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        frames=int(info.frames),
        format=str(info.format),
        subtype=str(info.subtype),
        pcm16_data_offset=-1 if layout is None else layout[0],
        pcm16_num_frames=-1 if layout is None else layout[1],
    )


def check_audio_files(
    paths,
    *,
    skip_bad_files=False,
    full_decode=False,
    num_threads=None,
    progress=None,
    return_info=False,
    out_of_range="error",
):
    """Checks that audio files can be decoded, before any training starts.

    Args:
        paths: iterable of file paths.
        skip_bad_files: if False, raise on any bad file; if True, drop bad
            files and log a warning with their count and the first few names.
        full_decode: also decode every file completely (slow; see module doc).
        num_threads: threads used to open headers (I/O bound). Defaults to
            `min(32, 4 * cpu_count)`.
        progress: show progress (a bar on a terminal, lines in a log); `None`:
            for 1,000 files or more.
        return_info: return `AudioFileInfo`s instead of paths.
        out_of_range: `"error"` refuses float files peaking above 8.0;
            `"rescale"` accepts them (decoding divides them by their peak).

    Returns:
        The good paths (or their `AudioFileInfo`s), in input order.

    Raises:
        BadAudioFilesError: (a `ValueError`) naming the bad files and why,
            unless `skip_bad_files=True`; also when no file is usable.

    Example:
    >>> good = check_audio_files(find_audio_files("corpus/"), skip_bad_files=True)
    """
    check_out_of_range(out_of_range)
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise ValueError("`paths` is empty: there are no audio files to check. Received: paths=[]")
    if progress is None:
        progress = len(paths) >= 1000

    check = functools.partial(check_audio_file, full_decode=full_decode, out_of_range=out_of_range)
    with check_threads(num_threads) as pool:
        results = pool.map(check, paths)
        if progress:
            from keras_audio_ssl.console import progress_bar

            results = progress_bar(results, total=len(paths), desc="Checking audio files", unit="file")
        results = list(results)

    infos = [info for info, _ in results if info is not None]
    failures = [(path, reason) for path, (info, reason) in zip(paths, results) if info is None]
    if failures:
        summary = describe_failures(failures, len(paths))
        if not skip_bad_files:
            raise BadAudioFilesError(f"{summary}. Fix or remove them, or pass skip_bad_files=True.", failures)
        if not infos:
            raise BadAudioFilesError(f"{summary}: no usable audio file is left.", failures)
        logger.warning("Skipping bad audio files. %s", summary)
    return infos if return_info else [info.path for info in infos]


def check_audio_file(path, full_decode=False, out_of_range="error"):
    """`(AudioFileInfo, None)` for a usable file, `(None, reason)` for a bad one (see `inspect_audio_file`)."""
    try:
        return inspect_audio_file(path, full_decode=full_decode, out_of_range=out_of_range), None
    except AudioDecodeError as e:
        return None, e.reason


def check_threads(num_threads=None):
    """The thread pool that checks files: opening headers is I/O bound. Default `min(32, 4 * cpu_count)`."""
    if num_threads is None:
        num_threads = min(32, 4 * (os.cpu_count() or 1))
    return concurrent.futures.ThreadPoolExecutor(max_workers=max(1, num_threads))


def describe_failures(failures, total):
    """One line: count of bad files plus the first few names and reasons."""
    return f"{len(failures)} of {total} audio files cannot be used: {name_failures(failures)}"


def name_failures(failures, shown=_NAMES_SHOWN):
    """`'a.wav' (reason); 'b.flac' (reason); ... and N more` for `(path, reason)` pairs."""
    names = "; ".join(f"{path!r} ({reason})" for path, reason in failures[:shown])
    more = f"; ... and {len(failures) - shown} more" if len(failures) > shown else ""
    return names + more
