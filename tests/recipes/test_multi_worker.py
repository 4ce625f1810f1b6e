"""Two worker processes on 127.0.0.1 under MultiWorkerMirroredStrategy: same weights as one
process, and a worker killed mid-run resumes from the run directory.

Each process is `tests/recipes/multi_worker_fit.py` (tiny models, one CPU thread each);
ports are picked free at run time, every wait is bounded and both processes are killed
whatever happens.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from keras_audio_ssl import synthetic

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "tests", "recipes", "multi_worker_fit.py")
TIMEOUT = 240


@pytest.fixture(scope="module")
def wav_folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("multi_worker_audio")
    folders = {}
    for recipe, seconds in (("byola", 1.0), ("cola", 2.0)):  # COLA takes two segments per clip
        folders[recipe] = str(root / recipe)
        synthetic.write_wav_folder(folders[recipe], synthetic.make_unlabeled_corpus(16, seconds=seconds, seed=0))
    return folders


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _env(extra):
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2", **extra)
    env.pop("TF_CONFIG", None)
    return env


def _start_cluster(recipe, data, output_dir, epochs, env):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    return [
        subprocess.Popen(
            [sys.executable, SCRIPT, recipe, data, output_dir, str(epochs)], cwd=REPO, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
            env=dict(env, TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})),
        )
        for i in range(2)
    ]


def _finish(procs, deadline):
    """(returncode, stdout, stderr) of each process; kills them all if the deadline passes."""
    results = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=max(1.0, deadline - time.time()))
            results.append((proc.returncode, out, err))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return results


def _summary(result):
    code, out, err = result
    assert code == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.large  # a two-process cluster plus a reference process, each importing TensorFlow
@pytest.mark.parametrize("recipe", [
    "byola",
    # Known open discrepancy, machine-dependent: on an Intel Xeon (one-direction loss) and a Zen 3 (symmetric
    # loss) the cluster's weights differed from the one-process reference by ~2e-4 after 4 SGD steps, the
    # size of the update itself, so not float noise; on a Zen 4 it matches (alone and beside another test
    # worker). BYOL-A gathers nothing and matches everywhere; the suspect is the gradient through
    # `distribute.gather` under MultiWorkerMirroredStrategy. Kept visible (XPASS/XFAIL) until it is found.
    pytest.param("cola", marks=pytest.mark.xfail(reason="multi-worker COLA differs from the one-process reference by ~2e-4 on some CPU kinds (Intel Xeon, Zen 3; not Zen 4): cause not found", strict=False)),
])
def test_two_worker_processes_train_the_weights_of_one_process_with_the_same_global_batch(
        tmp_path, wav_folders, recipe):
    # Plain SGD (see multi_worker_fit.py) at BYOL-A's learning rate; 2 epochs of 2 global batches of 8.
    env = _env({"KAS_TEST_SGD": "1", "KAS_TEST_STEPS": "2", "KAS_TEST_LR": "3e-4"})
    deadline = time.time() + TIMEOUT
    workers = _finish(_start_cluster(recipe, wav_folders[recipe], str(tmp_path / "cluster"), 2, env), deadline)
    chief, other = (_summary(r) for r in workers)
    reference = _summary(_finish([subprocess.Popen(
        [sys.executable, SCRIPT, recipe, wav_folders[recipe], str(tmp_path / "single"), "2", "--reference"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)], deadline)[0])

    assert chief["replicas"] == 2 and reference["replicas"] == 2
    moved = max(np.abs(np.array(a) - np.array(b)).max()
                for a, b in zip(reference["encoder"], reference["initial_encoder"]))
    assert moved > 1e-4  # the comparison below is not between untrained weights
    for cluster_weights, single_weights in zip(chief["encoder"], reference["encoder"]):
        np.testing.assert_allclose(cluster_weights, single_weights, rtol=0, atol=1e-5)
    # Trainable weights are mirrored: both workers hold the same values.
    for a, b in zip(chief["encoder"], other["encoder"]):
        if np.shape(a) and len(np.shape(a)) > 1:
            np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(chief["losses"], reference["losses"], rtol=1e-5)

    config = json.loads((tmp_path / "cluster" / "config.json").read_text())
    assert config["strategy"] == {"type": "MultiWorkerMirroredStrategy", "replicas": 2, "workers": 2}
    assert config["status"] == "finished" and config["epochs_finished"] == 2
    # Only the chief writes the run directory; the other worker's scratch is gone.
    assert not (tmp_path / "cluster" / ".workers").exists()


@pytest.mark.large  # a two-process cluster run twice around a kill
def test_a_worker_killed_mid_run_and_restarted_resumes_without_losing_a_finished_epoch(tmp_path, wav_folders):
    run = tmp_path / "run"
    state_file = run / "checkpoints" / "state.json"
    env = _env({"KAS_TEST_STEPS": "2", "KAS_TEST_SLOW_STEP_SECONDS": "1"})
    deadline = time.time() + TIMEOUT
    procs = _start_cluster("byola", wav_folders["byola"], str(run), 4, env)
    try:
        while time.time() < deadline:
            if state_file.exists() and json.loads(state_file.read_text())["epochs_finished"] >= 1:
                break
            assert all(p.poll() is None for p in procs), "a worker exited before its first epoch finished"
            time.sleep(0.2)
        else:
            pytest.fail("no epoch finished in time")
        before = json.loads(state_file.read_text())
        procs[1].send_signal(signal.SIGKILL)  # mid-epoch: each step sleeps a second
        chief = _finish(procs, deadline)[0]
    finally:
        _finish(procs, time.time())
    # The chief does not hang: its collectives fail and it says how to continue.
    assert chief[0] != 0 and "start every worker again" in chief[2]
    assert before["epochs_finished"] < 4

    resumed = [_summary(r) for r in _finish(_start_cluster("byola", wav_folders["byola"], str(run), 4, env),
                                             deadline)]
    state = json.loads(state_file.read_text())
    assert state["epochs_finished"] == 4 and len(resumed[0]["losses"]) == 4
    # The epochs finished before the kill were kept, not retrained.
    n = before["epochs_finished"]
    assert resumed[0]["epochs_trained"] == resumed[1]["epochs_trained"] == list(range(n, 4))
    assert resumed[0]["losses"][:n] == before["history"]["loss"][:n]
    config = json.loads((run / "config.json").read_text())
    assert config["status"] == "finished" and config["epochs_finished"] == 4
