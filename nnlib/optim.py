r"""Optimisers: rules that turn the gradients in ``p.grad`` into a step on ``p.data``.

Every optimiser here computes exactly what the ``torch.optim`` class of the
same name computes (same equations, same order of operations where it
matters, same defaults except where a signature says otherwise), so a
trajectory run with ``nnlib`` and one run with PyTorch agree to float64
rounding. The loop is PyTorch's::

    opt = nnlib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = nnlib.optim.StepLR(opt, step_size=10, gamma=0.5)
    for epoch in range(n_epochs):
        opt.zero_grad()
        model.backward(loss_grad(model(x), y))
        opt.step()
        sched.step()          # after opt.step(), as in PyTorch

Differences from PyTorch, kept on purpose: one parameter group only (no
per-layer dictionaries), ``zero_grad`` fills ``.grad`` with zeros in place
(``Parameter.grad`` is always an array, never ``None``), hyperparameters
are checked on construction with messages that name the argument, and every
gradient is checked (an ndarray of its parameter's shape and dtype) before a
step changes anything.

Every update is in place on ``p.data``, and the state arrays (momentum
buffers, moment estimates) have the parameter's dtype, so a float32 model
stays float32.
"""
from __future__ import annotations

import math

import numpy as np

from ._validate import check_number
from .lr_scheduler import CosineAnnealingLR, ExponentialLR, LambdaLR, LRScheduler, StepLR
from .module import Module, Parameter

__all__ = [
    "Optimizer", "SGD", "SGDMomentumEMA", "Adam", "AdamW", "RMSprop", "Adagrad",
    "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR",
]


def _as_parameter_list(params) -> list[Parameter]:
    """Materialise ``params`` (a list, tuple or generator of Parameters)."""
    if isinstance(params, Module):
        raise TypeError(f"params must be an iterable of Parameters, got a {type(params).__name__} "
                        "module; pass model.parameters()")
    if isinstance(params, (Parameter, np.ndarray)) or not hasattr(params, "__iter__"):
        raise TypeError(f"params must be an iterable of Parameters, got {type(params).__name__}")
    params = list(params)
    if not params:
        raise ValueError("params is empty; the optimiser was given no Parameters to update")
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(f"params[{i}] must be an nnlib Parameter, got {type(p).__name__}")
    if len({id(p) for p in params}) != len(params):
        raise ValueError("params contains the same Parameter more than once; it would be updated twice per step")
    return params


def _check_data(i: int, p: Parameter) -> np.ndarray:
    """``p.data``, refused unless it is still a writeable float32/float64 ndarray."""
    data = p.data
    if type(data) is not np.ndarray or data.dtype.kind != "f" or data.dtype.itemsize not in (4, 8):
        got = f"an ndarray of dtype {data.dtype}" if isinstance(data, np.ndarray) else type(data).__name__
        raise TypeError(f"params[{i}].data is {got}, expected a float32 or float64 ndarray; "
                        f"change a parameter in place (p.data[...] = values), never rebind p.data")
    if not data.flags.writeable:
        raise ValueError(f"params[{i}].data is a read-only array; the optimiser updates it in place")
    return data


def _check_grad(i: int, p: Parameter) -> np.ndarray:
    """``p.grad``, refused unless it is an ndarray of the parameter's shape and dtype."""
    data, g = _check_data(i, p), p.grad
    if type(g) is not np.ndarray:
        hint = "; nnlib gradients are never None: zero_grad() fills them with zeros" if g is None else ""
        raise TypeError(f"params[{i}].grad is {'None' if g is None else 'a ' + type(g).__name__}, expected an "
                        f"ndarray of shape {data.shape} and dtype {data.dtype} like params[{i}].data{hint}")
    if g.shape != data.shape:
        raise ValueError(f"params[{i}].grad has shape {g.shape}, expected {data.shape} like its data")
    if g.dtype != data.dtype:
        raise TypeError(f"params[{i}].grad has dtype {g.dtype}, expected {data.dtype} like its data")
    return g


