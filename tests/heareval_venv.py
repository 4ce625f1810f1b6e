"""The heareval environment (`.venv-heareval`) for the tests that run heareval or psds_eval.

Built once per checkout by `keras_audio_ssl_tools.heareval_env` (about a minute
with PyPI) and reused by later sessions; `KAS_HEAREVAL_VENV` names another one.
"""

import pytest


def heareval_python():
    """The environment's python, building it if needed; skips (with the reason) without torch or PyPI."""
    from keras_audio_ssl_tools import heareval_env

    try:
        import torch  # noqa: F401
    except ImportError:
        pytest.skip("heareval needs torch: KAS_WITH_TORCH=1 bash tools/setup.sh")
    venv = heareval_env.default_venv()
    try:
        return heareval_env.ensure_venv(venv, log=lambda message: None)
    except RuntimeError as error:
        if "pip could not install" in str(error):
            pytest.skip(f"could not build {venv} (is PyPI reachable?): {error}")
        raise
