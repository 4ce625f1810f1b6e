"""16 kHz int16 TFRecord shards: writing (parallel, resumable) and reading.

Record schema (one `tf.train.Example` per audio file):
    audio        bytes   raw little-endian int16 samples, mono, at `sample_rate`
                         (2 bytes/sample: half of float32 and far smaller than an
                         int64 list, which varint-encodes to ~3 bytes/sample)
    sample_rate  int64
    path         bytes   source file path (UTF-8)
    label        bytes   optional label as text ("" when absent)

A shard set is a folder of `<prefix>-00000-of-00008.tfrecord` files and an
`index.json` describing them. Each shard is written under a temporary name and
atomically renamed when complete, so a shard either exists whole or not at all;
a rerun skips the shards that exist (and whose inputs match the index) and
writes only the missing ones.
"""

import hashlib
import json
import logging
import math
import os

import numpy as np
import tensorflow as tf

from keras_audio_ssl.audio.decode import AudioDecodeError
from keras_audio_ssl.audio.decode import load_audio
from keras_audio_ssl.data.cropping import seeded_shuffle

logger = logging.getLogger(__name__)

INDEX_FILE = "index.json"
INDEX_FORMAT = "keras_audio_ssl.tfrecord_audio.v1"
DEFAULT_EXAMPLES_PER_SHARD = 512
_PARTIAL = ".partial-"

FEATURES = {
    "audio": tf.io.FixedLenFeature([], tf.string),
    "sample_rate": tf.io.FixedLenFeature([], tf.int64),
    "path": tf.io.FixedLenFeature([], tf.string, default_value=""),
    "label": tf.io.FixedLenFeature([], tf.string, default_value=""),
}


def float_to_int16(waveform):
    """float [-1, 1] -> int16 with soundfile's scale (x * 32768), clipped."""
    scaled = np.round(np.asarray(waveform, dtype=np.float64) * 32768.0)
    return np.clip(scaled, -32768, 32767).astype("<i2")


def serialize_audio_example(waveform, sample_rate, path="", label=None):
    """One `tf.train.Example` (bytes) in the shard schema; `waveform` float or int16 `[N]`."""
    samples = np.asarray(waveform)
    samples = samples.astype("<i2") if samples.dtype == np.int16 else float_to_int16(samples)
    feature = {
        "audio": tf.train.Feature(bytes_list=tf.train.BytesList(value=[samples.tobytes()])),
        "sample_rate": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(sample_rate)])),
        "path": tf.train.Feature(bytes_list=tf.train.BytesList(value=[str(path).encode("utf-8")])),
    }
    if label is not None:
        feature["label"] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[str(label).encode("utf-8")]))
    # deterministic: map entries in key order; otherwise their order varies between processes, and
    # a shard written by a resumed job would hold the same records as an uninterrupted one's in other bytes.
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString(deterministic=True)


def parse_audio_example(serialized):
    """In-graph parse of one record: dict with float32 `audio` `[N]` in [-1, 1),
    int64 `sample_rate`, string `path` and `label`."""
    parsed = tf.io.parse_single_example(serialized, FEATURES)
    samples = tf.io.decode_raw(parsed["audio"], tf.int16, little_endian=True)
    parsed["audio"] = tf.cast(samples, tf.float32) / 32768.0
    return parsed


def list_tfrecord_files(source):
    """Shard files from a glob pattern, a folder, or a list; sorted."""
    if isinstance(source, (list, tuple)):
        files = [os.fspath(f) for f in source]
    else:
        source = os.fspath(source)
        if os.path.isdir(source):
            listed = _read_index(os.path.join(source, INDEX_FILE))
            if listed:  # the index names this set's shards; ignore strays from other runs
                return [os.path.join(source, name) for name in sorted(listed)]
            source = os.path.join(source, "*.tfrecord*")
        files = sorted(tf.io.gfile.glob(source))
    if not files:
        raise ValueError(f"No TFRecord files match the source. Received: source={source!r}")
    return files


