"""Normalisation layers: BatchNorm1d, LayerNorm and GroupNorm.

All three standardise groups of entries to mean 0 and variance 1 and then
apply a learned per-feature scale ``weight`` (:math:`\\gamma`) and shift
``bias`` (:math:`\\beta`), with PyTorch's names, defaults and numbers. They
differ only in *which* entries form a group:

* :class:`BatchNorm1d`: one feature over the examples of the batch;
* :class:`LayerNorm`: all features of one example;
* :class:`GroupNorm`: a group of channels of one example.

For a group of :math:`m` entries :math:`x_i` with biased variance
:math:`\\sigma^2 = \\frac1m\\sum_i (x_i-\\mu)^2`, the standardised values and
the gradient through them (:math:`\\hat g_i = \\partial L/\\partial \\hat x_i`) are

.. math:: \\hat x_i = \\frac{x_i - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}},\\qquad
          \\frac{\\partial L}{\\partial x_i} = \\frac{1}{\\sqrt{\\sigma^2+\\epsilon}}
          \\Bigl(\\hat g_i - \\frac1m\\sum_j \\hat g_j
          - \\hat x_i\\,\\frac1m\\sum_j \\hat g_j \\hat x_j\\Bigr)
"""
from __future__ import annotations

import numpy as np

from ._validate import check_number
from .layers import _check_grad, _check_input, _dtype_repr, _layer_dtype, _saved
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "LayerNorm", "GroupNorm"]


def _standardize(x, axes, eps):
    """Return ``(x_hat, inv_std, mean, var)`` with statistics taken over ``axes`` (kept as size 1)."""
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)  # biased: divides by m, as the normalisation uses
    inv_std = 1.0 / np.sqrt(var + eps)
    return (x - mean) * inv_std, inv_std, mean, var


def _standardize_backward(grad_xhat, xhat, inv_std, axes):
    """Gradient with respect to ``x`` of ``x_hat = (x - mean) * inv_std`` (see the module docstring)."""
    mean_g = grad_xhat.mean(axis=axes, keepdims=True)
    mean_gx = (grad_xhat * xhat).mean(axis=axes, keepdims=True)
    return inv_std * (grad_xhat - mean_g - xhat * mean_gx)


def _check_eps(eps):
    return float(check_number(eps, "eps", low=0, low_open=True))


class _Affine(Module):
    """Shared part of the three layers: optional ``weight``/``bias`` and their gradients."""

    def _init_affine(self, shape, affine, dtype):
        self.dtype = _layer_dtype(dtype)
        self.weight = Parameter(np.ones(shape, dtype=self.dtype)) if affine else None
        self.bias = Parameter(np.zeros(shape, dtype=self.dtype)) if affine else None
        self._cache = None

    def _scale_shift(self, xhat, pshape):
        if self.weight is None:
            return xhat.copy()
        return xhat * self.weight.data.reshape(pshape) + self.bias.data.reshape(pshape)

    def _affine_backward(self, g, xhat, pshape, sum_axes):
        """Accumulate ``weight``/``bias`` gradients; return the gradient wrt ``x_hat``."""
        if self.weight is None:
            return g
        self.weight.grad += (g * xhat).sum(axis=sum_axes).reshape(self.weight.shape)
        self.bias.grad += g.sum(axis=sum_axes).reshape(self.bias.shape)
        return g * self.weight.data.reshape(pshape)


