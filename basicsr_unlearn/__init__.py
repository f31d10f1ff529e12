"""basicsr_unlearn: machine unlearning for all-in-one image restoration, as a BasicSR plugin.

Importing it registers its archs, datasets, losses and models in BasicSR's
registries and makes basicsr 1.4.2 work with current torch/torchvision on CPU.
"""
import basicsr_unlearn_startup

basicsr_unlearn_startup.install()  # basicsr 1.4.2 imports a torchvision module that no longer exists

from .compat import apply as _apply_compat  # noqa: E402

_apply_compat()

from .archs import *  # noqa: F401,F403,E402
from .data import *  # noqa: F401,F403,E402
from .losses import *  # noqa: F401,F403,E402
from .models import *  # noqa: F401,F403,E402
from .version import __version__  # noqa: E402,F401
