"""COLA pretraining recipe: the paper's overrides (the rest is `methods.COLA`'s and `TrainingSettings`').

    python -m keras_audio_ssl.recipes.cola --config recipes/cola_cpu.json \\
        --data /path/to/audio_or_manifest.csv_or_shards-*.tfrecord --output-dir runs/cola

Saeed, Grangier and Zeghidour, "Contrastive Learning of General-Purpose Audio
Representations" (ICASSP 2021): the EfficientNet-B0 encoder as the authors'
code builds it (`efficientnet_b0_cola`: global max pooling of the 1,280
channels, no Dense of its own; `efficientnet_b0` is the multiple-sampling-
strategies variant with a Dense-LayerNorm-tanh head), Adam lr 1e-4, batch
1024; two random segments of each clip, the
head g and the bilinear similarity are the class defaults. The paper states its
budget in steps on AudioSet, not epochs: the garden's 100. COLA' (the BYOL-A
paper's baseline: AudioNTT2020, lr 3e-4) and COLA'+ are the presets
`recipes/cola_prime_d512.json` and `recipes/cola_prime_plus_d512.json`.
"""

from keras_audio_ssl.recipes import schema

PAPER = dict(encoder="efficientnet_b0_cola", feature_d=1280, epochs=100, batch_size=1024, learning_rate=1e-4)

fit = schema.make_fit("cola", __name__, __doc__)
schema.run_if_main(fit, __name__)  # python -m keras_audio_ssl.recipes.cola
