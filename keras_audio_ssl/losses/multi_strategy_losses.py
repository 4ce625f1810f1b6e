"""The frame-level and pitch-shift losses of multiple sampling strategies (Kuroyanagi & Komatsu, 2022)."""

from keras import ops

from keras_audio_ssl.layers import l2_normalize
from keras_audio_ssl.precision import to_float32


def frame_similarity(frames, kernel=None, temperature=0.2):
    """Within-clip similarities `[B, T, T]` of frame representations `[B, T, D]`: bilinear or cosine / τ."""
    if kernel is not None:
        return ops.einsum("btd,de,bse->bts", frames, kernel, frames)
    unit = l2_normalize(frames)
    return ops.einsum("btd,bsd->bts", unit, unit) / temperature


def frame_contrastive_loss(frames, kernel=None, temperature=0.2, m=0):
    """Eq. 4: each frame's positives are the frames within ±m of it, its negatives the clip's other frames.

    `L = -1/M · mean over clips and anchor frames t of
    log(Σ_{|τ|<=m} exp s(x_t, x_{t+τ}) / Σ_i exp s(x_t, x_i))`, M = 2m + 1 (the
    paper's normalisation; offsets that fall outside the clip are left out of
    the numerator). m = 0 (the paper's setting): each frame must pick itself
    out among the clip's frames. The paper writes the sum over the batch only;
    averaging over anchor frames as well keeps the scale independent of T'.

    Args:
        frames: `[B, T', D]` frame representations g_frame(f(x)).
        kernel: `[D, D]` bilinear weight, or None for cosine / temperature.
        temperature: float > 0, for the cosine similarity.
        m: int >= 0, the positive neighbourhood.

    Returns:
        `(loss, accuracy)`: accuracy is how often an anchor's most similar
        frame is within ±m of it.
    """
    if isinstance(m, bool) or not isinstance(m, int) or m < 0:
        raise ValueError(f"`m` must be an integer >= 0. Received: m={m!r}")
    frames = to_float32(frames)  # float32 under a mixed policy
    kernel = None if kernel is None else to_float32(kernel)
    sims = frame_similarity(frames, kernel, temperature)  # [B, T, T]
    steps = ops.shape(sims)[1]
    index = ops.arange(steps)
    near = ops.abs(ops.expand_dims(index, 1) - ops.expand_dims(index, 0)) <= m  # [T, T]
    near = ops.expand_dims(near, 0)
    numerator = ops.logsumexp(ops.where(near, sims, -1e9), axis=-1)
    denominator = ops.logsumexp(sims, axis=-1)
    loss = -ops.mean(numerator - denominator) / (2 * m + 1)
    best = ops.argmax(sims, axis=-1)
    accuracy = ops.mean(ops.cast(ops.abs(best - ops.expand_dims(index, 0)) <= m, "float32"))
    return loss, accuracy


def pitch_shift_loss(shifted, original, shift):
    """Eq. 6: `‖g_pitch(f(x^)) - g_pitch(f(x)) - a‖²`, as a mean over frames and clips.

    Args:
        shifted, original: `[B, T']` per-frame pitch outputs for x^ and x.
        shift: `[B]` the shift a of each clip, in the caller's units (the
            method uses semitones, 12·log2 of the frequency factor).
    """
    shifted, original, shift = to_float32(shifted, original, shift)  # float32 under a mixed policy
    difference = shifted - original - ops.expand_dims(shift, -1)
    return ops.mean(ops.square(difference))
