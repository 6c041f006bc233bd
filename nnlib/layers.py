"""Layers: the fully connected layer, activation modules and dropout.

Every class follows the protocol of :class:`nnlib.Module`: ``forward(x)``
saves what ``backward`` will need, ``backward(grad_out)`` *adds* the
parameter gradients into ``.grad`` and returns the gradient with respect to
the input. ``backward`` may be called more than once after one ``forward``
(the gradients then add up, as in PyTorch).

A model works in one floating-point type: a layer built with
``dtype=np.float32`` takes float32 input and gives float32 output and
gradients; a float64 array given to it is refused rather than silently
converted.
"""
from __future__ import annotations

import numpy as np

from . import init as _init
from ._validate import FLOAT_DTYPES, as_float_array, as_rng, check_nonempty, check_number
from .activations import (
    gelu, gelu_grad, leaky_relu, leaky_relu_grad, relu, relu_grad,
    sigmoid, sigmoid_grad, softmax, softmax_backward, tanh, tanh_grad,
)
from .module import Module, Parameter

__all__ = [
    "Dense", "Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "GELU", "Softmax", "Dropout", "Residual",
]


# -- checks shared by the layers (also used by nnlib.norm) ---------------
def _layer_dtype(dtype) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be np.float32 or np.float64, got {dt}")
    return dt


def _check_input(x, module, *, dtype=None, ndim=None) -> np.ndarray:
    """Forward input: real, finite, non-empty and, if ``dtype`` is given, of that dtype.

    Lists and integer arrays are converted to ``dtype``; an ndarray of the
    other float type is refused (TypeError) so that a model never mixes them.
    """
    if dtype is not None and (not isinstance(x, np.ndarray) or x.dtype.kind in "biu"):
        x = as_float_array(x, "x").astype(dtype, copy=False)
    x = as_float_array(x, "x", ndim=ndim)
    check_nonempty(x, "x")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(
            f"x has dtype {x.dtype} but {module!r} holds {dtype} parameters; a model works in one "
            f"dtype: build the layer with dtype=np.{x.dtype} or convert the input with x.astype(np.{dtype})"
        )
    return x


def _check_grad(grad_out, module, shape, dtype) -> np.ndarray:
    """``grad_out`` must have the ``shape`` and ``dtype`` of the last forward output."""
    g = as_float_array(grad_out, "grad_out")
    if g.shape != tuple(shape):
        raise ValueError(
            f"grad_out has shape {g.shape}, expected {tuple(shape)}, the shape of the last output of {module!r}"
        )
    if g.dtype != dtype:
        raise TypeError(f"grad_out has dtype {g.dtype}, expected {dtype} like the last output of {module!r}")
    return g


def _saved(module):
    """What the last ``forward`` cached, or a RuntimeError if there was none."""
    cache = getattr(module, "_cache", None)
    if cache is None:
        raise RuntimeError(
            f"{type(module).__name__}.backward was called before forward: backward uses values "
            f"saved by the last forward, so run forward(x) on the batch first"
        )
    return cache


def _dtype_repr(dtype) -> str:
    return "" if dtype == np.float64 else f", dtype={dtype.name}"


