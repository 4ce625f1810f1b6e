"""What a newcomer sees: the demo, a recipe command line and prepare_audio, with output piped to a file."""

import os
import re
import subprocess
import sys

import pytest

from keras_audio_ssl import synthetic

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# TensorFlow's C++ start-up lines (absl format) and the CPU machine's expected CUDA failure.
CPP_LOG = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d|absl::InitializeLog|cuInit|cuda drivers|oneDNN", re.MULTILINE)


def _run(args, **kwargs):
    env = {k: v for k, v in os.environ.items() if k not in ("KAS_VERBOSE", "TF_CPP_MIN_LOG_LEVEL")}
    proc = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=600, env=env,
                          **kwargs)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, proc.stderr


def _assert_clean(stdout, stderr):
    both = stdout + stderr
    assert not CPP_LOG.search(both), CPP_LOG.search(both).group(0)
    assert "E0000" not in both and "\r" not in both  # no error-level lines, no bar redraws in a pipe
    assert "AutoGraph could not transform" not in both


def test_quick_demo_output_is_quiet_has_totals_and_ends_with_next_steps(tmp_path):
    stdout, stderr = _run(["-m", "keras_audio_ssl.demo", "--quick", "--output-dir", str(tmp_path / "run")])
    _assert_clean(stdout, stderr)
    assert "Computing pre-normalization statistics on 48 clips" in stdout and "48/48" in stdout
    assert re.search(r"^3/3 - ", stdout, re.MULTILINE)  # one line for the epoch, with its step total
    tail = stdout[stdout.index("Next:"):]
    for tool in ("export_savedmodel.py", "export_tflite.py", "embed.py"):
        assert f"tools/{tool} --model {tmp_path / 'run'}" in tail


def test_recipe_command_line_and_prepare_audio_are_quiet_in_a_log(tmp_path):
    folder = tmp_path / "wavs"
    synthetic.write_wav_folder(str(folder), synthetic.make_unlabeled_corpus(16, seconds=1.0, seed=5))
    stdout, stderr = _run(["-m", "keras_audio_ssl.recipes.byola", "--data", str(folder), "--output-dir",
                           str(tmp_path / "run"), "--epochs", "1", "--batch-size", "8", "--feature-d", "16",
                           "--memory-size", "16", "--norm-stats-samples", "16"])
    _assert_clean(stdout, stderr)
    assert "RuntimeWarning" not in stderr  # runpy's "found in sys.modules" for `-m ...recipes.byola`
    assert "statistics on 16 clips" in stdout and "16/16" in stdout

    # Two worker processes import TensorFlow too: quietly; progress is whole lines with a total.
    stdout, stderr = _run(["tools/prepare_audio.py", "--input", str(folder), "--output", str(tmp_path / "shards"),
                           "--workers", "2", "--shard-size", "4"])
    _assert_clean(stdout, stderr)
    assert "Writing TFRecord shards: 4/4 shards" in stderr and "16 examples" in stdout


def test_fit_from_python_prints_no_tensorflow_warnings(tmp_path):
    # The Python entry point, without the command line's logging set-up: TensorFlow's own Python warnings
    # (AutoGraph's "could not transform", with its multi-line cause) would land in every user's fit.
    folder = tmp_path / "wavs"
    synthetic.write_wav_folder(str(folder), synthetic.make_unlabeled_corpus(8, seconds=1.0, seed=6))
    script = ("import sys\nfrom keras_audio_ssl.recipes import byola\n"
              "byola.fit(sys.argv[1], output_dir=sys.argv[2], epochs=1, batch_size=4, feature_d=16, memory_size=8, "
              "norm_stats_samples=8, verbose=0)\n")
    stdout, stderr = _run(["-c", script, str(folder), str(tmp_path / "run")])
    assert "WARNING:tensorflow" not in stdout + stderr, (stdout + stderr)[-3000:]
    assert "AutoGraph" not in stdout + stderr


def test_quiet_import_captures_only_the_start_up_and_verbose_shows_it():
    script = (
        "import os, sys\n"
        "from keras_audio_ssl.console import import_tensorflow_quietly\n"
        "import_tensorflow_quietly()\n"
        "import tensorflow as tf\n"
        "os.write(2, b'after the import\\n')\n"
        "print(float(tf.reduce_sum(tf.ones([3]))))\n"
    )
    stdout, stderr = _run(["-c", script])
    assert stdout.strip() == "3.0" and "after the import" in stderr  # stderr works again afterwards
    assert not CPP_LOG.search(stderr)
    env = dict(os.environ, KAS_VERBOSE="1")
    verbose = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, env=env,
                             timeout=300)
    assert verbose.returncode == 0 and "after the import" in verbose.stderr
    assert CPP_LOG.search(verbose.stderr)  # KAS_VERBOSE=1 shows what the quiet import hid


def test_example_data_has_the_layout_the_readme_commands_read(tmp_path, capsys):
    from keras_audio_ssl.data import find_audio_files
    from keras_audio_ssl.data import read_manifest
    from tools.make_example_data import main

    assert main(["--output", str(tmp_path / "my_data"), "--unlabeled", "5", "--per-class", "2"]) == 0
    assert "5 unlabeled clips" in capsys.readouterr().out
    assert len(find_audio_files(str(tmp_path / "my_data" / "unlabeled"))) == 5
    table = read_manifest(str(tmp_path / "my_data" / "labels.csv"))
    assert len(table) == 24 and set(table["split"]) == {"train", "test"} and table["label"].nunique() == 6
    assert all(os.path.isfile(p) for p in table["path"])
    with pytest.raises(SystemExit):  # never overwrites a stand-in (or a user's) manifest
        main(["--output", str(tmp_path / "my_data")])
