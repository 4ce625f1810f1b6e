"""Unlabeled pretraining pool: real speech (KTuberling's spoken words and
KLettres' spoken letters and syllables, both in many languages) and real music
(X-Moto and Extreme Tux Racer soundtracks cut into 4 s segments). None of these
packages feeds a labelled task."""

import glob
import os

from keras_audio_ssl_tools.offline_benchmark import clip_io

SPEECH_GLOBS = ["/usr/share/ktuberling/sounds/*/*.ogg", "/usr/share/klettres/*/*/*.ogg"]
MUSIC_GLOBS = ["/usr/share/games/xmoto/Textures/Musics/*.ogg", "/usr/share/games/etr/music/*.ogg"]
SEGMENT_S = 4.0
SPEECH_BATCH = 100


def plan_jobs(size, seed):
    rng = clip_io.job_rng(seed, "pool")
    speech = sorted(f for g in SPEECH_GLOBS for f in glob.glob(g))
    music = sorted(f for g in MUSIC_GLOBS for f in glob.glob(g))
    n_speech = {"tiny": 16, "small": 400, "full": None}[size]
    max_segments = {"tiny": 1, "small": 12, "full": None}[size]
    if n_speech is not None:
        speech = [speech[i] for i in sorted(rng.choice(len(speech), min(n_speech, len(speech)), replace=False))]
    jobs = [("pool_speech", dict(sources=speech[i : i + SPEECH_BATCH]))
            for i in range(0, len(speech), SPEECH_BATCH)]
    jobs += [("pool_music", dict(source=f, max_segments=max_segments)) for f in music[: 8 if size == "tiny" else None]]
    return jobs


def _row(rel, source, digest, kind):
    return dict(path=rel, label="", split="pretrain", group=kind, source=source, source_sha1=digest)


def run_speech_job(out_dir, sources):
    rows = []
    for source in sources:
        package = "klettres" if "/klettres/" in source else "ktuberling"
        # .../<lang>/<word>.ogg or .../<lang>/<alpha|syllab>/<letter>.ogg
        parts = os.path.splitext(source)[0].split(os.sep)
        name = "_".join(parts[parts.index(package) + (2 if package == "ktuberling" else 1):])
        rel = f"audio/pretrain_pool/speech/{package}_{name}.wav"
        dest = os.path.join(out_dir, rel)
        if not os.path.exists(dest):
            audio = clip_io.trim_silence(clip_io.read_audio(source))
            if len(audio) < 0.2 * clip_io.SAMPLE_RATE or clip_io.is_silent(audio):
                continue
            clip_io.write_clip(dest, audio[: int(2 * SEGMENT_S * clip_io.SAMPLE_RATE)])
        rows.append(_row(rel, source, clip_io.sha1_of_file(source), f"{package}-speech"))
    return rows


def run_music_job(out_dir, source, max_segments):
    package = "xmoto" if "/xmoto/" in source else "etr"
    stem = os.path.splitext(os.path.basename(source))[0]
    n = int(SEGMENT_S * clip_io.SAMPLE_RATE)
    digest = clip_io.sha1_of_file(source)
    audio = None
    rows = []
    index = 0
    while max_segments is None or index < max_segments:
        rel = f"audio/pretrain_pool/music/{package}_{stem}_{index:03d}.wav"
        dest = os.path.join(out_dir, rel)
        if not os.path.exists(dest):
            if audio is None:
                audio = clip_io.read_audio(source)
            segment = audio[index * n : (index + 1) * n]
            if len(segment) < n:
                break
            index += 1
            if clip_io.is_silent(segment):
                continue
            clip_io.write_clip(dest, segment)
        else:
            index += 1
        rows.append(_row(rel, source, digest, f"{package}-music"))
    return rows
