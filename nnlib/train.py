"""The training loop: mini-batches, epochs, validation, a history.

One step is PyTorch's, written out with ``nnlib``'s explicit backward::

    optimizer.zero_grad()
    out = model(X_batch)                       # forward
    value = loss(out, y_batch)                 # scalar
    model.backward(loss.grad(out, y_batch))    # fills p.grad
    optimizer.step()                           # updates p.data

:func:`fit` repeats it over shuffled mini-batches for some epochs and returns
a :class:`History`; plots and widgets hook in through callbacks
``cb(epoch, logs)`` called after every epoch, never from inside the step.
"""
from __future__ import annotations

import math

import numpy as np

from ._validate import as_float_array, as_rng, check_nonempty, check_number
from .data import batches

__all__ = ["fit", "evaluate", "predict", "History", "TrainingDiverged", "StopTraining", "EarlyStopping"]


class TrainingDiverged(FloatingPointError, RuntimeError):
    """The loss became NaN or infinite during :func:`fit`.

    Attributes ``epoch`` and ``batch`` (1-based; ``batch`` is None when the
    validation loss diverged) and ``loss`` tell where it happened.
    """

    def __init__(self, message, *, epoch=None, batch=None, loss=None):
        super().__init__(message)
        self.epoch, self.batch, self.loss = epoch, batch, loss


class StopTraining(Exception):
    """Raise from a callback to end :func:`fit` cleanly after the current epoch
    (early stopping); the message becomes ``history.stop_reason``."""


class EarlyStopping:
    """Callback for :func:`fit`: stop when a monitored value stops improving.

    Parameters
    ----------
    model : Module
        The model being trained; its parameters are saved at the best epoch.
    monitor : str
        A key of the epoch's logs, e.g. ``"val_loss"`` (needs validation data).
    mode : {"min", "max"}
        Whether smaller (a loss) or larger (an accuracy) is better.
    patience : int
        Stop after this many epochs in a row without improvement.
    min_delta : float
        The smallest change that counts as an improvement.
    restore_best : bool
        Put the parameters of the best epoch back into ``model`` when stopping.

    Attributes
    ----------
    best : float
        The best value seen; ``best_epoch`` (0-based) is when.
    stopped_epoch : int or None
        The epoch after which training was stopped (None if it was not).

    Notes
    -----
    If ``fit`` runs out of epochs before the patience is used up, nothing is
    restored; call :meth:`restore` to go back to the best epoch anyway.

    Examples
    --------
    >>> stopper = EarlyStopping(model, patience=10)                  # doctest: +SKIP
    >>> fit(model, loss, opt, X, y, 500, X_val=Xv, y_val=yv,
    ...     callbacks=[stopper])                                    # doctest: +SKIP
    """

    def __init__(self, model, monitor="val_loss", mode="min", patience=5, min_delta=0.0, restore_best=True):
        for name in ("state_dict", "load_state_dict"):
            if not callable(getattr(model, name, None)):
                raise TypeError(f"model must have {name}() (an nnlib Module), got {type(model).__name__}")
        if mode not in ("min", "max"):
            raise ValueError(f'mode must be "min" (a loss) or "max" (an accuracy), got {mode!r}')
        self.model, self.monitor, self.mode = model, str(monitor), mode
        self.patience = check_number(patience, "patience", low=1, integer=True)
        self.min_delta = float(check_number(min_delta, "min_delta", low=0.0))
        self.restore_best = bool(restore_best)
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch, self.stopped_epoch, self.wait, self._best_state = None, None, 0, None

    def _improved(self, value) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def __call__(self, epoch, logs) -> None:
        if self.monitor not in logs:
            raise ValueError(f"EarlyStopping monitors {self.monitor!r}, which is not in the logs {sorted(logs)}; "
                             f"\"val_...\" keys need X_val and y_val in fit")
        value = float(logs[self.monitor])
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            self._best_state = self.model.state_dict()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            if self.restore_best:
                self.restore()
            raise StopTraining(f"early stopping: {self.monitor} did not improve for {self.patience} epochs; "
                               f"best {self.best:.4g} in epoch {self.best_epoch + 1}")

    def restore(self) -> None:
        """Load the parameters saved at the best epoch into the model."""
        if self._best_state is None:
            raise RuntimeError("EarlyStopping has seen no epoch yet; nothing to restore")
        self.model.load_state_dict(self._best_state)


