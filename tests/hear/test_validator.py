"""The field's own validator (`hear-validator`, PyPI hearvalidator) on a run directory."""

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_hear_validator_passes_on_a_run_dir(tiny_run_dir):
    pytest.importorskip("torch", reason="hearvalidator imports torch (tools/setup.sh installs it with KAS_WITH_TORCH=1)")
    pytest.importorskip("hearvalidator", reason="hearvalidator is in the dev extras: pip install -e '.[dev]'")
    script = os.path.join(os.path.dirname(sys.executable), "hear-validator")
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""), TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([script, "keras_audio_ssl.hear", "-m", tiny_run_dir], capture_output=True, text=True,
                            env=env, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Interval between timestamps is 40.0ms" in result.stdout
    assert result.stdout.rstrip().endswith("Looks good!"), result.stdout
    assert "We suggest a interval" not in result.stderr  # the <= 50 ms default hop draws no warning
