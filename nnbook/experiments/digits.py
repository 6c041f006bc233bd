"""The digit classifier chapter: its data split, its networks, its pictures and its training lab.

* :func:`digits_split` -- the chapter's stratified, seeded split of
  scikit-learn's 1,797 8x8 digits into training, validation and test parts;
* :func:`digit_mlp` -- a ReLU network ``64 -> hidden... -> 10`` (optionally with dropout);
* :func:`show_digits`, :func:`plot_confusion` -- a gallery of 8x8 images and a
  confusion-matrix heat map, used by the notebook and by the lab;
* :func:`mean_t_interval` -- mean, standard deviation and Student-t confidence
  interval of a few repeated measurements (the chapter's accuracy over seeds),
  with :func:`student_t_cdf` and :func:`student_t_quantile` computed from their
  closed forms for a whole number of degrees of freedom;
* :data:`digits_lab_experiment` -- the training lab: hidden widths, learning
  rate, batch size, weight decay, epochs and training-set size in; training
  curves, the validation confusion matrix and a gallery of mistakes out.

The lab trains on the chapter's training part and reports on its validation
part; the test part is left alone, as it should be while tuning. A
configuration is trained as far as the ``epochs`` control asks, and kept:
moving the control down reads the first epochs of the run (the first ``e``
epochs of a longer run are exactly an ``e``-epoch run: same initial
weights, same shuffles), and moving it up trains on from where the run
stopped, so no epoch is ever trained twice.
"""
from __future__ import annotations

import contextlib
import functools
import math
import threading

import numpy as np

from nnlib import data
from nnlib._validate import as_float_array, as_rng, check_number
from nnlib.layers import Dense, Dropout, ReLU
from nnlib.losses import CrossEntropyLoss
from nnlib.metrics import confusion_matrix
from nnlib.module import Sequential
from ..sizes import count_module_parameters
from nnlib.train import predict
from .ahead import AHEAD, one_move_away
from .core import Control, Experiment

#: Seeds of the chapter's split: test part first, then validation from the rest.
SPLIT_SEEDS = (0, 1)
#: Fractions of the split: 20 % of all images for testing, 25 % of the rest for validation.
TEST_FRACTION, VAL_FRACTION = 0.2, 0.25

LAB_HIDDEN = ("16", "16-16", "32-32", "64-64", "128-128")
LAB_LEARNING_RATES = ("0.003", "0.01", "0.03", "0.1", "0.3")
LAB_BATCH_SIZES = ("8", "16", "32", "64", "128")
LAB_WEIGHT_DECAYS = ("0", "0.0001", "0.001", "0.01", "0.1")
LAB_TRAIN_SIZES = ("100", "300", "1077")
LAB_MAX_EPOCHS = 40
#: Momentum of the lab's SGD optimiser.
LAB_MOMENTUM = 0.9
#: The lab's gallery of misclassified validation images: rows and columns of slots, and how many.
GALLERY_SHAPE = (3, 4)
LAB_GALLERY = GALLERY_SHAPE[0] * GALLERY_SHAPE[1]


def _frozen(*arrays):
    for a in arrays:
        a.setflags(write=False)
    return arrays


@functools.lru_cache(maxsize=None)
def digits_split():
    """The chapter's split of the 8x8 digits (stratified by class, seeded).

    Returns
    -------
    dict with ``X_train, y_train`` (1,077 images), ``X_val, y_val`` (360) and
    ``X_test, y_test`` (360); ``X_*`` of shape (N, 64), float64 in [0, 1],
    ``y_*`` of shape (N,), int64. The arrays are read-only (the result is
    cached and shared): copy one before changing it.
    """
    X, y = data.load_digits()
    X_rest, X_test, y_rest, y_test = data.train_test_split(X, y, test_size=TEST_FRACTION, rng=SPLIT_SEEDS[0],
                                                           stratify=True)
    X_train, X_val, y_train, y_val = data.train_test_split(X_rest, y_rest, test_size=VAL_FRACTION,
                                                           rng=SPLIT_SEEDS[1], stratify=True)
    arrays = _frozen(X_train, y_train, X_val, y_val, X_test, y_test)
    return dict(zip(("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"), arrays))


