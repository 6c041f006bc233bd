"""Loss functions, each followed by its gradient.

Every loss is a *mean* over the batch (PyTorch's default ``reduction="mean"``)
except :func:`half_sse`, and returns a numpy scalar of the prediction's dtype.
``loss_grad(pred, target)`` is the gradient of that scalar with respect to
the first argument, an array shaped like ``pred``: it is what the training
loop hands to ``model.backward``. The classes at the end wrap each pair as a
loss object, ``loss(pred, target)`` and ``loss.grad(pred, target)``.

Predictions and targets must have exactly the same shape: numpy would
broadcast ``(N, 1)`` against ``(N,)`` into an ``(N, N)`` matrix and return a
wrong number without complaint, so a mismatch raises ``ValueError`` instead.
"""
from __future__ import annotations

import numpy as np

from ._validate import as_class_labels, as_float_array, check_nonempty, check_number, check_same_shape
from .activations import log_softmax, sigmoid, softmax

__all__ = [
    "mse", "mse_grad",
    "half_sse", "half_sse_grad",
    "binary_cross_entropy", "binary_cross_entropy_grad",
    "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_grad",
    "cross_entropy", "cross_entropy_grad", "cross_entropy_with_grad",
    "MSELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
]


def _pair(pred, target, pred_name, target_name):
    """Validate a prediction and a same-shaped target; the target takes pred's dtype."""
    pred = as_float_array(pred, pred_name)
    target = as_float_array(target, target_name)
    check_same_shape(pred, target, pred_name, target_name)
    check_nonempty(pred, pred_name)
    return pred, target.astype(pred.dtype, copy=False)


def _check_unit_interval(a, name, hint=""):
    lo, hi = a.min(), a.max()
    if lo < 0 or hi > 1:
        raise ValueError(f"{name} holds values from {lo} to {hi}, expected values in [0, 1]{hint}")


def mse(y_pred, y_true):
    r"""Mean squared error over all elements.

    Parameters
    ----------
    y_pred : array_like, shape (N, ...)
    y_true : array_like, same shape as ``y_pred``

    Returns
    -------
    numpy scalar of ``y_pred``'s dtype

    Notes
    -----
    .. math:: L = \frac{1}{n} \sum_{i=1}^{n} (\hat y_i - y_i)^2

    where :math:`n` counts all elements, not only the rows.

    Examples
    --------
    >>> float(mse([[1.0], [3.0]], [[0.0], [1.0]]))
    2.5
    """
    y_pred, y_true = _pair(y_pred, y_true, "y_pred", "y_true")
    diff = y_pred - y_true
    return np.mean(diff * diff)


def mse_grad(y_pred, y_true):
    r"""Gradient of :func:`mse` with respect to ``y_pred``.

    Returns
    -------
    ndarray, same shape and dtype as ``y_pred``

    Notes
    -----
    .. math:: \frac{\partial L}{\partial \hat y_i} = \frac{2}{n} (\hat y_i - y_i)

    Examples
    --------
    >>> mse_grad([[1.0], [3.0]], [[0.0], [1.0]]).tolist()
    [[1.0], [2.0]]
    """
    y_pred, y_true = _pair(y_pred, y_true, "y_pred", "y_true")
    return (2 / y_pred.size) * (y_pred - y_true)


def half_sse(y_pred, y_true):
    r"""Half the sum of squared errors (the "½ convention").

    Some texts (source 003 among them) define the squared-error loss as a
    *sum* with a factor ½, chosen so that the 2 from differentiating the
    square cancels and the gradient is just the error :math:`\hat y - y`.
    It differs from :func:`mse` only by the constant factor :math:`n/2`,
    which a learning rate absorbs.

    Parameters
    ----------
    y_pred : array_like, shape (N, ...)
    y_true : array_like, same shape as ``y_pred``

    Returns
    -------
    numpy scalar of ``y_pred``'s dtype

    Notes
    -----
    .. math:: E = \frac{1}{2} \sum_{i=1}^{n} (\hat y_i - y_i)^2

    Examples
    --------
    >>> float(half_sse([1.0, 3.0], [0.0, 1.0]))
    2.5
    """
    y_pred, y_true = _pair(y_pred, y_true, "y_pred", "y_true")
    diff = y_pred - y_true
    return 0.5 * np.sum(diff * diff)


def half_sse_grad(y_pred, y_true):
    r"""Gradient of :func:`half_sse` with respect to ``y_pred``: the error itself.

    Returns
    -------
    ndarray, same shape and dtype as ``y_pred``

    Notes
    -----
    .. math:: \frac{\partial E}{\partial \hat y_i} = \hat y_i - y_i

    Examples
    --------
    >>> half_sse_grad([1.0, 3.0], [0.0, 1.0]).tolist()
    [1.0, 2.0]
    """
    y_pred, y_true = _pair(y_pred, y_true, "y_pred", "y_true")
    return y_pred - y_true


