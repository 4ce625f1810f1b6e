"""Writes a PNG grid of a method's views so a person can see what its augmentations do.

Rows are clips; the first column is the pre-normalized input log-mel, the others are
views, all on the same colour scale. BYOL-A (the default): independent views (mixup ->
random resize crop [-> fader]); `--method cola`, `simclr`, `multi_strategy`: the views
that method's own `make_views` makes in training (COLA: two random segments of the clip;
SimCLR-audio: two mixed-back, augmented patches; multiple sampling strategies: two
segments and the first one pitch-shifted). Without --input, a few varied clips are
synthesized in code (no download).

    python tools/show_augmentations.py --output grid.png --views 4
    python tools/show_augmentations.py --input path/to/wavs --output grid.png --fader
    python tools/show_augmentations.py --method simclr --output simclr.png
"""

import argparse
import os
import sys

import numpy as np

SAMPLE_RATE = 16000
SEGMENT = 15200  # 0.95 s -> 96 frames, BYOL-A's pretraining segment

# A few anchors of the viridis colour map, interpolated linearly.
_VIRIDIS = np.array(
    [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float64
)


def synthetic_clips(n, seed=0, samples=SEGMENT):
    """Varied clips (0.95 s by default): harmonic tone, chirp, noise bursts, clicks, chord."""
    rng = np.random.default_rng(seed)
    SEGMENT = samples  # noqa: N806 - the makers below are written for one segment
    t = np.arange(SEGMENT) / SAMPLE_RATE
    makers = [
        lambda: sum(np.sin(2 * np.pi * 220 * k * t) / k for k in range(1, 8)),
        lambda: np.sin(2 * np.pi * (200 * t + 0.5 * 3000 * t**2)),
        lambda: rng.normal(size=SEGMENT) * (np.sin(2 * np.pi * 3 * t) > 0.3),
        lambda: np.convolve((rng.uniform(size=SEGMENT) > 0.998).astype(float), np.hanning(200), "same"),
        lambda: sum(np.sin(2 * np.pi * f * t) for f in (330, 415, 494)) * np.exp(-2 * t),
        lambda: np.sin(2 * np.pi * 900 * t) * (np.sin(2 * np.pi * 7 * t) > 0),
    ]
    clips = []
    for i in range(n):
        wave = makers[i % len(makers)]() + 0.01 * rng.normal(size=SEGMENT)
        clips.append((0.5 * wave / np.max(np.abs(wave))).astype(np.float32))
    return clips, [f"synthetic {i}" for i in range(n)]


def folder_clips(folder, n, samples=SEGMENT):
    from keras_audio_ssl.audio import load_audio
    from keras_audio_ssl.data import find_audio_files

    paths = find_audio_files(folder)[:n]
    if not paths:
        raise ValueError(f"No audio files found. Received: --input={folder}")
    clips = []
    for path in paths:
        wave = load_audio(path, sample_rate=SAMPLE_RATE)
        if len(wave) >= samples:  # centre segment, so the picture is deterministic
            start = (len(wave) - samples) // 2
            wave = wave[start : start + samples]
        else:  # zero-pad both ends, as the paper does
            pad = samples - len(wave)
            wave = np.pad(wave, (pad // 2, pad - pad // 2))
        clips.append(wave.astype(np.float32))
    return clips, [os.path.basename(p) for p in paths]


def make_views(clips, views, fader, seed):
    import tensorflow as tf

    from keras_audio_ssl.audio import LogMelSpectrogram
    from keras_audio_ssl.augment import BYOLAAugmentation
    from keras_audio_ssl.augment import MixupBYOLA
    from keras_audio_ssl.augment import PreNormalization
    from keras_audio_ssl.augment import RandomResizeCrop

    log_mels = LogMelSpectrogram()(np.stack(clips))
    norm = PreNormalization()
    norm.adapt(log_mels)
    inputs = norm(log_mels)
    augment = BYOLAAugmentation(
        mixup=MixupBYOLA(memory_size=len(clips), seed=seed), rrc=RandomResizeCrop(seed=seed + 1), fader=fader
    )
    augment.mixup.update_memory(inputs)  # other clips of the grid are the mixing background
    outputs = [
        augment(inputs, training=True, seed=tf.constant([seed, v]), update_memory=False) for v in range(views)
    ]
    return np.asarray(inputs)[..., 0], np.stack([np.asarray(o)[..., 0] for o in outputs], axis=1)


def method_layout(method):
    """`(method class, its hyperparameters as the recipe sets them, segments per clip, segment samples)`.

    Read from the method registry and the recipe's paper overrides, the one owner of each.
    """
    from keras_audio_ssl import methods
    from keras_audio_ssl.recipes.settings import TrainingSettings

    entry = methods.get(method)
    method_class, paper = entry.load(), entry.overrides()
    hyperparameters = {k: paper.get(k, v) for k, v in method_class.hyperparameters().items()}
    samples = paper.get("segment_samples", TrainingSettings.defaults()["segment_samples"])
    return method_class, hyperparameters, method_class.SEGMENTS_PER_CLIP, samples


def method_views(method, clips, seed):
    """`(inputs [B, F, T], columns, titles)`: the views `method`'s `make_views` makes in training.

    Clips are cut into the recipe's segments as its input pipeline does (COLA and multiple
    sampling strategies: two random segments of each clip, segment-major); the encoder is a
    tiny AudioNTT2020, which the views do not depend on.
    """
    from keras_audio_ssl.audio import LogMelSpectrogram
    from keras_audio_ssl.recipes.run import build_encoder

    method_class, hyperparameters, segments, samples = method_layout(method)
    n_mels = hyperparameters["n_mels"]
    waves = np.stack(clips)
    log_mels = np.asarray(LogMelSpectrogram(n_mels=n_mels)(waves))
    model = method_class(build_encoder("audio_ntt2020", 16, n_mels=n_mels), seed=seed, **hyperparameters)
    model.set_pre_normalization(float(log_mels.mean()), float(log_mels.std()))
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, waves.shape[1] - samples + 1, size=(segments, len(clips)))
    # Segment-major, as `SelfSupervisedMethod.train_step` arranges [B, S, N]: rows s*B.. hold crop s.
    batch = np.concatenate([np.stack([w[a : a + samples] for w, a in zip(waves, row)]) for row in starts])
    model.build((None, samples))
    views = model.make_views(model.preprocess(batch), training=True)
    titles = [f"segment {s + 1}" if segments > 1 else f"view {s + 1}" for s in range(segments)]
    if method == "multi_strategy":
        views, semitones = views
        titles = titles + ["segment 1, pitch-shifted"]
        names_shift = [f"{v:+.1f}st" for v in np.asarray(semitones)]
    else:
        names_shift = None
    if method == "simclr":
        titles = ["patch 1 (mixed back)", "patch 2 (mixed back)"]
    views = np.asarray(views)[..., 0]
    columns = [list(views[i * len(clips) : (i + 1) * len(clips)]) for i in range(len(views) // len(clips))]
    inputs = np.asarray(model.preprocess(waves))[..., 0]
    return inputs, columns, titles, names_shift


def colorize(image, low, high):
    """[F, T] values -> RGB uint8, low frequencies at the bottom."""
    scaled = np.clip((image - low) / max(high - low, 1e-9), 0, 1)[::-1] * (len(_VIRIDIS) - 1)
    index = np.minimum(scaled.astype(int), len(_VIRIDIS) - 2)
    frac = (scaled - index)[..., None]
    return ((1 - frac) * _VIRIDIS[index] + frac * _VIRIDIS[index + 1]).astype(np.uint8)


def draw_grid(inputs, views, names, path, zoom=3, titles=None):
    """`inputs` `[rows, F, T]`, `views` `[rows][columns]` images (any sizes), one tile per image."""
    from PIL import Image
    from PIL import ImageDraw

    low, high = np.percentile(np.asarray(inputs), [1, 99.5])
    columns = [list(inputs)] + [[views[r][c] for r in range(len(inputs))] for c in range(len(views[0]))]
    titles = ["input (pre-norm)"] + list(titles or [f"view {c}" for c in range(1, len(columns))])
    # Each column as wide as its widest image (a SimCLR patch is narrower than the 3-s input).
    widths = [max(image.shape[1] for image in column) * zoom for column in columns]
    cell_h = max(image.shape[0] for column in columns for image in column) * zoom
    pad, title_h, label_w = 6, 18, 110
    lefts = [label_w + pad + sum(widths[:c]) + c * pad for c in range(len(columns))]
    width = lefts[-1] + widths[-1] + pad
    height = title_h + len(inputs) * (cell_h + pad) + pad
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    for col, title in enumerate(titles):
        draw.text((lefts[col], 3), title, fill="black")
    for row in range(len(inputs)):
        top = title_h + row * (cell_h + pad)
        draw.text((4, top + cell_h // 2 - 6), names[row][:17], fill="black")
        for col, column in enumerate(columns):
            image = column[row]
            size = (image.shape[1] * zoom, image.shape[0] * zoom)
            tile = Image.fromarray(colorize(image, low, high)).resize(size, Image.NEAREST)
            canvas.paste(tile, (lefts[col], top + cell_h - size[1]))
    canvas.save(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", default=None, help="folder of audio files (default: synthetic clips)")
    parser.add_argument("--output", default="augmentations.png", help="PNG file to write")
    parser.add_argument("--views", type=int, default=4, help="views per clip (BYOL-A; another --method shows its own)")
    parser.add_argument("--clips", type=int, default=4, help="number of clips (rows)")
    parser.add_argument("--fader", action="store_true", help="add BYOL-A v2's random linear fader")
    from keras_audio_ssl import methods

    parser.add_argument("--method", choices=methods.names(), default="byola",
                        help="whose views: BYOL-A's (default), or another method's make_views")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from keras_audio_ssl.console import import_tensorflow_quietly

    import_tensorflow_quietly()  # before anything loads TensorFlow: no C++ start-up screen
    if args.views < 1 or args.clips < 1:
        parser.error(f"--views and --clips must be >= 1. Received: --views={args.views} --clips={args.clips}")
    if args.method != "byola" and args.fader:
        parser.error(f"--fader is BYOL-A v2's; drop it for another method. Received: --method={args.method}")
    # COLA and multi-strategy cut two segments from each clip: give them twice a segment to cut from.
    if args.method == "byola":
        samples = SEGMENT
    else:
        _, _, segments, segment_samples = method_layout(args.method)
        samples = segment_samples * segments
    if args.input in (None, "", "none"):
        clips, names = synthetic_clips(args.clips, args.seed, samples)
    else:
        clips, names = folder_clips(args.input, args.clips, samples)
    if args.method == "byola":
        inputs, views = make_views(clips, args.views, args.fader, args.seed)
        draw_grid(inputs, views, names, args.output)
        count = args.views
    else:
        inputs, columns, titles, shifts = method_views(args.method, clips, args.seed)
        if shifts is not None:
            names = [f"{name[:9]} {shift}" for name, shift in zip(names, shifts)]
        views = [[column[row] for column in columns] for row in range(len(clips))]
        draw_grid(inputs, views, names, args.output, titles=titles)
        count = len(columns)
    print(f"wrote {args.output}: {len(clips)} clips x (input + {count} views)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
