"""Unit tests of the benchmark's parts: grouping, mixing, MIDI, missing packages, resume."""

import os
import struct

import numpy as np
import pytest

from keras_audio_ssl_tools.offline_benchmark import MissingPackagesError
from keras_audio_ssl_tools.offline_benchmark import build_offline_benchmark
from keras_audio_ssl_tools.offline_benchmark import check_disjoint
from keras_audio_ssl_tools.offline_benchmark import clip_io
from keras_audio_ssl_tools.offline_benchmark import environmental
from keras_audio_ssl_tools.offline_benchmark import requirements
from keras_audio_ssl_tools.offline_benchmark.midi import note_sequence_midi


@pytest.mark.parametrize(
    "package,stem,group",
    [
        ("wesnoth", "orc-hit-1", "wesnoth:orc"),
        ("wesnoth", "orc-die-3", "wesnoth:orc"),
        ("wesnoth", "orc-small-hit-2", "wesnoth:orc"),
        ("wesnoth", "human-female-die-1", "wesnoth:human-female"),
        ("wesnoth", "magic-missile-2-miss", "wesnoth:magic-missile"),
        ("wesnoth", "bow-puny-fire-miss", "wesnoth:bow"),
        ("minetest", "default_dirt_footstep.2", "minetest:default-dirt-footstep"),
        ("minetest", "fire_fire.1", "minetest:fire"),
    ],
)
def test_group_key_merges_takes_and_outcomes(package, stem, group):
    assert environmental.group_key(package, stem) == group


@pytest.mark.parametrize(
    "stem,label",
    [
        ("default_grass_footstep.1", "footsteps"),
        ("bow-puny-fire", "ranged_weapon"),
        ("magic-faeriefire", "magic"),
        ("fire_fire.2", "fire"),
        ("sword-1", "melee_weapon"),
        ("tnt_explode", "explosion"),
        ("troll-hit-2", "creature_voice"),
        ("dwarf-die-1", "human_voice"),
        ("gamestart", None),
    ],
)
def test_classify_from_file_name(stem, label):
    assert environmental.classify(stem) == label


@pytest.mark.parametrize("snr_db", [-5.0, 0.0, 12.5])
def test_mix_at_snr_reaches_the_requested_snr(snr_db):
    rng = np.random.default_rng(0)
    signal = np.sin(np.linspace(0, 200, 16000)).astype(np.float32)
    noise = rng.normal(size=16000).astype(np.float32)
    mixed = clip_io.mix_at_snr(signal, noise, snr_db)
    added = mixed - signal
    measured = 10 * np.log10(np.mean(signal.astype(np.float64) ** 2) / np.mean(added.astype(np.float64) ** 2))
    np.testing.assert_allclose(measured, snr_db, atol=1e-3)


def test_fit_length_pads_and_crops():
    x = np.arange(10, dtype=np.float32) + 1
    assert clip_io.fit_length(x, 4).tolist() == [1, 2, 3, 4]
    padded = clip_io.fit_length(x, 15, np.random.default_rng(0))
    assert len(padded) == 15 and padded.sum() == x.sum()


def test_write_clip_never_clips(tmp_path):
    import soundfile as sf

    path = str(tmp_path / "loud.wav")
    clip_io.write_clip(path, np.full(100, 3.0, np.float32))
    x, sr = sf.read(path)
    assert sr == 16000 and np.abs(x).max() <= clip_io.MAX_PEAK + 1e-4


def _parse_midi_events(data):
    assert data[:4] == b"MThd"
    fmt, ntracks, division = struct.unpack(">HHH", data[8:14])
    assert (fmt, ntracks) == (0, 1)
    track = data[22:]
    events, i, tick = [], 0, 0
    while i < len(track):
        delta = 0
        while True:
            b = track[i]
            i += 1
            delta = (delta << 7) | (b & 0x7F)
            if not b & 0x80:
                break
        tick += delta
        status = track[i]
        if status == 0xFF:
            length = track[i + 2]
            events.append((tick, "meta", track[i + 1]))
            i += 3 + length
        elif status & 0xF0 == 0xC0:
            events.append((tick, "program", track[i + 1]))
            i += 2
        else:
            events.append((tick, "on" if status & 0xF0 == 0x90 else "off", track[i + 1]))
            i += 3
    return division, events


def test_midi_notes_land_at_the_requested_times():
    division, events = _parse_midi_events(note_sequence_midi([(0.5, 1.0, 60, 100, 40), (3.0, 0.25, 72, 50, 0)]))
    ticks_per_second = division * 2  # 120 bpm
    notes = [(t / ticks_per_second, kind, value) for t, kind, value in events if kind != "meta"]
    assert notes == [(0.5, "program", 40), (0.5, "on", 60), (1.5, "off", 60),
                     (3.0, "program", 0), (3.0, "on", 72), (3.25, "off", 72)]
    with pytest.raises(ValueError, match="channel=9"):
        note_sequence_midi([], channel=9)


