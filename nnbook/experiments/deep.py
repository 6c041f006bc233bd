r"""Experiments of the deep networks chapter: gradients through many layers, and normalisation.

:func:`mlp` builds the chapter's networks: ``depth`` Dense layers, each
hidden one followed by an optional normalisation layer and an activation.
:func:`deep_gradients` (the widget ``deep_experiment``) measures the
gradient norm of every layer of such a network at initialisation and trains
it for a few epochs on the spirals, so that a reader can see vanishing and
exploding gradients and what initialisation and normalisation do to them.
:func:`normalisation_mask` and :func:`draw_normalisation_groups` show which
entries of an (N, C) or (N, C, L) batch BatchNorm, LayerNorm and GroupNorm
average over.
"""
from __future__ import annotations

import functools
import inspect
import math

import numpy as np

from nnlib import init
from nnlib.data import spirals
from ..diagnostics import gradient_norms
from nnlib.layers import Dense, ReLU, Residual, Sigmoid, Tanh
from nnlib.losses import CrossEntropyLoss
from nnlib.module import Sequential
from nnlib.norm import BatchNorm1d, LayerNorm
from nnlib.optim import SGD
from nnlib.train import fit
from nnlib._validate import as_rng, check_number
from .ahead import AHEAD, one_move_away
from .core import Control, Experiment

__all__ = ["INITIALISATIONS", "ACTIVATION_LAYERS", "NORMALISATIONS", "mlp", "normalisation_mask",
           "draw_normalisation_groups", "deep_gradients", "draw_deep", "deep_experiment"]

#: Weight initialisers by the name the chapter and the widget use (None: PyTorch's nn.Linear default).
INITIALISATIONS = {
    "normal 0.01": functools.partial(init.normal, std=0.01),
    "normal 1": functools.partial(init.normal, std=1.0),
    "xavier": init.xavier_normal,
    "he": init.he_normal,
    "default": None,
}
ACTIVATION_LAYERS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU}
NORMALISATIONS = {"none": None, "batchnorm": BatchNorm1d, "layernorm": LayerNorm}


def _choice(value, options, name):
    if value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
    return options[value]


def mlp(depth, activation="sigmoid", initialisation="default", normalisation="none", *,
        n_in, n_out, width=32, rng=None, residual=False):
    r"""A fully connected network of ``depth`` Dense layers.

    Each of the ``depth - 1`` hidden blocks is ``Dense -> [normalisation] -> activation``
    (normalisation before the activation, as Ioffe & Szegedy place it); a last
    Dense layer maps to ``n_out`` outputs (logits). With ``residual=True``
    every hidden block after the first (the first maps the ``n_in`` inputs
    to the width) is wrapped in :class:`~nnlib.Residual`, :math:`h \mapsto h + F(h)`;
    the same ``rng`` then draws the very same weights as for the plain network.

    Parameters
    ----------
    depth : int
        Number of Dense layers, at least 1.
    activation : {"sigmoid", "tanh", "relu"}
    initialisation : {"normal 0.01", "normal 1", "xavier", "he", "default"}
        How every weight matrix is drawn (see :data:`INITIALISATIONS`).
    normalisation : {"none", "batchnorm", "layernorm"}
    n_in, n_out, width : int
    rng : None, int or numpy.random.Generator
    residual : bool, default False

    Returns
    -------
    Sequential

    Examples
    --------
    >>> net = mlp(3, "relu", "he", "batchnorm", n_in=2, n_out=3, width=8, rng=0)
    >>> [type(m).__name__ for m in net]
    ['Dense', 'BatchNorm1d', 'ReLU', 'Dense', 'BatchNorm1d', 'ReLU', 'Dense']
    >>> [type(m).__name__ for m in mlp(4, "tanh", n_in=2, n_out=3, width=8, rng=0, residual=True)]
    ['Dense', 'Tanh', 'Residual', 'Residual', 'Dense']
    """
    check_number(depth, "depth", low=1, integer=True)
    for name, n in (("n_in", n_in), ("n_out", n_out), ("width", width)):
        check_number(n, name, low=1, integer=True)
    act = _choice(activation, ACTIVATION_LAYERS, "activation")
    weights = _choice(initialisation, INITIALISATIONS, "initialisation")
    norm = _choice(normalisation, NORMALISATIONS, "normalisation")
    rng = as_rng(rng)
    layers, d = [], n_in
    for _ in range(depth - 1):
        block = [Dense(d, width, rng=rng, init=weights)]
        if norm is not None:
            block.append(norm(width))
        block.append(act())
        if residual and layers:  # not the first block, which maps n_in inputs to the width
            layers.append(Residual(Sequential(*block)))
        else:
            layers += block
        d = width
    layers.append(Dense(d, n_out, rng=rng, init=weights))
    return Sequential(*layers)


