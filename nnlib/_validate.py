"""Input checks shared by every public function of ``nnlib``.

Each check raises ``TypeError`` or ``ValueError`` with a message that names
the argument, says what was expected and what was given, so that a mistake is
reported where it was made instead of surfacing deep inside numpy (or, worse,
being broadcast into a silently wrong answer).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def as_float_array(x, name: str, *, ndim=None, allow_nan: bool = False) -> np.ndarray:
    """Return ``x`` as a float32 or float64 ndarray, checking it on the way.

    float32 and float64 arrays are returned as they are (no copy, dtype
    kept); integer or boolean data and Python scalars/lists become float64.
    Complex numbers, strings and objects are refused.

    Parameters
    ----------
    x : array_like
    name : str
        The argument's name, used in error messages.
    ndim : int or tuple of int, optional
        Accepted numbers of dimensions.
    allow_nan : bool
        If False (the default) NaN or infinite values raise ``ValueError``.
    """
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except Exception as exc:  # ragged lists and the like
            raise TypeError(f"{name} must be array-like of numbers, got {type(x).__name__}: {exc}") from None
    kind = arr.dtype.kind
    if kind in "biu":
        arr = arr.astype(np.float64)
    elif kind == "f":
        if arr.dtype not in FLOAT_DTYPES:  # float16, longdouble
            raise TypeError(f"{name} has dtype {arr.dtype}, expected float32 or float64")
    else:
        raise TypeError(f"{name} must hold real numbers (float32 or float64), got dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise ValueError(f"{name} must have {want} dimension(s), got shape {arr.shape} ({arr.ndim} dimension(s))")
    if not allow_nan and arr.size and not np.isfinite(arr).all():
        bad = "NaN" if np.isnan(arr).any() else "infinite"
        raise ValueError(f"{name} contains {bad} values; expected finite numbers")
    return arr


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Refuse two arrays whose shapes differ (instead of broadcasting them)."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_b} has shape {b.shape}, expected {a.shape} like {name_a}; "
            f"reshape one of them explicitly rather than relying on broadcasting"
        )


def check_nonempty(a: np.ndarray, name: str) -> None:
    if a.size == 0 or (a.ndim >= 1 and a.shape[0] == 0):
        raise ValueError(f"{name} is empty (shape {a.shape}); expected at least one example")


_INT64 = np.iinfo(np.int64)


def as_class_labels(t, name: str, n_classes: int | None = None, *, n: int | None = None) -> np.ndarray:
    """Integer class labels of shape ``(N,)`` in ``[0, n_classes)``, returned as int64.

    Any integer dtype (int8 ... uint64) and floats holding whole numbers are
    accepted and cast to ``np.int64`` here, once, so that arithmetic on the
    labels (``C * y_true + y_pred``, ``np.bincount``) cannot wrap around in
    a narrow dtype. Booleans, non-integer floats, negative labels and values
    that do not fit in int64 are refused.
    """
    try:
        arr = np.asarray(t)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a 1-d array of integer class labels, got {type(t).__name__}: "
                        f"{' '.join(str(exc).split())}") from None
    kind = arr.dtype.kind
    if kind == "b":
        raise TypeError(f"{name} must hold integer class labels, got dtype bool; "
                        f"convert with {name}.astype(int) if True means class 1")
    if kind not in "iuf":
        raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must have shape (N,), got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} labels, expected {n} (one per row of the input)")
    if arr.size:
        if kind == "f":
            whole = np.isfinite(arr) & (arr == np.round(arr))
            if not whole.all():
                bad = arr[~whole][0]
                raise TypeError(f"{name} must hold integer class labels, got the non-integer value {float(bad)!r} "
                                f"(dtype {arr.dtype})")
        lo, hi = arr.min(), arr.max()
        if n_classes is not None and (lo < 0 or hi >= n_classes):
            raise ValueError(f"{name} holds labels from {lo} to {hi}, expected labels in [0, {n_classes - 1}]")
        if lo < 0:
            raise ValueError(f"{name} holds the label {lo}, expected labels >= 0 (classes are numbered 0 .. C-1)")
        if hi > _INT64.max:  # uint64 or huge floats
            raise ValueError(f"{name} holds the label {hi}, too large for int64; expected class labels 0 .. C-1")
    return arr.astype(np.int64)


def check_number(value, name: str, *, low=None, high=None, low_open=False, integer=False):
    """Check a scalar hyperparameter such as a learning rate or a probability."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a {'integer' if integer else 'real number'}, got {value!r}")
    if integer and not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # a Python int beyond float64's range
        digits = len(str(abs(value)))
        raise ValueError(f"{name} is too large for a float64 number: got an integer of {digits} digits, "
                         f"the largest float64 is about 1.8e308") from None
    if not finite:
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        op = ">" if low_open else ">="
        raise ValueError(f"{name} must be {op} {low}, got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value!r}")
    return value


def as_rng(rng, name: str = "rng") -> np.random.Generator:
    """Turn ``None``, an integer seed or a Generator into a Generator.

    ``None`` gives a fresh generator seeded from the operating system (never
    numpy's global RNG); pass a seed or a Generator for reproducible results,
    as every notebook of the book does.
    """
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"{name} must be None, an integer seed or a numpy.random.Generator, got {type(rng).__name__}")
