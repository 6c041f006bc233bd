r"""Experiments of the loss-functions chapter.

Three experiments, each a pure ``compute`` and a matplotlib ``draw``:

``loss_explorer``
    One sigmoid output :math:`p = \sigma(z)` and a target :math:`y`: the
    squared error and the binary cross-entropy as functions of :math:`p`, and
    their gradients with respect to the logit :math:`z`
    (:func:`logit_gradients`), which is what backpropagation passes on.
``softmax_temperature``
    The softmax of five fixed logits divided by a temperature :math:`T`, the
    cross-entropy against a chosen class and its gradient.
``loss_surface``
    The mean loss of a one-neuron logistic regression on a small 2-D data set
    over a grid of its two weights (:func:`logistic_loss_surface`), with the
    path that plain gradient descent takes on it: a preview of the next
    chapter.
"""
from __future__ import annotations

import functools

import numpy as np

from nnlib._validate import as_float_array, check_number, check_same_shape
from nnlib.activations import log_softmax, sigmoid, softmax
from nnlib.losses import binary_cross_entropy, cross_entropy, cross_entropy_grad, half_sse
from .core import Control, Experiment

__all__ = [
    "logit_gradients", "loss_explorer", "loss_explorer_experiment",
    "TEMPERATURE_LOGITS", "softmax_temperature", "softmax_temperature_experiment",
    "LOSSES", "surface_data", "logistic_loss_surface", "logistic_loss_grad", "loss_surface",
    "loss_surface_experiment",
]


def _title(ax, text: str) -> None:
    """A small title at a fixed height: matplotlib then need not measure the tick labels to place it."""
    ax.set_title(text, fontsize=9, y=1.0)


# -- squared error versus cross-entropy for one sigmoid output ------------------------------

def logit_gradients(z, y):
    r"""Gradients with respect to the logit of the two per-example losses of a sigmoid output.

    Parameters
    ----------
    z : array_like, any shape
        Logits; the prediction is :math:`p = \sigma(z)`.
    y : array_like, same shape as ``z``
        Targets in :math:`[0, 1]`.

    Returns
    -------
    grad_se, grad_bce : ndarray, same shape and dtype as ``z``
        The derivatives of :math:`E = \tfrac12(\sigma(z) - y)^2` and of
        :math:`\ell = -[y\log\sigma(z) + (1-y)\log(1-\sigma(z))]`.

    Notes
    -----
    .. math::

        \frac{\partial E}{\partial z} = (\sigma - y)\,\sigma(1 - \sigma),
        \qquad
        \frac{\partial \ell}{\partial z} = \sigma - y

    The factor :math:`\sigma(1-\sigma)` makes the squared error's gradient
    vanish when the unit saturates, also when it is confidently wrong.

    Examples
    --------
    >>> g_se, g_bce = logit_gradients([-10.0], [1.0])
    >>> round(float(g_se[0]), 6), round(float(g_bce[0]), 6)
    (-4.5e-05, -0.999955)
    """
    z = as_float_array(z, "z")
    y = as_float_array(y, "y")
    check_same_shape(z, y, "z", "y")
    y = y.astype(z.dtype, copy=False)
    s = sigmoid(z)
    return (s - y) * s * (1 - s), s - y


def _bce_elementwise(p, y):
    """Per-element binary cross-entropy of probabilities strictly inside (0, 1)."""
    return -(y * np.log(p) + (1 - y) * np.log1p(-p))


