"""Classification metrics, computed as scikit-learn computes them.

Labels are integers ``0 .. C-1`` of any integer dtype (or floats holding
whole numbers); they are checked and cast to int64 once, on the way in, so
that no count can wrap around in a narrow dtype. Predicted labels (not scores) go to
:func:`accuracy`, :func:`confusion_matrix` and :func:`precision_recall_f1`
(use ``scores.argmax(axis=1)``), scores go to :func:`roc_curve` and
:func:`roc_auc`. The tests compare every function with ``sklearn.metrics``.
"""
from __future__ import annotations

import numpy as np

from ._validate import as_class_labels, as_float_array, check_nonempty, check_number

__all__ = ["accuracy", "confusion_matrix", "precision_recall_f1", "roc_curve", "roc_auc"]


def _labels_pair(y_true, y_pred, num_classes=None):
    """Both label arrays, checked and cast to int64 (see ``as_class_labels``)."""
    if np.ndim(y_pred) == 2:
        raise ValueError(f"y_pred has shape {np.shape(y_pred)}: pass predicted labels of shape (N,), "
                         f"e.g. scores.argmax(axis=1), not the scores themselves")
    y_true = as_class_labels(y_true, "y_true", num_classes)
    check_nonempty(y_true, "y_true")
    y_pred = as_class_labels(y_pred, "y_pred", num_classes, n=len(y_true))
    return y_true, y_pred


#: The largest confusion matrix built from labels alone (C x C entries), a guard against a stray huge label.
_MAX_INFERRED_ENTRIES = 2**28


def _num_classes(y_true, y_pred, num_classes):
    if num_classes is not None:
        return num_classes
    C = int(max(y_true.max(), y_pred.max())) + 1
    if C * C > _MAX_INFERRED_ENTRIES:
        raise ValueError(f"the largest label is {C - 1}, so C = {C} classes and a confusion matrix of {C * C:.3g} "
                         f"entries; labels must be 0 .. C-1: renumber them with "
                         f"np.unique(y, return_inverse=True), or pass num_classes")
    return C


def accuracy(y_true, y_pred) -> float:
    """Fraction of correct predictions.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (N,)

    Returns
    -------
    float
        :math:`\\frac1N \\sum_i [\\hat y_i = y_i]`.

    Examples
    --------
    >>> accuracy([0, 1, 2, 1], [0, 1, 1, 1])
    0.75
    """
    y_true, y_pred = _labels_pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, num_classes=None) -> np.ndarray:
    """Counts of (true class, predicted class) pairs.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (N,)
    num_classes : int, optional
        C; by default one more than the largest label seen.

    Returns
    -------
    M : ndarray, shape (C, C), int64
        :math:`M_{ij}` = number of examples of true class :math:`i`
        predicted as :math:`j` (rows: truth, as in scikit-learn).

    Examples
    --------
    >>> confusion_matrix([0, 1, 1], [0, 0, 1])
    array([[1, 0],
           [1, 1]])
    """
    if num_classes is not None:
        check_number(num_classes, "num_classes", low=1, integer=True)
    y_true, y_pred = _labels_pair(y_true, y_pred, num_classes)
    C = _num_classes(y_true, y_pred, num_classes)
    return np.bincount(C * y_true + y_pred, minlength=C * C).reshape(C, C).astype(np.int64)


