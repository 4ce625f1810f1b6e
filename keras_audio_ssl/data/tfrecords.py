"""16 kHz int16 TFRecord shards: writing (parallel, resumable) and reading.

Record schema (one `tf.train.Example` per audio file):
    audio        bytes   raw little-endian int16 samples, mono, at `sample_rate`
                         (2 bytes/sample: half of float32 and far smaller than an
                         int64 list, which varint-encodes to ~3 bytes/sample)
    sample_rate  int64
    path         bytes   source file path (UTF-8)
    label        bytes   optional label as text ("" when absent)

A shard set is a folder of `<prefix>-00000-of-00008.tfrecord` files and an
`index.json` describing them. Which files go into which shard is planned on disk
first (`shard_plan`, in `.<prefix>-plan/` while the job runs), so the input is
never held in memory. Each shard is written under a temporary name and
atomically renamed when complete, so a shard either exists whole or not at all;
a rerun skips the shards that exist (and whose inputs match the plan or the
index) and writes only the missing ones.
"""

import contextlib
import logging
import os
import shutil

import numpy as np
import tensorflow as tf

from keras_audio_ssl import atomic_write
from keras_audio_ssl.audio.decode import AudioDecodeError
from keras_audio_ssl.audio.decode import check_out_of_range
from keras_audio_ssl.audio.decode import load_audio
from keras_audio_ssl.data import shard_plan
from keras_audio_ssl.data.checks import describe_failures
from keras_audio_ssl.data.cropping import seeded_shuffle
from keras_audio_ssl.data.files import DEFAULT_CHUNK_ROWS
from keras_audio_ssl.data.shard_plan import read_bucket
from keras_audio_ssl.data.shard_plan import read_json
from keras_audio_ssl.data.shard_plan import write_json

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
        "path": tf.train.Feature(bytes_list=tf.train.BytesList(value=[os.fsencode(str(path))])),
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


