"""One `pretrain()` for every recipe: run directory, resume, statistics, logs, checkpoints, exports.

`pretrain(method, data, training, **method_args)` builds the method from its
class (`methods.get(name)`), with `training` (a `recipes.settings.TrainingSettings`)
and the method's hyperparameters; a recipe (`recipes/byola.py`, ...) only adds its
paper's overrides. It writes the run directory:

    embedding_model.keras   waveform [B, N] 16 kHz -> embedding [B, d] (log-mel + frozen pre-norm + encoder)
    encoder.keras, encoder.weights.h5
    normalization.json      {"mean", "std"} of the log-mel (pre-normalization statistics)
    config.json             the training settings and the method's hyperparameters, library versions,
                            status, finished epochs
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
import dataclasses
import json
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
from keras_audio_ssl.recipes.settings import TrainingSettings

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
    import inspect

    from keras_audio_ssl import encoders

    cls = encoders.get_class(name)
    parameters = inspect.signature(cls.__init__).parameters
    kwargs = {"feature_d": feature_d} if "feature_d" in parameters else {}
    if n_mels is not None:
        if "n_mels" not in parameters:
            raise ValueError(f"Encoder {name!r} has a fixed number of mel bands. Received: n_mels={n_mels}")
        kwargs["n_mels"] = n_mels
    return encoders.get(name, **kwargs)


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
def pretrain(method, data, training, *, callbacks=None, **method_args):
    """Pretrains a self-supervised method and writes the run directory (see the module docstring).

    Args:
        method: a registered method (`methods.names()`, or `"module:name"` of a module that
            registers one) or a `SelfSupervisedMethod` subclass.
        data: a folder of audio, a CSV manifest, a TFRecord glob, a list of
            paths, a `tf.data.Dataset` of 1-D float32 waveforms, or a NumPy
            array `[clips, samples]`.
        training: the shared settings, a `recipes.settings.TrainingSettings`.
        callbacks: extra Keras callbacks.
        **method_args: the method's hyperparameters (`hyperparameters()` of its class); those
            not given keep the class defaults (the paper's).

    Returns:
        `(model, history)`: the trained method and a `keras.callbacks.History`
        covering every finished epoch, also those before a resume.

    Raises:
        TrainingDivergedError: the loss became NaN/inf (message names epoch and step).
        ValueError: a setting is out of range (named), or a resume would change the model.
    """
    import keras

    name, method_class = _method_class(method)
    method_args = _method_arguments(method_class, method_args)
    # "auto" becomes the concrete policy here, so config.json records and resume compares what ran.
    training = dataclasses.replace(training, dtype_policy=precision.resolve_dtype_policy(training.dtype_policy))
    strategy, strategy_info = resolve_strategy(training.strategy)
    run = _Run(strategy, os.path.abspath(os.fspath(training.output_dir)), training.verbose)
    settings = {**training.to_config(), **_jsonable(method_args), "method": name, "output_dir": run.output_dir,
                "strategy": strategy_info}
    state = run_state.RunState.read(run.output_dir)
    has_state = state.epochs_finished > 0 or bool(state.notes)
    if has_state:
        _check_resume_compatible(run.output_dir, settings, TrainingSettings.STATE_SHAPING + method_class.STATE_SHAPING)
    keras.utils.set_random_seed(training.seed)
    use_jit = resolve_jit_compile(training.jit_compile)
    with _scope(strategy):  # built before any data is read: what the settings make impossible fails first
        model = _build_method(method_class, method_args, training, use_jit)
    inputs = _Inputs(data, training, method_class.SEGMENTS_PER_CLIP, method_class.PAD_MODE)

    # Statistics: computed once per run directory and reused by every later call.
    stats = run_state.read_json(os.path.join(run.output_dir, "normalization.json")) if has_state else None
    if stats is None:
        stats = _statistics(inputs, model, training, run)
        run_state.write_json_atomic(os.path.join(run.write_dir, "normalization.json"), stats)
    else:
        _say(run.verbose, f"Reusing the normalization statistics of {run.output_dir}: mean={stats['mean']:.4f} "
             f"std={stats['std']:.4f}")
    model.set_pre_normalization(stats["mean"], stats["std"])
    if training.initial_encoder is not None:  # warm start; a resume's checkpoint below replaces it
        from keras_audio_ssl.encoders.initial import apply_initial_encoder

        apply_initial_encoder(model, training.initial_encoder)
    config = {
        **settings,
        "jit_compile_resolved": use_jit,
        "data": data if isinstance(data, (str, list)) else type(data).__name__,
        "normalization": {"mean": float(stats["mean"]), "std": float(stats["std"])},
        "versions": _versions(),
        "status": "running",
        "epochs_finished": state.epochs_finished,
    }
    initial_epoch = state.restore_into(model) if state.checkpoints else 0
    state.output_dir = run.write_dir  # read from the run directory, written by the chief alone
    for note in state.notes:
        print(f"Resume: {note}", file=sys.stderr, flush=True)
    if initial_epoch:
        _say(run.verbose, f"Resuming the run in {run.output_dir} after epoch {initial_epoch}")
    if initial_epoch < training.epochs:
        _train(model, inputs, training, run, state, initial_epoch, config, callbacks)
    elif state.epochs_finished > training.epochs:
        _say(run.verbose, f"The run in {run.output_dir} already has {state.epochs_finished} epochs (asked: "
             f"{training.epochs}); returning it as it is")
    _finish(model, run, state, initial_epoch < training.epochs, config)
    return model, _history(state)


class _Run:
    """Where this process writes and what it prints: a non-chief worker runs every save too (a save
    may read variables that synchronise across workers), into a scratch folder removed at the end."""

    def __init__(self, strategy, output_dir, verbose):
        self.strategy, self.role, self.output_dir = strategy, worker_role(strategy), output_dir
        self.verbose = verbose if self.role.is_chief else 0
        if self.verbose == 1 and not sys.stdout.isatty():
            self.verbose = 2  # progress bars redraw with carriage returns: one line per epoch in logs
        self.write_dir = output_dir if self.role.is_chief else _worker_scratch(output_dir, self.role)
        self.config_path = os.path.join(self.write_dir, "config.json")
        os.makedirs(os.path.join(self.write_dir, run_state.STATE_DIR), exist_ok=True)
        for folder in (self.write_dir, os.path.join(self.write_dir, "checkpoints"),
                       os.path.join(self.write_dir, run_state.STATE_DIR)):
            run_state.remove_stale_temporaries(folder)


class _Inputs:
    """The run's data: its source (files checked once) and what every pipeline over it shares."""

    def __init__(self, data, training, segments_per_clip, pad_mode="zeros"):
        from keras_audio_ssl.data import DecodeFailures

        self.source, self.training, self.segments_per_clip = _as_dataset_source(data), training, segments_per_clip
        self.decode_failures = DecodeFailures()  # shared: a file that failed once is not decoded again
        self.shared = dict(segment_samples=training.segment_samples, sample_rate=training.sample_rate,
                           skip_bad_files=training.skip_bad_files, decode_failures=self.decode_failures,
                           pad_mode=pad_mode)

    def statistics_data(self):
        from keras_audio_ssl.data import pretraining_data

        t = self.training
        built = pretraining_data(self.source, batch_size=min(t.batch_size, t.norm_stats_samples), shuffle=True,
                                 seed=t.seed + 1, repeat=False, drop_remainder=False, **self.shared)
        if built.audio_files is not None:
            self.source = built.audio_files  # the training pipeline reuses the check
        return built

    def epochs(self, strategy, initial_epoch):
        """`(dataset, steps_per_epoch)` of epochs `initial_epoch ..`, built once."""
        from keras_audio_ssl.data import pretraining_data

        t = self.training
        args = dict(batch_size=t.batch_size, shuffle=True, seed=t.seed, repeat=t.steps_per_epoch is not None,
                    drop_remainder=True, epochs=(initial_epoch, t.epochs), steps_per_epoch=t.steps_per_epoch,
                    segments_per_clip=self.segments_per_clip, data_service=t.data_service, **self.shared)
        if strategy is not None:
            return _distributed_epochs(strategy, self.source, args)
        built = pretraining_data(self.source, **args)
        return _without_autotuning(built.dataset), built.steps_per_epoch

    @contextlib.contextmanager
    def decode_errors_named(self):
        """A file that fails to decode mid-run: a one-line error naming it, not TF's 3 kB one."""
        from keras_audio_ssl.data import raise_decode_failure

        try:
            yield
        except Exception as error:
            raise_decode_failure(self.decode_failures, error, skip_bad_files=self.training.skip_bad_files)
            raise


def _method_class(method):
    from keras_audio_ssl import methods

    if isinstance(method, type):
        return method.__name__, method
    entry = methods.get(method)
    return entry.name, entry.load()


def _method_arguments(method_class, method_args):
    """The class defaults (the paper's) <- `method_args`; a name the class does not take is refused."""
    accepted = method_class.hyperparameters()
    unknown = sorted(set(method_args) - set(accepted))
    if unknown:
        raise ValueError(f"{method_class.__name__} has no hyperparameter(s) {unknown}; it takes {sorted(accepted)}. "
                         f"Received: {', '.join(f'{k}={method_args[k]!r}' for k in unknown)}")
    return {**accepted, **method_args}


def _jsonable(values):
    return json.loads(json.dumps(values))


def _scope(strategy):
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def _build_method(method_class, method_args, training, use_jit):
    """The method, compiled and built (its pre-normalization statistics are set later)."""
    with precision.policy_scope(training.dtype_policy):  # the float32 parts declare their own dtype
        encoder = build_encoder(training.encoder, training.feature_d, method_args.get("n_mels"))
        model = method_class(encoder, seed=training.seed, **method_args)
    model.compile(optimizer=training.build_optimizer(), jit_compile=use_jit)
    model.build((None, training.segment_samples))
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    return model


def _statistics(inputs, model, training, run):
    """The training data's log-mel mean and std through the method's own front end (a copy); every
    worker gets the chief's, so every replica normalises alike."""
    from keras_audio_ssl.audio import log_mel_statistics

    built = inputs.statistics_data()
    front_end = type(model.front_end).from_config(model.front_end.get_config())
    with inputs.decode_errors_named():
        mean, std = log_mel_statistics(built.dataset, training.norm_stats_samples, total=built.num_examples,
                                       verbose=run.verbose, front_end=front_end)
    skipped = inputs.decode_failures.unreported()
    if skipped:
        print(f"Statistics: skipped {len(skipped)} audio file(s) that failed to decode, e.g. "
              f"{skipped[0][0]!r} ({skipped[0][1]})", file=sys.stderr, flush=True)
    if run.role.num_workers > 1:
        mean, std = _chief_values(run.strategy, [mean, std])
    return {"mean": mean, "std": std}


def _train(model, inputs, training, run, state, initial_epoch, config, callbacks):
    import keras

    run_state.write_json_atomic(run.config_path, config)
    train_ds, steps_per_epoch = inputs.epochs(run.strategy, initial_epoch)
    if steps_per_epoch is None:
        _say(run.verbose, "The data's size is unknown (no index.json / unknown cardinality): a resumed run restarts "
             "the epoch randomness. Pass steps_per_epoch for batch-exact resumes.")
    nan_guard = StopOnNaN(learning_rate=training.learning_rate)
    all_callbacks = [
        SetLearningRate(training.learning_rate_at),
        nan_guard,
        *(callbacks or []),  # before TensorBoard and the state: what they add to the logs is kept
        keras.callbacks.TensorBoard(os.path.join(run.write_dir, "logs"), update_freq="epoch"),
        EncoderCheckpoint(model.encoder, os.path.join(run.write_dir, "checkpoints"), keep=training.keep_checkpoints),
        ReportDecodeFailures(inputs.decode_failures),
        run_state.EpochStateCheckpoint(state, skip_epoch=lambda: nan_guard.message is not None),
    ]
    start = time.time()
    with inputs.decode_errors_named(), _peer_failure_explained(run.role, run.output_dir, state):
        model.fit(train_ds, epochs=training.epochs, initial_epoch=initial_epoch, steps_per_epoch=steps_per_epoch,
                  callbacks=all_callbacks, verbose=run.verbose, shuffle=False)  # the dataset shuffles itself
    config["train_seconds_this_session"] = round(time.time() - start, 1)
    if nan_guard.message is not None:
        config.update(status="diverged", error=nan_guard.message, epochs_finished=state.epochs_finished)
        run_state.write_json_atomic(run.config_path, config)
        raise TrainingDivergedError(nan_guard.message)


def _finish(model, run, state, trained, config):
    """Writes the final artefacts, then the status "finished"; a non-chief removes its scratch folder."""
    previous = run_state.read_json(os.path.join(run.output_dir, "config.json")) or {}
    missing = [name for name in FINAL_ARTEFACTS if not os.path.exists(os.path.join(run.output_dir, name))]
    if trained or missing or previous.get("status") != "finished":
        mean, std = config["normalization"]["mean"], config["normalization"]["std"]
        _write_final_artefacts(run.write_dir, model.encoder, mean, std, _export_front_end(model))
        config.update(status="finished", epochs_finished=state.epochs_finished,
                      final_loss=(state.history.get("loss") or [None])[-1])
        run_state.write_json_atomic(run.config_path, config)
    else:
        _say(run.verbose, f"The run in {run.output_dir} is finished ({state.epochs_finished} epochs): nothing to train")
    if run.write_dir != run.output_dir:
        shutil.rmtree(run.write_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.rmdir(os.path.dirname(run.write_dir))  # the last worker out removes `.workers`


def _export_front_end(model):
    """The exported embedding model's front end: None for the default log-mel, else a copy of the method's."""
    from keras_audio_ssl.audio import LogMelSpectrogram

    def settings(layer):
        return {k: v for k, v in layer.get_config().items() if k not in ("name", "dtype")}

    front_end = model.front_end
    if type(front_end) is LogMelSpectrogram and settings(front_end) == settings(LogMelSpectrogram()):
        return None
    return type(front_end).from_config(front_end.get_config())


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


def _without_autotuning(dataset):
    """The training dataset without tf.data's autotuning thread.

    Deleting an iterator that a `tf.function` consumed waits for that thread's
    current sleep, which grows to a minute: every fit that ends before the
    dataset does (a time budget, an early stop) stalled for up to 60 s after
    its last epoch (`benchmarks/` fits: 28-55 s). Without it the iterator goes
    at once, and the epochs are as fast: the pipeline outruns a training step
    by two orders of magnitude, and prefetching still grows its buffer on demand.
    """
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def _distributed_epochs(strategy, source, epoch_args):
    """`(dataset, steps_per_epoch)` of the epochs as `strategy` distributes them: each input pipeline builds
    its own rows of every global batch (`pretraining_data(input_context=...)`), so workers decode only their part."""
    from keras_audio_ssl.data import pretraining_data

    built = []

    def pipeline(input_context):
        result = pretraining_data(source, input_context=input_context, **epoch_args)
        built.append(result)
        return _without_autotuning(result.dataset)

    distributed = strategy.distribute_datasets_from_function(pipeline)
    return distributed, built[0].steps_per_epoch



def _write_final_artefacts(output_dir, encoder, mean, std, front_end_layer=None):
    from keras_audio_ssl.encoders import build_embedding_model

    save = run_state.save_atomic
    encoder = precision.float32_copy(encoder)  # the trained weights, computing in float32 whatever the policy
    save(encoder.save, os.path.join(output_dir, "encoder.keras"))
    save(encoder.save_weights, os.path.join(output_dir, "encoder.weights.h5"), model=encoder)
    embedding_model = build_embedding_model(encoder, mean=mean, std=std, front_end=front_end_layer)
    save(embedding_model.save, os.path.join(output_dir, "embedding_model.keras"))
