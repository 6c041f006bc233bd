"""nnlib: the neural-network library of the interactive textbook.

Small, readable and tested against PyTorch and scikit-learn. Only numpy is
needed to import it; torch, matplotlib, ipywidgets and scikit-learn are used
by optional parts (experiments, data sets) and imported only when needed.
"""
from . import activations, losses  # noqa: F401
from .activations import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .module import Module, Parameter, Sequential
from .layers import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from . import optim, gradcheck, data, metrics, train, init, sizes  # noqa: F401
from . import diagnostics, clip  # noqa: F401  (deep networks chapter)
from . import autograd  # noqa: F401  (backpropagation chapter)

__version__ = "0.1.0"

__all__ = (
    ["Module", "Parameter", "Sequential"]
    + activations.__all__
    + losses.__all__
    + layers.__all__  # noqa: F405
    + norm.__all__  # noqa: F405
    + ["optim", "gradcheck", "data", "metrics", "train", "init", "sizes"]
)
__all__ += ["diagnostics", "clip"]  # deep networks chapter
__all__ += ["autograd"]  # backpropagation chapter
from . import regularization  # noqa: F401,E402  (digit classifier chapter)
__all__ += ["regularization"]  # digit classifier chapter
from . import interop, distributed  # noqa: F401,E402  (frameworks chapter; torch imported lazily)
__all__ += ["interop", "distributed"]  # frameworks chapter
