"""BYOL-A pretraining recipe: the paper's overrides (the rest is `methods.BYOLA`'s and `TrainingSettings`').

    python -m keras_audio_ssl.recipes.byola --config recipes/byola_audioset_d512.json \\
        --data /path/to/audio_or_manifest.csv_or_shards-*.tfrecord --output-dir runs/d512 \\
        [--epochs 1 --batch-size 16 ...]

Niizumi et al., "BYOL for Audio: Self-Supervised Learning for General-Purpose
Audio Representation" (IJCNN 2021): Adam lr 3e-4, batch 256, 100 epochs, the
AudioNTT2020 encoder at d = 2048 (the paper's largest; presets hold 512 and
1024); mixup 0.4, memory 2,048 and EMA 0.99 are the class defaults. BYOL-A v2
(2023) is the preset `recipes/byola_v2_audioset.json`.
"""

from keras_audio_ssl.recipes import schema

PAPER = dict(encoder="AudioNTT2020", feature_d=2048, epochs=100, batch_size=256, learning_rate=3e-4)

fit = schema.make_fit("byola", __name__, __doc__)
schema.run_if_main(fit, __name__)  # python -m keras_audio_ssl.recipes.byola
