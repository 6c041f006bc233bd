r"""Learning-rate schedules, with the names and call order of ``torch.optim.lr_scheduler``.

A scheduler owns no learning rate of its own: each ``step()`` writes the
next value into the optimiser's ``param_groups[0]["lr"]``. As in PyTorch it
is called once per epoch (or per batch) *after* ``optimizer.step()``::

    opt = SGD(model.parameters(), lr=0.1)
    sched = CosineAnnealingLR(opt, T_max=50)
    for epoch in range(50):
        ...                       # forward, backward
        opt.step()
        sched.step()
        history.append(sched.get_last_lr()[0])

The schedulers also work with a ``torch.optim`` optimiser (anything with
``param_groups``).

``StepLR``, ``ExponentialLR`` and ``CosineAnnealingLR`` are made for a fixed
budget of epochs: none of them meets the Robbins–Monro conditions
:math:`\sum_t \eta_t = \infty`, :math:`\sum_t \eta_t^2 < \infty` (the first
two have a finite sum of rates, the cosine climbs back up after ``T_max``).
``LambdaLR(opt, lambda t: 1 / (1 + t / tau))`` gives the decay
:math:`\eta_0 / (1 + t/\tau) \propto 1/t` that does.
"""
from __future__ import annotations

import math

from ._validate import check_number

__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR"]


class LRScheduler:
    """Base class: counts steps in ``last_epoch`` and sets the optimiser's learning rate.

    Subclasses implement ``_next_lr(lr)``: the learning rate for epoch
    ``self.last_epoch`` (already incremented) given the current one ``lr``.

    Attributes
    ----------
    optimizer : Optimizer
    base_lrs : list of float
        The learning rate(s) when the scheduler was created.
    last_epoch : int
        Number of ``step()`` calls so far (0 right after construction).
    """

    def __init__(self, optimizer):
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"optimizer must be an Optimizer (with param_groups), got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lrs = [float(g["lr"]) for g in optimizer.param_groups]
        self.last_epoch = 0
        self._last_lr = list(self.base_lrs)

    def step(self) -> None:
        """Advance one epoch and write the new learning rate into the optimiser."""
        self.last_epoch += 1
        for i, group in enumerate(self.optimizer.param_groups):
            group["lr"] = self._next_lr(group["lr"], self.base_lrs[i])
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def _next_lr(self, lr: float, base_lr: float) -> float:
        raise NotImplementedError(f"{type(self).__name__} does not implement _next_lr")

    def get_last_lr(self) -> list[float]:
        """The learning rate(s) set by the last ``step()`` (or the initial ones)."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, list) else v) for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update({k: (list(v) if isinstance(v, list) else v) for k, v in state_dict.items()})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


class StepLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int
        Epochs between two decays, >= 1.
    gamma : float
        Decay factor, > 0 (usually < 1).

    Notes
    -----
    .. math:: \eta_t = \eta_0\, \gamma^{\lfloor t / \text{step\_size} \rfloor},

    computed as PyTorch does, by multiplying the current rate by
    :math:`\gamma` at each multiple of ``step_size`` (so the values are
    bit-for-bit PyTorch's).

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib import Parameter
    >>> from nnlib.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     opt.step()
    ...     sched.step()
    ...     lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = check_number(step_size, "step_size", low=1, integer=True)
        self.gamma = float(check_number(gamma, "gamma", low=0.0, low_open=True))
        super().__init__(optimizer)

    def _next_lr(self, lr, base_lr):
        return lr * self.gamma if self.last_epoch % self.step_size == 0 else lr


class ExponentialLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every epoch.

    Parameters
    ----------
    optimizer : Optimizer
    gamma : float
        Decay factor, > 0.

    Notes
    -----
    .. math:: \eta_t = \eta_0\, \gamma^{t},

    computed as PyTorch does, one multiplication per step.
    """

    def __init__(self, optimizer, gamma):
        self.gamma = float(check_number(gamma, "gamma", low=0.0, low_open=True))
        super().__init__(optimizer)

    def _next_lr(self, lr, base_lr):
        return lr * self.gamma


class CosineAnnealingLR(LRScheduler):
    r"""Lower the learning rate from its initial value to ``eta_min`` along half a cosine.

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int
        Epochs to reach ``eta_min``, >= 1. Stepping past ``T_max`` climbs
        back up (the cosine continues), as in PyTorch.
    eta_min : float
        Final learning rate, >= 0.

    Notes
    -----
    .. math::
        \eta_t = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})
        \left(1 + \cos\frac{\pi t}{T_{\max}}\right).

    This closed form is what is computed here. PyTorch's ``step()`` reaches
    the same values through a recursion (each rate from the previous one),
    which differs from the closed form by rounding only: the tests find
    agreement to a relative 1e-12. Unlike PyTorch's recursion the closed form
    ignores changes made by hand to the optimiser's ``lr`` in between.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = check_number(T_max, "T_max", low=1, integer=True)
        self.eta_min = float(check_number(eta_min, "eta_min", low=0.0))
        super().__init__(optimizer)

    def _next_lr(self, lr, base_lr):
        cosine = 1.0 + math.cos(math.pi * self.last_epoch / self.T_max)
        return self.eta_min + 0.5 * (base_lr - self.eta_min) * cosine


class LambdaLR(LRScheduler):
    r"""Set the learning rate to the initial one times ``lr_lambda(epoch)``.

    Parameters
    ----------
    optimizer : Optimizer
    lr_lambda : callable
        ``lr_lambda(t)`` for the epoch count ``t = 0, 1, 2, ...``: a finite
        real number >= 0, the factor applied to the initial learning rate.

    Notes
    -----
    .. math:: \eta_t = \eta_0\, \lambda(t),

    as PyTorch's ``LambdaLR`` computes it, including at construction, where
    the rate becomes :math:`\eta_0 \lambda(0)`. With
    :math:`\lambda(t) = 1 / (1 + t/\tau)` the rates decay like :math:`1/t`:
    their sum grows without bound (like :math:`\eta_0\tau\ln t`) while the
    sum of their squares stays finite, the conditions of Robbins and Monro.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib import Parameter
    >>> from nnlib.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = LambdaLR(opt, lambda t: 1 / (1 + t / 2))
    >>> lrs = []
    >>> for epoch in range(4):
    ...     opt.step()
    ...     sched.step()
    ...     lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.6666666666666666, 0.5, 0.4, 0.3333333333333333]
    """

    def __init__(self, optimizer, lr_lambda):
        if not callable(lr_lambda):
            raise TypeError(f"lr_lambda must be a function of the epoch, got {type(lr_lambda).__name__}")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)
        for i, group in enumerate(self.optimizer.param_groups):
            group["lr"] = self._next_lr(group["lr"], self.base_lrs[i])
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def _next_lr(self, lr, base_lr):
        factor = self.lr_lambda(self.last_epoch)
        check_number(factor, f"lr_lambda({self.last_epoch})", low=0.0)
        return base_lr * factor
