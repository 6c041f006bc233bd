r"""Experiment of the activations chapter: an activation, its derivative, and a bent plane.

The reader picks an activation function and sets the weights of a hidden
layer of two units, :math:`\mathbf h = f(\mathbf x W + \mathbf b)`: both weight
vectors have length ``scale``, the angle between them is ``angle``, and
:math:`\mathbf b = (\beta, -\beta)` (see :func:`layer_weights`). The figure shows :math:`f` and
:math:`f'`, a square grid of lines in the input plane, and the same lines
after the layer: a linear layer keeps them straight, every non-linear one
bends or folds them. The four XOR points ride along; the title says whether
the layer has made them linearly separable.

:func:`chain_gradient` is the computation behind the chapter's figure on
saturation: the derivative of a chain of one-unit layers.
"""
from __future__ import annotations

import numpy as np

from nnlib.activations import (gelu, gelu_grad, leaky_relu, leaky_relu_grad, relu, relu_grad,
                           sigmoid, sigmoid_grad, tanh, tanh_grad)
from .core import Control, Experiment

__all__ = ["ACTIVATION_CHOICES", "LEAKY_SLOPE", "activation_pair", "layer_weights", "bend_plane",
           "xor_separable", "separating_line", "chain_gradient", "draw_bend_plane", "activations_experiment"]

#: The menu of the experiment: the five activations of :mod:`nnlib.activations` and the identity.
ACTIVATION_CHOICES = ("sigmoid", "tanh", "relu", "leaky_relu", "gelu", "linear")
#: The slope of leaky ReLU in the experiment, larger than the usual 0.01 so that it can be seen.
LEAKY_SLOPE = 0.1

XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_LABELS = np.array([0, 1, 1, 0])


def _identity(z):
    return np.array(z, dtype=float, copy=True)


def _ones(z):
    return np.ones_like(np.asarray(z, dtype=float))


def activation_pair(name: str):
    """The functions ``(f, f_grad)`` for an entry of :data:`ACTIVATION_CHOICES`.

    ``"linear"`` is the identity (derivative 1); ``"leaky_relu"`` uses the
    slope :data:`LEAKY_SLOPE`.
    """
    pairs = {
        "sigmoid": (sigmoid, sigmoid_grad),
        "tanh": (tanh, tanh_grad),
        "relu": (relu, relu_grad),
        "leaky_relu": (lambda z: leaky_relu(z, LEAKY_SLOPE), lambda z: leaky_relu_grad(z, LEAKY_SLOPE)),
        "gelu": (gelu, gelu_grad),
        "linear": (_identity, _ones),
    }
    if name not in pairs:
        raise ValueError(f"activation must be one of {list(ACTIVATION_CHOICES)}, got {name!r}")
    return pairs[name]


def layer_weights(scale: float, angle: float, bias: float):
    r"""Weights of the experiment's two-unit layer.

    Unit 1's weight vector points at :math:`45^\circ - \varphi/2` and unit 2's at
    :math:`45^\circ + \varphi/2`, both of length :math:`s`: ``angle`` is the angle
    :math:`\varphi` between them (degrees), and :math:`\varphi = 0` makes both units
    look at the same direction :math:`x_1 + x_2`, as in the hand-made XOR network.

    Returns
    -------
    W : ndarray, shape (2, 2)
        Column :math:`j` is unit :math:`j`'s weight vector
        :math:`s\,(\cos\alpha_j, \sin\alpha_j)`.
    b : ndarray, shape (2,)
        :math:`(\beta, -\beta)`.

    Examples
    --------
    >>> W, b = layer_weights(scale=np.sqrt(2), angle=0.0, bias=0.5)
    >>> W.round(12).tolist(), b.tolist()
    ([[1.0, 1.0], [1.0, 1.0]], [0.5, -0.5])
    """
    a = np.deg2rad(45.0 + np.array([-0.5, 0.5]) * angle)
    W = scale * np.stack([np.cos(a), np.sin(a)])
    return W, np.array([bias, -bias], dtype=float)


def _orientation(p, q, r):
    """Twice the signed area of the triangle p, q, r (> 0: counter-clockwise)."""
    return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])


def _on_segment(p, q, r, tol):
    """r, known to be collinear with p and q, lies within their bounding box."""
    return (min(p[0], q[0]) - tol <= r[0] <= max(p[0], q[0]) + tol
            and min(p[1], q[1]) - tol <= r[1] <= max(p[1], q[1]) + tol)


