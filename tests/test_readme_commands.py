"""Every `python -m keras_audio_ssl...` and `tools/...` command in README.md (and docs/**/*.md) runs.

Each command is extracted from the text (continuation lines joined), its data
replaced by a folder of short synthetic WAVs and its size cut to one small step
by extra flags, and run; a non-zero exit fails, naming the command. A command
this test cannot run here is listed in `NOT_RUN` with the reason; a command in
neither list fails `test_every_command_is_run_or_listed_with_a_reason`.
"""

import glob
import os
import re
import shlex
import subprocess
import sys

import pytest

from keras_audio_ssl import synthetic

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRAM = re.compile(r"(?:python\s+-m\s+(keras_audio_ssl[\w.]*)|(tools/[\w./-]+))")

#: Programs this test does not run, and why (their own tests cover them on tiny inputs).
NOT_RUN = {
    "keras_audio_ssl.demo": "a 3-minute pretraining + probe (tests/test_demo.py runs its --quick form)",
    "keras_audio_ssl.evaluation": "needs a trained run and labelled tasks (tests/evaluation/test_cli.py)",
    "keras_audio_ssl.tuning": "a search of several pretrainings and probes (tests/tuning/test_cli.py)",
    "tools/setup.sh": "installs system and pip packages",
    "tools/make_example_data.py": "writes 512 clips (tests/tools cover it)",
    "tools/make_offline_benchmark.py": "builds the offline benchmark from ~470 MB of Debian packages",
    "tools/export_savedmodel.py": "needs a run directory (tests/export)",
    "tools/export_tflite.py": "needs a run directory (tests/export)",
    "tools/embed.py": "needs an exported model (tests/tools)",
    "tools/prepare_audio.py": "needs an audio corpus to shard (tests/data)",
    "tools/show_augmentations.py": "writes a figure (tests/tools)",
    "tools/convert_byola_torch.py": "needs the official BYOL-A .pth, whose licence forbids shipping it",
    "tools/offline_benchmark_apt_packages.txt": "a package list, not a command",
    "tools/hear_eval.py": "builds .venv-heareval and trains heareval's predictors (tests/hear/test_hear_eval_tool.py: "
                          "-m large; --tasks-only and bad arguments in the default suite)",
    "tools/heareval_predictions.py": "heareval's predictions runner, run by tools/hear_eval.py inside .venv-heareval "
                                     "(tests/hear/test_hear_eval_tool.py)",
}
#: Recipe commands that need what a single process here lacks.
NOT_RUN_RECIPES = {
    "--strategy multi_worker": "needs a TF_CONFIG cluster of several hosts (tests/recipes/test_multi_worker.py)",
    "runs/tuning_byola/best_preset.json": "the output of a tuning search (tests/tuning/test_cli.py)",
    "--config <preset>": "a fragment in prose, naming no preset",
}
#: Flags that cut any recipe to one small step.
TINY = ["--epochs", "1", "--batch-size", "4", "--steps-per-epoch", "1", "--feature-d", "16",
        "--norm-stats-samples", "4", "--verbose", "0", "--jit-compile", "off"]


def readme_commands():
    """`(file, command)` of every command line naming a module of the package or a tool."""
    found = []
    for path in [os.path.join(REPO, "README.md"), *sorted(glob.glob(os.path.join(REPO, "docs", "**", "*.md"),
                                                                    recursive=True))]:
        with open(path) as f:
            text = re.sub(r"\\\n\s*", " ", f.read())  # continuation lines
        for line in text.splitlines():
            for piece in re.findall(r"`([^`]+)`", line) if "`" in line else [line]:
                if PROGRAM.search(piece):
                    found.append((os.path.relpath(path, REPO), piece.split("#")[0].strip()))
    return list(dict.fromkeys(found))


def _program(command):
    match = PROGRAM.search(command)
    return match.group(1) or match.group(2)


def _reason(command):
    program = _program(command)
    if program in NOT_RUN:
        return NOT_RUN[program]
    if command.split()[-1] == "keras_audio_ssl.recipes":
        return "the generic entry point named in prose, with no method or preset"
    return next((why for key, why in NOT_RUN_RECIPES.items() if key in command), None)