def read_tfrecord_shards(source, *, shuffle_files=False, seed=None, num_parallel_reads=tf.data.AUTOTUNE):
    """A `tf.data.Dataset` of parsed records (see `parse_audio_example`), fully in-graph.

    Args:
        source: glob pattern (`"shards/*.tfrecord*"`), folder of shards, or list.
        shuffle_files: shuffle the shard order (seeded by `seed`).
        seed: int seed for a shard order that changes every epoch, or an
            int64 tensor for one fixed order that depends on that tensor alone
            (the epoch-seeded pipeline).
        num_parallel_reads: shards read concurrently (interleaved
            deterministically, so a seed fixes the record order).

    Example:
    >>> for record in read_tfrecord_shards("shards/").take(1):
    ...     print(record["audio"].shape, record["path"])
    """
    files = list_tfrecord_files(source)
    dataset = tf.data.Dataset.from_tensor_slices(files)
    if shuffle_files:
        dataset = seeded_shuffle(dataset, len(files), seed, reshuffle=not tf.is_tensor(seed), size=len(files))
    dataset = dataset.interleave(
        tf.data.TFRecordDataset,
        cycle_length=min(len(files), 8),
        num_parallel_calls=num_parallel_reads,
        deterministic=True,
    )
    return dataset.map(parse_audio_example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def write_tfrecord_shards(
    paths,
    output_dir,
    *,
    labels=None,
    num_shards=None,
    examples_per_shard=None,
    num_workers=1,
    sample_rate=16000,
    skip_bad_files=False,
    prefix="audio",
    progress=True,
    out_of_range="error",
    shuffle_seed=0,
):
    """Converts audio files into mono int16 TFRecord shards at `sample_rate`.

    Files are spread over the shards in a seeded random order (`shuffle_seed`):
    a corpus listed class by class (a sorted folder tree) would otherwise give
    shards of one class each, and a reader that interleaves a few shards with a
    bounded shuffle buffer would then train on batches of one or two classes.

    Float samples beyond [-1, 1] are clipped to the int16 range; each file
    that was clipped is listed in the index (`clipped`: path, samples clipped,
    samples) and the job logs a warning with the count and the worst files.
    Float files peaking above 8.0 are refused (see `out_of_range`).

    Files are checked first (`check_audio_files`), so a broken file stops the
    job before any shard is written (or is skipped and reported with
    `skip_bad_files=True`). Resumable: shards already in `output_dir` whose
    inputs match `index.json` are kept; only missing shards are written.

    Args:
        paths: audio file paths; with `shuffle_seed` their order and the seed fix
            the shard contents.
        output_dir: folder for the shards and `index.json` (created).
        labels: optional labels aligned with `paths` (stored as text).
        num_shards: number of shards. Give this or `examples_per_shard`
            (default 512 files per shard).
        examples_per_shard: files per shard.
        num_workers: processes writing shards in parallel (1: in-process).
        sample_rate: output sample rate in Hz.
        skip_bad_files: skip unreadable files (reported) instead of raising.
        prefix: shard file name prefix.
        progress: show progress over shards (a bar on a terminal, lines in a log).
        out_of_range: float files peaking above 8.0 (int16-scaled floats):
            `"error"` refuses them (skipped and counted with
            `skip_bad_files=True`), `"rescale"` divides each by its peak.
        shuffle_seed: seed of the order files are dealt into shards; `None`
            keeps the order of `paths` (contiguous chunks).

    Returns:
        The index (dict, also written to `output_dir/index.json`): shard
        files, examples and samples per shard, skipped and clipped files.

    Example:
    >>> write_tfrecord_shards(find_audio_files("corpus/"), "shards/", num_workers=4)
    """
    from keras_audio_ssl.data.checks import BadAudioFilesError
    from keras_audio_ssl.data.checks import check_audio_files
    from keras_audio_ssl.data.checks import describe_failures

    paths = [os.fspath(p) for p in paths]
    if labels is not None:
        labels = [None if lab is None else str(lab) for lab in labels]
        if len(labels) != len(paths):
            raise ValueError(f"`labels` must align with `paths` ({len(paths)}). Received: len(labels)={len(labels)}")
    if num_shards is not None and examples_per_shard is not None:
        raise ValueError(
            "Give `num_shards` or `examples_per_shard`, not both. "
            f"Received: num_shards={num_shards}, examples_per_shard={examples_per_shard}"
        )
    for name, value in (("num_shards", num_shards), ("examples_per_shard", examples_per_shard)):
        if value is not None and (not isinstance(value, (int, np.integer)) or value < 1):
            raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    if not isinstance(num_workers, (int, np.integer)) or num_workers < 1:
        raise ValueError(f"`num_workers` must be a positive integer. Received: num_workers={num_workers!r}")

    try:
        check_audio_files(paths, out_of_range=out_of_range)
        preflight_skipped = []
    except BadAudioFilesError as error:
        if not skip_bad_files:
            raise
        if len(error.failures) == len(paths):
            summary = describe_failures(error.failures, len(paths))
            raise BadAudioFilesError(f"{summary}: no usable audio file is left.", error.failures) from None
        preflight_skipped = [list(failure) for failure in error.failures]
        logger.warning("Skipping bad audio files. %s", describe_failures(error.failures, len(paths)))
    bad = {path for path, _ in preflight_skipped}
    rows = [(p, None if labels is None else labels[i]) for i, p in enumerate(paths) if p not in bad]
    if shuffle_seed is not None:
        rows = [rows[i] for i in np.random.default_rng(shuffle_seed).permutation(len(rows))]

    if num_shards is None:
        per_shard = examples_per_shard or DEFAULT_EXAMPLES_PER_SHARD
        num_shards = max(1, math.ceil(len(rows) / per_shard))
    num_shards = min(num_shards, len(rows))
    # Contiguous, near-equal chunks: shard i's inputs depend only on the list and num_shards.
    bounds = np.linspace(0, len(rows), num_shards + 1).round().astype(int)

    os.makedirs(output_dir, exist_ok=True)
    for stale in os.listdir(output_dir):  # partial shards of a killed run
        if stale.startswith(f".{prefix}-") and _PARTIAL in stale:
            os.remove(os.path.join(output_dir, stale))
    index_path = os.path.join(output_dir, INDEX_FILE)
    previous = _read_index(index_path)
    entries = {}
    tasks = []
    for i in range(num_shards):
        shard_rows = rows[bounds[i] : bounds[i + 1]]
        name = f"{prefix}-{i:05d}-of-{num_shards:05d}.tfrecord"
        digest = _digest(shard_rows, sample_rate)
        done = previous.get(name)
        if os.path.exists(os.path.join(output_dir, name)) and (done is None or done.get("digest") == digest):
            entries[name] = done if done is not None else _describe_existing(output_dir, name, digest)
            continue
        tasks.append(
            dict(
                name=name,
                output_dir=os.fspath(output_dir),
                rows=shard_rows,
                digest=digest,
                sample_rate=sample_rate,
                skip_bad_files=skip_bad_files,
                out_of_range=out_of_range,
            )
        )
    if entries:
        logger.info("Resuming: %d of %d shards already written in %s.", len(entries), num_shards, output_dir)

    def finish(entry):
        entries[entry["file"]] = entry
        _write_index(index_path, entries, num_shards, sample_rate, preflight_skipped)

    bar = None
    if progress and tasks:
        from keras_audio_ssl.console import progress_bar

        bar = progress_bar(total=len(tasks), desc="Writing TFRecord shards", unit="shard")
    try:
        if num_workers == 1 or len(tasks) <= 1:
            for task in tasks:
                finish(_write_shard(task))
                bar and bar.update()
        else:
            from keras_audio_ssl.processes import worker_pool

            with worker_pool(min(num_workers, len(tasks)), import_tensorflow=True) as pool:
                for entry in pool.imap_unordered(_write_shard, tasks):
                    finish(entry)
                    bar and bar.update()
    finally:
        if bar is not None:
            bar.close()
    index = _write_index(index_path, entries, num_shards, sample_rate, preflight_skipped)
    decode_failures = [s for shard in index["shards"] for s in shard["skipped"]]
    if decode_failures:  # passed the header check but failed to decode
        logger.warning("Skipping bad audio files. %s", describe_failures(decode_failures, len(paths)))
    if index["clipped"]:
        worst = sorted(index["clipped"], key=lambda c: -c[1] / max(c[2], 1))[:5]
        shown = "; ".join(f"{path!r} ({100 * n / max(total, 1):.3g}% of its samples)" for path, n, total in worst)
        logger.warning(
            "%d of %d files had float samples beyond [-1, 1], clipped to int16 (worst: %s). "
            "Lower their gain first if that is more than the odd over.",
            len(index["clipped"]), len(rows), shown,
        )
    return index


def _write_shard(task):
    """Writes one shard under a temporary name, then renames it into place."""
    name, output_dir = task["name"], task["output_dir"]
    final = os.path.join(output_dir, name)
    # The temporary name must not match "*.tfrecord*": readers glob for that.
    temp = os.path.join(output_dir, f".{name.replace('.tfrecord', '')}{_PARTIAL}{os.getpid()}")
    num_examples = num_samples = 0
    skipped, clipped = [], []
    try:
        with tf.io.TFRecordWriter(temp) as writer:
            for path, label in task["rows"]:
                try:
                    waveform = load_audio(path, sample_rate=task["sample_rate"], out_of_range=task["out_of_range"])
                except AudioDecodeError as e:
                    if not task["skip_bad_files"]:
                        raise
                    skipped.append([path, e.reason])
                    continue
                beyond = int(np.count_nonzero(np.abs(waveform) > 1.0))
                if beyond:
                    clipped.append([path, beyond, int(waveform.shape[0])])
                writer.write(serialize_audio_example(waveform, task["sample_rate"], path, label))
                num_examples += 1
                num_samples += int(waveform.shape[0])
        os.replace(temp, final)
    finally:
        if os.path.exists(temp):
            os.remove(temp)
    return dict(
        file=name, num_examples=num_examples, num_samples=num_samples, digest=task["digest"], skipped=skipped,
        clipped=clipped,
    )


def _digest(rows, sample_rate):
    text = json.dumps([sample_rate, rows], ensure_ascii=True)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _describe_existing(output_dir, name, digest):
    """A shard renamed into place before the index was updated (interrupted run): count it."""
    num_examples = num_samples = 0
    for record in tf.data.TFRecordDataset(os.path.join(output_dir, name)).map(parse_audio_example):
        num_examples += 1
        num_samples += int(record["audio"].shape[0])
    return dict(file=name, num_examples=num_examples, num_samples=num_samples, digest=digest, skipped=[])


def _read_index(index_path):
    if not os.path.exists(index_path):
        return {}
    try:
        with open(index_path) as f:
            index = json.load(f)
        return {entry["file"]: entry for entry in index.get("shards", [])}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _write_index(index_path, entries, num_shards, sample_rate, preflight_skipped):
    shards = [entries[name] for name in sorted(entries)]
    index = dict(
        format=INDEX_FORMAT,
        sample_rate=int(sample_rate),
        dtype="int16",
        num_shards=int(num_shards),
        complete=len(shards) == num_shards,
        num_examples=sum(s["num_examples"] for s in shards),
        num_samples=sum(s["num_samples"] for s in shards),
        skipped=list(preflight_skipped) + [s for shard in shards for s in shard["skipped"]],
        clipped=[c for shard in shards for c in shard.get("clipped", [])],
        shards=shards,
    )
    temp = index_path + ".tmp"
    with open(temp, "w") as f:
        json.dump(index, f, indent=1)
    os.replace(temp, index_path)
    return index