def read_tfrecord_shards(source, *, shuffle_files=False, seed=None, num_parallel_reads=tf.data.AUTOTUNE,
                         shard=None):
    """A `tf.data.Dataset` of parsed records (see `parse_audio_example`), fully in-graph.

    Args:
        source: glob pattern (`"shards/*.tfrecord*"`), folder of shards, or list.
        shuffle_files: shuffle the shard order (seeded by `seed`).
        seed: int seed for a shard order that changes every epoch, or an
            int64 tensor for one fixed order that depends on that tensor alone
            (the epoch-seeded pipeline).
        num_parallel_reads: shards read concurrently (interleaved
            deterministically, so a seed fixes the record order).
        shard: `(count, index)`: read only every `count`-th file of the
            (shuffled) file order, starting at `index` -- one input pipeline's
            files when `count` pipelines share the set (sharding by file).

    Example:
    >>> for record in read_tfrecord_shards("shards/").take(1):
    ...     print(record["audio"].shape, record["path"])
    """
    files = list_tfrecord_files(source)
    count, index = shard or (1, 0)
    if len(files) < count:
        raise ValueError(
            f"{count} input pipelines share {len(files)} TFRecord file(s): each pipeline reads whole files, so "
            "write at least one shard per pipeline (tools/prepare_audio.py --num-shards). "
            f"Received: shard={shard}"
        )
    dataset = tf.data.Dataset.from_tensor_slices(files)
    if shuffle_files:
        dataset = seeded_shuffle(dataset, len(files), seed, reshuffle=not tf.is_tensor(seed), size=len(files))
    if count > 1:
        dataset = dataset.shard(count, index)
    dataset = dataset.interleave(
        tf.data.TFRecordDataset,
        cycle_length=min(-(-len(files) // count), 8),
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
    chunk_rows=DEFAULT_CHUNK_ROWS,
):
    """Converts audio files into mono int16 TFRecord shards at `sample_rate`, in bounded memory.

    Files are spread over the shards in a seeded random order (`shuffle_seed`):
    a corpus listed class by class (a sorted folder tree) would otherwise give
    shards of one class each, and a reader that interleaves a few shards with a
    bounded shuffle buffer would then train on batches of one or two classes.

    The input is streamed, never held: it is planned on disk (`shard_plan`: each
    file's header is checked, the rows are dealt to shards and shuffled within
    each), then converted shard by shard. Memory is one chunk of `chunk_rows`
    rows while planning and one shard per worker while converting, plus an index
    entry per shard and the names of skipped and clipped files; a 2-million-row
    manifest given as `AudioRows` converts in about the memory of a small one.

    Every file is checked before any shard is written, so a broken file stops the
    job naming it (or is skipped and reported with `skip_bad_files=True`); a file
    whose header passes but whose samples do not decode is found while its shard
    is written, and stops the job there (finished shards are kept) or is skipped.

    Float samples beyond [-1, 1] are clipped to the int16 range; each file
    that was clipped is listed in the index (`clipped`: path, samples clipped,
    samples) and the job logs a warning with the count and the worst files.
    Float files peaking above 8.0 are refused (see `out_of_range`).

    Resumable at any moment: a killed job's plan (`.<prefix>-plan/`) and finished
    shards are kept, and running it again goes on where it stopped; shards whose
    inputs match `index.json` are kept even when other inputs changed. Once
    `index.json` says the job is complete for this input and these settings,
    running it again writes nothing.

    Args:
        paths: audio file paths (a list: with `labels` and `shuffle_seed` their
            order fixes the shard contents), or `(path, label)` pairs, or a
            re-iterable of either that is read anew on each pass, such as
            `AudioRows("audioset.csv")` (a one-shot iterator is read into a list).
        output_dir: folder for the shards and `index.json` (created).
        labels: optional labels aligned with `paths` (stored as text).
        num_shards: number of shards. Give this or `examples_per_shard`
            (default 512 files per shard).
        examples_per_shard: files per shard.
        num_workers: processes writing shards in parallel (1: in-process).
        sample_rate: output sample rate in Hz.
        skip_bad_files: skip unreadable files (reported) instead of raising.
        prefix: shard file name prefix.
        progress: show progress (a bar on a terminal, lines in a log): over
            shards, and over the planning steps for 1,000 files or more.
        out_of_range: float files peaking above 8.0 (int16-scaled floats):
            `"error"` refuses them (skipped and counted with
            `skip_bad_files=True`), `"rescale"` divides each by its peak.
        shuffle_seed: seed of the order files are dealt into shards and of each
            shard's order; `None` keeps the order of `paths` (contiguous chunks).
        chunk_rows: input rows held in memory at a time while planning.

    Returns:
        The index (dict, also written to `output_dir/index.json`): shard
        files, examples and samples per shard, skipped and clipped files.

    Example:
    >>> write_tfrecord_shards(find_audio_files("corpus/"), "shards/", num_workers=4)
    """
    rows = _InputRows(paths, labels)
    if num_shards is not None and examples_per_shard is not None:
        raise ValueError(
            "Give `num_shards` or `examples_per_shard`, not both. "
            f"Received: num_shards={num_shards}, examples_per_shard={examples_per_shard}"
        )
    for name, value in (
        ("num_shards", num_shards), ("examples_per_shard", examples_per_shard), ("chunk_rows", chunk_rows)
    ):
        if value is not None and (not isinstance(value, (int, np.integer)) or value < 1):
            raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    if not isinstance(num_workers, (int, np.integer)) or num_workers < 1:
        raise ValueError(f"`num_workers` must be a positive integer. Received: num_workers={num_workers!r}")
    check_out_of_range(out_of_range)

    num_rows, rows_digest = shard_plan.count_rows(rows)
    if num_rows == 0:
        raise ValueError(f"`paths` holds no audio file to convert. Received: paths={paths!r}")
    # What a finished shard set was made from: the same input and settings find it complete.
    source = dict(
        num_rows=num_rows, rows_digest=rows_digest, num_shards=num_shards, examples_per_shard=examples_per_shard,
        shuffle_seed=shuffle_seed, sample_rate=int(sample_rate), out_of_range=out_of_range, prefix=prefix,
    )
    output_dir = os.fspath(output_dir)
    index_path = os.path.join(output_dir, INDEX_FILE)
    plan_dir = os.path.join(output_dir, f".{prefix}-plan")
    previous = _read_json_index(index_path)
    # A run killed while renaming its index into place leaves the temporary beside it.
    atomic_write.remove_leftovers(output_dir)
    if _already_complete(previous, source, output_dir):
        shutil.rmtree(plan_dir, ignore_errors=True)  # left if a run was killed right after its index
        if previous["skipped"] and not skip_bad_files:
            shard_plan.refuse_bad_files(previous["skipped"], num_rows, previous["num_examples"])
        logger.info("%s already holds these %d shards, complete: nothing to do.", output_dir, previous["num_shards"])
        _report(previous, previous["skipped"], num_rows)
        return previous

    created = not os.path.isdir(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    for stale in os.listdir(output_dir):  # partial shards of a killed run
        if stale.startswith(f".{prefix}-") and _PARTIAL in stale:
            os.remove(os.path.join(output_dir, stale))
    try:
        plan = shard_plan.plan_shards(
            rows, plan_dir, num_rows=num_rows, rows_digest=rows_digest, num_shards=num_shards,
            examples_per_shard=examples_per_shard or DEFAULT_EXAMPLES_PER_SHARD, shuffle_seed=shuffle_seed,
            sample_rate=sample_rate, out_of_range=out_of_range, skip_bad_files=skip_bad_files,
            chunk_rows=chunk_rows, progress=progress,
        )
    except ValueError:
        if created and not os.listdir(output_dir):
            os.rmdir(output_dir)  # a refused job leaves nothing behind
        raise
    if plan.skipped:
        logger.warning("Skipping bad audio files. %s", describe_failures(plan.skipped, num_rows))

    previous_entries = {entry["file"]: entry for entry in previous.get("shards", [])}
    entries = {}
    tasks = []
    for i in range(plan.num_shards):
        name = f"{prefix}-{i:05d}-of-{plan.num_shards:05d}.tfrecord"
        digest = plan.digests[i]
        done = plan.done_entry(i) or previous_entries.get(name)
        if os.path.exists(os.path.join(output_dir, name)):
            if done is not None and done.get("digest") == digest:
                entries[name] = done
                continue
            if done is None:  # renamed into place by a run whose records are gone: count it
                entries[name] = _describe_existing(output_dir, name, digest)
                continue
        tasks.append(
            dict(
                name=name,
                output_dir=output_dir,
                bucket=plan.bucket_path(i),
                done=plan.done_path(i),
                digest=digest,
                sample_rate=sample_rate,
                skip_bad_files=skip_bad_files,
                out_of_range=out_of_range,
            )
        )
    if entries:
        logger.info("Resuming: %d of %d shards already written in %s.", len(entries), plan.num_shards, output_dir)

    def write_index():
        return _write_index(index_path, entries, plan.num_shards, sample_rate, plan.skipped, source)

    # The index is rewritten about a hundred times over a job, not after each of thousands of shards;
    # resuming reads each shard's own record in the plan folder.
    every = max(1, plan.num_shards // 100)
    bar = None
    if progress and tasks:
        from keras_audio_ssl.console import progress_bar

        bar = progress_bar(total=len(tasks), desc="Writing TFRecord shards", unit="shard")
    try:
        with contextlib.ExitStack() as stack:
            if num_workers == 1 or len(tasks) <= 1:
                written = map(_write_shard, tasks)
            else:
                from keras_audio_ssl.processes import worker_pool

                pool = stack.enter_context(worker_pool(min(num_workers, len(tasks)), import_tensorflow=True))
                written = pool.imap_unordered(_write_shard, tasks)
            for count, entry in enumerate(written, 1):
                entries[entry["file"]] = entry
                if count % every == 0:
                    write_index()
                bar and bar.update()
    finally:
        if bar is not None:
            bar.close()
        index = write_index()
    shutil.rmtree(plan_dir, ignore_errors=True)
    _report(index, [s for shard in index["shards"] for s in shard["skipped"]], num_rows)  # the check's: above
    return index


class _InputRows:
    """`write_tfrecord_shards`'s input as a re-iterable of `(path, label)` rows (label None or text)."""

    def __init__(self, paths, labels):
        if iter(paths) is paths:  # a one-shot iterator cannot be read once per planning step
            paths = list(paths)
        if labels is not None:
            if iter(labels) is labels:
                labels = list(labels)
            if hasattr(paths, "__len__") and hasattr(labels, "__len__") and len(labels) != len(paths):
                raise ValueError(
                    f"`labels` must align with `paths` ({len(paths)}). Received: len(labels)={len(labels)}"
                )
        self.paths, self.labels = paths, labels

    def __iter__(self):
        if self.labels is None:
            for item in self.paths:
                if isinstance(item, (str, os.PathLike)):
                    yield os.fspath(item), None
                else:
                    path, label = item
                    yield os.fspath(path), None if label is None else str(label)
        else:
            for path, label in zip(self.paths, self.labels, strict=True):
                yield os.fspath(path), None if label is None else str(label)


def _already_complete(index, source, output_dir):
    return (
        bool(index.get("complete"))
        and index.get("source") == source
        and all(os.path.exists(os.path.join(output_dir, entry["file"])) for entry in index["shards"])
    )


def _report(index, failures, num_rows):
    """Logs skipped files (`failures`) and the files int16 clipped, with counts and the first names."""
    if failures:
        logger.warning("Skipping bad audio files. %s", describe_failures(failures, num_rows))
    if index["clipped"]:
        worst = sorted(index["clipped"], key=lambda c: -c[1] / max(c[2], 1))[:5]
        shown = "; ".join(f"{path!r} ({100 * n / max(total, 1):.3g}% of its samples)" for path, n, total in worst)
        logger.warning(
            "%d of %d files had float samples beyond [-1, 1], clipped to int16 (worst: %s). "
            "Lower their gain first if that is more than the odd over.",
            len(index["clipped"]), index["num_examples"], shown,
        )


def _write_shard(task):
    """Writes one shard under a temporary name, records it in the plan, then renames it into place."""
    name, output_dir = task["name"], task["output_dir"]
    final = os.path.join(output_dir, name)
    # The temporary name must not match "*.tfrecord*": readers glob for that.
    temp = os.path.join(output_dir, f".{name.replace('.tfrecord', '')}{_PARTIAL}{os.getpid()}")
    num_examples = num_samples = 0
    skipped, clipped = [], []
    try:
        with tf.io.TFRecordWriter(temp) as writer:
            for path, label in read_bucket(task["bucket"]):
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
        entry = dict(
            file=name, num_examples=num_examples, num_samples=num_samples, digest=task["digest"], skipped=skipped,
            clipped=clipped,
        )
        # Recorded before the rename: a shard in place always has its record (a kill in between redoes it).
        write_json(task["done"], entry)
        os.replace(temp, final)
    finally:
        if os.path.exists(temp):
            os.remove(temp)
    return entry


def _describe_existing(output_dir, name, digest):
    """A shard renamed into place before the index was updated (interrupted run): count it."""
    num_examples = num_samples = 0
    for record in tf.data.TFRecordDataset(os.path.join(output_dir, name)).map(parse_audio_example):
        num_examples += 1
        num_samples += int(record["audio"].shape[0])
    return dict(file=name, num_examples=num_examples, num_samples=num_samples, digest=digest, skipped=[])


def _read_json_index(index_path):
    index = read_json(index_path, default={})
    return index if isinstance(index, dict) and isinstance(index.get("shards", []), list) else {}


def _read_index(index_path):
    """`{file: entry}` of the shards an index lists (empty when there is no readable index)."""
    try:
        return {entry["file"]: entry for entry in _read_json_index(index_path).get("shards", [])}
    except (KeyError, TypeError):
        return {}


def _write_index(index_path, entries, num_shards, sample_rate, preflight_skipped, source):
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
        source=source,
        shards=shards,
    )
    write_json(index_path, index, indent=1)
    return index
