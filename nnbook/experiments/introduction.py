"""Experiment of the introduction chapter: a network-size calculator.

The reader sets the input size, the number and width of the hidden layers
and the output size of a fully connected network and sees its parameter
count, the memory its weights take in float32 and bfloat16, the FLOPs of
one forward pass, and where it sits on a log scale among published models
(:data:`nnbook.sizes.KNOWN_MODELS`).
"""
from __future__ import annotations

import numpy as np

from ..sizes import KNOWN_MODELS, count_parameters, format_size, forward_flops_per_example, param_memory
from .core import Control, Experiment

#: Memory of one 80 GB accelerator, the line drawn on the chart.
DEVICE_BYTES = 80e9
#: Hidden widths offered by the calculator's drop-down: powers of two, as the chart is logarithmic.
HIDDEN_WIDTHS = tuple(str(2**k) for k in range(4, 15))  # "16" ... "16384"


def network_size(input_size=784, n_hidden=2, hidden_width=16, output_size=10):
    """Size of the network ``input_size - hidden_width x n_hidden - output_size``.

    ``hidden_width`` is an int or its decimal string (the drop-down's value).

    Returns
    -------
    dict with
        ``widths`` : list of int, the layer widths;
        ``weights, biases, parameters`` : int;
        ``bytes_float32, bytes_bfloat16`` : int, memory of the parameters;
        ``flops_per_example`` : int, FLOPs of one forward pass (2 per weight);
        ``names, sizes`` : the published models and the network, sorted by size,
        ``mine`` the index of the network among them; ``smaller_than`` : the
        names of the published models that have more parameters.
    """
    if isinstance(hidden_width, str) and hidden_width.strip().isdigit():
        hidden_width = int(hidden_width)
    for name, value, low in (("input_size", input_size, 1), ("n_hidden", n_hidden, 0),
                             ("hidden_width", hidden_width, 1), ("output_size", output_size, 1)):
        if isinstance(value, (bool, str)) or not float(value).is_integer() or value < low:
            raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}")
    widths = [int(input_size)] + [int(hidden_width)] * int(n_hidden) + [int(output_size)]
    weights, biases = count_parameters(widths)
    n = weights + biases
    label = "-".join(str(w) for w in widths) if n_hidden <= 2 else \
        f"{widths[0]}-{widths[1]}×{int(n_hidden)}-{widths[-1]}"
    entries = sorted([(m.parameters, f"{m.name} ({m.year})") for m in KNOWN_MODELS] + [(float(n), "your network")],
                     key=lambda e: (e[0], e[1] != "your network"))
    names = [e[1] for e in entries]
    mine = names.index("your network")
    return {
        "widths": widths, "weights": weights, "biases": biases, "parameters": n, "label": label,
        "bytes_float32": param_memory(n, "float32"), "bytes_bfloat16": param_memory(n, "bfloat16"),
        "flops_per_example": forward_flops_per_example(widths),
        "names": names, "sizes": np.array([e[0] for e in entries]), "mine": mine,
        "smaller_than": [m.name for m in KNOWN_MODELS if m.parameters > n],
    }


def _numbers(result: dict) -> list:
    """The (key, value) lines of the calculator's panel."""
    return [
        ("widths", result["label"]),
        ("weights", f"{result['weights']:,}"),
        ("biases", f"{result['biases']:,}"),
        ("parameters", f"{result['parameters']:,}"),
        ("float32", format_size(result["bytes_float32"], "B")),
        ("bfloat16", format_size(result["bytes_bfloat16"], "B")),
        ("forward pass, per example", format_size(result["flops_per_example"], "FLOP")),
        ("published models larger", f"{len(result['smaller_than'])} of {len(KNOWN_MODELS)}"),
    ]


def _bar_colors(result: dict) -> list:
    """Orange for the network's bar, blue for the published models'."""
    return ["tab:orange" if i == result["mine"] else "tab:blue" for i in range(len(result["sizes"]))]


def _mark_your_network(ax, mine: int) -> None:
    """The network's tick label in bold orange, every other one plain black."""
    for i, label in enumerate(ax.get_yticklabels()):
        label.set_color("tab:orange" if i == mine else "black")
        label.set_fontweight("bold" if i == mine else "normal")


def draw_network_size(result: dict, fig):
    """Log-scale bars of parameter counts, the network highlighted, and its numbers; returns the updater."""
    grid = fig.add_gridspec(1, 2, width_ratios=(1.9, 1.0), wspace=0.05, left=0.2, right=0.98)
    ax = fig.add_subplot(grid[0])
    sizes = result["sizes"]
    y = np.arange(len(sizes))
    bars = ax.barh(y, sizes, color=_bar_colors(result), left=1.0)
    size_labels = [ax.text(size * 1.5, yi, format_size(size), va="center", fontsize=7)
                   for yi, size in zip(y, sizes)]
    ax.set_yticks(y, result["names"], fontsize=8)
    _mark_your_network(ax, result["mine"])
    ax.set_xscale("log")
    ax.set_xlim(1, 1e14)
    limit = DEVICE_BYTES / 2  # parameters whose bf16 weights fill 80 GB
    ax.axvline(limit, color="0.3", ls="--", lw=1)
    ax.text(limit * 1.3, -0.6, "bf16 weights\nfill 80 GB", fontsize=7, color="0.3", va="bottom")
    ax.set_xlabel("parameters (log scale)")
    ax.set_title("Your network among published models", fontsize=10, y=1.0)
    text = fig.add_subplot(grid[1])
    text.axis("off")
    values = []
    for k, (key, value) in enumerate(_numbers(result)):
        text.text(0.05, 0.95 - 0.115 * k, key, fontsize=9, color="0.35", va="top", transform=text.transAxes)
        values.append(text.text(0.05, 0.95 - 0.115 * k - 0.05, value, fontsize=10, va="top",
                                transform=text.transAxes, fontweight="bold"))

    def update(new: dict):
        for bar, label, yi, size, color in zip(bars, size_labels, y, new["sizes"], _bar_colors(new)):
            bar.set_width(size)
            bar.set_facecolor(color)
            label.set_position((size * 1.5, yi))
            label.set_text(format_size(size))
        ax.set_yticks(y, new["names"])
        _mark_your_network(ax, new["mine"])
        for value, (_, text) in zip(values, _numbers(new)):
            value.set_text(text)
        return True

    return update


network_size_experiment = Experiment(
    name="network_size",
    title="Network-size calculator",
    controls=[
        Control("input_size", "input size", 784, 16, 4096, 16),
        Control("n_hidden", "hidden layers", 2, 0, 4, 1),
        Control("hidden_width", "hidden width", "16", options=HIDDEN_WIDTHS),
        Control("output_size", "output size", 10, 1, 1000, 1),
    ],
    compute=network_size,
    draw=draw_network_size,
    static=("hidden_width", "n_hidden"),
    figsize=(9.0, 4.5),
)
