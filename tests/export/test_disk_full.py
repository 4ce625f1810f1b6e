"""A full disk or a killed export never costs the previous good artefact (findings 3 and 4)."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl.atomic_write import NoSpaceLeftError
from keras_audio_ssl.export import export_savedmodel
from keras_audio_ssl.export import export_tflite
from tests.small_disk import fill
from tests.small_disk import small_disk


def test_tflite_on_a_full_disk_keeps_the_previous_file(embedding_model, tmp_path):
    with small_disk(tmp_path / "disk", megabytes=8) as disk:
        path = os.path.join(disk, "model.tflite")
        export_tflite(embedding_model, path)
        good = open(path, "rb").read()
        fill(disk, leave_bytes=64 << 10)
        with pytest.raises(NoSpaceLeftError, match="no space left") as info:
            export_tflite(embedding_model, path)
        assert path in str(info.value)
        assert open(path, "rb").read() == good
        assert sorted(os.listdir(disk)) == ["filler.bin", "model.tflite"]


def test_tflite_export_removes_what_an_export_killed_while_writing_left(embedding_model, tmp_path):
    leftover = tmp_path / ".kas-tmp-999999999-model.tflite"
    leftover.write_bytes(b"half a model")
    export_tflite(embedding_model, tmp_path / "model.tflite")
    assert sorted(os.listdir(tmp_path)) == ["model.tflite"]


def test_tflite_tool_says_no_space_left_in_one_line(embedding_model, tmp_path, capsys):
    from tests.test_case import exit_code
    from tools.export_tflite import main  # its main in-process: the same one_line_errors path as the command

    model_path = tmp_path / "m.keras"
    embedding_model.save(model_path)
    with small_disk(tmp_path / "disk", megabytes=8) as disk:
        path = os.path.join(disk, "model.tflite")
        export_tflite(embedding_model, path)
        good = open(path, "rb").read()
        fill(disk, leave_bytes=64 << 10)
        capsys.readouterr()
        code = exit_code(main, ["--model", str(model_path), "--output", path])
        stderr = capsys.readouterr().err
        assert code == 1, stderr[-2000:]
        errors = [line for line in stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "no space left" in errors[0] and path in errors[0]
        assert "Traceback" not in stderr
        assert open(path, "rb").read() == good


def test_savedmodel_on_a_full_disk_adds_no_version(embedding_model, tmp_path):
    with small_disk(tmp_path / "disk", megabytes=16) as disk:
        base = os.path.join(disk, "serving")
        export_savedmodel(embedding_model, base, frames=False)
        fill(disk, leave_bytes=128 << 10)
        with pytest.raises(NoSpaceLeftError, match="no space left"):
            export_savedmodel(embedding_model, base, frames=False)
        assert os.listdir(base) == ["1"]  # no version 2, no variables_temp, no temporary
        tf.saved_model.load(os.path.join(base, "1"))


def test_a_killed_savedmodel_export_leaves_no_version_folder(embedding_model, tmp_path, monkeypatch):
    # Finding 4: SIGKILLs 3-17 ms after the version folder appeared left empty versions 5-8.
    base = tmp_path / "serving"
    export_savedmodel(embedding_model, base, frames=False)
    archive_class = type(keras.export.ExportArchive())  # the backend's class
    real_write_out = archive_class.write_out

    def killed_midway(self, filepath, **kwargs):
        real_write_out(self, filepath, **kwargs)
        os.remove(os.path.join(filepath, "saved_model.pb"))
        raise KeyboardInterrupt  # stands for the kill: nothing after this runs

    monkeypatch.setattr(archive_class, "write_out", killed_midway)
    with pytest.raises(KeyboardInterrupt):
        export_savedmodel(embedding_model, base, frames=False)
    monkeypatch.undo()
    assert sorted(os.listdir(base)) == ["1"]
    assert export_savedmodel(embedding_model, base, frames=False).endswith("2")
    x = np.zeros((1, 16000), np.float32)
    assert tf.saved_model.load(str(base / "2")).signatures["serving_default"](waveform=x)["embedding"].shape[0] == 1
