import json
import os

import numpy as np
import pytest
import soundfile as sf

from keras_audio_ssl.data import BadAudioFilesError
from keras_audio_ssl.data.shard_plan import count_rows
from keras_audio_ssl.data.shard_plan import plan_shards
from keras_audio_ssl.data.shard_plan import read_bucket
from tests.data import bad_corpus


def _tiny_wavs(folder, n=4):
    """`n` 10 ms WAVs: rows of a large input point at these, their label numbering the row."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i in range(n):
        path = os.path.join(folder, f"tiny{i}.wav")
        sf.write(path, np.random.default_rng(i).integers(-3000, 3000, 160, dtype=np.int16), 16000, subtype="PCM_16")
        paths.append(path)
    return paths


def _rows(wavs, n):
    return [(wavs[i % len(wavs)], f"row{i}") for i in range(n)]


def _plan(rows, folder, **kwargs):
    num_rows, digest = count_rows(rows)
    kwargs.setdefault("progress", False)
    return plan_shards(rows, str(folder), num_rows=num_rows, rows_digest=digest, **kwargs)


def _stamp(path):
    """Files are rewritten under a temporary name and renamed: a new inode, whatever the clock's grain."""
    info = os.stat(path)
    return info.st_ino, info.st_mtime_ns


def _buckets(plan):
    return [[int(label[3:]) for _, label in read_bucket(plan.bucket_path(i))] for i in range(plan.num_shards)]


