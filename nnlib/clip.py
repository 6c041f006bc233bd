r"""Gradient clipping: a remedy for exploding gradients (Pascanu, Mikolov & Bengio, 2013).

When the gradients of a deep (or recurrent) network explode, one step of
gradient descent can throw the parameters far away. Clipping by norm keeps
the *direction* of the gradient and caps its *length*: if the norm of all
gradients together exceeds ``max_norm``, every gradient is scaled down by the
same factor. It is applied between ``backward`` and ``optimizer.step()``::

    optimizer.zero_grad()
    model.backward(loss.grad(model(X), y))
    clip_grad_norm(model.parameters(), max_norm=1.0)
    optimizer.step()
"""
from __future__ import annotations

import math

import numpy as np

from ._validate import check_number
from .module import Parameter

__all__ = ["clip_grad_norm"]


def _parameter_list(parameters) -> list:
    if isinstance(parameters, Parameter):
        return [parameters]
    if isinstance(parameters, np.ndarray) or not hasattr(parameters, "__iter__"):
        raise TypeError(f"parameters must be a Parameter or an iterable of Parameters (e.g. model.parameters()), "
                        f"got {type(parameters).__name__}")
    params = list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(f"parameters[{i}] must be an nnlib Parameter, got {type(p).__name__}")
    return params


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False) -> float:
    r"""Scale the gradients in place so that their joint norm is at most ``max_norm``.

    Computes exactly what ``torch.nn.utils.clip_grad_norm_`` computes.

    Parameters
    ----------
    parameters : Parameter or iterable of Parameter
        E.g. ``model.parameters()``; their ``.grad`` arrays are changed in place.
    max_norm : float
        :math:`c > 0`, the largest norm allowed; ``float("inf")`` only measures the norm.
    norm_type : float, default 2.0
        :math:`p \ge 1` of the :math:`p`-norm, or ``float("inf")`` for the largest absolute entry.
    error_if_nonfinite : bool, default False
        Raise ``RuntimeError`` if the total norm is NaN or infinite (else the
        gradients are scaled by a NaN factor, as in PyTorch).

    Returns
    -------
    float
        The total norm *before* clipping (useful to log and watch for explosions).

    Notes
    -----
    With :math:`g` all gradients put end to end,

    .. math:: \lVert g\rVert_p = \Bigl(\sum_{\text{params } k} \lVert g_k\rVert_p^p\Bigr)^{1/p},\qquad
              g \leftarrow g\cdot\min\Bigl(1, \frac{c}{\lVert g\rVert_p + 10^{-6}}\Bigr)

    The :math:`10^{-6}` (PyTorch's) avoids a division by zero; it makes a
    clipped norm a hair below :math:`c`.

    Examples
    --------
    >>> from nnlib import Parameter
    >>> w = Parameter(np.zeros(2))
    >>> w.grad[...] = [3.0, 4.0]
    >>> clip_grad_norm([w], max_norm=1.0)
    5.0
    >>> w.grad.round(6).tolist()
    [0.6, 0.8]
    """
    params = _parameter_list(parameters)
    if max_norm != math.inf:  # inf is allowed, as in PyTorch: measure the norm without clipping
        check_number(max_norm, "max_norm", low=0, low_open=True)
    norm_type = float(check_number(norm_type, "norm_type", low=1)) if norm_type != math.inf else math.inf
    if not params:
        return 0.0
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(p.grad))) if p.grad.size else 0.0 for p in params)
    else:
        norms = [float(np.sum(np.abs(p.grad.astype(np.float64)) ** norm_type)) ** (1.0 / norm_type)
                 for p in params]
        total = float(np.sum(np.asarray(norms) ** norm_type) ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"the total norm of order {norm_type} of the gradients is {total}, so they cannot be "
                           f"clipped; set error_if_nonfinite=False to scale them anyway")
    coef = min(float(max_norm) / (total + 1e-6), 1.0)  # NaN stays NaN, an infinite norm gives 0
    for p in params:
        p.grad *= coef
    return total
