"""Evaluation protocols (linear probe, kNN, fine-tuning), embeddings, metrics and result tables."""

from keras_audio_ssl.evaluation.classification_metrics import accuracy
from keras_audio_ssl.evaluation.classification_metrics import average_precision
from keras_audio_ssl.evaluation.classification_metrics import mean_average_precision
from keras_audio_ssl.evaluation.embeddings import downstream_statistics
from keras_audio_ssl.evaluation.embeddings import embed_clips
from keras_audio_ssl.evaluation.embeddings import embed_frames
from keras_audio_ssl.evaluation.embeddings import frame_embedding_model
from keras_audio_ssl.evaluation.event_metrics import onset_f_measure
from keras_audio_ssl.evaluation.fine_tune import fine_tune
from keras_audio_ssl.evaluation.knn import knn
from keras_audio_ssl.evaluation.knn import knn_predict
from keras_audio_ssl.evaluation.linear_probe import leave_one_fold_out
from keras_audio_ssl.evaluation.linear_probe import linear_probe
from keras_audio_ssl.evaluation.pitch_metrics import chroma_accuracy
from keras_audio_ssl.evaluation.pitch_metrics import hz_to_cents
from keras_audio_ssl.evaluation.pitch_metrics import midi_to_hz
from keras_audio_ssl.evaluation.pitch_metrics import pitch_accuracy
from keras_audio_ssl.evaluation.results import results_frame
from keras_audio_ssl.evaluation.results import to_markdown
from keras_audio_ssl.evaluation.results import write_results
from keras_audio_ssl.evaluation.splits import stratified_split
from keras_audio_ssl.evaluation.tasks import evaluate_tasks
from keras_audio_ssl.evaluation.tasks import load_tasks
from keras_audio_ssl.evaluation.tasks import run_task
