import json
import logging
import os

import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from keras_audio_ssl.audio import load_audio
from keras_audio_ssl.data import BadAudioFilesError
from keras_audio_ssl.data import make_pretraining_dataset
from keras_audio_ssl.data import read_tfrecord_shards
from keras_audio_ssl.data import write_tfrecord_shards
from tests.data import bad_corpus

SEG = 15200


def _clips(folder, n, seconds=1.2, sample_rate=16000):
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i in range(n):
        samples = np.random.default_rng(i).integers(-20000, 20000, int(seconds * sample_rate), dtype=np.int16)
        path = os.path.join(folder, f"clip{i:02d}.wav")
        sf.write(path, samples, sample_rate, subtype="PCM_16")
        paths.append(path)
    return paths


def _records(source):
    return [
        {k: (v.numpy() if k == "audio" else v.numpy().decode() if v.dtype == tf.string else int(v)) for k, v in r.items()}
        for r in read_tfrecord_shards(source)
    ]


def _shards(folder):
    return sorted(n for n in os.listdir(folder) if ".tfrecord" in n)


def test_round_trip_equals_source_audio_within_int16(tmp_path):
    odd = bad_corpus.write_odd_files(str(tmp_path / "odd"))
    paths = [f.path for f in odd.values()]
    labels = [f"label_{i}" for i in range(len(paths))]
    index = write_tfrecord_shards(paths, str(tmp_path / "shards"), labels=labels, num_shards=3, progress=False)
    records = _records(str(tmp_path / "shards"))
    assert sorted(r["path"] for r in records) == sorted(paths)
    assert index["num_examples"] == len(paths) and index["num_shards"] == 3 and index["complete"]
    for record in records:
        source = load_audio(record["path"])  # mono, 16 kHz
        assert record["sample_rate"] == 16000
        assert record["label"] == labels[paths.index(record["path"])]
        assert record["audio"].shape == source.shape
        # int16 quantisation: at most half a step, except float input beyond [-1, 1) is clipped.
        np.testing.assert_allclose(record["audio"], np.clip(source, -1, 32767 / 32768), atol=0.5 / 32768 + 1e-7)
        if os.path.basename(record["path"]) in ("pcm_16.wav", "short.wav", "silence.wav"):
            np.testing.assert_array_equal(record["audio"], source)  # mono 16-bit sources are exact
    assert index["num_samples"] == sum(len(r["audio"]) for r in records)
    with open(tmp_path / "shards" / "index.json") as f:
        assert json.load(f) == index
    # Compact: ~2 bytes per sample plus small per-record overhead.
    total_bytes = sum(os.path.getsize(tmp_path / "shards" / n) for n in _shards(tmp_path / "shards"))
    assert 2 * index["num_samples"] <= total_bytes < 2 * index["num_samples"] + 300 * len(paths)


def test_shard_count_from_examples_per_shard(tmp_path):
    paths = _clips(str(tmp_path / "clips"), 7, seconds=0.1)
    index = write_tfrecord_shards(paths, str(tmp_path / "out"), examples_per_shard=3, progress=False)
    assert _shards(tmp_path / "out") == [f"audio-0000{i}-of-00003.tfrecord" for i in range(3)]
    assert [s["num_examples"] for s in index["shards"]] == [2, 3, 2]  # near-equal contiguous chunks
    with pytest.raises(ValueError, match="not both"):
        write_tfrecord_shards(paths, str(tmp_path / "x"), num_shards=2, examples_per_shard=3)
    with pytest.raises(ValueError, match="Received: num_workers=0"):
        write_tfrecord_shards(paths, str(tmp_path / "x"), num_workers=0)


def test_resume_rebuilds_only_the_missing_shard_with_same_content(tmp_path):
    paths = _clips(str(tmp_path / "clips"), 6, seconds=0.2)
    out = str(tmp_path / "out")
    first = write_tfrecord_shards(paths, out, num_shards=3, progress=False)
    names = _shards(out)
    content = {n: open(os.path.join(out, n), "rb").read() for n in names}
    stamps = {n: os.stat(os.path.join(out, n)).st_mtime_ns for n in names}
    os.remove(os.path.join(out, names[1]))
    with open(os.path.join(out, ".audio-00001-of-00003.partial-999"), "wb") as f:
        f.write(b"half a shard from a killed run")
    with open(os.path.join(out, ".kas-tmp-999999999-index.json"), "w") as f:
        f.write('{"format": ')  # a run killed while renaming its index into place
    os.utime(os.path.join(out, names[0]), ns=(1, 1))  # marks: a skipped shard keeps these stamps
    os.utime(os.path.join(out, names[2]), ns=(1, 1))
    second = write_tfrecord_shards(paths, out, num_shards=3, progress=False)
    assert sorted(os.listdir(out)) == sorted(names + ["index.json"])  # partial files cleaned up
    assert os.stat(os.path.join(out, names[0])).st_mtime_ns == 1
    assert os.stat(os.path.join(out, names[2])).st_mtime_ns == 1
    assert os.stat(os.path.join(out, names[1])).st_mtime_ns != 1 and stamps[names[1]] > 1
    for n in names:
        assert open(os.path.join(out, n), "rb").read() == content[n]
    assert second == first