def _clipped_probabilities(p, y, eps):
    """Validate ``p`` and ``y`` for binary cross-entropy and clip ``p`` to ``[eps, 1 - eps]``."""
    p, y = _pair(p, y, "p", "y")
    _check_unit_interval(p, "p", "; p must be probabilities (use binary_cross_entropy_with_logits for raw scores)")
    _check_unit_interval(y, "y", " (0/1 labels or soft targets)")
    check_number(eps, "eps", low=0, high=0.5, low_open=True)
    eps = max(float(eps), float(np.finfo(p.dtype).eps))  # in float32, 1 - 1e-12 would round to 1
    return np.clip(p, eps, 1 - eps), y


def binary_cross_entropy(p, y, eps=1e-12):
    r"""Mean binary cross-entropy of probabilities ``p`` against targets ``y``.

    Parameters
    ----------
    p : array_like, shape (N, ...)
        Predicted probabilities, in :math:`[0, 1]`.
    y : array_like, same shape as ``p``
        Targets in :math:`[0, 1]` (0/1 labels or soft targets).
    eps : float, default 1e-12
        ``p`` is clipped to :math:`[\epsilon, 1 - \epsilon]` before the log,
        so that a confident wrong prediction gives a large finite loss
        instead of :math:`\log 0 = -\infty`. In float32, ``eps`` is raised
        to the machine epsilon (about 1.2e-7) so that :math:`1 - \epsilon`
        stays below 1. (PyTorch instead clamps each log at -100, so the
        two agree only for ``p`` away from 0 and 1.)

    Returns
    -------
    numpy scalar of ``p``'s dtype

    Notes
    -----
    .. math:: L = -\frac{1}{n} \sum_{i=1}^{n}
              \bigl[y_i \log p_i + (1 - y_i) \log(1 - p_i)\bigr]

    Examples
    --------
    >>> round(float(binary_cross_entropy([0.5, 0.9], [1.0, 1.0])), 6)
    0.399254
    """
    p, y = _clipped_probabilities(p, y, eps)
    return -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p))


def binary_cross_entropy_grad(p, y, eps=1e-12):
    r"""Gradient of :func:`binary_cross_entropy` with respect to ``p``.

    The formula is evaluated at the clipped ``p`` (as PyTorch does with its
    own guard), so it stays finite for ``p`` equal to 0 or 1.

    Returns
    -------
    ndarray, same shape and dtype as ``p``

    Notes
    -----
    .. math:: \frac{\partial L}{\partial p_i} = \frac{1}{n}\,\frac{p_i - y_i}{p_i (1 - p_i)}

    Examples
    --------
    >>> binary_cross_entropy_grad([0.5, 0.5], [1.0, 0.0]).tolist()
    [-1.0, 1.0]
    """
    p, y = _clipped_probabilities(p, y, eps)
    return (p - y) / (p * (1 - p)) / p.size


def _logits_and_targets(z, y):
    z, y = _pair(z, y, "z", "y")
    _check_unit_interval(y, "y", " (0/1 labels or soft targets)")
    return z, y


def binary_cross_entropy_with_logits(z, y):
    r"""Mean binary cross-entropy of ``sigmoid(z)`` against ``y``, computed from the logits.

    Parameters
    ----------
    z : array_like, shape (N, ...)
        Logits (raw scores, any real number).
    y : array_like, same shape as ``z``
        Targets in :math:`[0, 1]`.

    Returns
    -------
    numpy scalar of ``z``'s dtype

    Notes
    -----
    Substituting :math:`p = \sigma(z)` into the cross-entropy and simplifying
    gives a form with no overflow and no :math:`\log 0`:

    .. math:: L = \frac{1}{n} \sum_{i=1}^{n}
              \bigl[\max(z_i, 0) - z_i y_i + \log\bigl(1 + e^{-|z_i|}\bigr)\bigr]

    Examples
    --------
    >>> float(binary_cross_entropy_with_logits([-1000.0], [1.0]))
    1000.0
    """
    z, y = _logits_and_targets(z, y)
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def binary_cross_entropy_with_logits_grad(z, y):
    r"""Gradient of :func:`binary_cross_entropy_with_logits` with respect to ``z``.

    Returns
    -------
    ndarray, same shape and dtype as ``z``

    Notes
    -----
    .. math:: \frac{\partial L}{\partial z_i} = \frac{1}{n}\bigl(\sigma(z_i) - y_i\bigr)

    Examples
    --------
    >>> binary_cross_entropy_with_logits_grad([0.0, 0.0], [1.0, 0.0]).tolist()
    [-0.25, 0.25]
    """
    z, y = _logits_and_targets(z, y)
    return (sigmoid(z) - y) / z.size


def _logits_and_labels(logits, targets):
    logits = as_float_array(logits, "logits", ndim=2)
    check_nonempty(logits, "logits")
    n, n_classes = logits.shape
    return logits, as_class_labels(targets, "targets", n_classes, n=n)


