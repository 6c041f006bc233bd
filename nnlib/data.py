"""Small data sets, splitting and mini-batching for the book's experiments.

Every generator of random data takes ``rng`` (``None``, a seed or a
``numpy.random.Generator``). The toy classification sets return
``X`` of shape ``(N, 2)`` (float64) and ``y`` of shape ``(N,)`` (int64), with
``n`` points **per class** in :func:`spirals`, :func:`moons` and
:func:`circles` alike. :func:`moons`, :func:`circles` and :func:`load_digits`
use scikit-learn, imported only when called. MNIST is read from its standard
IDX files (:func:`load_mnist`, :func:`read_idx`); see :mod:`nnlib._mnist`.
"""
from __future__ import annotations

import numpy as np

from ._mnist import MNIST_FILES, MNIST_SHA256, load_mnist, read_idx
from ._validate import as_class_labels, as_rng, check_nonempty, check_number

__all__ = [
    "xor", "spirals", "moons", "circles", "load_digits",
    "train_test_split", "batches", "one_hot",
    "load_mnist", "read_idx", "MNIST_FILES", "MNIST_SHA256",
]


def xor():
    """The four points of the XOR problem, which no linear model separates.

    Returns
    -------
    X : ndarray, shape (4, 2), float64
    y : ndarray, shape (4,), int64
        :math:`y = x_1 \\oplus x_2`.
    """
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([0, 1, 1, 0], dtype=np.int64)


def spirals(n, classes=3, noise=0.2, rng=None):
    """Interleaved spiral arms, one per class.

    Parameters
    ----------
    n : int
        Points per class.
    classes : int
        Number of arms (classes), at least 2.
    noise : float
        Standard deviation of the Gaussian noise added to the angle.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    X : ndarray, shape (n * classes, 2), float64
    y : ndarray, shape (n * classes,), int64
        Class ``k`` occupies rows ``k*n`` to ``(k+1)*n - 1``.

    Notes
    -----
    Point :math:`i` of arm :math:`k` has radius :math:`r_i = i/(n-1)` and angle
    :math:`\\theta = 2\\pi k / K + 4 r_i + \\sigma\\,\\xi`, :math:`\\xi\\sim\\mathcal N(0,1)`;
    :math:`x = r(\\sin\\theta, \\cos\\theta)`.

    Examples
    --------
    >>> X, y = spirals(50, classes=3, rng=0)
    >>> X.shape, y.shape
    ((150, 2), (150,))
    """
    check_number(n, "n", low=1, integer=True)
    check_number(classes, "classes", low=2, integer=True)
    check_number(noise, "noise", low=0.0)
    rng = as_rng(rng)
    r = np.linspace(0.0, 1.0, n)                                   # (n,)
    k = np.arange(classes)[:, None]                                # (K, 1)
    theta = 2 * np.pi * k / classes + 4.0 * r + noise * rng.standard_normal((classes, n))
    X = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=-1).reshape(-1, 2)
    y = np.repeat(np.arange(classes, dtype=np.int64), n)
    return X, y


def _sklearn_datasets(what: str):
    try:
        from sklearn import datasets
    except ImportError:  # pragma: no cover - the nnlib[datasets] extra installs it
        raise ImportError(f"{what} needs scikit-learn: pip install scikit-learn") from None
    return datasets


def _seed_from(rng) -> int:
    """A seed for scikit-learn's ``random_state``, drawn from our generator."""
    return int(as_rng(rng).integers(2**31 - 1))


def moons(n, noise=0.1, rng=None):
    """Two interleaving half circles (``sklearn.datasets.make_moons``).

    Parameters
    ----------
    n : int
        Points per class (``2 n`` in total).
    noise : float
        Standard deviation of Gaussian noise added to the coordinates.
    rng : None, int or numpy.random.Generator
        A seed for scikit-learn is drawn from it.

    Returns
    -------
    X : ndarray, shape (2n, 2), float64
    y : ndarray, shape (2n,), int64
    """
    check_number(n, "n", low=1, integer=True)
    check_number(noise, "noise", low=0.0)
    X, y = _sklearn_datasets("moons").make_moons(n_samples=(n, n), noise=noise, random_state=_seed_from(rng))
    return X.astype(np.float64), y.astype(np.int64)


