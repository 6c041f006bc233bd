r"""Copying a model between ``nnlib`` and PyTorch, number for number.

:func:`to_torch` builds a ``torch.nn.Sequential`` equivalent to an ``nnlib``
:class:`~nnlib.Sequential` of :class:`~nnlib.Dense` layers and activations,
with the same weights; :func:`from_torch` goes the other way. The only real
difference between the two libraries' fully connected layers is the weight
layout: ``nnlib`` stores :math:`W` as ``(in, out)`` so that a batch reads
:math:`Y = XW + \mathbf 1 b^\top`, PyTorch's ``nn.Linear`` stores ``weight``
as ``(out, in)`` and computes :math:`Y = X\,\mathrm{weight}^\top + \mathbf 1 b^\top`,
hence

.. math:: \mathrm{weight} = W^\top .

torch is imported inside the functions, so ``import nnlib`` still needs only
numpy.
"""
from __future__ import annotations

import numpy as np

from ._validate import FLOAT_DTYPES
from .layers import Dense, Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .module import Sequential

__all__ = ["to_torch", "from_torch", "linear_weight"]

_ACTIVATIONS = {ReLU: "ReLU", Sigmoid: "Sigmoid", Tanh: "Tanh", Identity: "Identity"}


def _torch():
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is in the book's requirements
        raise ImportError("nnlib.interop needs PyTorch: pip install torch") from None
    return torch


def linear_weight(W):
    r"""The ``nn.Linear.weight`` that matches an ``nnlib`` weight ``W``.

    Parameters
    ----------
    W : ndarray, shape (in_features, out_features)

    Returns
    -------
    ndarray, shape (out_features, in_features)
        :math:`W^\top`, a contiguous copy with ``W``'s dtype.

    Examples
    --------
    >>> linear_weight(np.arange(6.0).reshape(3, 2))
    array([[0., 2., 4.],
           [1., 3., 5.]])
    """
    W = np.asarray(W)
    if W.ndim != 2:
        raise ValueError(f"W must have shape (in_features, out_features), got shape {W.shape}")
    return np.ascontiguousarray(W.T)


def _torch_dtype(torch, dtype):
    dt = np.dtype(dtype)
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be np.float32 or np.float64, got {dt}")
    return torch.float64 if dt == np.float64 else torch.float32


def to_torch(model, dtype=None):
    r"""A ``torch.nn.Sequential`` that computes what ``model`` computes.

    Parameters
    ----------
    model : nnlib.Sequential or nnlib.Dense
        Made of :class:`~nnlib.Dense`, :class:`~nnlib.ReLU`,
        :class:`~nnlib.Sigmoid`, :class:`~nnlib.Tanh`,
        :class:`~nnlib.LeakyReLU` and :class:`~nnlib.Identity` modules.
    dtype : np.float32 or np.float64, optional
        Of the torch parameters; by default that of the first Dense layer.

    Returns
    -------
    torch.nn.Sequential
        One ``nn.Linear`` per Dense (``weight = W.T``, ``bias = b``) and the
        matching activation modules, in the same order, on the CPU. The
        weights are copies: training one model leaves the other unchanged.

    Examples
    --------
    >>> from nnlib import Dense, ReLU, Sequential
    >>> net = to_torch(Sequential(Dense(4, 3, rng=0), ReLU(), Dense(3, 2, rng=1)))
    >>> net
    Sequential(
      (0): Linear(in_features=4, out_features=3, bias=True)
      (1): ReLU()
      (2): Linear(in_features=3, out_features=2, bias=True)
    )
    """
    torch = _torch()
    modules = [model] if isinstance(model, Dense) else model
    if not isinstance(model, (Sequential, Dense)):
        raise TypeError(f"model must be an nnlib.Sequential or nnlib.Dense, got {type(model).__name__}")
    dense = [m for m in modules if isinstance(m, Dense)]
    if dtype is None:
        dtype = dense[0].dtype if dense else np.float64
    tdtype = _torch_dtype(torch, dtype)
    layers = []
    for i, m in enumerate(modules):
        if isinstance(m, Dense):
            lin = torch.nn.Linear(m.in_features, m.out_features, bias=m.b is not None, dtype=tdtype)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(linear_weight(m.W.data)))
                if m.b is not None:
                    lin.bias.copy_(torch.from_numpy(m.b.data))
            layers.append(lin)
        elif isinstance(m, LeakyReLU):
            layers.append(torch.nn.LeakyReLU(m.negative_slope))
        elif type(m) in _ACTIVATIONS:
            layers.append(getattr(torch.nn, _ACTIVATIONS[type(m)])())
        else:
            raise TypeError(
                f"to_torch: module {i} is {type(m).__name__}; supported are Dense, ReLU, Sigmoid, "
                f"Tanh, LeakyReLU and Identity")
    return torch.nn.Sequential(*layers)


def from_torch(torch_model, dtype=np.float64):
    r"""An ``nnlib.Sequential`` with the weights of a torch model.

    Parameters
    ----------
    torch_model : torch.nn.Sequential or torch.nn.Linear
        Made of ``nn.Linear``, ``nn.ReLU``, ``nn.Sigmoid``, ``nn.Tanh``,
        ``nn.LeakyReLU`` and ``nn.Identity`` (on any device).
    dtype : np.float32 or np.float64

    Returns
    -------
    nnlib.Sequential
        ``W = weight.T`` and ``b = bias`` for each ``nn.Linear``, copied to
        the CPU and converted to ``dtype``.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> model = from_torch(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh()))
    >>> model[0].W.shape
    (4, 3)
    """
    torch = _torch()
    _torch_dtype(torch, dtype)  # checks dtype
    dtype = np.dtype(dtype)
    if isinstance(torch_model, torch.nn.Linear):
        torch_model = [torch_model]
    elif not isinstance(torch_model, torch.nn.Sequential):
        raise TypeError(f"torch_model must be a torch.nn.Sequential or nn.Linear, got {type(torch_model).__name__}")
    names = {v: k for k, v in _ACTIVATIONS.items()}
    modules = []
    for i, m in enumerate(torch_model):
        if isinstance(m, torch.nn.Linear):
            has_bias = m.bias is not None
            layer = Dense(m.in_features, m.out_features, bias=has_bias, rng=0, dtype=dtype)
            layer.W.data[...] = m.weight.detach().cpu().numpy().T
            if has_bias:
                layer.b.data[...] = m.bias.detach().cpu().numpy()
            modules.append(layer)
        elif isinstance(m, torch.nn.LeakyReLU):
            modules.append(LeakyReLU(m.negative_slope))
        elif type(m).__name__ in names and type(m) is getattr(torch.nn, type(m).__name__):
            modules.append(names[type(m).__name__]())
        else:
            raise TypeError(
                f"from_torch: module {i} is {type(m).__name__}; supported are Linear, ReLU, Sigmoid, "
                f"Tanh, LeakyReLU and Identity")
    return Sequential(*modules)
