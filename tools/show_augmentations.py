"""Writes a PNG grid of BYOL-A views so a person can see what the augmentations do.

Rows are clips; the first column is the pre-normalized input log-mel, the
others are independent views (mixup -> random resize crop [-> fader]), all on
the same colour scale. Without --input, a few varied clips are synthesized in
code (no download).

    python tools/show_augmentations.py --output grid.png --views 4
    python tools/show_augmentations.py --input path/to/wavs --output grid.png --fader
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


def synthetic_clips(n, seed=0):
    """Varied 0.95 s clips: harmonic tone, chirp, noise bursts, clicks, chord."""
    rng = np.random.default_rng(seed)
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


def folder_clips(folder, n):
    from keras_audio_ssl.audio import load_audio
    from keras_audio_ssl.data import find_audio_files

    paths = find_audio_files(folder)[:n]
    if not paths:
        raise ValueError(f"No audio files found. Received: --input={folder}")
    clips = []
    for path in paths:
        wave = load_audio(path, sample_rate=SAMPLE_RATE)
        if len(wave) >= SEGMENT:  # centre segment, so the picture is deterministic
            start = (len(wave) - SEGMENT) // 2
            wave = wave[start : start + SEGMENT]
        else:  # zero-pad both ends, as the paper does
            pad = SEGMENT - len(wave)
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


def colorize(image, low, high):
    """[F, T] values -> RGB uint8, low frequencies at the bottom."""
    scaled = np.clip((image - low) / max(high - low, 1e-9), 0, 1)[::-1] * (len(_VIRIDIS) - 1)
    index = np.minimum(scaled.astype(int), len(_VIRIDIS) - 2)
    frac = (scaled - index)[..., None]
    return ((1 - frac) * _VIRIDIS[index] + frac * _VIRIDIS[index + 1]).astype(np.uint8)


def draw_grid(inputs, views, names, path, zoom=3):
    from PIL import Image
    from PIL import ImageDraw

    low, high = np.percentile(inputs, [1, 99.5])
    n_rows, n_cols = inputs.shape[0], 1 + views.shape[1]
    cell_h, cell_w = inputs.shape[1] * zoom, inputs.shape[2] * zoom
    pad, title_h, label_w = 6, 18, 110
    width = label_w + n_cols * (cell_w + pad) + pad
    height = title_h + n_rows * (cell_h + pad) + pad
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    for col in range(n_cols):
        title = "input (pre-norm)" if col == 0 else f"view {col}"
        draw.text((label_w + pad + col * (cell_w + pad), 3), title, fill="black")
    for row in range(n_rows):
        top = title_h + row * (cell_h + pad)
        draw.text((4, top + cell_h // 2 - 6), names[row][:17], fill="black")
        for col, image in enumerate([inputs[row]] + list(views[row])):
            tile = Image.fromarray(colorize(image, low, high)).resize((cell_w, cell_h), Image.NEAREST)
            canvas.paste(tile, (label_w + pad + col * (cell_w + pad), top))
    canvas.save(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", default=None, help="folder of audio files (default: synthetic clips)")
    parser.add_argument("--output", default="augmentations.png", help="PNG file to write")
    parser.add_argument("--views", type=int, default=4, help="views per clip")
    parser.add_argument("--clips", type=int, default=4, help="number of clips (rows)")
    parser.add_argument("--fader", action="store_true", help="add BYOL-A v2's random linear fader")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from keras_audio_ssl.console import import_tensorflow_quietly

    import_tensorflow_quietly()  # before anything loads TensorFlow: no C++ start-up screen
    if args.views < 1 or args.clips < 1:
        parser.error(f"--views and --clips must be >= 1. Received: --views={args.views} --clips={args.clips}")
    if args.input in (None, "", "none"):
        clips, names = synthetic_clips(args.clips, args.seed)
    else:
        clips, names = folder_clips(args.input, args.clips)
    inputs, views = make_views(clips, args.views, args.fader, args.seed)
    draw_grid(inputs, views, names, args.output)
    print(f"wrote {args.output}: {len(clips)} clips x (input + {args.views} views)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
