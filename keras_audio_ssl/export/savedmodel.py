"""SavedModel export for TensorFlow Serving.

Layout `<output_dir>/<version>/` (what `tensorflow_model_server
--model_base_path=<output_dir>` expects). Two signatures, both taking `waveform`
float32 `[batch, samples]` raw 16 kHz audio with the log-mel front end and the
normalisation statistics inside the graph:

- `serving_default` -> `embedding` float32 `[batch, d]`
- `frames` -> `frames` float32 `[batch, T', d]` (frame-level embeddings, one
  per `hop * downsampling` samples; 80 ms for AudioNTT2020)

The loaded object is also callable, `tf.saved_model.load(path)(waveform)` ->
embedding (TF Hub's reusable SavedModel: `hub.load(path)(waveform)`,
`hub.KerasLayer(path)`; Keras' ExportArchive also lists it as a `__call__`
signature); in Keras 3,
`keras.layers.TFSMLayer(path, call_endpoint="serving_default")` returns
`{"embedding": ...}`.

Clips shorter than the model's minimum are zero-padded at the end in-graph.
What the model cannot embed fails with an `InvalidArgumentError` carrying our
own message (TF Serving returns it as the request's error): non-finite samples,
an empty batch or zero-sample clips, and any rank but 2. The signatures declare
`waveform` of unknown rank so that the rank check runs at serving time: a
`[-1, -1]` declaration is not enforced when the signature is called, and a
rank-1 request then failed deep inside the graph with a slice error.

Serving with the TF Serving model server:

    tensorflow_model_server --model_name=byola --model_base_path=/abs/path/serving/byola \
        --port=8500 --rest_api_port=8501

REST (columnar "inputs" form; `[[...]]` is a batch of waveforms):

    POST http://localhost:8501/v1/models/byola:predict
    {"signature_name": "serving_default", "inputs": {"waveform": [[0.0, 0.01, ...]]}}
    -> {"outputs": [[...d floats...]]}

or the row form `{"signature_name": "frames", "instances": [[0.0, 0.01, ...]]}`
-> `{"predictions": [...]}` (rows in one request must have equal length).
"""

import os
import re

import keras
import tensorflow as tf

from keras_audio_ssl import atomic_write
from keras_audio_ssl.export.model_parts import build_frames_model
from keras_audio_ssl.export.model_parts import load_model_for_export
from keras_audio_ssl.export.model_parts import min_samples as model_min_samples

WAVEFORM_SPEC = tf.TensorSpec(None, tf.float32, name="waveform")
NON_FINITE_MESSAGE = "waveform contains NaN or Inf samples; clean the audio before embedding it"
RANK_MESSAGE = "waveform must be float32 [batch, samples] (mono 16 kHz clips, one per row)"
EMPTY_MESSAGE = "waveform is empty: it needs at least one clip of at least one sample"


def next_version(output_dir):
    """1 + the largest integer-named subfolder of `output_dir` (1 when none)."""
    if not os.path.isdir(output_dir):
        return 1
    versions = [int(name) for name in os.listdir(output_dir) if re.fullmatch(r"\d+", name)]
    return max(versions, default=0) + 1


def _checked_and_padded(waveform, min_samples):
    # Runtime checks (the input's rank is unknown when traced, so none of them folds away).
    checks = [
        tf.debugging.assert_equal(tf.rank(waveform), 2, message=RANK_MESSAGE),
        tf.debugging.assert_positive(tf.size(waveform), message=EMPTY_MESSAGE),
    ]
    with tf.control_dependencies(checks):
        shape = tf.shape(waveform)
        waveform = tf.reshape(waveform, [shape[0], shape[-1]])  # static [None, None] from here on
    waveform = tf.debugging.assert_all_finite(waveform, NON_FINITE_MESSAGE)
    missing = tf.maximum(min_samples - tf.shape(waveform)[1], 0)
    return tf.pad(waveform, [[0, 0], [0, missing]])


def export_savedmodel(model_or_run_dir, output_dir, *, version=None, frames=True):
    """Writes a TF Serving SavedModel of a waveform -> embedding model.

    Args:
        model_or_run_dir: a waveform -> embedding `keras.Model`, a run directory
            from `recipes.byola.fit()`, or a `.keras` file.
        output_dir: the model base path; the SavedModel goes to
            `output_dir/<version>/`.
        version: positive integer; defaults to one more than the largest version
            already in `output_dir` (1 for a new folder). An existing version is
            never overwritten.
        frames: also export the `frames` signature (needs an encoder with a
            `return_frames` option, as the AudioNTT encoders have).

    Returns:
        The path of the written version folder.

    Example:
    ```python
    export_savedmodel("runs/byola", "serving/byola")  # -> serving/byola/1
    ```
    """
    if version is None:
        version = next_version(output_dir)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"`version` must be a positive integer. Received: version={version!r}")
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise ValueError(f"The model base path is a file; it must be a folder (versions go inside). "
                         f"Received: output={os.fspath(output_dir)}")
    path = os.path.join(os.fspath(output_dir), str(version))
    if os.path.exists(path):
        raise ValueError(
            f"Version folder {path} already exists; pick another version or leave "
            f"it out to auto-increment. Received: version={version}"
        )
    model = load_model_for_export(model_or_run_dir)
    min_samples = model_min_samples(model)

    archive = keras.export.ExportArchive()
    archive.track(model)

    def embedding_fn(waveform):
        padded = _checked_and_padded(waveform, min_samples)
        return {"embedding": model(padded, training=False)}

    archive.add_endpoint("serving_default", embedding_fn, input_signature=[WAVEFORM_SPEC])
    # TF Hub's reusable-SavedModel convention: the loaded object itself is callable
    # (`hub.load(path)(waveform)`, `hub.KerasLayer(path)`) and returns the embedding tensor.
    archive.add_endpoint(
        "__call__", lambda waveform: embedding_fn(waveform)["embedding"], input_signature=[WAVEFORM_SPEC]
    )
    if frames:
        frames_model = build_frames_model(model)
        archive.track(frames_model)

        def frames_fn(waveform):
            padded = _checked_and_padded(waveform, min_samples)
            return {"frames": frames_model(padded, training=False)}

        archive.add_endpoint("frames", frames_fn, input_signature=[WAVEFORM_SPEC])
    os.makedirs(os.fspath(output_dir), exist_ok=True)
    atomic_write.remove_leftovers(os.fspath(output_dir))  # versions a killed export left half-written
    # Written as `.kas-tmp-<pid>-<version>` and renamed: TF Serving never sees a partial version.
    with atomic_write.replacing(path, directory=True) as partial:
        archive.write_out(partial, verbose=False)
    return path
