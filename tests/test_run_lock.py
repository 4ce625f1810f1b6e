"""One writer per run directory (finding 10)."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from keras_audio_ssl import run_lock


def _hold(run_dir, **holder):
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, run_lock.LOCK_FILE), "w") as f:
        json.dump(holder, f)


@pytest.fixture
def live_process():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process
    process.kill()
    process.wait()


def test_a_second_writer_is_refused_naming_the_holder(tmp_path, live_process):
    _hold(tmp_path, host=socket.gethostname(), pid=live_process.pid, start_time=run_lock._start_time(live_process.pid))
    with pytest.raises(run_lock.RunDirectoryLockedError, match=f"pid {live_process.pid} on this host"):
        run_lock.acquire(tmp_path)


def test_a_killed_writers_lock_is_taken_over(tmp_path, live_process):
    pid = live_process.pid
    live_process.kill()
    live_process.wait()
    _hold(tmp_path, host=socket.gethostname(), pid=pid, start_time=1)
    run_lock.acquire(tmp_path)
    with open(tmp_path / run_lock.LOCK_FILE) as f:
        assert json.load(f)["pid"] == os.getpid()
    run_lock.release(tmp_path)
    assert not (tmp_path / run_lock.LOCK_FILE).exists()


def test_a_reused_pid_does_not_keep_a_stale_lock(tmp_path, live_process):
    started = run_lock._start_time(live_process.pid)
    if started is None:
        pytest.skip("no /proc/<pid>/stat: process start times are unknown here")
    _hold(tmp_path, host=socket.gethostname(), pid=live_process.pid, start_time=started - 1)
    run_lock.acquire(tmp_path)


def test_another_hosts_lock_is_refused_with_the_file_to_delete(tmp_path):
    _hold(tmp_path, host="elsewhere", pid=1, start_time=None)
    with pytest.raises(run_lock.RunDirectoryLockedError, match="host 'elsewhere'.*delete"):
        run_lock.acquire(tmp_path)


def test_fit_is_refused_while_another_process_writes_the_run(tmp_path, live_process):
    from keras_audio_ssl.recipes import byola

    run = tmp_path / "run"
    _hold(run, host=socket.gethostname(), pid=live_process.pid, start_time=run_lock._start_time(live_process.pid))
    clips = np.zeros((8, 16000), np.float32)
    with pytest.raises(run_lock.RunDirectoryLockedError, match=f"pid {live_process.pid}"):
        byola.fit(clips, output_dir=str(run), epochs=1, feature_d=16, batch_size=8, verbose=0)
    assert os.listdir(run) == [run_lock.LOCK_FILE]  # nothing written


def test_an_output_dir_that_is_a_file_is_named(tmp_path):
    from keras_audio_ssl.recipes import byola

    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(ValueError, match="output_dir is a file"):
        byola.fit(np.zeros((8, 16000), np.float32), output_dir=str(path), epochs=1, verbose=0)
