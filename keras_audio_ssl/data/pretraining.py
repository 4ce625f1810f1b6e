"""The pretraining input pipeline: any audio source -> batches of raw 16 kHz segments."""

import json
import os
import random
import threading
import typing

import numpy as np
import tensorflow as tf

from keras_audio_ssl.audio.decode import check_sample_rate
from keras_audio_ssl.audio.decode import load_audio
from keras_audio_ssl.data.checks import AudioFileInfo
from keras_audio_ssl.data.checks import check_audio_files
from keras_audio_ssl.data.cropping import element_seeds
from keras_audio_ssl.data.cropping import seeded_shuffle
from keras_audio_ssl.data.cropping import PAD_MODES
from keras_audio_ssl.data.cropping import random_crop_or_pad
from keras_audio_ssl.data.files import find_audio_files
from keras_audio_ssl.data.files import read_manifest
from keras_audio_ssl.data.tfrecords import INDEX_FILE
from keras_audio_ssl.data.tfrecords import list_tfrecord_files
from keras_audio_ssl.data.tfrecords import read_tfrecord_shards

AUTOTUNE = tf.data.AUTOTUNE


class PretrainingData(typing.NamedTuple):
    """What `pretraining_data` built.

    Attributes:
        dataset: the `tf.data.Dataset` of batches.
        audio_files: the checked files of a file source (pass them as `source` to build another
            dataset without checking the files again), else None.
        num_examples: the clip count when known, else None.
        steps_per_epoch: batches per epoch of a dataset built with `epochs` (None when the
            source's size is unknown: then each iteration is one re-randomized pass), else None.
        decode_failures: the `DecodeFailures` that run-time decode failures are recorded in.
    """

    dataset: object
    audio_files: object
    num_examples: object
    steps_per_epoch: object
    decode_failures: object


def make_pretraining_dataset(source, **kwargs):
    """`pretraining_data(source, **kwargs).dataset`: the batches alone (see `pretraining_data`)."""
    return pretraining_data(source, **kwargs).dataset


