import keras
import numpy as np

from keras_audio_ssl.heads import BilinearSimilarity


def test_matches_numpy_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 6)).astype("float32")
    p = rng.standard_normal((5, 6)).astype("float32")
    layer = BilinearSimilarity()
    got = keras.ops.convert_to_numpy(layer([a, p]))
    w = layer.kernel.numpy()
    np.testing.assert_allclose(got, a @ w @ p.T, rtol=1e-5, atol=1e-5)
    assert tuple(layer.compute_output_shape([(5, 6), (5, 6)])) == (5, 5)
    ia, ip = keras.Input((6,)), keras.Input((6,))
    model = keras.Model([ia, ip], layer([ia, ip]))
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded([a, p])), got, atol=1e-6)
