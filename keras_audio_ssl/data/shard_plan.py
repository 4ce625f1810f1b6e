"""Which input rows go into which TFRecord shard, in what order: planned on disk, at any corpus size.

AudioSet lists about 2 million clips. Holding every path, every file check and every
shard's row list in memory does not scale, and a conversion that runs for hours must
survive a kill at any moment. So `plan_shards` streams its input (a re-iterable of
`(path, label)` rows, read `chunk_rows` at a time) into a plan folder in three steps,
each resumable:

1. check: every file's header is checked (`checks.check_audio_file`, in threads) and
   each chunk's bad rows are saved (`check-00003.json`). Bad files are thus known,
   and reported, before any shard is written.
2. deal: the good rows, numbered 0..N-1, are dealt to shards: each chunk's rows are
   appended to per-shard files (`deal-00012.jsonl`), then all their lengths are saved
   (`dealt.json`). A rerun truncates the files back to the saved lengths and deals on
   from the next chunk.
3. buckets: each shard's rows are read back (one shard in memory), shuffled and saved
   with their digest (`bucket-00012.jsonl`); `plan.json`, written last, marks the plan
   finished.

Files other than the deal files are written under a temporary name and renamed into
place. `input.json` holds what the plan is of (the rows' count and digest from
`count_rows`, and the settings): another input or other settings start the plan over,
and an input that changes while it is read is refused. Memory: one chunk of rows, one shard's rows, a few numbers per shard and the
names of the bad files.

Dealing with a seed is a stratified random assignment: the good rows are cut into
blocks of `num_shards` consecutive rows, and each block gives one row to every shard,
in a seeded random order (the last, partial block goes to the shards that take one
row more). Every shard thus samples the whole input evenly (a corpus listed class by
class gives each shard every class), shard sizes are those of near-equal contiguous
chunks, and a row's shard depends on its number, the seed and the shard count alone,
not on `chunk_rows`. Each shard's rows are then shuffled by a permutation seeded by
(seed, shard). Without a seed, shard i is the i-th contiguous chunk, in input order.
"""

import functools
import glob
import hashlib
import itertools
import json
import math
import os
import shutil

import numpy as np

from keras_audio_ssl import atomic_write
from keras_audio_ssl.data.checks import BadAudioFilesError
from keras_audio_ssl.data.checks import check_audio_file
from keras_audio_ssl.data.checks import check_threads
from keras_audio_ssl.data.checks import describe_failures
from keras_audio_ssl.data.files import DEFAULT_CHUNK_ROWS
PROGRESS_MIN_ROWS = 1000  # smaller inputs plan in well under a second: no progress lines
_PLAN_FILE = "plan.json"
_INPUT_FILE = "input.json"
_DEALT_FILE = "dealt.json"
_DEAL_ROWS = 1 << 16  # rows per block group: one seeded draw gives the permutations of a group's blocks
_CHECK_BATCH = 1024


def count_rows(rows):
    """`(number of rows, hex digest of the rows)` of a re-iterable of `(path, label)` rows, streamed once."""
    digest = hashlib.sha1()
    count = 0
    for row in rows:
        digest.update(_encode(row))
        count += 1
    return count, digest.hexdigest()


def shard_digest(rows, sample_rate):
    """Digest of one shard's rows in order: a shard whose digest matches its inputs is kept on resume."""
    text = json.dumps([sample_rate, [list(row) for row in rows]], ensure_ascii=True)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def write_json(path, value, indent=None):
    """Writes JSON under a temporary name and renames it into place: a reader sees all of it or nothing."""
    atomic_write.write_json(path, value, indent=indent)


def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


class ShardPlan:
    """A finished plan in `folder`: `num_rows`, `num_good`, `num_shards`, `digests`, `skipped`.

    `skipped` lists the `[path, reason]` of the rows whose file check failed.
    """

    def __init__(self, folder):
        self.folder = folder
        meta = read_json(os.path.join(folder, _PLAN_FILE))
        self.num_rows, self.num_good, self.num_shards = meta["num_rows"], meta["num_good"], meta["num_shards"]
        self.digests, self.skipped = meta["digests"], meta["skipped"]

    def bucket_path(self, shard):
        return _bucket_path(self.folder, shard)

    def done_path(self, shard):
        """Where the converter records a finished shard (before renaming it into place)."""
        return os.path.join(self.folder, f"done-{shard:05d}.json")

    def done_entry(self, shard):
        return read_json(self.done_path(shard))


