"""Environmental sound classes from real recorded game sound effects.

Sources: Battle for Wesnoth's unit/weapon sounds and Minetest's game sounds.
Classes come from file names (ordered regular expressions, first match wins).

Group key (folds never split a group): the file stem, lower-cased, with take
numbers removed (`orc-hit-1`, `default_dirt_footstep.2`) and outcome/size words
removed (hit, die, miss, attack, big, small, ...), prefixed by the package. So
`orc-hit-1.ogg`, `orc-die-2.ogg` and `orc-small-hit-3.ogg` are one group
("wesnoth:orc") and `mace.ogg`/`mace.wav` are one group. Files whose bytes are
identical are merged into one group too. Whole groups go to folds, class by
class, round robin in a seeded order starting at fold 0, which is the test
split; classes with fewer than two groups are left out.
"""

import glob
import os
import re

from keras_audio_ssl_tools.offline_benchmark import clip_io

SOURCES = {
    "wesnoth": "/usr/share/games/wesnoth/*/data/core/sounds/*",
    "minetest": "/usr/share/games/minetest/games/minetest_game/mods/*/sounds/*",
}

CLASS_RULES = [
    ("footsteps", r"footstep"),
    ("door", r"door|fencegate|chest"),
    ("digging", r"(^|_)(dig|dug)(_|$)|place_node|break_glass|tool_breaks"),
    ("ranged_weapon", r"^(bow|crossbow|sling|throwing-knife|dart|throw|thunderstick|gunshot|dragonstick)\b"),
    ("magic", r"^(magic|magicmissile|lightning|heal|entangle|petrified|slowed|poison|ink|mud)\b"),
    ("explosion", r"explo|cave-in|rumble"),
    ("fire", r"fire|flame|lava|torch|fuse|burning|flint"),
    ("melee_weapon", r"^(sword|axe|club|mace|flail|spear|staff|dagger|knife|hatchet|fist|claws|bite|pincers|tail|squishy)\b"),
    ("human_voice", r"^(human|dwarf|elf|groan|ugg)\b|player_damage"),
    ("creature_voice", r"^(orc|troll|ogre|goblin|skeleton|zombie|lich|naga|drake|gryphon|wolf|yeti|wose|tusker|horse|bat|mermaid|mermen|hiss|ghoul|wail)\b"),
    ("water", r"water"),
]

OUTCOME_WORDS = {"hit", "die", "miss", "attack", "strike", "laugh", "shriek", "growl", "charge",
                 "canter", "flapping", "swish", "puny", "big", "small", "sml", "long", "fire"}
MAX_CLIP_S = 5.0
N_FOLDS = 5


def classify(stem):
    for label, pattern in CLASS_RULES:
        if re.search(pattern, stem):
            return label
    return None


def group_key(package, stem):
    """Recording group of a file stem (see module docstring)."""
    tokens = [t for t in re.split(r"[-_.]", stem.lower()) if t and not t.isdigit()]
    kept = [t for i, t in enumerate(tokens) if i == 0 or t not in OUTCOME_WORDS]
    return f"{package}:{'-'.join(kept)}"


def list_sources():
    """[(package, path, label, group)] for every classified source file."""
    out = []
    for package, pattern in SOURCES.items():
        for path in sorted(glob.glob(pattern)):
            stem, ext = os.path.splitext(os.path.basename(path))
            if ext.lower() not in (".ogg", ".wav", ".flac"):
                continue
            label = classify(stem.lower())
            if label:
                out.append((package, path, label, group_key(package, stem)))
    return out


def grouped_sources(seed):
    """{label: [(group, [paths])]} in a seeded order, for classes with at least two groups.

    Group `i` of a class goes to fold `i % N_FOLDS` (fold 0 = test): the
    environmental task and the SED scenes split recordings the same way.
    """
    rng = clip_io.job_rng(seed, "environmental-folds")
    sources = list_sources()
    # Byte-identical files join the group of the first one seen.
    by_hash, groups = {}, {}
    for package, path, label, group in sources:
        digest = clip_io.sha1_of_file(path)
        groups[path] = by_hash.setdefault(digest, group)
    per_class = {}
    for package, path, label, _ in sources:
        per_class.setdefault(label, {}).setdefault(groups[path], []).append(path)
    out = {}
    for label in sorted(per_class):
        names = sorted(per_class[label])
        if len(names) < 2:
            continue  # a class needs a group in the test fold and one in training
        out[label] = [(names[i], per_class[label][names[i]]) for i in rng.permutation(len(names))]
    return out


def plan_jobs(size, seed):
    max_groups = {"tiny": 2, "small": 6, "full": None}[size]
    max_files = {"tiny": 1, "small": 3, "full": None}[size]
    jobs = []
    for label, groups in grouped_sources(seed).items():
        for i, (group, paths) in enumerate(groups[:max_groups]):
            fold = i % N_FOLDS
            for path in paths[:max_files]:
                jobs.append(("environmental", dict(source=path, label=label, group=group, fold=fold)))
    return jobs


def run_job(out_dir, source, label, group, fold):
    stem = os.path.splitext(os.path.basename(source))[0]
    ext = os.path.splitext(source)[1][1:]
    package = group.split(":")[0]
    rel = f"audio/environmental/{label}/{package}_{stem}_{ext}.wav"
    dest = os.path.join(out_dir, rel)
    if not os.path.exists(dest):
        audio = clip_io.trim_silence(clip_io.read_audio(source))[: int(MAX_CLIP_S * clip_io.SAMPLE_RATE)]
        if len(audio) < 0.1 * clip_io.SAMPLE_RATE or clip_io.is_silent(audio):
            return []
        clip_io.write_clip(dest, audio)
    return [dict(path=rel, label=label, split="test" if fold == 0 else "train", fold=fold,
                 group=group, source=source, source_sha1=clip_io.sha1_of_file(source))]
