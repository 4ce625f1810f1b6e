"""Synthetic sound event detection scenes, in the manner of DCASE 2016 task 2.

DCASE 2016 task 2 mixed isolated event recordings into background noise at known
onsets, at event-to-background ratios (EBR) of -6, 0 and +6 dB. Here each scene is
10-30 s (10 s in `tiny`) of a real ambient recording with events from the environmental
task's sources (at least 0.3 s after trimming silence, at most 4 s) placed one after
another at random gaps. Backgrounds: the four steady Wesnoth ambient loops (birds and
campfire, within about 15 dB of their median level), split by file between training
and test scenes; the other loops swing by 30 dB or carry event-like sounds (war drums,
ship bells) that would be unlabelled events. Events come from recordings split by group the same
way as the environmental task (group `i` of a class -> fold `i % 5`, fold 0 = test),
so no event source is heard in both training and test scenes.

EBR: the background is scaled to a fixed RMS over the scene and each event so that its
RMS over its own duration is `ebr_db` above it (a level against the whole background:
the ambient loops swell and fade, and a level against the few seconds under each event
would make some -6 dB events louder than +6 dB ones). Strong labels (`path,split,onset,offset,label,
ebr_db`) go to `sed.csv`, which `keras_audio_ssl.data.downstream.events_csv` reads.
"""

import functools
import glob
import os

import numpy as np

from keras_audio_ssl_tools.offline_benchmark import clip_io
from keras_audio_ssl_tools.offline_benchmark import environmental
from keras_audio_ssl_tools.offline_benchmark import speech

BACKGROUNDS = {"train": ("birds2", "campfire"), "test": ("birds1", "birds3")}
EBR_DB = (-6.0, 0.0, 6.0)
MAX_EVENT_S = 4.0
MIN_EVENT_S = 0.3  # shorter than ~4 frames of 80 ms: DCASE 2016's events are longer too
BACKGROUND_RMS = 0.03
SCENES = {"tiny": (8, 4), "small": (80, 30), "full": (240, 80)}  # (train, test)
SCENE_SECONDS = {"tiny": (10.0, 10.0), "small": (10.0, 30.0), "full": (10.0, 30.0)}
COLUMNS = ["path", "split", "onset", "offset", "label", "ebr_db"]


def event_pools(seed):
    """{"train"|"test": {label: [(path, group)]}} from the environmental groups."""
    pools = {"train": {}, "test": {}}
    for label, groups in environmental.grouped_sources(seed).items():
        for i, (group, paths) in enumerate(groups):
            split = "test" if i % environmental.N_FOLDS == 0 else "train"
            pools[split].setdefault(label, []).extend((path, group) for path in paths)
    return pools


def background_files():
    """{"train"|"test": [paths]} of the ambient loops in BACKGROUNDS."""
    by_stem = {os.path.splitext(os.path.basename(f))[0]: f for f in glob.glob(speech.NOISE_GLOB)}
    missing = [stem for stems in BACKGROUNDS.values() for stem in stems if stem not in by_stem]
    if missing:
        raise FileNotFoundError(f"Ambient loops {missing} not found ({speech.NOISE_GLOB}; Debian package wesnoth-1.16-data)")
    return {split: [by_stem[stem] for stem in stems] for split, stems in BACKGROUNDS.items()}


def plan_jobs(size, seed):
    n_train, n_test = SCENES[size]
    pools = event_pools(seed)  # hashes every source once, here rather than in each job
    return [("sed", dict(split=split, index=i, size=size, seed=seed, pool=pools[split]))
            for split, count in (("train", n_train), ("test", n_test)) for i in range(count)]


@functools.lru_cache(maxsize=256)
def _event_audio(path):
    """The source's sound, trimmed of silence, at most MAX_EVENT_S (with a 50 ms fade out)."""
    audio = clip_io.trim_silence(clip_io.read_audio(path))
    n = int(MAX_EVENT_S * clip_io.SAMPLE_RATE)
    if len(audio) > n:
        audio = audio[:n].copy()
        fade = int(0.05 * clip_io.SAMPLE_RATE)
        audio[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return audio


def _background(noise_path, n, rng):
    noise = clip_io.read_audio(noise_path)
    if len(noise) < n:
        noise = np.tile(noise, -(-n // len(noise)))
    noise = clip_io.fit_length(noise, n, rng)
    return (noise * (BACKGROUND_RMS / max(clip_io.rms(noise), 1e-9))).astype(np.float32)


def run_job(out_dir, split, index, size, seed, pool):
    rng = clip_io.job_rng(seed, "sed", split, index)
    low, high = SCENE_SECONDS[size]
    n = int(round(rng.uniform(low, high) * clip_io.SAMPLE_RATE))
    ebr = EBR_DB[index % len(EBR_DB)]
    noises = background_files()[split]
    noise_path = noises[int(rng.integers(len(noises)))]
    labels = sorted(pool)
    rel = f"audio/sed/{split}/scene_{index:03d}.wav"
    scene = _background(noise_path, n, rng)
    events = []
    cursor = rng.uniform(0.5, 2.0)
    end = n - int(0.5 * clip_io.SAMPLE_RATE)  # no event ends in the last 0.5 s
    # Bounded by the cursor, not by placed events: a pool of only too-short sources ends the scene.
    while int(cursor * clip_io.SAMPLE_RATE) < end:
        label = labels[int(rng.integers(len(labels)))]
        source, group = pool[label][int(rng.integers(len(pool[label])))]
        event = _event_audio(source)
        if len(event) < MIN_EVENT_S * clip_io.SAMPLE_RATE or clip_io.is_silent(event):
            cursor += 0.5
            continue
        start = int(cursor * clip_io.SAMPLE_RATE)
        if start + len(event) > end:
            break
        gain = BACKGROUND_RMS * 10 ** (ebr / 20) / max(clip_io.rms(event), 1e-9)
        scene[start : start + len(event)] += gain * event
        events.append(dict(path=rel, split=split, onset=round(start / clip_io.SAMPLE_RATE, 4),
                           offset=round((start + len(event)) / clip_io.SAMPLE_RATE, 4), label=label, ebr_db=ebr,
                           source=source, source_sha1=clip_io.sha1_of_file(source),
                           noise=os.path.basename(noise_path), group=group))
        cursor = (start + len(event)) / clip_io.SAMPLE_RATE + rng.uniform(0.5, 3.0)
    dest = os.path.join(out_dir, rel)
    if not os.path.exists(dest):
        clip_io.write_clip(dest, scene)
    if not events:
        return [dict(path=rel, split=split, onset=None, offset=None, label=None, ebr_db=ebr,
                     noise=os.path.basename(noise_path))]
    return events
