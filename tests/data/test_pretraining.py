import logging
import os

import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from keras_audio_ssl.audio import load_audio
from keras_audio_ssl.data import make_pretraining_dataset
from keras_audio_ssl.data import pretraining_data
from tests.data import bad_corpus

SEG = 15200


def _noise_file(path, seconds, seed, sample_rate=16000, subtype="PCM_16"):
    """int16 noise: every window of it is unique, so a crop can be located."""
    samples = np.random.default_rng(seed).integers(-20000, 20000, int(seconds * sample_rate), dtype=np.int16)
    sf.write(path, samples, sample_rate, subtype=subtype)
    return samples.astype(np.float32) / 32768.0


def _crop_offsets(src, segment):
    """Offsets where `segment` occurs in `src` (candidates by first sample, then verified)."""
    candidates = np.flatnonzero(src[: len(src) - len(segment) + 1] == segment[0])
    return [int(c) for c in candidates if np.array_equal(src[c : c + len(segment)], segment)]


def _locate(segment, sources):
    """(source index, offset) of a cropped segment, or (index, -left_pad) of a padded one."""
    nonzero = np.flatnonzero(segment)
    for i, src in enumerate(sources):
        if len(src) > len(segment):
            offsets = _crop_offsets(src, segment)
            if offsets:
                return i, offsets[0]
        else:
            left = (len(segment) - len(src)) // 2
            if len(nonzero) and np.array_equal(segment[left : left + len(src)], src):
                assert not segment[:left].any() and not segment[left + len(src) :].any()
                return i, -left
    raise AssertionError("segment is not a crop of any source")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    (root / "sub").mkdir()
    sources = [
        _noise_file(str(root / "a.wav"), 2.0, 0),
        _noise_file(str(root / "b.wav"), 1.5, 1),
        _noise_file(str(root / "sub" / "c.wav"), 0.5, 2),  # shorter than a segment: padded
        _noise_file(str(root / "sub" / "d.wav"), 3.0, 3),
    ]
    paths = [str(root / n) for n in ("a.wav", "b.wav", "sub/c.wav", "sub/d.wav")]
    return str(root), paths, sources


def _epochs(ds, n=2):
    return [np.concatenate([b.numpy() for b in ds]) for _ in range(n)]


def test_folder_segments_are_crops_of_the_sources(folder):
    root, _, sources = folder
    ds = make_pretraining_dataset(root, batch_size=2, seed=3)
    assert ds.element_spec == tf.TensorSpec([2, SEG], tf.float32)
    (epoch,) = _epochs(ds, 1)
    assert epoch.shape == (4, SEG)
    found = sorted(_locate(seg, sources)[0] for seg in epoch)
    assert found == [0, 1, 2, 3]  # one crop per file per epoch
    short = epoch[[_locate(s, sources)[0] for s in epoch].index(2)]
    left = (SEG - len(sources[2])) // 2
    assert not short[:left].any() and not short[left + len(sources[2]) :].any()


def test_same_seed_same_epochs_different_epochs_and_seeds_differ(folder):
    root, _, sources = folder
    one = _epochs(make_pretraining_dataset(root, batch_size=2, seed=11))
    two = _epochs(make_pretraining_dataset(root, batch_size=2, seed=11))
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])
    assert not np.array_equal(one[0], one[1])
    other = _epochs(make_pretraining_dataset(root, batch_size=2, seed=12), 1)
    assert not np.array_equal(one[0], other[0])
    # Crop offsets (not only the order) change between epochs: the long files' offsets differ.
    offsets = [{_locate(s, sources) for s in epoch if _locate(s, sources)[1] >= 0} for epoch in one]
    assert offsets[0] != offsets[1]


def test_repeat_continues_with_new_epochs(folder):
    root, _, _ = folder
    separate = _epochs(make_pretraining_dataset(root, batch_size=2, seed=5))
    repeated = make_pretraining_dataset(root, batch_size=2, seed=5, repeat=True)
    stream = np.concatenate([b.numpy() for b in repeated.take(4)])
    np.testing.assert_array_equal(stream, np.concatenate(separate))


def test_no_shuffle_keeps_file_order(folder):
    root, _, sources = folder
    (epoch,) = _epochs(make_pretraining_dataset(root, batch_size=4, shuffle=False, seed=1), 1)
    assert [_locate(s, sources)[0] for s in epoch] == [0, 1, 2, 3]


