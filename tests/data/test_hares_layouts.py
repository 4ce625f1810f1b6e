"""The HARES layouts (AudioSet, TUT 2018, bird audio detection, Fluent Speech Commands,
MagnaTagATune, Speech Commands V1) read from tiny fake trees in their native layout.

The `write_*` helpers also build the fake HARES data root of tests/evaluation/test_suites.py.
"""

import os

import numpy as np
import pandas as pd
import pytest

from keras_audio_ssl.data import downstream
from keras_audio_ssl.data.downstream.bird_audio_detection import hashed_split
from tests.test_case import tone
from tests.test_case import write_wav

AUDIOSET_CLASSES = (("/m/09x0r", "Speech"), ("/m/04rlf", "Music"), ("/m/0jbk", "Animal"))
# Each class is a tone band, so a random encoder separates them.
_FREQS = {"Speech": 300.0, "Music": 1500.0, "Animal": 5000.0}


def _clip(path, freqs, seconds=0.5, seed=0):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    wave = sum(tone(f * rng.uniform(0.95, 1.05), seconds, amplitude=0.3) for f in freqs)
    subtype = "MPEG_LAYER_III" if str(path).endswith(".mp3") else "PCM_16"
    return write_wav(path, wave + 0.01 * rng.standard_normal(len(wave)).astype(np.float32), subtype=subtype)


def write_audioset(root, n_train=24, n_eval=12, without_clip=1):
    """PANNs' layout; the last `without_clip` train segments have no clip (taken-down videos)."""
    os.makedirs(os.path.join(root, "metadata"), exist_ok=True)
    pd.DataFrame([{"index": i, "mid": m, "display_name": n} for i, (m, n) in enumerate(AUDIOSET_CLASSES)]).to_csv(
        os.path.join(root, "metadata", "class_labels_indices.csv"), index=False)
    mids = [m for m, _ in AUDIOSET_CLASSES]
    names = dict(AUDIOSET_CLASSES)
    label_sets = [(mids[0],), (mids[1],), (mids[0], mids[1]), (mids[2],), (mids[1], mids[2])]
    for set_name, count in (("balanced_train_segments", n_train + without_clip), ("eval_segments", n_eval)):
        lines = ["# Segments csv created Sun Mar  5 10:54:31 2017",
                 f"# num_ytids={count}, num_segs={count}, num_unique_labels=3, num_positive_labels={count}",
                 "# YTID, start_seconds, end_seconds, positive_labels"]
        for i in range(count):
            ytid = f"-{set_name[:2]}{i:03d}_x"  # YTIDs may start with '-'
            labels = label_sets[i % len(label_sets)]
            lines.append(f'{ytid}, {30 + i}.000, {40 + i}.000, "{",".join(labels)}"')
            if set_name == "eval_segments" or i < n_train:
                _clip(os.path.join(root, "audios", set_name, f"Y{ytid}.wav"), [_FREQS[names[m]] for m in labels], seed=i)
        with open(os.path.join(root, "metadata", f"{set_name}.csv"), "w") as f:
            f.write("\n".join(lines) + "\n")
    return root


