"""heareval's predictions runner, with the one fix it needs under Lightning 1.9.

Run by `tools/hear_eval.py` inside `.venv-heareval` (same arguments as
`python -m heareval.predictions.runner`). heareval tests each model after
`trainer.fit_loop.current_epoch = best_epoch`, so that an event task's test
reuses the post-processing chosen at that epoch's validation. Lightning 1.9's
`FitLoop` has no `current_epoch`: the assignment only adds an unused attribute,
the test reads the trainer's last epoch instead, and
`epoch_best_postprocessing[epoch]` raises KeyError. Here `FitLoop.current_epoch`
becomes the property heareval expects, reading and setting the epoch counter that
`trainer.current_epoch` reports. Nothing in site-packages is edited.
"""

import os
import sys

# Lightning's checkpoints pickle the optimiser class; torch >= 2.6 loads only weights by default.
os.environ.setdefault("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")

from pytorch_lightning.loops.fit_loop import FitLoop  # noqa: E402


def _completed_epochs(loop):
    return loop.epoch_progress.current.completed


def _set_completed_epochs(loop, epoch):
    loop.epoch_progress.current.completed = epoch


if not isinstance(getattr(FitLoop, "current_epoch", None), property):
    FitLoop.current_epoch = property(_completed_epochs, _set_completed_epochs)

from heareval.predictions.runner import runner  # noqa: E402

if __name__ == "__main__":
    sys.exit(runner())