def _bucket_path(folder, shard):
    return os.path.join(folder, f"bucket-{shard:05d}.jsonl")


def read_bucket(path):
    """The `(path, label)` rows of one shard, in the order they are written."""
    with open(path, "rb") as f:
        next(f)  # the header: digest and row count
        return [tuple(json.loads(line)) for line in f]


def plan_shards(
    rows,
    folder,
    *,
    num_rows,
    rows_digest,
    num_shards=None,
    examples_per_shard=512,
    shuffle_seed=0,
    sample_rate=16000,
    out_of_range="error",
    skip_bad_files=False,
    chunk_rows=DEFAULT_CHUNK_ROWS,
    progress=True,
):
    """Plans (or finishes planning) the shards of `rows` in `folder`; returns the `ShardPlan`.

    Args:
        rows: re-iterable of `(path, label)` rows; iterated once per step, a chunk at a time.
        folder: the plan folder (created; started over when it holds another plan).
        num_rows, rows_digest: `count_rows(rows)`, computed by the caller.
        num_shards: number of shards, or None for `ceil(good rows / examples_per_shard)`;
            at most the number of good rows.
        shuffle_seed: seed of the dealing and of each shard's order; None: contiguous chunks.
        sample_rate: part of each shard's digest.
        out_of_range: passed to the file check.
        skip_bad_files: without it, bad files raise `BadAudioFilesError` (naming them)
            once all are checked, and the plan folder is removed.
        chunk_rows: rows held in memory at a time.
        progress: progress lines or bars for inputs of `PROGRESS_MIN_ROWS` rows or more.

    Raises:
        BadAudioFilesError: bad files without `skip_bad_files`, or no usable file at all.
        ValueError: the input changed while it was being read.
    """
    identity = dict(
        num_rows=num_rows, rows_digest=rows_digest, num_shards=num_shards, examples_per_shard=examples_per_shard,
        shuffle_seed=shuffle_seed, sample_rate=sample_rate, out_of_range=out_of_range, chunk_rows=chunk_rows,
    )
    if read_json(os.path.join(folder, _INPUT_FILE)) != identity:
        shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)
    write_json(os.path.join(folder, _INPUT_FILE), identity)
    if os.path.exists(os.path.join(folder, _PLAN_FILE)):
        plan = ShardPlan(folder)
        if plan.skipped and not skip_bad_files:  # planned by a run that skipped them: keep it for one that does
            refuse_bad_files(plan.skipped, num_rows, plan.num_good)
        return plan
    planner = _Planner(rows, folder, num_rows, rows_digest, chunk_rows, progress and num_rows >= PROGRESS_MIN_ROWS)
    checks = planner.check(out_of_range)
    skipped = [[path, reason] for check in checks for _, path, reason in check["bad"]]
    num_good = num_rows - len(skipped)
    if skipped and (not skip_bad_files or num_good == 0):
        shutil.rmtree(folder, ignore_errors=True)  # a refused job leaves nothing behind
        refuse_bad_files(skipped, num_rows, num_good)
    if num_shards is None:
        num_shards = max(1, math.ceil(num_good / examples_per_shard))
    num_shards = min(num_shards, num_good)
    planner.deal(checks, _Dealer(num_good, num_shards, shuffle_seed))
    digests = planner.buckets(num_shards, shuffle_seed, sample_rate)
    meta = dict(num_rows=num_rows, num_good=num_good, num_shards=num_shards, digests=digests, skipped=skipped)
    write_json(os.path.join(folder, _PLAN_FILE), meta)
    for name in glob.glob(os.path.join(folder, "check-*.json")) + [os.path.join(folder, _DEALT_FILE)]:
        os.remove(name)
    return ShardPlan(folder)


def _check_reason(path, out_of_range):
    """Why a file cannot be used, or None."""
    return check_audio_file(path, out_of_range=out_of_range)[1]


