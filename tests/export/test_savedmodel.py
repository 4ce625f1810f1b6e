"""SavedModel export: signatures, equality with Keras, validation, saved_model_cli, gRPC."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from keras_audio_ssl.export import export_savedmodel
from keras_audio_ssl.export.model_parts import build_frames_model
from keras_audio_ssl.export.model_parts import min_samples
from keras_audio_ssl.export.savedmodel import next_version



@pytest.fixture(scope="module")
def exported(embedding_model, tmp_path_factory):
    base = tmp_path_factory.mktemp("serving")
    path = export_savedmodel(embedding_model, base)
    return base, path, tf.saved_model.load(path)


def test_layout_and_version_increment(embedding_model, exported, tmp_path):
    base, path, _ = exported
    assert path == os.path.join(str(base), "1")
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    assert next_version(base) == 2
    with pytest.raises(ValueError, match="already exists"):
        export_savedmodel(embedding_model, base, version=1)
    with pytest.raises(ValueError, match="version=0"):
        export_savedmodel(embedding_model, tmp_path, version=0)


def test_min_samples_of_audio_ntt2020(embedding_model):
    # Three 2x2 pools need 8 log-mel frames: 1 + N // 160 >= 8 -> N >= 1120.
    assert min_samples(embedding_model) == 1120


@pytest.mark.parametrize("num_samples", [16000, 15200, 4321])
def test_embedding_and_frames_equal_keras(embedding_model, exported, rng, num_samples):
    _, _, loaded = exported
    x = (0.1 * rng.standard_normal((2, num_samples))).astype(np.float32)
    expected = np.asarray(embedding_model(x, training=False))
    got = loaded.signatures["serving_default"](waveform=tf.constant(x))["embedding"].numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5)

    frames = loaded.signatures["frames"](waveform=tf.constant(x))["frames"].numpy()
    expected_frames = np.asarray(build_frames_model(embedding_model)(x, training=False))
    assert frames.shape == (2, (1 + num_samples // 160) // 8, 64)
    np.testing.assert_allclose(frames, expected_frames, atol=1e-5)
    # The embedding is max + mean of the frames over time (BYOL-A pooling).
    np.testing.assert_allclose(frames.max(axis=1) + frames.mean(axis=1), got, atol=1e-5)


def test_short_input_is_zero_padded(embedding_model, exported, rng):
    _, _, loaded = exported
    x = (0.1 * rng.standard_normal((1, 700))).astype(np.float32)
    padded = np.pad(x, [(0, 0), (0, 1120 - 700)])
    got = loaded.signatures["serving_default"](waveform=tf.constant(x))["embedding"].numpy()
    np.testing.assert_allclose(got, np.asarray(embedding_model(padded, training=False)), atol=1e-5)
    assert np.all(np.isfinite(got))


def test_non_finite_and_wrong_rank_are_rejected(exported):
    _, _, loaded = exported
    x = np.zeros((2, 4000), np.float32)
    x[1, 10] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="NaN or Inf"):
        loaded.signatures["serving_default"](waveform=tf.constant(x))
    x[1, 10] = np.inf
    with pytest.raises(tf.errors.InvalidArgumentError, match="NaN or Inf"):
        loaded.signatures["frames"](waveform=tf.constant(x))
    # What the model cannot embed is refused with our message, at serving time (before the fix an
    # empty [1, 0] waveform returned an embedding and rank 1 failed with a slice error).
    for signature in ("serving_default", "frames"):
        for bad, message in (
            (tf.zeros([4000]), "must be float32 \\[batch, samples\\]"),
            (tf.zeros([1, 4000, 2]), "must be float32 \\[batch, samples\\]"),
            (tf.zeros([1, 0]), "waveform is empty"),
            (tf.zeros([0, 4000]), "waveform is empty"),
        ):
            with pytest.raises(tf.errors.InvalidArgumentError, match=message):
                loaded.signatures[signature](waveform=bad)
    with pytest.raises((ValueError, TypeError, tf.errors.InvalidArgumentError)):
        loaded.signatures["serving_default"](waveform=tf.zeros([1, 4000], tf.int32))


@pytest.mark.large  # TensorFlow's own saved_model_cli in a process (~20 s); the signatures' unknown-rank input is
# checked by test_non_finite_and_wrong_rank_are_rejected, serving by test_grpc_round_trip
def test_saved_model_cli_lists_signatures(exported):
    _, path, _ = exported
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    result = subprocess.run([cli, "show", "--dir", path, "--all"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for text in ("signature_def['serving_default']", "signature_def['frames']", "inputs['waveform']", "outputs['embedding']", "outputs['frames']", "shape: unknown_rank"):
        assert text in out, text


def test_grpc_round_trip(embedding_model, exported, rng):
    import grpc
    from tensorflow_serving.apis import predict_pb2
    from tensorflow_serving.apis import prediction_service_pb2_grpc

    from keras_audio_ssl.export.grpc_service import start_prediction_server

    _, path, _ = exported
    server, address = start_prediction_server(path, "byola")
    try:
        with grpc.insecure_channel(address) as channel:
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            x = (0.1 * rng.standard_normal((3, 16000))).astype(np.float32)
            request = predict_pb2.PredictRequest()
            request.model_spec.name = "byola"
            request.model_spec.signature_name = "serving_default"
            request.inputs["waveform"].CopyFrom(tf.make_tensor_proto(x))
            response = stub.Predict(request, timeout=60)
            got = tf.make_ndarray(response.outputs["embedding"])
            np.testing.assert_allclose(got, np.asarray(embedding_model(x, training=False)), atol=1e-5)

            request.model_spec.signature_name = "frames"
            frames = tf.make_ndarray(stub.Predict(request, timeout=60).outputs["frames"])
            assert frames.shape == (3, 12, 64)

            x[0, 0] = np.nan
            request.inputs["waveform"].CopyFrom(tf.make_tensor_proto(x))
            with pytest.raises(grpc.RpcError) as info:
                stub.Predict(request, timeout=60)
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "NaN or Inf" in info.value.details()

            request.inputs["waveform"].CopyFrom(tf.make_tensor_proto(np.zeros(4000, np.float32)))
            with pytest.raises(grpc.RpcError) as info:
                stub.Predict(request, timeout=60)
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        server.stop(None)


def test_tool_end_to_end_on_fit_run_dir(fit_run_dir, tmp_path, rng, capsys):
    from keras_audio_ssl.encoders import load_embedding_model
    from tests.test_case import exit_code
    from tools.export_savedmodel import main

    out = tmp_path / "serving"
    assert exit_code(main, ["--model", fit_run_dir, "--output", str(out)]) == 0
    assert (out / "1" / "saved_model.pb").is_file()
    x = (0.1 * rng.standard_normal((2, 16000))).astype(np.float32)
    got = tf.saved_model.load(str(out / "1")).signatures["serving_default"](waveform=tf.constant(x))["embedding"].numpy()
    model = load_embedding_model(fit_run_dir)
    np.testing.assert_allclose(got, np.asarray(model(x, training=False)), atol=1e-5)

    capsys.readouterr()
    assert exit_code(main, ["--model", str(tmp_path / "missing"), "--output", str(out)]) == 2
    assert "missing" in capsys.readouterr().err