class History(dict):
    """Per-epoch records of :func:`fit`: ``history["loss"][e]`` is epoch ``e``'s value.

    Keys: ``"loss"`` (mean training loss over the epoch's examples), one key
    per metric (e.g. ``"accuracy"``), the same with a ``"val_"`` prefix when
    validation data are given, and ``"lr"`` (the learning rate used in the
    epoch) when the optimiser has one.

    Attributes
    ----------
    stopped : bool
        True if training ended early (non-finite loss with
        ``on_nonfinite="stop"``, or a callback raised :class:`StopTraining`).
    stop_reason : str or None
    """

    def __init__(self, keys=()):
        super().__init__((k, []) for k in keys)
        self.stopped = False
        self.stop_reason = None

    @property
    def epochs(self) -> int:
        """Number of completed epochs."""
        return len(self.get("loss", ()))

    def _append(self, logs: dict) -> None:
        for key, value in logs.items():
            self.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.items() if v)
        note = f", stopped: {self.stop_reason}" if self.stopped else ""
        return f"History({self.epochs} epochs; last: {last}{note})"


def _output_accuracy(y_true, outputs) -> float:
    """Accuracy of raw model outputs: argmax of (N, C) logits, or logit > 0 for one output."""
    outputs = np.asarray(outputs)
    y_true = np.asarray(y_true)
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        predicted = outputs.argmax(axis=1)
        truth = y_true.argmax(axis=1) if y_true.ndim == 2 else y_true
    else:  # one logit per example (BCEWithLogitsLoss)
        predicted = outputs.reshape(len(outputs)) > 0
        truth = y_true.reshape(len(y_true)) > 0.5
    return float(np.mean(predicted == truth))


_BUILTIN_METRICS = {"accuracy": _output_accuracy}


def _is_classification(loss) -> bool:
    from . import losses  # lazily: train.py must not depend on import order

    kinds = tuple(getattr(losses, n) for n in ("CrossEntropyLoss", "BCEWithLogitsLoss") if hasattr(losses, n))
    return isinstance(loss, kinds)


def _metric_functions(metrics, loss) -> dict:
    if metrics is None:
        return dict(_BUILTIN_METRICS) if _is_classification(loss) else {}
    if isinstance(metrics, str):
        metrics = (metrics,)
    if isinstance(metrics, dict):
        fns = dict(metrics)
    else:
        fns = {}
        for name in metrics:
            if name not in _BUILTIN_METRICS:
                raise ValueError(f"unknown metric {name!r}; built-in metrics are {sorted(_BUILTIN_METRICS)}, "
                                 f"or pass a dict {{name: fn(y_true, outputs) -> float}}")
            fns[name] = _BUILTIN_METRICS[name]
    for name, fn in fns.items():
        if not callable(fn):
            raise TypeError(f"metric {name!r} must be callable fn(y_true, outputs) -> float, got {type(fn).__name__}")
        if name in ("loss", "lr") or name.startswith("val_"):
            raise ValueError(f"metric name {name!r} is reserved; choose another")
    return fns


def _check_data(X, y, name_x="X", name_y="y"):
    X = as_float_array(X, name_x)
    check_nonempty(X, name_x)
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(f"{name_y} has {y.shape[0] if y.ndim else 'no'} rows but {name_x} has {len(X)}; "
                         f"expected one target per example (shapes {y.shape} and {X.shape})")
    return X, y


def _check_loss(loss):
    if not callable(loss) or not callable(getattr(loss, "grad", None)):
        raise TypeError(f"loss must be a loss object such as nnlib.CrossEntropyLoss() with __call__(pred, target) "
                        f"and .grad(pred, target), got {type(loss).__name__}")


class _eval_mode:
    """Context manager: ``model.eval()`` inside, the previous mode restored after."""

    def __init__(self, model):
        self.model, self.was_training = model, getattr(model, "training", False)

    def __enter__(self):
        self.model.eval()

    def __exit__(self, *exc):
        self.model.train(self.was_training)


