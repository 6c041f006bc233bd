r"""Experiment of the gradient-descent chapter: an optimiser race on 2-D surfaces.

The reader picks a surface (an ill-conditioned bowl, Rosenbrock's valley, a
saddle), up to three optimisers, a learning rate, a momentum factor and a
number of steps. Every optimiser starts from the same point and runs the
:mod:`nnlib.optim` class of its name on the point :math:`\theta = (x, y)`
held in a :class:`~nnlib.Parameter` (see :func:`nnbook.surfaces.optimize_path`);
the figure shows the paths on the contour plot and the loss curves
:math:`f(\theta_t) - f_{\min}`.

One learning rate is shared by all optimisers on purpose: it shows that a
rate means different things to different rules (for SGD it multiplies the
gradient, for Adam it is roughly the length of a step, and RMSprop's first
steps, without bias correction, are about ten times longer).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from nnlib import optim
from ..surfaces import SURFACES, optimize_path
from .core import Control, Experiment

__all__ = ["OPTIMIZERS", "make_optimizer", "optimizer_race", "draw_race", "race_experiment"]


def _sgd(params, lr, momentum):
    return optim.SGD(params, lr=lr)


def _momentum(params, lr, momentum):
    return optim.SGD(params, lr=lr, momentum=momentum)


def _nesterov(params, lr, momentum):
    # With momentum 0 Nesterov is plain SGD; PyTorch refuses nesterov=True with momentum=0.
    return optim.SGD(params, lr=lr, momentum=max(momentum, 1e-12), nesterov=True)


def _momentum_ema(params, lr, momentum):
    return optim.SGDMomentumEMA(params, lr=lr, beta=min(momentum, 0.999))


def _rmsprop(params, lr, momentum):
    return optim.RMSprop(params, lr=lr)


def _adagrad(params, lr, momentum):
    return optim.Adagrad(params, lr=lr)


def _adam(params, lr, momentum):
    return optim.Adam(params, lr=lr)


#: Optimiser name -> ``factory(params, lr, momentum)``. The momentum factor
#: is used by "momentum", "Nesterov" (PyTorch's ``momentum``) and
#: "momentum (EMA)" (its ``beta``); the adaptive rules keep PyTorch's defaults
#: (RMSprop ``alpha=0.99``, Adam ``betas=(0.9, 0.999)``).
OPTIMIZERS = {
    "SGD": _sgd,
    "momentum": _momentum,
    "Nesterov": _nesterov,
    "momentum (EMA)": _momentum_ema,
    "RMSprop": _rmsprop,
    "Adagrad": _adagrad,
    "Adam": _adam,
}
COLORS = {"SGD": "tab:blue", "momentum": "tab:orange", "Nesterov": "tab:red", "momentum (EMA)": "tab:brown",
          "RMSprop": "tab:purple", "Adagrad": "tab:gray", "Adam": "tab:green"}
_CHOICES = ("none",) + tuple(OPTIMIZERS)


def make_optimizer(name: str, lr: float, momentum: float = 0.9):
    """A ``params -> Optimizer`` function for :func:`nnbook.surfaces.optimize_path`."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {name!r}")
    return partial(OPTIMIZERS[name], lr=lr, momentum=momentum)


def optimizer_race(surface="bowl", optimizer1="SGD", optimizer2="momentum", optimizer3="Adam",
                   lr=0.03, momentum=0.9, steps=200, grid=101):
    r"""Run up to three optimisers from the surface's starting point.

    Parameters
    ----------
    surface : {"bowl", "rosenbrock", "saddle"}
    optimizer1, optimizer2, optimizer3 : str
        Names from :data:`OPTIMIZERS`, or ``"none"``; a name given twice runs once.
    lr : float
        The learning rate given to every optimiser.
    momentum : float
        :math:`\mu` of "momentum" and "Nesterov", :math:`\beta` of "momentum (EMA)".
    steps : int
    grid : int
        Points per axis of the contour grid.

    Returns
    -------
    dict with
        ``surface`` (name), ``formula``, ``f_min``, ``minimum``, ``x, y, Z`` (the grid),
        ``lr``, ``momentum``, ``steps`` and
        ``runs`` : list of dicts ``{"name", "path" (k+1, 2), "loss" (k+1,), "diverged",
        "final" (last loss minus f_min, inf if diverged)}``, one per distinct optimiser.
    """
    if surface not in SURFACES:
        raise ValueError(f"surface must be one of {list(SURFACES)}, got {surface!r}")
    names = []
    for name in (optimizer1, optimizer2, optimizer3):
        if name not in _CHOICES:
            raise ValueError(f"optimizer must be one of {list(_CHOICES)}, got {name!r}")
        if name != "none" and name not in names:
            names.append(name)
    surf = SURFACES[surface]
    runs = []
    for name in names:
        out = optimize_path(surf, make_optimizer(name, lr, momentum), steps=int(steps))
        final = float("inf") if out["diverged"] else float(out["loss"][-1] - surf.f_min)
        runs.append({"name": name, **out, "final": final})
    x, y, Z = surf.grid(grid)
    return {"surface": surface, "formula": surf.formula, "f_min": surf.f_min, "minimum": surf.minimum,
            "start": surf.start, "saddle_points": surf.saddle_points, "x": x, "y": y, "Z": Z, "lr": float(lr), "momentum": float(momentum),
            "steps": int(steps), "runs": runs}


#: Loss gaps are clipped to [LOSS_FLOOR, 1e12] for the log scale.
LOSS_FLOOR = 1e-12