def cross_entropy(logits, targets):
    r"""Mean cross-entropy of softmax(``logits``) against integer class labels.

    Same as ``torch.nn.functional.cross_entropy(logits, targets)``.

    Parameters
    ----------
    logits : array_like, shape (N, C)
        Raw scores, one row per example and one column per class.
    targets : array_like of int, shape (N,)
        The correct class of each example, in ``0 .. C-1``.

    Returns
    -------
    numpy scalar of ``logits``' dtype

    Notes
    -----
    .. math:: L = -\frac{1}{N} \sum_{n=1}^{N} \log \operatorname{softmax}(z_n)_{t_n}

    computed with :func:`~nnlib.activations.log_softmax`, so very large
    logits do not overflow.

    Examples
    --------
    >>> float(cross_entropy([[1000.0, 0.0]], [1]))
    1000.0
    """
    logits, targets = _logits_and_labels(logits, targets)
    rows = np.arange(logits.shape[0])
    return -np.mean(log_softmax(logits, axis=1)[rows, targets])


def cross_entropy_grad(logits, targets):
    r"""Gradient of :func:`cross_entropy` with respect to ``logits``.

    Returns
    -------
    ndarray, shape (N, C), dtype of ``logits``

    Notes
    -----
    With :math:`Y` the one-hot encoding of the targets,

    .. math:: \frac{\partial L}{\partial z} = \frac{1}{N}\bigl(\operatorname{softmax}(z) - Y\bigr)

    Examples
    --------
    >>> cross_entropy_grad([[0.0, 0.0]], [1]).tolist()
    [[0.5, -0.5]]
    """
    logits, targets = _logits_and_labels(logits, targets)
    rows = np.arange(logits.shape[0])
    grad = softmax(logits, axis=1)
    grad[rows, targets] -= 1
    return grad / logits.shape[0]


def cross_entropy_with_grad(logits, targets):
    r""":func:`cross_entropy` and :func:`cross_entropy_grad` together, sharing one softmax.

    A training step needs both the loss and its gradient; computing the
    log-softmax once and taking the softmax from it as
    :math:`\operatorname{softmax}(z) = e^{\log \operatorname{softmax}(z)}` saves a
    second pass (and a second check of the inputs).

    Returns
    -------
    (numpy scalar, ndarray of shape (N, C))
        The mean loss and its gradient, both of ``logits``' dtype; equal to
        the two separate functions up to rounding.

    Examples
    --------
    >>> value, grad = cross_entropy_with_grad([[0.0, 0.0]], [1])
    >>> round(float(value), 6), grad.tolist()
    (0.693147, [[0.5, -0.5]])
    """
    logits, targets = _logits_and_labels(logits, targets)
    n = logits.shape[0]
    rows = np.arange(n)
    log_p = log_softmax(logits, axis=1)
    value = -np.mean(log_p[rows, targets])
    grad = np.exp(log_p, out=log_p)  # the softmax, computed in place
    grad[rows, targets] -= 1
    grad /= n
    return value, grad


class _Loss:
    """A loss as an object for the training loop: ``loss(pred, target)`` and ``loss.grad(pred, target)``."""

    _loss = _loss_grad = None  # set by each subclass

    def __call__(self, pred, target):
        """The mean loss, a numpy scalar of ``pred``'s dtype."""
        return self._loss(pred, target)

    def grad(self, pred, target):
        """Gradient of the loss with respect to ``pred``, shaped like ``pred``."""
        return self._loss_grad(pred, target)

    def value_and_grad(self, pred, target):
        """``(loss, grad)`` at once, as a training step needs them (one pass where the loss allows)."""
        return self._loss(pred, target), self._loss_grad(pred, target)

    def __repr__(self):
        return f"{type(self).__name__}()"


class MSELoss(_Loss):
    """Mean squared error, :func:`mse` and :func:`mse_grad` (like ``torch.nn.MSELoss``).

    Examples
    --------
    >>> loss = MSELoss()
    >>> loss
    MSELoss()
    >>> float(loss([1.0, 3.0], [0.0, 1.0])), loss.grad([1.0, 3.0], [0.0, 1.0]).tolist()
    (2.5, [1.0, 2.0])
    """

    _loss = staticmethod(mse)
    _loss_grad = staticmethod(mse_grad)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits (like ``torch.nn.BCEWithLogitsLoss``).

    Delegates to :func:`binary_cross_entropy_with_logits` and its gradient.

    Examples
    --------
    >>> loss = BCEWithLogitsLoss()
    >>> loss.grad([0.0, 0.0], [1.0, 0.0]).tolist()
    [-0.25, 0.25]
    """

    _loss = staticmethod(binary_cross_entropy_with_logits)
    _loss_grad = staticmethod(binary_cross_entropy_with_logits_grad)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy with integer labels (like ``torch.nn.CrossEntropyLoss``).

    Delegates to :func:`cross_entropy` and :func:`cross_entropy_grad`.

    Examples
    --------
    >>> loss = CrossEntropyLoss()
    >>> round(float(loss([[0.0, 0.0]], [1])), 6)
    0.693147
    """

    _loss = staticmethod(cross_entropy)
    _loss_grad = staticmethod(cross_entropy_grad)

    def value_and_grad(self, pred, target):
        return cross_entropy_with_grad(pred, target)