def predict(model, X, batch_size=None) -> np.ndarray:
    """Model outputs for ``X`` in eval mode (the previous mode is restored).

    Parameters
    ----------
    model : Module
    X : ndarray, shape (N, ...)
    batch_size : int, optional
        Forward in chunks of this size to save memory; default all at once.

    Returns
    -------
    ndarray, shape (N, ...)
        Raw outputs (logits for a classifier; take ``argmax(axis=1)`` for labels).
    """
    X = as_float_array(X, "X")
    check_nonempty(X, "X")
    if batch_size is None:
        batch_size = len(X)
    check_number(batch_size, "batch_size", low=1, integer=True)
    with _eval_mode(model):
        return np.concatenate([model(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])


def evaluate(model, loss, X, y, *, batch_size=None, metrics=None) -> dict:
    """Loss (and metrics) of ``model`` on ``(X, y)`` in eval mode.

    Parameters
    ----------
    model : Module
    loss : loss object, e.g. ``CrossEntropyLoss()``
    X : ndarray, shape (N, ...)
    y : ndarray, shape (N, ...)
    batch_size : int, optional
        Evaluate in chunks; the loss is then averaged with weights equal to
        the chunk sizes (exact for a mean-reduced loss).
    metrics : see :func:`fit`

    Returns
    -------
    dict
        ``{"loss": float, "accuracy": float, ...}``.
    """
    _check_loss(loss)
    X, y = _check_data(X, y)
    fns = _metric_functions(metrics, loss)
    return _scores(loss, predict(model, X, batch_size), y, fns, batch_size)


def _scores(loss, out, y, fns, batch_size=None) -> dict:
    """Loss and metrics of the outputs ``out`` against the targets ``y``."""
    if batch_size is None:
        value = float(loss(out, y))
    else:
        sizes = [len(y[i:i + batch_size]) for i in range(0, len(y), batch_size)]
        parts = [float(loss(out[i:i + batch_size], y[i:i + batch_size])) for i in range(0, len(y), batch_size)]
        value = float(np.average(parts, weights=sizes))
    result = {"loss": value}
    result.update((name, float(fn(y, out))) for name, fn in fns.items())
    return result


def _step(model, loss, optimizer, Xb, yb):
    """One gradient step; returns ``(out, loss value)``, or ``(None, value)``
    without stepping when the loss is not finite."""
    # Overflow surfaces as a non-finite loss, which fit reports with advice;
    # numpy's overflow warnings would only be noise on the way there.
    with np.errstate(over="ignore", invalid="ignore"):
        optimizer.zero_grad()
        out = model(Xb)
        if not np.all(np.isfinite(out)):  # the loss function would refuse it
            return None, _first_nonfinite(out)
        value, grad = _value_and_grad(loss, out, yb)
        if not math.isfinite(value):
            return None, value
        model.backward(grad)
        optimizer.step()
    return out, value


def _value_and_grad(loss, out, y):
    """The loss (a float) and its gradient, in one pass when the loss object offers one."""
    both = getattr(loss, "value_and_grad", None)
    if both is not None:
        value, grad = both(out, y)
    else:  # any object with __call__ and grad will do
        value, grad = loss(out, y), None
    value = float(value)
    if grad is None and math.isfinite(value):
        grad = loss.grad(out, y)
    return value, grad


def _first_nonfinite(a) -> float:
    a = np.asarray(a)
    return float(a[~np.isfinite(a)].flat[0])


def _progress_bar(epochs):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # progress bars are optional
        return None
    return tqdm(total=epochs, desc="epochs", unit="epoch", leave=True)


def fit(model, loss, optimizer, X, y, epochs, batch_size=32, *, X_val=None, y_val=None, metrics=None,
        shuffle=True, rng=None, progress=True, callbacks=(), scheduler=None, on_nonfinite="raise") -> History:
    """Train ``model`` by mini-batch gradient descent.

    Parameters
    ----------
    model : Module
        Put in training mode for every epoch and in eval mode for validation.
    loss : loss object
        ``loss(out, target) -> float`` and ``loss.grad(out, target) -> ndarray``.
    optimizer : Optimizer
        Over ``model.parameters()``; ``zero_grad()`` and ``step()`` are called every batch.
    X : ndarray, shape (N, ...)
    y : ndarray, shape (N, ...)
        Targets in the form ``loss`` expects (class labels for ``CrossEntropyLoss``).
    epochs : int
        Passes over the data, at least 1.
    batch_size : int
    X_val, y_val : ndarray, optional
        Validation data, evaluated after every epoch (``val_loss``, ``val_accuracy``).
    metrics : None, sequence of str, or dict
        None: ``("accuracy",)`` for ``CrossEntropyLoss`` and
        ``BCEWithLogitsLoss``, nothing for other losses. A sequence of built-in
        names (``"accuracy"``: argmax of the outputs, or logit > 0 for one
        output), or a dict ``{name: fn(y_true, outputs) -> float}``. Training
        metrics use the outputs of the epoch's forward passes (as Keras does).
    shuffle : bool
        Reshuffle the examples every epoch.
    rng : None, int or numpy.random.Generator
        Drives the shuffling; the same seed (and the same initial model)
        gives the same history.
    progress : bool
        Show a tqdm progress bar over epochs (silently none if tqdm is missing).
    callbacks : sequence of callables
        ``cb(epoch, logs)`` after every epoch, with ``epoch`` counted from 0
        and ``logs`` a dict of that epoch's values (a copy). A callback may
        raise :class:`StopTraining` to end training early.
    scheduler : LRScheduler, optional
        ``scheduler.step()`` is called after every epoch, as in PyTorch.
    on_nonfinite : {"raise", "stop"}
        When the loss becomes NaN or infinite: raise :class:`TrainingDiverged`
        (default), or stop and return the history with ``stopped=True``. The
        epoch in which it happened is not recorded, and the parameters are
        those that produced the non-finite loss.

    Returns
    -------
    History

    Notes
    -----
    The recorded training loss of an epoch is the mean over its examples of
    the per-batch losses, each computed before that batch's update:
    :math:`\\bar L = \\frac{1}{N}\\sum_b |B_b|\\, L_b`.
    """
    _check_loss(loss)
    for name in ("zero_grad", "step"):
        if not callable(getattr(optimizer, name, None)):
            raise TypeError(f"optimizer must have {name}(), got {type(optimizer).__name__}")
    X, y = _check_data(X, y)
    check_number(epochs, "epochs", low=1, integer=True)
    check_number(batch_size, "batch_size", low=1, integer=True)
    if (X_val is None) != (y_val is None):
        raise ValueError("give both X_val and y_val, or neither")
    if X_val is not None:
        X_val, y_val = _check_data(X_val, y_val, "X_val", "y_val")
    if on_nonfinite not in ("raise", "stop"):
        raise ValueError(f'on_nonfinite must be "raise" or "stop", got {on_nonfinite!r}')
    callbacks = list(callbacks)
    for i, cb in enumerate(callbacks):
        if not callable(cb):
            raise TypeError(f"callbacks[{i}] must be callable cb(epoch, logs), got {type(cb).__name__}")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"scheduler must have step(), got {type(scheduler).__name__}")
    fns = _metric_functions(metrics, loss)
    rng = as_rng(rng)
    keys = ["loss", *fns] + (["val_loss", *(f"val_{k}" for k in fns)] if X_val is not None else [])
    history = History(keys)
    n_batches = math.ceil(len(X) / batch_size)
    bar = _progress_bar(epochs) if progress else None

    def nonfinite(value, epoch, batch):
        where = f"batch {batch} of {n_batches}" if batch is not None else "the validation set"
        lr = getattr(optimizer, "lr", None)
        lr_text = f" (lr={lr:g})" if lr is not None else ""
        message = (f"training diverged: the loss (or the model's output) became {value} "
                   f"in epoch {epoch} of {epochs}, {where}. The learning rate{lr_text} is probably too large: "
                   f"lower it (say by a factor of 10) and train again; also check that the inputs are scaled.")
        if on_nonfinite == "raise":
            raise TrainingDiverged(message, epoch=epoch, batch=batch, loss=value)
        history.stopped, history.stop_reason = True, message

    try:
        for epoch in range(epochs):
            lr = getattr(optimizer, "lr", None)
            model.train()
            total, outputs, targets = 0.0, [], []
            for b, (Xb, yb) in enumerate(batches(X, y, batch_size, shuffle=shuffle, rng=rng), start=1):
                out, value = _step(model, loss, optimizer, Xb, yb)
                if out is None:
                    nonfinite(value, epoch + 1, b)
                    return history
                total += value * len(Xb)
                if fns:
                    outputs.append(np.array(out, copy=True))
                    targets.append(yb)
            logs = {"loss": total / len(X)}
            if fns:
                outs, ys = np.concatenate(outputs), np.concatenate(targets)
                logs.update((k, float(fn(ys, outs))) for k, fn in fns.items())
            if X_val is not None:
                with np.errstate(over="ignore", invalid="ignore"):  # reported just below
                    out = predict(model, X_val)
                    finite = bool(np.all(np.isfinite(out)))
                    val = _scores(loss, out, y_val, fns) if finite else {"loss": _first_nonfinite(out)}
                if not math.isfinite(val["loss"]):
                    nonfinite(val["loss"], epoch + 1, None)
                    return history
                logs.update((f"val_{k}", v) for k, v in val.items())
            if lr is not None:
                logs["lr"] = float(lr)
            history._append(logs)
            if bar is not None:
                bar.update(1)
                bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k != "lr"}, refresh=False)
            if scheduler is not None:
                scheduler.step()
            for cb in callbacks:
                cb(epoch, dict(logs))
    except StopTraining as stop:
        history.stopped, history.stop_reason = True, str(stop) or "a callback raised StopTraining"
    finally:
        if bar is not None:
            bar.close()
    return history