def _draw_surface(ax, result: dict) -> list:
    """Contours of the surface, its minimum, saddle points and start, limits and title; returns the artists."""
    x, y, Z = result["x"], result["y"], result["Z"]
    gap = Z - result["f_min"]
    levels = np.geomspace(max(gap.min(), 1e-3), gap.max(), 14)
    artists = [ax.contour(x, y, np.maximum(gap, 1e-3), levels=levels, colors="0.75", linewidths=0.8)]
    artists += ax.plot(*result["minimum"], marker="*", ms=14, color="gold", mec="k", zorder=4, ls="none",
                       label="minimum")
    for i, point in enumerate(result["saddle_points"]):
        artists += ax.plot(*point, marker="X", ms=10, color="k", ls="none", zorder=4,
                           label="saddle point" if i == 0 else None)
    artists += ax.plot(*result["start"], marker="o", ms=7, color="k", zorder=4, ls="none", label="start")
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(y[0], y[-1])
    ax.set_title(f"{result['surface']}: $f = ${result['formula']}", fontsize=9, y=1.0)
    return artists


def _loss_curve(run: dict, result: dict) -> tuple:
    """Steps and loss gaps f(θ_t) - f_min of one run, clipped for the log scale."""
    with np.errstate(invalid="ignore"):
        return np.arange(len(run["loss"])), np.clip(run["loss"] - result["f_min"], LOSS_FLOOR, 1e12)


def _run_label(run: dict) -> str:
    return run["name"] + (f" (diverged at step {len(run['path']) - 1})" if run["diverged"] else "")


def _names(result: dict) -> list:
    return [run["name"] for run in result["runs"]]


def _draw_runs(ax, ax2, result: dict) -> list:
    """Each run's path (left) and loss curve (right); returns the ``(path, curve)`` line pairs."""
    lines = []
    for run in result["runs"]:
        color = COLORS[run["name"]]
        (path,) = ax.plot(*run["path"].T, ".-", ms=2.5, lw=1.2, color=color)
        (curve,) = ax2.plot(*_loss_curve(run, result), color=color, lw=1.5, label=_run_label(run))
        lines.append((path, curve))
    return lines


def _fit_loss_axes(ax, ax2, result: dict) -> None:
    """Steps 0 to ``steps``, loss gaps from the floor to the highest curve, the title and the legend."""
    ax2.set_xlim(0, result["steps"])
    ax2.relim()  # the extent of the curves now drawn
    ax2.set_autoscaley_on(True)
    ax2.autoscale_view(scalex=False)
    ax2.set_ylim(LOSS_FLOOR / 2, None if result["runs"] else 10.0)  # no curves: a fixed top, not the last one
    ax2.set_title(f"learning rate {result['lr']:g}, momentum {result['momentum']:g}", fontsize=9, y=1.0)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax2.legend(handles=handles, fontsize=6.5, loc="best", framealpha=0.9)  # replaces the previous legend


def draw_race(result: dict, fig):
    """Contour plot with the paths (left) and the loss curves on a log scale (right); returns the updater.

    A new learning rate, momentum or number of steps moves the lines; a new
    optimiser redraws the runs' lines, and a new surface its contours and markers too.
    """
    ax, ax2 = fig.subplots(1, 2, gridspec_kw=dict(width_ratios=[1.15, 1], left=0.1, right=0.965, bottom=0.16,
                                                   top=0.895, wspace=0.3))
    ax.set_xlabel("$x$", fontsize=9)
    ax.set_ylabel("$y$", fontsize=9)
    ax2.set_yscale("log")
    ax2.set_xlabel("step $t$", fontsize=9)
    ax2.set_ylabel(r"$f(\theta_t) - f_{\min}$", fontsize=9)
    ax2.grid(True, which="major", alpha=0.3)
    for a in (ax, ax2):
        a.tick_params(labelsize=8)
    surface = _draw_surface(ax, result)
    runs = _draw_runs(ax, ax2, result)
    _fit_loss_axes(ax, ax2, result)
    shown = result

    def update(new: dict):
        nonlocal surface, runs, shown
        new_surface = new["surface"] != shown["surface"]
        if new_surface or _names(new) != _names(shown):  # new lines (and on a new surface, new contours)
            for path, curve in runs:
                path.remove()
                curve.remove()
            if new_surface:
                for artist in surface:
                    artist.remove()
                surface = _draw_surface(ax, new)
            runs = _draw_runs(ax, ax2, new)
        else:  # a slider moved: the same optimisers, new paths
            for (path, curve), run in zip(runs, new["runs"]):
                path.set_data(*run["path"].T)
                curve.set_data(*_loss_curve(run, new))
                curve.set_label(_run_label(run))
        _fit_loss_axes(ax, ax2, new)
        shown = new
        return True

    return update


race_experiment = Experiment(
    name="optimizer_race",
    title="An optimiser race on 2-D surfaces",
    controls=[
        Control("surface", "surface", "bowl", options=tuple(SURFACES)),
        Control("optimizer1", "optimiser 1", "SGD", options=_CHOICES),
        Control("optimizer2", "optimiser 2", "momentum", options=_CHOICES),
        Control("optimizer3", "optimiser 3", "Adam", options=_CHOICES),
        Control("lr", "learning rate", 0.03, 0.005, 0.15, 0.005),
        Control("momentum", "momentum μ (β)", 0.9, 0.0, 0.99, 0.01),
        Control("steps", "steps", 200, 10, 500, 10),
    ],
    compute=optimizer_race,
    draw=draw_race,
    static=("surface", "lr"),
    figsize=(7.0, 3.4),
)