def xor_separable(points, tol: float = 1e-9) -> bool:
    """Whether a straight line separates the XOR classes of four 2-D points.

    Parameters
    ----------
    points : ndarray, shape (4, 2)
        The images of the XOR inputs (0,0), (0,1), (1,0), (1,1), in that order;
        class 0 is rows 0 and 3, class 1 rows 1 and 2.
    tol : float
        Points closer than about ``tol`` to a line count as touching it.

    Notes
    -----
    Two classes of two points each can be separated by a line exactly when the
    segment joining one pair does not meet the segment joining the other
    (their convex hulls are disjoint).

    Examples
    --------
    >>> xor_separable([[0, 0], [0, 1], [1, 0], [1, 1]])      # XOR itself
    False
    >>> xor_separable([[0, 0], [1, 0], [1, 0], [2, 1]])      # after the hand-made ReLU layer
    True
    """
    points = np.asarray(points, dtype=float)
    if points.shape != (4, 2):
        raise ValueError(f"points must have shape (4, 2), got {points.shape}")
    p1, p2, q1, q2 = (points[i] for i in (0, 3, 1, 2))
    scale = max(1.0, float(np.abs(points).max()))
    tol = tol * scale * scale
    d1, d2 = _orientation(q1, q2, p1), _orientation(q1, q2, p2)
    d3, d4 = _orientation(p1, p2, q1), _orientation(p1, p2, q2)
    if ((d1 > tol and d2 < -tol) or (d1 < -tol and d2 > tol)) and \
            ((d3 > tol and d4 < -tol) or (d3 < -tol and d4 > tol)):
        return False  # the two segments cross
    for d, a, b, r in ((d1, q1, q2, p1), (d2, q1, q2, p2), (d3, p1, p2, q1), (d4, p1, p2, q2)):
        if abs(d) <= tol and _on_segment(a, b, r, np.sqrt(tol)):
            return False  # one segment touches the other
    return True


def _closest_to_segment(p, a, b):
    """The point of the segment ab nearest to p."""
    d = b - a
    t = 0.0 if not d.any() else float(np.clip((p - a) @ d / (d @ d), 0.0, 1.0))
    return a + t * d


def separating_line(points):
    r"""A line that separates the XOR classes of four points, or None.

    Parameters
    ----------
    points : ndarray, shape (4, 2)
        As in :func:`xor_separable`.

    Returns
    -------
    (n, c) or None
        The line :math:`\{\mathbf h : \mathbf n \cdot \mathbf h = c\}`, with class 1 on
        the side where :math:`\mathbf n \cdot \mathbf h > c`: the perpendicular bisector of
        the shortest segment between the two classes' segments.
    """
    points = np.asarray(points, dtype=float)
    if not xor_separable(points):
        return None
    zero, one = points[[0, 3]], points[[1, 2]]
    pairs = [(p, _closest_to_segment(p, *one)) for p in zero] + [(_closest_to_segment(q, *zero), q) for q in one]
    p, q = min(pairs, key=lambda pq: float(np.sum((pq[0] - pq[1]) ** 2)))
    n = q - p
    return n, float(n @ (p + q) / 2)


