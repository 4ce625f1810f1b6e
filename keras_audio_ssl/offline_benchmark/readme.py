"""README written next to the benchmark, with the licence of every source package."""

import os
import re

# package -> what the benchmark takes from it
SOURCES = {
    "fluidsynth": "renders the instrument notes (program, not data)",
    "fluid-soundfont-gm": "FluidR3_GM.sf2: instrument/pitch training split",
    "musescore-general-soundfont-small": "MuseScore_General.sf3: instrument/pitch test split",
    "espeak-ng-data": "espeak-ng voices and variants: keywords, language",
    "flite": "flite voices kal, kal16, awb, rms, slt: keywords",
    "festival": "festival speech synthesizer: keywords",
    "festvox-kallpc16k": "festival voice kal_diphone: keywords",
    "wesnoth-1.16-data": "unit/weapon sound effects: environmental; ambient loops: keyword background noise",
    "minetest-data": "game sound effects: environmental",
    "ktuberling-data": "spoken words in many languages: pretraining pool (speech)",
    "klettres-data": "spoken letters and syllables in many languages: pretraining pool (speech)",
    "xmoto-data": "soundtrack: pretraining pool (music)",
    "extremetuxracer-data": "soundtrack: pretraining pool (music)",
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
- **pretrain_pool**: unlabeled real speech (KTuberling spoken words and KLettres spoken
  letters/syllables, many languages) and X-Moto / Extreme Tux Racer music in 4 s segments; no package that feeds a labelled task feeds
  the pool, and the builder asserts it by source path and SHA-1.

## Sources and licences

From each package's `/usr/share/doc/<package>/copyright`:

| package | used for | licences named in its copyright file |
| --- | --- | --- |
{licences}

The clips are derived works of these sources and keep their licences; use them for
research evaluation and keep this README with them.
"""


def licences_of(package):
    path = f"/usr/share/doc/{package}/copyright"
    if not os.path.exists(path):
        return "(copyright file not found)"
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    names = []
    for name in re.findall(r"^License:[ \t]*(\S.*)$", text, flags=re.M):
        name = name.strip()
        if name and name not in names:
            names.append(name)
    if names:
        return ", ".join(names)
    # Copyright files without machine-readable fields: name the licence they cite.
    cited = re.findall(r"(GPL-?\d|LGPL-?\d|BSD|MIT|public domain|Creative Commons[^.\n]*)", text, flags=re.I)
    return ", ".join(dict.fromkeys(c.strip() for c in cited)) or "see copyright file"


def render(description):
    rows = []
    for task, info in description["tasks"].items():
        counts = info["counts"]
        rows.append(f"| {task} | {info['type']} | {info.get('num_classes', '-')} | "
                    f"{counts.get('train', counts.get('pretrain', 0))} | {counts.get('test', 0)} | "
                    f"{info['split_rule']} |")
    licences = "\n".join(f"| {p} | {use} | {licences_of(p)} |" for p, use in SOURCES.items())
    languages = description["tasks"].get("language", {}).get("classes", [])
    gen = description["generation"]
    return TEMPLATE.format(size=description["size"], seed=description["seed"], wall=gen["wall_seconds"],
                           cpu=gen["cpu_seconds"], workers=gen["workers"], table="\n".join(rows),
                           languages=", ".join(languages) or "-", licences=licences)