class BatchNorm1d(_Affine):
    r"""Batch normalisation of each feature over the batch (Ioffe & Szegedy, 2015).

    Parameters
    ----------
    num_features : int
        ``C``, the number of features (channels).
    eps : float, default 1e-5
    momentum : float in [0, 1], default 0.1
        Weight of the *new* batch statistic in the running averages, as in PyTorch.
    affine : bool, default True
        Learn ``weight`` (start 1) and ``bias`` (start 0).
    dtype : np.float32 or np.float64, keyword-only

    Attributes
    ----------
    weight, bias : Parameter, shape (C,), or None if ``affine=False``
    running_mean, running_var : ndarray, shape (C,)
        Buffers used in eval mode; start at 0 and 1.
    num_batches_tracked : int
        Number of training batches seen.

    Notes
    -----
    Input ``x`` has shape (N, C) or (N, C, L); statistics are taken over N
    (and L). In training mode the batch mean :math:`\mu_B` and the *biased*
    variance :math:`\sigma_B^2` normalise the batch, while the running
    variance is updated with the *unbiased* one (:math:`m` values per channel):

    .. math:: \hat\mu \leftarrow (1-\alpha)\hat\mu + \alpha\mu_B,\qquad
              \hat\sigma^2 \leftarrow (1-\alpha)\hat\sigma^2 + \alpha\frac{m}{m-1}\sigma_B^2

    In eval mode :math:`y = \gamma(x-\hat\mu)/\sqrt{\hat\sigma^2+\epsilon} + \beta`.

    Examples
    --------
    >>> bn = BatchNorm1d(3)
    >>> y = bn(np.arange(12.0).reshape(4, 3))
    >>> bool(np.allclose(y.mean(axis=0), 0)), bn.num_batches_tracked
    (True, 1)
    """

    _buffer_names = ("running_mean", "running_var", "num_batches_tracked")

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, *, dtype=np.float64):
        super().__init__()
        self.num_features = int(check_number(num_features, "num_features", low=1, integer=True))
        self.eps = _check_eps(eps)
        self.momentum = float(check_number(momentum, "momentum", low=0, high=1))
        self._init_affine(self.num_features, affine, dtype)
        self.running_mean = np.zeros(self.num_features, dtype=self.dtype)
        self.running_var = np.ones(self.num_features, dtype=self.dtype)
        self.num_batches_tracked = 0

    def forward(self, x):
        x = _check_input(x, self, dtype=self.dtype, ndim=(2, 3))
        C = self.num_features
        if x.shape[1] != C:
            want = "(N, C) or (N, C, L)"
            raise ValueError(f"x has shape {x.shape}, expected {want} with C = {C} features, got {x.shape[1]}")
        axes = (0,) if x.ndim == 2 else (0, 2)
        pshape = (1, C) if x.ndim == 2 else (1, C, 1)
        if self.training:
            m = x.size // C
            if m < 2:
                raise ValueError(
                    f"BatchNorm1d in training mode needs more than one value per feature to estimate a "
                    f"variance, got x of shape {x.shape}; use a larger batch or call .eval() first"
                )
            xhat, inv_std, mean, var = _standardize(x, axes, self.eps)
            a = self.momentum
            self.running_mean[...] = (1 - a) * self.running_mean + a * mean.reshape(C)
            self.running_var[...] = (1 - a) * self.running_var + a * var.reshape(C) * (m / (m - 1))
            self.num_batches_tracked += 1
        else:
            inv_std = (1.0 / np.sqrt(self.running_var + self.eps)).reshape(pshape)
            xhat = (x - self.running_mean.reshape(pshape)) * inv_std
        self._cache = (xhat, inv_std, axes, pshape, self.training)
        return self._scale_shift(xhat, pshape)

    def backward(self, grad_out):
        xhat, inv_std, axes, pshape, batch_stats = _saved(self)
        g = _check_grad(grad_out, self, xhat.shape, xhat.dtype)
        grad_xhat = self._affine_backward(g, xhat, pshape, axes)
        if batch_stats:  # the statistics depend on x too
            return _standardize_backward(grad_xhat, xhat, inv_std, axes)
        return grad_xhat * inv_std  # running statistics are constants

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.weight is not None}{_dtype_repr(self.dtype)}")