def circles(n, noise=0.05, factor=0.5, rng=None):
    """A small circle inside a large one (``sklearn.datasets.make_circles``).

    Parameters
    ----------
    n : int
        Points per class (``2 n`` in total).
    noise : float
        Standard deviation of Gaussian noise added to the coordinates.
    factor : float
        Radius of the inner circle relative to the outer one, in ``[0, 1)``.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    X : ndarray, shape (2n, 2), float64
    y : ndarray, shape (2n,), int64
        0 for the outer circle, 1 for the inner one.
    """
    check_number(n, "n", low=1, integer=True)
    check_number(noise, "noise", low=0.0)
    check_number(factor, "factor", low=0.0)
    if factor >= 1:
        raise ValueError(f"factor must be in [0, 1) (inner radius / outer radius), got {factor!r}")
    X, y = _sklearn_datasets("circles").make_circles(
        n_samples=(n, n), noise=noise, factor=factor, random_state=_seed_from(rng))
    return X.astype(np.float64), y.astype(np.int64)


def load_digits(return_images=False):
    """The 1797 handwritten 8x8 digits shipped with scikit-learn (no download).

    Returns
    -------
    X : ndarray, shape (1797, 64), float64
        Pixel intensities scaled from 0..16 to [0, 1].
    y : ndarray, shape (1797,), int64
        The digit, 0 to 9.
    images : ndarray, shape (1797, 8, 8), float64
        Only if ``return_images`` is True: ``X`` reshaped as images.

    Notes
    -----
    These are the test part of UCI's *Optical Recognition of Handwritten
    Digits* (Alpaydin and Kaynak, 1998), written by 13 people; the writer of
    each image is not recorded (see ``sklearn.datasets.load_digits().DESCR``).
    A random split therefore shares writers between its parts, and accuracy
    measured on it is optimistic for digits by new writers.
    """
    digits = _sklearn_datasets("load_digits").load_digits()
    X = np.asarray(digits.data, dtype=np.float64) / 16.0
    y = np.asarray(digits.target, dtype=np.int64)
    if return_images:
        return X, y, X.reshape(-1, 8, 8)
    return X, y


def _check_pair(X, y, name_x="X", name_y="y"):
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"{name_x} and {name_y} must be arrays with one row per example, "
                         f"got shapes {X.shape} and {y.shape}")
    if len(X) != len(y):
        raise ValueError(f"{name_x} has {len(X)} rows but {name_y} has {len(y)}; "
                         f"expected one label per example")
    check_nonempty(X, name_x)
    return X, y


def train_test_split(X, y, test_size=0.25, rng=None, stratify=False):
    """Shuffle and split into a training and a test part.

    Parameters
    ----------
    X : ndarray, shape (N, ...)
    y : ndarray, shape (N, ...)
    test_size : float in (0, 1) or int
        Fraction of examples (rounded up, as scikit-learn does) or number of
        examples that go to the test part. Both parts must be non-empty.
    rng : None, int or numpy.random.Generator
        The same seed gives the same split.
    stratify : bool
        If True, ``y`` must hold class labels and each class is split in
        (nearly) the same proportion, so both parts contain every class.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        In scikit-learn's order.
    """
    X, y = _check_pair(X, y)
    n = len(X)
    if isinstance(test_size, (float, np.floating)):
        check_number(test_size, "test_size", low=0.0, low_open=True)
        if test_size >= 1:
            raise ValueError(f"test_size as a fraction must be in (0, 1), got {test_size!r}")
        n_test = int(np.ceil(test_size * n))
    else:
        n_test = check_number(test_size, "test_size", low=1, integer=True)
    if not 1 <= n_test <= n - 1:
        raise ValueError(f"test_size={test_size!r} puts {n_test} of {n} examples in the test part; "
                         f"both parts need at least one example")
    rng = as_rng(rng)
    if stratify:
        test_idx, train_idx = _stratified_indices(as_class_labels(y, "y"), n_test, rng)
    else:
        perm = rng.permutation(n)
        test_idx, train_idx = perm[:n_test], perm[n_test:]
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