def refuse_bad_files(skipped, num_rows, num_good):
    """Raises the `BadAudioFilesError` naming `skipped` (`[path, reason]`s) out of `num_rows` files."""
    summary = describe_failures(skipped, num_rows)
    if num_good == 0:
        raise BadAudioFilesError(f"{summary}: no usable audio file is left.", skipped)
    raise BadAudioFilesError(f"{summary}. Fix or remove them, or pass skip_bad_files=True.", skipped)


class _Planner:
    """The three streamed steps of `plan_shards` over one input and plan folder."""

    def __init__(self, rows, folder, num_rows, rows_digest, chunk_rows, show_progress):
        self.rows, self.folder, self.num_rows, self.rows_digest = rows, folder, num_rows, rows_digest
        self.chunk_rows, self.show_progress = chunk_rows, show_progress

    def check(self, out_of_range):
        """Checks each chunk's files unless a rerun finds the chunk's result saved."""
        reason_of = functools.partial(_check_reason, out_of_range=out_of_range)
        results = []
        with check_threads() as pool, self._progress("Checking audio files", self.num_rows, "file") as bar:
            for k, chunk, _ in self._chunks():
                path = os.path.join(self.folder, f"check-{k:05d}.json")
                result = read_json(path)
                if result is None or result["rows"] != len(chunk):
                    distinct = list(dict.fromkeys(p for p, _ in chunk))  # a file on several rows: checked once
                    reasons = {}
                    # Executor.map makes a future per item up front: batches keep that to a thousand.
                    for start in range(0, len(distinct), _CHECK_BATCH):
                        batch = distinct[start : start + _CHECK_BATCH]
                        reasons.update(zip(batch, pool.map(reason_of, batch)))
                    bad = [[i, p, reasons[p]] for i, (p, _) in enumerate(chunk) if reasons[p] is not None]
                    result = dict(rows=len(chunk), bad=bad)
                    write_json(path, result)
                results.append(result)
                bar.update(len(chunk))
        return results

    def deal(self, checks, dealer):
        """Appends each chunk's good rows to their shards' deal files, then saves the files' lengths."""
        marker_path = os.path.join(self.folder, _DEALT_FILE)
        marker = read_json(marker_path) or dict(chunks=0, lengths=[0] * dealer.num_shards)
        if marker["chunks"] == len(checks):
            return
        lengths = marker["lengths"]
        for shard, length in enumerate(lengths):  # drop what a killed run appended after the marker
            path = self._deal_path(shard)
            if os.path.exists(path):
                os.truncate(path, length)
        first = sum(check["rows"] - len(check["bad"]) for check in checks[: marker["chunks"]])
        with self._progress("Dealing files into shards", self.num_rows, "file") as bar:
            for k, chunk, lines in self._chunks():
                if k >= marker["chunks"]:
                    bad = {i for i, _, _ in checks[k]["bad"]}
                    good = [line for i, line in enumerate(lines) if i not in bad]
                    shards = dealer.shards(first, len(good))
                    order = np.argsort(shards, kind="stable")  # input order within each shard
                    for shard, members in itertools.groupby(order.tolist(), key=shards.__getitem__):
                        with open(self._deal_path(shard), "ab") as f:
                            f.write(b"".join(good[i] for i in members))
                            lengths[shard] = f.tell()
                    first += len(good)
                    write_json(marker_path, dict(chunks=k + 1, lengths=lengths))
                bar.update(len(chunk))

    def buckets(self, num_shards, shuffle_seed, sample_rate):
        """Shuffles each shard's dealt rows into its bucket file; returns the shards' digests."""
        digests = []
        with self._progress("Shuffling shard lists", num_shards, "shard") as bar:
            for shard in range(num_shards):
                path = _bucket_path(self.folder, shard)
                if os.path.exists(path):
                    with open(path, "rb") as f:
                        digests.append(json.loads(next(f))["digest"])
                else:
                    with open(self._deal_path(shard), "rb") as f:
                        rows = [tuple(json.loads(line)) for line in f]  # one shard's rows: a few hundred
                    if shuffle_seed is not None:
                        order = _rng(shuffle_seed, 1, int(shard)).permutation(len(rows))
                        rows = [rows[i] for i in order]
                    digests.append(shard_digest(rows, sample_rate))
                    header = json.dumps(dict(digest=digests[-1], rows=len(rows))).encode() + b"\n"
                    atomic_write.write_bytes(path, header + b"".join(_encode(row) for row in rows))
                if os.path.exists(self._deal_path(shard)):
                    os.remove(self._deal_path(shard))
                bar.update()
        return digests

    def _deal_path(self, shard):
        return os.path.join(self.folder, f"deal-{shard:05d}.jsonl")

    def _chunks(self):
        """`(k, rows, lines)` for each chunk of the input (`lines`: the rows encoded); fails if the input is
        no longer what was counted."""
        digest = hashlib.sha1()
        iterator = iter(self.rows)
        count = 0
        for k in itertools.count():
            chunk = list(itertools.islice(iterator, self.chunk_rows))
            if not chunk:
                break
            lines = [_encode(row) for row in chunk]
            digest.update(b"".join(lines))
            count += len(chunk)
            yield k, chunk, lines
            # Emptied in place (the caller's names for them too) before the next chunk is read:
            # memory is one chunk, not two.
            chunk.clear()
            lines.clear()
        if (count, digest.hexdigest()) != (self.num_rows, self.rows_digest):
            shutil.rmtree(self.folder, ignore_errors=True)
            raise ValueError(
                f"The input changed while it was being read: run the same command again once it stays put. "
                f"Received: {count} rows, {self.num_rows} when first counted"
            )

    def _progress(self, desc, total, unit):
        from keras_audio_ssl.console import progress_bar

        return _Bar(progress_bar(total=total, desc=desc, unit=unit) if self.show_progress else None)


