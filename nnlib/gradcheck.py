"""Gradient checking: compare a backward pass with central finite differences.

Every ``backward`` in the book is checked the same way. Perturb one entry of
the input (or of a parameter) by :math:`\\pm\\varepsilon`, measure how much a
scalar loss changes, and compare that slope with the gradient the code
computed. If the two disagree, the backward pass has a bug.

For a module :math:`y = m(x)` we need a *scalar* to differentiate, so we draw
a random upstream gradient :math:`G` (same shape as :math:`y`) and use
:math:`L = \\sum_{ij} y_{ij} G_{ij}`, whose gradient with respect to
:math:`y` is exactly :math:`G`. A random :math:`G` matters: with an all-ones
:math:`G` some bugs cancel out (for BatchNorm the true input gradient of
``y.sum()`` is exactly zero, so a backward that returns zeros would pass).

Examples
--------
>>> import numpy as np
>>> from nnlib.gradcheck import gradcheck
>>> f = lambda x: np.sum(np.sin(x))
>>> gradcheck(f, np.linspace(-1.0, 1.0, 5), grad_fn=np.cos).passed
True
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validate import as_rng, check_number
from .module import Module

__all__ = ["numerical_grad", "gradcheck", "GradcheckResult", "TensorCheck"]

_TINY = np.finfo(np.float64).tiny


def _require_float64(x, name: str) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        x = np.asarray(x)
        if x.dtype.kind in "biu":
            x = x.astype(np.float64)
    if x.dtype != np.float64:
        raise TypeError(
            f"{name} has dtype {x.dtype}, but finite differences need float64: with float32 "
            f"(about 7 significant digits) the difference f(x+eps) - f(x-eps) is mostly rounding "
            f"error. Convert first, e.g. x.astype(np.float64) (and the module's parameters too)."
        )
    return x


def numerical_grad(f, x, eps: float = 1e-6) -> np.ndarray:
    """Gradient of a scalar function by central differences.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, a scalar function of the array ``x``.
    x : ndarray of float64, any shape
        The point at which to differentiate. Entries are changed in place one
        at a time (so that ``f`` may also read ``x`` through a closure, as a
        layer reads its parameter) and each is restored to its exact original
        value before the function returns, even if ``f`` raises.
    eps : float
        The step :math:`\\varepsilon > 0`.

    Returns
    -------
    grad : ndarray, same shape and dtype as ``x``

    Notes
    -----
    .. math::

        \\frac{\\partial f}{\\partial x_i} \\approx
        \\frac{f(x + \\varepsilon e_i) - f(x - \\varepsilon e_i)}{2\\varepsilon}

    The truncation error is :math:`O(\\varepsilon^2)`, the rounding error
    about :math:`10^{-16}|f|/\\varepsilon`; ``eps=1e-6`` balances the two in
    float64. At a kink (ReLU at 0) the formula averages the two one-sided
    slopes, so keep test inputs away from kinks.

    Examples
    --------
    >>> import numpy as np
    >>> numerical_grad(lambda v: float(np.sum(v ** 2)), np.array([1.0, -2.0])).round(6)
    array([ 2., -4.])
    """
    x = _require_float64(x, "x")
    check_number(eps, "eps", low=0.0, low_open=True)
    if not x.flags.writeable:
        x = x.copy()
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        try:
            x[idx] = original + eps
            f_plus = _scalar(f(x))
            x[idx] = original - eps
            f_minus = _scalar(f(x))
        finally:
            x[idx] = original
        grad[idx] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def _scalar(value) -> float:
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(f"f must return a scalar, got an array of shape {arr.shape}; sum it or pick one entry")
    return float(arr.reshape(()))


@dataclass
class TensorCheck:
    """The comparison for one tensor (the input or one parameter)."""

    name: str
    shape: tuple
    max_abs_error: float
    max_rel_error: float
    passed: bool
    analytic: np.ndarray = field(repr=False)
    numerical: np.ndarray = field(repr=False)


@dataclass
class GradcheckResult:
    """Outcome of :func:`gradcheck`.

    Attributes
    ----------
    passed : bool
        True when every entry of every tensor satisfies
        :math:`|a - n| \\le \\mathrm{atol} + \\mathrm{rtol}\\,\\max(|a|, |n|)`.
    max_rel_error : float
        Largest relative error over all tensors (see :func:`gradcheck`).
    max_abs_error : float
        Largest absolute error over all tensors.
    checks : list of TensorCheck
        One entry per tensor, the input first; ``result["W"]`` looks one up by name.
    """

    passed: bool
    max_rel_error: float
    max_abs_error: float
    checks: list
    rtol: float
    atol: float
    eps: float

    def __bool__(self) -> bool:
        return self.passed

    def __getitem__(self, name: str) -> TensorCheck:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"no tensor named {name!r}; checked: {[c.name for c in self.checks]}")

    def __str__(self) -> str:
        rows = [("tensor", "shape", "max abs err", "max rel err", "ok")]
        for c in self.checks:
            rows.append((c.name, str(c.shape), f"{c.max_abs_error:.2e}", f"{c.max_rel_error:.2e}",
                         "yes" if c.passed else "NO"))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        verdict = "PASSED" if self.passed else "FAILED"
        lines.append(f"gradcheck {verdict} (eps={self.eps:g}, rtol={self.rtol:g}, atol={self.atol:g}; "
                     f"max rel err {self.max_rel_error:.2e})")
        if self.passed and self.max_rel_error > self.rtol:
            lines.append("(relative errors above rtol are on small entries whose absolute error is within "
                         "atol + rtol*|gradient|: rounding noise, not a bug)")
        return "\n".join(lines)


def _compare(name, analytic, numerical, rtol, atol) -> TensorCheck:
    if analytic.shape != numerical.shape:
        raise ValueError(f"the analytic gradient of {name} has shape {analytic.shape}, "
                         f"expected {numerical.shape} (the shape of {name})")
    diff = np.abs(analytic - numerical)
    scale = np.maximum(np.abs(analytic), np.abs(numerical))
    rel = diff / np.maximum(scale, _TINY)
    ok = bool(np.all(diff <= atol + rtol * scale)) and bool(np.all(np.isfinite(analytic)))
    return TensorCheck(name, tuple(analytic.shape), float(diff.max(initial=0.0)), float(rel.max(initial=0.0)),
                       ok, analytic, numerical)


def gradcheck(module_or_fn, x, *, grad_fn=None, eps: float = 1e-6, rtol: float = 1e-5,
              atol: float = 1e-8, rng=None) -> GradcheckResult:
    """Check analytic gradients against central finite differences.

    Parameters
    ----------
    module_or_fn : Module or callable
        A :class:`~nnlib.module.Module` (its ``backward`` is checked for the
        input and for every parameter), or a scalar function ``f(x)``.
    x : ndarray of float64
        The input, e.g. shape ``(N, D_in)`` for a dense layer. float32 is
        refused: finite differences need float64.
    grad_fn : callable, optional
        Only with a plain function: ``grad_fn(x)`` returns the analytic
        gradient, an array shaped like ``x``.
    eps : float
        Finite-difference step, see :func:`numerical_grad`.
    rtol, atol : float
        An entry passes when :math:`|a-n| \\le \\mathrm{atol} + \\mathrm{rtol}\\max(|a|,|n|)`.
    rng : None, int or numpy.random.Generator
        Draws the random upstream gradient :math:`G` for a module.

    Returns
    -------
    GradcheckResult
        ``print(result)`` shows one row per tensor.

    Notes
    -----
    For a module the scalar checked is :math:`L = \\sum y \\odot G` with
    :math:`y = m(x)`. The *relative error* of an analytic entry :math:`a`
    against its numerical estimate :math:`n` is

    .. math::

        r = \\frac{|a - n|}{\\max(|a|, |n|, \\mathrm{tiny})},

    where tiny is the smallest normal float64 (it only avoids 0/0 when both
    are exactly zero). :math:`r` is scale-free, but for entries that are
    nearly zero it can be large from rounding alone; that is why the pass
    test also allows an absolute error ``atol``.

    The module must be deterministic (put Dropout in eval mode), and inputs
    should avoid kinks such as ReLU at 0. The module's parameters and buffers
    (e.g. BatchNorm running statistics) are restored afterwards; parameter
    gradients are left as one ``zero_grad`` + ``backward(G)`` leaves them.
    """
    check_number(rtol, "rtol", low=0.0)
    check_number(atol, "atol", low=0.0)
    x = _require_float64(x, "x").copy()
    if isinstance(module_or_fn, Module):
        if grad_fn is not None:
            raise TypeError("grad_fn is only for plain functions; a Module provides its own backward")
        checks = _check_module(module_or_fn, x, eps, rtol, atol, as_rng(rng))
    elif callable(module_or_fn):
        if grad_fn is None:
            raise TypeError("gradcheck of a plain function needs grad_fn=, the function computing its "
                            "analytic gradient (or pass a Module, whose backward is checked)")
        f = module_or_fn
        analytic = np.asarray(grad_fn(x.copy()), dtype=np.float64)
        checks = [_compare("input", analytic, numerical_grad(f, x, eps), rtol, atol)]
    else:
        raise TypeError(f"module_or_fn must be a Module or a callable, got {type(module_or_fn).__name__}")
    return GradcheckResult(
        passed=all(c.passed for c in checks),
        max_rel_error=max(c.max_rel_error for c in checks),
        max_abs_error=max(c.max_abs_error for c in checks),
        checks=checks, rtol=rtol, atol=atol, eps=eps,
    )


def _check_module(module: Module, x, eps, rtol, atol, rng) -> list:
    named = list(module.named_parameters())
    for name, p in named:
        _require_float64(p.data, f"parameter {name}")
    saved = module.state_dict()
    try:
        y = module.forward(x.copy())
        G = rng.standard_normal(np.shape(y))

        def loss(inp):
            return float(np.sum(module.forward(inp) * G))

        # Numerical gradients first, so that the analytic pass below is the
        # last forward/backward and leaves a consistent cache and .grad.
        numeric = {"input": numerical_grad(loss, x.copy(), eps)}
        for name, p in named:
            numeric[name] = numerical_grad(lambda _: loss(x), p.data, eps)
        module.load_state_dict(saved)
        module.zero_grad()
        module.forward(x.copy())
        grad_in = np.asarray(module.backward(G.copy()))
        analytic = {"input": grad_in}
        analytic.update((name, p.grad.copy()) for name, p in named)
    finally:
        module.load_state_dict(saved)
    return [_compare(name, analytic[name], numeric[name], rtol, atol) for name in numeric]