def _stratified_indices(y, n_test, rng):
    classes, counts = np.unique(y, return_counts=True)
    n, k = len(y), len(classes)
    if counts.min() < 2:
        raise ValueError(f"stratify=True needs at least 2 examples of every class; class "
                         f"{classes[counts.argmin()]} has {counts.min()}")
    if not k <= n_test <= n - k:
        raise ValueError(f"stratify=True with {k} classes needs between {k} and {n - k} test examples "
                         f"(one of each class in each part), got {n_test}")
    exact = counts * n_test / n
    take = np.clip(np.floor(exact).astype(int), 1, counts - 1)
    # Hand out the remaining examples (or take back the excess) one at a time,
    # to the class whose share is furthest from its exact proportion.
    while take.sum() < n_test:
        room = np.where(take < counts - 1, exact - take, -np.inf)
        take[np.argmax(room)] += 1
    while take.sum() > n_test:
        excess = np.where(take > 1, take - exact, -np.inf)
        take[np.argmax(excess)] -= 1
    test, train = [], []
    for c, t in zip(classes, take):  # a loop over classes, not examples
        idx = rng.permutation(np.flatnonzero(y == c))
        test.append(idx[:t])
        train.append(idx[t:])
    return rng.permutation(np.concatenate(test)), rng.permutation(np.concatenate(train))


def batches(X, y, batch_size, shuffle=True, rng=None, drop_last=False):
    """Iterate over mini-batches ``(X_batch, y_batch)``.

    Parameters
    ----------
    X : ndarray, shape (N, ...)
    y : ndarray, shape (N, ...)
    batch_size : int
        At least 1. The last batch is smaller when ``batch_size`` does not divide N.
    shuffle : bool
        Visit the examples in a fresh random order (drawn from ``rng``).
    rng : None, int or numpy.random.Generator
    drop_last : bool
        Skip the last batch if it is smaller than ``batch_size``.

    Returns
    -------
    generator of (ndarray, ndarray)
        The arguments are checked when ``batches`` is called, not at the first batch.

    Examples
    --------
    >>> X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> [len(yb) for _, yb in batches(X, y, 2, shuffle=False)]
    [2, 2, 1]
    """
    X, y = _check_pair(X, y)
    check_number(batch_size, "batch_size", low=1, integer=True)
    n = len(X)
    order = as_rng(rng).permutation(n) if shuffle else None
    stop = n - n % batch_size if drop_last else n

    def generate():
        for start in range(0, stop, batch_size):
            if order is None:
                yield X[start:start + batch_size], y[start:start + batch_size]
            else:
                idx = order[start:start + batch_size]
                yield X[idx], y[idx]

    return generate()


def one_hot(y, num_classes):
    """One-hot encode integer labels.

    Parameters
    ----------
    y : array_like of int, shape (N,)
        Labels in ``[0, num_classes)``.
    num_classes : int

    Returns
    -------
    Y : ndarray, shape (N, num_classes), float64
        :math:`Y_{ik} = 1` if :math:`y_i = k`, else 0.

    Examples
    --------
    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    check_number(num_classes, "num_classes", low=1, integer=True)
    y = as_class_labels(y, "y", num_classes)
    Y = np.zeros((len(y), num_classes))
    Y[np.arange(len(y)), y] = 1.0
    return Y
