"""Each downstream layout read from a tiny fake tree in its real on-disk layout."""

import json
import os

import numpy as np
import pandas as pd
import pytest

from keras_audio_ssl.data import downstream
from tests.test_case import write_wav


def _wav(path, seconds=0.1, seed=0):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    return write_wav(path, (0.1 * rng.standard_normal(int(16000 * seconds))).astype(np.float32))


def test_speech_commands_35_official_lists(tmp_path):
    root = tmp_path / "speech_commands_v0.02"
    for word in ("yes", "no", "bed"):
        for i in range(3):
            _wav(str(root / word / f"spk{i}_nohash_0.wav"))
    _wav(str(root / "_background_noise_" / "white_noise.wav"), seconds=10.0)
    (root / "validation_list.txt").write_text("yes/spk1_nohash_0.wav\nbed/spk1_nohash_0.wav\n")
    (root / "testing_list.txt").write_text("yes/spk2_nohash_0.wav\nno/spk2_nohash_0.wav\n")
    data = downstream.speech_commands_v2(str(root))
    assert data.name == "spcv2" and data.classes == ["bed", "no", "yes"]
    assert len(data) == 9  # background noise is not a word
    split = dict(zip(data.frame["path"].map(lambda p: os.path.relpath(p, root)), data.frame["split"]))
    assert split["yes/spk1_nohash_0.wav"] == "valid"
    assert split["no/spk2_nohash_0.wav"] == "test"
    assert split["bed/spk0_nohash_0.wav"] == "train"
    assert data.targets(data.split("test")).tolist() == [1, 2]


def test_speech_commands_12_unknown_and_silence(tmp_path):
    root = tmp_path / "sc"
    for word in ("yes", "go", "bed", "marvin"):
        _wav(str(root / word / "a_nohash_0.wav"))
    _wav(str(root / "_background_noise_" / "pink_noise.wav"), seconds=10.0)
    (root / "validation_list.txt").write_text("")
    (root / "testing_list.txt").write_text("go/a_nohash_0.wav\n")
    data = downstream.speech_commands_v2(str(root), variant="12")
    assert data.name == "spcv2_12"
    assert data.classes == ["_silence_", "_unknown_", "go", "yes"]
    silence = data.frame[data.frame["label"] == "_silence_"]
    # 10 s of noise -> ten 1 s slices, cut 8/1/1 over time into train/valid/test.
    assert silence["split"].value_counts().to_dict() == {"train": 8, "valid": 1, "test": 1}
    assert (silence["end"] - silence["start"]).eq(1.0).all()
    clips = data.clips(silence)
    assert all(len(c) == 16000 for c in clips)
    assert (data.frame["label"] == "_unknown_").sum() == 2


def test_urbansound8k_folds(tmp_path):
    root = tmp_path / "UrbanSound8K"
    rows = []
    for fold in (1, 2, 10):
        for cls_id, cls in ((0, "air_conditioner"), (3, "dog_bark")):
            name = f"{100 + fold}-{cls_id}-0-0.wav"
            _wav(str(root / "audio" / f"fold{fold}" / name))
            rows.append(dict(slice_file_name=name, fsID=100 + fold, start=0.0, end=0.1, salience=1, fold=fold,
                             classID=cls_id, **{"class": cls}))
    os.makedirs(root / "metadata")
    pd.DataFrame(rows).to_csv(root / "metadata" / "UrbanSound8K.csv", index=False)
    data = downstream.urbansound8k(str(root))
    assert data.evaluation == "folds" and data.classes == ["air_conditioner", "dog_bark"]
    assert sorted(data.frame["fold"].unique().tolist()) == [1, 2, 10]
    assert all(os.path.exists(p) for p in data.frame["path"])


def test_nsynth_family_and_pitch(tmp_path):
    root = tmp_path / "nsynth"
    for split, notes in (("train", {"bass_synthetic_000-040-100": ("bass", 40), "organ_electronic_001-060-050": ("organ", 60)}),
                         ("valid", {"bass_synthetic_002-041-100": ("bass", 41)}),
                         ("test", {"organ_electronic_003-100-050": ("organ", 100)})):
        examples = {}
        for note, (family, pitch) in notes.items():
            _wav(str(root / f"nsynth-{split}" / "audio" / f"{note}.wav"))
            examples[note] = {"note_str": note, "pitch": pitch, "instrument_family_str": family, "instrument_family": 0}
        (root / f"nsynth-{split}" / "examples.json").write_text(json.dumps(examples))
    family = downstream.nsynth(str(root))
    assert family.classes == ["bass", "organ"]
    assert family.frame["split"].value_counts().to_dict() == {"train": 2, "valid": 1, "test": 1}
    pitch = downstream.nsynth(str(root), target="pitch")
    assert pitch.name == "nsynth_pitch" and pitch.classes == ["040", "041", "060", "100"]
    assert all(os.path.exists(p) for p in pitch.frame["path"])


def test_voxceleb1_identification_split(tmp_path):
    root = tmp_path / "vox1"
    lines = []
    for i, (speaker, split) in enumerate([("id10001", 1), ("id10001", 2), ("id10002", 1), ("id10002", 3)]):
        relative = f"{speaker}/vid{i}/00001.wav"
        _wav(str(root / "wav" / relative))
        lines.append(f"{split} {relative}")
    (root / "iden_split.txt").write_text("\n".join(lines) + "\n")
    data = downstream.voxceleb1(str(root))
    assert data.classes == ["id10001", "id10002"]
    assert data.frame["split"].tolist() == ["train", "valid", "train", "test"]
    (root / "iden_split.txt").write_text("4 id1/x.wav\n")
    with pytest.raises(ValueError, match="line 1"):
        downstream.voxceleb1(str(root))