def _zeros(state: dict, name: str, like: np.ndarray) -> np.ndarray:
    """``state[name]``, created as zeros shaped and typed like the parameter on first use."""
    if name not in state:
        state[name] = np.zeros_like(like)
    return state[name]


def _check_betas(betas) -> tuple[float, float]:
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
    for i, b in enumerate((b1, b2)):
        check_number(b, f"betas[{i}]", low=0.0)
        if b >= 1.0:
            raise ValueError(f"betas[{i}] must be in [0, 1), got {b!r}")
    return float(b1), float(b2)


class Optimizer:
    """Base class: holds the parameters, their hyperparameters and per-parameter state.

    Parameters
    ----------
    params : iterable of Parameter
        A list or a generator (it is materialised once).
    defaults : dict
        The hyperparameters, stored in ``param_groups[0]`` next to the list
        of parameters, where a learning-rate scheduler changes ``"lr"``.

    Attributes
    ----------
    param_groups : list of one dict
        ``{"params": [...], "lr": ..., ...}``, PyTorch's layout.
    state : dict
        ``state[p]`` is a dict of arrays (and step counters) for Parameter ``p``.
    lr : float
        Shortcut for ``param_groups[0]["lr"]``.

    Subclasses implement ``_update(p, g, state, group)``, the step of one
    parameter with gradient ``g``; ``step`` calls it for every parameter.
    """

    def __init__(self, params, defaults: dict):
        self.params = _as_parameter_list(params)
        self.defaults = dict(defaults)
        self.param_groups = [{"params": self.params, **defaults}]
        self.state: dict = {}

    @property
    def lr(self) -> float:
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value) -> None:
        self.param_groups[0]["lr"] = float(check_number(value, "lr", low=0.0))

    def zero_grad(self) -> None:
        """Set every ``p.grad`` to zero, in place.

        A gradient that is not an ndarray of the parameter's shape and dtype
        (say a list assigned by hand) is replaced by a fresh array of zeros.
        """
        for i, p in enumerate(self.params):
            data, g = _check_data(i, p), p.grad
            if type(g) is np.ndarray and g.shape == data.shape and g.dtype == data.dtype:
                g.fill(0.0)
            else:
                p.grad = np.zeros_like(data)

    def step(self) -> None:
        """Update every parameter in place from its ``.grad``.

        Every ``p.grad`` is checked first, before any parameter changes: it
        must be an ndarray of ``p.data``'s shape and dtype (``TypeError`` or
        ``ValueError`` naming ``params[i]`` otherwise). NaN or infinite
        gradients are *not* refused, as in PyTorch: they are how a diverging
        run shows itself, and :func:`nnlib.train.fit` detects the divergence
        from the loss and the parameters and reports it.
        """
        group = self.param_groups[0]
        grads = [_check_grad(i, p) for i, p in enumerate(self.params)]
        for p, g in zip(self.params, grads):
            self._update(p, g, self.state.setdefault(p, {}), group)

    def _update(self, p: Parameter, g: np.ndarray, state: dict, group: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # -- persistence (PyTorch's layout: parameters referred to by index) --
    def state_dict(self) -> dict:
        """Copies of the hyperparameters and of every state array."""
        index = {id(p): i for i, p in enumerate(self.params)}
        state = {index[id(p)]: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                 for p, s in self.state.items()}
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": list(range(len(self.params)))}
                  for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` returned (same number and shapes of parameters)."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            got = f"a dict with keys {sorted(map(str, state_dict))}" if isinstance(state_dict, dict) else \
                type(state_dict).__name__
            raise TypeError(f"state_dict must be a dict with keys 'state' and 'param_groups', "
                            f"as optimizer.state_dict() returns, got {got}")
        groups = state_dict["param_groups"]
        if not isinstance(groups, (list, tuple)) or len(groups) != 1 or not isinstance(groups[0], dict) \
                or "params" not in groups[0]:
            raise ValueError("state_dict['param_groups'] must be a list of one dict holding 'params' "
                             "(nnlib optimisers have one parameter group)")
        (group,) = groups
        if len(group["params"]) != len(self.params):
            raise ValueError(f"state_dict holds {len(group['params'])} parameters, "
                             f"this optimiser has {len(self.params)}")
        hyper = set(group) - {"params"}
        if hyper != set(self.defaults):
            raise ValueError(f"state_dict holds the hyperparameters {sorted(hyper)}, but {type(self).__name__} "
                             f"has {sorted(self.defaults)}: was it saved from another kind of optimiser?")
        state = {}
        for i, s in state_dict["state"].items():
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < len(self.params):
                raise ValueError(f"state_dict['state'] has the key {i!r}, expected parameter indices "
                                 f"0 .. {len(self.params) - 1}")
            p = self.params[int(i)]
            loaded = {}
            for k, v in s.items():
                if isinstance(v, np.ndarray):
                    if v.shape != p.data.shape:
                        raise ValueError(f"state_dict['state'][{i}][{k!r}] has shape {v.shape}, "
                                         f"expected {p.data.shape}")
                    v = v.astype(p.data.dtype, copy=True)
                loaded[k] = v
            state[p] = loaded
        # nothing changes until everything has been checked
        self.param_groups[0].update({k: v for k, v in group.items() if k != "params"})
        self.state = state

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in self.param_groups[0].items() if k != "params")
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"


class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional momentum, Nesterov and L2 weight decay.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        Learning rate :math:`\eta \ge 0`.
    momentum : float
        :math:`\mu \ge 0`; 0 gives plain gradient descent.
    dampening : float
        :math:`\tau \in [0, 1]`, scales the new gradient in the buffer.
    nesterov : bool
        Use Nesterov's look-ahead form (needs ``momentum > 0``, ``dampening == 0``).
    weight_decay : float
        :math:`\lambda \ge 0`, L2 penalty added to the gradient.

    Notes
    -----
    With :math:`g_t = \nabla L(\theta_{t-1}) + \lambda\theta_{t-1}`, PyTorch's
    buffer form is

    .. math::
        b_1 = g_1, \qquad b_t = \mu b_{t-1} + (1-\tau) g_t, \qquad
        d_t = \begin{cases} g_t + \mu b_t & \text{Nesterov}\\ b_t & \text{otherwise}\end{cases},
        \qquad \theta_t = \theta_{t-1} - \eta\, d_t .

    The buffer is a *sum* of past gradients, not an average: in a steady
    slope it grows to :math:`g/(1-\mu)`, ten times the gradient for
    :math:`\mu = 0.9`. :class:`SGDMomentumEMA` is the averaging form.

    Examples
    --------
    >>> import numpy as np
    >>> from nnlib import Parameter
    >>> w = Parameter(np.array([1.0, -2.0]))
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> w.grad[...] = 2 * w.data          # gradient of |w|^2
    >>> opt.step()
    >>> w.data
    array([ 0.8, -1.6])
    """

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
        check_number(lr, "lr", low=0.0)
        check_number(momentum, "momentum", low=0.0)
        check_number(dampening, "dampening", low=0.0, high=1.0)
        check_number(weight_decay, "weight_decay", low=0.0)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"nesterov=True requires momentum > 0 and dampening == 0, "
                             f"got momentum={momentum!r}, dampening={dampening!r}")
        super().__init__(params, dict(lr=float(lr), momentum=float(momentum), dampening=float(dampening),
                                      nesterov=bool(nesterov), weight_decay=float(weight_decay)))

    def _update(self, p, g, state, group):
        lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
        d = g + wd * p.data if wd != 0 else g
        if mu != 0:
            if "momentum_buffer" not in state:
                buf = state["momentum_buffer"] = d.copy()                # b_1 = g_1
            else:
                buf = state["momentum_buffer"]
                buf *= mu
                buf += (1.0 - group["dampening"]) * d                    # b_t = mu b + (1 - tau) g
            d = d + mu * buf if group["nesterov"] else buf
        p.data -= lr * d


class SGDMomentumEMA(Optimizer):
    r"""Momentum as an exponential moving average of the gradients (the form of many textbooks).

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        Learning rate :math:`\alpha \ge 0`.
    beta : float
        Momentum factor :math:`\beta \in [0, 1)`.

    Notes
    -----
    .. math::
        v_0 = 0, \qquad v_t = \beta v_{t-1} + (1-\beta) g_t, \qquad \theta_t = \theta_{t-1} - \alpha v_t .

    Unrolled, :math:`v_t = (1-\beta)\sum_{k=1}^{t}\beta^{t-k} g_k`, while
    PyTorch's buffer (:class:`SGD` with ``momentum=beta``, no dampening) is
    :math:`b_t = \sum_{k=1}^{t}\beta^{t-k} g_k`. So :math:`v_t = (1-\beta) b_t`
    at every step, and this optimiser with learning rate :math:`\alpha` follows
    exactly the trajectory of ``SGD(params, lr=alpha * (1 - beta),
    momentum=beta)``: the two forms differ only by a rescaled learning rate.
    (Starting the average at :math:`v_1 = g_1` instead would break this.)
    """

    def __init__(self, params, lr, beta=0.9):
        check_number(lr, "lr", low=0.0)
        check_number(beta, "beta", low=0.0)
        if beta >= 1.0:
            raise ValueError(f"beta must be in [0, 1), got {beta!r}")
        super().__init__(params, dict(lr=float(lr), beta=float(beta)))

    def _update(self, p, g, state, group):
        beta = group["beta"]
        v = _zeros(state, "velocity", p.data)
        v *= beta
        v += (1.0 - beta) * g
        p.data -= group["lr"] * v


class Adam(Optimizer):
    r"""Adam: a step scaled per coordinate by running moments of the gradient.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        Step size :math:`\eta \ge 0`.
    betas : (float, float)
        Decay rates :math:`\beta_1, \beta_2 \in [0, 1)` of the two moments.
    eps : float
        :math:`\epsilon \ge 0`, added to :math:`\sqrt{\hat v}` to avoid dividing by 0.
    weight_decay : float
        :math:`\lambda \ge 0`, L2 penalty *added to the gradient* (PyTorch's
        ``Adam``; see :class:`AdamW` for decoupled decay).

    Notes
    -----
    With :math:`g_t = \nabla L(\theta_{t-1}) + \lambda\theta_{t-1}` and :math:`m_0 = v_0 = 0`:

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \\
        \theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\,
        \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}.

    Why the bias correction: because the averages start at zero,
    :math:`m_t = (1-\beta_1)\sum_k \beta_1^{t-k} g_k` has weights summing to
    :math:`1-\beta_1^t`, not 1. For a constant gradient :math:`g`,
    :math:`m_t = (1-\beta_1^t)\,g`, which in the first steps is far smaller
    than :math:`g` (0.1 g at :math:`t=1` with :math:`\beta_1 = 0.9`; worse for
    :math:`v_t` with :math:`\beta_2 = 0.999`: 0.001 g²). Dividing by
    :math:`1-\beta^t` makes both estimates unbiased from the first step; the
    correction fades to 1 as :math:`t` grows. The expression above is how
    PyTorch evaluates it (:math:`\epsilon` is added after correcting
    :math:`\sqrt{v_t}`).
    """

    _decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        check_number(lr, "lr", low=0.0)
        betas = _check_betas(betas)
        check_number(eps, "eps", low=0.0)
        check_number(weight_decay, "weight_decay", low=0.0)
        super().__init__(params, dict(lr=float(lr), betas=betas, eps=float(eps), weight_decay=float(weight_decay)))

    def _update(self, p, g, state, group):
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if wd != 0:
            if self._decoupled_weight_decay:
                p.data *= 1.0 - lr * wd                               # AdamW: shrink theta directly
            else:
                g = g + wd * p.data                                   # Adam: L2 term in the gradient
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * g * g
        step_size = lr / (1.0 - b1**t)
        denom = np.sqrt(v) / math.sqrt(1.0 - b2**t) + eps
        p.data -= step_size * (m / denom)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``.

    Same parameters as :class:`Adam`, but ``weight_decay`` (default 0.01)
    shrinks the weights directly instead of entering the moments.

    Notes
    -----
    Before the Adam step (computed from the plain gradient):

    .. math::
        \theta_{t-1} \leftarrow (1 - \eta\lambda)\,\theta_{t-1}.
    """

    _decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


class RMSprop(Optimizer):
    r"""RMSprop: divide the gradient by a running root-mean-square of recent gradients.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        :math:`\eta \ge 0`.
    alpha : float
        Smoothing constant :math:`\alpha \in [0, 1]`.
    eps : float
        :math:`\epsilon \ge 0` (PyTorch's default is also 1e-8).
    momentum : float
        :math:`\mu \ge 0`, optional momentum on the scaled step.
    centered : bool
        Divide by an estimate of the *variance* (subtract the squared mean gradient).
    weight_decay : float
        :math:`\lambda \ge 0`, L2 penalty added to the gradient.

    Notes
    -----
    .. math::
        s_t = \alpha s_{t-1} + (1-\alpha) g_t^2, \qquad
        r_t = \sqrt{s_t - \bar g_t^2} + \epsilon \ \text{(centered, } \bar g_t = \alpha \bar g_{t-1} + (1-\alpha) g_t)
        \ \text{ or } \ \sqrt{s_t} + \epsilon, \\
        b_t = \mu b_{t-1} + g_t / r_t, \qquad \theta_t = \theta_{t-1} - \eta\, b_t
        \quad (\text{with } \mu = 0:\ \theta_t = \theta_{t-1} - \eta\, g_t / r_t).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0, centered=False, weight_decay=0.0):
        check_number(lr, "lr", low=0.0)
        check_number(alpha, "alpha", low=0.0, high=1.0)
        check_number(eps, "eps", low=0.0)
        check_number(momentum, "momentum", low=0.0)
        check_number(weight_decay, "weight_decay", low=0.0)
        super().__init__(params, dict(lr=float(lr), alpha=float(alpha), eps=float(eps), momentum=float(momentum),
                                      centered=bool(centered), weight_decay=float(weight_decay)))

    def _update(self, p, g, state, group):
        lr, alpha, eps, mu, wd = (group[k] for k in ("lr", "alpha", "eps", "momentum", "weight_decay"))
        if wd != 0:
            g = g + wd * p.data
        s = _zeros(state, "square_avg", p.data)
        s *= alpha
        s += (1.0 - alpha) * g * g
        if group["centered"]:
            gbar = _zeros(state, "grad_avg", p.data)
            gbar *= alpha
            gbar += (1.0 - alpha) * g
            r = np.sqrt(s - gbar * gbar) + eps
        else:
            r = np.sqrt(s) + eps
        if mu > 0:
            buf = _zeros(state, "momentum_buffer", p.data)
            buf *= mu
            buf += g / r
            p.data -= lr * buf
        else:
            p.data -= lr * (g / r)


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer, 2011): per-coordinate steps shrinking with the summed squared gradients.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        :math:`\eta \ge 0`.
    eps : float
        :math:`\epsilon \ge 0`.
    weight_decay : float
        :math:`\lambda \ge 0`, L2 penalty added to the gradient.

    Notes
    -----
    .. math::
        G_t = G_{t-1} + g_t^2, \qquad \theta_t = \theta_{t-1} - \eta\,\frac{g_t}{\sqrt{G_t} + \epsilon}.

    Coordinates with large past gradients take small steps; since
    :math:`G_t` only grows, the steps of every coordinate keep shrinking.
    """

    def __init__(self, params, lr=1e-2, eps=1e-10, weight_decay=0.0):
        check_number(lr, "lr", low=0.0)
        check_number(eps, "eps", low=0.0)
        check_number(weight_decay, "weight_decay", low=0.0)
        super().__init__(params, dict(lr=float(lr), eps=float(eps), weight_decay=float(weight_decay)))

    def _update(self, p, g, state, group):
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        G = _zeros(state, "sum", p.data)
        G += g * g
        p.data -= group["lr"] * (g / (np.sqrt(G) + group["eps"]))