def loss_explorer(prediction=0.2, target=1.0, n=199):
    r"""Squared error and binary cross-entropy of one prediction, with their gradients.

    Parameters
    ----------
    prediction : float in (0, 1)
        The predicted probability :math:`p = \sigma(z)`.
    target : float in [0, 1]
        The target :math:`y` (0/1 label or soft target).
    n : int
        Points of the curves.

    Returns
    -------
    dict with
        ``p`` : ndarray (n,), probabilities; ``se_curve``, ``bce_curve`` : the
        two losses at ``p``; ``z`` : ndarray (n,), logits from -8 to 8;
        ``se_grad_curve``, ``bce_grad_curve`` : the gradients with respect to the
        logit at ``z`` (:func:`logit_gradients`); and for the chosen prediction
        ``prediction, target, logit, se, bce`` (the losses),
        ``se_grad_p, bce_grad_p`` (gradients with respect to :math:`p`) and
        ``se_grad_z, bce_grad_z`` (with respect to :math:`z`).
    """
    check_number(prediction, "prediction", low=0.0, high=1.0, low_open=True)
    if prediction >= 1.0:
        raise ValueError(f"prediction must be < 1, got {prediction!r}")
    check_number(target, "target", low=0.0, high=1.0)
    p0, y0 = float(prediction), float(target)
    p = np.linspace(0.005, 0.995, n)
    yp = np.full_like(p, y0)
    z = np.linspace(-8.0, 8.0, n)
    se_grad_curve, bce_grad_curve = logit_gradients(z, np.full_like(z, y0))
    logit = float(np.log(p0) - np.log1p(-p0))
    se_grad_z, bce_grad_z = logit_gradients([logit], [y0])
    return {
        "p": p, "se_curve": 0.5 * (p - yp) ** 2, "bce_curve": _bce_elementwise(p, yp),
        "z": z, "se_grad_curve": se_grad_curve, "bce_grad_curve": bce_grad_curve,
        "prediction": p0, "target": y0, "logit": logit,
        "se": float(half_sse([p0], [y0])), "bce": float(binary_cross_entropy([p0], [y0])),
        "se_grad_p": p0 - y0, "bce_grad_p": (p0 - y0) / (p0 * (1 - p0)),
        "se_grad_z": float(se_grad_z[0]), "bce_grad_z": float(bce_grad_z[0]),
    }


def _explorer_titles(result: dict) -> tuple[str, str]:
    return (f"y = {result['target']:g}, p = {result['prediction']:.2f}: "
            f"SE {result['se']:.3f}, BCE {result['bce']:.3f}",
            f"z = {result['logit']:.2f}: SE grad {result['se_grad_z']:+.3f}, "
            f"BCE grad {result['bce_grad_z']:+.3f}")


def draw_loss_explorer(result: dict, fig):
    """Left: the two losses against the prediction. Right: their gradients against the logit; returns the updater."""
    ax1, ax2 = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.08, right=0.96, bottom=0.17, top=0.9, wspace=0.37)  # fixed, so updates keep the layout
    p0, y0 = result["prediction"], result["target"]
    (se_line,) = ax1.plot(result["p"], result["se_curve"], color="C0", label=r"squared error $\frac{1}{2}(p-y)^2$")
    (bce_line,) = ax1.plot(result["p"], result["bce_curve"], color="C3", label="binary cross-entropy")
    (se_dot,) = ax1.plot([p0], [result["se"]], "o", color="C0")
    (bce_dot,) = ax1.plot([p0], [result["bce"]], "o", color="C3")
    target_line = ax1.axvline(y0, color="0.6", ls=":", lw=1)
    ax1.set(xlabel="prediction $p$", ylabel="loss", xlim=(0, 1), ylim=(0, 5))
    title1, title2 = _explorer_titles(result)
    _title(ax1, title1)
    ax1.legend(fontsize=7, loc="upper center")
    (se_grad_line,) = ax2.plot(result["z"], result["se_grad_curve"], color="C0",
                               label=r"$(\sigma-y)\,\sigma(1-\sigma)$")
    (bce_grad_line,) = ax2.plot(result["z"], result["bce_grad_curve"], color="C3", label=r"$\sigma-y$")
    (se_grad_dot,) = ax2.plot([result["logit"]], [result["se_grad_z"]], "o", color="C0")
    (bce_grad_dot,) = ax2.plot([result["logit"]], [result["bce_grad_z"]], "o", color="C3")
    ax2.axhline(0, color="0.6", lw=1)
    ax2.set(xlabel="logit $z$ ($p = \\sigma(z)$)", ylabel="gradient w.r.t. $z$", ylim=(-1.05, 1.05))
    _title(ax2, title2)
    ax2.legend(fontsize=7, loc="upper left")

    def update(new: dict):
        p, y, z = new["prediction"], new["target"], new["logit"]
        se_line.set_ydata(new["se_curve"])
        bce_line.set_ydata(new["bce_curve"])
        se_dot.set_data([p], [new["se"]])
        bce_dot.set_data([p], [new["bce"]])
        target_line.set_xdata([y, y])
        se_grad_line.set_ydata(new["se_grad_curve"])
        bce_grad_line.set_ydata(new["bce_grad_curve"])
        se_grad_dot.set_data([z], [new["se_grad_z"]])
        bce_grad_dot.set_data([z], [new["bce_grad_z"]])
        title1, title2 = _explorer_titles(new)
        _title(ax1, title1)
        _title(ax2, title2)
        return True

    return update


