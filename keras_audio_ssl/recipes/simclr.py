"""SimCLR-audio pretraining recipe: the paper's overrides (the rest is `methods.SimCLRAudio`'s and `TrainingSettings`').

    python -m keras_audio_ssl.recipes.simclr --config recipes/simclr_cpu.json \\
        --data /path/to/audio_or_manifest.csv_or_shards-*.tfrecord --output-dir runs/simclr

Fonseca, Ortego, McGuinness, O'Connor and Serra, "Unsupervised Contrastive
Learning of Sound Event Representations" (ICASSP 2021): the ResNet-18 encoder
(the paper's best after contrastive pretraining; d = 512), batch 128 ("our
case: batch size of 128"), a random 3-s segment of each clip (48,000 samples,
301 frames) that the two 101-frame patches are drawn from, 96 mel bands (the
class keeps the 64 its default encoders are built for); mix-back 0.05,
RRC + compression + noise and NT-Xent τ = 0.2 are the class defaults. The
slides state neither the learning rate nor the epochs: Adam 1e-4
and the garden's 100.
"""

from keras_audio_ssl.recipes import schema

PAPER = dict(encoder="resnet18", feature_d=512, epochs=100, batch_size=128, learning_rate=1e-4,
             segment_samples=48000, n_mels=96)

fit = schema.make_fit("simclr", __name__, __doc__)
schema.run_if_main(fit, __name__)  # python -m keras_audio_ssl.recipes.simclr
