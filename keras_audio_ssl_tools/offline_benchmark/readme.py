"""README written next to the benchmark, with the licence of every source package."""

import os

# package -> (what the benchmark takes from it, licence of that part as stated in
# /usr/share/doc/<package>/copyright, read by hand for Debian 12 "bookworm").
SOURCES = {
    "fluidsynth": ("renders the instrument notes (a program; no data taken)", "LGPL-2.1+"),
    "fluid-soundfont-gm": ("FluidR3_GM.sf2: instrument/pitch training split",
                           "MIT (Frank Wen: \"I hereby release Fluid under the MIT license\")"),
    "musescore-general-soundfont-small": ("MuseScore_General.sf3: instrument/pitch test split",
                                          "MIT, parts public domain or CC0"),
    "espeak-ng-data": ("espeak-ng voices and variants: keywords, language", "GPL-3+"),
    "flite": ("flite voices kal, kal16, awb, rms, slt: keywords",
              "BSD-style permissive licence of CMU / Edinburgh (\"free software\")"),
    "festival": ("festival speech synthesizer: keywords", "BSD-style permissive licence (Edinburgh)"),
    "festvox-kallpc16k": ("festival voice kal_diphone: keywords",
                          "permissive (Black and Lenzo 1998: use, copy, modify, distribute)"),
    "wesnoth-1.16-data": ("unit/weapon sound effects: environmental and SED events; ambient loops: keyword "
                          "noise and SED backgrounds",
                          "GPL-2+"),
    "minetest-data": ("game sound effects: environmental and SED events",
                      "CC-BY-SA-3.0; doors, tnt and some other sounds CC0-1.0"),
    "ktuberling-data": ("spoken words in many languages: pretraining pool (speech)", "GPL-2+"),
    "klettres-data": ("spoken letters and syllables in many languages: pretraining pool (speech)",
                      "GPL-2+"),
    "xmoto-data": ("soundtrack: pretraining pool (music)", "GPL-2+"),
    "extremetuxracer-data": ("soundtrack: pretraining pool (music)", "GPL-2+"),
}

TEMPLATE = """# Offline audio benchmark

Built by `tools/make_offline_benchmark.py --size {size} --seed {seed}` from audio that
Debian packages ship (real recordings, soundfont renders and speech synthesizers); no
download. All clips are 16 kHz mono 16-bit WAV. Each task has a manifest `<task>.csv`
with columns `path,label,split[,fold][,group]` (paths relative to the CSV);
`provenance/<task>.csv` adds the source of every clip; `benchmark.json` describes the
tasks. Generation: {wall} s wall, {cpu} CPU-s with {workers} workers.

| task | type | classes | train | test | split rule |
| --- | --- | --- | --- | --- | --- |
{table}

- **instrument**: the 11 NSynth instrument families; General MIDI programs mapped to
  families, random pitch (family range) / velocity / duration, 2 s clips from note onset.
  **pitch** reuses those clips with the MIDI note as label.
- **keywords**: the 35 Speech Commands V2 words (10 in `tiny`), 1 s clips, synthesized by
  espeak-ng (English accents x voice variants, random rate and pitch), flite and festival,
  mixed with real ambient recordings (Wesnoth ambient loops; the noise files are split
  too, so test noise is never heard in training) at a random SNR of 5-20 dB.
- **language**: {languages} sentences written for this benchmark, spoken by espeak-ng
  voice variants; clips up to 4 s.
- **environmental**: Wesnoth and Minetest sound effects, classes from file names. Group
  key = package + file stem without take numbers and outcome words (hit, die, miss,
  big, small, ...): `orc-hit-1`, `orc-die-2`, `orc-small-hit-3` are group `wesnoth:orc`;
  byte-identical files share a group. Groups never straddle folds.
- **sed**: sound event detection scenes in the manner of DCASE 2016 task 2: 10-30 s
  (10 s in `tiny`) of a steady Wesnoth ambient loop (birds, campfire; split by file)
  with the environmental task's event recordings (0.3-4 s) placed one after another at
  random gaps, at an event-to-background ratio of -6, 0 or +6 dB; events of test scenes come only from
  recording groups in fold 0. `sed.csv` holds one row per event
  (`path,split,onset,offset,label,ebr_db`); the counts above are scenes.
- **pretrain_pool**: unlabeled real speech (KTuberling spoken words and KLettres spoken
  letters/syllables, many languages) and X-Moto / Extreme Tux Racer music in 4 s segments; no package that feeds a labelled task feeds
  the pool, and the builder asserts it by source path and SHA-1.

## Sources and licences

Licence of the part used, as its Debian copyright file states it:

| package | used for | licence | copyright file |
| --- | --- | --- | --- |
{licences}

The clips are derived works of these sources and keep their licences; use them for
research evaluation and keep this README with them.
"""


def copyright_file(package):
    """The package's copyright file, or a note that it is not installed."""
    path = f"/usr/share/doc/{package}/copyright"
    return f"`{path}`" if os.path.exists(path) else "(not installed: copyright file not found)"


def render(description):
    rows = []
    for task, info in description["tasks"].items():
        counts = info["counts"]
        rows.append(f"| {task} | {info['type']} | {info.get('num_classes', '-')} | "
                    f"{counts.get('train', counts.get('pretrain', 0))} | {counts.get('test', 0)} | "
                    f"{info['split_rule']} |")
    licences = "\n".join(f"| {p} | {use} | {licence} | {copyright_file(p)} |"
                         for p, (use, licence) in SOURCES.items())
    languages = description["tasks"].get("language", {}).get("classes", [])
    gen = description["generation"]
    return TEMPLATE.format(size=description["size"], seed=description["seed"], wall=gen["wall_seconds"],
                           cpu=gen["cpu_seconds"], workers=gen["workers"], table="\n".join(rows),
                           languages=", ".join(languages) or "-", licences=licences)
