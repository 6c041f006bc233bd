r"""Weight penalties (L1, L2), their gradients, and an optimiser that adds them.

A penalty is added to the data loss to make large weights costly:

.. math::

    \tilde L(\theta) = L(\theta) + \lambda_1 \sum_i |w_i| + \frac{\lambda_2}{2} \sum_i w_i^2,
    \qquad
    \frac{\partial \tilde L}{\partial w_i} = \frac{\partial L}{\partial w_i}
        + \lambda_1 \operatorname{sign}(w_i) + \lambda_2 w_i .

``nnlib``'s ``backward`` fills ``p.grad`` with :math:`\partial L / \partial w`
only, so the penalty's gradient is added to ``p.grad`` between ``backward``
and the optimiser's step. :class:`Penalized` does exactly that, and being an
optimiser it plugs into :func:`nnlib.train.fit` unchanged::

    opt = Penalized(SGD(model.parameters(), lr=0.1), weight_parameters(model), l1=1e-4)

With ``l2`` alone this is what ``weight_decay`` of :class:`nnlib.optim.SGD`
(and of ``torch.optim.SGD``) computes; the difference is that
:class:`Penalized` penalises only the parameters it is given (usually the
weights, not the biases), while ``weight_decay`` acts on every parameter the
optimiser holds, biases included when it is given ``model.parameters()``.

Wrapped around an adaptive optimiser the penalty gradient is rescaled like the
data gradient: ``Penalized(Adam(...), ..., l2=lam)`` is ``Adam(weight_decay=lam)``
(L2 regularisation), not the decoupled weight decay of
:class:`nnlib.optim.AdamW`, which shrinks every weight by the same factor
:math:`1 - \eta\lambda` (Loshchilov and Hutter, ICLR 2019).
"""
from __future__ import annotations

import numpy as np

from ._validate import as_float_array, check_number
from .module import Module, Parameter

__all__ = ["l1_penalty", "l1_penalty_grad", "l2_penalty", "l2_penalty_grad",
           "weight_parameters", "Penalized"]


def l1_penalty(w) -> float:
    r"""The L1 norm :math:`\sum_i |w_i|` of an array.

    Parameters
    ----------
    w : ndarray, any shape

    Returns
    -------
    float

    Examples
    --------
    >>> l1_penalty(np.array([[1.0, -2.0], [0.0, 0.5]]))
    3.5
    """
    return float(np.abs(as_float_array(w, "w")).sum())


def l1_penalty_grad(w) -> np.ndarray:
    r"""Gradient of :func:`l1_penalty`: :math:`\operatorname{sign}(w_i)`, 0 where :math:`w_i = 0`.

    Parameters
    ----------
    w : ndarray, any shape

    Returns
    -------
    ndarray, shape and dtype of ``w``

    Notes
    -----
    :math:`|w|` has no derivative at 0; the value 0 used there (a
    subgradient) is also what PyTorch's ``abs`` gives.
    """
    return np.sign(as_float_array(w, "w"))


def l2_penalty(w) -> float:
    r"""Half the squared L2 norm, :math:`\frac12 \sum_i w_i^2`, of an array.

    The factor one half makes the gradient :math:`w` itself, so that a
    strength :math:`\lambda_2` equals ``weight_decay=`` :math:`\lambda_2` of SGD.

    Parameters
    ----------
    w : ndarray, any shape

    Returns
    -------
    float

    Examples
    --------
    >>> l2_penalty(np.array([3.0, -4.0]))
    12.5
    """
    w = as_float_array(w, "w")
    return float(0.5 * np.sum(w * w))


def l2_penalty_grad(w) -> np.ndarray:
    r"""Gradient of :func:`l2_penalty`: :math:`w` (a copy, same dtype)."""
    return np.array(as_float_array(w, "w"), copy=True)


def weight_parameters(model) -> list:
    """The weight matrices of a model (parameters named ``W``), not the biases.

    Parameters
    ----------
    model : Module

    Returns
    -------
    list of Parameter
        Those whose name, as :meth:`Module.named_parameters` gives it, is
        ``W`` or ends in ``.W``: the weights of every :class:`~nnlib.Dense`.
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be an nnlib Module, got {type(model).__name__}")
    return [p for name, p in model.named_parameters() if name.split(".")[-1] == "W"]


class Penalized:
    r"""An optimiser that adds L1 and L2 penalty gradients before each step.

    Parameters
    ----------
    optimizer : Optimizer
        Any ``nnlib.optim`` optimiser; it does the update.
    params : iterable of Parameter
        The parameters to penalise, all among ``optimizer``'s (typically
        :func:`weight_parameters` of the model).
    l1 : float
        :math:`\lambda_1 \ge 0`.
    l2 : float
        :math:`\lambda_2 \ge 0`.

    Notes
    -----
    ``step()`` sets :math:`g_i \leftarrow g_i + \lambda_1 \operatorname{sign}(w_i)
    + \lambda_2 w_i` for every penalised parameter, then calls
    ``optimizer.step()``. ``zero_grad``, ``lr`` and ``param_groups`` are the
    wrapped optimiser's, so :func:`nnlib.train.fit` and learning-rate
    schedulers work unchanged. The loss that ``fit`` records is the data
    loss :math:`L`; :meth:`penalty` gives the penalty term.

    Examples
    --------
    >>> from nnlib.optim import SGD
    >>> w = Parameter(np.array([0.5, -2.0]))
    >>> opt = Penalized(SGD([w], lr=0.1), [w], l1=1.0)
    >>> opt.zero_grad(); opt.step()      # no data gradient: only the L1 pull
    >>> w.data
    array([ 0.4, -1.9])
    """

    def __init__(self, optimizer, params, l1=0.0, l2=0.0):
        for name in ("zero_grad", "step"):
            if not callable(getattr(optimizer, name, None)):
                raise TypeError(f"optimizer must have {name}(), got {type(optimizer).__name__}")
        self.l1 = float(check_number(l1, "l1", low=0.0))
        self.l2 = float(check_number(l2, "l2", low=0.0))
        if isinstance(params, Module):
            raise TypeError("params must be an iterable of Parameters, got a module; "
                            "pass weight_parameters(model) or model.parameters()")
        self.params = list(params)
        known = {id(p) for p in getattr(optimizer, "params", ())}
        for i, p in enumerate(self.params):
            if not isinstance(p, Parameter):
                raise TypeError(f"params[{i}] must be an nnlib Parameter, got {type(p).__name__}")
            if known and id(p) not in known:
                raise ValueError(f"params[{i}] ({p!r}) is not updated by the optimizer; a penalty on it "
                                 f"would have no effect")
        self.optimizer = optimizer

    @property
    def lr(self):
        return self.optimizer.lr

    @lr.setter
    def lr(self, value):
        self.optimizer.lr = value

    @property
    def param_groups(self):
        return self.optimizer.param_groups

    def zero_grad(self) -> None:
        self.optimizer.zero_grad()

    def step(self) -> None:
        for p in self.params:
            if self.l1:
                p.grad += p.data.dtype.type(self.l1) * l1_penalty_grad(p.data)
            if self.l2:
                p.grad += p.data.dtype.type(self.l2) * p.data
        self.optimizer.step()

    def penalty(self) -> float:
        r""":math:`\lambda_1 \sum |w| + \frac{\lambda_2}{2} \sum w^2` over the penalised parameters."""
        return sum(self.l1 * l1_penalty(p.data) + self.l2 * l2_penalty(p.data) for p in self.params)

    def __repr__(self) -> str:
        return f"Penalized({self.optimizer!r}, {len(self.params)} parameters, l1={self.l1:g}, l2={self.l2:g})"
