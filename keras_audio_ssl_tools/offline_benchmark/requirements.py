"""What each task needs from Debian packages, and a check that names what is missing."""

import glob
import shutil

# Program or file glob -> the Debian package that ships it, per task.
TASK_REQUIREMENTS = {
    "instrument": [
        ("program", "fluidsynth", "fluidsynth"),
        ("file", "/usr/share/sounds/sf2/FluidR3_GM.sf2", "fluid-soundfont-gm"),
        ("file", "/usr/share/sounds/sf3/MuseScore_General.sf3", "musescore-general-soundfont-small"),
    ],
    "keywords": [
        ("program", "espeak-ng", "espeak-ng"),
        ("program", "flite", "flite"),
        ("program", "text2wave", "festival"),
        ("file", "/usr/share/festival/voices/english/kal_diphone", "festvox-kallpc16k"),
        # Real recorded background noise (ambient loops).
        ("file", "/usr/share/games/wesnoth/*/data/core/sounds/ambient/*.ogg", "wesnoth-1.16-data"),
    ],
    "language": [
        ("program", "espeak-ng", "espeak-ng"),
    ],
    "environmental": [
        ("file", "/usr/share/games/wesnoth/*/data/core/sounds/*.ogg", "wesnoth-1.16-data"),
        ("file", "/usr/share/games/minetest/games/*/mods/*/sounds/*.ogg", "minetest-data"),
    ],
    "sed": [
        ("file", "/usr/share/games/wesnoth/*/data/core/sounds/*.ogg", "wesnoth-1.16-data"),
        ("file", "/usr/share/games/minetest/games/*/mods/*/sounds/*.ogg", "minetest-data"),
        ("file", "/usr/share/games/wesnoth/*/data/core/sounds/ambient/*.ogg", "wesnoth-1.16-data"),
    ],
    "pretrain_pool": [
        ("file", "/usr/share/ktuberling/sounds/*/*.ogg", "ktuberling-data"),
        ("file", "/usr/share/klettres/*/*/*.ogg", "klettres-data"),
        ("file", "/usr/share/games/xmoto/Textures/Musics/*.ogg", "xmoto-data"),
        ("file", "/usr/share/games/etr/music/*.ogg", "extremetuxracer-data"),
    ],
}

TASKS = tuple(TASK_REQUIREMENTS)


def missing_packages(task):
    """Sorted Debian package names whose program/file `task` needs but cannot find."""
    missing = set()
    for kind, what, package in TASK_REQUIREMENTS[task]:
        found = shutil.which(what) if kind == "program" else glob.glob(what)
        if not found:
            missing.add(package)
    return sorted(missing)


def missing_by_task(tasks):
    return {t: missing_packages(t) for t in tasks if missing_packages(t)}


def format_missing_message(missing):
    """Human message naming missing packages per task and the exact install line."""
    packages = sorted({p for ps in missing.values() for p in ps})
    lines = ["The offline benchmark needs Debian packages that are not installed:"]
    for task, ps in missing.items():
        lines.append(f"  {task}: {', '.join(ps)}")
    lines.append("Install them with:")
    lines.append(f"  sudo apt-get install -y --no-install-recommends {' '.join(packages)}")
    lines.append(
        "(all packages: tools/offline_benchmark_apt_packages.txt), or pass "
        "--skip-missing to build only the tasks whose packages are present."
    )
    return "\n".join(lines)


class MissingPackagesError(RuntimeError):
    """Raised when Debian packages the benchmark needs are missing.

    `missing` maps each task to the package names it lacks."""

    def __init__(self, message, missing):
        super().__init__(message)
        self.missing = missing
