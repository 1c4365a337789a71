from .spikes import *  # noqa: F403
from .spikes import __all__, _check_finite, _count_unsorted, _time_scale  # noqa: F401
