import re

import numpy as np
import pytest

from keras_audio_ssl import demo


@pytest.mark.large  # the quick demo in-process; tests/test_first_run.py runs it as the README's command by default
def test_quick_demo_pretrains_probes_and_prints_both_accuracies(tmp_path, capsys):
    result = demo.run(quick=True, output_dir=str(tmp_path / "run"), seed=0)
    out = capsys.readouterr().out
    pre = re.search(r"pretrained BYOL-A\s+([0-9.]+)%", out)
    rnd = re.search(r"random init\s+([0-9.]+)%", out)
    assert pre and rnd, out
    assert abs(float(pre.group(1)) / 100 - result["pretrained_accuracy"]) < 1e-3
    assert abs(float(rnd.group(1)) / 100 - result["random_accuracy"]) < 1e-3
    for key in ("pretrained_accuracy", "random_accuracy"):
        assert 0.0 <= result[key] <= 1.0 and np.isfinite(result[key])
    assert re.search(r"Elapsed: \d+ s", out)
    assert (tmp_path / "run" / "embedding_model.keras").exists()
