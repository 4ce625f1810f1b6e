"""One `pretrain()` for every recipe: run directory, resume, statistics, logs, checkpoints, exports.

A recipe (`recipes/byola.py`, `recipes/cola.py`, ...) holds its paper's defaults
as keyword defaults of its `fit()` and a method builder; it calls `pretrain`,
which writes the run directory:

    embedding_model.keras   waveform [B, N] 16 kHz -> embedding [B, d] (log-mel + frozen pre-norm + encoder)
    encoder.keras, encoder.weights.h5
    normalization.json      {"mean", "std"} of the log-mel (pre-normalization statistics)
    config.json             the fully resolved settings, library versions, status, finished epochs
    history.csv             one row per checkpointed epoch
    logs/                   TensorBoard
    checkpoints/            encoder_epoch_XXX.weights.h5 (last `keep_checkpoints`);
                            state.json + state/ = the whole training state (see run_state.py)

Guarantees (each tested): a killed run resumes from its last finished epoch and
then reads exactly the batches an uninterrupted run would have read; a
finished run called again with the same settings returns its model without
training; a larger `epochs` continues from the last finished epoch (history
appended, statistics reused); every file is written through a temporary name
and a rename, the final ones before the status says "finished".

Distribution: `fit(..., strategy=...)` ("mirrored", "multi_worker", "tpu" or any
`tf.distribute.Strategy`) builds the model, optimizer and method state in the
strategy's scope; `batch_size` stays the global batch, split between replicas, and
the methods gather what the papers compute over the whole batch (memory banks,
post-normalization statistics, contrastive negatives) across replicas. Each input
pipeline builds only its own rows of every global batch. Across processes
(`"multi_worker"`, every process of the `TF_CONFIG` cluster making the same call) the
run directory is on a filesystem they share: every process reads it to resume, the
chief (task `chief`, else worker 0) alone writes it, the others run the same saves
into `.workers/<task>/`, removed at the end (a save may read variables that
synchronise across workers); the chief's statistics are broadcast so every replica
normalises alike. A worker that dies makes the others stop with an error saying how
to continue: start every worker again and training resumes after the last finished
epoch.

Mixed precision: `fit(..., dtype_policy="mixed_bfloat16" | "mixed_float16" | "auto")` builds
the encoder and the method under that Keras policy: encoder and heads compute in
bfloat16 / float16 with float32 variables, everything else stays float32, and
float16 trains with dynamic loss scaling (see `keras_audio_ssl/precision.py`). The
written encoder and embedding model are float32 whatever the policy. A run may be
resumed under another policy (its variables and Adam state are float32 either way),
except into or out of mixed_float16, whose loss-scale optimizer has state of its own.
"""

import contextlib
import inspect
import os
import platform
import shutil
import sys
import time

import numpy as np

from keras_audio_ssl import precision
from keras_audio_ssl import run_lock
from keras_audio_ssl.recipes import run_state
from keras_audio_ssl.recipes.callbacks import EncoderCheckpoint
from keras_audio_ssl.recipes.callbacks import ReportDecodeFailures
from keras_audio_ssl.recipes.callbacks import SetLearningRate
from keras_audio_ssl.recipes.callbacks import StopOnNaN
from keras_audio_ssl.recipes.callbacks import TrainingDivergedError

#: Settings every recipe's `fit()` takes (with its own paper defaults).
COMMON_SETTINGS = (
    "output_dir",
    "encoder",
    "feature_d",
    "epochs",
    "batch_size",
    "learning_rate",
    "steps_per_epoch",
    "norm_stats_samples",
    "segment_samples",
    "sample_rate",
    "seed",
    "jit_compile",
    "dtype_policy",
    "keep_checkpoints",
    "verbose",
    "skip_bad_files",
    "data_service",
)
# Settings that shape the saved state: a resume must use the same values.
_STATE_SHAPING = ("encoder", "feature_d", "segment_samples", "sample_rate")
FINAL_ARTEFACTS = ("encoder.keras", "encoder.weights.h5", "embedding_model.keras", "normalization.json")