def pretraining_data(
    source,
    *,
    batch_size,
    segment_samples=15200,
    sample_rate=16000,
    shuffle=True,
    seed=None,
    skip_bad_files=False,
    repeat=False,
    drop_remainder=True,
    shuffle_buffer_size=1024,
    split=None,
    full_check=False,
    epochs=None,
    steps_per_epoch=None,
    segments_per_clip=1,
    pad_mode="zeros",
    decode_failures=None,
    out_of_range="error",
    input_context=None,
    data_service=None,
):
    """Batches of random fixed-length raw waveform segments for self-supervised pretraining.

    Each example is one random crop of `segment_samples` (BYOL-A: 0.95 s =
    15,200 samples at 16 kHz) from one clip; shorter clips are zero-padded at
    both ends (centred). Niizumi et al., "BYOL for Audio", 2021, Sec. 4.1.

    Files are checked before the dataset is built (`check_audio_files`), so a
    broken file raises here, naming it, not in the middle of training. 16-bit
    PCM WAVs already at `sample_rate` whose layout `tf.audio.decode_wav`
    accepts are decoded in the graph (`tf.io.read_file`, then the data chunk
    located by the check read with `tf.io.decode_raw`: the same samples as
    `decode_wav`, faster); every other format, bit depth or rate goes through
    `load_audio` (soundfile + resampling) in a `tf.numpy_function`, which holds
    the GIL and is ~100x slower for 44.1 kHz FLAC. TFRecord shards
    (`write_tfrecord_shards`, `tools/prepare_audio.py`) decode fully in the
    graph and are the fast path for large non-WAV corpora.

    Randomness: file order and crop offsets derive from `seed` only (stateless
    crops with a per-element seed), so a freshly built dataset gives the same
    epochs for the same seed, whatever the parallelism; each new epoch
    (re-iteration or `repeat`) draws a new order and new crops.

    Args:
        source: a folder (scanned recursively for audio files; or a folder of
            TFRecord shards), a CSV manifest (`.csv`, column `path`), a
            TFRecord glob (`"shards/*.tfrecord*"`), a list of audio paths, or a
            `tf.data.Dataset` of 1-D float32 waveforms at `sample_rate`.
        batch_size: examples per batch.
        segment_samples: samples per example.
        sample_rate: sample rate in Hz of the output waveforms.
        shuffle: shuffle the file order (files) or a buffer of segments
            (TFRecords, datasets).
        seed: int for reproducible epochs; `None` draws one at random.
        skip_bad_files: skip (and report) unusable files instead of raising.
        repeat: repeat forever (epochs still differ).
        drop_remainder: drop the last partial batch.
        shuffle_buffer_size: segment shuffle buffer for TFRecord and dataset
            sources (file sources shuffle the whole file list instead).
        split: with a manifest that has a `split` column, keep only these rows
            (a value or a list of values).
        full_check: decode every file fully in the pre-flight check.
        epochs: None (one dataset, re-randomized on every iteration), or a pair
            `(first, stop)`: epochs `first .. stop - 1` back to back, each drawn
            from `(seed, epoch)` alone, so a run resumed at epoch k reads exactly
            the batches an uninterrupted run read in its epochs k, k+1, ...
            The result's `steps_per_epoch` says how many batches each epoch has;
            when the source's size is unknown and `steps_per_epoch` is not given,
            the dataset is one pass re-randomized on every iteration instead (a
            resume then restarts the epoch randomness), `steps_per_epoch` None.
        steps_per_epoch: with `epochs`, batches per epoch (default: one pass).
        segments_per_clip: crops per clip, each drawn independently (COLA's
            positive pairs: 2). Above 1 the batches are `[B, S, segment_samples]`.
        pad_mode: how a clip shorter than a segment fills it: `"zeros"` (centred,
            BYOL-A's rule) or `"repeat"` (tiled at a random phase, so every part of
            the segment is audio: SimCLR-audio's patches); see `random_crop_or_pad`.
        decode_failures: a `DecodeFailures` to record into (share one between
            datasets over the same files: a file that failed once is not
            decoded again); default: a new one, the dataset's attribute.
        out_of_range: float files peaking above 8.0 (int16-scaled floats):
            `"error"` (default) refuses them in the check, naming them;
            `"rescale"` divides each by its peak.
        input_context: a `tf.distribute.InputContext` (what
            `strategy.distribute_datasets_from_function` passes): the dataset
            is then one input pipeline's part of the global batches.
            `batch_size` stays the global batch; the pipeline yields
            per-replica batches for its own replicas, `steps_per_epoch` x its
            replica count per epoch. A file list or an in-memory dataset is
            split by rows: pipeline p of N, with R replicas of batch b, keeps
            rows `[p*R*b, (p+1)*R*b)` of every global batch (those a
            single-process strategy with N*R replicas gives the same
            replicas) and decodes only its own files, so N processes train
            exactly as one process with N*R replicas. TFRecord shards are
            split by file (`read_tfrecord_shards(shard=...)`): each pipeline
            reads every N-th shard of the epoch's shuffled shard order, its
            stream repeated to fill the epoch.
        data_service: the address of a tf.data service dispatcher
            (`"grpc://host:port"`): decoding, cropping and batching run on the
            service's workers instead of in this process. Each epoch is made
            whole by one service worker (dynamic sharding over epochs), so with
            one worker the batches are exactly the local pipeline's; with W
            workers W epochs are in flight and their batches interleave. The
            source must decode inside the graph (TFRecord shards, 16-bit PCM
            WAV at `sample_rate`, a `tf.data.Dataset`): a file decoded on the
            host cannot be decoded on another machine.

    A file that passed the header check but fails to decode while the dataset
    runs (a corrupt compressed payload) is recorded in `decode_failures`.
    Without `skip_bad_files` the iteration then fails: `raise_decode_failure`
    turns TF's long error into one naming the file. With it the file is
    skipped, and epochs built with `epochs=` keep `steps_per_epoch` batches
    (the epoch's stream restarts to fill the missing ones).

    Returns:
        `PretrainingData`: the `tf.data.Dataset` of float32 `[batch_size,
        segment_samples]` (or `[batch_size, segments_per_clip, segment_samples]`)
        batches, the checked files, the clip count and the steps per epoch.

    Example:
    >>> ds = make_pretraining_dataset("corpus/", batch_size=256, seed=42)
    >>> ds.element_spec
    TensorSpec(shape=(256, 15200), dtype=tf.float32, name=None)
    """
    for name, value in (
        ("batch_size", batch_size),
        ("segment_samples", segment_samples),
        ("sample_rate", sample_rate),
        ("segments_per_clip", segments_per_clip),
    ):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    check_sample_rate(sample_rate)  # fit(sample_rate=1) would train on garbage
    if pad_mode not in PAD_MODES:
        raise ValueError(f"`pad_mode` must be one of {PAD_MODES}. Received: pad_mode={pad_mode!r}")
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    seed = int(seed)
    if decode_failures is None:
        decode_failures = DecodeFailures()

    pipeline = PipelineShard(input_context, batch_size)
    kind, items = _resolve_source(source, split=split, skip_bad_files=skip_bad_files)
    num_examples = None
    if kind in ("files", "checked"):
        if kind == "files":
            items = check_audio_files(
                items, skip_bad_files=skip_bad_files, full_decode=full_check, return_info=True, out_of_range=out_of_range
            )
        kind = "files"
        num_examples = len(items)
        if drop_remainder and not repeat and num_examples < batch_size:
            raise ValueError(
                f"Only {num_examples} usable audio files, fewer than one batch: with drop_remainder=True and "
                f"repeat=False the dataset would be empty. Lower batch_size or pass repeat=True. "
                f"Received: batch_size={batch_size}"
            )
    elif kind == "tfrecords":
        _check_index_rate(items, sample_rate)
        num_examples = _indexed_example_count(items)
    elif int(items.cardinality()) >= 0:
        num_examples = int(items.cardinality())

    def segments_of(epoch_seed, reshuffle):
        if kind == "files":
            waveforms = _decode_files(
                items, sample_rate=sample_rate, shuffle=shuffle, seed=epoch_seed, reshuffle=reshuffle,
                failures=decode_failures, skip_bad_files=skip_bad_files, out_of_range=out_of_range,
                pipeline=pipeline,
            )
            return _crop(waveforms, segment_samples, epoch_seed, reshuffle, segments_per_clip, pad_mode)
        if kind == "tfrecords":
            records = read_tfrecord_shards(
                items, shuffle_files=shuffle, seed=epoch_seed, shard=(pipeline.count, pipeline.index)
            )
            waveforms = records.map(
                lambda r: _checked_rate(r, sample_rate), num_parallel_calls=AUTOTUNE, deterministic=True
            )
        else:
            waveforms = items.map(
                lambda w: tf.ensure_shape(tf.cast(w, tf.float32), [None]),
                num_parallel_calls=AUTOTUNE,
                deterministic=True,
            )
        segments = _crop(waveforms.enumerate(), segment_samples, epoch_seed, reshuffle, segments_per_clip, pad_mode)
        if shuffle:
            segments = seeded_shuffle(segments, shuffle_buffer_size, epoch_seed + 1, reshuffle=reshuffle)
        if kind == "dataset":  # rows of the global stream, as a file list is split
            segments = pipeline.keep_rows(segments.enumerate()).map(lambda i, segment: segment)
        return segments

    if data_service is not None:
        _check_graph_decodable(kind, items, sample_rate)

    files = items if kind == "files" else None
    if steps_per_epoch is None and not repeat and num_examples is not None and epochs is not None:
        steps_per_epoch = num_examples // batch_size if drop_remainder else -(-num_examples // batch_size)
    if epochs is None or (steps_per_epoch is None and not repeat and pipeline.count == 1):
        segments = segments_of(seed, reshuffle=True)
        if repeat:
            segments = segments.repeat()
        dataset = segments.batch(pipeline.replica_batch, drop_remainder=drop_remainder)
        dataset = _served(dataset, data_service).prefetch(AUTOTUNE)
        return PretrainingData(dataset, files, num_examples, None, decode_failures)

    first, stop = (int(e) for e in epochs)
    if repeat and steps_per_epoch is None:
        raise ValueError(f"repeat=True with `epochs` needs `steps_per_epoch`. Received: epochs={epochs}")

    if pipeline.count > 1 and steps_per_epoch is None:
        raise ValueError("Several input pipelines need a known epoch length, or they disagree on where an epoch "
                         "ends: pass steps_per_epoch (the source's size is unknown). Received: steps_per_epoch=None")
    # Pipelines reading whole TFRecord files hold different numbers of examples.
    uneven = kind == "tfrecords" and pipeline.count > 1

    def one_epoch(epoch):
        segments = segments_of(epoch_seed_for(seed, epoch), reshuffle=False)
        # Skipped files would shorten the epoch and shift every later epoch's batches: restart the
        # same stream to fill it. Without failures the first steps_per_epoch batches are unchanged.
        if repeat or uneven or (skip_bad_files and kind == "files" and steps_per_epoch is not None):
            segments = segments.repeat()
        batches = segments.batch(pipeline.replica_batch, drop_remainder=drop_remainder)
        return batches if steps_per_epoch is None else batches.take(steps_per_epoch * pipeline.replicas)

    dataset = _served(tf.data.Dataset.range(first, stop).flat_map(one_epoch), data_service).prefetch(AUTOTUNE)
    return PretrainingData(dataset, files, num_examples, steps_per_epoch, decode_failures)