def bend_plane(activation="tanh", scale=1.5, angle=60.0, bias=0.5, n_lines=9, n_points=81, extent=2.0):
    r"""Map a grid of lines through the layer :math:`\mathbf h = f(\mathbf x W + \mathbf b)`.

    Parameters
    ----------
    activation : str
        One of :data:`ACTIVATION_CHOICES`.
    scale, angle, bias : float
        :math:`s`, :math:`\varphi` (degrees) and :math:`\beta` of :func:`layer_weights`.
    n_lines : int
        Lines in each direction; ``n_points`` points on each line.
    extent : float
        The grid covers :math:`[-e, e]^2`.

    Returns
    -------
    dict with
        ``z, f, df`` : ndarray, shape (401,): :math:`f` and :math:`f'` on :math:`[-5, 5]`;
        ``W, b`` : the layer's weights;
        ``lines_in`` : ndarray, shape (2 n_lines, n_points, 2), the grid (vertical lines first);
        ``lines_out`` : same shape, :math:`f(\mathbf x W + \mathbf b)` of every grid point;
        ``z_range`` : (min, max) of the pre-activations over the grid;
        ``flat_fraction`` : ndarray, shape (2,), per unit the fraction of grid points where
        :math:`f'(z) < 0.05` (saturated or switched off: the layer loses information there);
        ``xor_out`` : ndarray, shape (4, 2), the XOR inputs after the layer;
        ``separable`` : bool, :func:`xor_separable` of ``xor_out``;
        ``line`` : :func:`separating_line` of ``xor_out`` (None when not separable).

    Examples
    --------
    >>> r = bend_plane("relu", scale=1.5, angle=0.0, bias=0.5)
    >>> r["lines_out"].shape, r["separable"]
    ((18, 81, 2), True)
    """
    f, df = activation_pair(activation)
    W, b = layer_weights(scale, angle, bias)
    z = np.linspace(-5.0, 5.0, 401)
    t = np.linspace(-extent, extent, n_points)
    c = np.linspace(-extent, extent, n_lines)
    vertical = np.stack(np.broadcast_arrays(c[:, None], t[None, :]), axis=-1)    # x1 = c, x2 = t
    horizontal = np.stack(np.broadcast_arrays(t[None, :], c[:, None]), axis=-1)  # x1 = t, x2 = c
    lines_in = np.concatenate([vertical, horizontal])
    Z = lines_in @ W + b
    xor_out = f(XOR_INPUTS @ W + b)
    return {
        "activation": activation, "scale": scale, "angle": angle, "bias": bias,
        "z": z, "f": f(z), "df": df(z), "W": W, "b": b,
        "lines_in": lines_in, "lines_out": f(Z),
        "z_range": (float(Z.min()), float(Z.max())),
        "flat_fraction": (df(Z) < 0.05).reshape(-1, 2).mean(axis=0),
        "xor_out": xor_out, "separable": xor_separable(xor_out),
        "line": separating_line(xor_out),
    }


def chain_gradient(activation="sigmoid", depth=10, weight=1.0, x0=0.5):
    r"""A chain of ``depth`` one-unit layers :math:`a_\ell = f(w\,a_{\ell-1})` and its derivative.

    Parameters
    ----------
    activation : str
        One of :data:`ACTIVATION_CHOICES`.
    depth : int
        Number of layers :math:`L`.
    weight : float
        The weight :math:`w` of every layer (no bias).
    x0 : float
        The input :math:`a_0`.

    Returns
    -------
    dict with
        ``a`` : ndarray, shape (depth + 1,), the activations :math:`a_0, \dots, a_L`;
        ``z`` : ndarray, shape (depth,), the pre-activations :math:`z_\ell = w\,a_{\ell-1}`;
        ``local`` : ndarray, shape (depth,), the factors :math:`w f'(z_\ell)`;
        ``grad`` : ndarray, shape (depth + 1,), :math:`\partial a_\ell / \partial a_0` for
        :math:`\ell = 0, \dots, L` (``grad[0] = 1``).

    Notes
    -----
    By the chain rule

    .. math:: \frac{\partial a_L}{\partial a_0} = \prod_{\ell=1}^{L} w\, f'(z_\ell).

    Examples
    --------
    >>> r = chain_gradient("relu", depth=3, weight=2.0, x0=0.5)
    >>> r["a"].tolist(), r["grad"].tolist()
    ([0.5, 1.0, 2.0, 4.0], [1.0, 2.0, 4.0, 8.0])
    """
    f, df = activation_pair(activation)
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")
    a, z = [float(x0)], []
    for _ in range(int(depth)):
        z.append(weight * a[-1])
        a.append(float(f(np.array(z[-1]))))
    z = np.array(z)
    local = weight * df(z)
    return {"a": np.array(a), "z": z, "local": local, "grad": np.concatenate([[1.0], np.cumprod(local)])}


_COLOURS = {"sigmoid": "tab:blue", "tanh": "tab:orange", "relu": "tab:green",
            "leaky_relu": "tab:olive", "gelu": "tab:purple", "linear": "tab:gray"}


def _separating_segment(result: dict):
    """The two ends of the separating line drawn across the hidden points, shape (2, 2); empty when none."""
    if result["line"] is None:
        return np.empty((0, 2))
    n, c = result["line"]
    pts = result["xor_out"]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    mid, span = (lo + hi) / 2, 0.6 * max(float(np.max(hi - lo)), 1e-3)
    direction = np.array([-n[1], n[0]]) / np.linalg.norm(n)
    foot = n * c / (n @ n)
    foot = foot + direction * ((mid - foot) @ direction)
    return np.stack([foot - span * direction, foot + span * direction])


def _hidden_title(result: dict) -> str:
    verdict = "separable" if result["separable"] else "not separable"
    return f"hidden plane $\\mathbf{{h}}$: XOR {verdict}"