def test_missing_packages_are_named_with_the_install_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(requirements.shutil, "which", lambda name: None)
    with pytest.raises(MissingPackagesError) as info:
        build_offline_benchmark(str(tmp_path), size="tiny", tasks=["language"])
    assert info.value.missing == {"language": ["espeak-ng"]}
    assert "apt-get install -y --no-install-recommends espeak-ng" in str(info.value)
    # The tool prints the same message and exits 2.
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_offline_benchmark", os.path.join(os.path.dirname(__file__), "..", "..", "tools", "make_offline_benchmark.py"))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main(["--output", str(tmp_path), "--size", "tiny", "--tasks", "language"]) == 2
    assert "espeak-ng" in capsys.readouterr().err
    # With skip_missing the task is skipped, and the rest still builds.
    description = build_offline_benchmark(str(tmp_path), size="tiny", tasks=["language"], skip_missing=True,
                                          verbose=False)
    assert description["tasks"] == {}


def test_bad_arguments_are_value_errors(tmp_path):
    with pytest.raises(ValueError, match="size=huge"):
        build_offline_benchmark(str(tmp_path), size="huge")
    with pytest.raises(ValueError, match="tasks="):
        build_offline_benchmark(str(tmp_path), size="tiny", tasks=["nope"])


def test_check_disjoint_rejects_shared_source():
    pool = [dict(source="/a.ogg", source_sha1="abc")]
    check_disjoint(pool, {"environmental": [dict(source="/b.ogg", source_sha1="def")]})
    with pytest.raises(AssertionError, match="environmental"):
        check_disjoint(pool, {"environmental": [dict(source="/c.ogg", source_sha1="abc")]})


def test_rebuild_resumes_and_is_deterministic(tmp_path):
    if requirements.missing_packages("language"):
        pytest.skip(requirements.format_missing_message({"language": requirements.missing_packages("language")}))
    first = build_offline_benchmark(str(tmp_path / "a"), size="tiny", tasks=["language"], workers=1, verbose=False)
    manifest = (tmp_path / "a" / "language.csv").read_text()
    clip = tmp_path / "a" / manifest.splitlines()[1].split(",")[0]
    mtime = os.stat(clip).st_mtime_ns
    again = build_offline_benchmark(str(tmp_path / "a"), size="tiny", tasks=["language"], workers=1, verbose=False)
    assert os.stat(clip).st_mtime_ns == mtime  # existing clips are reused, not rewritten
    assert (tmp_path / "a" / "language.csv").read_text() == manifest
    assert again["tasks"] == first["tasks"]
    build_offline_benchmark(str(tmp_path / "b"), size="tiny", tasks=["language"], workers=1, verbose=False)
    assert (tmp_path / "b" / "language.csv").read_text() == manifest
    assert (tmp_path / "b" / clip.relative_to(tmp_path / "a")).read_bytes() == clip.read_bytes()


@pytest.mark.parametrize("ebr_db", [-6.0, 0.0, 6.0])
def test_sed_scene_events_sit_at_the_requested_ebr(tmp_path, monkeypatch, ebr_db):
    from keras_audio_ssl_tools.offline_benchmark import sed_scenes
    import soundfile as sf

    rng = np.random.default_rng(0)
    sr = clip_io.SAMPLE_RATE
    sf.write(str(tmp_path / "noise.wav"), 0.1 * rng.standard_normal(40 * sr).astype(np.float32), sr)
    sf.write(str(tmp_path / "tone.wav"), 0.5 * np.sin(2 * np.pi * 700 * np.arange(sr) / sr).astype(np.float32), sr)
    monkeypatch.setattr(sed_scenes, "background_files", lambda: {"train": [str(tmp_path / "noise.wav")], "test": []})
    index = sed_scenes.EBR_DB.index(ebr_db)
    rows = sed_scenes.run_job(str(tmp_path), "train", index, "tiny", 0, {"tone": [(str(tmp_path / "tone.wav"), "g")]})
    assert rows and {r["ebr_db"] for r in rows} == {ebr_db} and {r["label"] for r in rows} == {"tone"}
    scene, _ = sf.read(str(tmp_path / rows[0]["path"]), dtype="float32")
    assert len(scene) == 10 * sr
    background = np.ones(len(scene), bool)
    for row in rows:
        background[int(row["onset"] * sr) : int(row["offset"] * sr)] = False
    level = lambda x: np.sqrt(np.mean(np.square(x, dtype=np.float64)))  # noqa: E731
    # Inside an event: event and background powers add; the tone is exactly ebr_db above the background.
    for row in rows:
        inside = scene[int(row["onset"] * sr) + 160 : int(row["offset"] * sr) - 160]
        expected = 10 * np.log10(1 + 10 ** (ebr_db / 10))
        assert 20 * np.log10(level(inside) / level(scene[background])) == pytest.approx(expected, abs=0.5)


def test_sed_scene_ends_when_every_source_is_too_short(tmp_path, monkeypatch):
    from keras_audio_ssl_tools.offline_benchmark import sed_scenes

    import soundfile as sf

    sr = clip_io.SAMPLE_RATE
    sf.write(str(tmp_path / "noise.wav"), 0.1 * np.random.default_rng(0).standard_normal(12 * sr).astype(np.float32), sr)
    sf.write(str(tmp_path / "blip.wav"), 0.5 * np.ones(int(0.1 * sr), np.float32), sr)  # under MIN_EVENT_S
    monkeypatch.setattr(sed_scenes, "background_files", lambda: {"train": [str(tmp_path / "noise.wav")], "test": []})
    rows = sed_scenes.run_job(str(tmp_path), "train", 0, "tiny", 0, {"blip": [(str(tmp_path / "blip.wav"), "g")]})
    assert len(rows) == 1 and rows[0]["label"] is None  # a scene without events, not a hang