def test_a_complete_output_called_again_removes_a_killed_runs_index_temporary(tmp_path):
    paths = _clips(str(tmp_path / "clips"), 4, seconds=0.2)
    out = str(tmp_path / "out")
    first = write_tfrecord_shards(paths, out, num_shards=2, progress=False)
    names = sorted(os.listdir(out))
    leftover = os.path.join(out, ".kas-tmp-999999999-index.json")
    with open(leftover, "w") as f:
        f.write('{"format": ')
    assert write_tfrecord_shards(paths, out, num_shards=2, progress=False) == first
    assert sorted(os.listdir(out)) == names


def test_files_listed_class_by_class_are_spread_over_the_shards(tmp_path):
    paths = _clips(str(tmp_path / "clips"), 12, seconds=0.1)
    labels = [f"class{i // 4}" for i in range(12)]  # a sorted tree: 4 files of each class in a row
    out = str(tmp_path / "shuffled")
    write_tfrecord_shards(paths, out, labels=labels, num_shards=3, progress=False)
    per_shard = [[r["label"] for r in _records(os.path.join(out, name))] for name in _shards(out)]
    assert sorted(sum(per_shard, [])) == sorted(labels)
    assert all(len(set(shard)) > 1 for shard in per_shard)  # contiguous chunks would give one class each
    again = str(tmp_path / "again")
    write_tfrecord_shards(paths, again, labels=labels, num_shards=3, progress=False)
    assert [open(os.path.join(out, n), "rb").read() for n in _shards(out)] == \
        [open(os.path.join(again, n), "rb").read() for n in _shards(again)]  # seeded: same shards
    ordered = str(tmp_path / "ordered")
    write_tfrecord_shards(paths, ordered, labels=labels, num_shards=3, progress=False, shuffle_seed=None)
    assert [{r["label"] for r in _records(os.path.join(ordered, n))} for n in _shards(ordered)] == \
        [{"class0"}, {"class1"}, {"class2"}]


def test_changed_inputs_rebuild_their_shard(tmp_path):
    paths = _clips(str(tmp_path / "clips"), 4, seconds=0.2)
    out = str(tmp_path / "out")
    write_tfrecord_shards(paths, out, num_shards=2, progress=False, shuffle_seed=None)
    before = {n: open(os.path.join(out, n), "rb").read() for n in _shards(out)}
    extra = _clips(str(tmp_path / "more"), 1, seconds=0.3)
    changed = paths[:3] + extra  # second shard's inputs change, first shard's do not
    write_tfrecord_shards(changed, out, num_shards=2, progress=False, shuffle_seed=None)
    after = {n: open(os.path.join(out, n), "rb").read() for n in _shards(out)}
    names = sorted(before)
    assert after[names[0]] == before[names[0]] and after[names[1]] != before[names[1]]
    assert sorted(r["path"] for r in _records(out)) == sorted(changed)


def test_shard_written_before_the_index_is_trusted_and_counted(tmp_path):
    paths = _clips(str(tmp_path / "clips"), 4, seconds=0.25)
    out = str(tmp_path / "out")
    first = write_tfrecord_shards(paths, out, num_shards=2, progress=False)
    os.remove(os.path.join(out, "index.json"))  # as if killed between rename and index update
    second = write_tfrecord_shards(paths, out, num_shards=2, progress=False)
    assert second["num_examples"] == 4 and second["num_samples"] == first["num_samples"]


def test_bad_files_stop_the_job_before_any_shard(tmp_path, caplog):
    paths = _clips(str(tmp_path / "clips"), 3, seconds=0.2)
    broken = bad_corpus.write_broken_files(str(tmp_path / "broken"))
    mixed = paths + [broken["not_audio.wav"], broken["nan.wav"]]
    out = str(tmp_path / "out")
    with pytest.raises(BadAudioFilesError, match="not_audio.wav"):
        write_tfrecord_shards(mixed, out, num_shards=2, progress=False)
    assert not os.path.exists(out) or not _shards(out)
    with caplog.at_level(logging.WARNING, logger="keras_audio_ssl"):
        index = write_tfrecord_shards(mixed, out, num_shards=2, skip_bad_files=True, progress=False)
    assert index["num_examples"] == 3
    assert sorted(p for p, _ in index["skipped"]) == sorted([broken["not_audio.wav"], broken["nan.wav"]])
    assert "NaN or Inf" in dict(index["skipped"])[broken["nan.wav"]]  # the real reason is kept
    assert "2 of 5 audio files cannot be used" in caplog.text