def resolve_jit_compile(jit_compile):
    """`"auto"` -> XLA on GPU/TPU, off on CPU.

    On TF 2.21 CPUs a BYOL-A step ran markedly slower with XLA than without
    (DESIGN.md; `benchmarks/throughput.py --jit-compile both` measures both on
    your machine), so CPU defaults to off; on accelerators XLA fuses the
    augmentation and EMA update, so it defaults on.
    """
    if isinstance(jit_compile, bool):
        return jit_compile
    if isinstance(jit_compile, str) and jit_compile.lower() in ("on", "true"):
        return True
    if isinstance(jit_compile, str) and jit_compile.lower() in ("off", "false"):
        return False
    if jit_compile != "auto":
        raise ValueError(f"jit_compile must be True, False or 'auto'. Received: jit_compile={jit_compile!r}")
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("TPU"))


def build_encoder(name, feature_d, n_mels=None):
    """The registered encoder `name`, with `feature_d` (and `n_mels`) where the architecture takes them."""
    from keras_audio_ssl import encoders

    cls = encoders.get_class(name)
    parameters = inspect.signature(cls.__init__).parameters
    kwargs = {"feature_d": feature_d} if "feature_d" in parameters else {}
    if n_mels is not None:
        if "n_mels" not in parameters:
            raise ValueError(f"Encoder {name!r} has a fixed number of mel bands. Received: n_mels={n_mels}")
        kwargs["n_mels"] = n_mels
    return cls(**kwargs)


def check_positive_int(name, value, allow_none=False):
    if allow_none and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        expected = "a positive integer" + (" or None" if allow_none else "")
        raise ValueError(f"{name} must be {expected}. Received: {name}={value!r}")


def check_fraction(name, value, low=0.0, high=1.0):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not low <= value <= high:
        raise ValueError(f"{name} must be a number in [{low}, {high}]. Received: {name}={value!r}")


STRATEGIES = ("mirrored", "multi_worker", "tpu")


def resolve_strategy(strategy):
    """`(strategy or None, its description for config.json)`.

    `None` trains on the default device; `"mirrored"` builds a `MirroredStrategy` over
    every local GPU (the CPU when there is none); `"multi_worker"` a
    `MultiWorkerMirroredStrategy` over the cluster that `TF_CONFIG` describes (every
    process calls `fit` with the same arguments); `"tpu"` a `TPUStrategy` on the TPU
    that `TPU_NAME` names (or the local one). A `tf.distribute.Strategy` is used as
    given. Its scope holds the model, the optimizer and the method's state; each
    input pipeline reads its own rows of every global batch (`make_pretraining_dataset`'s
    `input_context`).
    """
    if strategy is None:
        workers = len(cluster_tasks())
        if workers > 1:
            raise ValueError(
                f"TF_CONFIG describes a cluster of {workers} processes, but strategy=None would train "
                f"{workers} independent models writing one run directory: pass strategy='multi_worker'. "
                "Received: strategy=None"
            )
        return None, None
    import tensorflow as tf

    if isinstance(strategy, str):
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, a tf.distribute.Strategy or None. "
                             f"Received: strategy={strategy!r}")
        strategy = _make_strategy(strategy)
    if not isinstance(strategy, tf.distribute.Strategy):
        raise ValueError(f"strategy must be one of {STRATEGIES}, a tf.distribute.Strategy or None. "
                         f"Received: strategy={strategy!r}")
    role = worker_role(strategy)
    # The exported names (MultiWorkerMirroredStrategy's class is CollectiveAllReduceStrategy).
    public = {"MultiWorkerMirroredStrategy": tf.distribute.MultiWorkerMirroredStrategy,
              "TPUStrategy": tf.distribute.TPUStrategy}
    name = next((n for n, cls in public.items() if isinstance(strategy, cls)), type(strategy).__name__)
    return strategy, {"type": name, "replicas": int(strategy.num_replicas_in_sync), "workers": role.num_workers}