def test_manifest_with_relative_paths_and_split(folder, tmp_path):
    root, paths, sources = folder
    rel = [os.path.relpath(p, tmp_path) for p in paths]
    csv = bad_corpus.write_manifest(
        tmp_path / "m.csv",
        [(rel[0], "x", "train"), (rel[1], "y", "test"), (rel[3], "z", "train")],
        header=("path", "label", "split"),
    )
    ds = make_pretraining_dataset(csv, batch_size=1, seed=0, split="train")
    (epoch,) = _epochs(ds, 1)
    assert sorted(_locate(s, sources)[0] for s in epoch) == [0, 3]
    with pytest.raises(ValueError, match="Received: split='dev'"):
        make_pretraining_dataset(csv, batch_size=1, split="dev")


def test_mixed_formats_rates_and_routing(tmp_path):
    odd = bad_corpus.write_odd_files(str(tmp_path / "odd"))
    truncated, present = bad_corpus.write_truncated_data_file(str(tmp_path / "odd"))
    paths = [f.path for f in odd.values()] + [truncated]
    ds = make_pretraining_dataset(paths, batch_size=len(paths), shuffle=False, seed=0)
    (batch,) = [b.numpy() for b in ds]
    assert batch.shape == (len(paths), SEG) and np.all(np.isfinite(batch))
    rows = dict(zip([os.path.basename(p) for p in paths], batch))
    # These clips are shorter than a segment at 16 kHz, so each row holds the whole decoded clip, centred.
    for name in ("pcm_24.wav", "stereo.wav", "rate_44100.wav", "pcm_24.flac", "truncated_data.wav"):
        expected = load_audio(os.path.join(str(tmp_path / "odd"), name))
        assert len(expected) <= SEG
        left = (SEG - len(expected)) // 2
        np.testing.assert_allclose(rows[name][left : left + len(expected)], expected, atol=1e-7)
    # 44.1 kHz input went through resampling: 0.5 s -> 8,000 samples.
    assert len(load_audio(odd["rate_44100.wav"].path)) == 8000
    np.testing.assert_array_equal(rows["silence.wav"], 0.0)


def test_broken_files_fail_at_build_time_naming_them(tmp_path):
    root = tmp_path / "mixed"
    root.mkdir()
    _noise_file(str(root / "good.wav"), 1.0, 0)
    broken = bad_corpus.write_broken_files(str(root))
    with pytest.raises(ValueError) as info:
        make_pretraining_dataset(str(root), batch_size=1)
    message = str(info.value)
    assert "7 of 8 audio files cannot be used" in message  # missing.wav is never created
    for name in ("empty.wav", "header_only.wav", "inf.wav", "nan.wav", "not_audio.wav"):  # first five
        assert broken[name] in message
    assert "and 2 more" in message
    named = sorted(p for p, _ in info.value.failures)
    assert named == sorted(p for n, p in broken.items() if n != "missing.wav")


def test_skip_bad_files_reports_and_trains_on_the_rest(tmp_path, caplog):
    root = tmp_path / "mixed"
    root.mkdir()
    good = _noise_file(str(root / "good.wav"), 1.0, 0)
    broken = bad_corpus.write_broken_files(str(root))
    with caplog.at_level(logging.WARNING, logger="keras_audio_ssl"):
        ds = make_pretraining_dataset(str(root), batch_size=1, seed=0, skip_bad_files=True)
    assert "7 of 8 audio files cannot be used" in caplog.text  # missing.wav is never created
    assert broken["empty.wav"] in caplog.text
    (epoch,) = _epochs(ds, 1)
    assert epoch.shape == (1, SEG) and _locate(epoch[0], [good])[0] == 0


def _corpus_with_corrupt_payload(root, good=7):
    root.mkdir()
    # FLAC: decoded on the host, like the corrupt one (16-bit WAVs would decode in the graph).
    goods = [_noise_file(str(root / f"good{i}.flac"), 1.0, i) for i in range(good)]
    return goods, bad_corpus.write_corrupt_payload_flac(str(root))


def test_decode_failure_at_run_time_is_skipped_and_epochs_keep_their_length(tmp_path):
    from keras_audio_ssl.data import DecodeFailures

    goods, corrupt = _corpus_with_corrupt_payload(tmp_path / "c")
    failures = DecodeFailures()
    # 8 files pass the header check; one fails only when its frames are decoded.
    built = pretraining_data(str(tmp_path / "c"), batch_size=2, seed=0, skip_bad_files=True,
                             epochs=(0, 3), decode_failures=failures)
    assert built.num_examples == 8 and built.steps_per_epoch == 4
    ds = built.dataset
    batches = [b.numpy() for b in ds]
    assert len(batches) == 12  # 3 epochs x 4 batches although only 7 clips decode per epoch
    assert [p for p, _ in failures.items()] == [corrupt]
    sources = goods
    for batch in batches:
        for segment in batch:
            assert _locate(segment, sources)[0] >= 0  # every segment is a crop of a good file
    # Resuming at epoch 2 reads the batches of an uninterrupted run's epoch 2.
    resumed = make_pretraining_dataset(str(tmp_path / "c"), batch_size=2, seed=0, skip_bad_files=True,
                                       epochs=(2, 3))
    np.testing.assert_array_equal(np.stack([b.numpy() for b in resumed]), np.stack(batches[8:]))


