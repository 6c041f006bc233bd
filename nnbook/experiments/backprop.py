r"""Experiments and helpers of the backpropagation chapter.

* :func:`two_layer_grads`: the delta equations of a network with one hidden
  layer and the squared error :math:`E = \tfrac12 \sum (a_{out} - t)^2`.
* :func:`train_xor`: full-batch gradient descent of a 2-H-1 sigmoid network
  on XOR, the loop of source 000 (which, as printed, *ascends*).
* :func:`matmul_flops`: the floating-point operations of the matrix products
  of a forward and a backward pass, counted.
* :func:`backprop_steps` (``backprop_steps_experiment``): a 2-2-1 network on
  one example, stepped through its forward and then its backward pass.
* :func:`xor_training` (``xor_training_experiment``): the XOR decision map
  after a chosen number of gradient steps.
"""
from __future__ import annotations

import numpy as np

from nnlib._validate import as_float_array, check_number
from nnlib.activations import ACTIVATIONS
from nnlib.data import xor
from .core import Control, Experiment

__all__ = [
    "two_layer_grads", "init_000", "train_xor", "matmul_flops",
    "backprop_steps", "draw_backprop_steps", "backprop_steps_experiment",
    "xor_training", "draw_xor_training", "xor_training_experiment",
]

_OUTPUTS = {**ACTIVATIONS, "linear": (lambda z: z, lambda z: np.ones_like(z))}


def two_layer_grads(X, T, W1, b1, W2, b2, hidden="sigmoid", output="sigmoid"):
    r"""Forward pass and backpropagation for one hidden layer, by the delta equations.

    Parameters
    ----------
    X : ndarray, shape (N, D)
    T : ndarray, shape (N, K), the targets
    W1 : ndarray, shape (D, H); b1 : shape (H,)
    W2 : ndarray, shape (H, K); b2 : shape (K,)
    hidden : str
        Activation :math:`f` of the hidden layer (a key of ``nnlib.ACTIVATIONS``).
    output : str
        Activation :math:`g` of the output layer, or ``"linear"``.

    Returns
    -------
    dict
        ``Z1, A1, Z2, A2`` (forward values), ``E`` (the loss),
        ``delta_out, delta_h`` and the gradients ``W1, b1, W2, b2, X``.

    Notes
    -----
    With :math:`E = \frac12 \sum_{n,k} (a_{out} - t)^2`:

    .. math::
        \delta_{out} = (a_{out} - t) \odot g'(z_{out}), \qquad
        \delta_h = (\delta_{out} W_{out}^\top) \odot f'(z_h), \\
        \frac{\partial E}{\partial W_{out}} = a_h^\top \delta_{out}, \quad
        \frac{\partial E}{\partial W_h} = x^\top \delta_h, \quad
        \frac{\partial E}{\partial b} = \textstyle\sum_n \delta .

    Examples
    --------
    >>> X, T = np.array([[1.0, 0.0]]), np.array([[1.0]])
    >>> r = two_layer_grads(X, T, np.zeros((2, 2)), np.zeros(2), np.ones((2, 1)), np.zeros(1))
    >>> round(r["E"], 4), r["W2"].ravel().round(4).tolist()
    (0.0362, [-0.0264, -0.0264])
    """
    X, T = as_float_array(X, "X", ndim=2), as_float_array(T, "T", ndim=2)
    if hidden not in ACTIVATIONS or output not in _OUTPUTS:
        raise ValueError(f"hidden must be one of {sorted(ACTIVATIONS)} and output one of {sorted(_OUTPUTS)}, "
                         f"got {hidden!r} and {output!r}")
    f, f_grad = ACTIVATIONS[hidden]
    g, g_grad = _OUTPUTS[output]
    Z1 = X @ W1 + b1
    A1 = f(Z1)
    Z2 = A1 @ W2 + b2
    A2 = g(Z2)
    if A2.shape != T.shape:
        raise ValueError(f"T has shape {T.shape}, expected {A2.shape} like the network's output")
    delta_out = (A2 - T) * g_grad(Z2)
    delta_h = (delta_out @ W2.T) * f_grad(Z1)
    return {
        "Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2, "E": 0.5 * float(np.sum((A2 - T) ** 2)),
        "delta_out": delta_out, "delta_h": delta_h,
        "W2": A1.T @ delta_out, "b2": delta_out.sum(axis=0),
        "W1": X.T @ delta_h, "b1": delta_h.sum(axis=0), "X": delta_h @ W1.T,
    }