def cluster_tasks():
    """The `(task type, index)` of every chief and worker process that `TF_CONFIG` lists."""
    import json

    try:
        spec = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {})
    except ValueError as e:
        raise ValueError(f"TF_CONFIG is not valid JSON ({e}). Received: TF_CONFIG={os.environ['TF_CONFIG']!r}")
    return [(job, i) for job in ("chief", "worker") for i in range(len(spec.get(job, [])))]


def _make_strategy(name):
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        if len(cluster_tasks()) < 2:
            raise ValueError("strategy='multi_worker' needs TF_CONFIG describing the cluster (its 'cluster' and "
                             "this process's 'task'); without one there is nothing to join. Received: "
                             f"TF_CONFIG={os.environ.get('TF_CONFIG')!r}")
        try:
            return tf.distribute.MultiWorkerMirroredStrategy()
        except RuntimeError as e:
            raise RuntimeError(
                "MultiWorkerMirroredStrategy must be created before TensorFlow runs its first operation in this "
                "process: call fit(strategy='multi_worker') (or create the strategy) first thing, before "
                f"building datasets or models. TensorFlow said: {e}"
            ) from None
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=os.environ.get("TPU_NAME", ""))
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as e:
        raise ValueError(f"strategy='tpu' found no TPU to connect to ({str(e).strip().splitlines()[0]}); set "
                         "TPU_NAME, or run on a TPU VM. Received: strategy='tpu'") from None
    return tf.distribute.TPUStrategy(resolver)


class WorkerRole:
    """This process's place in a multi-process strategy.

    Attributes:
        num_workers: processes training together (1 without a cluster).
        is_chief: the process that writes the run directory: the `chief` task, else worker 0.
        name: `"worker-1"`, ... (`"chief"` for a chief task, `""` alone).
    """

    def __init__(self, num_workers=1, is_chief=True, name=""):
        self.num_workers, self.is_chief, self.name = num_workers, is_chief, name


def worker_role(strategy):
    resolver = getattr(strategy, "cluster_resolver", None) if strategy is not None else None
    spec = resolver.cluster_spec().as_dict() if resolver is not None else {}
    num_workers = sum(len(tasks) for job, tasks in spec.items() if job in ("chief", "worker"))
    if num_workers <= 1:
        return WorkerRole()
    task_type, task_id = resolver.task_type, int(resolver.task_id or 0)
    is_chief = task_type == "chief" or (task_type == "worker" and task_id == 0 and "chief" not in spec)
    return WorkerRole(num_workers, is_chief, f"{task_type}-{task_id}")


def _chief_values(strategy, values):
    """`values` (floats) as the chief computed them, on every worker: what shapes the model must be equal."""
    import tensorflow as tf

    def replica_fn():
        context = tf.distribute.get_replica_context()
        mine = tf.constant(values, tf.float64)
        first = tf.equal(context.replica_id_in_sync_group, 0)
        return context.all_reduce(tf.distribute.ReduceOp.SUM, tf.where(first, mine, tf.zeros_like(mine)))

    result = strategy.experimental_local_results(strategy.run(replica_fn))[0]
    return [float(v) for v in result.numpy()]


def _check_common(settings):
    for name in ("feature_d", "epochs", "batch_size", "norm_stats_samples", "segment_samples", "sample_rate"):
        check_positive_int(name, settings[name])
    check_positive_int("steps_per_epoch", settings["steps_per_epoch"], allow_none=True)
    check_positive_int("keep_checkpoints", settings["keep_checkpoints"], allow_none=True)
    lr = settings["learning_rate"]
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not lr > 0:
        raise ValueError(f"learning_rate must be a positive number (e.g. 3e-4). Received: learning_rate={lr!r}")
    out = settings["output_dir"]
    if not isinstance(out, (str, os.PathLike)) or not os.fspath(out).strip():
        raise ValueError(f"output_dir must name a run directory. Received: output_dir={out!r}")
    precision.check_dtype_policy(settings["dtype_policy"])
    if settings["verbose"] not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2. Received: verbose={settings['verbose']!r}")
    if not isinstance(settings["seed"], (int, np.integer)) or isinstance(settings["seed"], bool):
        raise ValueError(f"seed must be an integer. Received: seed={settings['seed']!r}")
    from keras_audio_ssl import encoders

    if str(settings["encoder"]).lower().replace("-", "_") not in {n.lower() for n in _encoder_names(encoders)}:
        raise ValueError(
            f"Unknown encoder; expected one of {encoders.names()}. Received: encoder={settings['encoder']!r}"
        )