def draw_bend_plane(result: dict, fig):
    """Left: f and f'. Middle: the grid in the input plane. Right: the grid after the layer; returns the updater."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    # fixed margins (not tight_layout) so that an updated figure and a fresh one have the same layout
    ax_f, ax_in, ax_out = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.15, 1, 1], "left": 0.065, "right": 0.975,
                                                          "bottom": 0.172, "top": 0.893, "wspace": 0.38})
    colour = _COLOURS[result["activation"]]
    span = ax_f.axvspan(*result["z_range"], color="0.92", label="z reached by the grid")
    (f_line,) = ax_f.plot(result["z"], result["f"], color=colour, lw=2, label="$f(z)$")
    (df_line,) = ax_f.plot(result["z"], result["df"], color=colour, lw=2, ls="--", label="$f'(z)$")
    ax_f.set(xlabel="$z$", xlim=(-5, 5), ylim=(-1.6, 2.6))
    # titles at a fixed height (y=1): matplotlib then need not measure the tick labels to place them
    ax_f.set_title(result["activation"], y=1.0)
    ax_f.axhline(0, color="0.6", lw=0.8)
    legend = ax_f.legend(loc="upper left", fontsize=8)

    # each plane's grid is one LineCollection (one artist renders far faster than 18 lines)
    n = len(result["lines_in"]) // 2
    cmap = plt.get_cmap("viridis")
    colours = [cmap(0.15 + 0.7 * (i % n) / max(n - 1, 1)) for i in range(2 * n)]
    styles = ["-" if i < n else ":" for i in range(2 * n)]
    ax_in.add_collection(LineCollection(result["lines_in"], colors=colours, linestyles=styles, linewidths=1))
    grid_out = ax_out.add_collection(LineCollection(result["lines_out"], colors=colours, linestyles=styles,
                                                    linewidths=1))
    pts_in, pts_out = np.array(XOR_INPUTS), result["xor_out"]
    points = []
    for ax, pts in ((ax_in, pts_in), (ax_out, pts_out)):
        for cls, marker, face in ((0, "o", "white"), (1, "s", "black")):
            sel = XOR_LABELS == cls
            points.append(ax.scatter(pts[sel, 0], pts[sel, 1], marker=marker, s=70, c=face, edgecolors="red",
                                     linewidths=1.5, zorder=3))
        ax.set_aspect("equal", adjustable="datalim")
    ends = _separating_segment(result)
    (separator,) = ax_out.plot(ends[:, 0], ends[:, 1], color="red", lw=1.5, ls="--", zorder=4)
    ax_in.set(xlabel="$x_1$", ylabel="$x_2$")
    ax_in.set_title("input plane $\\mathbf{x}$", y=1.0)
    ax_out.set(xlabel="$h_1$", ylabel="$h_2$")
    ax_out.set_title(_hidden_title(result), fontsize=10, y=1.0)

    def update(new: dict):
        if not np.array_equal(new["lines_in"], result["lines_in"]):
            return False  # another input grid: draw afresh
        colour = _COLOURS[new["activation"]]
        lo, hi = new["z_range"]
        span.set_x(lo)
        span.set_width(hi - lo)
        for line, key, handle in zip((f_line, df_line), ("f", "df"), legend.legend_handles[1:]):
            line.set_data(new["z"], new[key])
            line.set_color(colour)
            handle.set_color(colour)
        ax_f.title.set_text(new["activation"])
        grid_out.set_segments(new["lines_out"])
        for cls, scatter in enumerate(points[2:]):  # the hidden plane's two classes
            scatter.set_offsets(new["xor_out"][XOR_LABELS == cls])
        ends = _separating_segment(new)
        separator.set_data(ends[:, 0], ends[:, 1])
        ax_out.title.set_text(_hidden_title(new))
        ax_out.relim()  # the limits a fresh drawing autoscales to (lines and scatters alike)
        ax_out.autoscale_view()
        return True

    return update


activations_experiment = Experiment(
    name="activations",
    title="An activation function and what a two-unit layer does to the plane",
    controls=[
        Control("activation", "activation f", "tanh", options=ACTIVATION_CHOICES),
        Control("scale", "weight scale s", 1.5, 0.25, 4.0, 0.25),
        Control("angle", "angle φ between the units (degrees)", 60.0, 0.0, 180.0, 15.0),
        Control("bias", "bias β", 0.5, -1.5, 1.5, 0.25),
    ],
    compute=bend_plane,
    draw=draw_bend_plane,
    static=("activation", "angle"),
    figsize=(9.0, 3.4),
)