def test_pretraining_from_shards_glob_and_folder(tmp_path):
    paths = _clips(str(tmp_path / "clips"), 4, seconds=1.5)
    paths += _clips(str(tmp_path / "short"), 1, seconds=0.5)
    sources = [load_audio(p) for p in paths]
    out = str(tmp_path / "out")
    write_tfrecord_shards(paths, out, num_shards=2, progress=False)
    for source in (os.path.join(out, "*.tfrecord"), out):
        ds = make_pretraining_dataset(source, batch_size=5, seed=2)
        (batch,) = [b.numpy() for b in ds]
        assert batch.shape == (5, SEG)
        matched = []
        for segment in batch:
            for i, src in enumerate(sources):
                if len(src) >= SEG:
                    hits = [c for c in np.flatnonzero(src[: len(src) - SEG + 1] == segment[0])
                            if np.array_equal(src[c : c + SEG], segment)]
                    if hits:
                        matched.append(i)
                        break
                else:
                    left = (SEG - len(src)) // 2
                    if np.array_equal(segment[left : left + len(src)], src) and not segment[:left].any():
                        matched.append(i)
                        break
        assert sorted(matched) == [0, 1, 2, 3, 4]
    a = [b.numpy() for b in make_pretraining_dataset(out, batch_size=5, seed=9)]
    b = [b.numpy() for b in make_pretraining_dataset(out, batch_size=5, seed=9)]
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="Received: sample_rate=8000"):
        make_pretraining_dataset(out, batch_size=1, sample_rate=8000)


def test_prepare_audio_cli_with_workers_and_manifest(tmp_path, capsys):
    from tools.prepare_audio import main

    paths = _clips(str(tmp_path / "data" / "clips"), 4, seconds=0.3)
    csv = bad_corpus.write_manifest(
        tmp_path / "data" / "m.csv",
        [(os.path.relpath(p, tmp_path / "data"), f"c{i % 2}") for i, p in enumerate(paths)] + [("nowhere.wav", "c0")],
        header=("path", "label"),
    )
    out = str(tmp_path / "out")
    assert main(["--input", csv, "--output", out]) == 2
    error = capsys.readouterr().err
    assert "prepare_audio: error:" in error and "nowhere.wav" in error and "line 6" in error
    assert main(["--input", csv, "--output", out, "--shard-size", "2", "--workers", "2", "--skip-bad-files"]) == 0
    assert "4 examples" in capsys.readouterr().out
    records = _records(out)
    assert sorted((r["path"], r["label"]) for r in records) == sorted((p, f"c{i % 2}") for i, p in enumerate(paths))
    assert _shards(out) == ["audio-00000-of-00002.tfrecord", "audio-00001-of-00002.tfrecord"]


def test_decode_error_pickles_so_worker_pools_report_it():
    import pickle

    from keras_audio_ssl.audio import AudioDecodeError

    error = pickle.loads(pickle.dumps(AudioDecodeError("a.flac", "bad frames")))
    assert isinstance(error, AudioDecodeError) and error.path == "a.flac" and "bad frames" in str(error)


