"""Keyword-spotting and language-identification clips from speech synthesizers.

Speakers are synthesizer voices: espeak-ng accents x voice variants, the flite
voices and festival's kal_diphone. Splits are by voice, so no test voice is
ever heard in training.
"""

import glob
import os
import tempfile

import numpy as np

from keras_audio_ssl_tools.offline_benchmark import clip_io
from keras_audio_ssl_tools.offline_benchmark.sentences import SENTENCES

# The 35 words of Speech Commands V2 (Warden, 2018); the first ten are its core commands.
CORE_WORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
EXTRA_WORDS = ["backward", "bed", "bird", "cat", "dog", "follow", "forward", "happy",
               "house", "learn", "marvin", "sheila", "tree", "visual", "wow"]
ENGLISH_ACCENTS = ["en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp",
                   "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc"]
FLITE_VOICES = ["kal", "kal16", "awb", "rms", "slt"]
FESTIVAL_VOICES = ["kal_diphone"]
NOISE_GLOB = "/usr/share/games/wesnoth/*/data/core/sounds/ambient/*.ogg"
KEYWORD_SNR_DB = (5.0, 20.0)
KEYWORD_CLIP_S = 1.0
LANGUAGE_MAX_S = 4.0
TEST_FRACTION = 0.25


def espeak_variants():
    """espeak-ng voice variants shipped by espeak-ng-data (names without spaces)."""
    dirs = glob.glob("/usr/lib/*/espeak-ng-data/voices/!v") + glob.glob(
        "/usr/share/espeak-ng-data/voices/!v")
    names = sorted({n for d in dirs for n in os.listdir(d) if " " not in n})
    # Whispered variants have no pitch; they are kept out so every voice is voiced.
    return [n for n in names if not n.startswith("whisper")]


def split_voices(voices, rng):
    """Holds out TEST_FRACTION of `voices` (at least one when there are two or more)."""
    voices = list(voices)
    order = rng.permutation(len(voices))
    n_test = max(1, int(round(TEST_FRACTION * len(voices)))) if len(voices) >= 2 else 0
    test = {voices[i] for i in order[:n_test]}
    return {v: ("test" if v in test else "train") for v in voices}


def synthesize(engine, voice, text, rng, tmp):
    """16 kHz mono float32 speech of `text`; speaking rate and pitch drawn from rng."""
    wav = os.path.join(tmp, "speech.wav")
    if engine == "espeak":
        speed, pitch = int(rng.integers(130, 200)), int(rng.integers(25, 75))
        clip_io.run_program(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", wav, text])
    elif engine == "flite":
        stretch = f"{rng.uniform(0.8, 1.25):.2f}"
        clip_io.run_program(["flite", "-voice", voice, "--setf", f"duration_stretch={stretch}",
                             "-t", text, "-o", wav])
    elif engine == "festival":
        clip_io.run_program(["text2wave", "-o", wav, "-eval", f"(voice_{voice})"], input=text.encode())
    else:
        raise ValueError(f"Unknown synthesizer. Received: engine={engine}")
    return clip_io.trim_silence(clip_io.read_audio(wav))


def keyword_voices(size, seed):
    rng = clip_io.job_rng(seed, "keyword-voices")
    n_espeak = {"tiny": 4, "small": 24, "full": 80}[size]
    variants = espeak_variants()
    combos = [(a, v) for a in ENGLISH_ACCENTS for v in variants]
    picked = [combos[i] for i in sorted(rng.choice(len(combos), n_espeak, replace=False))]
    espeak = [("espeak", f"{a}+{v}") for a, v in picked]
    flite = [("flite", v) for v in (FLITE_VOICES[::4] if size == "tiny" else FLITE_VOICES)]
    festival = [("festival", v) for v in FESTIVAL_VOICES]
    splits = {}
    for group in (espeak, flite, festival):
        splits.update(split_voices(group, rng))
    return splits


def keyword_words(size):
    return CORE_WORDS if size == "tiny" else CORE_WORDS + DIGITS + EXTRA_WORDS


def noise_files():
    """Real ambient recordings, split by file so test noise is never heard in training."""
    files = sorted(glob.glob(NOISE_GLOB))
    return {"train": [f for i, f in enumerate(files) if i % 3], "test": files[::3]}


def plan_keyword_jobs(size, seed):
    words = keyword_words(size)
    return [("keywords", dict(engine=e, voice=v, split=s, words=words, seed=seed))
            for (e, v), s in sorted(keyword_voices(size, seed).items())]


def run_keyword_job(out_dir, engine, voice, split, words, seed):
    rng = clip_io.job_rng(seed, "keywords", engine, voice)
    noises = noise_files()[split]
    noise_audio = None
    rows = []
    n = int(KEYWORD_CLIP_S * clip_io.SAMPLE_RATE)
    voice_id = f"{engine}-{voice}".replace("+", "_")
    with tempfile.TemporaryDirectory() as tmp:
        for word in words:
            # Draws happen even for existing clips so a resumed run stays identical.
            noise_index = int(rng.integers(len(noises)))
            snr = float(rng.uniform(*KEYWORD_SNR_DB))
            sub_seed = int(rng.integers(2**31))
            rel = f"audio/keywords/{word}/{voice_id}.wav"
            dest = os.path.join(out_dir, rel)
            if not os.path.exists(dest):
                r = np.random.default_rng(sub_seed)
                speech = synthesize(engine, voice, word, r, tmp)
                if clip_io.is_silent(speech):
                    continue
                speech = clip_io.peak_normalize(clip_io.fit_length(speech, n, r), 0.7)
                if noise_audio is None:
                    noise_audio = [clip_io.read_audio(f) for f in noises]
                noise = clip_io.fit_length(noise_audio[noise_index], n, r)
                clip_io.write_clip(dest, clip_io.mix_at_snr(speech, noise, snr))
            rows.append(dict(path=rel, label=word, split=split, group=voice_id,
                             source=f"{engine}:{voice}", noise=os.path.basename(noises[noise_index]),
                             snr_db=round(snr, 2)))
    return rows


def plan_language_jobs(size, seed):
    rng = clip_io.job_rng(seed, "language-voices")
    languages = list(SENTENCES)[: 5 if size == "tiny" else None]
    n_variants = {"tiny": 4, "small": 12, "full": 32}[size]
    n_sentences = {"tiny": 3, "small": 6, "full": 10}[size]
    variants = espeak_variants()
    picked = [variants[i] for i in sorted(rng.choice(len(variants), n_variants, replace=False))]
    splits = split_voices(picked, rng)
    return [("language", dict(language=lang, variant=v, split=s, n_sentences=n_sentences, seed=seed))
            for lang in languages for v, s in sorted(splits.items())]


def run_language_job(out_dir, language, variant, split, n_sentences, seed):
    rng = clip_io.job_rng(seed, "language", language, variant)
    rows = []
    max_n = int(LANGUAGE_MAX_S * clip_io.SAMPLE_RATE)
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate(SENTENCES[language][:n_sentences]):
            sub_seed = int(rng.integers(2**31))
            rel = f"audio/language/{language}/{variant}_s{i:02d}.wav"
            dest = os.path.join(out_dir, rel)
            if not os.path.exists(dest):
                r = np.random.default_rng(sub_seed)
                speech = synthesize("espeak", f"{language}+{variant}", text, r, tmp)
                if clip_io.is_silent(speech):
                    continue
                clip_io.write_clip(dest, clip_io.peak_normalize(speech[:max_n], 0.8))
            rows.append(dict(path=rel, label=language, split=split, group=f"espeak-{variant}",
                             source=f"espeak:{language}+{variant}"))
    return rows
