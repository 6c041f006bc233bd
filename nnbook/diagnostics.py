r"""Looking inside a deep network: gradient norms and activation statistics per layer.

For a stack of fully connected layers :math:`Z^{(\ell)} = A^{(\ell-1)} W^{(\ell)} + b^{(\ell)}`,
:math:`A^{(\ell)} = f(Z^{(\ell)})`, backpropagation computes
:math:`\delta^{(\ell)} = \partial L / \partial Z^{(\ell)}` from the output down:

.. math:: \delta^{(\ell-1)} = \bigl(\delta^{(\ell)} W^{(\ell)\top}\bigr) \odot f'\bigl(Z^{(\ell-1)}\bigr),
          \qquad \frac{\partial L}{\partial W^{(\ell)}} = A^{(\ell-1)\top} \delta^{(\ell)}

Every step multiplies by a weight matrix and by derivatives of the
activation, so over many layers the gradient can shrink (vanish) or grow
(explode) geometrically. :func:`gradient_norms` and :func:`delta_norms`
measure it layer by layer; :func:`activation_stats` shows the forward side
(how large the pre-activations are, how saturated the units).

All three take a :class:`~nnlib.Sequential` (nested ones are flattened) and
run it in its current mode. :func:`gradient_norms` also sees the Dense
layers inside other blocks such as :class:`~nnlib.Residual`; the other two
need a plain stack and refuse such blocks rather than skip what is inside.
In training mode BatchNorm layers use batch statistics *and update their
running averages*, as on any training step.
"""
from __future__ import annotations

import numpy as np

from nnlib._validate import as_float_array, check_nonempty
from nnlib.layers import Dense, Identity, _Elementwise
from nnlib.module import Sequential

__all__ = ["gradient_norms", "delta_norms", "activation_stats"]


def _leaves(model) -> list:
    """The modules of a Sequential in forward order, nested Sequentials flattened."""
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be an nnlib Sequential (layers applied in order), got {type(model).__name__}")
    out = []
    for m in model:
        out.extend(_leaves(m) if isinstance(m, Sequential) else [m])
    return out


def _dense_count(leaves) -> int:
    n = sum(isinstance(m, Dense) for m in leaves)
    if n == 0:
        raise ValueError("model has no Dense layer: there is no weight gradient to measure")
    return n


def _backward_record(model, X, y, loss):
    """One forward and backward pass; returns the Dense layers and each one's ``dL/dZ``."""
    if not callable(loss) or not callable(getattr(loss, "grad", None)):
        raise TypeError(f"loss must be a loss object such as nnlib.CrossEntropyLoss(), got {type(loss).__name__}")
    leaves = _leaves(model)
    _dense_count(leaves)
    for m in leaves:
        if not isinstance(m, Dense) and _dense_in(m):
            raise ValueError(
                f"delta_norms needs a plain stack of layers, but {type(m).__name__} hides Dense layers inside "
                f"it, whose deltas it cannot record (gradient_norms handles such blocks)"
            )
    X = as_float_array(X, "X")
    check_nonempty(X, "X")
    model.zero_grad()
    out = X
    for m in leaves:
        out = m(out)
    grad = loss.grad(out, y)
    dense, deltas = [], []
    for m in reversed(leaves):
        if isinstance(m, Dense):
            dense.append(m)
            deltas.append(np.array(grad, copy=True))
        grad = m.backward(grad)
    return dense[::-1], deltas[::-1]


def _modules_in(module):
    """``module`` and every module inside it, in forward order."""
    yield module
    for _, child in module.named_children():
        yield from _modules_in(child)


def _dense_in(module) -> list:
    """Every Dense layer inside ``module`` (Sequentials, Residual blocks...), in forward order."""
    if isinstance(module, Dense):
        return [module]
    return [d for _, child in module.named_children() for d in _dense_in(child)]