def digit_mlp(widths, rng=None, dropout=0.0):
    """A fully connected ReLU network with the given layer widths.

    Parameters
    ----------
    widths : sequence of int
        ``[D_0, D_1, ..., D_L]``, e.g. ``[64, 16, 16, 10]``: input size,
        hidden widths, number of classes. The last layer gives logits.
    rng : None, int or numpy.random.Generator
        Draws the initial weights (and the dropout masks).
    dropout : float in [0, 1)
        If positive, a :class:`~nnlib.Dropout` with this ``p`` follows every
        hidden ReLU.

    Returns
    -------
    Sequential

    Examples
    --------
    >>> [type(m).__name__ for m in digit_mlp([64, 16, 10], rng=0, dropout=0.5)]
    ['Dense', 'ReLU', 'Dropout', 'Dense']
    """
    widths = [int(w) for w in widths]
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"widths must hold at least two positive sizes, got {widths}")
    check_number(dropout, "dropout", low=0.0)
    rng = as_rng(rng)
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(Dense(a, b, rng=rng))
        if i < len(widths) - 2:
            layers.append(ReLU())
            if dropout > 0:
                layers.append(Dropout(dropout, rng=rng))
    return Sequential(*layers)


def student_t_cdf(t, df):
    r"""The cumulative distribution function of Student's t distribution.

    Parameters
    ----------
    t : float
    df : int
        Degrees of freedom :math:`\nu \ge 1`, a whole number.

    Returns
    -------
    float
        :math:`P(T \le t)`.

    Notes
    -----
    For a whole number :math:`\nu` the distribution function is a finite sum
    (Abramowitz and Stegun, 26.7.3 and 26.7.4). With
    :math:`\theta = \arctan(t / \sqrt{\nu})`, :math:`s = \sin\theta`,
    :math:`c = \cos\theta` and :math:`A = P(|T| \le |t|)\operatorname{sign} t`:

    .. math::
        A = \frac{2}{\pi}\Big(\theta + s \sum_{j=0}^{(\nu-3)/2} a_j c^{2j+1}\Big)
        \ (\nu \text{ odd}), \qquad
        A = s \sum_{j=0}^{(\nu-2)/2} b_j c^{2j} \ (\nu \text{ even}),

    with :math:`a_0 = b_0 = 1`, :math:`a_j = a_{j-1}\,\frac{2j}{2j+1}`,
    :math:`b_j = b_{j-1}\,\frac{2j-1}{2j}`; then :math:`P(T \le t) = (1 + A)/2`.

    Examples
    --------
    >>> round(student_t_cdf(2.776445105, 4), 6)
    0.975
    """
    df = _check_df(df)
    t = float(check_number(t, "t"))
    theta = math.atan(t / math.sqrt(df))
    s, c = math.sin(theta), math.cos(theta)
    if df % 2:
        total, coef = 0.0, 1.0
        for j in range((df - 1) // 2):          # j = 0 .. (df - 3) / 2
            if j:
                coef *= 2 * j / (2 * j + 1)
            total += coef * c ** (2 * j + 1)
        a = 2.0 / math.pi * (theta + s * total)
    else:
        total, coef = 0.0, 1.0
        for j in range(df // 2):                # j = 0 .. (df - 2) / 2
            if j:
                coef *= (2 * j - 1) / (2 * j)
            total += coef * c ** (2 * j)
        a = s * total
    return 0.5 * (1.0 + a)


def student_t_quantile(q, df):
    """The ``q``-quantile of Student's t distribution: the ``t`` with ``student_t_cdf(t, df) == q``.

    Found by bisection on :func:`student_t_cdf`, to about 1e-12 relative.

    Parameters
    ----------
    q : float in (0, 1)
    df : int, at least 1

    Examples
    --------
    >>> round(student_t_quantile(0.975, 4), 4)        # the t of a 95 % interval from 5 values
    2.7764
    """
    df = _check_df(df)
    q = float(check_number(q, "q"))
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must lie strictly between 0 and 1, got {q!r}")
    if q < 0.5:
        return -student_t_quantile(1.0 - q, df)
    lo, hi = 0.0, 1.0
    while student_t_cdf(hi, df) < q:
        lo, hi = hi, 2.0 * hi
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if student_t_cdf(mid, df) < q:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * hi:
            break
    return 0.5 * (lo + hi)


def _check_df(df):
    if isinstance(df, bool) or not isinstance(df, (int, np.integer)) or df < 1:
        raise ValueError(f"df (degrees of freedom) must be a whole number >= 1, got {df!r}")
    return int(df)


def mean_t_interval(values, level=0.95):
    r"""Mean, standard deviation and Student-t confidence interval of repeated measurements.

    Parameters
    ----------
    values : sequence of float, at least two
        E.g. the test accuracy of one training recipe run with several seeds.
    level : float in (0, 1)
        Confidence level of the interval.

    Returns
    -------
    mean, sd, low, high : float
        :math:`\bar a`, the sample standard deviation :math:`s` (divisor
        :math:`n - 1`) and the interval
        :math:`\bar a \pm t_{(1+\text{level})/2,\, n-1}\, s / \sqrt{n}`.

    Notes
    -----
    The interval assumes the values are independent draws from a normal
    distribution; it describes the spread of the recipe over seeds, not the
    sampling error of the data it is evaluated on. This is what
    ``scipy.stats.t.interval(level, n - 1, loc=mean, scale=s / sqrt(n))`` gives.

    Examples
    --------
    >>> mean, sd, low, high = mean_t_interval([1.0, 2.0, 3.0])
    >>> mean, sd, round(low, 4), round(high, 4)
    (2.0, 1.0, -0.4841, 4.4841)
    """
    a = np.asarray(values, dtype=np.float64)
    if a.ndim != 1 or a.size < 2:
        raise ValueError(f"values must be a 1-d sequence of at least two numbers, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"values must be finite, got {a}")
    level = float(check_number(level, "level"))
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level!r}")
    n = a.size
    mean, sd = float(a.mean()), float(a.std(ddof=1))
    half = student_t_quantile(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return mean, sd, mean - half, mean + half


def show_digits(fig, images, captions=(), ncols=10, colors=None, subplot_spec=None):
    """Draw 8x8 images in a grid on ``fig`` (ink dark on white), with captions.

    Parameters
    ----------
    fig : matplotlib Figure
    images : ndarray, shape (K, 8, 8) or (K, 64)
    captions : sequence of str, optional
        One per image, drawn as its title.
    ncols : int
    colors : sequence of matplotlib colours, optional
        Colour of each caption.
    subplot_spec : matplotlib SubplotSpec, optional
        Draw inside this part of the figure instead of the whole figure.

    Returns
    -------
    list of Axes
    """
    images = np.asarray(images).reshape(-1, 8, 8)
    n = len(images)
    nrows = max(1, -(-n // ncols))
    spacing = dict(wspace=0.15, hspace=0.5 if len(captions) else 0.15)
    grid = (subplot_spec.subgridspec(nrows, ncols, **spacing) if subplot_spec is not None
            else fig.add_gridspec(nrows, ncols, **spacing))
    axes = []
    for i in range(nrows * ncols):
        ax = fig.add_subplot(grid[i // ncols, i % ncols])
        ax.set_xticks([])
        ax.set_yticks([])
        if i < n:
            ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=1)
            if i < len(captions):
                ax.set_title(captions[i], fontsize=8, color="black" if colors is None else colors[i])
        else:
            ax.axis("off")
        axes.append(ax)
    return axes


def plot_confusion(ax, M, title="confusion matrix"):
    """Heat map of a confusion matrix (rows: true class, columns: predicted), counts written in."""
    _confusion_artists(ax, M, title)


def _confusion_artists(ax, M, title):
    """Draw :func:`plot_confusion`'s picture; returns ``update(M)``, which writes another matrix into it.

    Every cell gets a text artist, hidden where the count is zero, so that a
    new matrix changes texts rather than adding or removing them.
    """
    M = np.asarray(M)
    C = M.shape[0]
    image = ax.imshow(M, cmap="Blues", norm=_log_norm(M))
    texts = [[ax.text(j, i, "", ha="center", va="center", fontsize=7) for j in range(C)] for i in range(C)]
    ax.set_xticks(range(C))
    ax.set_yticks(range(C))
    ax.tick_params(labelsize=7)
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(title, fontsize=10, y=1.0)  # a fixed height: matplotlib need not look for ticks above

    def update(M):
        M = np.asarray(M)
        if M.shape != (C, C):
            return False
        image.set_data(M)
        image.set_norm(_log_norm(M))
        for i in range(C):
            for j in range(C):
                texts[i][j].set_visible(bool(M[i, j]))
                texts[i][j].set_text(str(M[i, j]))
                texts[i][j].set_color("white" if M[i, j] > M.max() / 3 else "black")
        return True

    update(M)
    return update


def _log_norm(M):
    from matplotlib.colors import LogNorm
    return LogNorm(vmin=1, vmax=max(int(M.max()), 2), clip=True)


def _one_blas_thread():
    """One BLAS thread while training: the matrices are tiny, and several
    threads on a busy machine make them many times slower."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - installed with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _choice(value, options, name, kind):
    """A control's value (string from a drop-down, or a number) in canonical form."""
    try:
        x = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}") from None
    if x not in {kind(o) for o in options}:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
    return x


def _hidden(value):
    if isinstance(value, str):
        if value not in LAB_HIDDEN:
            raise ValueError(f"hidden must be one of {list(LAB_HIDDEN)}, got {value!r}")
        return tuple(int(w) for w in value.split("-"))
    widths = tuple(int(w) for w in value)
    if "-".join(map(str, widths)) not in LAB_HIDDEN:
        raise ValueError(f"hidden must be one of {list(LAB_HIDDEN)}, got {value!r}")
    return widths


#: The lab's controls that choose a training run, in the order of :func:`_lab_run`'s arguments:
#: each with its options and the canonical form of a value (what the run is cached by).
_RUN_CONTROLS = {
    "hidden": (LAB_HIDDEN, _hidden),
    "lr": (LAB_LEARNING_RATES, lambda v: _choice(v, LAB_LEARNING_RATES, "lr", float)),
    "batch_size": (LAB_BATCH_SIZES, lambda v: _choice(v, LAB_BATCH_SIZES, "batch_size", int)),
    "weight_decay": (LAB_WEIGHT_DECAYS, lambda v: _choice(v, LAB_WEIGHT_DECAYS, "weight_decay", float)),
    "n_train": (LAB_TRAIN_SIZES, lambda v: _choice(v, LAB_TRAIN_SIZES, "n_train", int)),
}


def _lab_setting(**values) -> dict:
    """The run-choosing controls' values in canonical form (refused, by name, when not an option)."""
    return {name: canonical(values[name]) for name, (_, canonical) in _RUN_CONTROLS.items()}


class _LabRun:
    """One configuration of the lab, trained as far as it has been asked to, and resumable.

    :meth:`train_to` trains on from where the run stopped: the model, the
    optimiser's momentum and the generator that shuffles the batches carry
    over, so training to 10 epochs and then to 30 gives exactly the run
    that trains 30 epochs at once (the tests check it).

    The training loop is nnlib's :func:`~nnlib.train.fit` with
    :class:`~nnlib.optim.SGD` written out for this one network (Dense and
    ReLU layers, cross-entropy, momentum and weight decay): the same numpy
    operations in the same order, so the same numbers bit for bit (the tests
    compare it with ``fit``), and the same errors and stops when a run
    diverges, but about three times faster, which is what a reader waits
    for when a control moves. The parameters live in one flat array (the
    model's ``Parameter`` arrays are views into it), so the optimiser updates
    them all with four operations instead of four per parameter.
    """

    def __init__(self, hidden, lr, batch_size, weight_decay, n_train, seed=0):
        split = digits_split()
        X, y = split["X_train"], split["y_train"]
        if n_train < len(X):  # a stratified subset of the training part
            X, _, y, _ = data.train_test_split(X, y, test_size=len(X) - n_train, rng=seed, stratify=True)
        self.X, self.y = X, y
        self.X_val, self.y_val = split["X_val"], split["y_val"]
        self.batch_size = batch_size
        self.lr, self.weight_decay = float(lr), float(weight_decay)
        self.model = digit_mlp((64, *hidden, 10), rng=seed)
        self.loss = CrossEntropyLoss()
        self.rng = np.random.default_rng(seed)  # the shuffles, drawn epoch after epoch
        self.n_params = count_module_parameters(self.model)
        self.log = {key: [] for key in ("loss", "accuracy", "val_loss", "val_accuracy", "val_pred")}
        self.diverged = False
        self._rows = {}  # batch size -> np.arange(batch size)
        self._flatten()

    def _flatten(self):
        """Move the parameters into one flat array, with a gradient array and a momentum buffer alike."""
        params = self.model.parameters()
        self.flat = np.concatenate([p.data.ravel() for p in params])
        self.grad = np.zeros_like(self.flat)
        self.momentum = None  # made at the first step from the first gradient, as SGD does
        start, self.layers = 0, []
        views = []
        for p in params:
            stop = start + p.data.size
            p.data = self.flat[start:stop].reshape(p.data.shape)
            p.grad = self.grad[start:stop].reshape(p.data.shape)
            views.append((p.data, p.grad))
            start = stop
        self.layers = [views[i:i + 2] for i in range(0, len(views), 2)]  # (W, dW), (b, db) of each Dense

    @property
    def epochs(self) -> int:
        """Epochs trained so far."""
        return len(self.log["loss"])

    def _on_epoch(self):
        out = predict(self.model, self.X_val)
        self.log["val_loss"].append(float(self.loss(out, self.y_val)))
        self.log["val_pred"].append(out.argmax(axis=1))
        self.log["val_accuracy"].append(float(np.mean(self.log["val_pred"][-1] == self.y_val)))

    def _step(self, Xb, yb):
        """One SGD step on a batch: ``(loss, correct)``, or None (no step taken) when the output or loss is not finite.

        The operations of nnlib's Dense, ReLU, cross-entropy and SGD, in
        their order; where nnlib's layers refuse a non-finite input or
        gradient, the same check raises the same error. (A sum is finite
        only if every entry is, so one sum screens an array; the full check
        runs only when the sum is not finite, which may also be an overflow.)
        """
        inputs, masks, h = [], [], Xb
        last = len(self.layers) - 1
        for i, ((W, _), (b, _)) in enumerate(self.layers):
            inputs.append(h)
            z = h @ W
            z += b
            if i < last:
                if not math.isfinite(z.sum()) and not np.isfinite(z).all():
                    as_float_array(z, "x")  # raises nnlib's own error
                mask = z > 0
                masks.append(mask)
                h = np.where(mask, z, 0)  # ReLU
            else:
                h = z
        out = h
        if not math.isfinite(out.sum()) and not np.isfinite(out).all():
            return None
        n = out.shape[0]
        rows = self._rows.get(n)
        if rows is None:
            rows = self._rows[n] = np.arange(n)
        shifted = out - out.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        value = float(-np.mean(log_p[rows, yb]))
        if not math.isfinite(value):
            return None
        correct = int(np.count_nonzero(out.argmax(axis=1) == yb))
        g = np.exp(log_p, out=log_p)
        g[rows, yb] -= 1
        g /= n
        for i in range(last, -1, -1):
            (W, dW), (_, db) = self.layers[i]
            if i < last:
                g *= masks[i]  # ReLU's backward
                if not math.isfinite(g.sum()) and not np.isfinite(g).all():
                    as_float_array(g, "grad_out")
            np.matmul(inputs[i].T, g, out=dW)
            np.sum(g, axis=0, out=db)
            if i:
                g = g @ W.T
                if not math.isfinite(g.sum()) and not np.isfinite(g).all():
                    as_float_array(g, "grad_out")
        self.grad += 0.0  # zero_grad() then +=: a gradient of -0.0 is stored as 0.0, as nnlib stores it
        d = self.grad + self.weight_decay * self.flat if self.weight_decay != 0 else self.grad
        if self.momentum is None:
            self.momentum = d.copy()
        else:
            self.momentum *= LAB_MOMENTUM
            self.momentum += d
        self.flat -= self.lr * self.momentum
        return value, correct

    def _epoch(self, should_stop=None):
        """One pass over the training images in a fresh order.

        True when done, False when the run diverged in it, None when
        ``should_stop()`` said to stop part way (the caller puts the run back
        as it was before the epoch).
        """
        order = self.rng.permutation(len(self.X))
        total, correct, bs = 0.0, 0, self.batch_size
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(0, len(order), bs):
                if should_stop is not None and should_stop():
                    return None
                idx = order[start:start + bs]
                done = self._step(self.X[idx], self.y[idx])
                if done is None:
                    return False
                total += done[0] * len(idx)
                correct += done[1]
        self.log["loss"].append(total / len(self.X))
        self.log["accuracy"].append(float(correct / len(self.X)))
        return True

    def train_to(self, epochs: int, should_stop=None) -> bool:
        """Train until ``epochs`` epochs are done (or the loss diverged).

        With ``should_stop`` (work done ahead of the reader, see
        :mod:`~nnbook.experiments.ahead`), training may stop part way through
        an epoch: the weights, momentum and shuffling generator are put back
        as they were before that epoch, so that training on later gives the
        same run bit for bit. Returns False when it stopped so, else True.
        """
        if self.diverged or self.epochs >= epochs:
            return True
        with _one_blas_thread():
            while self.epochs < epochs:
                if should_stop is not None:
                    saved = (self.flat.copy(), None if self.momentum is None else self.momentum.copy(),
                             self.rng.bit_generator.state)
                outcome = self._epoch(should_stop)
                if outcome is None:
                    self.flat[...] = saved[0]  # in place: the model's parameters are views of it
                    self.momentum, self.rng.bit_generator.state = saved[1], saved[2]
                    return False
                if not outcome:
                    self.diverged = True
                    return True
                self._on_epoch()
        return True


#: Held by whoever trains a lab run: the reader's update or the work done ahead of it (one at a time).
_TRAINING = threading.Lock()


@functools.lru_cache(maxsize=64)
def _lab_run(hidden, lr, batch_size, weight_decay, n_train, seed=0) -> _LabRun:
    """The run of one configuration (kept for the 64 configurations used last)."""
    return _LabRun(hidden, lr, batch_size, weight_decay, n_train, seed)


def digits_lab(hidden="16-16", lr="0.03", batch_size="32", weight_decay="0", epochs=30, n_train="1077"):
    """Train a digit classifier with SGD (momentum 0.9) and report on the validation part.

    Parameters
    ----------
    hidden : str, one of :data:`LAB_HIDDEN`
        Hidden widths, e.g. ``"16-16"`` for the network 64-16-16-10.
    lr, batch_size, weight_decay, n_train : str or number
        One of :data:`LAB_LEARNING_RATES`, :data:`LAB_BATCH_SIZES`,
        :data:`LAB_WEIGHT_DECAYS` (L2 strength :math:`\\lambda`),
        :data:`LAB_TRAIN_SIZES` (images used from the training part).
    epochs : int in [1, LAB_MAX_EPOCHS]

    Returns
    -------
    dict with
        ``epoch`` : ndarray (E,), 1..E; ``loss, accuracy`` : training loss and
        accuracy per epoch; ``val_loss, val_accuracy`` : the same on the
        validation part; ``confusion`` : (10, 10) validation confusion matrix
        after epoch E; ``val_acc`` : its accuracy; ``mistakes`` : indices of
        misclassified validation images (all of them) and ``images, true,
        predicted`` for the first :data:`LAB_GALLERY`; ``n_params``,
        ``n_train``, ``diverged`` (the loss became non-finite and training
        stopped) and the settings as numbers.
    """
    setting = _lab_setting(hidden=hidden, lr=lr, batch_size=batch_size, weight_decay=weight_decay, n_train=n_train)
    widths, lr, batch_size, weight_decay, n_train = setting.values()
    if isinstance(epochs, bool) or not float(epochs).is_integer() or not 1 <= epochs <= LAB_MAX_EPOCHS:
        raise ValueError(f"epochs must be a whole number in [1, {LAB_MAX_EPOCHS}], got {epochs!r}")
    with AHEAD.paused(), _TRAINING:  # work done ahead stops at its next step and lets go of the lock
        run = _lab_run(widths, lr, batch_size, weight_decay, n_train)
        run.train_to(int(epochs))
    E = min(int(epochs), run.epochs)
    y_val = digits_split()["y_val"]
    X_val = digits_split()["X_val"]
    result = {"epoch": np.arange(1, E + 1), "hidden": "-".join(map(str, widths)), "lr": lr,
              "batch_size": batch_size, "weight_decay": weight_decay, "epochs": E,
              "n_params": run.n_params, "n_train": len(run.y), "diverged": run.diverged and E < int(epochs)}
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        result[key] = np.array(run.log[key][:E])
    if E == 0:  # diverged in the first epoch
        result.update(confusion=np.zeros((10, 10), dtype=np.int64), val_acc=float("nan"),
                      mistakes=np.array([], dtype=np.int64), images=np.zeros((0, 8, 8)),
                      true=np.array([], dtype=np.int64), predicted=np.array([], dtype=np.int64))
        return result
    pred = run.log["val_pred"][E - 1]
    wrong = np.flatnonzero(pred != y_val)
    shown = wrong[:LAB_GALLERY]
    result.update(confusion=confusion_matrix(y_val, pred, num_classes=10), val_acc=float(np.mean(pred == y_val)),
                  mistakes=wrong, images=X_val[shown].reshape(-1, 8, 8), true=y_val[shown], predicted=pred[shown])
    return result


def _training_job(config: tuple, epochs: int):
    """A job for :data:`~nnbook.experiments.ahead.AHEAD`: train the run of ``config`` to ``epochs`` epochs."""
    def job(should_stop):
        with _TRAINING:
            return _lab_run(*config).train_to(epochs, should_stop)
    job.config, job.epochs = config, epochs
    return job


def digits_lab_ahead(hidden="16-16", lr="0.03", batch_size="32", weight_decay="0", epochs=30, n_train="1077"):
    """The training the lab's next move may need, as jobs to run while the reader looks at the figure.

    First this setting trained on to :data:`LAB_MAX_EPOCHS` (whatever the
    epochs slider picks next is then there), then every setting that one
    control (hidden widths, learning rate, batch size, weight decay,
    training images) can reach, trained to ``epochs``: the options next to
    the current ones first, then those two away, and so on. The jobs fill
    the runs :func:`digits_lab` uses, so its result is the same whoever
    trained them.
    """
    current = _lab_setting(hidden=hidden, lr=lr, batch_size=batch_size, weight_decay=weight_decay, n_train=n_train)
    choices = {name: [canonical(o) for o in options] for name, (options, canonical) in _RUN_CONTROLS.items()}
    jobs = [_training_job(tuple(current.values()), LAB_MAX_EPOCHS)]
    for setting in one_move_away(current, choices):
        jobs.append(_training_job(tuple(setting.values()), int(epochs)))
    return jobs


def _lab_title(result: dict) -> str:
    note = " (diverged: lower the learning rate)" if result["diverged"] else ""
    return (f"64-{result['hidden']}-10 ({result['n_params']:,} parameters), {result['n_train']} training "
            f"images: validation accuracy {result['val_acc']:.1%}{note}")


def _gallery_title(result: dict) -> str:
    n_wrong = len(result["mistakes"])
    return f"{min(n_wrong, LAB_GALLERY)} of {n_wrong} mistakes (true→predicted)"


def _captions(result: dict) -> list:
    return [f"{t}→{p}" for t, p in zip(result["true"], result["predicted"])]


#: Blank pixels between the gallery's slots.
GALLERY_GAP = 4


def gallery_mosaic(images, shape=GALLERY_SHAPE, gap=GALLERY_GAP):
    """8x8 images laid out in one array, row by row, with NaN (drawn blank) between and around them.

    Parameters
    ----------
    images : ndarray, shape (K, 8, 8), K <= rows * cols
    shape : (rows, cols)
    gap : int
        Blank pixels above each image (room for its caption) and, split in
        two, on its left and right.

    Returns
    -------
    mosaic : ndarray, shape (rows * (8 + gap), cols * (8 + gap))
    corners : list of (row, col)
        Top-left pixel of every slot, used or not.

    Examples
    --------
    >>> mosaic, corners = gallery_mosaic(np.ones((2, 8, 8)), shape=(1, 2), gap=2)
    >>> mosaic.shape, corners, int(np.isnan(mosaic).sum())
    ((10, 20), [(2, 1), (2, 11)], 72)
    """
    rows, cols = shape
    images = np.asarray(images, dtype=float).reshape(-1, 8, 8)
    if len(images) > rows * cols:
        raise ValueError(f"{len(images)} images do not fit in {rows} x {cols} slots")
    cell = 8 + gap
    corners = [(i * cell + gap, j * cell + gap // 2) for i in range(rows) for j in range(cols)]
    mosaic = np.full((rows * cell, cols * cell), np.nan)
    for (r, c), image in zip(corners, images):
        mosaic[r:r + 8, c:c + 8] = image
    return mosaic, corners


def _gallery_artists(ax, result: dict):
    """The lab's gallery of mistakes, :data:`LAB_GALLERY` slots in one image; returns ``update(result)``.

    One mosaic image with a caption and a frame per shown mistake draws far
    faster than an axes per digit, and keeps its shape whatever the number
    of mistakes, so the figure does not jump when a control moves.
    """
    from matplotlib.collections import LineCollection

    mosaic, corners = gallery_mosaic(np.zeros((0, 8, 8)))
    image = ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    captions = [ax.text(c + 3.5, r - 1.1, "", ha="center", va="bottom", fontsize=8, color="C3") for r, c in corners]
    frames = LineCollection([], colors="k", linewidths=0.8)
    ax.add_collection(frames, autolim=False)
    none = ax.text(0.5, 0.5, "no mistakes on the validation part", ha="center", va="center", transform=ax.transAxes)

    def update(result: dict):
        n = len(result["images"])
        image.set_data(gallery_mosaic(result["images"])[0])
        ax.set_title(_gallery_title(result) if n else "", fontsize=10, y=1.0)
        none.set_visible(n == 0)
        for k, caption in enumerate(captions):
            caption.set_text(_captions(result)[k] if k < n else "")
        frames.set_segments([[(c - 0.5, r - 0.5), (c + 7.5, r - 0.5), (c + 7.5, r + 7.5), (c - 0.5, r + 7.5),
                              (c - 0.5, r - 0.5)] for r, c in corners[:n]])
        return True

    update(result)
    return update


def plain_log_labels(axis) -> None:
    """Label a log-scale axis with plain decimals (0.01, 0.2, 2.31) rather than powers of ten.

    Matplotlib chooses which ticks get a label as usual; a loss between
    0.001 and 10 reads more easily as decimals than as :math:`2.31\\times10^0`,
    and the labels are drawn without mathtext, so moving a control does not
    parse a new formula for every new tick value.
    """
    from matplotlib.ticker import LogFormatter

    class PlainDecimals(LogFormatter):
        def _num_to_string(self, x, vmin, vmax):
            return f"{x:g}"

    axis.set_major_formatter(PlainDecimals())
    axis.set_minor_formatter(PlainDecimals())


def draw_digits_lab(result: dict, fig):
    """Loss and accuracy curves, the validation confusion matrix and a gallery of mistakes; returns the updater."""
    grid = fig.add_gridspec(2, 2, height_ratios=(1, 1.15), hspace=0.45, wspace=0.3)
    ax_loss, ax_acc = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
    e = result["epoch"]
    curves = ax_loss.plot(e, result["loss"], label="training") + ax_loss.plot(e, result["val_loss"], label="validation")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log")
    plain_log_labels(ax_loss.yaxis)
    ax_loss.legend(fontsize=8)
    curves += ax_acc.plot(e, result["accuracy"], label="training") + \
        ax_acc.plot(e, result["val_accuracy"], label="validation")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02))
    ax_acc.legend(fontsize=8, loc="lower right")
    title = fig.suptitle(_lab_title(result), fontsize=10)
    update_confusion = _confusion_artists(fig.add_subplot(grid[1, 0]), result["confusion"],
                                          "validation confusion matrix")
    update_gallery = _gallery_artists(fig.add_subplot(grid[1, 1]), result)
    def update(new: dict):
        if len(new["epoch"]) == 0 or len(e) == 0:
            return False  # diverged in the first epoch: nothing to plot, draw afresh
        x = new["epoch"]
        for line, key in zip(curves, ("loss", "val_loss", "accuracy", "val_accuracy")):
            line.set_data(x, new[key])
        for ax in (ax_loss, ax_acc):
            ax.relim()
            ax.autoscale_view()
        title.set_text(_lab_title(new))
        update_confusion(new["confusion"])
        update_gallery(new)
        return True

    return update


digits_lab_experiment = Experiment(
    name="digits_lab",
    title="A training lab for the digit classifier",
    controls=[
        Control("hidden", "hidden widths", "16-16", options=LAB_HIDDEN),
        Control("lr", "learning rate", "0.03", options=LAB_LEARNING_RATES),
        Control("batch_size", "batch size", "32", options=LAB_BATCH_SIZES),
        Control("weight_decay", "weight decay λ", "0", options=LAB_WEIGHT_DECAYS),
        Control("epochs", "epochs", 30, 5, LAB_MAX_EPOCHS, 5),
        Control("n_train", "training images", "1077", options=LAB_TRAIN_SIZES),
    ],
    compute=digits_lab,
    draw=draw_digits_lab,
    ahead=digits_lab_ahead,
    static=("weight_decay", "epochs"),
    figsize=(7.0, 6.5),
)
