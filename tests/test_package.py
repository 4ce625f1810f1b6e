import subprocess
import sys

import keras_audio_ssl


def test_every_public_name_resolves():
    for name in keras_audio_ssl.__all__:
        assert getattr(keras_audio_ssl, name) is not None, name
    assert keras_audio_ssl.recipes.byola.fit is not None


def test_unknown_name_raises_attribute_error():
    try:
        keras_audio_ssl.no_such_thing
    except AttributeError as err:
        assert "no_such_thing" in str(err)
    else:
        raise AssertionError("expected AttributeError")


def test_offline_benchmark_does_not_import_tensorflow():
    # Its worker processes would each pay TensorFlow's import otherwise.
    code = (
        "import sys, keras_audio_ssl.offline_benchmark; "
        "print('tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


_SAVE = """
import sys, numpy as np, keras
from keras_audio_ssl import encoders, methods
out = sys.argv[1]
enc = encoders.get("audio_ntt2020", feature_d=16)
enc.save(out + "/encoder.keras")
encoders.build_embedding_model(enc, mean=0.0, std=1.0).save(out + "/embedding_model.keras")
for name, cls in (("byola", methods.BYOLA), ("cola", methods.COLA)):
    kw = dict(memory_size=8) if name == "byola" else {}
    m = cls(encoders.get("audio_ntt2020", feature_d=16), pre_norm_mean=0.0, pre_norm_std=1.0, **kw)
    m.build((None, 15200))
    m.save(out + f"/{name}.keras")
"""

_LOAD = """
import sys, numpy as np, keras, keras_audio_ssl
out = sys.argv[1]
wave = np.random.default_rng(0).standard_normal((1, 16000)).astype("float32") * 0.1
for name in ("encoder", "embedding_model", "byola", "cola"):
    model = keras.saving.load_model(f"{out}/{name}.keras")
    print(name, type(model).__name__)
print("embedding", np.asarray(keras.saving.load_model(f"{out}/embedding_model.keras")(wave)).shape)
"""


def test_keras_files_load_after_a_bare_package_import(tmp_path):
    subprocess.run([sys.executable, "-c", _SAVE, str(tmp_path)], check=True, capture_output=True, text=True)
    out = subprocess.run([sys.executable, "-c", _LOAD, str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.split("\n")
    assert "byola BYOLA" in lines and "cola COLA" in lines and "embedding (1, 16)" in lines
    # Without the package import Keras cannot find the classes: the test above is not vacuous.
    plain = subprocess.run([sys.executable, "-c", _LOAD.replace(", keras_audio_ssl", ""), str(tmp_path)],
                           capture_output=True, text=True)
    assert plain.returncode != 0


def test_package_import_stays_light():
    code = "import sys, keras_audio_ssl; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
