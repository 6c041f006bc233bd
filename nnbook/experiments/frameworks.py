r"""Experiment of the frameworks chapter: how long one training step takes.

:func:`time_training_step` times the same training step of a fully connected
ReLU network (forward pass, softmax cross-entropy, backward pass, one SGD
update) in ``nnlib`` or in PyTorch; :func:`speed_comparison` does both for
the network ``64 - hidden - 10`` of the chapter and returns the ratio of their
fastest steps, which the widget plots. Timings are measurements: they change
from run to run and from machine to machine, so tests check only the shape of
what these functions return, never the numbers.
"""
from __future__ import annotations

import time
from contextlib import ExitStack, contextmanager

import numpy as np

from nnlib._validate import FLOAT_DTYPES, as_rng, check_number
from .core import Control, Experiment

__all__ = ["time_training_step", "speed_comparison", "speed_experiment", "LIBRARIES"]

LIBRARIES = ("nnlib", "torch")


def _check_widths(widths) -> tuple:
    try:
        w = tuple(widths)
    except TypeError:
        raise TypeError(f"widths must be a sequence of layer widths such as (64, 128, 10), got {widths!r}") from None
    if len(w) < 2:
        raise ValueError(f"widths needs at least an input and an output width, got {w}")
    for i, v in enumerate(w):
        check_number(v, f"widths[{i}]", low=1, integer=True)
    return tuple(int(v) for v in w)


@contextmanager
def _thread_limit(threads, library):
    """Limit the CPU threads of the library being timed, and restore them afterwards."""
    if threads is None:
        yield
        return
    with ExitStack() as stack:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - installed with scikit-learn
            pass
        else:
            stack.enter_context(threadpool_limits(int(threads)))
        if library == "torch":
            import torch

            old = torch.get_num_threads()
            torch.set_num_threads(int(threads))
            stack.callback(torch.set_num_threads, old)
        yield


def _nnlib_step(widths, X, y, dtype, rng):
    from nnlib.layers import Dense, ReLU
    from nnlib.losses import CrossEntropyLoss
    from nnlib.module import Sequential
    from nnlib.optim import SGD

    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(Dense(a, b, rng=rng, dtype=dtype))
        if i < len(widths) - 2:
            layers.append(ReLU())
    model = Sequential(*layers)
    loss = CrossEntropyLoss()
    opt = SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        out = model(X)
        loss(out, y)
        model.backward(loss.grad(out, y))
        opt.step()

    return step, lambda: None


def _torch_step(widths, X, y, dtype, rng, device):
    import torch

    torch.manual_seed(int(rng.integers(2**31 - 1)))
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(torch.nn.Linear(a, b, dtype=tdtype))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).to(device)
    Xt, yt = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(Xt), yt).backward()
        opt.step()

    sync = torch.cuda.synchronize if str(device).startswith("cuda") else (lambda: None)
    return step, sync