class _Bar:
    """A progress display (or none) that is closed when the block ends."""

    def __init__(self, bar):
        self.bar = bar

    def update(self, n=1):
        if self.bar is not None:
            self.bar.update(n)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()


class _Dealer:
    """Which shard each good row goes to (see the module docstring)."""

    def __init__(self, num_rows, num_shards, seed):
        self.num_shards, self.seed = num_shards, seed
        self.bounds = np.linspace(0, num_rows, num_shards + 1).round().astype(np.int64)
        self.full_blocks = num_rows // num_shards
        sizes = np.diff(self.bounds)
        self.larger = np.flatnonzero(sizes > self.full_blocks)  # the shards that take a row of the last block
        # One block of `num_shards` rows per draw would cost a generator per block with few shards:
        # a group's permutations come from one generator, seeded by the group's number.
        self.blocks_per_group = max(1, _DEAL_ROWS // num_shards)
        self._group = (None, None)

    def shards(self, first, count):
        """The shards of good rows `first .. first + count - 1`."""
        rows = np.arange(first, first + count, dtype=np.int64)
        if self.seed is None:
            return np.searchsorted(self.bounds, rows, side="right") - 1
        block, position = np.divmod(rows, self.num_shards)
        shards = np.empty(count, dtype=np.int64)
        last = block == self.full_blocks
        if last.any():
            order = _rng(self.seed, 2).permutation(len(self.larger))
            shards[last] = self.larger[order[position[last]]]
        group = block // self.blocks_per_group
        for g in np.unique(group[~last]):
            members = (group == g) & ~last
            shards[members] = self._permutations(g)[block[members] - g * self.blocks_per_group, position[members]]
        return shards

    def _permutations(self, group):
        if self._group[0] != group:
            table = np.tile(np.arange(self.num_shards), (self.blocks_per_group, 1))
            self._group = (group, _rng(self.seed, 0, int(group)).permuted(table, axis=1))
        return self._group[1]


def _rng(seed, *key):
    """A generator for one purpose (`key`) under the user's seed: dealing, a shard's order, ..."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _encode(row):
    """One row as a line of JSON, `["path", "label"]` (or `null`): what is hashed, dealt and bucketed.

    The C string encoder `json.dumps` calls, without `json.dumps`'s per-call overhead (most of
    the planning's time on a large manifest). ASCII-escaped: file names that are not valid UTF-8
    (surrogate escapes) still round-trip.
    """
    path, label = row
    label = "null" if label is None else _quote(label)
    return f"[{_quote(path)},{label}]\n".encode("ascii")


_quote = json.encoder.encode_basestring_ascii