@pytest.mark.large  # prepare_audio's worker pool in a subprocess, fed a corrupt file
def test_prepare_audio_workers_skip_a_corrupt_payload_instead_of_hanging(tmp_path):
    """The corrupt FLAC passes the header check and fails in a worker: it used to hang the pool forever."""
    import subprocess
    import sys

    folder = tmp_path / "clips"
    _clips(str(folder), 4, seconds=0.3)
    bad = bad_corpus.write_corrupt_payload_flac(str(folder))
    out = tmp_path / "out"
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    command = [sys.executable, os.path.join(repo, "tools", "prepare_audio.py"), "--input", str(folder), "--output",
               str(out), "--shard-size", "1", "--workers", "2", "--skip-bad-files"]
    proc = subprocess.Popen(command, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        import signal

        os.killpg(proc.pid, signal.SIGKILL)  # the pool's workers too
        proc.communicate()
        raise AssertionError("prepare_audio --workers 2 hung on a corrupt FLAC payload")
    assert proc.returncode == 0, stderr[-3000:]
    assert os.path.basename(bad) in stderr + stdout
    assert len(_records(str(out))) == 4


def _float_wav(path, peak, seconds=0.5, seed=0):
    signal = np.sin(np.linspace(0, 400 * np.pi, int(seconds * 16000))) * np.random.default_rng(seed).uniform(0.2, 1.0)
    signal = (signal / np.max(np.abs(signal)) * peak).astype(np.float32)
    sf.write(str(path), signal, 16000, subtype="FLOAT")
    return signal


def test_out_of_range_float_audio_is_refused_naming_the_file_or_rescaled(tmp_path, capsys):
    from tools.prepare_audio import main

    folder = tmp_path / "clips"
    _clips(str(folder), 2, seconds=0.5)
    loud = _float_wav(folder / "int16_scaled.wav", 32767.0)
    with pytest.raises(BadAudioFilesError, match=r"int16_scaled.wav.*peak at 3.277e\+04, far above 1.0"):
        write_tfrecord_shards(sorted(str(p) for p in folder.iterdir()), str(tmp_path / "refused"))
    assert not os.path.exists(tmp_path / "refused")
    with pytest.raises(BadAudioFilesError, match="int16_scaled.wav"):
        make_pretraining_dataset(str(folder), batch_size=1)  # what fit() builds: refused before training

    assert main(["--input", str(folder), "--output", str(tmp_path / "rescaled"), "--out-of-range", "rescale",
                 "--no-progress"]) == 0
    assert "3 examples" in capsys.readouterr().out
    (record,) = [r for r in _records(str(tmp_path / "rescaled")) if r["path"].endswith("int16_scaled.wav")]
    np.testing.assert_allclose(record["audio"], loud / 32767.0, atol=1 / 32768)  # peak 1.0 -> int16 clips 1 LSB
    np.testing.assert_allclose(load_audio(str(folder / "int16_scaled.wav"), out_of_range="rescale"), loud / 32767.0,
                               rtol=1e-6)


def test_clipping_to_int16_is_counted_and_reported(tmp_path, caplog):
    folder = tmp_path / "clips"
    _clips(str(folder), 2, seconds=0.5)
    over = _float_wav(folder / "over.wav", 1.5)  # within the 8.0 limit: kept, but int16 clips it
    expected = int(np.count_nonzero(np.abs(over) > 1.0))
    with caplog.at_level(logging.WARNING, logger="keras_audio_ssl"):
        index = write_tfrecord_shards(sorted(str(p) for p in folder.iterdir()), str(tmp_path / "out"), progress=False)
    assert index["clipped"] == [[str(folder / "over.wav"), expected, len(over)]] and expected > 0
    assert "1 of 3 files had float samples beyond [-1, 1], clipped to int16" in caplog.text
    assert "over.wav" in caplog.text


def _children(pid):
    """PIDs of live (not zombie) processes whose parent is `pid`, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.large  # kills the parent of prepare_audio's worker pool
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process table from /proc")
def test_prepare_audio_workers_die_with_a_killed_parent(tmp_path):
    """Pool workers hold their task queue's write end, so a killed parent's workers waited forever."""
    import signal
    import subprocess
    import sys
    import time

    # Two shards of 20 files at 44.1 kHz (resampled on the host): each worker's shard takes seconds.
    # Before the fix a worker finished the shard it was writing after the parent was killed
    # (minutes, for the default 512-file shards).
    _clips(str(tmp_path / "clips"), 40, seconds=12.0, sample_rate=44100)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = tmp_path / "out"
    command = [sys.executable, os.path.join(repo, "tools", "prepare_audio.py"), "--input", str(tmp_path / "clips"),
               "--output", str(out), "--shard-size", "20", "--workers", "2", "--no-progress"]
    proc = subprocess.Popen(command, cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    workers = []
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            workers = [pid for pid in _children(proc.pid) if b"resource_tracker" not in _cmdline(pid)]
            partial = [n for n in os.listdir(out) if n.startswith(".")] if out.is_dir() else []
            if len(workers) >= 2 and partial:  # a worker is inside a shard (each takes seconds)
                break
            time.sleep(0.05)
        assert len(workers) >= 2 and proc.poll() is None, "the pool's workers never started a shard"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        finished = _shards(str(out))
        deadline = time.time() + 3
        while time.time() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers), "workers outlived their killed parent"
        time.sleep(3)  # an orphaned worker would finish the shard it was writing by now
        assert _shards(str(out)) == finished, "a worker kept writing after its parent was killed"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group
        except ProcessLookupError:
            pass


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""
