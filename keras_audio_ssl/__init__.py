"""keras-audio-ssl: self-supervised general-purpose audio representation learning in Keras 3."""

__version__ = "0.1.0"
