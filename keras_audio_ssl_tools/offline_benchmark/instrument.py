"""NSynth-like instrument-family and pitch clips rendered from GM soundfonts.

Each General MIDI program is mapped to one of the 11 NSynth instrument families
(Engel et al., "Neural Audio Synthesis of Musical Notes with WaveNet
Autoencoders", 2017). All notes of one soundfont go into one MIDI file, spaced
apart, which fluidsynth renders once; the notes are then cut out. One render
per font matters: loading the compressed .sf3 font alone costs seconds.
Both soundfonts play the identical note plan, so every (family, pitch) seen in
training is also in the test font: the split is by soundfont, as the task asks.
"""

import os
import tempfile

from keras_audio_ssl_tools.offline_benchmark import clip_io
from keras_audio_ssl_tools.offline_benchmark.midi import note_sequence_midi

SOUNDFONTS = {
    # name -> (path, split)
    "fluidr3": ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "train"),
    "musescore": ("/usr/share/sounds/sf3/MuseScore_General.sf3", "test"),
}

# family -> (GM programs, 0-based; lowest and highest MIDI note played)
FAMILIES = {
    "bass": (list(range(32, 40)), (28, 55)),
    "brass": (list(range(56, 62)), (45, 77)),
    "flute": (list(range(72, 80)), (60, 93)),
    "guitar": (list(range(24, 32)), (40, 76)),
    "keyboard": (list(range(0, 8)), (36, 96)),
    "mallet": (list(range(8, 16)), (55, 96)),
    "organ": (list(range(16, 21)), (36, 84)),
    "reed": (list(range(64, 72)) + [21, 22, 23], (45, 81)),
    "string": ([40, 41, 42, 43, 44, 45, 46, 48, 49], (40, 84)),
    "synth_lead": ([80, 81, 82, 83, 84, 86, 87], (40, 84)),
    "vocal": ([52, 53, 54, 85], (48, 79)),
}

NOTE_SPACING_S = 3.0  # onset to onset; long enough for release tails to die out
CLIP_S = 2.0  # NSynth notes are 4 s (3 s held); 2 s keeps generation fast
VELOCITIES = (50, 75, 100, 127)


def note_plan(size, seed):
    """[(family, program, pitch, velocity, hold_s)], identical for both fonts."""
    programs_per_family = {"tiny": 1, "small": 3, "full": None}[size]
    notes_per_program = {"tiny": 3, "small": 6, "full": 10}[size]
    plan = []
    for family, (programs, (lo, hi)) in FAMILIES.items():
        chosen = programs if programs_per_family is None else programs[:programs_per_family]
        for program in chosen:
            rng = clip_io.job_rng(seed, "instrument", program)
            for _ in range(notes_per_program):
                plan.append((family, program, int(rng.integers(lo, hi + 1)),
                             int(rng.choice(VELOCITIES)), float(rng.uniform(0.8, 1.5))))
    return plan


def plan_jobs(size, seed):
    plan = note_plan(size, seed)
    return [("instrument", dict(font=font, plan=plan)) for font in SOUNDFONTS]


def run_job(out_dir, font, plan):
    path, split = SOUNDFONTS[font]
    targets = [
        (f"audio/instrument/{font}/{family}_p{program:03d}_n{i:04d}_m{pitch:03d}_v{velocity:03d}.wav",
         i * NOTE_SPACING_S + 0.1, family, program, pitch)
        for i, (family, program, pitch, velocity, _) in enumerate(plan)
    ]
    audio = None
    if not all(os.path.exists(os.path.join(out_dir, t[0])) for t in targets):
        notes = [(onset, hold, pitch, velocity, program)
                 for (_, onset, _, _, _), (_, program, pitch, velocity, hold) in zip(targets, plan)]
        with tempfile.TemporaryDirectory() as tmp:
            mid, wav = os.path.join(tmp, "notes.mid"), os.path.join(tmp, "render.wav")
            with open(mid, "wb") as f:
                f.write(note_sequence_midi(notes))
            # -R 0 -C 0: no reverb/chorus, so each note's tail ends before the next.
            clip_io.run_program(["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.6",
                                 "-r", str(clip_io.SAMPLE_RATE), "-F", wav, path, mid])
            audio = clip_io.read_audio(wav)
    n = int(CLIP_S * clip_io.SAMPLE_RATE)
    rows = []
    for rel, onset, family, program, pitch in targets:
        dest = os.path.join(out_dir, rel)
        if audio is not None and not os.path.exists(dest):
            start = int(onset * clip_io.SAMPLE_RATE)
            clip = clip_io.fit_length(audio[start : start + n], n)
            if clip_io.is_silent(clip):
                continue  # the font has no sample for this note
            clip_io.write_clip(dest, clip)
        elif not os.path.exists(dest):
            continue
        rows.append(dict(path=rel, label=family, pitch=pitch, split=split, group=font,
                         source=f"{os.path.basename(path)}:program{program}"))
    return rows