def test_esc50_folds_and_esc10(tmp_path):
    root = tmp_path / "ESC-50-master"
    rows = []
    for fold in range(1, 6):
        for target, category, esc10 in ((0, "dog", True), (5, "cat", False)):
            name = f"{fold}-{target}-A-{target}.wav"
            _wav(str(root / "audio" / name))
            rows.append(dict(filename=name, fold=fold, target=target, category=category, esc10=esc10,
                             src_file=target, take="A"))
    os.makedirs(root / "meta")
    pd.DataFrame(rows).to_csv(root / "meta" / "esc50.csv", index=False)
    data = downstream.esc50(str(root))
    assert data.evaluation == "folds" and len(data) == 10 and data.classes == ["cat", "dog"]
    assert sorted(set(data.frame["fold"])) == [1, 2, 3, 4, 5]
    assert downstream.esc50(str(root), esc10=True).classes == ["dog"]


def test_fsd50k_multi_label(tmp_path):
    root = tmp_path / "FSD50K"
    truth = root / "FSD50K.ground_truth"
    os.makedirs(truth)
    (truth / "vocabulary.csv").write_text("0,Bark,/m/05tny_\n1,Dog,/m/0bt9lr\n2,Music,/m/04rlf\n")
    (truth / "dev.csv").write_text('fname,labels,mids,split\n1,"Bark,Dog","/m/05tny_,/m/0bt9lr",train\n2,Music,/m/04rlf,val\n')
    (truth / "eval.csv").write_text('fname,labels,mids\n3,"Dog,Music","/m/0bt9lr,/m/04rlf"\n')
    for folder, name in (("FSD50K.dev_audio", 1), ("FSD50K.dev_audio", 2), ("FSD50K.eval_audio", 3)):
        _wav(str(root / folder / f"{name}.wav"))
    data = downstream.fsd50k(str(root))
    assert data.multi_label and data.classes == ["Bark", "Dog", "Music"]
    assert data.frame["split"].tolist() == ["train", "valid", "test"]
    np.testing.assert_array_equal(data.targets(), [[1, 1, 0], [0, 0, 1], [0, 1, 1]])


def test_csv_manifest_and_voxforge(tmp_path):
    for i in range(4):
        _wav(str(tmp_path / "clips" / f"{i}.wav"))
    (tmp_path / "langs.csv").write_text(
        "path,label,split\nclips/0.wav,de,train\nclips/1.wav,en,training\nclips/2.wav,de,validation\nclips/3.wav,en,test\n"
    )
    data = downstream.csv_manifest(str(tmp_path / "langs.csv"))
    assert data.name == "langs" and data.evaluation == "split"
    assert data.frame["split"].tolist() == ["train", "train", "valid", "test"]
    assert data.frame["path"].iloc[0] == str(tmp_path / "clips" / "0.wav")
    assert downstream.voxforge(str(tmp_path / "langs.csv")).name == "voxforge"


def test_csv_manifest_folds_multi_label_and_errors(tmp_path):
    for i in range(4):
        _wav(str(tmp_path / f"{i}.wav"))
    (tmp_path / "tags.csv").write_text("path,labels,fold\n0.wav,a;b,1\n1.wav,b,1\n2.wav,a,2\n3.wav,c;a,2\n")
    data = downstream.csv_manifest(str(tmp_path / "tags.csv"))
    assert data.multi_label and data.evaluation == "folds" and data.classes == ["a", "b", "c"]
    assert data.targets()[3].tolist() == [1, 0, 1]
    (tmp_path / "missing.csv").write_text("path,label,split\n0.wav,a,train\nnope.wav,b,test\n")
    with pytest.raises(ValueError, match="line 3: .*nope.wav"):
        downstream.csv_manifest(str(tmp_path / "missing.csv"))
    (tmp_path / "pool.csv").write_text("path,label,split\n0.wav,,pretrain\n")
    with pytest.raises(ValueError, match="no labels"):
        downstream.csv_manifest(str(tmp_path / "pool.csv"))
    (tmp_path / "odd.csv").write_text("path,label,split\n0.wav,a,holdout\n")
    with pytest.raises(ValueError, match="holdout"):
        downstream.csv_manifest(str(tmp_path / "odd.csv"))


def test_labels_that_pandas_reads_as_missing_are_labels(tmp_path):
    # Finding 11: "None", "NA", "null" were read as NaN: "line 2 has an empty label".
    rows = []
    for i, label in enumerate(["None", "NA", "null", "n/a", "None", "NA", "null", "n/a"]):
        _wav(str(tmp_path / f"{i}.wav"), seed=i)
        rows.append(f"{i}.wav,{label},{'train' if i < 4 else 'test'}")
    (tmp_path / "m.csv").write_text("path,label,split\n" + "\n".join(rows) + "\n")
    task = downstream.csv_manifest(str(tmp_path / "m.csv"))
    assert task.classes == ["NA", "None", "n/a", "null"]
    (tmp_path / "empty.csv").write_text("path,label,split\n0.wav,x,train\n1.wav,,test\n")
    with pytest.raises(ValueError, match="line 3 has an empty label"):
        downstream.csv_manifest(str(tmp_path / "empty.csv"))


def test_a_utf16_manifest_is_named(tmp_path):
    _wav(str(tmp_path / "a.wav"))
    path = tmp_path / "m.csv"
    path.write_text("path,label,split\na.wav,x,train\n", encoding="utf-16")
    with pytest.raises(ValueError, match=f"{path} is not UTF-8"):
        downstream.csv_manifest(str(path))