loss_explorer_experiment = Experiment(
    name="loss_explorer",
    title="Squared error and cross-entropy of one sigmoid output",
    controls=[
        Control("prediction", "prediction p", 0.2, 0.01, 0.99, 0.01),
        Control("target", "target y", 1.0, 0.0, 1.0, 0.1),
    ],
    compute=loss_explorer,
    draw=draw_loss_explorer,
    static=("prediction",),
    figsize=(7.0, 3.4),
)


# -- softmax with a temperature -----------------------------------------------------------

#: The five logits the temperature experiment divides by ``T``.
TEMPERATURE_LOGITS = np.array([2.0, 1.0, 0.5, -0.5, -1.5])


def softmax_temperature(temperature=1.0, target=0, n=121):
    r"""Softmax of :data:`TEMPERATURE_LOGITS` divided by a temperature, and its cross-entropy.

    Parameters
    ----------
    temperature : float > 0
        :math:`T`; the probabilities are :math:`\operatorname{softmax}(z / T)`.
    target : int
        The true class, ``0 .. 4``.
    n : int
        Points of the curves over :math:`T`.

    Returns
    -------
    dict with
        ``logits`` (5,), ``probs`` (5,) :math:`= \operatorname{softmax}(z/T)`,
        ``loss`` the cross-entropy :math:`-\log p_{t}`, ``grad`` (5,) its
        gradient with respect to the logits :math:`z` (not :math:`z/T`),
        ``entropy`` :math:`-\sum_k p_k \log p_k`; and curves over
        ``temperatures`` (n,): ``loss_curve``, ``entropy_curve``.

    Notes
    -----
    .. math:: p_k = \frac{e^{z_k / T}}{\sum_j e^{z_j / T}}, \qquad
              \frac{\partial (-\log p_t)}{\partial z_k} = \frac{p_k - [k = t]}{T}
    """
    check_number(temperature, "temperature", low=0.0, low_open=True)
    check_number(target, "target", low=0, high=len(TEMPERATURE_LOGITS) - 1)
    t = int(target)
    if t != target:
        raise ValueError(f"target must be a whole number, got {target!r}")
    z = TEMPERATURE_LOGITS
    scaled = (z / temperature)[None, :]
    probs = softmax(scaled, axis=1)[0]
    temperatures = np.geomspace(0.05, 20.0, n)
    log_p = log_softmax(z[None, :] / temperatures[:, None], axis=1)  # (n, 5)
    return {
        "logits": z, "temperature": float(temperature), "target": t, "probs": probs,
        "loss": float(cross_entropy(scaled, [t])),
        "grad": cross_entropy_grad(scaled, [t])[0] / temperature,
        "entropy": float(-np.sum(probs * log_softmax(scaled, axis=1)[0])),
        "temperatures": temperatures, "loss_curve": -log_p[:, t],
        "entropy_curve": -np.sum(np.exp(log_p) * log_p, axis=1),
    }


def _temperature_title(result: dict) -> str:
    return f"T = {result['temperature']:.2f}: loss {result['loss']:.3f} (true class red)"