def _whole(value, name, low=0, high=None) -> int:
    """An integer control; sliders and the static book may send it as an integral float (3.0)."""
    check_number(value, name, low=low, high=high)
    if not float(value).is_integer():
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def init_000(rng, hidden=2):
    """The initialisation of source 000, drawn from ``rng``: every weight and bias uniform in [0, 1).

    Returns ``W1 (2, hidden), b1 (hidden,), W2 (hidden, 1), b2 (1,)`` in the order 000 draws them.
    """
    return rng.random((2, hidden)), rng.random(hidden), rng.random((hidden, 1)), rng.random(1)


def _sig(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), and never overflows


def train_xor(W1, b1, W2, b2, lr, steps, *, update="descent"):
    r"""Full-batch gradient steps of a 2-H-1 sigmoid network on XOR, as in source 000.

    Parameters
    ----------
    W1 : ndarray, shape (2, H) or a stack (S, 2, H) of S networks trained at once
    b1 : ndarray, shape (H,) or (S, H)
    W2 : ndarray, shape (H, 1) or (S, H, 1)
    b2 : ndarray, shape (1,) or (S, 1)
    lr : float
    steps : int
    update : {"descent", "ascent"}
        ``"ascent"`` reproduces 000 as printed: it adds the gradient.

    Returns
    -------
    dict
        ``W1, b1, W2, b2``: the parameters after training (copies, input
        unchanged); ``loss``: shape (steps,) or (steps, S), the mean squared
        error of each step's forward pass (before its update); ``outputs``:
        the outputs of the last forward pass, shape (4, 1) or (S, 4, 1), what
        000 prints; ``final_mse``: the mean squared error of the final parameters.

    Notes
    -----
    Each step computes, with :math:`E = \frac12\sum (a_2 - t)^2`,
    :math:`\delta_2 = (a_2 - t)\,\sigma'(z_2)`, :math:`\delta_1 = (\delta_2 W_2^\top)\odot\sigma'(z_1)`
    and :math:`W \leftarrow W - \eta\,\partial E/\partial W` (``+`` for ascent).

    Examples
    --------
    >>> start = init_000(np.random.default_rng(0))
    >>> round(train_xor(*start, lr=0.1, steps=1000, update="ascent")["final_mse"], 3)
    0.498
    >>> round(train_xor(*start, lr=2.0, steps=2000)["final_mse"], 4)
    0.0004
    """
    check_number(lr, "lr", low=0.0)
    check_number(steps, "steps", low=0, integer=True)
    if update not in ("descent", "ascent"):
        raise ValueError(f'update must be "descent" or "ascent", got {update!r}')
    single = np.ndim(W1) == 2
    W1, b1, W2, b2 = (np.array(p, dtype=np.float64, copy=True) for p in (W1, b1, W2, b2))
    S = () if single else W1.shape[:1]
    if (W1.ndim != 2 + len(S) or W1.shape[-2] != 2 or W2.shape != (*S, W1.shape[-1], 1)
            or b1.shape != (*S, W1.shape[-1]) or b2.shape != (*S, 1)):
        raise ValueError(f"expected W1 (2, H), b1 (H,), W2 (H, 1), b2 (1,) (or stacks of them), got "
                         f"{W1.shape}, {b1.shape}, {W2.shape}, {b2.shape}")
    X, t = xor()
    T = t[:, None].astype(np.float64)
    sign = 1.0 if update == "descent" else -1.0
    loss = np.empty((steps, *S))
    A2 = np.full((*S, 4, 1), np.nan)
    for k in range(steps):  # the same lines serve one network (2-D arrays) and a stack (3-D)
        A1 = _sig(X @ W1 + b1[..., None, :])                # (S, 4, H)
        A2 = _sig(A1 @ W2 + b2[..., None, :])               # (S, 4, 1)
        E = A2 - T
        loss[k] = (E[..., 0] ** 2).sum(axis=-1) * 0.25      # mean over the 4 examples
        D2 = sign * E * A2 * (1 - A2)                       # delta_out
        D1 = (D2 @ W2.swapaxes(-1, -2)) * A1 * (1 - A1)     # delta_h
        W2 -= lr * (A1.swapaxes(-1, -2) @ D2)
        b2 -= lr * D2.sum(axis=-2)
        W1 -= lr * (X.T @ D1)
        b1 -= lr * D1.sum(axis=-2)
    final = np.mean((_sig(_sig(X @ W1 + b1[..., None, :]) @ W2 + b2[..., None, :]) - T) ** 2, axis=(-2, -1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "loss": loss, "outputs": A2,
            "final_mse": float(final) if single else final}


def matmul_flops(widths, batch_size=1, input_grad=False):
    r"""Floating-point operations of the matrix products of a dense network, forward and backward.

    Parameters
    ----------
    widths : sequence of int
        Layer widths from input to output, e.g. ``[784, 16, 16, 10]``.
    batch_size : int
    input_grad : bool
        Count the gradient with respect to the network's input too (training
        does not need it).

    Returns
    -------
    dict with ``forward``, ``backward`` (ints) and ``ratio`` = backward / forward.

    Notes
    -----
    A product of an :math:`(N, D_{in})` and a :math:`(D_{in}, D_{out})` matrix
    takes :math:`2 N D_{in} D_{out}` operations (a multiply and an add per
    term). Forward, each layer computes :math:`XW`; backward it computes
    :math:`X^\top G` and :math:`G W^\top`, the second one skipped for the
    first layer unless ``input_grad``:

    .. math:: F_{fwd} = \sum_\ell 2 N D_{\ell-1} D_\ell, \qquad
              F_{bwd} = 2 F_{fwd} - [\text{no input gradient}]\; 2 N D_0 D_1 .

    Examples
    --------
    >>> matmul_flops([784, 16, 16, 10])["forward"]
    25920
    """
    widths = [int(check_number(w, "width", low=1, integer=True)) for w in widths]
    if len(widths) < 2:
        raise ValueError(f"widths needs at least an input and an output width, got {widths}")
    check_number(batch_size, "batch_size", low=1, integer=True)
    per_layer = [2 * batch_size * a * b for a, b in zip(widths[:-1], widths[1:])]
    forward = sum(per_layer)
    backward = 2 * forward - (0 if input_grad else per_layer[0])
    return {"forward": forward, "backward": backward, "ratio": backward / forward}


# -- experiment 1: stepping through forward and backward passes ---------------
STEP_NET = {
    "W1": np.array([[0.5, -0.6], [0.8, 0.4]]), "b1": np.array([-0.2, 0.1]),
    "W2": np.array([[1.2], [-0.7]]), "b2": np.array([0.3]),
}
EXAMPLES = {"x = (0, 0), t = 0": ((0.0, 0.0), 0.0), "x = (0, 1), t = 1": ((0.0, 1.0), 1.0),
            "x = (1, 0), t = 1": ((1.0, 0.0), 1.0), "x = (1, 1), t = 0": ((1.0, 1.0), 0.0)}
_POS = {"x1": (0, 1.4), "x2": (0, 0), "zh1": (1.9, 1.4), "zh2": (1.9, 0), "ah1": (3.2, 1.4), "ah2": (3.2, 0),
        "zout": (4.7, 0.7), "aout": (5.9, 0.7), "E": (7.1, 0.7)}
_LABELS = {"x1": "x_1", "x2": "x_2", "zh1": "z_{h1}", "zh2": "z_{h2}", "ah1": "a_{h1}", "ah2": "a_{h2}",
           "zout": "z_{out}", "aout": "a_{out}", "E": "E"}


def backprop_steps(step=0, example="x = (1, 1), t = 0"):
    r"""The 2-2-1 sigmoid network ``STEP_NET`` on one example, after ``step`` steps of forward then backward.

    Step 0 shows the inputs; steps 1-7 compute the forward values (the loss
    is :math:`E = \frac12 (a_{out} - t)^2`); steps 8-16 the gradients
    :math:`\partial E/\partial v` of every node and weight, output first.

    Returns
    -------
    dict
        ``values``/``grads``: every node's value and gradient (all of them);
        ``shown_values``/``shown_grads``: the names revealed so far;
        ``weight_grads``: ``{"W1", "b1", "W2", "b2"}`` arrays; ``grads_shown_for``:
        which of those are revealed; ``text``: the computation of this step;
        ``current``: the names it computes; ``phase``; ``step``; ``n_steps``.
    """
    if example not in EXAMPLES:
        raise ValueError(f"example must be one of {list(EXAMPLES)}, got {example!r}")
    step = _whole(step, "step")
    (x1, x2), t = EXAMPLES[example]
    W1, b1, W2, b2 = (STEP_NET[k] for k in ("W1", "b1", "W2", "b2"))
    r = two_layer_grads(np.array([[x1, x2]]), np.array([[t]]), W1, b1, W2, b2)
    z, a, zo, ao = r["Z1"][0], r["A1"][0], r["Z2"][0, 0], r["A2"][0, 0]
    values = {"x1": x1, "x2": x2, "zh1": z[0], "ah1": a[0], "zh2": z[1], "ah2": a[1],
              "zout": zo, "aout": ao, "E": r["E"]}
    g_a = r["delta_out"][0, 0] * W2[:, 0]
    grads = {"E": 1.0, "aout": ao - t, "zout": r["delta_out"][0, 0], "ah1": g_a[0], "ah2": g_a[1],
             "zh1": r["delta_h"][0, 0], "zh2": r["delta_h"][0, 1], "x1": r["X"][0, 0], "x2": r["X"][0, 1]}
    weight_grads = {k: r[k] for k in ("W1", "b1", "W2", "b2")}
    s = lambda v: f"{v:.3f}"  # noqa: E731
    events = [("forward", [], "inputs given: $x_1 = %g$, $x_2 = %g$, target $t = %g$" % (x1, x2, t))]
    for j in (1, 2):
        i = j - 1
        events.append(("forward", [f"zh{j}"], rf"$z_{{h{j}}} = w_{{1{j}}}x_1 + w_{{2{j}}}x_2 + b_{j} = "
                       rf"{W1[0, i]:g}\cdot{x1:g} + {W1[1, i]:g}\cdot{x2:g} + ({b1[i]:g}) = {s(z[i])}$"))
        events.append(("forward", [f"ah{j}"], rf"$a_{{h{j}}} = \sigma(z_{{h{j}}}) = \sigma({s(z[i])}) = {s(a[i])}$"))
    events += [
        ("forward", ["zout"], rf"$z_{{out}} = v_1 a_{{h1}} + v_2 a_{{h2}} + c = {W2[0, 0]:g}\cdot{s(a[0])} + "
                              rf"({W2[1, 0]:g})\cdot{s(a[1])} + {b2[0]:g} = {s(zo)}$"),
        ("forward", ["aout"], rf"$a_{{out}} = \sigma(z_{{out}}) = {s(ao)}$"),
        ("forward", ["E"], rf"$E = \frac{{1}}{{2}}(a_{{out}} - t)^2 = \frac{{1}}{{2}}({s(ao)} - {t:g})^2 = {values['E']:.4f}$"),
        ("backward", ["E"], r"$\partial E/\partial E = 1$: the backward pass starts at the loss"),
        ("backward", ["aout"], rf"$\partial E/\partial a_{{out}} = a_{{out}} - t = {s(grads['aout'])}$"),
        ("backward", ["zout"], rf"$\delta_{{out}} = \partial E/\partial a_{{out}} \cdot \sigma'(z_{{out}}) = "
                               rf"{s(grads['aout'])} \cdot {s(ao * (1 - ao))} = {s(grads['zout'])}$"),
        ("backward", ["W2", "b2"], rf"$\partial E/\partial v_j = a_{{hj}}\,\delta_{{out}}$: "
                                   rf"${s(weight_grads['W2'][0, 0])},\ {s(weight_grads['W2'][1, 0])}$; "
                                   rf"$\partial E/\partial c = \delta_{{out}} = {s(weight_grads['b2'][0])}$"),
    ]
    for j in (1, 2):
        events.append(("backward", [f"ah{j}"], rf"$\partial E/\partial a_{{h{j}}} = v_{j}\,\delta_{{out}} = "
                       rf"{W2[j - 1, 0]:g} \cdot {s(grads['zout'])} = {s(grads[f'ah{j}'])}$"))
    for j in (1, 2):
        aj = a[j - 1]
        events.append(("backward", [f"zh{j}"], rf"$\delta_{{h{j}}} = \partial E/\partial a_{{h{j}}} \cdot \sigma'(z_{{h{j}}}) = "
                       rf"{s(grads[f'ah{j}'])} \cdot {s(aj * (1 - aj))} = {s(grads[f'zh{j}'])}$"))
    events.append(("backward", ["W1", "b1"], r"$\partial E/\partial w_{ij} = x_i\,\delta_{hj}$ and "
                   r"$\partial E/\partial b_j = \delta_{hj}$: every gradient is known"))
    n_steps = len(events) - 1
    step = min(int(step), n_steps)
    done = events[: step + 1]
    shown_values = {"x1", "x2"} | {n for kind, names, _ in done if kind == "forward" for n in names}
    shown_grads = {n for kind, names, _ in done if kind == "backward" for n in names}
    phase, current, text = events[step]
    return {
        "step": step, "n_steps": n_steps, "phase": "inputs" if step == 0 else phase, "text": text,
        "current": list(current), "values": values, "grads": grads, "weight_grads": weight_grads,
        "shown_values": shown_values & set(values), "shown_grads": shown_grads & set(grads),
        "grads_shown_for": shown_grads & set(weight_grads), "example": example, "target": t,
        "W1": W1, "b1": b1, "W2": W2, "b2": b2,
    }


# (source, target, symbol, parameter and its index or None, position along the edge, label above (+1) or below (-1))
_EDGES = [("x1", "zh1", "w_{11}", ("W1", (0, 0)), 0.45, 1), ("x2", "zh2", "w_{22}", ("W1", (1, 1)), 0.45, -1),
          ("x1", "zh2", "w_{12}", ("W1", (0, 1)), 0.75, 0), ("x2", "zh1", "w_{21}", ("W1", (1, 0)), 0.75, 0),
          ("ah1", "zout", "v_1", ("W2", (0, 0)), 0.5, 1), ("ah2", "zout", "v_2", ("W2", (1, 0)), 0.5, -1),
          ("zh1", "ah1", r"\sigma", None, 0.5, 1), ("zh2", "ah2", r"\sigma", None, 0.5, 1),
          ("zout", "aout", r"\sigma", None, 0.5, 1), ("aout", "E", "", None, 0.5, 1)]


def _edge_label_ys(my, side, n_lines, step_y=0.19):
    """Heights of an edge's label lines (the weight, then its gradient): above, below or centred on the edge."""
    if side == 1:
        return [my + 0.1 + step_y * (n_lines - 1 - k) for k in range(n_lines)]
    if side == -1:
        return [my - 0.1 - step_y * k for k in range(n_lines)]
    return [my + step_y * ((n_lines - 1) / 2 - k) for k in range(n_lines)]


def draw_backprop_steps(result: dict, fig):
    """The network as a graph: values (black) and gradients (red) revealed so far; returns the updater.

    Every number a step can reveal gets its text when the figure is drawn,
    hidden until its step, so moving to another step only changes texts,
    colours and what is visible.
    """
    from matplotlib.patches import Circle

    ax = fig.add_axes((0.0, 0.1, 1.0, 0.8))
    box = dict(facecolor="white", edgecolor="none", pad=0.5, alpha=0.85)
    edge_labels = []  # (weight text, its gradient's text, parameter and index, height of the edge's midpoint, side)
    for src, dst, symbol, param, frac, side in _EDGES:
        (x0, y0), (x1, y1) = _POS[src], _POS[dst]
        d = np.hypot(x1 - x0, y1 - y0)
        ux, uy = (x1 - x0) / d, (y1 - y0) / d
        ax.annotate("", xy=(x1 - 0.36 * ux, y1 - 0.36 * uy), xytext=(x0 + 0.36 * ux, y0 + 0.36 * uy),
                    arrowprops=dict(arrowstyle="->", color="0.55", lw=1.2))
        if not symbol:
            continue
        mx, my = x0 + frac * (x1 - x0), y0 + frac * (y1 - y0)
        name = f"${symbol}$" if param is None else f"${symbol} = {result[param[0]][param[1]]:g}$"
        label = ax.text(mx, _edge_label_ys(my, side, 1)[0], name, ha="center", va="center", fontsize=9,
                        color="0.2", bbox=box, zorder=4)  # a weight's label makes room when its gradient shows
        if param is not None:
            grad = ax.text(mx, my, "", ha="center", va="center", fontsize=9, color="tab:red", bbox=box,
                           weight="bold", zorder=4)
            edge_labels.append((label, grad, param, my, side))
    nodes = {}  # name: (circle, value text, gradient text)
    for name, (x, y) in _POS.items():
        circle = ax.add_patch(Circle((x, y), 0.34, zorder=2))
        ax.text(x, y + 0.1, f"${_LABELS[name]}$", ha="center", va="center", fontsize=11, zorder=3)
        value = ax.text(x, y - 0.13, "", ha="center", va="center", fontsize=9, zorder=3)
        grad = ax.text(x, y + 0.5 if y > 1 else y - 0.5, "", ha="center", va="center", fontsize=9,
                       color="tab:red", weight="bold", zorder=3, bbox=box)
        nodes[name] = (circle, value, grad)
    target = ax.text(_POS["E"][0], _POS["E"][1] + 0.55, "", ha="center", fontsize=10)
    bias = f"biases $b = ({result['b1'][0]:g}, {result['b1'][1]:g})$, $c = {result['b2'][0]:g}$"
    ax.text(-0.45, -0.75, bias, fontsize=9, color="0.3", ha="left")
    bias_grads = ax.text(-0.45, -1.0, "", fontsize=9, color="tab:red", ha="left", weight="bold")
    ax.text(7.6, -0.9, "black: values, red: gradients", fontsize=8, color="0.4", ha="right")
    ax.set_xlim(-0.5, 7.65)
    ax.set_ylim(-1.1, 2.05)
    ax.set_aspect("equal")
    ax.axis("off")
    title = fig.text(0.5, 0.95, "", ha="center", fontsize=11, weight="bold")
    caption = fig.text(0.5, 0.04, "", ha="center", fontsize=10)

    def update(new: dict):
        if any(not np.array_equal(new[k], result[k]) for k in ("W1", "b1", "W2", "b2")):
            return False  # another network: its weights and biases are labelled afresh
        shown = new["grads_shown_for"]
        for label, grad, (key, index), my, side in edge_labels:
            ys = _edge_label_ys(my, side, 2 if key in shown else 1)
            label.set_y(ys[0])
            grad.set_y(ys[-1])
            grad.set_text(f"{new['weight_grads'][key][index]:+.3f}")
            grad.set_visible(key in shown)
        for name, (circle, value, grad) in nodes.items():
            active = name in new["current"]
            circle.set_facecolor("#fff2b3" if active else "white")
            circle.set_edgecolor("tab:orange" if active else "0.3")
            circle.set_linewidth(2.5 if active else 1.2)
            value.set_text(f"{new['values'][name]:.3f}")
            value.set_visible(name in new["shown_values"])
            grad.set_text(f"{new['grads'][name]:+.3f}")
            grad.set_visible(name in new["shown_grads"])
        target.set_text(f"target $t = {new['target']:g}$")
        grads = [f"{k}: " + ", ".join(f"{v:+.3f}" for v in np.ravel(new["weight_grads"][k]))
                 for k in ("b1", "b2") if k in shown]
        bias_grads.set_text("gradients  " + "   ".join(grads).replace("b1", "$b$").replace("b2", "$c$"))
        bias_grads.set_visible(bool(grads))
        title.set_text(f"step {new['step']} of {new['n_steps']}: {new['phase']}")
        caption.set_text(new["text"])
        return True

    update(result)  # a fresh drawing shows its result exactly as the updater would
    return update


backprop_steps_experiment = Experiment(
    name="backprop_steps",
    title="Forward, then backward, one node at a time",
    controls=[
        Control("step", "step", 0, 0, 16, 1),
        Control("example", "example", "x = (1, 1), t = 0", options=tuple(EXAMPLES)),
    ],
    compute=backprop_steps,
    draw=draw_backprop_steps,
    static=("step",),
    figsize=(9.0, 4.4),
)


# -- experiment 2: training XOR ------------------------------------------------
XOR_MAX_STEPS, XOR_EVERY = 2000, 100
INITS = ("uniform [0, 1) as in 000", "normal(0, 1)")


_RUNS: dict = {}


def _xor_run(lr: float, init: str, update: str, seed: int, steps: int):
    """Parameters every XOR_EVERY steps and the losses, trained once and only as far as asked."""
    key = (lr, init, update, seed)
    if key not in _RUNS:
        if len(_RUNS) >= 64:
            _RUNS.clear()
        rng = np.random.default_rng(seed)
        if init == INITS[0]:
            params = init_000(rng)
        else:
            params = rng.normal(size=(2, 2)), rng.normal(size=2), rng.normal(size=(2, 1)), rng.normal(size=1)
        _RUNS[key] = ([tuple(params)], [])
    snapshots, losses = _RUNS[key]
    while (len(snapshots) - 1) * XOR_EVERY < steps:
        r = train_xor(*snapshots[-1], lr, XOR_EVERY, update=update)
        snapshots.append((r["W1"], r["b1"], r["W2"], r["b2"]))
        losses.append(r["loss"])
    done = steps // XOR_EVERY
    return snapshots[done], (np.concatenate(losses[:done]) if done else np.empty(0))


def _net_output(params, X):
    W1, b1, W2, b2 = params
    return _sig(_sig(X @ W1 + b1) @ W2 + b2)[:, 0]


def xor_training(steps=1000, lr=2.0, init=INITS[0], update="descent", seed=0, n=61):
    """A 2-2-1 sigmoid network trained on XOR for ``steps`` full-batch steps (a multiple of 100).

    Returns
    -------
    dict
        ``x1, x2`` : grid coordinates, shape (n,); ``out`` : shape (n, n), the
        network's output over the plane; ``points, labels``: XOR's inputs and
        targets; ``pred``: the outputs at the four points; ``mse``: their mean
        squared error; ``loss``: shape (steps,), the loss of every step so far;
        ``solved``: every point
        on the right side of 0.5.
    """
    steps = _whole(steps, "steps", high=XOR_MAX_STEPS)
    check_number(lr, "lr", low=0.0, low_open=True)
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if steps % XOR_EVERY:
        raise ValueError(f"steps must be a multiple of {XOR_EVERY}, got {steps}")
    if update not in ("descent", "ascent"):
        raise ValueError(f'update must be "descent" or "ascent", got {update!r}')
    params, loss = _xor_run(float(lr), init, update, int(seed), steps)
    X, t = xor()
    grid = np.linspace(-0.5, 1.5, n)
    G1, G2 = np.meshgrid(grid, grid)
    out = _net_output(params, np.column_stack([G1.ravel(), G2.ravel()])).reshape(n, n)
    pred = _net_output(params, X)
    return {"x1": grid, "x2": grid, "out": out, "points": X, "labels": t, "pred": pred,
            "mse": float(np.mean((pred - t) ** 2)), "loss": loss,
            "solved": bool(np.all((pred > 0.5) == (t == 1))), "steps": steps, "lr": lr, "update": update}


def _xor_title(result: dict) -> str:
    return f"{result['steps']} steps: MSE {result['mse']:.3f}" + (", solved" if result["solved"] else "")


def draw_xor_training(result: dict, fig):
    """The network's output over the plane (left) and the loss curve (right); returns the updater."""
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1], "wspace": 0.5})
    x1, x2 = result["x1"], result["x2"]
    hx, hy = (x1[1] - x1[0]) / 2, (x2[1] - x2[0]) / 2  # each grid value fills a cell centred on its point
    extent = (x1[0] - hx, x1[-1] + hx, x2[0] - hy, x2[-1] + hy)
    image = ax.imshow(result["out"], origin="lower", extent=extent, cmap="RdBu_r", vmin=0, vmax=1,
                      interpolation="nearest")  # the cells of a mesh, drawn as one raster: far faster
    fig.colorbar(image, ax=ax, label="network output")
    boundary = ax.contour(x1, x2, result["out"], levels=[0.5], colors="k", linewidths=2)
    pts, labels = result["points"], result["labels"]
    ax.scatter(pts[:, 0], pts[:, 1], s=130, c=["black" if t else "white" for t in labels],
               edgecolors="gold", linewidths=2, zorder=3)
    outputs = [ax.text(x, y + 0.12, f"{p:.2f}", ha="center", fontsize=9, color="k",
                       bbox=dict(facecolor="white", alpha=0.7, lw=0)) for (x, y), p in zip(pts, result["pred"])]
    ax.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal", xlim=extent[:2], ylim=extent[2:],
           xticks=np.linspace(x1[0], x1[-1], 5), yticks=np.linspace(x2[0], x2[-1], 5))  # 5 ticks a side, not 9 on y
    ax.set_title(_xor_title(result), fontsize=10, y=1.0)  # a fixed height: matplotlib need not look for ticks above
    loss = result["loss"]  # empty before the first step: the curve starts with no points
    (curve,) = ax2.plot(np.arange(1, len(loss) + 1), loss, color="tab:blue", label="training loss")
    ax2.axhline(0.25, color="tab:red", ls="--", lw=1, label="always answering 0.5")
    ax2.set(xlabel="gradient step", ylabel="mean squared error", yscale="log", ylim=(1e-4, 1), xlim=(0, XOR_MAX_STEPS))
    ax2.set_title(f"{result['update']}, learning rate {result['lr']:g}", y=1.0)
    ax2.legend(fontsize=8, loc="lower left")

    def update(new: dict):
        nonlocal boundary
        if not (np.array_equal(new["x1"], x1) and np.array_equal(new["x2"], x2)):
            return False  # another grid: the image needs another extent
        image.set_data(new["out"])
        boundary.remove()  # a contour line cannot be moved, only drawn again
        boundary = ax.contour(x1, x2, new["out"], levels=[0.5], colors="k", linewidths=2)
        for text, p in zip(outputs, new["pred"]):
            text.set_text(f"{p:.2f}")
        ax.title.set_text(_xor_title(new))
        curve.set_data(np.arange(1, len(new["loss"]) + 1), new["loss"])
        ax2.title.set_text(f"{new['update']}, learning rate {new['lr']:g}")
        return True

    return update


xor_training_experiment = Experiment(
    name="xor_training",
    title="Training a 2-2-1 network on XOR",
    controls=[
        Control("steps", "gradient steps", 1000, 0, XOR_MAX_STEPS, XOR_EVERY),
        Control("lr", "learning rate", 2.0, 0.5, 5.0, 0.5),
        Control("init", "initialisation", INITS[0], options=INITS),
        Control("update", "update", "descent", options=("descent", "ascent")),
    ],
    compute=xor_training,
    draw=draw_xor_training,
    static=("steps", "init"),
    figsize=(9.5, 4.0),
)