def _encoder_names(encoders):
    names = set(encoders.names())
    names.update(type_name for type_name in (encoders.get_class(n).__name__ for n in encoders.names()))
    return names


def _as_dataset_source(data):
    """NumPy arrays of waveforms become a tf.data.Dataset of 1-D clips."""
    if isinstance(data, np.ndarray):
        import tensorflow as tf

        if data.ndim != 2:
            raise ValueError(f"A waveform array must be 2-D [clips, samples]. Received: data.shape={data.shape}")
        return tf.data.Dataset.from_tensor_slices(data.astype(np.float32))
    return data


def _versions():
    import keras
    import tensorflow as tf

    import keras_audio_ssl

    return {
        "keras_audio_ssl": keras_audio_ssl.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _check_resume_compatible(output_dir, settings, state_shaping):
    previous = run_state.read_json(os.path.join(output_dir, "config.json"))
    if not previous:
        return
    precision.check_resume_policy(output_dir, previous.get("dtype_policy", "float32"), settings["dtype_policy"])
    changed = {
        k: (previous.get(k), settings[k]) for k in state_shaping if k in previous and previous[k] != settings[k]
    }
    if previous.get("method") not in (None, settings.get("method")):
        changed["method"] = (previous["method"], settings["method"])
    if changed:
        details = ", ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in changed.items())
        raise ValueError(
            f"Cannot resume the run in {output_dir} with different model settings ({details}). "
            "Use another output_dir, or delete its checkpoints folder to start over. "
            f"Received: {', '.join(f'{k}={new!r}' for k, (_, new) in changed.items())}"
        )


def _history(state):
    import keras

    history = keras.callbacks.History()
    history.history = {k: list(v) for k, v in state.history.items()}
    history.epoch = list(range(state.epochs_finished))
    return history


def _say(verbose, message):
    if verbose:
        print(message, flush=True)


@run_lock.holding_run_lock  # one writer per run directory; a second is refused naming the holder
def pretrain(data, *, method, settings, build_method, state_shaping=(), segments_per_clip=1, callbacks=None):
    """Pretrains a self-supervised method and writes the run directory (see the module docstring).

    Args:
        data: a folder of audio, a CSV manifest, a TFRecord glob, a list of
            paths, a `tf.data.Dataset` of 1-D float32 waveforms, or a NumPy
            array `[clips, samples]`.
        method: the method's name, recorded in `config.json` (`"byola"`, `"cola"`).
        settings: every setting of the recipe's `fit()` (the `COMMON_SETTINGS`
            and the method's own), JSON-serialisable; saved in `config.json`.
        build_method: `build_method(encoder, mean=, std=)` -> an uncompiled
            `SelfSupervisedMethod`.
        state_shaping: the method's settings that change the saved state's
            shape (a resume with other values is refused).
        segments_per_clip: crops per clip in each batch (COLA: 2).
        callbacks: extra Keras callbacks.

    Returns:
        `(model, history)`: the trained method and a `keras.callbacks.History`
        covering every finished epoch, also those before a resume.

    Raises:
        TrainingDivergedError: the loss became NaN/inf (message names epoch and step).
        ValueError: a setting is out of range (named), or a resume would change the model.
    """
    import keras

    from keras_audio_ssl.data import DecodeFailures
    from keras_audio_ssl.data import make_pretraining_dataset
    from keras_audio_ssl.encoders import build_embedding_model

    settings = dict(settings, method=method)
    strategy, settings["strategy"] = resolve_strategy(settings.get("strategy"))
    role = worker_role(strategy)
    _check_common(settings)
    # "auto" becomes the concrete policy here, so config.json records and resume compares what ran.
    settings["dtype_policy"] = precision.resolve_dtype_policy(settings["dtype_policy"])
    verbose = settings["verbose"] if role.is_chief else 0
    if verbose == 1 and not sys.stdout.isatty():
        verbose = 2  # progress bars redraw with carriage returns: one line per epoch in logs
    epochs, seed = settings["epochs"], int(settings["seed"])
    use_jit = resolve_jit_compile(settings["jit_compile"])
    output_dir = os.path.abspath(os.fspath(settings["output_dir"]))
    settings["output_dir"] = output_dir
    # Every worker runs every save (a save may read variables that synchronise across workers);
    # only the chief's land in the run directory, the others in a scratch folder removed at the end.
    write_dir = output_dir if role.is_chief else _worker_scratch(output_dir, role)
    os.makedirs(os.path.join(write_dir, run_state.STATE_DIR), exist_ok=True)
    for folder in (write_dir, os.path.join(write_dir, "checkpoints"), os.path.join(write_dir, run_state.STATE_DIR)):
        run_state.remove_stale_temporaries(folder)

    state = run_state.RunState.read(output_dir)
    has_state = state.epochs_finished > 0 or bool(state.notes)
    if has_state:
        _check_resume_compatible(output_dir, settings, _STATE_SHAPING + tuple(state_shaping))
    keras.utils.set_random_seed(seed)

    # Statistics: computed once per run directory and reused by every later call.
    norm_path = os.path.join(output_dir, "normalization.json")
    stats = run_state.read_json(norm_path) if has_state else None
    source = _as_dataset_source(data)
    dataset_args = dict(
        segment_samples=settings["segment_samples"],
        sample_rate=settings["sample_rate"],
        skip_bad_files=settings["skip_bad_files"],
        decode_failures=DecodeFailures(),  # shared: a file that failed once is not decoded again
    )
    checked_files = None
    if stats is None:
        stats_ds = make_pretraining_dataset(
            source,
            batch_size=min(settings["batch_size"], settings["norm_stats_samples"]),
            shuffle=True,
            seed=seed + 1,
            repeat=False,
            drop_remainder=False,
            **dataset_args,
        )
        checked_files = stats_ds.audio_files  # the train dataset reuses the check
        from keras_audio_ssl.audio import log_mel_statistics

        with _decode_errors_named(dataset_args):
            mean, std = log_mel_statistics(
                stats_ds, settings["norm_stats_samples"], total=stats_ds.num_examples, verbose=verbose,
                front_end=front_end(settings),
            )
        skipped = dataset_args["decode_failures"].unreported()
        if skipped:
            print(f"Statistics: skipped {len(skipped)} audio file(s) that failed to decode, e.g. "
                  f"{skipped[0][0]!r} ({skipped[0][1]})", file=sys.stderr, flush=True)
        stats = {"mean": mean, "std": std}
        if role.num_workers > 1:
            stats["mean"], stats["std"] = _chief_values(strategy, [mean, std])
        run_state.write_json_atomic(os.path.join(write_dir, "normalization.json"), stats)
    else:
        _say(verbose, f"Reusing the normalization statistics of {output_dir}: mean={stats['mean']:.4f} "
             f"std={stats['std']:.4f}")
    mean, std = float(stats["mean"]), float(stats["std"])

    config = {
        **{k: v for k, v in settings.items()},
        "jit_compile_resolved": use_jit,
        "data": data if isinstance(data, (str, list)) else type(data).__name__,
        "normalization": {"mean": mean, "std": std},
        "versions": _versions(),
        "status": "running",
        "epochs_finished": state.epochs_finished,
    }
    config_path = os.path.join(write_dir, "config.json")

    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        with precision.policy_scope(settings["dtype_policy"]):  # the float32 parts declare their own dtype
            encoder = build_encoder(settings["encoder"], settings["feature_d"], settings.get("n_mels"))
            model = build_method(encoder, mean=mean, std=std)
        model.compile(optimizer=keras.optimizers.Adam(settings["learning_rate"]), jit_compile=use_jit)
        model.build((None, settings["segment_samples"]))
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
    initial_epoch = state.restore_into(model) if state.checkpoints else 0
    state.output_dir = write_dir  # read from the run directory, written by the chief alone
    for note in state.notes:
        print(f"Resume: {note}", file=sys.stderr, flush=True)
    if initial_epoch:
        _say(verbose, f"Resuming the run in {output_dir} after epoch {initial_epoch}")

    if initial_epoch < epochs:
        run_state.write_json_atomic(config_path, config)
        epoch_args = dict(
            batch_size=settings["batch_size"],
            shuffle=True,
            seed=seed,
            repeat=settings["steps_per_epoch"] is not None,
            drop_remainder=True,
            epochs=(initial_epoch, epochs),
            steps_per_epoch=settings["steps_per_epoch"],
            segments_per_clip=segments_per_clip,
            data_service=settings.get("data_service"),
            **dataset_args,
        )
        if strategy is not None:
            train_ds = _distributed_epochs(strategy, checked_files or source, epoch_args)
        else:
            train_ds = make_pretraining_dataset(checked_files or source, **epoch_args)
        if train_ds.steps_per_epoch is None:
            train_ds = _unseeded_epochs(checked_files or source, settings, seed, segments_per_clip, dataset_args, verbose)
        nan_guard = StopOnNaN(learning_rate=settings["learning_rate"])
        all_callbacks = [
            SetLearningRate(settings["learning_rate"]),
            nan_guard,
            *(callbacks or []),  # before TensorBoard and the state: what they add to the logs is kept
            keras.callbacks.TensorBoard(os.path.join(write_dir, "logs"), update_freq="epoch"),
            EncoderCheckpoint(encoder, os.path.join(write_dir, "checkpoints"), keep=settings["keep_checkpoints"]),
            ReportDecodeFailures(dataset_args["decode_failures"]),
            run_state.EpochStateCheckpoint(state, skip_epoch=lambda: nan_guard.message is not None),
        ]
        start = time.time()
        with _decode_errors_named(dataset_args), _peer_failure_explained(role, output_dir, state):
            model.fit(
                train_ds,
                epochs=epochs,
                initial_epoch=initial_epoch,
                steps_per_epoch=getattr(train_ds, "steps_per_epoch", None),
                callbacks=all_callbacks,
                verbose=verbose,
                shuffle=False,  # the dataset shuffles itself
            )
        config["train_seconds_this_session"] = round(time.time() - start, 1)
        if nan_guard.message is not None:
            config.update(status="diverged", error=nan_guard.message, epochs_finished=state.epochs_finished)
            run_state.write_json_atomic(config_path, config)
            raise TrainingDivergedError(nan_guard.message)
    elif state.epochs_finished > epochs:
        _say(verbose, f"The run in {output_dir} already has {state.epochs_finished} epochs (asked: {epochs}); "
             "returning it as it is")
    previous = run_state.read_json(os.path.join(output_dir, "config.json")) or {}
    missing = [name for name in FINAL_ARTEFACTS if not os.path.exists(os.path.join(output_dir, name))]
    if initial_epoch < epochs or missing or previous.get("status") != "finished":
        _write_final_artefacts(write_dir, encoder, mean, std, build_embedding_model,
                               front_end(settings, n_mels=getattr(encoder, "n_mels", 64)))
        config.update(
            status="finished",
            epochs_finished=state.epochs_finished,
            final_loss=(state.history.get("loss") or [None])[-1],
        )
        run_state.write_json_atomic(config_path, config)
    elif initial_epoch >= epochs:
        _say(verbose, f"The run in {output_dir} is finished ({state.epochs_finished} epochs): nothing to train")
    if write_dir != output_dir:
        shutil.rmtree(write_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.rmdir(os.path.dirname(write_dir))  # the last worker out removes `.workers`
    return model, _history(state)


@contextlib.contextmanager
def _peer_failure_explained(role, output_dir, state):
    """A worker that died mid-step aborts the others' collectives: say how to continue."""
    import tensorflow as tf

    try:
        yield
    except (tf.errors.UnavailableError, tf.errors.AbortedError, tf.errors.DeadlineExceededError) as error:
        if role.num_workers == 1:
            raise
        first_line = str(error).strip().splitlines()[0][:300]
        raise RuntimeError(
            f"Training stopped: another of the {role.num_workers} workers stopped answering ({first_line}). "
            f"The run directory {output_dir} holds every finished epoch ({state.epochs_finished}); start every "
            "worker again with the same command and training resumes from there."
        ) from error


def _worker_scratch(output_dir, role):
    """A non-chief worker's write folder (emptied: what a killed worker left is stale)."""
    folder = os.path.join(output_dir, ".workers", role.name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    return folder


def _distributed_epochs(strategy, source, epoch_args):
    """The epochs as `strategy` distributes them: each input pipeline builds its own rows of every
    global batch (`make_pretraining_dataset(input_context=...)`), so workers decode only their part."""
    from keras_audio_ssl.data import make_pretraining_dataset

    built = []

    def pipeline(input_context):
        dataset = make_pretraining_dataset(source, input_context=input_context, **epoch_args)
        built.append(dataset)
        return dataset

    distributed = strategy.distribute_datasets_from_function(pipeline)
    distributed.steps_per_epoch = built[0].steps_per_epoch
    return distributed


def front_end(settings, n_mels=64):
    """The recipe's log-mel front end: `None` for the default one, else one with the
    settings' own `n_mels` (else `n_mels`) and `mel_scale`. Statistics, training and the
    exported embedding model all use it."""
    mel_scale = settings.get("mel_scale") or "slaney"
    if settings.get("n_mels") is None and mel_scale == "slaney":
        return None
    from keras_audio_ssl.audio import LogMelSpectrogram

    return LogMelSpectrogram(n_mels=settings.get("n_mels") or n_mels, mel_scale=mel_scale)


@contextlib.contextmanager
def _decode_errors_named(dataset_args):
    """A file that fails to decode mid-run: a one-line error naming it, not TF's 3 kB one."""
    from keras_audio_ssl.data import raise_decode_failure

    try:
        yield
    except Exception as error:
        raise_decode_failure(dataset_args["decode_failures"], error, skip_bad_files=dataset_args["skip_bad_files"])
        raise


def _unseeded_epochs(source, settings, seed, segments_per_clip, dataset_args, verbose):
    """A source of unknown size: one pass per epoch, re-randomized per iteration (resume not batch-exact)."""
    from keras_audio_ssl.data import make_pretraining_dataset

    _say(verbose, "The data's size is unknown (no index.json / unknown cardinality): a resumed run restarts "
         "the epoch randomness. Pass steps_per_epoch for batch-exact resumes.")
    dataset = make_pretraining_dataset(
        source, batch_size=settings["batch_size"], shuffle=True, seed=seed, repeat=False, drop_remainder=True,
        segments_per_clip=segments_per_clip, data_service=settings.get("data_service"), **dataset_args,
    )
    dataset.steps_per_epoch = None
    return dataset


def _write_final_artefacts(output_dir, encoder, mean, std, build_embedding_model, front_end_layer=None):
    save = run_state.save_atomic
    encoder = precision.float32_copy(encoder)  # the trained weights, computing in float32 whatever the policy
    save(encoder.save, os.path.join(output_dir, "encoder.keras"))
    save(encoder.save_weights, os.path.join(output_dir, "encoder.weights.h5"), model=encoder)
    embedding_model = build_embedding_model(encoder, mean=mean, std=std, front_end=front_end_layer)
    save(embedding_model.save, os.path.join(output_dir, "embedding_model.keras"))
