r"""How noisy is a mini-batch gradient? Per-example gradients and the variance of their averages.

Mini-batch gradient descent replaces the gradient of the loss over all
:math:`N` training examples, :math:`\bar g = \frac1N\sum_i g_i`, by the
average over a random batch :math:`\mathcal B` of :math:`B` of them,

.. math:: g_{\mathcal B} = \frac1B \sum_{i \in \mathcal B} g_i .

It is unbiased, :math:`\mathbb E[g_{\mathcal B}] = \bar g`, and its variance
(summed over the coordinates, :math:`\mathbb E\lVert g_{\mathcal B} - \bar g\rVert^2`)
falls like :math:`1/B`:

.. math::
    \operatorname{Var}[g_{\mathcal B}] =
    \begin{cases}
    \dfrac{\sigma^2}{B} & \text{examples drawn with replacement,}\\[1ex]
    \dfrac{\sigma^2}{B}\left(1 - \dfrac{B-1}{N-1}\right) & \text{without replacement,}
    \end{cases}
    \qquad \sigma^2 = \frac1N \sum_{i=1}^N \lVert g_i - \bar g\rVert^2 .

Without replacement (what shuffling the data once per epoch and slicing it
into batches does, as :func:`nnlib.data.batches` does) the variance is
smaller by the *finite-population correction* and vanishes at
:math:`B = N`, where the batch is the whole training set.
"""
from __future__ import annotations

import numpy as np

from nnlib._validate import as_float_array, as_rng, check_nonempty, check_number

__all__ = ["linear_regression_gradients", "gradient_variance", "minibatch_variance",
           "sample_minibatch_gradients"]


def linear_regression_gradients(X, y, w):
    r"""Per-example gradients of the squared error of a linear model.

    Parameters
    ----------
    X : ndarray, shape (N, D)
    y : ndarray, shape (N,)
    w : ndarray, shape (D,)

    Returns
    -------
    G : ndarray, shape (N, D)
        Row :math:`i` is :math:`g_i = \nabla_w (x_i^\top w - y_i)^2 = 2(x_i^\top w - y_i)\,x_i`;
        their mean is the gradient of the mean squared error :math:`\frac1N\sum_i (x_i^\top w - y_i)^2`.
    """
    X = as_float_array(X, "X", ndim=2)
    check_nonempty(X, "X")
    y = as_float_array(y, "y", ndim=1)
    w = as_float_array(w, "w", ndim=1)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y has shape {y.shape}, expected ({X.shape[0]},), one target per row of X")
    if w.shape != (X.shape[1],):
        raise ValueError(f"w has shape {w.shape}, expected ({X.shape[1]},), one weight per column of X")
    residual = X @ w - y
    return 2 * residual[:, None] * X


def _per_example(G) -> np.ndarray:
    G = as_float_array(G, "G", ndim=2)
    check_nonempty(G, "G")
    return G


def gradient_variance(G) -> float:
    r"""The spread :math:`\sigma^2 = \frac1N\sum_i \lVert g_i - \bar g\rVert^2` of per-example gradients.

    Parameters
    ----------
    G : ndarray, shape (N, D)
        One gradient per row.

    Returns
    -------
    float
        The total (summed over coordinates) population variance, dividing by :math:`N`.
    """
    G = _per_example(G)
    return float(((G - G.mean(axis=0)) ** 2).sum(axis=1).mean())


def minibatch_variance(sigma2, batch_size, n, replace=False) -> float:
    r"""The variance :math:`\mathbb E\lVert g_{\mathcal B} - \bar g\rVert^2` of a mini-batch gradient.

    Parameters
    ----------
    sigma2 : float
        :math:`\sigma^2` from :func:`gradient_variance`.
    batch_size : int
        :math:`B \ge 1` (at most :math:`N` without replacement).
    n : int
        :math:`N`, the number of training examples.
    replace : bool
        Whether the batch is drawn with replacement.

    Returns
    -------
    float
        :math:`\sigma^2/B` with replacement, :math:`(\sigma^2/B)(1 - (B-1)/(N-1))` without
        (0 when :math:`B = N`; :math:`\sigma^2` when :math:`N = B = 1`).

    Examples
    --------
    >>> minibatch_variance(1.0, 10, 100, replace=True), round(minibatch_variance(1.0, 10, 100), 6)
    (0.1, 0.090909)
    """
    check_number(sigma2, "sigma2", low=0.0)
    check_number(n, "n", low=1, integer=True)
    check_number(batch_size, "batch_size", low=1, integer=True)
    if replace:
        return float(sigma2) / batch_size
    if batch_size > n:
        raise ValueError(f"batch_size is {batch_size}, but without replacement it can be at most n = {n}")
    correction = 1.0 if n == 1 else 1.0 - (batch_size - 1) / (n - 1)
    return float(sigma2) / batch_size * correction


def sample_minibatch_gradients(G, batch_size, n_draws, rng=None, replace=False) -> np.ndarray:
    """Draw ``n_draws`` mini-batches and return their average gradients.

    Parameters
    ----------
    G : ndarray, shape (N, D)
        Per-example gradients.
    batch_size : int
    n_draws : int
    rng : None, int or numpy.random.Generator
    replace : bool
        Draw the examples of one batch with replacement (independently) or
        without (``batch_size`` distinct examples).

    Returns
    -------
    ndarray, shape (n_draws, D)
        Row :math:`k` is :math:`g_{\\mathcal B_k}`, the mean of the rows of ``G`` in batch :math:`k`.
    """
    G = _per_example(G)
    n = G.shape[0]
    check_number(batch_size, "batch_size", low=1, integer=True)
    check_number(n_draws, "n_draws", low=1, integer=True)
    if not replace and batch_size > n:
        raise ValueError(f"batch_size is {batch_size}, but without replacement it can be at most N = {n}")
    rng = as_rng(rng)
    if replace:
        idx = rng.integers(0, n, size=(n_draws, batch_size))
    else:
        # the indices of the batch_size smallest of n uniform keys: a uniformly random
        # subset of batch_size distinct examples, one per draw
        keys = rng.random((n_draws, n))
        idx = np.argpartition(keys, batch_size - 1, axis=1)[:, :batch_size]
    return G[idx].mean(axis=1)
