"""`python -m keras_audio_ssl.recipes --config recipes/<preset>.json --data <audio>`: any method's preset."""

import sys

from keras_audio_ssl.recipes.cli import main_any

if __name__ == "__main__":
    sys.exit(main_any())
