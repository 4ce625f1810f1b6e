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