def write_fluent_speech_commands(root, per_intent=6):
    intents = [("activate", "lights", "kitchen", 300.0), ("deactivate", "music", "none", 2500.0)]
    for split, speakers in (("train", ("spkA", "spkB")), ("valid", ("spkC",)), ("test", ("spkD",))):
        rows = []
        for speaker in speakers:
            for action, object_, location, freq in intents:
                for k in range(per_intent // 2 if split == "train" else 2):
                    relative = f"wavs/speakers/{speaker}/{action}-{k}.wav"
                    _clip(os.path.join(root, relative), [freq], seed=k)
                    rows.append({"path": relative, "speakerId": speaker, "transcription": f"{action} {object_}",
                                 "action": action, "object": object_, "location": location})
        os.makedirs(os.path.join(root, "data"), exist_ok=True)
        pd.DataFrame(rows).to_csv(os.path.join(root, "data", f"{split}_data.csv"))  # with its index column
    return root


def write_nsynth(root, per_split=(8, 2, 4)):
    import json

    notes = [("bass", 45), ("organ", 57), ("bass", 69), ("organ", 81)]
    for split, count in zip(("train", "valid", "test"), per_split):
        examples = {}
        for i in range(count):
            family, pitch = notes[i % len(notes)]
            name = f"{family}_synthetic_{split}{i:03d}-{pitch:03d}-100"
            freq = 440.0 * 2 ** ((pitch - 69) / 12)
            # Families differ in timbre (a fifth above), notes in fundamental.
            _clip(os.path.join(root, f"nsynth-{split}", "audio", f"{name}.wav"),
                  [freq] if family == "bass" else [freq, freq * 3], seed=i)
            examples[name] = {"pitch": pitch, "instrument_family_str": family}
        with open(os.path.join(root, f"nsynth-{split}", "examples.json"), "w") as f:
            json.dump(examples, f)
    return root


def test_audioset_reads_segments_and_leaves_out_missing_clips(tmp_path):
    root = write_audioset(str(tmp_path / "audioset"), n_train=5, n_eval=3, without_clip=1)
    with pytest.warns(UserWarning, match="1 of 6 segments of balanced_train_segments"):
        data = downstream.audioset(root)
    assert data.name == "audioset" and data.multi_label
    assert data.classes == ["Animal", "Music", "Speech"]
    assert data.frame["split"].value_counts().to_dict() == {"train": 5, "test": 3}
    first = data.frame.iloc[2]
    assert first["label"] == ("Music", "Speech") and os.path.basename(first["path"]) == "Y-ba002_x.wav"
    np.testing.assert_array_equal(data.targets(data.frame.iloc[[2]]), [[0, 1, 1]])
    with pytest.raises(ValueError, match="train"):
        downstream.audioset(root, train="unbalanced")
    with pytest.raises(ValueError, match="unbalanced_train_segments.csv not found"):
        downstream.audioset(root, train="full")


def test_audioset_names_what_is_missing(tmp_path):
    root = write_audioset(str(tmp_path / "audioset"), n_train=2, n_eval=1, without_clip=0)
    for name in os.listdir(os.path.join(root, "audios", "eval_segments")):
        os.remove(os.path.join(root, "audios", "eval_segments", name))
    with pytest.raises(ValueError, match="None of the 1 segments of .*eval_segments.csv"):
        downstream.audioset(root)
    os.remove(os.path.join(root, "metadata", "class_labels_indices.csv"))
    with pytest.raises(ValueError, match="class_labels_indices.csv not found"):
        downstream.audioset(root)


def test_tut2018_official_fold1(tmp_path):
    root = tmp_path / "TUT-urban-acoustic-scenes-2018-development"
    meta, train, evaluate = ["filename\tscene_label\tidentifier\tsource_label"], [], []
    for scene in ("airport", "park"):
        for location, target in ((0, train), (1, train), (2, evaluate)):
            name = f"audio/{scene}-barcelona-{location}-0-a.wav"
            _clip(str(root / name), [440.0])
            meta.append(f"{name}\t{scene}\tbarcelona-{location}\ta")
            target.append(f"{name}\t{scene}")
    os.makedirs(root / "evaluation_setup")
    (root / "meta.csv").write_text("\n".join(meta) + "\n")
    (root / "evaluation_setup" / "fold1_train.txt").write_text("\n".join(train) + "\n")
    (root / "evaluation_setup" / "fold1_evaluate.txt").write_text("\n".join(evaluate) + "\n")
    data = downstream.tut2018(str(root))
    assert data.name == "tut18" and data.classes == ["airport", "park"]
    assert data.frame["split"].value_counts().to_dict() == {"train": 4, "test": 2}
    assert all(os.path.exists(p) for p in data.frame["path"])
    (root / "evaluation_setup" / "fold1_evaluate.txt").write_text("audio/unknown.wav\tpark\n")
    with pytest.raises(ValueError, match="unknown.wav, which meta.csv does not"):
        downstream.tut2018(str(root))
    os.remove(root / "evaluation_setup" / "fold1_evaluate.txt")
    with pytest.raises(ValueError, match="fold1_evaluate.txt"):
        downstream.tut2018(str(root))


def test_bird_audio_detection_hashed_split_and_errors(tmp_path):
    root = tmp_path / "birds"
    for datasetid, csv_name in (("ff1010bird", "ff1010bird_metadata_2018.csv"),
                                ("warblrb10k", "warblrb10k_public_metadata_2018.csv")):
        rows = []
        for i in range(20):
            itemid = f"{100 + i}"
            _clip(str(root / datasetid / "wav" / f"{itemid}.wav"), [440.0], seconds=0.1)
            rows.append({"itemid": itemid, "datasetid": datasetid, "hasbird": i % 2})
        pd.DataFrame(rows).to_csv(root / csv_name, index=False)
    data = downstream.bird_audio_detection(str(root))
    assert data.name == "birdsong" and data.classes == ["bird", "no_bird"] and len(data) == 40
    # The split is a pure function of datasetid/itemid, the same on every machine.
    assert hashed_split("ff1010bird/100") == hashed_split("ff1010bird/100")
    expected = [hashed_split(f"{d}/{100 + i}") for d in ("ff1010bird", "warblrb10k") for i in range(20)]
    assert data.frame["split"].tolist() == expected
    assert set(expected) == {"train", "valid", "test"}
    assert sum(s == "train" for s in [hashed_split(f"x/{i}") for i in range(2000)]) in range(1500, 1700)
    os.remove(root / "warblrb10k" / "wav" / "105.wav")
    with pytest.raises(ValueError, match="1 clip.*warblrb10k.*105.wav"):
        downstream.bird_audio_detection(str(root))
    with pytest.raises(ValueError, match="No label CSV with columns itemid,datasetid,hasbird"):
        downstream.bird_audio_detection(str(tmp_path))


def test_fluent_speech_commands_intents(tmp_path):
    root = write_fluent_speech_commands(str(tmp_path / "fluent_speech_commands_dataset"), per_intent=2)
    data = downstream.fluent_speech_commands(root)
    assert data.classes == ["activate / lights / kitchen", "deactivate / music / none"]  # "none" is not NaN
    assert data.frame["split"].value_counts().to_dict() == {"train": 4, "test": 4, "valid": 4}
    assert all(os.path.exists(p) for p in data.frame["path"])
    os.remove(os.path.join(root, "data", "valid_data.csv"))
    with pytest.raises(ValueError, match="valid_data.csv"):
        downstream.fluent_speech_commands(root)


def test_magnatagatune_top_tags_and_folder_split(tmp_path):
    root = tmp_path / "magnatagatune"
    tags = {"guitar": [1, 1, 1, 0, 1], "rock": [1, 0, 1, 1, 0], "piano": [0, 1, 0, 0, 1], "choir": [0, 0, 0, 1, 0]}
    paths = ["0/a-0-29.mp3", "b/b-0-29.mp3", "c/c-0-29.mp3", "d/d-0-29.mp3", "f/f-0-29.mp3"]
    for path in paths:
        _clip(str(root / path), [440.0], seconds=0.2)
    table = pd.DataFrame({"clip_id": range(len(paths)), **tags, "mp3_path": paths})
    table.to_csv(root / "annotations_final.csv", sep="\t", index=False)
    data = downstream.magnatagatune(str(root), n_tags=3)
    assert data.multi_label and data.classes == ["guitar", "piano", "rock"]  # choir is the 4th most frequent
    assert data.frame["split"].tolist() == ["train", "train", "valid", "test", "test"]
    assert data.frame["label"].iloc[3] == ("rock",)
    (root / "f" / "f-0-29.mp3").write_bytes(b"")  # the release has a few empty files
    with pytest.warns(UserWarning, match="1 empty mp3"):
        assert len(downstream.magnatagatune(str(root))) == 4
    os.remove(root / "d" / "d-0-29.mp3")
    with pytest.raises(ValueError, match="1 clip.*d-0-29.mp3"):
        downstream.magnatagatune(str(root))


def test_speech_commands_v1_is_the_12_class_task(tmp_path):
    root = tmp_path / "speech_commands_v0.01"
    for word in ("yes", "stop", "bed"):
        _clip(str(root / word / "a_nohash_0.wav"), [440.0], seconds=0.2)
    _clip(str(root / "_background_noise_" / "white_noise.wav"), [100.0], seconds=3.0)
    (root / "validation_list.txt").write_text("")
    (root / "testing_list.txt").write_text("stop/a_nohash_0.wav\n")
    data = downstream.speech_commands_v1(str(root))
    assert data.name == "spcv1"
    assert data.classes == ["_silence_", "_unknown_", "stop", "yes"]
