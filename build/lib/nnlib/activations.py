"""Activation functions, each followed by its derivative.

For an elementwise activation ``f`` the function ``f_grad(z)`` returns the
derivative :math:`f'(z)` with respect to the pre-activation ``z``, elementwise,
so that a layer's backward pass reads ``grad_z = grad_out * f_grad(z)``.
Softmax mixes the entries of a vector, so instead of a derivative it comes
with :func:`softmax_backward`, the vector-Jacobian product a layer needs.

Every function accepts array-likes of any shape, keeps float32 and float64 as
given (integers and Python lists become float64) and refuses NaN or infinite
values. The formulas are written so that large inputs such as ``-1000`` give
the right limit without overflow warnings; :func:`naive_sigmoid` keeps the
textbook formula to show what goes wrong otherwise.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from ._validate import as_float_array, check_number, check_same_shape

__all__ = [
    "sigmoid", "sigmoid_grad", "naive_sigmoid",
    "tanh", "tanh_grad",
    "relu", "relu_grad",
    "leaky_relu", "leaky_relu_grad",
    "gelu", "gelu_grad",
    "softmax", "softmax_backward",
    "log_softmax", "log_softmax_backward",
    "ACTIVATIONS",
]

# Python floats (not numpy float64 scalars), so float32 inputs stay float32.
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def sigmoid(x):
    r"""Logistic sigmoid, computed without overflow.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape and dtype as ``x``, values in :math:`[0, 1]`

    Notes
    -----
    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}} = \frac{e^{x}}{1 + e^{x}}

    The first form is used for :math:`x \ge 0` and the second for
    :math:`x < 0`, so the exponential is always of :math:`-|x| \le 0` and can
    only underflow to 0, never overflow.

    Examples
    --------
    >>> sigmoid([-1000.0, 0.0, 1000.0]).tolist()
    [0.0, 0.5, 1.0]
    """
    x = as_float_array(x, "x")
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(z):
    r"""Derivative of :func:`sigmoid` with respect to ``z``.

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    ndarray, same shape and dtype as ``z``

    Notes
    -----
    .. math:: \sigma'(z) = \sigma(z)\,\bigl(1 - \sigma(z)\bigr)

    Examples
    --------
    >>> sigmoid_grad([0.0]).tolist()
    [0.25]
    """
    s = sigmoid(z)
    return s * (1 - s)


def naive_sigmoid(x):
    r"""The textbook formula :math:`1 / (1 + e^{-x})`, evaluated as written.

    Kept for the book to show why :func:`sigmoid` is written differently:
    for large negative ``x`` the term :math:`e^{-x}` overflows to ``inf``
    and numpy emits ``RuntimeWarning: overflow encountered in exp``. The
    result happens to be right (:math:`1/\infty = 0`), but in float32 the
    overflow already starts near ``x = -89``, and other formulas built the
    same way (for example a log of this value) turn it into ``nan``.
    Use :func:`sigmoid` in real code.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape and dtype as ``x``

    Notes
    -----
    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}}

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     value = naive_sigmoid(-1000.0)
    >>> float(value), caught[0].category.__name__
    (0.0, 'RuntimeWarning')
    """
    x = as_float_array(x, "x")
    return 1 / (1 + np.exp(-x))


def tanh(x):
    r"""Hyperbolic tangent.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape and dtype as ``x``, values in :math:`[-1, 1]`

    Notes
    -----
    .. math:: \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = 2\sigma(2x) - 1

    Examples
    --------
    >>> tanh([0.0, 1000.0]).tolist()
    [0.0, 1.0]
    """
    return np.tanh(as_float_array(x, "x"))


def tanh_grad(z):
    r"""Derivative of :func:`tanh` with respect to ``z``.

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    ndarray, same shape and dtype as ``z``

    Notes
    -----
    .. math:: \tanh'(z) = 1 - \tanh^2(z)

    Examples
    --------
    >>> tanh_grad([0.0]).tolist()
    [1.0]
    """
    t = tanh(z)
    return 1 - t * t


def relu(x):
    r"""Rectified linear unit.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape and dtype as ``x``

    Notes
    -----
    .. math:: \operatorname{relu}(x) = \max(x, 0)

    Examples
    --------
    >>> relu([-2.0, 0.0, 3.0]).tolist()
    [0.0, 0.0, 3.0]
    """
    x = as_float_array(x, "x")
    return np.where(x > 0, x, 0)


def relu_grad(z):
    r"""Derivative of :func:`relu` with respect to ``z``.

    At the kink :math:`z = 0` the derivative is taken to be 0, as PyTorch
    does.

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    ndarray, same shape and dtype as ``z``, entries 0 or 1

    Notes
    -----
    .. math:: \operatorname{relu}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}

    Examples
    --------
    >>> relu_grad([-2.0, 0.0, 3.0]).tolist()
    [0.0, 0.0, 1.0]
    """
    z = as_float_array(z, "z")
    return (z > 0).astype(z.dtype)


def leaky_relu(x, negative_slope=0.01):
    r"""Leaky ReLU: the identity for positive inputs, a small slope otherwise.

    Parameters
    ----------
    x : array_like, any shape
    negative_slope : float, default 0.01
        The slope :math:`\alpha` used for :math:`x \le 0` (PyTorch's name).

    Returns
    -------
    ndarray, same shape and dtype as ``x``

    Notes
    -----
    .. math:: \operatorname{leaky\_relu}(x) = \begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}

    Examples
    --------
    >>> leaky_relu([-2.0, 3.0], negative_slope=0.1).tolist()
    [-0.2, 3.0]
    """
    x = as_float_array(x, "x")
    alpha = x.dtype.type(check_number(negative_slope, "negative_slope"))
    return np.where(x > 0, x, alpha * x)


def leaky_relu_grad(z, negative_slope=0.01):
    r"""Derivative of :func:`leaky_relu` with respect to ``z``.

    At :math:`z = 0` the derivative is taken to be :math:`\alpha`, as PyTorch
    does.

    Parameters
    ----------
    z : array_like, any shape
    negative_slope : float, default 0.01

    Returns
    -------
    ndarray, same shape and dtype as ``z``, entries 1 or ``negative_slope``

    Notes
    -----
    .. math:: \operatorname{leaky\_relu}'(z) = \begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases}

    Examples
    --------
    >>> leaky_relu_grad([-2.0, 0.0, 3.0], negative_slope=0.1).tolist()
    [0.1, 0.1, 1.0]
    """
    z = as_float_array(z, "z")
    alpha = z.dtype.type(check_number(negative_slope, "negative_slope"))
    return np.where(z > 0, z.dtype.type(1), alpha)


def gelu(x):
    r"""Gaussian error linear unit, exact form (PyTorch's default, not the tanh approximation).

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape and dtype as ``x``

    Notes
    -----
    .. math::

        \operatorname{gelu}(x) = x\,\Phi(x)
        = \frac{x}{2}\Bigl(1 + \operatorname{erf}\bigl(\tfrac{x}{\sqrt 2}\bigr)\Bigr)
        = \frac{x}{2}\operatorname{erfc}\bigl(-\tfrac{x}{\sqrt 2}\bigr)

    where :math:`\Phi` is the standard normal CDF. The last form is the same
    number but avoids the cancellation in :math:`1 + \operatorname{erf}` for
    negative ``x``, so it stays accurate far into the left tail.

    Examples
    --------
    >>> [round(float(v), 6) for v in gelu([-1.0, 0.0, 1.0])]
    [-0.158655, 0.0, 0.841345]
    """
    x = as_float_array(x, "x")
    return 0.5 * x * _erfc(-x * _SQRT_HALF)


def gelu_grad(z):
    r"""Derivative of :func:`gelu` with respect to ``z``.

    Parameters
    ----------
    z : array_like, any shape

    Returns
    -------
    ndarray, same shape and dtype as ``z``

    Notes
    -----
    .. math::

        \operatorname{gelu}'(z) = \Phi(z) + z\,\varphi(z),
        \qquad \varphi(z) = \frac{e^{-z^2/2}}{\sqrt{2\pi}}

    Examples
    --------
    >>> gelu_grad([0.0]).tolist()
    [0.5]
    """
    z = as_float_array(z, "z")
    with np.errstate(over="ignore"):  # z*z may overflow to inf; exp(-inf) = 0 is right
        pdf = np.exp(-0.5 * (z * z)) * _INV_SQRT_2PI
    return 0.5 * _erfc(-z * _SQRT_HALF) + z * pdf


def _erfc(x):
    """Complementary error function, elementwise, keeping the dtype."""
    return _erfc_implementation()(x)


@functools.cache
def _erfc_implementation():
    """``scipy.special.erfc`` when scipy is installed (fast), else :func:`_erfc_fallback`."""
    try:
        from scipy.special import erfc
    except ImportError:
        return _erfc_fallback
    return erfc


def _erfc_fallback(x):
    """``math.erfc`` applied to every entry: exact, but a Python loop (slow)."""
    x = np.asarray(x)
    return np.asarray(np.frompyfunc(math.erfc, 1, 1)(x), dtype=x.dtype)


def _as_vectors(x, name, axis):
    """Check ``x`` for softmax along ``axis``: at least one entry along it."""
    x = as_float_array(x, name)
    check_number(axis, "axis", integer=True)
    if x.ndim == 0:
        raise ValueError(f"{name} is a scalar; softmax needs at least one dimension to normalise over")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis {axis} is out of range for {name} of shape {x.shape} ({x.ndim} dimension(s))")
    if x.shape[axis] == 0:
        raise ValueError(f"{name} has shape {x.shape}: no entries along axis {axis} to normalise over")
    return x


def softmax(x, axis=-1):
    r"""Softmax along ``axis``: exponentiate and normalise to sum 1.

    Parameters
    ----------
    x : array_like, shape (..., C, ...)
        Scores (logits); ``C`` is the length of ``axis``.
    axis : int, default -1

    Returns
    -------
    ndarray, same shape and dtype as ``x``
        Non-negative, summing to 1 along ``axis``.

    Notes
    -----
    .. math:: \operatorname{softmax}(x)_i = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}},
              \qquad m = \max_j x_j

    Subtracting the maximum :math:`m` changes nothing mathematically but
    makes every exponent :math:`\le 0`, so nothing overflows.

    Examples
    --------
    >>> softmax([1000.0, 0.0]).tolist()
    [1.0, 0.0]
    >>> softmax([[1.0, 1.0], [0.0, 0.0]], axis=0).tolist()
    [[0.7310585786300049, 0.7310585786300049], [0.2689414213699951, 0.2689414213699951]]
    """
    x = _as_vectors(x, "x", axis)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(y, grad_out, axis=-1):
    r"""Vector-Jacobian product of :func:`softmax`, given its output ``y``.

    Parameters
    ----------
    y : array_like, shape (..., C, ...)
        The output ``softmax(x, axis)`` of the forward pass.
    grad_out : array_like, same shape as ``y``
        Gradient of the loss with respect to ``y``.
    axis : int, default -1
        The axis the softmax was taken over.

    Returns
    -------
    ndarray, same shape and dtype as ``y``
        Gradient of the loss with respect to the input ``x`` of the softmax.

    Notes
    -----
    The Jacobian is :math:`\partial y_i / \partial x_j = y_i(\delta_{ij} - y_j)`,
    so with :math:`g` the upstream gradient

    .. math:: \frac{\partial L}{\partial x_j} = y_j \Bigl(g_j - \sum_i g_i y_i\Bigr)

    Examples
    --------
    >>> y = softmax([0.0, 0.0])
    >>> softmax_backward(y, [1.0, 0.0]).tolist()
    [0.25, -0.25]
    """
    y = _as_vectors(y, "y", axis)
    g = as_float_array(grad_out, "grad_out")
    check_same_shape(y, g, "y", "grad_out")
    g = g.astype(y.dtype, copy=False)
    return y * (g - (g * y).sum(axis=axis, keepdims=True))


def log_softmax(x, axis=-1):
    r"""Logarithm of :func:`softmax`, computed with the log-sum-exp trick.

    Parameters
    ----------
    x : array_like, shape (..., C, ...)
    axis : int, default -1

    Returns
    -------
    ndarray, same shape and dtype as ``x``, values :math:`\le 0`

    Notes
    -----
    .. math:: \log\operatorname{softmax}(x)_i = x_i - m - \log \sum_j e^{x_j - m},
              \qquad m = \max_j x_j

    Taking the log of :func:`softmax` instead would give :math:`\log 0 = -\infty`
    for entries whose probability underflows; this form stays finite.

    Examples
    --------
    >>> log_softmax([1000.0, 0.0]).tolist()
    [0.0, -1000.0]
    """
    x = _as_vectors(x, "x", axis)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def log_softmax_backward(log_y, grad_out, axis=-1):
    r"""Vector-Jacobian product of :func:`log_softmax`, given its output.

    Parameters
    ----------
    log_y : array_like, shape (..., C, ...)
        The output ``log_softmax(x, axis)`` of the forward pass.
    grad_out : array_like, same shape as ``log_y``
        Gradient of the loss with respect to ``log_y``.
    axis : int, default -1

    Returns
    -------
    ndarray, same shape and dtype as ``log_y``
        Gradient of the loss with respect to the input ``x``.

    Notes
    -----
    With :math:`y = \operatorname{softmax}(x)`,
    :math:`\partial \log y_i / \partial x_j = \delta_{ij} - y_j`, so

    .. math:: \frac{\partial L}{\partial x_j} = g_j - y_j \sum_i g_i

    Examples
    --------
    >>> log_y = log_softmax([0.0, 0.0])
    >>> log_softmax_backward(log_y, [1.0, 0.0]).tolist()
    [0.5, -0.5]
    """
    log_y = _as_vectors(log_y, "log_y", axis)
    g = as_float_array(grad_out, "grad_out")
    check_same_shape(log_y, g, "log_y", "grad_out")
    g = g.astype(log_y.dtype, copy=False)
    return g - np.exp(log_y) * g.sum(axis=axis, keepdims=True)


#: Elementwise activations by name, each as ``(f, f_grad)``; used by the
#: book's widgets to let the reader pick one from a menu.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "gelu": (gelu, gelu_grad),
}
