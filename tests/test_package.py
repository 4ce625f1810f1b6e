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


def _save_one_of_each_kind(out):
    """Saves every kind of `.keras` file the package writes (tiny), with an input and the output it gives.

    Returns the names; `out/<name>.keras`, `out/<name>.x.npy` and `out/<name>.y.npy` are written.
    """
    import keras
    import numpy as np

    from keras_audio_ssl import encoders
    from keras_audio_ssl import methods
    from keras_audio_ssl.encoders.embedding_model_parts import find_encoder
    from keras_audio_ssl.encoders.slowfast_nfnet import NFResidual
    from tests.encoders.tiny_encoders import TINY_ENCODERS

    rng = np.random.default_rng(0)
    wave = (0.1 * rng.standard_normal((1, 16000))).astype("float32")
    models = {"encoder": (encoders.get("audio_ntt2020", feature_d=16), rng.standard_normal((1, 64, 96, 1)))}
    models["embedding_model"] = (encoders.build_embedding_model(models["encoder"][0], mean=0.0, std=1.0), wave)
    for name, cls in (("byola", methods.BYOLA), ("cola", methods.COLA)):
        kw = dict(memory_size=8) if name == "byola" else {}
        model = cls(encoders.get("audio_ntt2020", feature_d=16), pre_norm_mean=0.0, pre_norm_std=1.0, **kw)
        model.build((None, 15200))
        models[name] = (model, wave)
    # The two encoders with their own layers (EfficientNet's head, SlowFast's NF blocks), a SlowFast gain
    # away from its initial value: it must be what is restored.
    b0 = TINY_ENCODERS["efficientnet_b0"]
    models["efficientnet_b0"] = (encoders.get("efficientnet_b0", **b0), rng.standard_normal((2, b0["n_mels"], 50, 1)))
    slowfast = encoders.build_embedding_model(encoders.get("slowfast_nfnet_f0", **TINY_ENCODERS["slowfast_nfnet_f0"]),
                                              mean=-6.0, std=4.0)
    for layer in find_encoder(slowfast).layers:
        if isinstance(layer, NFResidual):
            layer.skip_gain.assign(0.3)
    models["slowfast_embedding_model"] = (slowfast, (0.1 * rng.standard_normal((2, 4000))))
    for name, (model, x) in models.items():
        x = np.asarray(x, "float32")
        model.save(f"{out}/{name}.keras")
        np.save(f"{out}/{name}.x.npy", x)
        np.save(f"{out}/{name}.y.npy", keras.ops.convert_to_numpy(model(x, training=False)))
    return list(models)


_LOAD = """
import sys, numpy as np, keras
out, names = sys.argv[1], sys.argv[2:]
# Without the package import Keras cannot find the classes: the loads below are not vacuous.
try:
    keras.saving.load_model(f"{out}/byola.keras")
    print("loaded without the package")
except Exception:
    pass
import keras_audio_ssl
for name in names:
    model = keras.saving.load_model(f"{out}/{name}.keras")
    got = keras.ops.convert_to_numpy(model(np.load(f"{out}/{name}.x.npy"), training=False))
    np.testing.assert_allclose(got, np.load(f"{out}/{name}.y.npy"), atol=1e-5, err_msg=name)
    print(name, type(model).__name__)
"""


def test_keras_files_load_after_a_bare_package_import(tmp_path):
    # One fresh process loads every kind (each process pays TensorFlow's import): the classes register
    # themselves on `import keras_audio_ssl` alone, and the restored models compute what the saved ones did.
    names = _save_one_of_each_kind(tmp_path)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", _LOAD, str(tmp_path), *names], capture_output=True, text=True,
                         env=env, cwd=str(tmp_path), timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.split("\n")
    assert "loaded without the package" not in lines
    for expected in ("byola BYOLA", "cola COLA", "efficientnet_b0 EfficientNetB0Encoder",
                     "slowfast_embedding_model Functional"):
        assert expected in lines, out.stdout
