import logging
import os

import pytest

from keras_audio_ssl.data import BadAudioFilesError
from keras_audio_ssl.data import check_audio_files
from keras_audio_ssl.data import inspect_audio_file
from tests.data import bad_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("corpus"))
    return bad_corpus.write_odd_files(os.path.join(root, "odd")), bad_corpus.write_broken_files(
        os.path.join(root, "broken")
    )


def test_odd_but_valid_files_pass_with_their_header_facts(corpus):
    odd, _ = corpus
    paths = [f.path for f in odd.values()]
    infos = check_audio_files(paths, return_info=True)
    assert [i.path for i in infos] == paths
    by_name = {os.path.basename(i.path): i for i in infos}
    assert by_name["stereo.wav"].channels == 2
    assert by_name["rate_44100.wav"].sample_rate == 44100
    assert by_name["pcm_24.wav"].subtype == "PCM_24" and not by_name["pcm_24.wav"].graph_decodable
    assert by_name["pcm_16.wav"].graph_decodable and by_name["pcm_16.wav"].frames == 12000
    assert check_audio_files(paths) == paths


def test_every_broken_file_is_named_with_its_reason(corpus):
    odd, broken = corpus
    paths = [odd["pcm_16.wav"].path] + sorted(broken.values())
    with pytest.raises(BadAudioFilesError) as info:
        check_audio_files(paths)
    error = info.value
    assert isinstance(error, ValueError)
    assert sorted(p for p, _ in error.failures) == sorted(broken.values())
    reasons = dict(error.failures)
    assert "does not exist" in reasons[broken["missing.wav"]]
    assert "empty" in reasons[broken["empty.wav"]]
    assert "truncated header" in reasons[broken["truncated_header.wav"]]
    assert "no samples" in reasons[broken["zero_samples.wav"]]
    assert "no samples" in reasons[broken["header_only.wav"]]
    # Float files are scanned for NaN/Inf without a full decode.
    assert "NaN or Inf" in reasons[broken["nan.wav"]] and "NaN or Inf" in reasons[broken["inf.wav"]]
    assert "not a readable audio file" in reasons[broken["not_audio.wav"]]
    message = str(error)
    assert "8 of 9 audio files cannot be used" in message and "skip_bad_files=True" in message
    assert message.count("/broken/") == 5 and "and 3 more" in message  # first five named


def test_skip_bad_files_reports_count_and_first_names(corpus, caplog):
    odd, broken = corpus
    good = [odd["pcm_16.wav"].path, odd["float32.wav"].path]
    bad = sorted(broken.values())
    with caplog.at_level(logging.WARNING, logger="keras_audio_ssl"):
        kept = check_audio_files(good[:1] + bad + good[1:], skip_bad_files=True)
    assert kept == good
    assert "8 of 10 audio files cannot be used" in caplog.text
    for path in bad[:5]:
        assert path in caplog.text
    assert bad[5] not in caplog.text and "and 3 more" in caplog.text


def test_all_bad_with_skip_still_raises(corpus):
    _, broken = corpus
    with pytest.raises(BadAudioFilesError, match="no usable audio file"):
        check_audio_files([broken["empty.wav"]], skip_bad_files=True)


def test_empty_path_list():
    with pytest.raises(ValueError, match="Received: paths"):
        check_audio_files([])


def test_unreadable_file(tmp_path):
    path = bad_corpus.write_unreadable_file(str(tmp_path))
    if os.access(path, os.R_OK):  # running as root: mode 000 does not stop reads
        assert inspect_audio_file(path).frames == 4000
    else:
        with pytest.raises(BadAudioFilesError, match="cannot be read"):
            check_audio_files([path])


def test_full_decode_and_progress_bar(corpus, capsys):
    odd, _ = corpus
    paths = [f.path for f in odd.values()]
    assert check_audio_files(paths, full_decode=True, progress=True, num_threads=2) == paths
    assert "Checking audio files" in capsys.readouterr().err