def gradient_norms(model, X, y, loss) -> np.ndarray:
    r"""Frobenius norm of :math:`\partial L/\partial W` for every Dense layer, input to output.

    Runs one forward and one backward pass on the batch ``(X, y)``. Dense
    layers inside other modules (e.g. :class:`~nnlib.Residual` blocks) are
    included, in forward order. The model's gradients are zeroed first and
    hold this batch's gradients afterwards (as after ``loss.backward()`` in
    PyTorch); no parameter changes.

    Parameters
    ----------
    model : Sequential
        Containing at least one :class:`~nnlib.Dense` layer (possibly nested).
    X : ndarray, shape (N, D_in)
    y : ndarray
        Targets in the form ``loss`` expects, e.g. labels of shape (N,).
    loss : loss object
        E.g. :class:`~nnlib.CrossEntropyLoss`; ``loss.grad(out, y)`` is used.

    Returns
    -------
    ndarray, shape (n_dense,), float64
        Entry :math:`\ell` is :math:`\lVert \partial L/\partial W^{(\ell)} \rVert_F
        = \lVert A^{(\ell-1)\top}\delta^{(\ell)} \rVert_F`; entry 0 is the layer nearest the input.

    Examples
    --------
    >>> from nnlib import Dense, Sigmoid, Sequential, CrossEntropyLoss
    >>> net = Sequential(Dense(4, 8, rng=0), Sigmoid(), Dense(8, 8, rng=1), Sigmoid(), Dense(8, 3, rng=2))
    >>> X, y = np.random.default_rng(0).normal(size=(16, 4)), np.arange(16) % 3
    >>> g = gradient_norms(net, X, y, CrossEntropyLoss())
    >>> g.shape, bool(g[0] < g[-1])
    ((3,), True)
    """
    _leaves(model)  # a Sequential
    dense = _dense_in(model)  # Dense layers nested in other modules (a Residual block...) count too
    _dense_count(dense)
    if not callable(loss) or not callable(getattr(loss, "grad", None)):
        raise TypeError(f"loss must be a loss object such as nnlib.CrossEntropyLoss(), got {type(loss).__name__}")
    X = as_float_array(X, "X")
    check_nonempty(X, "X")
    model.zero_grad()
    model.backward(loss.grad(model(X), y))
    return np.array([float(np.linalg.norm(m.W.grad)) for m in dense])


def delta_norms(model, X, y, loss) -> np.ndarray:
    r"""Frobenius norm of :math:`\delta^{(\ell)} = \partial L/\partial Z^{(\ell)}` at every Dense layer's output.

    :math:`\delta` is the gradient that backpropagation carries from layer to
    layer; its norm shows the shrinking (or growth) directly, without the
    factor :math:`A^{(\ell-1)}` that enters :math:`\partial L/\partial W^{(\ell)}`.
    Same pass and side effects as :func:`gradient_norms`.

    Returns
    -------
    ndarray, shape (n_dense,), float64
        Entry 0 is the layer nearest the input, the last entry the output layer.
    """
    _, deltas = _backward_record(model, X, y, loss)
    return np.array([float(np.linalg.norm(d)) for d in deltas])


def activation_stats(model, X) -> dict:
    r"""Statistics of every activation layer's input and output on the batch ``X``.

    Parameters
    ----------
    model : Sequential
    X : ndarray, shape (N, D_in)

    Returns
    -------
    dict of ndarray, each of shape (n_activations,), float64, one entry per
    elementwise activation layer (Sigmoid, Tanh, ReLU, ...) in forward order:

    ``"z_std"``
        Standard deviation of the pre-activations :math:`z` over the batch and the units.
    ``"mean"``, ``"std"``
        Mean and standard deviation of the activations :math:`a = f(z)`.
    ``"grad_mean"``
        Mean of :math:`f'(z)`, the factor each unit contributes to the
        backward product (at most 1/4 for the sigmoid; for ReLU the fraction
        of active units).

    Examples
    --------
    >>> from nnlib import Dense, Sigmoid, Sequential
    >>> net = Sequential(Dense(3, 5, rng=0), Sigmoid(), Dense(5, 2, rng=1), Sigmoid())
    >>> s = activation_stats(net, np.zeros((4, 3)))
    >>> sorted(s), bool(np.all(s["grad_mean"] <= 0.25))
    (['grad_mean', 'mean', 'std', 'z_std'], True)
    """
    leaves = _leaves(model)
    for m in leaves:
        if not isinstance(m, _Elementwise) and any(isinstance(sub, _Elementwise) for sub in _modules_in(m)):
            raise ValueError(
                f"activation_stats needs a plain stack of layers, but {type(m).__name__} hides activation "
                f"layers inside it, whose inputs it cannot record"
            )
    X = as_float_array(X, "X")
    check_nonempty(X, "X")
    rows = []
    out = X
    for m in leaves:
        z = out
        out = m(z)
        if isinstance(m, _Elementwise) and not isinstance(m, Identity):
            rows.append((z.std(), out.mean(), out.std(), m._f_grad(z).mean()))
    if not rows:
        raise ValueError("model has no elementwise activation layer (Sigmoid, Tanh, ReLU, ...)")
    cols = np.array(rows, dtype=np.float64).T
    return dict(zip(("z_std", "mean", "std", "grad_mean"), cols))
