"""Every entry point across the hostile corpus (`tests/data/bad_corpus.write_hostile_audio`): each case
ends in OK, a clear error naming the file, or a counted skip; never a crash, a hang or garbage."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.data import bad_corpus

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, PYTHONPATH=REPO, CUDA_VISIBLE_DEVICES="", OMP_NUM_THREADS="1")

# Embeds each file as tools/embed.py does (load_audio, then export.embed), one JSON outcome per kind.
EMBED_EACH = """
import json, sys
import numpy as np
from keras_audio_ssl.audio import AudioDecodeError, load_audio
from keras_audio_ssl.export import embed
model, kinds = sys.argv[1], json.loads(sys.argv[2])
outcomes = {}
for kind, path in kinds.items():
    try:
        vector = embed(model, load_audio(path))[0]
        outcomes[kind] = "ok" if np.isfinite(vector).all() else "garbage"
    except AudioDecodeError as e:
        outcomes[kind] = "refused" if path in str(e) else "unnamed: " + str(e)
print(json.dumps(outcomes))
"""


def _run(command, timeout=600):
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=ENV, cwd=REPO)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung: {command}")


@pytest.mark.large
def test_every_entry_point_ends_each_hostile_case_cleanly(tmp_path):
    corpus = tmp_path / "corpus"
    kinds = bad_corpus.write_hostile_audio(str(corpus))
    good = tmp_path / "good"
    good.mkdir()
    for i, (path, _) in enumerate(v for v in kinds.values() if v[1] == bad_corpus.OK and v[0].endswith(".wav")):
        shutil.copy(path, good / f"{i}.wav")

    # fit: every refused kind is skipped and counted, the run finishes.
    run = str(tmp_path / "run")
    fit = _run([sys.executable, "-m", "keras_audio_ssl.recipes.byola", "--data", str(corpus), "--output-dir", run,
                "--epochs", "1", "--batch-size", "4", "--feature-d", "16", "--memory-size", "8",
                "--norm-stats-samples", "8", "--verbose", "0", "--jit-compile", "false", "--skip-bad-files", "true"])
    assert fit.returncode == 0, fit.stderr[-3000:]
    assert "Traceback" not in fit.stderr
    assert os.path.exists(os.path.join(run, "embedding_model.keras"))

    # prepare_audio: the same corpus into shards, refused files listed as skipped.
    shards = str(tmp_path / "shards")
    prepared = _run([sys.executable, os.path.join(REPO, "tools", "prepare_audio.py"), "--input", str(corpus),
                     "--output", shards, "--skip-bad-files", "--workers", "1", "--no-progress"])
    assert prepared.returncode == 0, prepared.stderr[-3000:]
    with open(os.path.join(shards, "index.json")) as f:
        skipped = {path for path, _ in json.load(f)["skipped"]}
    refused = {path for path, expected in kinds.values() if expected == bad_corpus.REFUSED}
    assert skipped <= refused and "Traceback" not in prepared.stderr

    # embed: each file on its own, with the model fit() wrote.
    embedded = _run([sys.executable, "-c", EMBED_EACH, run, json.dumps({k: p for k, (p, _) in kinds.items()})])
    assert embedded.returncode == 0, embedded.stderr[-3000:]
    outcomes = json.loads(embedded.stdout.strip().splitlines()[-1])
    expected = {kind: outcome for kind, (_, outcome) in kinds.items()}
    assert outcomes == expected

    # evaluation: a manifest of the good files scores; one listing a refused file is one line naming it.
    rows = [(f"good/{name}", f"c{i % 2}", "train" if i % 4 < 2 else "test") for i, name in
            enumerate(sorted(os.listdir(good)))]
    manifest = bad_corpus.write_manifest(tmp_path / "good.csv", rows, header=("path", "label", "split"))
    scored = _run([sys.executable, "-m", "keras_audio_ssl.evaluation", "--model", run, "--tasks", manifest,
                   "--output", str(tmp_path / "results"), "--runs", "1", "--epochs", "2"])
    assert scored.returncode == 0, scored.stderr[-3000:]
    fifo = kinds["FIFO"][0]
    manifest = bad_corpus.write_manifest(tmp_path / "fifo.csv", rows + [(fifo, "c0", "train")],
                                         header=("path", "label", "split"))
    refused_run = _run([sys.executable, "-m", "keras_audio_ssl.evaluation", "--model", run, "--tasks", manifest,
                        "--output", str(tmp_path / "results2"), "--runs", "1", "--epochs", "2"], timeout=300)
    errors = [line for line in refused_run.stderr.splitlines() if line.startswith("error:")]
    assert refused_run.returncode == 2 and len(errors) == 1 and fifo in errors[0], refused_run.stderr[-3000:]