def test_dealing_is_seeded_stratified_and_does_not_depend_on_the_chunk_size(tmp_path):
    wavs = _tiny_wavs(str(tmp_path / "wavs"))
    rows = _rows(wavs, 5003)
    plan = _plan(rows, tmp_path / "a", num_shards=7, chunk_rows=1000)
    buckets = _buckets(plan)
    assert sorted(sum(buckets, [])) == list(range(5003))  # every row in exactly one shard
    bounds = np.linspace(0, 5003, 8).round().astype(int)
    assert [len(b) for b in buckets] == list(np.diff(bounds))  # the sizes of near-equal contiguous chunks
    for bucket in buckets:
        assert bucket != sorted(bucket)  # shuffled within the shard
        # Stratified: one row of each block of 7 consecutive rows, so a class-sorted input is spread evenly.
        assert sorted({row // 7 for row in bucket}) == list(range(len(bucket)))
    # The same seed deals the same shards, whatever the chunk size (other chunks, other folder).
    assert _buckets(_plan(rows, tmp_path / "b", num_shards=7, chunk_rows=64)) == buckets
    assert plan.digests == _plan(rows, tmp_path / "b2", num_shards=7, chunk_rows=333).digests
    assert _buckets(_plan(rows, tmp_path / "c", num_shards=7, shuffle_seed=1)) != buckets
    # No seed: contiguous chunks in input order.
    ordered = _buckets(_plan(rows, tmp_path / "d", num_shards=7, shuffle_seed=None, chunk_rows=1000))
    assert ordered == [list(range(bounds[i], bounds[i + 1])) for i in range(7)]


def test_bad_files_are_dropped_before_dealing_and_counted(tmp_path):
    wavs = _tiny_wavs(str(tmp_path / "wavs"))
    broken = bad_corpus.write_broken_files(str(tmp_path / "broken"))
    rows = _rows(wavs, 300)
    rows[17] = (broken["not_audio.wav"], "row17")
    rows[250] = (broken["missing.wav"], "row250")
    with pytest.raises(BadAudioFilesError, match=r"2 of 300 audio files cannot be used.*not_audio.wav"):
        _plan(rows, tmp_path / "refused", examples_per_shard=100, chunk_rows=64)
    assert not os.path.exists(tmp_path / "refused")  # a refused plan leaves nothing behind
    plan = _plan(rows, tmp_path / "plan", examples_per_shard=100, chunk_rows=64, skip_bad_files=True)
    assert plan.num_good == 298 and plan.num_shards == 3  # ceil(298 / 100), from the good rows
    assert sorted(p for p, _ in plan.skipped) == sorted([broken["not_audio.wav"], broken["missing.wav"]])
    assert sorted(sum(_buckets(plan), [])) == sorted(set(range(300)) - {17, 250})
    # A finished plan made while skipping them is refused to a run that does not skip.
    with pytest.raises(BadAudioFilesError, match="missing.wav"):
        _plan(rows, tmp_path / "plan", examples_per_shard=100, chunk_rows=64)


def test_a_plan_is_resumed_only_for_the_same_input_and_settings(tmp_path):
    wavs = _tiny_wavs(str(tmp_path / "wavs"))
    rows = _rows(wavs, 400)
    first = _plan(rows, tmp_path / "plan", num_shards=4, chunk_rows=100)
    stamp = _stamp(first.bucket_path(0))
    again = _plan(rows, tmp_path / "plan", num_shards=4, chunk_rows=100)
    assert _stamp(again.bucket_path(0)) == stamp and again.digests == first.digests
    rows[5] = (wavs[0], "changed")
    changed = _plan(rows, tmp_path / "plan", num_shards=4, chunk_rows=100)
    assert sum(a != b for a, b in zip(changed.digests, first.digests)) == 1  # only the shard of row 5
    assert _plan(rows, tmp_path / "plan", num_shards=5, chunk_rows=100).num_shards == 5


def test_an_input_that_changes_while_it_is_read_is_refused(tmp_path):
    wavs = _tiny_wavs(str(tmp_path / "wavs"))

    class Growing:
        """Rows that gain one row at every pass, as a manifest being appended to would."""

        passes = 0

        def __iter__(self):
            Growing.passes += 1
            return iter(_rows(wavs, 200 + Growing.passes))

    rows = Growing()
    num_rows, digest = count_rows(rows)
    with pytest.raises(ValueError, match="changed while it was being read"):
        plan_shards(rows, str(tmp_path / "plan"), num_rows=num_rows, rows_digest=digest, progress=False)
    assert not os.path.exists(tmp_path / "plan")


def test_plan_folder_holds_one_bucket_per_shard_with_its_digest(tmp_path):
    wavs = _tiny_wavs(str(tmp_path / "wavs"))
    plan = _plan(_rows(wavs, 50), tmp_path / "plan", num_shards=3)
    assert sorted(os.listdir(tmp_path / "plan")) == ["bucket-00000.jsonl", "bucket-00001.jsonl",
                                                     "bucket-00002.jsonl", "input.json", "plan.json"]
    with open(plan.bucket_path(1)) as f:
        header = json.loads(next(f))
    assert header == dict(digest=plan.digests[1], rows=len(read_bucket(plan.bucket_path(1))))


def test_a_plan_stopped_while_writing_buckets_resumes_to_the_same_buckets(tmp_path, monkeypatch):
    """The bucket step has no cleanup: stopping it by an exception leaves what a SIGKILL there would."""
    from keras_audio_ssl.data import shard_plan

    class Killed(BaseException):
        pass

    wavs = _tiny_wavs(str(tmp_path / "wavs"))
    rows = _rows(wavs, 1000)
    reference = _plan(rows, tmp_path / "reference", num_shards=10, chunk_rows=300)
    digest = shard_plan.shard_digest
    calls = []

    def killed_at_the_fourth_shard(*args):
        calls.append(1)
        if len(calls) == 4:
            raise Killed()
        return digest(*args)

    monkeypatch.setattr(shard_plan, "shard_digest", killed_at_the_fourth_shard)
    with pytest.raises(Killed):
        _plan(rows, tmp_path / "plan", num_shards=10, chunk_rows=300)
    monkeypatch.undo()
    folder = str(tmp_path / "plan")
    names = sorted(os.listdir(folder))
    assert [n for n in names if n.startswith("bucket-")] == [f"bucket-0000{i}.jsonl" for i in range(3)]
    assert [n for n in names if n.startswith("deal-")] == [f"deal-{i:05d}.jsonl" for i in range(3, 10)]
    stamps = {n: _stamp(os.path.join(folder, n)) for n in names if n.startswith("bucket-")}
    plan = _plan(rows, folder, num_shards=10, chunk_rows=300)
    assert {n: _stamp(os.path.join(folder, n)) for n in stamps} == stamps  # kept, not redone
    assert plan.digests == reference.digests and _buckets(plan) == _buckets(reference)