class PipelineShard:
    """Which rows of every global batch one input pipeline yields (see `input_context`).

    Attributes:
        count, index: input pipelines and this one's index (1 and 0 without a context).
        replica_batch: rows per yielded batch (the global batch without a context).
        replicas: this pipeline's replicas, which take its batches in turn.
    """

    def __init__(self, input_context, batch_size):
        if input_context is None:
            self.count, self.index, self.replica_batch, self.replicas = 1, 0, int(batch_size), 1
            return
        self.count = int(input_context.num_input_pipelines)
        self.index = int(input_context.input_pipeline_id)
        total = int(input_context.num_replicas_in_sync)
        if batch_size % total:
            raise ValueError(f"The global batch must split evenly between {total} replicas. "
                             f"Received: batch_size={batch_size}")
        self.replica_batch = batch_size // total
        self.replicas = total // self.count

    def keep_rows(self, indexed):
        """Keeps the `(global index, element)` pairs that fall in this pipeline's rows."""
        if self.count == 1:
            return indexed
        rows = self.replica_batch * self.replicas
        return indexed.filter(lambda i, *element: tf.equal((i // rows) % self.count, self.index))


class DecodeFailures:
    """Files that failed to decode while a dataset ran: `{path: reason}` in the order found.

    Written from tf.data's decode threads, read by the training loop.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._failures = {}
        self._reported = 0

    def record(self, path, reason):
        with self._lock:
            self._failures.setdefault(path, reason)

    def __contains__(self, path):
        with self._lock:
            return path in self._failures

    def __len__(self):
        with self._lock:
            return len(self._failures)

    def items(self):
        with self._lock:
            return list(self._failures.items())

    def unreported(self):
        """The failures not returned by an earlier call."""
        with self._lock:
            new = list(self._failures.items())[self._reported:]
            self._reported = len(self._failures)
            return new


def raise_decode_failure(failures, error, skip_bad_files=False):
    """Re-raises a TF error from iterating a dataset as a one-line `BadAudioFilesError`
    naming the file, when a decode failure caused it; otherwise does nothing."""
    from keras_audio_ssl.data.checks import BadAudioFilesError
    from keras_audio_ssl.data.checks import describe_failures

    items = failures.items() if failures is not None else []
    if not items or not isinstance(error, tf.errors.OpError):
        return
    if skip_bad_files:
        raise BadAudioFilesError(
            f"Every audio file that is decoded on the host failed to decode while training: "
            f"{describe_failures(items, len(items))}; no usable audio is left.",
            items,
        ) from None
    path, reason = items[0]
    raise BadAudioFilesError(
        f"Cannot decode audio file {path!r} ({reason}); it passed the header check, so its payload is "
        "damaged. Remove it, or pass skip_bad_files=True to skip such files (counted at each epoch end).",
        items,
    ) from None


def epoch_seed_for(seed, epoch):
    """The int64 seed of one epoch: a function of `(seed, epoch)` alone."""
    return tf.cast(seed, tf.int64) * 1_000_003 + tf.cast(epoch, tf.int64)


def _indexed_example_count(files):
    """Examples in these shards according to their index.json files (None if any is unlisted)."""
    total = 0
    by_folder = {}
    for f in files:
        by_folder.setdefault(os.path.dirname(os.path.abspath(f)), []).append(os.path.basename(f))
    for folder, names in by_folder.items():
        index_path = os.path.join(folder, INDEX_FILE)
        if not os.path.exists(index_path):
            return None
        with open(index_path) as fh:
            shards = {entry.get("file"): entry for entry in json.load(fh).get("shards", [])}
        for name in names:
            if name not in shards or "num_examples" not in shards[name]:
                return None
            total += int(shards[name]["num_examples"])
    return total


def _resolve_source(source, *, split, skip_bad_files):
    """Returns ("files", paths) | ("tfrecords", files) | ("dataset", dataset)."""
    if isinstance(source, tf.data.Dataset):
        return "dataset", source
    if isinstance(source, (list, tuple)):
        if source and all(isinstance(p, AudioFileInfo) for p in source):
            return "checked", list(source)  # checked already (the `audio_files` of another dataset)
        paths = [os.fspath(p) for p in source]
        if paths and all(".tfrecord" in os.path.basename(p) for p in paths):
            return "tfrecords", paths
        return "files", paths
    if not isinstance(source, (str, os.PathLike)):
        raise ValueError(
            "`source` must be a folder, a CSV manifest, a TFRecord glob, a list of paths or a "
            f"tf.data.Dataset. Received: source={source!r}"
        )
    source = os.fspath(source)
    if os.path.isdir(source):
        paths = find_audio_files(source)
        if paths:
            return "files", paths
        if tf.io.gfile.glob(os.path.join(source, "*.tfrecord*")):
            return "tfrecords", list_tfrecord_files(source)
        raise ValueError(f"No audio files or TFRecord shards found in the folder. Received: source={source!r}")
    if source.lower().endswith(".csv"):
        table = read_manifest(source, on_missing="skip" if skip_bad_files else "raise")
        if split is not None:
            if "split" not in table.columns:
                raise ValueError(f"Manifest {source!r} has no `split` column. Received: split={split!r}")
            wanted = [split] if isinstance(split, str) or not hasattr(split, "__iter__") else list(split)
            table = table[table["split"].astype(str).isin([str(s) for s in wanted])]
            if table.empty:
                raise ValueError(f"Manifest {source!r} has no rows with this split. Received: split={split!r}")
        return "files", list(table["path"])
    if ".tfrecord" in source or any(c in source for c in "*?["):
        return "tfrecords", list_tfrecord_files(source)
    if os.path.isfile(source):
        return "files", [source]
    raise ValueError(f"`source` does not exist. Received: source={source!r}")


# Built inside `flat_map`'s traced epoch function: AutoGraph would try to convert the os.fsencode it calls,
# fail (no source) and print a multi-line warning into every fit. Nothing here branches on a tensor.
@tf.autograph.experimental.do_not_convert
def _decode_files(
    infos, *, sample_rate, shuffle, seed, reshuffle=True, failures=None, skip_bad_files=False, out_of_range="error",
    pipeline=None,
):
    """`(epoch position, waveform)` of the files in the epoch's order (this pipeline's rows only)."""
    paths = [info.path for info in infos]
    # Clean 16-bit PCM WAVs at the target rate decode in the graph; anything else goes to the host.
    in_graph = [bool(info.graph_decodable and info.sample_rate == sample_rate) for info in infos]
    layouts = [(max(i.pcm16_data_offset, 0), max(i.pcm16_num_frames, 0), i.channels) for i in infos]
    # As bytes: a file name need not be UTF-8 (TF refuses such a str; host_load decodes it back).
    names = np.array([os.fsencode(p) for p in paths], dtype=object)
    files = tf.data.Dataset.from_tensor_slices((names, in_graph, np.array(layouts, np.int64).reshape(-1, 3)))
    if shuffle:
        files = seeded_shuffle(files, len(paths), seed, reshuffle=reshuffle, size=len(paths))
    files = files.enumerate()  # before any filter: crops are seeded by the position in the whole epoch
    if pipeline is not None:
        files = pipeline.keep_rows(files)

    failures = DecodeFailures() if failures is None else failures
    num_host_files = len(paths) - sum(in_graph)

    def host_load(path):
        path = os.fsdecode(path)  # as the file list held it: a file name need not be UTF-8
        if skip_bad_files and path in failures:
            return np.zeros([0], np.float32)
        try:
            return load_audio(path, sample_rate=sample_rate, mono=True, out_of_range=out_of_range)
        except Exception as e:  # AudioDecodeError, or whatever a codec raises on a damaged payload
            failures.record(path, getattr(e, "reason", None) or f"{type(e).__name__}: {e}")
            # Abort only when nothing usable is left: in-graph WAVs passed their check and still train.
            if not skip_bad_files or (len(failures) >= num_host_files and num_host_files == len(paths)):
                raise
            return np.zeros([0], np.float32)  # dropped by the filter below

    def decode(position, file):
        path, graph_decodable, layout = file
        def in_graph_decode():
            # Same samples as tf.audio.decode_wav (the pre-flight check mirrored its RIFF walk and
            # found the data chunk), read with decode_raw: ~5x faster than decode_wav's sample loop.
            offset, num_frames, num_channels = layout[0], layout[1], layout[2]
            data = tf.strings.substr(tf.io.read_file(path), offset, num_frames * 2 * num_channels)
            samples = tf.reshape(tf.io.decode_raw(data, tf.int16, little_endian=True), [-1, num_channels])
            return tf.reduce_mean(tf.cast(samples, tf.float32), axis=1) / 32768.0

        def host_decode():
            waveform = tf.numpy_function(host_load, [path], tf.float32, stateful=False)
            return tf.ensure_shape(waveform, [None])

        if all(in_graph):
            return position, in_graph_decode()
        if not any(in_graph):
            return position, host_decode()
        return position, tf.cond(graph_decodable, in_graph_decode, host_decode)

    waveforms = files.map(decode, num_parallel_calls=AUTOTUNE, deterministic=True)
    if skip_bad_files and num_host_files:
        waveforms = waveforms.filter(lambda i, w: tf.size(w) > 0)  # the checks refused zero-sample files
    return waveforms


def _served(dataset, data_service):
    """`dataset` made by the tf.data service at `data_service` (unchanged when None)."""
    if data_service is None:
        return dataset
    if not isinstance(data_service, str) or not data_service.strip():
        raise ValueError(f"data_service must be a dispatcher address such as 'grpc://host:5050'. "
                         f"Received: data_service={data_service!r}")
    address = data_service if "://" in data_service else f"grpc://{data_service}"
    # DYNAMIC splits the outermost source, the epoch range: one worker makes each epoch whole.
    return dataset.apply(tf.data.experimental.service.distribute(
        processing_mode=tf.data.experimental.service.ShardingPolicy.DYNAMIC, service=address))


def _check_graph_decodable(kind, items, sample_rate):
    if kind != "files":
        return
    host = [info.path for info in items if not (info.graph_decodable and info.sample_rate == sample_rate)]
    if host:
        raise ValueError(
            f"{len(host)} of {len(items)} audio files decode only on this host (not 16-bit PCM WAV at "
            f"{sample_rate} Hz), e.g. {host[0]!r}: a tf.data service worker cannot run that decoder. Convert "
            "them to TFRecord shards with tools/prepare_audio.py. Received: data_service set"
        )


def _check_index_rate(files, sample_rate):
    """Fails at build time when the shards' index.json says another sample rate."""
    for folder in sorted({os.path.dirname(os.path.abspath(f)) for f in files}):
        index_path = os.path.join(folder, INDEX_FILE)
        if os.path.exists(index_path):
            with open(index_path) as f:
                stored = json.load(f).get("sample_rate")
            if stored is not None and int(stored) != sample_rate:
                raise ValueError(
                    f"The TFRecord shards in {folder!r} hold {stored} Hz audio (index.json); rewrite them at "
                    f"{sample_rate} Hz with tools/prepare_audio.py or pass that rate. Received: sample_rate={sample_rate}"
                )


def _checked_rate(record, sample_rate):
    check = tf.debugging.assert_equal(
        record["sample_rate"],
        tf.constant(sample_rate, tf.int64),
        message=f"TFRecord sample_rate differs from the requested sample_rate={sample_rate}; "
        "rewrite the shards with tools/prepare_audio.py at that rate",
    )
    with tf.control_dependencies([check]):
        return tf.identity(record["audio"])


def _crop(indexed_waveforms, segment_samples, seed, reshuffle=True, segments_per_clip=1, pad_mode="zeros"):
    """Random crops of `(position, waveform)` pairs; the epoch-seeded path draws from `(seed, position)`."""
    if reshuffle:
        pairs = tf.data.Dataset.zip(indexed_waveforms.map(lambda i, w: w), element_seeds(seed))
    else:  # one fixed draw per (seed, element): the epoch-seeded path
        pairs = indexed_waveforms.map(lambda i, w: (w, tf.stack([tf.cast(seed, tf.int64), i])))

    def crop(waveform, element_seed):
        if segments_per_clip == 1:
            return random_crop_or_pad(waveform, segment_samples, element_seed, pad_mode)
        fold = tf.random.experimental.stateless_fold_in
        return tf.stack([random_crop_or_pad(waveform, segment_samples, fold(element_seed, i), pad_mode)
                         for i in range(segments_per_clip)])

    return pairs.map(crop, num_parallel_calls=AUTOTUNE, deterministic=True)