def _safe_div(num, den):
    """num / den with 0 where den == 0 (scikit-learn's ``zero_division=0``)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den != 0)


_AVERAGES = ("auto", "binary", "macro", "micro", "weighted", None)


def precision_recall_f1(y_true, y_pred, average="auto", num_classes=None, *, pos_label=1):
    r"""Precision, recall and F1 score: of the positive class, per class or averaged.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (N,)
    average : {"auto", "binary", "macro", "micro", "weighted", None}
        ``"binary"``: the scores of class ``pos_label`` alone (scikit-learn's
        default); it needs labels of at most two distinct classes.
        ``"macro"``: unweighted mean over classes; ``"micro"``: from the
        counts pooled over classes (equals accuracy here); ``"weighted"``:
        mean weighted by each class's support; None: one value per class.
        ``"auto"`` (the default) is ``"binary"`` for two-class labels (every
        label 0 or 1, and ``num_classes`` None or 2), as scikit-learn's
        default, and ``"macro"`` otherwise.
    num_classes : int, optional
        Use classes ``0..C-1``. By default the classes are those present in
        ``y_true`` or ``y_pred``, as scikit-learn does with ``labels=None``.
        Ignored by ``"binary"``, as scikit-learn ignores ``labels`` there.
    pos_label : int
        The positive class of ``"binary"`` (default 1). Any other average
        refuses a ``pos_label`` other than 1 rather than ignore it.

    Returns
    -------
    precision, recall, f1 : float, or ndarray of shape (C,) if ``average`` is None

    Notes
    -----
    For class :math:`k` with true positives :math:`TP_k`, false positives
    :math:`FP_k` and false negatives :math:`FN_k`:

    .. math::

        P_k = \frac{TP_k}{TP_k + FP_k},\quad R_k = \frac{TP_k}{TP_k + FN_k},\quad
        F_k = \frac{2\,TP_k}{2\,TP_k + FP_k + FN_k},

    and a ratio whose denominator is 0 is 0 (scikit-learn's ``zero_division=0``).
    Equal to ``sklearn.metrics.precision_recall_fscore_support(y_true, y_pred,
    average=..., pos_label=..., zero_division=0)[:3]`` (with
    ``labels=range(num_classes)`` when ``num_classes`` is given). One
    difference: labels ``{0, 2}`` are two classes to scikit-learn, whose
    default ``"binary"`` then refuses ``pos_label=1``, while ``"auto"`` reads
    them as classes 0, 1, 2 with class 1 absent and takes the ``"macro"``
    average over the classes present.

    Examples
    --------
    >>> precision_recall_f1([0, 1, 1, 1], [1, 1, 0, 1])          # class 1: 2 of 3 right each way
    (0.6666666666666666, 0.6666666666666666, 0.6666666666666666)
    >>> precision_recall_f1([0, 1, 1, 1], [1, 1, 0, 1], average="macro")
    (0.3333333333333333, 0.3333333333333333, 0.3333333333333333)
    """
    if average not in _AVERAGES:
        raise ValueError(f'average must be "auto", "binary", "macro", "micro", "weighted" or None, got {average!r}')
    check_number(pos_label, "pos_label", low=0, integer=True)
    if num_classes is not None:
        check_number(num_classes, "num_classes", low=1, integer=True)
        if pos_label >= num_classes:
            raise ValueError(f"pos_label={pos_label} is not a class: num_classes={num_classes} means classes "
                             f"0 .. {num_classes - 1}")
    y_true, y_pred = _labels_pair(y_true, y_pred, num_classes)
    C = num_classes if num_classes is not None else int(max(y_true.max(), y_pred.max())) + 1
    if average == "auto":
        average = "binary" if C <= 2 else "macro"
    if average != "binary" and pos_label != 1:
        raise ValueError(f"pos_label={pos_label!r} is used only with average='binary', got average={average!r}")
    tp = np.bincount(y_true[y_true == y_pred], minlength=C)
    n_pred, n_true = np.bincount(y_pred, minlength=C), np.bincount(y_true, minlength=C)
    fp, fn = n_pred - tp, n_true - tp
    present = (n_pred + n_true) > 0
    if average == "binary":
        classes = np.flatnonzero(present)
        if len(classes) > 2:
            raise ValueError(f"average='binary' needs labels of two classes, got {len(classes)} classes "
                             f"{classes.tolist()}; choose average='macro', 'micro', 'weighted' or None")
        if len(classes) == 2 and pos_label not in classes:
            raise ValueError(f"pos_label={pos_label} is not a valid label: it should be one of {classes.tolist()}")
        if pos_label >= C:  # the positive class never occurs: no positives, no predicted positives
            return 0.0, 0.0, 0.0
        tp, fp, fn = tp[pos_label], fp[pos_label], fn[pos_label]
        return tuple(float(v) for v in (_safe_div(tp, tp + fp), _safe_div(tp, tp + fn),
                                        _safe_div(2 * tp, 2 * tp + fp + fn)))
    if num_classes is None:  # keep only classes that occur somewhere
        tp, fp, fn = tp[present], fp[present], fn[present]
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    precision, recall = _safe_div(tp, tp + fp), _safe_div(tp, tp + fn)
    f1 = _safe_div(2 * tp, 2 * tp + fp + fn)
    if average == "micro":
        return float(precision), float(recall), float(f1)
    if average is None:
        return precision, recall, f1
    weights = (tp + fn) if average == "weighted" else np.ones_like(tp)
    if weights.sum() == 0:
        return 0.0, 0.0, 0.0
    return tuple(float(np.average(v, weights=weights)) for v in (precision, recall, f1))


def _binary_targets(y_true, n, name="y_true"):
    y = y_true
    try:
        if np.asarray(y_true).dtype == bool:
            y = np.asarray(y_true, dtype=np.int64)  # True is the positive class
    except (TypeError, ValueError):
        pass  # as_class_labels says what is wrong
    y = as_class_labels(y, name, 2, n=n)
    for label, word in ((1, "positive"), (0, "negative")):
        if not np.any(y == label):
            raise ValueError(f"{name} has no {word} example (label {label}); the ROC curve and its "
                             f"AUC are undefined without both classes")
    return y


def roc_curve(y_true, scores):
    """Receiver operating characteristic of a binary classifier.

    Parameters
    ----------
    y_true : array_like of {0, 1} or bool, shape (N,)
        Both classes must occur.
    scores : array_like, shape (N,)
        Higher means "more likely positive" (a probability or a logit).

    Returns
    -------
    fpr, tpr : ndarray, shape (T + 1,)
        False and true positive rates when predicting positive for
        ``scores >= thresholds[t]``.
    thresholds : ndarray, shape (T + 1,)
        The T distinct scores in decreasing order, preceded by ``inf``
        (nothing predicted positive).

    Notes
    -----
    Equal to ``sklearn.metrics.roc_curve(y_true, scores,
    drop_intermediate=False)``: every distinct score is a threshold (tied
    scores share one), no collinear point is dropped. Unlike scikit-learn,
    a missing class raises ``ValueError`` instead of warning and returning NaN.

    .. math::

        \\mathrm{TPR}(t) = \\frac{\\#\\{i : s_i \\ge t, y_i = 1\\}}{\\#\\{i : y_i = 1\\}},\\quad
        \\mathrm{FPR}(t) = \\frac{\\#\\{i : s_i \\ge t, y_i = 0\\}}{\\#\\{i : y_i = 0\\}}
    """
    s = as_float_array(scores, "scores", ndim=1)
    check_nonempty(s, "scores")
    y = _binary_targets(y_true, len(s))
    order = np.argsort(s, kind="stable")[::-1]
    s, y = s[order], y[order]
    # The last index of each group of tied scores: there the counts are complete.
    ends = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tps = np.cumsum(y)[ends]
    fps = (ends + 1) - tps
    tps, fps = np.r_[0, tps], np.r_[0, fps]
    thresholds = np.r_[np.inf, s[ends]]
    return fps / fps[-1], tps / tps[-1], thresholds


def _binary_auc(y_true, scores):
    fpr, tpr, _ = roc_curve(y_true, scores)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def roc_auc(y_true, scores, multi_class="ovr"):
    """Area under the ROC curve, binary or one-vs-rest.

    Parameters
    ----------
    y_true : array_like of int, shape (N,)
        0/1 for binary scores; class labels ``0..C-1`` for ``(N, C)`` scores,
        every class present.
    scores : array_like, shape (N,) or (N, C)
        Binary: the score of the positive class. Multi-class: one column per
        class (rows need not sum to 1, unlike in scikit-learn).
    multi_class : {"ovr"}
        One-vs-rest; the only scheme implemented.

    Returns
    -------
    float
        Binary: the area under :func:`roc_curve` by the trapezoidal rule.
        Multi-class: the unweighted mean over classes :math:`k` of the AUC of
        "class k vs the rest" with scores ``scores[:, k]`` (macro average),
        equal to ``sklearn.metrics.roc_auc_score(..., multi_class="ovr")``.

    Notes
    -----
    The binary AUC is the probability that a random positive scores higher
    than a random negative, ties counting one half:

    .. math::

        \\mathrm{AUC} = \\frac{1}{n_+ n_-}\\sum_{i: y_i=1}\\sum_{j: y_j=0}
        \\left([s_i > s_j] + \\tfrac12 [s_i = s_j]\\right)
    """
    if multi_class != "ovr":
        raise ValueError(f'multi_class must be "ovr" (one-vs-rest), got {multi_class!r}')
    s = as_float_array(scores, "scores", ndim=(1, 2))
    check_nonempty(s, "scores")
    if s.ndim == 1:
        return _binary_auc(y_true, s)
    n, C = s.shape
    if C < 2:
        raise ValueError(f"scores has shape {s.shape}; expected (N,) for binary or (N, C) with C >= 2")
    y = as_class_labels(y_true, "y_true", C, n=n)
    missing = np.setdiff1d(np.arange(C), y)
    if missing.size:
        raise ValueError(f"y_true has no example of class(es) {missing.tolist()} but scores has {C} columns; "
                         f"the one-vs-rest AUC of a missing class is undefined")
    return float(np.mean([_binary_auc((y == k).astype(np.int64), s[:, k]) for k in range(C)]))
