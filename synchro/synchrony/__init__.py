from .pairwise import *  # noqa: F403
from .pairwise import __all__, _elephant_bins, _pair_plan, _Result  # noqa: F401