# -- which entries a normalisation layer averages over -------------------------
def normalisation_mask(kind, shape, index=None, groups=2):
    """The entries that share their mean and variance with the entry at ``index``.

    Parameters
    ----------
    kind : {"batchnorm", "layernorm", "groupnorm"}
    shape : tuple
        ``(N, C)`` or ``(N, C, L)``: examples, channels (features) and, optionally, positions.
    index : tuple, optional
        The entry whose group is returned; default the first entry.
    groups : int
        ``G`` for ``"groupnorm"`` (must divide ``C``): channels ``gC/G .. (g+1)C/G - 1`` form group ``g``.

    Returns
    -------
    ndarray of bool, shape ``shape``
        ``BatchNorm1d``: one channel over all examples (and positions);
        ``LayerNorm``: all channels (and positions) of one example, i.e. ``LayerNorm(C)``
        for (N, C) and ``LayerNorm((C, L))`` for (N, C, L) (a transformer's (N, L, C) batch
        with ``LayerNorm(C)`` normalises each position separately instead);
        ``GroupNorm``: one group of channels (and positions) of one example.

    Examples
    --------
    >>> normalisation_mask("layernorm", (3, 4)).astype(int).tolist()
    [[1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]]
    >>> normalisation_mask("batchnorm", (3, 4)).astype(int).tolist()
    [[1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]]
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise ValueError(f"shape must be (N, C) or (N, C, L) with positive sizes, got {shape}")
    index = (0,) * len(shape) if index is None else tuple(index)
    if len(index) != len(shape) or any(not 0 <= i < s for i, s in zip(index, shape)):
        raise ValueError(f"index {index} is not an entry of an array of shape {shape}")
    n, c = index[0], index[1]
    mask = np.zeros(shape, dtype=bool)
    if kind == "batchnorm":
        mask[:, c] = True
    elif kind == "layernorm":
        mask[n] = True
    elif kind == "groupnorm":
        check_number(groups, "groups", low=1, integer=True)
        if shape[1] % groups:
            raise ValueError(f"groups ({groups}) must divide the number of channels C = {shape[1]}")
        size = shape[1] // groups
        g = c // size
        mask[n, g * size:(g + 1) * size] = True
    else:
        raise ValueError(f"kind must be 'batchnorm', 'layernorm' or 'groupnorm', got {kind!r}")
    return mask


_NORM_TITLES = {"batchnorm": "BatchNorm", "layernorm": "LayerNorm", "groupnorm": "GroupNorm"}


def draw_normalisation_groups(fig, N=4, C=6, L=3, groups=3, index=(1, 2, 0)):
    """Draw, for each layer, the entries averaged together with the entry at ``index``.

    Top row: an (N, C) batch of a fully connected network (``LayerNorm(C)``). Bottom row:
    an (N, C, L) batch (channels with L positions each, as in a 1-D convolutional network),
    with ``LayerNorm((C, L))``, which normalises the whole example.
    """
    from matplotlib.colors import ListedColormap

    colour = "tab:orange"
    kinds = list(_NORM_TITLES)
    grid = fig.add_gridspec(2, len(kinds), height_ratios=(1.0, 1.3), hspace=0.15)
    for j, kind in enumerate(kinds):
        ax = fig.add_subplot(grid[0, j])
        mask = normalisation_mask(kind, (N, C), index[:2], groups)
        ax.imshow(mask, cmap=ListedColormap(["white", colour]), vmin=0, vmax=1, aspect="equal")
        ax.set_xticks(np.arange(-0.5, C, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, N, 1), minor=True)
        ax.grid(which="minor", color="0.3", lw=0.8)
        ax.tick_params(which="both", length=0)
        ax.set_xticks(range(C))
        ax.set_yticks(range(N))
        ax.set_xlabel("feature $c$")
        if j == 0:
            ax.set_ylabel("example $n$")
        titles = {"layernorm": "LayerNorm($C$)", "groupnorm": f"GroupNorm ($G={groups}$)"}
        ax.set_title(titles.get(kind, _NORM_TITLES[kind]))
    for j, kind in enumerate(kinds):
        ax = fig.add_subplot(grid[1, j], projection="3d")
        mask = normalisation_mask(kind, (N, C, L), index, groups)
        filled = np.ones((C, L, N), dtype=bool)  # drawn axes: x = c, y = l, z = n (example 0 on top)
        colours = np.where(mask.transpose(1, 2, 0)[:, :, ::-1], colour, "white")
        ax.voxels(filled, facecolors=colours, edgecolor="0.3", linewidth=0.4)
        ax.set_xlabel("channel $c$", labelpad=-10, fontsize=8)
        ax.set_ylabel("position $l$", labelpad=-10, fontsize=8)
        ax.set_zlabel("example $n$" if j == len(kinds) - 1 else "", labelpad=-10, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_zticks([])
        if kind == "layernorm":
            ax.set_title("LayerNorm($(C, L)$)", fontsize=9)
        ax.set_box_aspect((C, L, N), zoom=1.15)
        ax.view_init(elev=22, azim=-58)


# -- the widget: gradient norms and the first epochs ----------------------------
def deep_gradients(depth=10, activation="sigmoid", initialisation="default", normalisation="none",
                   width=32, epochs=8, lr=0.1, momentum=0.9, seed=0):
    r"""Per-layer gradient norms at initialisation, then a few epochs of training, on the spirals.

    The network is :func:`mlp` with 2 inputs and 3 outputs; the data are
    ``spirals(50, 3)`` (150 points); training is :func:`nnlib.train.fit` with
    SGD (``lr``, ``momentum``) on mini-batches of 50, ``epochs`` passes.

    Returns
    -------
    dict with
        ``norms`` : ndarray, shape (depth,), :math:`\lVert\partial L/\partial W^{(\ell)}\rVert_F` at
        initialisation, layer 1 (input side) first;
        ``ratio`` : ``norms[0] / norms[-1]``, how much smaller the first layer's gradient is;
        ``loss``, ``accuracy`` : ndarray, shape (epochs + 1,), training loss and accuracy
        before training and after each epoch (fewer entries if training diverged);
        ``diverged`` : bool; ``chance`` : :math:`\ln 3`, the loss of a uniform guess;
        and the settings.
    """
    if isinstance(depth, float) and depth.is_integer():  # the HTML book's slider values arrive as floats
        depth = int(depth)
    key = (depth, activation, initialisation, normalisation, width, epochs, lr, momentum, seed)
    try:
        hash(key)
    except TypeError:  # not a setting of the widget: computing it raises the error that names the argument
        return _deep_run(*key)
    with AHEAD.paused():
        kept = _computed.get(key)
        if kept is None:
            result = _deep_run(*key)
            _keep(key, result)  # keeps a copy: the caller may change what it gets
            return result
    return _copy(kept)


#: Results of the settings computed last (the work done ahead of the reader fills it too).
_computed: dict = {}
MAX_COMPUTED = 512
#: deep_gradients' parameters and defaults, in order.
_DEFAULTS = {name: p.default for name, p in inspect.signature(deep_gradients).parameters.items()}


class _Stopped(Exception):
    """Raised before a gradient step when work done ahead of the reader has to stop."""


def _copy(result: dict) -> dict:
    return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in result.items()}


def _keep(key, result) -> None:
    if len(_computed) >= MAX_COMPUTED:
        del _computed[next(iter(_computed))]
    _computed[key] = _copy(result)


def _deep_run(depth, activation, initialisation, normalisation, width, epochs, lr, momentum, seed,
              should_stop=None) -> dict:
    """What :func:`deep_gradients` returns, computed; ``should_stop()`` is asked before every step and after every epoch."""
    check_number(epochs, "epochs", low=1, integer=True)
    X, y = spirals(50, classes=3, noise=0.2, rng=seed)
    rng = np.random.default_rng(seed)
    model = mlp(depth, activation, initialisation, normalisation, n_in=2, n_out=3, width=width, rng=rng)
    loss = CrossEntropyLoss()
    with np.errstate(over="ignore", invalid="ignore"):
        out = model(X)  # training mode, as the losses fit records
        norms = gradient_norms(model, X, y, loss)
    start_loss = float(loss(out, y)) if np.all(np.isfinite(out)) else math.inf
    start_acc = float(np.mean(out.argmax(axis=1) == y))
    losses, accuracies = [start_loss], [start_acc]

    def record(epoch, logs):
        losses.append(logs["loss"])
        accuracies.append(logs["accuracy"])
        if should_stop is not None and should_stop():
            raise _Stopped

    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    if should_stop is not None:  # work done ahead of the reader: asked before every gradient step too
        take_step = optimizer.step

        def step():
            if should_stop():
                raise _Stopped
            take_step()
        optimizer.step = step
    try:
        history = fit(model, loss, optimizer, X, y, epochs=epochs, batch_size=50, rng=rng,
                      progress=False, on_nonfinite="stop", callbacks=[record])
        diverged = history.stopped
    except ValueError as err:  # an overflow inside the network, before the output
        if "infinite" not in str(err) and "NaN" not in str(err):
            raise
        diverged = True
    return {
        "norms": norms, "ratio": float(norms[0] / norms[-1]) if norms[-1] > 0 else math.inf,
        "loss": np.array(losses), "accuracy": np.array(accuracies),
        "diverged": bool(diverged), "chance": math.log(3),
        "depth": depth, "activation": activation, "initialisation": initialisation,
        "normalisation": normalisation,
    }


def deep_ahead(depth=10, activation="sigmoid", initialisation="default", normalisation="none"):
    """The settings the next move may pick, as jobs for :data:`~nnbook.experiments.ahead.AHEAD`.

    Every setting one control can reach (depth, activation, initialisation,
    normalisation), the options next to the current ones first; each job
    computes what :func:`deep_gradients` would and keeps it, and stops
    before its next gradient step when the reader's update needs the machine.
    """
    if isinstance(depth, float) and depth.is_integer():
        depth = int(depth)
    control = {c.name: c for c in deep_experiment.controls}
    current = {"depth": depth, "activation": activation, "initialisation": initialisation,
               "normalisation": normalisation}
    return [_deep_job(setting) for setting in one_move_away(current, {n: control[n].values() for n in current})]


def _deep_job(params: dict):
    settings = {**_DEFAULTS, **params}  # deep_gradients' defaults for what the widget does not set
    key = tuple(settings[name] for name in _DEFAULTS)

    def job(should_stop):
        if key in _computed:
            return True
        try:
            result = _deep_run(*key, should_stop=should_stop)
        except _Stopped:
            return False
        _keep(key, result)
        return True
    job.params = params
    return job


def _deep_titles(result: dict):
    """The titles of the two panels of :func:`draw_deep`."""
    left = (f"{result['depth']} layers, {result['activation']}, {result['initialisation']}, "
            f"{result['normalisation']}")
    right = f"accuracy {result['accuracy'][-1]:.0%} after {len(result['loss']) - 1} epochs"
    if result["diverged"]:
        right = "training diverged (loss became infinite)"
    return left, right


def _norm_ylim(norms):
    """At least two decades around the norms (None: let matplotlib fit the axis to them)."""
    shown = norms[norms > 0]
    lo, hi = (float(shown.min()), float(shown.max())) if shown.size else (1.0, 1.0)
    if hi / lo < 100:  # keep at least two decades visible so small changes do not look dramatic
        mid = math.sqrt(lo * hi)
        return mid / 10, mid * 10
    return None


def _loss_ylim(loss):
    """From zero to a little above the largest finite loss (at least 2)."""
    return 0, max(2.0, float(np.nanmax(np.where(np.isfinite(loss), loss, 0)))) * 1.05


def draw_deep(result: dict, fig):
    """Left: gradient norm per layer (log scale). Right: training loss over the first epochs; returns the updater."""
    # fixed margins (not tight_layout) so that an updated figure and a fresh one have the same layout
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"left": 0.12, "right": 0.983, "bottom": 0.154, "top": 0.91,
                                               "wspace": 0.26})
    norms = result["norms"]
    layers = np.arange(1, len(norms) + 1)
    ok = norms > 0
    (norm_line,) = ax1.semilogy(layers[ok], norms[ok], "o-", color="tab:blue")
    ax1.set_xlabel("layer $\\ell$ (1 = nearest the input)")
    ax1.set_ylabel("$\\|\\partial L/\\partial W^{(\\ell)}\\|$")
    left_title, right_title = _deep_titles(result)
    # titles at a fixed height (y=1): matplotlib then need not measure the tick labels to place them
    ax1.set_title(left_title, fontsize=9, y=1.0)
    ax1.set_xlim(0.5, max(len(norms), 2) + 0.5)
    ylim = _norm_ylim(norms)
    if ylim is not None:
        ax1.set_ylim(*ylim)
    ax1.grid(True, which="major", alpha=0.3)
    loss = result["loss"]
    (loss_line,) = ax2.plot(np.arange(len(loss)), loss, "o-", color="tab:red", label="training loss")
    chance = ax2.axhline(result["chance"], color="0.5", ls="--", label="uniform guess, ln 3")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("cross-entropy")
    ax2.set_ylim(*_loss_ylim(loss))
    ax2.set_title(right_title, fontsize=9, y=1.0)
    ax2.legend(fontsize=8)

    def update(new: dict):
        norms, loss = new["norms"], new["loss"]
        ok = norms > 0
        norm_line.set_data(np.arange(1, len(norms) + 1)[ok], norms[ok])
        ax1.set_xlim(0.5, max(len(norms), 2) + 0.5)
        ylim = _norm_ylim(norms)
        if ylim is None:  # fit the axis to the norms, as a fresh drawing does
            ax1.set_autoscaley_on(True)
            ax1.relim()
            ax1.autoscale_view(scalex=False)
        else:
            ax1.set_ylim(*ylim)
        loss_line.set_data(np.arange(len(loss)), loss)
        chance.set_ydata([new["chance"], new["chance"]])
        ax2.relim()
        ax2.autoscale_view(scaley=False)
        ax2.set_ylim(*_loss_ylim(loss))
        for ax, title in zip((ax1, ax2), _deep_titles(new)):
            ax.title.set_text(title)
        return True

    return update


deep_experiment = Experiment(
    name="deep",
    title="Gradients through a deep network",
    controls=[
        Control("depth", "depth (Dense layers)", 10, 2, 26, 4),
        Control("activation", "activation", "sigmoid", options=tuple(ACTIVATION_LAYERS)),
        Control("initialisation", "initialisation", "default", options=tuple(INITIALISATIONS)),
        Control("normalisation", "normalisation", "none", options=tuple(NORMALISATIONS)),
    ],
    compute=deep_gradients,
    draw=draw_deep,
    ahead=deep_ahead,
    static=("depth", "initialisation"),
    figsize=(9.0, 3.8),
)
