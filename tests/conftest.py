import os
import threading

# Quiet TensorFlow's C++ logging before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Under pytest-xdist (`-n 2 --dist loadfile`) each worker process stands for one core: one TensorFlow thread
# each, instead of every worker sizing its thread pools to all the cores. Set before TensorFlow is imported.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(_name, "1")

import numpy as np
import pytest

#: Per-test limit of `@pytest.mark.large` tests (a kill loop or a process cluster runs for minutes); every
#: other test gets setup.cfg's `timeout`. A test's own `@pytest.mark.timeout(...)` overrides both.
LARGE_TEST_TIMEOUT = 1800
#: How long after its timeout a test stuck where the signal cannot reach it ends the run (see below).
HUNG_TEST_GRACE = 60


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("large") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(LARGE_TEST_TIMEOUT))


def _end_the_run(item, settings):
    import pytest_timeout

    capture = item.config.pluginmanager.getplugin("capturemanager")
    if capture:
        capture.suspend_global_capture(item)  # the line goes to the terminal, not to the test's output
    item.config.get_terminal_writer().line(
        f"\n{item.nodeid} did not return {HUNG_TEST_GRACE} s after its {settings.timeout:.0f} s timeout; "
        "its stack and every other thread's follow")
    pytest_timeout.timeout_timer(item, settings)  # dumps the stacks, then os._exit(1)


@pytest.hookimpl
def pytest_timeout_set_timer(item, settings):
    # pytest-timeout's signal method fails an overrunning test and goes on with the next, but the signal is
    # only handled when the main thread runs Python again: a test stuck inside TensorFlow's C++ (a collective
    # waiting for a dead worker, a tf.data service) would eat CI's whole budget. This timer thread still
    # runs then, names the test and ends the run. Returning None lets pytest-timeout arm its own timer too.
    if settings.timeout and settings.timeout > 0:
        timer = threading.Timer(settings.timeout + HUNG_TEST_GRACE, _end_the_run, args=(item, settings))
        timer.daemon = True
        timer.start()
        item._hung_test_timer = timer


@pytest.hookimpl
def pytest_timeout_cancel_timer(item):
    timer = getattr(item, "_hung_test_timer", None)
    if timer is not None:
        timer.cancel()
        del item._hung_test_timer


@pytest.fixture(autouse=True)
def _seed_everything():
    import keras

    keras.utils.set_random_seed(1234)
    np.random.seed(1234)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)