def test_skip_bad_files_leaves_clean_epochs_unchanged(folder):
    root, _, _ = folder
    runs = [
        np.stack([b.numpy() for b in make_pretraining_dataset(root, batch_size=3, seed=5, epochs=(0, 2),
                                                              skip_bad_files=skip)])
        for skip in (False, True)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])


def test_decode_failure_without_skip_is_one_line_naming_the_file(tmp_path):
    from keras_audio_ssl.data import BadAudioFilesError
    from keras_audio_ssl.data import raise_decode_failure

    _, corrupt = _corpus_with_corrupt_payload(tmp_path / "c")
    built = pretraining_data(str(tmp_path / "c"), batch_size=2, seed=0)
    with pytest.raises(BadAudioFilesError) as info:
        try:
            list(built.dataset)
        except tf.errors.OpError as error:
            raise_decode_failure(built.decode_failures, error)
            raise
    message = str(info.value)
    assert corrupt in message and "skip_bad_files=True" in message and "\n" not in message
    assert len(message) < 400 and info.value.failures[0][0] == corrupt


def test_manifest_row_pointing_nowhere(tmp_path, caplog):
    _noise_file(str(tmp_path / "ok.wav"), 1.0, 0)
    csv = bad_corpus.write_manifest(tmp_path / "m.csv", [("ok.wav",), ("nowhere.wav",)])
    with pytest.raises(ValueError, match="line 3.*nowhere.wav"):
        make_pretraining_dataset(csv, batch_size=1)
    with caplog.at_level(logging.WARNING, logger="keras_audio_ssl"):
        ds = make_pretraining_dataset(csv, batch_size=1, skip_bad_files=True)
    assert "nowhere.wav" in caplog.text
    assert len(list(ds)) == 1


def test_long_file_is_cropped(tmp_path):
    path, samples = bad_corpus.write_long_file(str(tmp_path))
    ds = make_pretraining_dataset([path], batch_size=1, seed=4)
    (batch,) = [b.numpy() for b in ds]
    src = samples.astype(np.float32) / 32768.0
    assert _crop_offsets(src, batch[0])
    assert len(load_audio(path)) == len(samples)


def test_tf_dataset_source_and_too_few_files(folder):
    root, _, _ = folder
    waves = tf.data.Dataset.from_tensor_slices([np.arange(20000, dtype=np.float32)] * 3)
    ds = make_pretraining_dataset(waves, batch_size=3, seed=0)
    (batch,) = [b.numpy() for b in ds]
    starts = batch[:, 0].astype(int)
    np.testing.assert_array_equal(batch, starts[:, None] + np.arange(SEG)[None, :])
    with pytest.raises(ValueError, match="fewer than one batch"):
        make_pretraining_dataset(root, batch_size=5)
    with pytest.raises(ValueError, match="Received: batch_size=0"):
        make_pretraining_dataset(root, batch_size=0)


def test_pad_mode_repeat_fills_short_clips_with_audio_and_is_checked():
    short = tf.data.Dataset.from_tensor_slices([np.arange(1, 5001, dtype=np.float32)] * 4)  # 5000 < SEG
    zeros = np.concatenate([b.numpy() for b in make_pretraining_dataset(short, batch_size=2, seed=1)])
    assert np.all(zeros[:, :100] == 0)  # centred: zeros at both ends
    tiled = np.concatenate([b.numpy() for b in make_pretraining_dataset(short, batch_size=2, seed=1,
                                                                        pad_mode="repeat", segments_per_clip=2)])
    assert tiled.shape == (4, 2, SEG) and np.all(tiled != 0)
    for segment in tiled.reshape(-1, SEG):  # a window of the clip repeated
        np.testing.assert_array_equal(segment, (np.arange(SEG) + segment[0] - 1) % 5000 + 1)
    with pytest.raises(ValueError, match="Received: pad_mode='edge'"):
        make_pretraining_dataset(short, batch_size=2, pad_mode="edge")


def test_silence_gives_finite_log_mel(tmp_path):
    from keras_audio_ssl.audio import LogMelSpectrogram

    odd = bad_corpus.write_odd_files(str(tmp_path))
    ds = make_pretraining_dataset([odd["silence.wav"].path, odd["short.wav"].path], batch_size=2, seed=0)
    (batch,) = list(ds)
    mel = LogMelSpectrogram()(batch).numpy()
    assert mel.shape == (2, 64, 96, 1)
    assert np.all(np.isfinite(mel))
    assert mel.min() >= np.log(1.1920929e-07) - 1e-3  # floor set by eps, not -inf


