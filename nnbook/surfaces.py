r"""Two-dimensional loss surfaces for watching optimisers move, and the runner that moves them.

A :class:`Surface` is a function :math:`f(x, y)` together with its gradient,
a sensible starting point and a plotting window. Every ``f`` and ``grad``
here works element by element on arrays, so the same code evaluates one
point for an optimiser step and a whole grid for a contour plot.

:func:`optimize_path` runs any :mod:`nnlib.optim` optimiser on a surface
exactly as it would train a network: the point :math:`\theta = (x, y)` is a
:class:`~nnlib.Parameter`, each step writes :math:`\nabla f(\theta)` into its
``.grad`` and calls ``optimizer.step()``.

The surfaces (:data:`SURFACES`):

``bowl``
    :math:`f = 5(x+y)^2 + \tfrac{1}{20} (x-y)^2`, an ill-conditioned
    quadratic: its Hessian has eigenvalues 20 (along :math:`(1,1)`) and 0.2
    (along :math:`(1,-1)`), a condition number of 100, so plain gradient
    descent is stable only for :math:`\eta < 2/20 = 0.1` and then crawls
    along the flat direction.
``rosenbrock``
    :math:`f = (1-x)^2 + 10\,(y-x^2)^2`, Rosenbrock's curved valley (with
    :math:`b = 10` instead of the classic 100, so that a few hundred steps
    suffice); minimum 0 at :math:`(1, 1)`.
``saddle``
    :math:`f = x^2 - 2y^2 + y^4`: a saddle point at the origin, where the
    gradient is zero but :math:`f` decreases along :math:`y`, and two minima
    :math:`f = -1` at :math:`(0, \pm 1)`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from nnlib._validate import as_float_array, check_number
from nnlib.module import Parameter

__all__ = ["Surface", "SURFACES", "BOWL_HESSIAN", "bowl", "bowl_grad", "rosenbrock", "rosenbrock_grad",
           "saddle", "saddle_grad", "optimize_path"]


# -- the functions and their gradients, side by side ------------------------
def bowl(x, y):
    r""":math:`f(x, y) = 5(x+y)^2 + \tfrac{1}{20}(x-y)^2`, i.e. :math:`\tfrac12\theta^\top A\theta` with
    :math:`A = \begin{pmatrix}10.1 & 9.9\\ 9.9 & 10.1\end{pmatrix}` (eigenvalues 20 and 0.2)."""
    return 5.0 * (x + y) ** 2 + 0.05 * (x - y) ** 2


def bowl_grad(x, y):
    r""":math:`\nabla f = (10(x+y) + \tfrac{1}{10}(x-y),\; 10(x+y) - \tfrac{1}{10}(x-y)) = A\theta`."""
    s, d = 10.0 * (x + y), 0.1 * (x - y)
    return s + d, s - d


BOWL_HESSIAN = np.array([[10.1, 9.9], [9.9, 10.1]])


def rosenbrock(x, y, b=10.0):
    r""":math:`f(x, y) = (1-x)^2 + b\,(y-x^2)^2`."""
    return (1.0 - x) ** 2 + b * (y - x * x) ** 2


def rosenbrock_grad(x, y, b=10.0):
    r""":math:`\nabla f = (-2(1-x) - 4bx(y-x^2),\; 2b(y-x^2))`."""
    r = y - x * x
    return -2.0 * (1.0 - x) - 4.0 * b * x * r, 2.0 * b * r


def saddle(x, y):
    r""":math:`f(x, y) = x^2 - 2y^2 + y^4`: saddle at the origin, minima at :math:`(0, \pm 1)`."""
    y2 = y * y
    return x * x - 2.0 * y2 + y2 * y2


def saddle_grad(x, y):
    r""":math:`\nabla f = (2x,\; 4y^3 - 4y)`."""
    return 2.0 * x, 4.0 * y * (y * y - 1.0)


@dataclass(frozen=True)
class Surface:
    """A 2-D function to minimise, with what is needed to draw it.

    Attributes
    ----------
    name : str
    formula : str
        LaTeX of :math:`f`, for titles.
    f : callable ``f(x, y) -> z``
        Element by element on arrays (or on floats).
    grad : callable ``grad(x, y) -> (df/dx, df/dy)``
    start : (float, float)
        The starting point used by the book's race.
    extent : (xmin, xmax, ymin, ymax)
        A window showing the start and the minimum.
    minimum : (float, float)
        A global minimiser (for the saddle, one of the two).
    f_min : float
        The minimum value.
    saddle_points : tuple of (float, float)
        Points where the gradient vanishes without a minimum, if any.
    """

    name: str
    formula: str
    f: Callable
    grad: Callable
    start: tuple
    extent: tuple
    minimum: tuple
    f_min: float
    saddle_points: tuple = ()

    def value(self, theta) -> float:
        """:math:`f(\\theta)` for one point ``theta`` of shape (2,)."""
        x, y = _point(theta)
        return float(self.f(x, y))

    def gradient(self, theta) -> np.ndarray:
        """:math:`\\nabla f(\\theta)`, shape (2,) and dtype of ``theta``."""
        theta = _as_point(theta)
        return np.array(self.grad(theta[0], theta[1]), dtype=theta.dtype)

    def grid(self, n: int = 121):
        """``(x, y, Z)``: ``n`` grid coordinates on each axis and ``Z[i, j] = f(x[j], y[i])``."""
        x = np.linspace(self.extent[0], self.extent[1], n)
        y = np.linspace(self.extent[2], self.extent[3], n)
        X, Y = np.meshgrid(x, y)
        return x, y, self.f(X, Y)


def _as_point(theta) -> np.ndarray:
    theta = as_float_array(theta, "theta", allow_nan=True)
    if theta.shape != (2,):
        raise ValueError(f"theta has shape {theta.shape}, expected (2,): a point (x, y) of the plane")
    return theta


def _point(theta):
    theta = _as_point(theta)
    return theta[0], theta[1]


SURFACES = {
    "bowl": Surface("bowl", r"$5(x+y)^2 + \frac{1}{20}(x-y)^2$", bowl, bowl_grad,
                    start=(-2.5, 1.5), extent=(-3.0, 3.0, -2.0, 2.5), minimum=(0.0, 0.0), f_min=0.0),
    "rosenbrock": Surface("rosenbrock", r"$(1-x)^2 + 10\,(y-x^2)^2$", rosenbrock, rosenbrock_grad,
                          start=(-1.5, 2.0), extent=(-2.0, 2.0, -1.0, 3.0), minimum=(1.0, 1.0), f_min=0.0),
    "saddle": Surface("saddle", r"$x^2 - 2y^2 + y^4$", saddle, saddle_grad,
                      start=(-1.5, 0.001), extent=(-2.0, 2.0, -1.6, 1.6), minimum=(0.0, 1.0), f_min=-1.0,
                      saddle_points=((0.0, 0.0),)),
}


def optimize_path(surface: Surface, make_optimizer: Callable, start=None, steps: int = 100,
                  *, max_norm: float = 1e6) -> dict:
    r"""Run an optimiser on a surface and record where it goes.

    Parameters
    ----------
    surface : Surface
    make_optimizer : callable ``params -> Optimizer``
        E.g. ``lambda ps: nnlib.optim.Adam(ps, lr=0.05)``; it receives a list
        holding one :class:`~nnlib.Parameter`, the point :math:`(x, y)`.
        A ``torch.optim`` optimiser cannot be used here (it needs tensors).
    start : array_like, shape (2,), optional
        Default ``surface.start``. The point is held in float64.
    steps : int
        Number of ``optimizer.step()`` calls, >= 0.
    max_norm : float
        Stop early, and report ``diverged=True``, once :math:`\lVert\theta\rVert`
        exceeds this or stops being finite.

    Returns
    -------
    dict with
        ``path`` : ndarray, shape (k + 1, 2), the points :math:`\theta_0, \dots, \theta_k`
        (:math:`k = ` ``steps`` unless it diverged);
        ``loss`` : ndarray, shape (k + 1,), :math:`f` at those points;
        ``diverged`` : bool.

    Notes
    -----
    Each step is the training loop of a network with one parameter vector:

    .. math:: g_t = \nabla f(\theta_{t-1}), \qquad \theta_t = \text{optimizer.step}(\theta_{t-1}, g_t).

    Examples
    --------
    >>> from nnlib.optim import SGD
    >>> out = optimize_path(SURFACES["bowl"], lambda ps: SGD(ps, lr=0.05, momentum=0.9), steps=200)
    >>> out["path"].shape, bool(out["loss"][-1] < 1e-6), out["diverged"]
    ((201, 2), True, False)
    """
    if not isinstance(surface, Surface):
        raise TypeError(f"surface must be a Surface (e.g. SURFACES['bowl']), got {type(surface).__name__}")
    check_number(steps, "steps", low=0, integer=True)
    check_number(max_norm, "max_norm", low=0.0, low_open=True)
    theta = Parameter(np.array(surface.start if start is None else _as_point(start), dtype=np.float64))
    optimizer = make_optimizer([theta])
    if not hasattr(optimizer, "step") or not hasattr(optimizer, "param_groups"):
        raise TypeError(f"make_optimizer must return an nnlib optimiser, got {type(optimizer).__name__}")
    path = [theta.data.copy()]
    diverged = False
    for _ in range(steps):
        theta.grad[...] = surface.grad(theta.data[0], theta.data[1])
        optimizer.step()
        path.append(theta.data.copy())
        if not np.all(np.isfinite(theta.data)) or np.hypot(*theta.data) > max_norm:
            diverged = True
            break
    path = np.array(path)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = surface.f(path[:, 0], path[:, 1])
    return {"path": path, "loss": loss, "diverged": diverged}