def draw_softmax_temperature(result: dict, fig):
    """Left: the probabilities as bars. Right: loss and entropy against the temperature; returns the updater."""
    ax1, ax2 = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.095, right=0.98, bottom=0.21, top=0.9, wspace=0.19)  # fixed, so updates keep the layout
    k = np.arange(len(result["probs"]))
    colors = ["C3" if i == result["target"] else "C0" for i in k]
    bars = ax1.bar(k, result["probs"], color=colors)
    values = [ax1.text(i, pi + 0.02, f"{pi:.2f}", ha="center", fontsize=8) for i, pi in enumerate(result["probs"])]
    ax1.set_xticks(k, [f"{i}\nz={zi:g}" for i, zi in enumerate(result["logits"])], fontsize=8)
    ax1.set(ylim=(0, 1.1), xlabel="class", ylabel="probability $p_k$")
    _title(ax1, _temperature_title(result))
    temperatures = result["temperatures"]
    (loss_line,) = ax2.semilogx(temperatures, result["loss_curve"], color="C3",
                                label=f"cross-entropy, true class {result['target']}")
    ax2.semilogx(temperatures, result["entropy_curve"], color="C2", label="entropy of p")
    ax2.axhline(np.log(len(result["probs"])), color="0.6", ls=":", lw=1, label="ln 5 (uniform)")
    (loss_dot,) = ax2.plot([result["temperature"]], [result["loss"]], "o", color="C3")
    (entropy_dot,) = ax2.plot([result["temperature"]], [result["entropy"]], "o", color="C2")
    ax2.set(xlabel="temperature $T$", ylabel="nats", ylim=(0, 6))
    _title(ax2, "as $T$ grows, $p$ becomes uniform")
    legend = ax2.legend(fontsize=7, loc="upper left")

    def update(new: dict):
        if not np.array_equal(new["logits"], result["logits"]) or not np.array_equal(new["temperatures"], temperatures):
            return False  # other classes or another range of temperatures: draw afresh
        for i, (bar, text, pi) in enumerate(zip(bars, values, new["probs"])):
            bar.set_height(pi)
            bar.set_facecolor("C3" if i == new["target"] else "C0")
            text.set_y(pi + 0.02)
            text.set_text(f"{pi:.2f}")
        _title(ax1, _temperature_title(new))
        loss_line.set_ydata(new["loss_curve"])
        loss_dot.set_data([new["temperature"]], [new["loss"]])
        entropy_dot.set_data([new["temperature"]], [new["entropy"]])
        legend.get_texts()[0].set_text(f"cross-entropy, true class {new['target']}")
        return True

    return update


softmax_temperature_experiment = Experiment(
    name="softmax_temperature",
    title="Softmax with a temperature",
    controls=[
        Control("temperature", "temperature T", 1.0, 0.1, 4.0, 0.1),
        Control("target", "true class", 0, 0, 4, 1),
    ],
    compute=softmax_temperature,
    draw=draw_softmax_temperature,
    static=("temperature",),
    figsize=(7.0, 3.4),
)


# -- the loss surface of a one-neuron logistic regression ----------------------------------

#: The losses the surface experiment offers, by the name shown in its menu.
LOSSES = ("binary cross-entropy", "mean squared error")


