#!/usr/bin/env bash
# One-shot set-up on a fresh Debian machine: system packages, a virtual environment
# in .venv and the project with its test extras. Safe to run again (it skips what is done).
#   KAS_SKIP_APT=1   skip apt-get (no root, or packages already there)
#   KAS_WITH_TORCH=1 also install PyTorch (CPU) for tools/convert_byola_torch.py and its tests
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: libsndfile for soundfile; the rest are real recorded/rendered audio
# that tools/make_offline_benchmark.py turns into the offline benchmark.
APT_PACKAGES=(libsndfile1)
if [[ -f tools/offline_benchmark_apt_packages.txt ]]; then
  mapfile -t extra < <(grep -v '^\s*#' tools/offline_benchmark_apt_packages.txt | grep -v '^\s*$')
  APT_PACKAGES+=("${extra[@]}")
fi

if [[ "${KAS_SKIP_APT:-0}" != "1" ]] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "[setup] apt-get install ${missing[*]}"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq || echo "[setup] WARNING: apt-get update failed"
    if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
      # The benchmark's audio packages are optional: without them the offline-benchmark
      # tests skip, naming what is missing. Nothing else in the project needs apt.
      # apt installs all or nothing: retry one by one so one unavailable package costs only itself.
      for p in "${missing[@]}"; do
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 \
          || echo "[setup] WARNING: could not install $p; the offline benchmark (and its tests) will name what is missing"
      done
    fi
  fi
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "[setup] creating .venv"
  python3 -m venv .venv
fi
# docs: mkdocs, Material, mkdocstrings, matplotlib; the tests and .ci/run build the site.
if ! .venv/bin/python -c "import keras_audio_ssl, pytest, pytest_timeout, librosa, mkdocs, material, mkdocstrings, matplotlib, tensorflow_hub, sed_eval, mir_eval, tensorflow_datasets" >/dev/null 2>&1; then
  echo "[setup] pip install -e '.[dev,docs]' (TensorFlow is large: a few minutes the first time)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev,docs]'
fi
if [[ "${KAS_WITH_TORCH:-0}" == "1" ]] && ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  # Pinned: an unpinned torch resolves to a multi-GB CUDA build; 2.13.0 has a CPU wheel here.
  echo "[setup] pip install torch==2.13.0 (CPU)"
  .venv/bin/python -m pip install -q torch==2.13.0
fi
if [[ "${KAS_WITH_TORCH:-0}" == "1" ]] && ! .venv/bin/python -c "import hearvalidator, sed_eval, tensorflow_hub" >/dev/null 2>&1; then
  # After torch, which hearvalidator requires: with torch already there pip keeps the CPU build. All
  # extras in one resolution, so setup.cfg's pins hold after torch's own requirements (torch's
  # setuptools>=77 left setuptools 84 here, which dropped the pkg_resources sed_eval and TF Hub import).
  echo "[setup] pip install -e '.[dev,docs,hear]' (the HEAR validator)"
  .venv/bin/python -m pip install -q -e '.[dev,docs,hear]'
fi
echo "[setup] ready: $(.venv/bin/python -c 'import tensorflow as tf, keras; print("tensorflow", tf.__version__, "keras", keras.__version__)' 2>/dev/null)"
