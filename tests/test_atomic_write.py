import os

import pytest

from keras_audio_ssl import atomic_write
from keras_audio_ssl.recipes import run_state
from tests.small_disk import fill
from tests.small_disk import small_disk


def test_leftovers_are_only_the_reserved_prefix(tmp_path):
    # Finding 9: a user's `my_notes.tmp.txt` disappeared and a folder `backup.tmp` crashed the run.
    (tmp_path / "my_notes.tmp.txt").write_text("mine")
    (tmp_path / "backup.tmp").mkdir()
    (tmp_path / "backup.tmp" / "x").write_text("mine too")
    dead = tmp_path / f"{atomic_write.TEMP_PREFIX}999999999-epoch_0001.weights.h5"
    dead.write_bytes(b"half")
    (tmp_path / f"{atomic_write.TEMP_PREFIX}999999999-7").mkdir()
    alive = tmp_path / f"{atomic_write.TEMP_PREFIX}1-model.tflite"  # pid 1 is alive: a concurrent writer
    alive.write_bytes(b"busy")
    run_state.remove_stale_temporaries(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == sorted(["my_notes.tmp.txt", "backup.tmp", alive.name])
    assert (tmp_path / "backup.tmp" / "x").read_text() == "mine too"


def test_leftovers_of_one_artefact_leave_the_folders_other_temporaries(tmp_path):
    mine = tmp_path / f"{atomic_write.TEMP_PREFIX}999999999-model.tflite"
    other = tmp_path / f"{atomic_write.TEMP_PREFIX}999999999-other-model.tflite"
    similar = tmp_path / f"{atomic_write.TEMP_PREFIX}999999999-model.tflite.bak"
    for path in (mine, other, similar):
        path.write_bytes(b"half")
    atomic_write.remove_leftovers(str(tmp_path), "model.tflite")
    assert sorted(os.listdir(tmp_path)) == sorted([other.name, similar.name])


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "a.json"
    atomic_write.write_json(path, {"v": 1})
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_write.replacing(path) as tmp:
            with open(tmp, "w") as f:
                f.write("{half")
            raise RuntimeError("boom")
    assert run_state.read_json(str(path)) == {"v": 1}
    assert os.listdir(tmp_path) == ["a.json"]


def test_a_directory_appears_only_complete_and_is_never_overwritten(tmp_path):
    target = tmp_path / "3"
    with pytest.raises(RuntimeError):
        with atomic_write.replacing(target, directory=True) as tmp:
            (open(os.path.join(tmp, "saved_model.pb"), "wb")).close()
            raise RuntimeError("killed")
    assert os.listdir(tmp_path) == []
    with atomic_write.replacing(target, directory=True) as tmp:
        with open(os.path.join(tmp, "saved_model.pb"), "wb") as f:
            f.write(b"x")
    assert os.listdir(target) == ["saved_model.pb"]
    with pytest.raises(FileExistsError):
        with atomic_write.replacing(target, directory=True):
            pass


def test_a_full_disk_is_one_line_naming_the_path_and_keeps_the_previous_file(tmp_path):
    with small_disk(tmp_path / "disk", megabytes=1) as disk:
        path = os.path.join(disk, "model.bin")
        atomic_write.write_bytes(path, b"good" * 1000)
        fill(disk, leave_bytes=64 << 10)
        with pytest.raises(atomic_write.NoSpaceLeftError) as info:
            atomic_write.write_bytes(path, b"x" * (512 << 10))
        message = str(info.value)
        assert "no space left" in message and path in message and "\n" not in message
        assert open(path, "rb").read() == b"good" * 1000
        assert sorted(os.listdir(disk)) == ["filler.bin", "model.bin"]


def test_weights_are_not_written_to_a_disk_without_room_for_them(tmp_path):
    # Finding 2: HDF5 failing mid-write leaves an open file that segfaults the interpreter at exit.
    import keras

    model = keras.Sequential([keras.Input((300,)), keras.layers.Dense(1000)])  # 1.2 MB of weights
    with small_disk(tmp_path / "disk", megabytes=1) as disk:
        path = os.path.join(disk, "m.weights.h5")
        with pytest.raises(atomic_write.NoSpaceLeftError, match="no space left"):
            atomic_write.save_with(model.save_weights, path, model=model)
        assert os.listdir(disk) == []


def test_the_weights_size_bound_holds(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((30,)), keras.layers.Dense(64), keras.layers.BatchNormalization(),
                              keras.layers.Dense(8)])
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    assert os.path.getsize(path) <= atomic_write.weights_bytes(model)
