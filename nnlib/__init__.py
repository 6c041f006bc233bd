"""nnlib: a small neural-network library in plain numpy, readable line by line.

Every function and layer is tested number for number against PyTorch and
scikit-learn. Importing nnlib needs numpy only; scikit-learn (for
:func:`nnlib.data.load_digits`, :func:`nnlib.data.moons` and
:func:`nnlib.data.circles`) and torch (for
:mod:`nnlib.interop` and :mod:`nnlib.distributed`) are imported only by the
functions that use them.

The public API, by topic (each module's docstring says more):

Models
    :class:`Module`, :class:`Parameter`, :class:`Sequential` (:mod:`nnlib.module`);
    layers such as :class:`Dense`, :class:`Dropout`, :class:`Residual` and the
    activation layers (:mod:`nnlib.layers`); :class:`BatchNorm1d`,
    :class:`LayerNorm`, :class:`GroupNorm` (:mod:`nnlib.norm`);
    weight initialisation (:mod:`nnlib.init`).
Functions
    activation functions and their derivatives, e.g. :func:`sigmoid`,
    :func:`sigmoid_grad`, :func:`softmax` (:mod:`nnlib.activations`);
    losses and their gradients, as functions and as loss objects, e.g.
    :func:`mse`, :func:`cross_entropy`, :class:`CrossEntropyLoss`
    (:mod:`nnlib.losses`).
Training
    optimisers (:mod:`nnlib.optim`), learning-rate schedules
    (:mod:`nnlib.lr_scheduler`), gradient clipping (:mod:`nnlib.clip`),
    penalties (:mod:`nnlib.regularization`), the training loop
    :func:`nnlib.train.fit` and evaluation (:mod:`nnlib.train`).
Data and measurement
    small data sets and mini-batches (:mod:`nnlib.data`), classification
    metrics (:mod:`nnlib.metrics`), numerical gradient checks
    (:mod:`nnlib.gradcheck`).
Automatic differentiation
    a scalar reverse-mode autograd engine (:mod:`nnlib.autograd`).
Other frameworks
    copying weights to and from PyTorch (:mod:`nnlib.interop`) and
    data-parallel gradient averaging (:mod:`nnlib.distributed`).
"""
from . import activations, layers, losses, module, norm
from .activations import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .module import Module, Parameter, Sequential
from .norm import *  # noqa: F401,F403
from . import init, optim, lr_scheduler, clip, regularization, train  # noqa: F401
from . import data, metrics, gradcheck  # noqa: F401
from . import autograd  # noqa: F401
from . import interop, distributed  # noqa: F401  (torch is imported only when used)

__version__ = "0.1.0"

_MODULES = ["init", "optim", "lr_scheduler", "clip", "regularization", "train",
            "data", "metrics", "gradcheck", "autograd", "interop", "distributed"]

__all__ = (
    ["Module", "Parameter", "Sequential"]
    + layers.__all__
    + norm.__all__
    + activations.__all__
    + losses.__all__
    + _MODULES
)