# -- the fully connected layer -------------------------------------------
class Dense(Module):
    r"""Fully connected (affine) layer :math:`y = xW + b`.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, default True
    rng : None, int or numpy.random.Generator
        Source of the initial values.
    dtype : np.float32 or np.float64, keyword-only
    init : callable, keyword-only, optional
        ``init(fan_in, fan_out, rng, dtype=dtype)`` returning the initial
        ``W``, e.g. :func:`nnlib.init.he_normal`; ``b`` then starts at zero.
        By default both ``W`` and ``b`` are drawn as in PyTorch's
        ``nn.Linear``, from :math:`U(-1/\sqrt{n_{in}}, 1/\sqrt{n_{in}})`.

    Attributes
    ----------
    W : Parameter, shape (in_features, out_features)
        Stored ``(in, out)`` on purpose so that ``x @ W`` reads like the
        book's equations; PyTorch's ``nn.Linear.weight`` is ``W.T``.
    b : Parameter, shape (out_features,), or None if ``bias=False``

    Notes
    -----
    For a batch :math:`X` of shape (N, in) and upstream gradient
    :math:`G = \partial L/\partial Y`:

    .. math:: Y = XW + \mathbf 1 b^\top,\qquad
              \frac{\partial L}{\partial W} = X^\top G,\quad
              \frac{\partial L}{\partial b} = G^\top \mathbf 1,\quad
              \frac{\partial L}{\partial X} = G W^\top

    Examples
    --------
    >>> layer = Dense(3, 2, rng=0)
    >>> layer(np.ones((4, 3))).shape
    (4, 2)
    """

    def __init__(self, in_features, out_features, bias=True, rng=None, *, dtype=np.float64, init=None):
        super().__init__()
        check_number(in_features, "in_features", low=1, integer=True)
        check_number(out_features, "out_features", low=1, integer=True)
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.dtype = _layer_dtype(dtype)
        rng = as_rng(rng)
        if init is None:
            W = _init.default_uniform(self.in_features, self.out_features, rng, dtype=self.dtype)
            bound = 1.0 / np.sqrt(self.in_features)
            b = rng.uniform(-bound, bound, size=self.out_features).astype(self.dtype) if bias else None
        elif callable(init):
            W = np.asarray(init(self.in_features, self.out_features, rng, dtype=self.dtype))
            if W.shape != (self.in_features, self.out_features):
                raise ValueError(f"init returned shape {W.shape}, expected ({self.in_features}, {self.out_features})")
            b = np.zeros(self.out_features, dtype=self.dtype) if bias else None
        else:
            raise TypeError(f"init must be None or a function such as nnlib.init.he_normal, got {init!r}")
        self.W = Parameter(W.astype(self.dtype, copy=False))
        self.b = Parameter(b) if bias else None
        self._cache = None

    def forward(self, x):
        x = _check_input(x, self, dtype=self.dtype, ndim=2)
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"x has shape {x.shape}, expected (N, {self.in_features}): this layer takes "
                f"{self.in_features} features per example, the input has {x.shape[1]}"
            )
        self._cache = x
        y = x @ self.W.data
        if self.b is not None:
            y += self.b.data
        return y

    def backward(self, grad_out):
        x = _saved(self)
        g = _check_grad(grad_out, self, (x.shape[0], self.out_features), self.dtype)
        self.W.grad += x.T @ g
        if self.b is not None:
            self.b.grad += g.sum(axis=0)
        return g @ self.W.data.T

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.b is not None}{_dtype_repr(self.dtype)}")


# -- activation modules ----------------------------------------------------
class _Elementwise(Module):
    """An activation applied entry by entry; caches its input ``z``."""

    def __init__(self):
        super().__init__()
        self._cache = None

    def _f(self, z):
        raise NotImplementedError

    def _f_grad(self, z):
        raise NotImplementedError

    def forward(self, x):
        z = _check_input(x, self)
        self._cache = z
        return self._f(z)

    def backward(self, grad_out):
        z = _saved(self)
        return _check_grad(grad_out, self, z.shape, z.dtype) * self._f_grad(z)


class Identity(_Elementwise):
    r"""Returns its input unchanged: :math:`y = x`, :math:`\partial L/\partial x = \partial L/\partial y`."""

    def _f(self, z):
        return z.copy()

    def _f_grad(self, z):
        return np.ones_like(z)


class Sigmoid(_Elementwise):
    r"""Logistic sigmoid, :math:`y = \sigma(x)`, :math:`\sigma' = \sigma(1-\sigma)` (see :func:`nnlib.sigmoid`)."""

    def _f(self, z):
        return sigmoid(z)

    def _f_grad(self, z):
        return sigmoid_grad(z)


class Tanh(_Elementwise):
    r"""Hyperbolic tangent, :math:`y = \tanh x`, :math:`\tanh' = 1 - \tanh^2` (see :func:`nnlib.tanh`)."""

    def _f(self, z):
        return tanh(z)

    def _f_grad(self, z):
        return tanh_grad(z)


class ReLU(_Elementwise):
    r"""Rectified linear unit, :math:`y = \max(x, 0)`, derivative 0 at the kink (see :func:`nnlib.relu`)."""

    def _f(self, z):
        return relu(z)

    def _f_grad(self, z):
        return relu_grad(z)


