import glob
import os
import subprocess
import sys

import pytest

import keras_audio_ssl

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_top_level_names_are_the_subpackages_classes():
    assert keras_audio_ssl.AudioNTT2020 is keras_audio_ssl.encoders.AudioNTT2020
    assert keras_audio_ssl.BYOLA is keras_audio_ssl.methods.BYOLA
    assert keras_audio_ssl.load_audio is keras_audio_ssl.audio.load_audio
    from keras_audio_ssl import recipes  # the other subpackages import by name

    assert recipes.byola.fit is not None


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        keras_audio_ssl.no_such_thing


_NO_TENSORFLOW = """
import sys
import keras_audio_ssl_tools.offline_benchmark
from keras_audio_ssl_tools.processes import worker_pool
pool = worker_pool(1)  # spawned: the worker imports only what unpickling its work needs
worker = pool.apply(eval, ("__import__('keras_audio_ssl_tools.offline_benchmark.builder') and "
                           "'tensorflow' in __import__('sys').modules",))
pool.close()
pool.join()
print('tensorflow' in sys.modules, worker)
"""


def test_offline_benchmark_and_its_workers_do_not_import_tensorflow():
    # Each worker process would pay TensorFlow's import (seconds, hundreds of MB) otherwise.
    env = dict(os.environ, PYTHONPATH=REPO)  # this checkout's packages, installed or not
    out = subprocess.run([sys.executable, "-c", _NO_TENSORFLOW], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "False False"
    help_out = subprocess.run([sys.executable, "-X", "importtime", "tools/make_offline_benchmark.py", "--help"],
                              capture_output=True, text=True, check=True, cwd=REPO, env=env)
    assert "--output" in help_out.stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in help_out.stderr.splitlines()]
    assert "keras_audio_ssl_tools.offline_benchmark.builder" in imported
    assert "tensorflow" not in imported and "keras_audio_ssl" not in imported


def test_the_package_patches_no_keras_internals_and_keeps_at_most_one_lazy_table():
    sources = glob.glob(os.path.join(REPO, "keras_audio_ssl", "**", "*.py"), recursive=True)
    texts = {path: open(path, encoding="utf-8").read() for path in sources}
    assert [p for p, text in texts.items() if "keras.src" in text] == []
    assert len([p for p, text in texts.items() if "\ndef __getattr__(" in text]) <= 1


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