@functools.cache
def _moons():
    from nnlib.data import moons  # scikit-learn, imported only when the data are needed

    X, y = moons(30, noise=0.25, rng=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    X.setflags(write=False)
    y = y.astype(np.float64)
    y.setflags(write=False)
    return X, y


def surface_data():
    """The data of the surface experiment: 60 points of ``nnlib.data.moons(30, noise=0.25, rng=0)``,
    each feature standardised to mean 0 and standard deviation 1.

    Returns
    -------
    X : ndarray, shape (60, 2), float64 (read-only)
    y : ndarray, shape (60,), float64 (read-only), 0/1 labels
    """
    return _moons()


def _check_loss_name(loss):
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {list(LOSSES)}, got {loss!r}")


def logistic_loss_surface(X, y, w1, w2, b=0.0, loss="binary cross-entropy"):
    r"""Mean loss of the neuron :math:`p = \sigma(w_1 x_1 + w_2 x_2 + b)` for every pair of weights.

    Parameters
    ----------
    X : array_like, shape (N, 2)
    y : array_like, shape (N,), 0/1 labels
    w1, w2 : array_like, shapes (A,) and (B,)
        The grid of weights.
    b : float
        The bias, held fixed.
    loss : {"binary cross-entropy", "mean squared error"}

    Returns
    -------
    L : ndarray, shape (B, A)
        ``L[i, j]`` is the loss at ``(w1[j], w2[i])`` (the layout of
        ``np.meshgrid(w1, w2)`` and of matplotlib's ``contour``).

    Notes
    -----
    With :math:`z_n = w_1 x_{n1} + w_2 x_{n2} + b`, the cross-entropy is
    computed from the logits in the stable form
    :math:`\frac1N\sum_n [\max(z_n, 0) - z_n y_n + \log(1 + e^{-|z_n|})]`
    and the squared error as :math:`\frac1N \sum_n (\sigma(z_n) - y_n)^2`.
    """
    X = as_float_array(X, "X", ndim=2)
    if X.shape[1] != 2:
        raise ValueError(f"X has shape {X.shape}, expected (N, 2)")
    y = as_float_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y has shape {y.shape}, expected ({X.shape[0]},) like the rows of X")
    _check_loss_name(loss)
    W1, W2 = np.meshgrid(as_float_array(w1, "w1", ndim=1), as_float_array(w2, "w2", ndim=1))
    z = W1[..., None] * X[:, 0] + W2[..., None] * X[:, 1] + b          # (B, A, N)
    if loss == LOSSES[0]:
        per_example = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    else:
        per_example = (sigmoid(z) - y) ** 2
    return per_example.mean(axis=-1)


def logistic_loss_grad(X, y, w, b=0.0, loss="binary cross-entropy"):
    r"""Gradient of the mean loss of :func:`logistic_loss_surface` with respect to ``w = (w1, w2)``.

    Returns
    -------
    ndarray, shape (2,)

    Notes
    -----
    .. math:: \nabla_{\mathbf w} L = \frac1N X^\top \mathbf g, \qquad
              g_n = \begin{cases} \sigma(z_n) - y_n & \text{cross-entropy} \\
              2(\sigma(z_n) - y_n)\,\sigma(z_n)(1-\sigma(z_n)) & \text{squared error} \end{cases}
    """
    _check_loss_name(loss)
    s = sigmoid(X @ np.asarray(w, dtype=float) + b)
    g = s - y if loss == LOSSES[0] else 2 * (s - y) * s * (1 - s)
    return X.T @ g / len(y)


def loss_surface(loss="binary cross-entropy", b=0.0, lr=2.0, steps=40, start=(-5.0, 4.0), n=61):
    r"""The loss over the weights of a one-neuron classifier, and a gradient-descent path on it.

    Parameters
    ----------
    loss : {"binary cross-entropy", "mean squared error"}
    b : float
        The bias, held fixed, so that the surface depends on two weights only.
    lr, steps, start
        Gradient descent :math:`\mathbf w \leftarrow \mathbf w - \eta \nabla L`
        with learning rate ``lr`` for ``steps`` steps from ``start``.
    n : int
        Grid points per axis over :math:`[-8, 8]`.

    Returns
    -------
    dict with ``w1, w2`` (n,), ``L`` (n, n) (see :func:`logistic_loss_surface`),
    ``path`` (steps + 1, 2), ``path_loss`` (steps + 1,), ``best`` (2,) the grid
    point of least loss and ``best_loss``, ``X, y`` the data, ``loss``, ``b``.
    """
    _check_loss_name(loss)
    check_number(b, "b")
    X, y = surface_data()
    w1 = w2 = np.linspace(-8.0, 8.0, n)
    L = logistic_loss_surface(X, y, w1, w2, b, loss)
    path = [np.asarray(start, dtype=float)]
    for _ in range(steps):
        path.append(path[-1] - lr * logistic_loss_grad(X, y, path[-1], b, loss))
    path = np.array(path)
    path_loss = np.array([logistic_loss_surface(X, y, [w[0]], [w[1]], b, loss)[0, 0] for w in path])
    i, j = np.unravel_index(np.argmin(L), L.shape)
    return {"w1": w1, "w2": w2, "L": L, "path": path, "path_loss": path_loss,
            "best": np.array([w1[j], w2[i]]), "best_loss": float(L[i, j]),
            "X": X, "y": y, "loss": loss, "b": float(b), "lr": float(lr)}


def _surface_norm(L):
    """Colour scale of the surface: at most 20 bands of loss between round numbers, like ``contourf(levels=20)``."""
    from matplotlib.colors import BoundaryNorm
    from matplotlib.ticker import MaxNLocator

    levels = MaxNLocator(nbins=20).tick_values(L.min(), L.max())
    return BoundaryNorm(levels, ncolors=256)


def _surface_titles(result: dict) -> tuple[str, str]:
    w = result["path"][-1]
    return (f"b = {result['b']:g}: loss {result['path_loss'][0]:.3f} → {result['path_loss'][-1]:.3f}",
            f"after descent: w = ({w[0]:.2f}, {w[1]:.2f})")


def _decision_line(w, b, x1):
    """``x2`` on the line :math:`w_1 x_1 + w_2 x_2 + b = 0` at ``x1``, or None when :math:`w_2 = 0`."""
    return -(w[0] * x1 + b) / w[1] if abs(w[1]) > 1e-9 else None


def draw_loss_surface(result: dict, fig):
    """Left: the loss as coloured bands with the descent path. Right: the data and the final boundary;
    returns the updater."""
    ax1, ax2 = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.11, right=0.98, bottom=0.15, top=0.92, wspace=0.4)  # fixed, so updates keep the layout
    w1, w2 = result["w1"], result["w2"]
    # An image whose pixel centres are the grid points, smoothed between them and cut into bands by the
    # colour scale: it looks like filled contours and renders, and updates, far faster.
    h1, h2 = (w1[1] - w1[0]) / 2, (w2[1] - w2[0]) / 2
    image = ax1.imshow(result["L"], origin="lower", extent=(w1[0] - h1, w1[-1] + h1, w2[0] - h2, w2[-1] + h2),
                       cmap="viridis", norm=_surface_norm(result["L"]),
                       interpolation="bilinear", interpolation_stage="data")
    colorbar = fig.colorbar(image, ax=ax1, label=result["loss"])
    path = result["path"]
    (path_line,) = ax1.plot(path[:, 0], path[:, 1], ".-", color="w", ms=4, lw=1,
                            label=f"{len(path) - 1} steps, lr {result['lr']:g}")
    (start,) = ax1.plot(*path[0], "o", color="w")
    (best,) = ax1.plot(*result["best"], "*", color="gold", ms=12, label="lowest grid point")
    ax1.set(xlabel="$w_1$", ylabel="$w_2$", xlim=(w1[0], w1[-1]), ylim=(w2[0], w2[-1]), aspect="equal")
    title1, title2 = _surface_titles(result)
    _title(ax1, title1)
    legend = ax1.legend(fontsize=6, loc="lower right")
    X, y = result["X"], result["y"]
    ax2.scatter(X[y == 0, 0], X[y == 0, 1], s=14, c="C0", label="class 0")
    ax2.scatter(X[y == 1, 0], X[y == 1, 1], s=14, c="C3", label="class 1")
    x1 = np.array([-2.5, 2.5])
    x2 = _decision_line(path[-1], result["b"], x1)
    if x2 is not None:
        (boundary,) = ax2.plot(x1, x2, "k-", lw=1.5, label="decision line")
    ax2.set(xlim=(-2.5, 2.5), ylim=(-2.5, 2.5), xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    _title(ax2, title2)
    ax2.legend(fontsize=6, loc="upper left")

    def update(new: dict):
        new_x2 = _decision_line(new["path"][-1], new["b"], x1)
        if ((new_x2 is None) != (x2 is None) or not np.array_equal(new["w1"], w1) or not np.array_equal(new["w2"], w2)
                or not np.array_equal(new["X"], X) or not np.array_equal(new["y"], y)):
            return False  # the legend gains or loses the line, or another grid or data set: draw afresh
        if not np.array_equal(new["L"], image.get_array()):  # a new learning rate keeps the surface
            image.set_data(new["L"])
            image.set_norm(_surface_norm(new["L"]))  # the colour bar follows the new bands
            colorbar.set_label(new["loss"])
        new_path = new["path"]
        path_line.set_data(new_path[:, 0], new_path[:, 1])
        start.set_data([new_path[0, 0]], [new_path[0, 1]])
        best.set_data([new["best"][0]], [new["best"][1]])
        legend.get_texts()[0].set_text(f"{len(new_path) - 1} steps, lr {new['lr']:g}")
        title1, title2 = _surface_titles(new)
        _title(ax1, title1)
        _title(ax2, title2)
        if new_x2 is not None:
            boundary.set_ydata(new_x2)
        return True

    return update


loss_surface_experiment = Experiment(
    name="loss_surface",
    title="The loss surface of one neuron",
    controls=[
        Control("loss", "loss", LOSSES[0], options=LOSSES),
        Control("b", "bias b (fixed)", 0.0, -2.0, 2.0, 0.5),
        Control("lr", "learning rate", 2.0, 0.5, 10.0, 0.5),
    ],
    compute=loss_surface,
    draw=draw_loss_surface,
    static=("loss", "b"),
    figsize=(7.0, 3.4),
)