class LeakyReLU(_Elementwise):
    r"""Leaky ReLU, :math:`y = x` for :math:`x > 0` and :math:`\alpha x` otherwise (see :func:`nnlib.leaky_relu`).

    Parameters
    ----------
    negative_slope : float, default 0.01
    """

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = float(check_number(negative_slope, "negative_slope"))

    def _f(self, z):
        return leaky_relu(z, self.negative_slope)

    def _f_grad(self, z):
        return leaky_relu_grad(z, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class GELU(_Elementwise):
    r"""Gaussian error linear unit (exact form), :math:`y = x\,\Phi(x)` (see :func:`nnlib.gelu`)."""

    def _f(self, z):
        return gelu(z)

    def _f_grad(self, z):
        return gelu_grad(z)


class Softmax(Module):
    r"""Softmax along ``axis`` (default the last one, the classes of each row).

    Parameters
    ----------
    axis : int, default -1

    Notes
    -----
    .. math:: y_i = \frac{e^{x_i}}{\sum_j e^{x_j}},\qquad
              \frac{\partial L}{\partial x_j} = y_j\Bigl(g_j - \sum_i g_i y_i\Bigr)

    To train a classifier, prefer a loss that takes the logits directly
    (cross-entropy with log-softmax inside): it is more accurate.
    """

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = int(check_number(axis, "axis", integer=True))
        self._cache = None

    def forward(self, x):
        y = softmax(_check_input(x, self), axis=self.axis)
        self._cache = y
        return y

    def backward(self, grad_out):
        y = _saved(self)
        return softmax_backward(y, _check_grad(grad_out, self, y.shape, y.dtype), axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Dropout(Module):
    r"""Inverted dropout: zero each entry with probability ``p`` while training.

    Parameters
    ----------
    p : float in [0, 1)
        Probability of dropping an entry.
    rng : None, int or numpy.random.Generator
        Source of the random masks.

    Attributes
    ----------
    mask : ndarray or None
        The 0/1 mask of the last training-mode forward pass (None in eval mode).

    Notes
    -----
    In training mode, with :math:`m_i \sim \text{Bernoulli}(1-p)`,

    .. math:: y_i = \frac{m_i\,x_i}{1-p},\qquad
              \frac{\partial L}{\partial x_i} = \frac{m_i}{1-p}\,g_i

    so that :math:`\mathbb E[y_i] = x_i` and nothing needs rescaling at test
    time: in eval mode the layer is the identity.

    Examples
    --------
    >>> drop = Dropout(0.5, rng=0)
    >>> sorted(set(drop(np.ones((2, 4))).ravel().tolist()))
    [0.0, 2.0]
    >>> drop.eval()(np.ones((1, 3))).tolist()
    [[1.0, 1.0, 1.0]]
    """

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        check_number(p, "p", low=0, high=1)
        if p >= 1:
            raise ValueError(f"p must be in [0, 1) (the probability of dropping an entry), got {p!r}")
        self.p = float(p)
        self.rng = as_rng(rng)
        self.mask = None
        self._cache = None

    def forward(self, x):
        x = _check_input(x, self)
        if self.training and self.p > 0:
            self.mask = (self.rng.random(x.shape) >= self.p).astype(x.dtype)
            scale = self.mask / x.dtype.type(1.0 - self.p)
        else:
            self.mask = None
            scale = np.ones_like(x)
        self._cache = scale
        return x * scale

    def backward(self, grad_out):
        scale = _saved(self)
        return _check_grad(grad_out, self, scale.shape, scale.dtype) * scale

    def extra_repr(self) -> str:
        return f"p={self.p}"


# -- residual connection -------------------------------------------------------
class Residual(Module):
    r"""A residual (skip) connection around a module: :math:`y = x + F(x)` (He et al., 2016).

    Parameters
    ----------
    block : Module
        :math:`F`; its output must have the shape of its input.

    Attributes
    ----------
    block : Module
        The wrapped module; its parameters and buffers are the residual's,
        named ``block.<name>`` in ``parameters()`` and ``state_dict()``.

    Notes
    -----
    With :math:`h_{\ell+1} = h_\ell + F(h_\ell)` the Jacobian is
    :math:`I + \partial F/\partial h_\ell`, so the backward pass adds the
    upstream gradient, unchanged, to the gradient that went through the block:

    .. math:: \frac{\partial L}{\partial h_\ell}
              = g\,\Bigl(I + \frac{\partial F}{\partial h_\ell}\Bigr)
              = g + g\,\frac{\partial F}{\partial h_\ell},
              \qquad g = \frac{\partial L}{\partial h_{\ell+1}}

    (row vectors, as everywhere in the book).

    However small the factors inside :math:`F`, the gradient reaching
    :math:`h_\ell` contains :math:`g` itself.

    Examples
    --------
    >>> res = Residual(Dense(3, 3, rng=0))
    >>> x = np.ones((2, 3))
    >>> bool(np.allclose(res(x), x + res.block(x)))
    True
    >>> g = res.backward(np.ones((2, 3)))   # g + g W^T
    >>> bool(np.allclose(g, 1 + np.ones((2, 3)) @ res.block.W.data.T))
    True
    """

    def __init__(self, block):
        super().__init__()
        if not isinstance(block, Module):
            raise TypeError(f"block must be an nnlib Module (e.g. a Sequential), got {type(block).__name__}")
        self.block = block
        self._cache = None

    def forward(self, x):
        x = _check_input(x, self)
        fx = self.block.forward(x)
        if np.shape(fx) != x.shape:
            raise ValueError(
                f"the block of {type(self).__name__} maps x of shape {x.shape} to shape {np.shape(fx)}; "
                f"x + F(x) needs F to keep the shape (give the block as many outputs as inputs)"
            )
        self._cache = (x.shape, fx.dtype)
        return x + fx

    def backward(self, grad_out):
        shape, dtype = _saved(self)
        g = _check_grad(grad_out, self, shape, dtype)
        return g + self.block.backward(g)