def time_training_step(widths, batch, library="nnlib", steps=5, dtype=np.float64, rng=0, *,
                       device="cpu", warmup=1, threads=1):
    r"""Measure the wall-clock time of training steps of a fully connected ReLU network.

    Parameters
    ----------
    widths : sequence of int
        Layer widths ``(D_0, ..., D_L)``: ``Dense`` (or ``nn.Linear``) layers
        with ReLU between them and softmax cross-entropy on the output.
    batch : int
        Examples per step (random inputs and labels drawn from ``rng``).
    library : {"nnlib", "torch"}
    steps : int
        Timed steps, at least 1.
    dtype : np.float32 or np.float64
    rng : None, int or numpy.random.Generator
    device : str, keyword-only
        ``"cpu"``, or ``"cuda"`` for PyTorch on a GPU (the timer then waits
        for the GPU to finish each step).
    warmup : int, keyword-only
        Untimed steps first (allocations, caches, lazy initialisation).
    threads : int or None, keyword-only
        CPU threads the library may use while timing (PyTorch's intra-op
        threads; numpy's BLAS through ``threadpoolctl`` when installed);
        restored afterwards. ``None`` leaves the settings as they are. One
        thread (the default) makes the two libraries comparable and the
        timings far less noisy on a shared machine.

    Returns
    -------
    dict with
        ``library, device, dtype`` : str; ``widths`` : tuple of int;
        ``batch, steps`` : int;
        ``seconds`` : ndarray, shape (steps,), the time of each step;
        ``median, best`` : float, their median and minimum in seconds. On a
        busy machine other processes only ever add time, so ``best`` is the
        least noisy estimate of what the step itself costs (the advice of
        Python's ``timeit``).

    Notes
    -----
    One step is :math:`\theta \leftarrow \theta - \eta\,\nabla_\theta L` with
    :math:`L` the mean cross-entropy over the batch, :math:`\eta = 0.01`.

    Examples
    --------
    >>> r = time_training_step((8, 4, 3), batch=2, library="nnlib", steps=3)
    >>> r["seconds"].shape, r["library"]
    ((3,), 'nnlib')
    """
    widths = _check_widths(widths)
    check_number(batch, "batch", low=1, integer=True)
    check_number(steps, "steps", low=1, integer=True)
    check_number(warmup, "warmup", low=0, integer=True)
    if threads is not None:
        check_number(threads, "threads", low=1, integer=True)
    if library not in LIBRARIES:
        raise ValueError(f"library must be one of {LIBRARIES}, got {library!r}")
    dtype = np.dtype(dtype)
    if dtype not in FLOAT_DTYPES:
        raise TypeError(f"dtype must be np.float32 or np.float64, got {dtype}")
    device = str(device)
    if library == "nnlib" and device != "cpu":
        raise ValueError(f"nnlib runs on the CPU only (numpy); got device={device!r}")
    rng = as_rng(rng)
    X = rng.standard_normal((int(batch), widths[0])).astype(dtype)
    y = rng.integers(widths[-1], size=int(batch))
    if library == "nnlib":
        step, sync = _nnlib_step(widths, X, y, dtype, rng)
    else:
        step, sync = _torch_step(widths, X, y, dtype, rng, device)
    seconds = np.empty(int(steps))
    with _thread_limit(threads, library):
        for _ in range(int(warmup)):
            step()
        sync()
        for i in range(int(steps)):
            start = time.perf_counter()
            step()
            sync()
            seconds[i] = time.perf_counter() - start
    return {"library": library, "device": device, "dtype": dtype.name, "widths": widths,
            "batch": int(batch), "steps": int(steps), "seconds": seconds, "median": float(np.median(seconds)),
            "best": float(seconds.min())}


def speed_comparison(log2_hidden=7, log2_batch=6, steps=3, input_size=64, classes=10):
    r"""Time a training step of ``input_size - 2**log2_hidden - classes`` in nnlib and in torch.

    Parameters
    ----------
    log2_hidden, log2_batch : int
        The hidden width is :math:`2^{k}`, the batch size :math:`2^{m}`.
    steps : int
        Timed steps per library (after one warm-up step), on one CPU thread.
    input_size, classes : int
        Input and output widths (64 pixels and 10 digits by default).

    Returns
    -------
    dict with
        ``hidden, batch`` : int; ``widths`` : tuple;
        ``nnlib, torch`` : ndarray, shape (steps,), seconds per step;
        ``ratio`` : float, best nnlib time / best torch time (above 1: torch
        is faster), the minimum over the steps of each (see
        :func:`time_training_step`).
    """
    for name, v in (("log2_hidden", log2_hidden), ("log2_batch", log2_batch)):
        if isinstance(v, bool) or not float(v).is_integer() or not 0 <= v <= 12:
            raise ValueError(f"{name} must be a whole number from 0 to 12, got {v!r}")
    hidden, batch = 2 ** int(log2_hidden), 2 ** int(log2_batch)
    widths = (int(input_size), hidden, int(classes))
    times = {lib: time_training_step(widths, batch, lib, steps=steps, rng=0, threads=1)["seconds"] for lib in LIBRARIES}
    return {"hidden": hidden, "batch": batch, "widths": widths, **times,
            "ratio": float(times["nnlib"].min() / times["torch"].min())}