class LayerNorm(_Affine):
    r"""Layer normalisation over the trailing dimensions of each example (Ba, Kiros & Hinton, 2016).

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing shape ``S`` to normalise over, e.g. ``D`` for input (N, D).
    eps : float, default 1e-5
    elementwise_affine : bool, default True
        Learn ``weight`` and ``bias`` of shape ``S``.
    dtype : np.float32 or np.float64, keyword-only

    Notes
    -----
    Input has shape ``(N, *S)`` (or more leading dimensions); each example
    uses its own mean and biased variance, so train and eval modes agree:

    .. math:: y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2+\epsilon}} + \beta

    Examples
    --------
    >>> ln = LayerNorm(4)
    >>> ln(np.array([[1.0, 2.0, 3.0, 4.0]])).round(3).tolist()
    [[-1.342, -0.447, 0.447, 1.342]]
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, *, dtype=np.float64):
        super().__init__()
        shape = (normalized_shape,) if np.ndim(normalized_shape) == 0 else tuple(normalized_shape)
        if not shape:
            raise ValueError("normalized_shape must name at least one dimension, got ()")
        for n in shape:
            check_number(n, "normalized_shape entry", low=1, integer=True)
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps = _check_eps(eps)
        self._init_affine(self.normalized_shape, elementwise_affine, dtype)

    def forward(self, x):
        x = _check_input(x, self, dtype=self.dtype)
        k = len(self.normalized_shape)
        if x.ndim <= k or x.shape[-k:] != self.normalized_shape:
            raise ValueError(
                f"x has shape {x.shape}, expected (N, *{self.normalized_shape}): a batch of examples "
                f"whose trailing shape is normalized_shape={self.normalized_shape}"
            )
        axes = tuple(range(x.ndim - k, x.ndim))
        xhat, inv_std, _, _ = _standardize(x, axes, self.eps)
        self._cache = (xhat, inv_std, axes)
        return self._scale_shift(xhat, self.normalized_shape)

    def backward(self, grad_out):
        xhat, inv_std, axes = _saved(self)
        g = _check_grad(grad_out, self, xhat.shape, xhat.dtype)
        batch_axes = tuple(range(xhat.ndim - len(axes)))
        grad_xhat = self._affine_backward(g, xhat, self.normalized_shape, batch_axes)
        return _standardize_backward(grad_xhat, xhat, inv_std, axes)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.weight is not None}{_dtype_repr(self.dtype)}")


class GroupNorm(_Affine):
    r"""Group normalisation: each example's channels split into groups (Wu & He, 2018).

    Parameters
    ----------
    num_groups : int
        ``G``; must divide ``num_channels``.
    num_channels : int
        ``C``.
    eps : float, default 1e-5
    affine : bool, default True
        Learn a per-channel ``weight`` and ``bias`` of shape (C,).
    dtype : np.float32 or np.float64, keyword-only

    Notes
    -----
    Input has shape (N, C) or (N, C, \*). Group :math:`g` of example
    :math:`n` holds channels :math:`gC/G, \dots, (g+1)C/G - 1` (and all their
    positions); it is standardised with its own mean and biased variance.
    ``GroupNorm(1, C)`` normalises whole examples like a LayerNorm with a
    per-channel affine, ``GroupNorm(C, C)`` each channel separately.

    .. math:: y_{nc\cdot} = \gamma_c\,\frac{x_{nc\cdot} - \mu_{ng}}{\sqrt{\sigma^2_{ng}+\epsilon}} + \beta_c

    Examples
    --------
    >>> gn = GroupNorm(2, 4)
    >>> gn(np.array([[1.0, 3.0, 10.0, 30.0]])).round(4).tolist()
    [[-1.0, 1.0, -1.0, 1.0]]
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, *, dtype=np.float64):
        super().__init__()
        self.num_groups = int(check_number(num_groups, "num_groups", low=1, integer=True))
        self.num_channels = int(check_number(num_channels, "num_channels", low=1, integer=True))
        if self.num_channels % self.num_groups:
            raise ValueError(
                f"num_channels ({self.num_channels}) must be divisible by num_groups ({self.num_groups}) "
                f"so that every group holds the same number of channels"
            )
        self.eps = _check_eps(eps)
        self._init_affine(self.num_channels, affine, dtype)

    def forward(self, x):
        x = _check_input(x, self, dtype=self.dtype)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"x has shape {x.shape}, expected (N, {self.num_channels}) or (N, {self.num_channels}, ...)")
        grouped = x.reshape(x.shape[0], self.num_groups, -1)
        xhat, inv_std, _, _ = _standardize(grouped, (2,), self.eps)
        xhat = xhat.reshape(x.shape)
        self._cache = (xhat, inv_std)
        return self._scale_shift(xhat, self._pshape(x.ndim))

    def backward(self, grad_out):
        xhat, inv_std = _saved(self)
        g = _check_grad(grad_out, self, xhat.shape, xhat.dtype)
        sum_axes = (0,) + tuple(range(2, xhat.ndim))
        grad_xhat = self._affine_backward(g, xhat, self._pshape(xhat.ndim), sum_axes)
        N, G = xhat.shape[0], self.num_groups
        grad_x = _standardize_backward(grad_xhat.reshape(N, G, -1), xhat.reshape(N, G, -1), inv_std, (2,))
        return grad_x.reshape(xhat.shape)

    def _pshape(self, ndim):
        return (1, self.num_channels) + (1,) * (ndim - 2)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.weight is not None}{_dtype_repr(self.dtype)}")