#: Programs this test runs: the recipes on tiny audio, the rest on the BYOL-A preset row's run.
RUN_ON_A_RUN = ("keras_audio_ssl.hear",)
PRESET_ROW = re.compile(r"python -m keras_audio_ssl\.recipes --config recipes/byola_audioset_d512\.json")


def _recipe_commands():
    return [c for c in readme_commands() if _program(c[1]).startswith("keras_audio_ssl.recipes") and not _reason(c[1])]


def _commands_on_a_run():
    return [c for _, c in readme_commands() if _program(c) in RUN_ON_A_RUN]


def test_every_command_is_run_or_listed_with_a_reason():
    commands = readme_commands()
    assert any(PRESET_ROW.search(c) for _, c in commands)
    unlisted = [c for _, c in commands if not _program(c).startswith("keras_audio_ssl.recipes")
                and _program(c) not in RUN_ON_A_RUN and not _reason(c)]
    assert not unlisted, f"README commands neither run by this test nor listed in NOT_RUN: {unlisted}"


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    folder = tmp_path_factory.mktemp("audio")
    synthetic.write_wav_folder(str(folder), synthetic.make_unlabeled_corpus(8, seconds=1.0, seed=4))
    return str(folder)


def _labels_csv(audio):
    """A `path,label,split` manifest over the tiny audio (what `--monitor` reads)."""
    path = os.path.join(audio, "labels.csv")
    names = sorted(n for n in os.listdir(audio) if n.endswith(".wav"))
    with open(path, "w") as f:
        f.write("path,label,split\n")
        for i, name in enumerate(names):
            f.write(f"{name},{'ab'[i % 2]},{'train' if i < len(names) // 2 else 'test'}\n")
    return path


def _run_recipe(command, audio, output_dir):
    words = shlex.split(re.sub(r"\[[^\]]*\]", "", command))  # optional parts left out
    words, args = words[words.index("-m"):], []
    while words:
        word = words.pop(0)
        if word in ("--data", "--output-dir"):
            words.pop(0)  # the README's placeholder: replaced below
        elif word == "--monitor":
            words.pop(0)
            args += ["--monitor", _labels_csv(audio)]
        elif word != "...":
            args.append(word)
    argv = [sys.executable, *args, "--data", audio, "--output-dir", output_dir, *TINY]
    if "byola_v2" in command:  # AudioNTT2022's width must exceed its 1024 conv features
        argv[argv.index("--feature-d") + 1] = "1040"
    if "cola_audioset" in command:  # COLA's EfficientNet-B0 has the trunk's fixed 1280 width
        argv[argv.index("--feature-d") + 1] = "1280"
    if "byola" in command:
        argv += ["--memory-size", "8"]
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"README command failed: {command}\n{proc.stderr[-3000:]}"


@pytest.fixture(scope="module")
def preset_run(audio, tmp_path_factory):
    """The README's BYOL-A preset row, run once on tiny audio: the run directory."""
    command = next(c for _, c in readme_commands() if PRESET_ROW.search(c))
    run_dir = str(tmp_path_factory.mktemp("preset_row") / "run")
    _run_recipe(command, audio, run_dir)
    return run_dir


def test_byola_preset_row_runs(preset_run):
    assert os.path.exists(os.path.join(preset_run, "embedding_model.keras"))


@pytest.mark.parametrize("command", _commands_on_a_run(), ids=lambda c: c[:90])
def test_commands_on_a_run_directory_run(command, preset_run):
    words = shlex.split(command)
    words = words[words.index("-m"):]
    words[words.index("--model") + 1] = preset_run  # the docs' run directory
    proc = subprocess.run([sys.executable, *words], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"Documented command failed: {command}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"


@pytest.mark.large
@pytest.mark.parametrize("command", [c for _, c in _recipe_commands()], ids=lambda c: c[:90])
def test_recipe_command_runs(command, audio, tmp_path):
    _run_recipe(command, audio, str(tmp_path / "run"))
