"""`TrainingSettings`: the settings every method's pretraining shares, validated and documented once."""

import dataclasses
import math
import os
import re

import numpy as np

from keras_audio_ssl import precision


def check_positive_int(name, value, allow_none=False):
    if allow_none and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        expected = "a positive integer" + (" or None" if allow_none else "")
        raise ValueError(f"{name} must be {expected}. Received: {name}={value!r}")


def check_fraction(name, value, low=0.0, high=1.0, include_high=True):
    if (isinstance(value, bool) or not isinstance(value, (int, float, np.floating))
            or not (low <= value <= high if include_high else low <= value < high)):
        raise ValueError(f"{name} must be a number in [{low}, {high}{']' if include_high else ')'}. "
                         f"Received: {name}={value!r}")


@dataclasses.dataclass
class TrainingSettings:
    """The training settings every method shares (`recipes.run.pretrain`), saved into `config.json`.

    Defaults are BYOL-A v1's (the paper the garden started from); each recipe
    overrides what its paper changes. Construction validates every field.

    Attributes:
        output_dir: the run directory.
        encoder: a registered encoder (`encoders.names()`, or its class name).
        feature_d: encoder width d.
        epochs: total epochs (including those finished before a resume).
        batch_size: clips per step, the global batch under a strategy.
        learning_rate: the optimizer's learning rate (before any `learning_rate_drops`).
        optimizer: `"adam"` (every paper's) or `"sgd"` (SGD with `momentum`; Fonseca et al.'s
            code trains SimCLR-audio with it, see `recipes.simclr`). A resume keeps the optimizer.
        momentum: SGD's momentum (`optimizer="sgd"` only).
        weight_decay: decoupled weight decay (Keras': each step subtracts learning rate x
            weight_decay x weight), 0 for none. PyTorch SGD's `weight_decay` w acts through the
            momentum: it matches w / (1 - momentum) here.
        learning_rate_drops: fractions of `epochs` at which the learning rate is divided by 10
            (e.g. `[0.65, 0.85]`); empty for a constant rate.
        steps_per_epoch: steps per epoch over a repeated dataset; `None` = one pass over the data.
        norm_stats_samples: clips used to compute the pre-normalization statistics.
        segment_samples: samples of each crop (15,200 = 0.95 s -> 96 frames).
        sample_rate: audio rate in Hz.
        seed: seeds shuffling, crops, augmentation and initialization.
        jit_compile: `True`, `False` or `"auto"` (XLA on GPU/TPU, off on CPU: measured slower there).
        dtype_policy: `"float32"`, `"mixed_bfloat16"`, `"mixed_float16"` (dynamic loss scaling) or
            `"auto"` (mixed_bfloat16 where the CPU has native bfloat16 or a GPU/TPU is visible, float32
            otherwise; config.json records what it resolved to), see `precision.py`: the encoder and
            heads compute in that precision, variables, front end, normalizations, views and loss stay
            float32; the saved models are float32.
        keep_checkpoints: per-epoch encoder checkpoints to keep (`None`: all).
        verbose: 0 silent, 1 progress bar (one line per epoch when not a terminal), 2 one line per epoch.
        skip_bad_files: skip undecodable files (reporting them) instead of failing.
        strategy: `None` (the default device), `"mirrored"` (every local GPU, one process),
            `"multi_worker"` (every process of the `TF_CONFIG` cluster runs this same call), `"tpu"`,
            or a `tf.distribute.Strategy` (see `recipes.run`).
        data_service: a tf.data service dispatcher (`"grpc://host:port"`) whose workers decode and
            batch the audio instead of this process (`data.make_pretraining_dataset`).
        initial_encoder: warm start: a `.keras` encoder or embedding model, a run directory, a preset
            (directory or built-in name) or an official BYOL-A `.pth` whose weights the method's encoder
            (and BYOL-A's target) starts from (`encoders.initial.apply_initial_encoder`); the
            pre-normalization statistics are computed on the new data, as for any run.
    """

    output_dir: object = None
    encoder: str = "AudioNTT2020"
    feature_d: int = 2048
    epochs: int = 100
    batch_size: int = 256
    learning_rate: float = 3e-4
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    learning_rate_drops: tuple = ()
    steps_per_epoch: object = None
    norm_stats_samples: int = 10000
    segment_samples: int = 15200
    sample_rate: int = 16000
    seed: int = 42
    jit_compile: object = "auto"
    dtype_policy: str = "float32"
    keep_checkpoints: object = 5
    verbose: int = 1
    skip_bad_files: bool = False
    strategy: object = None
    data_service: object = None
    initial_encoder: object = None

    #: Settings that shape the saved state: a resume must use the same values.
    STATE_SHAPING = ("encoder", "feature_d", "segment_samples", "sample_rate", "optimizer")

    def __post_init__(self):
        for name in ("feature_d", "epochs", "batch_size", "norm_stats_samples", "segment_samples", "sample_rate"):
            check_positive_int(name, getattr(self, name))
        check_positive_int("steps_per_epoch", self.steps_per_epoch, allow_none=True)
        check_positive_int("keep_checkpoints", self.keep_checkpoints, allow_none=True)
        lr = self.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not lr > 0:
            raise ValueError(f"learning_rate must be a positive number (e.g. 3e-4). Received: learning_rate={lr!r}")
        self._check_optimizer()
        out = self.output_dir
        if not isinstance(out, (str, os.PathLike)) or not os.fspath(out).strip():
            raise ValueError(f"output_dir must name a run directory. Received: output_dir={out!r}")
        precision.check_dtype_policy(self.dtype_policy)
        if self.verbose not in (0, 1, 2):
            raise ValueError(f"verbose must be 0, 1 or 2. Received: verbose={self.verbose!r}")
        if not isinstance(self.seed, (int, np.integer)) or isinstance(self.seed, bool):
            raise ValueError(f"seed must be an integer. Received: seed={self.seed!r}")
        if self.initial_encoder is not None and not isinstance(self.initial_encoder, (str, os.PathLike)):
            raise ValueError(f"initial_encoder must be a path. Received: initial_encoder={self.initial_encoder!r}")
        from keras_audio_ssl import encoders

        try:
            encoders.get_class(self.encoder)
        except ValueError:
            raise ValueError(f"Unknown encoder; expected one of {encoders.names()}. "
                             f"Received: encoder={self.encoder!r}") from None

    def _check_optimizer(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}. Received: optimizer={self.optimizer!r}")
        check_fraction("momentum", self.momentum, 0.0, 1.0, include_high=False)
        check_fraction("weight_decay", self.weight_decay, 0.0, math.inf)
        drops = self.learning_rate_drops
        if (not isinstance(drops, (list, tuple)) or not all(isinstance(d, (int, float)) and 0 < d < 1 for d in drops)
                or list(drops) != sorted(set(drops))):
            raise ValueError("learning_rate_drops must be increasing fractions of the epochs in (0, 1), e.g. "
                             f"[0.65, 0.85]. Received: learning_rate_drops={drops!r}")
        self.learning_rate_drops = tuple(float(d) for d in drops)

    def learning_rate_at(self, epoch):
        """The learning rate of epoch `epoch` (0-based): `learning_rate` / 10 per drop reached."""
        drops = sum(epoch >= round(fraction * self.epochs) for fraction in self.learning_rate_drops)
        return self.learning_rate * 0.1 ** drops

    def build_optimizer(self):
        """A new Keras optimizer of these settings (its learning rate set per epoch by the run)."""
        import keras

        decay = self.weight_decay or None  # Keras: None, not 0, for no decay
        if self.optimizer == "sgd":
            return keras.optimizers.SGD(self.learning_rate, momentum=self.momentum, weight_decay=decay)
        return keras.optimizers.Adam(self.learning_rate, weight_decay=decay)

    @classmethod
    def defaults(cls):
        """`{name: default}` of every field."""
        return {f.name: f.default for f in dataclasses.fields(cls)}

    @classmethod
    def docs(cls):
        """`{name: its documentation}`, from the class docstring."""
        return parse_docstring_args(cls.__doc__, "Attributes")

    def to_config(self):
        """The settings for `config.json` (a strategy object by its class name)."""
        config = dataclasses.asdict(self)
        if self.strategy is not None and not isinstance(self.strategy, str):
            config["strategy"] = type(self.strategy).__name__
        if self.initial_encoder is not None:
            config["initial_encoder"] = os.fspath(self.initial_encoder)
        config["output_dir"] = os.fspath(self.output_dir)
        return config


#: The `optimizer` setting's choices.
OPTIMIZERS = ("adam", "sgd")


def parse_docstring_args(docstring, section="Args"):
    """`{name: text}` of a Google-style docstring section (`a, b: text` documents both)."""
    lines = (docstring or "").splitlines()
    docs, current, indent = {}, None, None
    for i, line in enumerate(lines):
        if line.strip() == f"{section}:":
            indent = None
            for line in lines[i + 1:]:
                if not line.strip():
                    break
                width = len(line) - len(line.lstrip())
                indent = width if indent is None else indent
                if width < indent:
                    break
                match = re.match(r"\s*([\w, *]+):\s*(.*)", line) if width == indent else None
                if match:
                    current = [n.strip() for n in match.group(1).split(",")]
                    for name in current:
                        docs[name] = match.group(2).strip()
                elif current:
                    for name in current:
                        docs[name] += " " + line.strip()
            break
    return docs
