"""A 20-minute clip through the HEAR API in bounded memory (a separate process measures its peak)."""

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_SCRIPT = """
import json, resource, sys
import numpy as np
from keras_audio_ssl import hear
from tests.hear.conftest import tiny_embedding_model
model = hear.load_model(tiny_embedding_model())
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
clip = np.random.default_rng(0).uniform(-0.5, 0.5, (1, 20 * 60 * 16000)).astype(np.float32)
embeddings, timestamps = hear.get_timestamp_embeddings(clip, model)
scene = hear.get_scene_embeddings(clip, model)
print(json.dumps({"shape": list(embeddings.shape), "last_ms": float(timestamps[0, -1]), "scene": list(scene.shape),
                  "finite": bool(np.isfinite(embeddings.numpy()).all()),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "before_mb": before / 1024}))
"""


@pytest.mark.large
def test_twenty_minute_clip_in_bounded_memory():
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2")
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env, timeout=1800,
                         cwd=REPO, check=True).stdout
    report = json.loads(out.strip().splitlines()[-1])
    frames = (1 + 19200000 // 160) // 8  # 15000 frames of 80 ms; the second pass has one fewer
    assert report["shape"] == [1, 2 * frames - 1, 16] and report["scene"] == [1, 16] and report["finite"]
    assert report["last_ms"] == pytest.approx(35 + 40 * (2 * frames - 2))
    # Whole, the clip's first conv block alone is 64 x 64 x 120000 floats (~2 GB); window by
    # window (60 s) the growth is the clip (77 MB), its frames and one window's activations.
    assert report["peak_mb"] - report["before_mb"] < 1200, report
