"""Experiment of the neuron chapter: one neuron with two inputs.

The reader moves the weights ``w1, w2`` and the bias ``b`` and sees the
neuron's output over the input plane, the line where the pre-activation is
zero (the decision line), and how many of the four points of a logic gate
(AND, OR, XOR) the neuron gets right when its output is thresholded.
"""
from __future__ import annotations

import numpy as np

from nnlib.activations import ACTIVATIONS
from .core import RELAYOUT, Control, Experiment

GATES = {
    "AND": np.array([0, 0, 0, 1]),
    "OR": np.array([0, 1, 1, 1]),
    "XOR": np.array([0, 1, 1, 0]),
}
GATE_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def decision_line(w1: float, w2: float, b: float, x1: np.ndarray):
    r"""Points ``(x1, x2)`` of the line :math:`w_1 x_1 + w_2 x_2 + b = 0`.

    Returns ``None`` when ``w1 = w2 = 0`` (then no line exists), and the
    vertical line :math:`x_1 = -b / w_1` when ``w2 = 0``.
    """
    if w1 == 0 and w2 == 0:
        return None
    if w2 == 0:
        x = np.full(2, -b / w1)
        return x, np.array([x1.min(), x1.max()])
    return x1, -(w1 * x1 + b) / w2


def neuron_response(w1=1.0, w2=1.0, b=-1.5, activation="sigmoid", gate="AND", n=81, extent=(-0.5, 1.5)):
    r"""Output of the neuron :math:`a = f(w_1 x_1 + w_2 x_2 + b)` over a grid.

    Returns
    -------
    dict with
        ``x1, x2`` : ndarray, shape (n,), grid coordinates;
        ``a`` : ndarray, shape (n, n), the output, ``a[i, j]`` at ``(x1[j], x2[i])``;
        ``line`` : the decision line (see :func:`decision_line`) or None;
        ``points, labels, predicted`` : the gate's four inputs, their targets and the
        neuron's thresholded answers; ``correct`` : how many of the four it gets right;
        ``distance`` : the distance :math:`|b| / \lVert w \rVert` from the origin to the line.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    if gate not in GATES:
        raise ValueError(f"gate must be one of {sorted(GATES)}, got {gate!r}")
    f, _ = ACTIVATIONS[activation]
    x1 = np.linspace(*extent, n)
    x2 = np.linspace(*extent, n)
    X1, X2 = np.meshgrid(x1, x2)
    a = f(w1 * X1 + w2 * X2 + b)
    z_points = GATE_INPUTS @ np.array([w1, w2], dtype=float) + b
    predicted = (z_points > 0).astype(int)  # a > f(0): the side of the line the point is on
    labels = GATES[gate]
    norm = float(np.hypot(w1, w2))
    return {
        "x1": x1, "x2": x2, "a": a, "activation": activation,
        "line": decision_line(w1, w2, b, x1),
        "points": GATE_INPUTS, "labels": labels, "predicted": predicted,
        "correct": int((predicted == labels).sum()), "gate": gate,
        "distance": abs(b) / norm if norm > 0 else float("inf"),
    }


#: Colour range of the output for the bounded activations: the whole range, so that a colour
#: means the same output whatever the weights, and white is f(0), the value on the decision line.
OUTPUT_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def _output_range(result: dict) -> tuple:
    """Colour limits of the heat map: the activation's range, or 0 to the largest output (at least 1)."""
    if result["activation"] in OUTPUT_RANGES:
        return OUTPUT_RANGES[result["activation"]]
    return min(0.0, float(result["a"].min())), max(1.0, float(result["a"].max()))


def _neuron_title(result: dict) -> str:
    return f"{result['gate']}: {result['correct']} of 4 points on the right side"


def draw_neuron(result: dict, fig):
    """Heat map of the output, the decision line and the gate's points; returns the updater."""
    ax = fig.add_subplot(1, 1, 1)
    x1, x2 = result["x1"], result["x2"]
    image = ax.imshow(result["a"], origin="lower", extent=(x1[0], x1[-1], x2[0], x2[-1]),
                      cmap="RdBu_r", interpolation="bilinear", clim=_output_range(result))  # a raster draws fast
    colorbar = fig.colorbar(image, ax=ax, label=f"neuron output ({result['activation']})")
    # the line always exists (hidden when w1 = w2 = 0), so that it can come and go without a fresh drawing
    (line,) = ax.plot(*(result["line"] or ([], [])), color="k", lw=2, label="decision line $w_1x_1+w_2x_2+b=0$")
    line.set_visible(result["line"] is not None)
    pts, labels = result["points"], result["labels"]
    points = []
    for target, marker in ((0, "o"), (1, "s")):
        sel = labels == target
        points.append(ax.scatter(pts[sel, 0], pts[sel, 1], marker=marker, s=120, c="white" if target == 0 else "black",
                                 edgecolors="gold", linewidths=2, zorder=3, label=f"{result['gate']} target {target}"))
    ax.set_xlim(x1.min(), x1.max())
    ax.set_ylim(x2.min(), x2.max())
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
    ax.set_title(_neuron_title(result), y=1.0)  # a fixed height: matplotlib need not look for ticks above

    def make_legend():
        handles = ([line] if line.get_visible() else []) + points
        return ax.legend(handles, [h.get_label() for h in handles], loc="upper center", bbox_to_anchor=(0.5, -0.14),
                         ncol=3, fontsize=8, frameon=False)

    legend = make_legend()

    def update(new: dict):
        nonlocal legend
        if not np.array_equal(new["x1"], x1):
            return False
        image.set_data(new["a"])
        image.set_clim(*_output_range(new))  # the colour bar follows
        colorbar.set_label(f"neuron output ({new['activation']})")
        if new["line"] is not None:
            line.set_data(*new["line"])
        for target, scatter in enumerate(points):
            scatter.set_offsets(new["points"][new["labels"] == target])
            scatter.set_label(f"{new['gate']} target {target}")
        ax.set_title(_neuron_title(new), y=1.0)
        if (new["line"] is not None) != line.get_visible():  # the legend gains or loses the line
            line.set_visible(new["line"] is not None)
            legend.remove()
            legend = make_legend()
            return RELAYOUT
        for text, scatter in zip(legend.get_texts()[-2:], points):
            text.set_text(scatter.get_label())
        return True

    return update


neuron_experiment = Experiment(
    name="neuron",
    title="One neuron, two inputs",
    controls=[
        Control("w1", "weight w₁", 1.0, -3.0, 3.0, 0.25),
        Control("w2", "weight w₂", 1.0, -3.0, 3.0, 0.25),
        Control("b", "bias b", -1.5, -3.0, 3.0, 0.25),
        Control("activation", "activation", "sigmoid", options=("sigmoid", "tanh", "relu")),
        Control("gate", "logic gate", "AND", options=("AND", "OR", "XOR")),
    ],
    compute=neuron_response,
    draw=draw_neuron,
    static=("b", "gate"),
    figsize=(6.5, 5.0),
)