def test_in_graph_wav_path_equals_decode_wav(tmp_path):
    odd = bad_corpus.write_odd_files(str(tmp_path))
    trailing, _ = bad_corpus.write_wav_with_trailing_chunk(str(tmp_path))
    paths = [odd["pcm_16.wav"].path, odd["stereo.wav"].path, trailing]
    from keras_audio_ssl.data import check_audio_files

    assert all(info.graph_decodable for info in check_audio_files(paths, return_info=True))
    (batch,) = [b.numpy() for b in make_pretraining_dataset(paths, batch_size=3, shuffle=False, seed=0)]
    for row, path in zip(batch, paths):
        audio, _ = tf.audio.decode_wav(tf.io.read_file(path))
        mono = tf.reduce_mean(audio, axis=1).numpy()
        left = (SEG - len(mono)) // 2
        np.testing.assert_allclose(row[left : left + len(mono)], mono, atol=1e-7)
        assert not row[:left].any() and not row[left + len(mono) :].any()


def _epoch_batches(ds):
    return [b.numpy() for b in ds]


@pytest.mark.parametrize("source_kind", ["folder", "dataset", "tfrecords"])
def test_epoch_seeded_mode_depends_on_seed_and_epoch_alone(folder, source_kind, tmp_path):
    """A run resumed at epoch k must read what an uninterrupted run read at epoch k,
    whatever the global seed (the demo sets one; seed 0 once broke the tensor-seeded shuffle)."""
    from keras_audio_ssl.data import write_tfrecord_shards

    root, paths, sources = folder
    if source_kind == "folder":
        source = root
    elif source_kind == "dataset":
        source = tf.data.Dataset.from_tensor_slices([np.arange(20000, dtype=np.float32) + 1e5 * i for i in range(8)])
    else:
        write_tfrecord_shards(paths, str(tmp_path / "shards"), num_shards=2)
        source = str(tmp_path / "shards")

    def build(first, stop, global_seed):
        tf.random.set_seed(global_seed)
        ds = make_pretraining_dataset(
            source, batch_size=2, seed=7, epochs=(first, stop), steps_per_epoch=2, shuffle_buffer_size=4
        )
        return _epoch_batches(ds)

    full = build(0, 3, global_seed=0)
    assert len(full) == 6
    resumed = build(2, 3, global_seed=123)
    np.testing.assert_array_equal(np.stack(full[4:]), np.stack(resumed))
    again = build(0, 3, global_seed=5)
    np.testing.assert_array_equal(np.stack(full), np.stack(again))
    assert not np.array_equal(full[0], full[2]), "epochs 0 and 1 gave the same batches"
    other_seed = _epoch_batches(
        make_pretraining_dataset(source, batch_size=2, seed=8, epochs=(0, 1), steps_per_epoch=2, shuffle_buffer_size=4)
    )
    assert not np.array_equal(np.stack(full[:2]), np.stack(other_seed))


def test_stateless_shuffle_is_a_permutation():
    from keras_audio_ssl.data.cropping import stateless_shuffle

    ds = tf.data.Dataset.range(10)
    for kwargs in ({"size": 10}, {}):
        out = [int(x) for x in stateless_shuffle(ds, 4, tf.constant(3, tf.int64), **kwargs)]
        assert sorted(out) == list(range(10)) and out != list(range(10))
        again = [int(x) for x in stateless_shuffle(ds, 4, tf.constant(3, tf.int64), **kwargs)]
        assert out == again
    blocks = [int(x) for x in stateless_shuffle(ds, 4, tf.constant(3, tf.int64))]
    assert sorted(blocks[:4]) == [0, 1, 2, 3]  # a block shuffle stays within its block


def test_skipping_every_host_decoded_file_keeps_the_in_graph_wavs(tmp_path):
    # Finding 1: 8 good 16 kHz WAVs + one FLAC with a corrupt payload aborted with "no usable audio is left".
    from keras_audio_ssl.data import DecodeFailures

    root = tmp_path / "c"
    root.mkdir()
    goods = [_noise_file(str(root / f"good{i}.wav"), 1.0, i) for i in range(8)]
    corrupt = bad_corpus.write_corrupt_payload_flac(str(root))
    failures = DecodeFailures()
    built = pretraining_data(str(root), batch_size=2, seed=0, skip_bad_files=True, epochs=(0, 2),
                             decode_failures=failures)
    batches = [b.numpy() for b in built.dataset]
    assert len(batches) == 2 * built.steps_per_epoch
    assert [p for p, _ in failures.items()] == [corrupt]
    for batch in batches:
        for segment in batch:
            assert _locate(segment, goods)[0] >= 0
