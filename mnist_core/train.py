"""The training engine's public names in one place, for callers that predate the split.

The engine room is split along its seams: ``config.py`` (settings), ``devices.py`` (where it
runs), ``loop.py`` (the parts both engines share), ``engine.py`` (``fit``), ``jobs.py`` (the
background job and the slot queue). New code imports from those modules.
"""

from .config import AUGMENT_STYLES, OPTIMIZERS, SCHEDULES, ConfigError, TrainConfig  # noqa: F401
from .devices import (autocast_dtype, cuda_ok, default_threads, describe_device, mps_ok,  # noqa: F401
                      pick_device, use_channels_last)
from .engine import (augment_batch, calibrate, evaluate, fit, outlier_bank, predict_logits,  # noqa: F401
                     soften, stroke_thickness, to_input)
from .jobs import SLOTS, THREADS_PER_JOB, JobSnapshot, SlotQueue, TrainingJob, default_slots  # noqa: F401
from .loop import (Control, TrainResult, Watchdog, collapse_message, divergence_message,  # noqa: F401
                   lr_factor, make_optimizer, snapshot_plan)
