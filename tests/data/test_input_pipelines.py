"""`make_pretraining_dataset(input_context=...)`: one input pipeline's part of every global batch."""

import json

import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

from keras_audio_ssl.data import make_pretraining_dataset
from keras_audio_ssl.data import pretraining
from keras_audio_ssl.data import write_tfrecord_shards

SEG = 1600
GLOBAL_BATCH = 4


def _context(pipelines, index, replicas):
    return tf.distribute.InputContext(num_input_pipelines=pipelines, input_pipeline_id=index,
                                      num_replicas_in_sync=replicas)


def _write_clips(folder, count, subtype="PCM_16", extension="wav"):
    folder.mkdir()
    paths = []
    for i in range(count):
        path = str(folder / f"clip_{i:02d}.{extension}")
        rng = np.random.default_rng(i)
        sf.write(path, rng.integers(-20000, 20000, 2400 + 160 * i, dtype=np.int16), 16000, subtype=subtype)
        paths.append(path)
    return paths


def _batches(dataset):
    return [b.numpy() for b in dataset]


def _epochs_args(**extra):
    return {**dict(batch_size=GLOBAL_BATCH, segment_samples=SEG, seed=5, epochs=(0, 2)), **extra}


@pytest.mark.parametrize("pipelines,replicas", [(2, 2), (1, 2), (2, 4)])
def test_file_pipelines_yield_the_rows_a_single_process_gives_the_same_replicas(tmp_path, pipelines, replicas):
    paths = _write_clips(tmp_path / "clips", 10)
    whole = _batches(make_pretraining_dataset(paths, **_epochs_args()))
    assert len(whole) == 2 * (10 // GLOBAL_BATCH)
    per_pipeline = [
        _batches(make_pretraining_dataset(paths, input_context=_context(pipelines, p, replicas), **_epochs_args()))
        for p in range(pipelines)
    ]
    local = replicas // pipelines
    for pipeline_batches in per_pipeline:  # each pipeline feeds its replicas in turn, every global step
        assert len(pipeline_batches) == len(whole) * local
        assert all(b.shape == (GLOBAL_BATCH // replicas, SEG) for b in pipeline_batches)
    for step, global_batch in enumerate(whole):
        # Replica r of pipeline p gets the rows a single-process strategy gives replica p * local + r.
        rebuilt = np.concatenate([per_pipeline[p][step * local + r] for p in range(pipelines) for r in range(local)])
        np.testing.assert_array_equal(rebuilt, global_batch)


def test_a_pipeline_decodes_only_its_own_files(tmp_path, monkeypatch):
    paths = _write_clips(tmp_path / "clips", 8, subtype="PCM_24", extension="flac")  # host-decoded
    loaded = []
    load = pretraining.load_audio
    monkeypatch.setattr(pretraining, "load_audio", lambda path, **kw: loaded.append(path) or load(path, **kw))
    list(make_pretraining_dataset(paths, input_context=_context(2, 0, 2), **_epochs_args(epochs=(0, 1))))
    mine = set(loaded)
    loaded.clear()
    list(make_pretraining_dataset(paths, input_context=_context(2, 1, 2), **_epochs_args(epochs=(0, 1))))
    assert mine and loaded and not mine & set(loaded)
    assert len(mine) + len(loaded) == 8


def test_in_memory_dataset_pipelines_split_the_global_batches_by_rows():
    clips = np.random.default_rng(0).normal(size=(8, 2000)).astype("float32")
    source = tf.data.Dataset.from_tensor_slices(clips)
    whole = _batches(make_pretraining_dataset(source, **_epochs_args()))
    parts = [_batches(make_pretraining_dataset(source, input_context=_context(2, p, 2), **_epochs_args()))
             for p in range(2)]
    for step, global_batch in enumerate(whole):
        np.testing.assert_array_equal(np.concatenate([parts[0][step], parts[1][step]]), global_batch)


def test_tfrecord_pipelines_read_disjoint_shards_and_agree_on_the_epoch_length(tmp_path):
    paths = _write_clips(tmp_path / "clips", 12)
    write_tfrecord_shards(paths, str(tmp_path / "shards"), num_shards=3, progress=False)  # 4, 4, 4 clips
    source = str(tmp_path / "shards")
    kept = []
    for p in range(2):
        batches = _batches(make_pretraining_dataset(source, input_context=_context(2, p, 2), **_epochs_args()))
        # 12 clips / global batch 4 = 3 steps an epoch for both, though one reads 2 shards and the other 1.
        assert len(batches) == 2 * 3 and all(b.shape == (2, SEG) for b in batches)
        kept.append(np.concatenate(batches[:3]))
    rows = lambda a: {r.tobytes() for r in a}  # noqa: E731
    assert not rows(kept[0]) & rows(kept[1])  # crops of different files


def test_pipeline_arguments_are_checked(tmp_path):
    paths = _write_clips(tmp_path / "clips", 6)
    with pytest.raises(ValueError, match="split evenly between 4 replicas.*batch_size=6"):
        make_pretraining_dataset(paths, batch_size=6, segment_samples=SEG, epochs=(0, 1),
                                 input_context=_context(2, 0, 4))
    write_tfrecord_shards(paths, str(tmp_path / "shards"), num_shards=1, progress=False)
    with pytest.raises(ValueError, match="2 input pipelines share 1 TFRecord file"):
        make_pretraining_dataset(str(tmp_path / "shards"), input_context=_context(2, 0, 2), **_epochs_args())
    unknown_size = tf.data.Dataset.from_generator(lambda: iter(np.zeros((8, 2000), "float32")),
                                                  output_signature=tf.TensorSpec([2000], tf.float32))
    with pytest.raises(ValueError, match="steps_per_epoch"):
        make_pretraining_dataset(unknown_size, input_context=_context(2, 0, 2), **_epochs_args())


@pytest.fixture(scope="module")
def data_service():
    """An in-process tf.data service on loopback: a dispatcher and two workers (started on demand)."""
    service = tf.data.experimental.service
    dispatcher = service.DispatchServer(service.DispatcherConfig(port=0))
    address = dispatcher.target.split("://")[1]
    workers = []

    def with_workers(count):
        while len(workers) < count:
            workers.append(service.WorkerServer(service.WorkerConfig(dispatcher_address=address)))
        return dispatcher.target

    yield with_workers
    for worker in workers:
        worker._stop()
    dispatcher._stop()


def test_data_service_with_one_worker_serves_the_local_batches(tmp_path, data_service):
    paths = _write_clips(tmp_path / "clips", 8)
    local = _batches(make_pretraining_dataset(paths, **_epochs_args()))
    served = _batches(make_pretraining_dataset(paths, data_service=data_service(1), **_epochs_args()))
    assert len(served) == len(local) == 4
    for a, b in zip(served, local):
        np.testing.assert_array_equal(a, b)


def test_data_service_with_two_workers_serves_every_epoch_once(tmp_path, data_service):
    paths = _write_clips(tmp_path / "clips", 8)
    args = _epochs_args(epochs=(0, 4))
    local = {b.tobytes() for b in _batches(make_pretraining_dataset(paths, **args))}
    served = [b.tobytes() for b in _batches(make_pretraining_dataset(paths, data_service=data_service(2), **args))]
    assert len(served) == len(local) == 8 and set(served) == local


def test_data_service_refuses_files_decoded_on_the_host(tmp_path):
    paths = _write_clips(tmp_path / "clips", 4, subtype="PCM_24", extension="flac")
    with pytest.raises(ValueError, match="decode only on this host.*clip_00.flac.*prepare_audio"):
        make_pretraining_dataset(paths, data_service="grpc://localhost:1", **_epochs_args())


@pytest.mark.large  # a fit fed by an in-process tf.data service cluster
def test_a_recipe_trains_from_the_data_service(tmp_path, data_service):
    from keras_audio_ssl.recipes import byola

    _write_clips(tmp_path / "clips", 8)
    address = data_service(1)
    model, history = byola.fit(str(tmp_path / "clips"), output_dir=str(tmp_path / "run"), epochs=1, feature_d=16,
                               batch_size=4, memory_size=8, norm_stats_samples=8, segment_samples=SEG, verbose=0,
                               data_service=address)
    assert len(history.history["loss"]) == 1 and np.isfinite(history.history["loss"][0])
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["data_service"] == address and config["status"] == "finished"
