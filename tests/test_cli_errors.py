"""Every command line turns a user's mistake into one `error: ...` line and exit 2 (findings 8, 12, 13)."""

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import soundfile as sf

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _tool(name):
    return [sys.executable, os.path.join(REPO, "tools", name)]


def _module(name):
    return [sys.executable, "-m", name]


@pytest.fixture(scope="module")
def things(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    paths = {"root": str(root), "file": str(root / "a_file.txt"), "folder": str(root / "a_folder")}
    open(paths["file"], "w").write("not a folder")
    os.makedirs(paths["folder"])
    wavs = root / "wavs"
    wavs.mkdir()
    for i in range(4):
        sf.write(str(wavs / f"{i}.wav"), np.zeros(16000, np.int16), 16000)
    paths["wavs"] = str(wavs)
    paths["wav"] = str(wavs / "0.wav")
    manifest = root / "task.csv"
    manifest.write_text("path,label,split\n" + "\n".join(f"wavs/{i}.wav,c{i % 2},{'train' if i < 2 else 'test'}"
                                                        for i in range(4)) + "\n")
    paths["manifest"] = str(manifest)
    for name, members in (("no_config.keras", {"metadata.json": "{}"}),
                          ("bad_config.keras", {"config.json": "{", "metadata.json": "{}"})):
        with zipfile.ZipFile(root / name, "w") as z:
            for member, text in members.items():
                z.writestr(member, text)
        paths[name] = str(root / name)
    (root / "truncated.keras").write_bytes(b"PK\x03\x04" + b"\0" * 20)
    paths["truncated.keras"] = str(root / "truncated.keras")
    fifo = root / "pipe.wav"
    os.mkfifo(fifo)
    paths["fifo"] = str(fifo)
    for name, preset in (("fixed5", {"method": "byola", "fixed": 5}),
                         ("trials_text", {"method": "byola", "max_trials": "1"}),
                         ("step0", {"method": "byola", "space": {"learning_rate": {"type": "float", "min": 1e-4,
                                                                                   "max": 1e-3, "step": 0}}}),
                         ("space_list", {"method": "byola", "space": ["learning_rate"]})):
        (root / f"{name}.json").write_text(json.dumps(preset))
        paths[name] = str(root / f"{name}.json")
    return paths


# (name, command builder, what the error line must name). Argument errors, found before any work: run in-process.
FAST = [
    ("tflite seconds nan", lambda p: _tool("export_tflite.py") + ["--model", p["file"], "--output", "x", "--seconds", "nan"],
     "--seconds"),
    ("tflite seconds inf", lambda p: _tool("export_tflite.py") + ["--model", p["file"], "--output", "x", "--seconds", "inf"],
     "--seconds"),
    ("savedmodel version 0", lambda p: _tool("export_savedmodel.py") + ["--model", p["file"], "--output", "x",
                                                                         "--version", "0"], "--version"),
    ("prepare workers 0", lambda p: _tool("prepare_audio.py") + ["--input", p["wavs"], "--output", "x", "--workers", "0"],
     "--workers"),]
# The `python -m` commands load TensorFlow first, and user errors found after it loads (~10-20 s each).
SLOW = [
    ("evaluation lr nan", lambda p: _module("keras_audio_ssl.evaluation") + ["--model", "m", "--tasks", "t",
                                                                            "--learning-rate", "nan"], "--learning-rate"),
    ("evaluation epochs 0", lambda p: _module("keras_audio_ssl.evaluation") + ["--model", "m", "--tasks", "t",
                                                                              "--epochs", "0"], "--epochs"),
    ("evaluation batch 0", lambda p: _module("keras_audio_ssl.evaluation") + ["--model", "m", "--tasks", "t",
                                                                             "--batch-size", "0"], "--batch-size"),
    ("evaluation dropout 2", lambda p: _module("keras_audio_ssl.evaluation") + ["--model", "m", "--tasks", "t",
                                                                               "--dropout", "2"], "--dropout"),
    ("tuning trials 0", lambda p: _module("keras_audio_ssl.tuning") + ["--method", "byola", "--data", "d", "--tasks", "t",
                                                                      "--max-trials", "0"], "--max-trials"),
    ("tuning minutes nan", lambda p: _module("keras_audio_ssl.tuning") + ["--method", "byola", "--data", "d", "--tasks",
                                                                         "t", "--minutes", "nan"], "--minutes"),

    ("tflite output folder", lambda p: _tool("export_tflite.py") + ["--model", p["no_config.keras"], "--output",
                                                                     p["folder"]], "a_folder"),
    ("savedmodel output file", lambda p: _tool("export_savedmodel.py") + ["--model", p["no_config.keras"], "--output",
                                                                           p["file"]], "a_file.txt"),
    ("embed keras without config", lambda p: _tool("embed.py") + ["--model", p["no_config.keras"], "--audio", p["wav"]],
     "no_config.keras"),
    ("embed bad config.json", lambda p: _tool("embed.py") + ["--model", p["bad_config.keras"], "--audio", p["wav"]],
     "bad_config.keras"),
    ("embed truncated keras", lambda p: _tool("embed.py") + ["--model", p["truncated.keras"], "--audio", p["wav"]],
     "truncated.keras"),
    ("embed fifo", lambda p: _tool("embed.py") + ["--model", p["no_config.keras"], "--audio", p["fifo"]], "pipe.wav"),
    ("prepare output file", lambda p: _tool("prepare_audio.py") + ["--input", p["wavs"], "--output", p["file"]],
     "a_file.txt"),
    ("evaluation output file", lambda p: _module("keras_audio_ssl.evaluation") + ["--model", p["no_config.keras"],
                                                                                 "--tasks", p["manifest"], "--output",
                                                                                 p["file"]], "a_file.txt"),
    ("recipes output-dir file", lambda p: _module("keras_audio_ssl.recipes.byola") + ["--data", p["wavs"], "--output-dir",
                                                                                      p["file"], "--epochs", "1"],
     "a_file.txt"),
    ("tuning fixed 5", lambda p: _module("keras_audio_ssl.tuning") + ["--space", p["fixed5"], "--data", p["wavs"],
                                                                     "--tasks", p["manifest"]], "fixed"),
    ("tuning max_trials text", lambda p: _module("keras_audio_ssl.tuning") + ["--space", p["trials_text"], "--data",
                                                                             p["wavs"], "--tasks", p["manifest"]],
     "max_trials"),
    ("tuning step 0", lambda p: _module("keras_audio_ssl.tuning") + ["--space", p["step0"], "--data", p["wavs"],
                                                                    "--tasks", p["manifest"]], "step"),
    ("tuning space list", lambda p: _module("keras_audio_ssl.tuning") + ["--space", p["space_list"], "--data", p["wavs"],
                                                                        "--tasks", p["manifest"]], "space"),
]


def _check_one_line(things, command, named):
    result = subprocess.run(command(things), capture_output=True, text=True, timeout=300, cwd=things["root"],
                            env=dict(os.environ, PYTHONPATH=REPO, CUDA_VISIBLE_DEVICES=""))
    assert result.returncode == 2, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and named in errors[0], result.stderr[-3000:]


@pytest.mark.parametrize("name, command, named", FAST, ids=[c[0] for c in FAST])
def test_bad_arguments_are_one_line(things, name, command, named, capsys, monkeypatch):
    # The tools' `main` in this process: the same argparse and `one_line_errors` path as `python tools/x.py`
    # (tests/test_first_run.py and tests/test_readme_commands.py start real processes).
    import importlib

    from tests.test_case import exit_code

    argv = command(things)
    assert argv[1].startswith(os.path.join(REPO, "tools"))
    main = importlib.import_module(f"tools.{os.path.splitext(os.path.basename(argv[1]))[0]}").main
    monkeypatch.chdir(things["root"])
    capsys.readouterr()
    assert exit_code(main, argv[2:]) == 2
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr, stderr[-3000:]
    errors = [line for line in stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and named in errors[0], stderr[-3000:]


@pytest.mark.large
@pytest.mark.parametrize("name, command, named", SLOW, ids=[c[0] for c in SLOW])
def test_bad_inputs_are_one_line(things, name, command, named):
    _check_one_line(things, command, named)
