"""Initial values for weight matrices.

Every function here has the same signature, ``f(fan_in, fan_out, rng=None,
*, dtype=np.float64, ...)``, and returns a fresh array of shape
``(fan_in, fan_out)``, the book's ``(in, out)`` layout used by
:class:`nnlib.Dense`. Pass one of them as ``Dense(..., init=f)``; use
:func:`functools.partial` to fix ``gain`` or ``std``.

Why the scale matters: a layer ``y = x @ W`` with independent zero-mean
weights of variance :math:`\\sigma^2` multiplies the variance of its input by
about :math:`n_{in}\\sigma^2` on the way forward and the variance of the
gradient by about :math:`n_{out}\\sigma^2` on the way back. Glorot & Bengio
(2010) choose :math:`\\sigma^2 = 2/(n_{in}+n_{out})` to keep both close to
one for tanh-like units; He et al. (2015) choose :math:`\\sigma^2 = 2/n_{in}`
because a ReLU zeroes half of its inputs and so halves the variance.

References
----------
Glorot, X. & Bengio, Y. (2010). Understanding the difficulty of training deep
feedforward neural networks. AISTATS.

He, K., Zhang, X., Ren, S. & Sun, J. (2015). Delving deep into rectifiers:
surpassing human-level performance on ImageNet classification. ICCV.
"""
from __future__ import annotations

import numpy as np

from ._validate import FLOAT_DTYPES, as_rng, check_number

__all__ = [
    "default_uniform",
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "normal",
    "zeros",
]


def _check_fans(fan_in, fan_out):
    check_number(fan_in, "fan_in", low=1, integer=True)
    check_number(fan_out, "fan_out", low=1, integer=True)
    return (int(fan_in), int(fan_out))


def _check_dtype(dtype) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be float32 or float64, got {dt}")
    return dt


def _uniform(bound, shape, rng, dtype):
    return as_rng(rng).uniform(-bound, bound, size=shape).astype(_check_dtype(dtype))


def _normal(std, shape, rng, dtype):
    return as_rng(rng).normal(0.0, std, size=shape).astype(_check_dtype(dtype))


def default_uniform(fan_in, fan_out, rng=None, *, dtype=np.float64):
    """PyTorch's default for ``nn.Linear``: :math:`U(-1/\\sqrt{n_{in}}, 1/\\sqrt{n_{in}})`.

    Returns
    -------
    W : ndarray, shape (fan_in, fan_out)

    Notes
    -----
    .. math:: W_{ij} \\sim U(-a, a),\\quad a = \\frac{1}{\\sqrt{n_{in}}},
              \\quad \\operatorname{Var} W_{ij} = \\frac{1}{3 n_{in}}
    """
    shape = _check_fans(fan_in, fan_out)
    return _uniform(1.0 / np.sqrt(shape[0]), shape, rng, dtype)


def xavier_uniform(fan_in, fan_out, rng=None, *, gain=1.0, dtype=np.float64):
    """Glorot & Bengio (2010) uniform initialisation (also called Xavier).

    Parameters
    ----------
    fan_in, fan_out : int
        Number of inputs and outputs of the layer.
    rng : None, int or numpy.random.Generator
    gain : float
        Scale for the nonlinearity that follows (1 for tanh/identity).
    dtype : float32 or float64

    Returns
    -------
    W : ndarray, shape (fan_in, fan_out)

    Notes
    -----
    .. math:: W_{ij} \\sim U(-a, a),\\quad
              a = g\\sqrt{\\frac{6}{n_{in}+n_{out}}},\\quad
              \\operatorname{Var} W_{ij} = \\frac{2 g^2}{n_{in}+n_{out}}

    Examples
    --------
    >>> xavier_uniform(3, 4, rng=0).shape
    (3, 4)
    """
    shape = _check_fans(fan_in, fan_out)
    check_number(gain, "gain", low=0, low_open=True)
    return _uniform(gain * np.sqrt(6.0 / (shape[0] + shape[1])), shape, rng, dtype)


def xavier_normal(fan_in, fan_out, rng=None, *, gain=1.0, dtype=np.float64):
    """Glorot & Bengio (2010) normal initialisation.

    Returns
    -------
    W : ndarray, shape (fan_in, fan_out)

    Notes
    -----
    .. math:: W_{ij} \\sim \\mathcal N(0, \\sigma^2),\\quad
              \\sigma = g\\sqrt{\\frac{2}{n_{in}+n_{out}}}
    """
    shape = _check_fans(fan_in, fan_out)
    check_number(gain, "gain", low=0, low_open=True)
    return _normal(gain * np.sqrt(2.0 / (shape[0] + shape[1])), shape, rng, dtype)


def he_uniform(fan_in, fan_out, rng=None, *, gain=np.sqrt(2.0), dtype=np.float64):
    """He et al. (2015) uniform initialisation (also called Kaiming), for ReLU layers.

    The default ``gain`` :math:`\\sqrt 2` suits ReLU; for a leaky ReLU with
    slope :math:`a` use :math:`\\sqrt{2/(1+a^2)}`.

    Returns
    -------
    W : ndarray, shape (fan_in, fan_out)

    Notes
    -----
    .. math:: W_{ij} \\sim U(-a, a),\\quad a = g\\sqrt{\\frac{3}{n_{in}}},\\quad
              \\operatorname{Var} W_{ij} = \\frac{g^2}{n_{in}} = \\frac{2}{n_{in}}
    """
    shape = _check_fans(fan_in, fan_out)
    check_number(gain, "gain", low=0, low_open=True)
    return _uniform(gain * np.sqrt(3.0 / shape[0]), shape, rng, dtype)


def he_normal(fan_in, fan_out, rng=None, *, gain=np.sqrt(2.0), dtype=np.float64):
    """He et al. (2015) normal initialisation, for ReLU layers.

    Returns
    -------
    W : ndarray, shape (fan_in, fan_out)

    Notes
    -----
    .. math:: W_{ij} \\sim \\mathcal N(0, \\sigma^2),\\quad \\sigma = \\frac{g}{\\sqrt{n_{in}}}
    """
    shape = _check_fans(fan_in, fan_out)
    check_number(gain, "gain", low=0, low_open=True)
    return _normal(gain / np.sqrt(shape[0]), shape, rng, dtype)


kaiming_uniform = he_uniform
kaiming_normal = he_normal


def normal(fan_in, fan_out, rng=None, *, std=0.01, dtype=np.float64):
    """Independent :math:`\\mathcal N(0, \\sigma^2)` weights with a fixed ``std``.

    Returns
    -------
    W : ndarray, shape (fan_in, fan_out)

    Notes
    -----
    .. math:: W_{ij} \\sim \\mathcal N(0, \\sigma^2)
    """
    shape = _check_fans(fan_in, fan_out)
    check_number(std, "std", low=0)
    return _normal(std, shape, rng, dtype)


def zeros(fan_in, fan_out, rng=None, *, dtype=np.float64):
    """All-zero weights (``rng`` is ignored).

    Useful to show why a hidden layer must not start symmetric: every unit
    then receives the same gradient and they stay identical.

    Returns
    -------
    W : ndarray, shape (fan_in, fan_out)
    """
    return np.zeros(_check_fans(fan_in, fan_out), dtype=_check_dtype(dtype))
