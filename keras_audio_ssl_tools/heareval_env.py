"""The virtual environment `tools/hear_eval.py` runs heareval in (`.venv-heareval`).

heareval 2021.1.3 pins `numpy==1.19.2` and `numba==0.48`, which no longer
install next to TensorFlow 2.21, so it goes in `--no-deps` with what it really
imports. Its own pins do not fit the project's either: its predictions need
Lightning 1.x (`validation_epoch_end`: `pytorch-lightning==1.9.5`), Lightning
1.9 and sed_eval import `pkg_resources` (`setuptools<81`), and `psds_eval`
0.5.3 (the PSDS reference, `tests/evaluation/test_psds_parity.py`) calls
pandas' `fillna(method=)`, which pandas 3 removed (`pandas<3`), and `int()` of a
one-element 2-D array, which NumPy 2.4 refuses (`numpy<2.4`).

The environment is an overlay: a venv of its own whose site-packages come
first, with one `.pth` line adding the project venv's site-packages after them.
heareval's pins shadow the project's versions only in this venv, while
TensorFlow, torch and the rest (gigabytes) are not installed a second time; the
project's venv is never written to. `keras_audio_ssl` itself comes from the
checkout (`PYTHONPATH`, set by `run_env`).
"""

import json
import os
import subprocess
import sys
import sysconfig

HEAREVAL = "heareval==2021.1.3"
#: What heareval imports, with the pins above; the rest (TensorFlow, torch, numpy, scipy,
#: scikit-learn, soundfile, tqdm) comes from the project's venv.
REQUIREMENTS = (
    "pytorch-lightning==1.9.5", "setuptools<81", "pandas<3", "numpy<2.4", "psds_eval==0.5.3", "dcase-util>=0.2.16",
    "sed_eval>=0.2.1", "intervaltree", "more-itertools", "python-slugify", "torchinfo", "click",
)
MARKER = ".kas-heareval.json"
VENV_ENV = "KAS_HEAREVAL_VENV"
PTH = "kas_project_venv.pth"


def default_venv():
    """`$KAS_HEAREVAL_VENV`, else `.venv-heareval` in the checkout (git-ignored)."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.environ.get(VENV_ENV) or os.path.join(repo, ".venv-heareval")


def venv_python(venv):
    return os.path.join(venv, "bin", "python")


def _purelib(python):
    return subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()


def _wanted():
    return {"heareval": HEAREVAL, "requirements": list(REQUIREMENTS), "base": sysconfig.get_paths()["purelib"],
            "python": sys.version.split()[0]}


def is_ready(venv):
    try:
        with open(os.path.join(venv, MARKER)) as f:
            return json.load(f) == _wanted() and os.path.exists(venv_python(venv))
    except (OSError, ValueError):
        return False


def _pip(python, *args, log):
    command = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args]
    log(f"[hear-eval] {' '.join(command[1:])}")
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = [line for line in (proc.stderr or proc.stdout).splitlines() if line.strip()][-1:]
        raise RuntimeError(f"pip could not install {' '.join(args)} into {python}: {' '.join(tail)}")


def ensure_venv(venv, log=print):
    """Creates (or completes) the overlay venv at `venv`; returns its python. Reused once complete."""
    venv = os.path.abspath(venv)
    if is_ready(venv):
        log(f"[hear-eval] environment {venv}: ready")
        return venv_python(venv)
    try:
        import torch  # noqa: F401  (heareval's runners import it; installing it here would pull a CUDA build)
    except ImportError:
        raise RuntimeError("heareval needs torch in the project's venv: KAS_WITH_TORCH=1 bash tools/setup.sh "
                           "(or pip install torch)") from None
    log(f"[hear-eval] creating {venv} (heareval and its pins over the project's venv; about a minute)")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = venv_python(venv)
    with open(os.path.join(_purelib(python), PTH), "w") as f:
        # `site.addsitedir` (not a bare path): the project's own .pth files are read too.
        f.write(f"import site; site.addsitedir({_wanted()['base']!r})\n")
    _pip(python, "--no-deps", HEAREVAL, log=log)
    _pip(python, *REQUIREMENTS, log=log)
    check = subprocess.run([python, "-c", "import heareval.predictions.task_predictions, psds_eval"],
                           capture_output=True, text=True, env=run_env())
    if check.returncode != 0:
        raise RuntimeError(f"heareval does not import in {venv}: {check.stderr.strip().splitlines()[-1:]}")
    with open(os.path.join(venv, MARKER), "w") as f:
        json.dump(_wanted(), f)  # written last: a venv without it is unfinished and redone
    return python


def run_env(repo=None):
    """The environment of heareval's runs: the checkout first on the path, and torch >= 2.6 allowed
    to read Lightning's checkpoints (they pickle the optimiser class; heareval reads them with `torch.load`)."""
    repo = repo or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([repo, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    env["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = "1"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env
