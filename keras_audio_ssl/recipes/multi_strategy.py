"""Multiple-sampling-strategies recipe: the paper's overrides (the rest is `methods.MultiStrategy`'s and `TrainingSettings`').

    python -m keras_audio_ssl.recipes.multi_strategy --config recipes/multi_strategy_cpu.json \\
        --data /path/to/audio_or_manifest.csv_or_shards-*.tfrecord --output-dir runs/multi_strategy

Kuroyanagi and Komatsu, "Self-Supervised Learning Method Using Multiple
Sampling Strategies for General-Purpose Audio Representation" (ICASSP 2022),
Sec. 3: EfficientNet-B0 with frequency pooling and 512-unit frames (T' = 3),
Adam lr 1e-4, batch 1024, 250 epochs, 64 mel bands and 0.95-s segments; the
clip, frame and pitch-shift losses (α = β = 1, m = 0, shifts 0.8-1.2) are the
class defaults. `frame_weight=0` / `pitch_weight=0` give the paper's ablations.
"""

from keras_audio_ssl.recipes import schema

PAPER = dict(encoder="efficientnet_b0", feature_d=512, epochs=250, batch_size=1024, learning_rate=1e-4)

fit = schema.make_fit("multi_strategy", __name__, __doc__)
schema.run_if_main(fit, __name__)  # python -m keras_audio_ssl.recipes.multi_strategy