def draw_speed(result: dict, fig):
    """Milliseconds per step of each library (fastest and every step) and their ratio; returns the updater.

    The ratio is shown on a log scale. The axes, bars and labels are made
    here; ``update`` puts a result's numbers on them, for the first result
    as for every later one.
    """
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1.0, 1.3), "wspace": 0.35})
    fig.subplots_adjust(bottom=0.18, top=0.88)
    colors = {"nnlib": "tab:blue", "torch": "tab:orange"}
    bars, dots = [], []  # their heights and points, like every number below, are set by update
    for i, lib in enumerate(LIBRARIES):
        (bar,) = ax1.bar(i, 1.0, color=colors[lib], alpha=0.7, width=0.6, label="fastest step" if i == 0 else None)
        (each,) = ax1.plot([], [], "k.", ms=6, label="each step" if i == 0 else None)
        bars.append(bar)
        dots.append(each)
    ax1.set_xticks(range(len(LIBRARIES)), LIBRARIES)
    ax1.set_xlim(-0.6, 1.6)
    ax1.set_ylabel("milliseconds per training step")
    ax1.legend(fontsize=8, loc="upper left", ncol=2, frameon=False)
    nnlib_side = ax2.axvspan(0.1, 1.0, color=colors["nnlib"], alpha=0.15)
    torch_side = ax2.axvspan(1.0, 10.0, color=colors["torch"], alpha=0.15)
    nnlib_label = ax2.text(1.0, 0.8, "nnlib faster", ha="center", fontsize=9)
    torch_label = ax2.text(1.0, 0.8, "torch faster", ha="center", fontsize=9)
    ax2.axvline(1.0, color="k", lw=1)
    (marker,) = ax2.plot([1.0], [0.0], "D", color="k", ms=10)
    value = ax2.annotate("", (1.0, 0.0), xytext=(0, 12), textcoords="offset points", ha="center")
    ax2.set(xscale="log", ylim=(-1, 1), yticks=[])
    ax2.set_xlabel("fastest nnlib step / fastest torch step")
    ax2.set_title("ratio of the step times", fontsize=10, y=1.0)  # a fixed height: matplotlib need not look for ticks above

    def update(new: dict):
        for i, lib in enumerate(LIBRARIES):
            ms = 1e3 * new[lib]
            bars[i].set_height(ms.min())
            dots[i].set_data(np.full(ms.shape, i), ms)
        ax1.set_ylim(0, 1.35 * max(1e3 * new[lib].max() for lib in LIBRARIES))
        network = "network " + "-".join(map(str, new["widths"])) + f", batch {new['batch']}"
        ax1.set_title(network, fontsize=10, y=1.0)
        ratio = new["ratio"]
        lo, hi = min(0.1, ratio / 2), max(10.0, ratio * 2)
        nnlib_side.set_x(lo)
        nnlib_side.set_width(1.0 - lo)
        torch_side.set_width(hi - 1.0)
        nnlib_label.set_x(np.sqrt(lo))
        torch_label.set_x(np.sqrt(hi))
        marker.set_data([ratio], [0.0])
        value.xy = (ratio, 0.0)
        value.set_text(f"{ratio:.2g}")
        ax2.set_xlim(lo, hi)
        return True

    update(result)  # a fresh drawing shows its result exactly as the updater would
    return update


speed_experiment = Experiment(
    name="framework_speed",
    title="One training step: nnlib (numpy) against PyTorch on the CPU",
    controls=[
        Control("log2_hidden", "hidden width 2^k, k =", 7, 4, 8, 1),
        Control("log2_batch", "batch size 2^m, m =", 6, 0, 9, 1),
    ],
    compute=speed_comparison,
    draw=draw_speed,
    static=("log2_hidden", "log2_batch"),
    figsize=(8.0, 3.4),
)
