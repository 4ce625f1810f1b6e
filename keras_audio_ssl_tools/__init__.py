"""keras-audio-ssl's TensorFlow-free tooling, importable without `keras_audio_ssl`.

`import keras_audio_ssl` imports Keras and TensorFlow (its layers and models
register with Keras as they are defined, so `keras.saving.load_model` finds
them). What never touches TensorFlow lives here, where importing it costs no
TensorFlow start-up: the offline-benchmark builder (`offline_benchmark`, run by
`tools/make_offline_benchmark.py`) and the worker pool (`processes`) whose
spawned workers must start in milliseconds.
"""
