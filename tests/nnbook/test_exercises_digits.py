"""The digit classifier chapter's exercises: references pass, starters are "not attempted", wrong answers fail."""
import numpy as np
import pytest

from nnlib import metrics
from nnbook.exercises import all_exercises, check, exercise
from nnbook.exercises.checking import unchanged_bug
from nnbook.exercises.solutions import digits as ref

IDS = [ex.id for ex in all_exercises("digits")]


def _confusion_fancy_index(y_true, y_pred, num_classes):
    M = np.zeros((num_classes, num_classes), dtype=np.int64)
    M[y_true, y_pred] += 1  # repeated (i, j) pairs are counted once
    return M


def _precision_recall(axis_p=0, axis_r=1, zero=True, order="pr"):
    def precision_recall(M):
        tp = np.diag(M).astype(np.float64)
        dp, dr = M.sum(axis=axis_p), M.sum(axis=axis_r)
        if zero:
            p = np.divide(tp, dp, out=np.zeros_like(tp), where=dp != 0)
            r = np.divide(tp, dr, out=np.zeros_like(tp), where=dr != 0)
        else:
            with np.errstate(all="ignore"):
                p, r = tp / dp, tp / dr
        return np.stack([p, r] if order == "pr" else [r, p])
    return precision_recall


def _f1(mean):
    def f1_scores(M):
        tp = np.diag(M)
        p, r = tp / M.sum(axis=0), tp / M.sum(axis=1)
        return {"geometric": np.sqrt(p * r), "min": np.minimum(p, r),
                "precision only": p,
                "squared": 2 * p * r / (p + r) ** 2}[mean]
    return f1_scores


WRONG_ANSWERS = {
    "digits.ex1": [
        ("a count, not a fraction", lambda y, p: int(np.sum(y == p))),
        ("a percentage", lambda y, p: float(100 * np.mean(y == p))),
        ("the error rate", lambda y, p: float(np.mean(y != p))),
        ("an array of booleans", lambda y, p: y == p),
        ("off by one: divides by N + 1", lambda y, p: float(np.sum(y == p) / (len(y) + 1))),
    ],
    "digits.ex2": [
        ("transposed: rows are predictions", lambda y, p, C: ref.confusion_matrix(p, y, C)),
        ("fancy-index += counts repeated pairs once", _confusion_fancy_index),
        ("size from the labels seen, not num_classes",
         lambda y, p, C: ref.confusion_matrix(y, p, int(max(y.max(), p.max())) + 1)),
        ("float counts", lambda y, p, C: ref.confusion_matrix(y, p, C).astype(np.float64)),
        ("off by one: one class too many", lambda y, p, C: ref.confusion_matrix(y, p, C + 1)),
    ],
    "digits.ex3": [
        ("wrong axis: precision from row sums", _precision_recall(axis_p=1, axis_r=0)),
        ("precision and recall swapped", _precision_recall(order="rp")),
        ("nan for a class never predicted", _precision_recall(zero=False)),
        ("a tuple instead of a (2, C) array", lambda M: tuple(ref.precision_recall(M))),
        ("transposed: shape (C, 2)", lambda M: ref.precision_recall(M).T),
    ],
    "digits.ex4": [
        ("weights only", 1440), ("the 784-input network", 13002), ("biases only", 42),
        ("forgot the output biases", 1472), ("a string", "1482"),
    ],
    "digits.ex5": [("L2", "a"), ("dropout", "b"), ("early stopping", "(c)"), ("not an option", "e")],
    "digits.ex6": [
        ("geometric mean", _f1("geometric")),
        ("the smaller of P and R", _f1("min")),
        ("precision only", _f1("precision only")),
        ("squared denominator", _f1("squared")),
        ("wrong sign", lambda M: -ref.f1_scores(M)),
    ],
    "digits.ex7": [("memorised perfectly", "a"), ("a coin flip", "b"), ("never right", "d"), ("a number", 0.1)],
}


def test_the_chapter_has_seven_exercises_of_all_four_kinds():
    assert IDS == [f"digits.ex{i}" for i in range(1, 8)]
    assert {exercise(i).kind for i in IDS} == {"function", "value", "choice", "bug"}


def test_references_agree_with_nnlib_metrics_and_sklearn():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 80)
    pred = np.where(rng.random(80) < 0.6, y, rng.integers(0, 5, 80))
    assert ref.accuracy(y, pred) == metrics.accuracy(y, pred) == skm.accuracy_score(y, pred)
    M = ref.confusion_matrix(y, pred, 5)
    np.testing.assert_array_equal(M, metrics.confusion_matrix(y, pred, num_classes=5))
    np.testing.assert_array_equal(M, skm.confusion_matrix(y, pred, labels=range(5)))
    P, R, F = metrics.precision_recall_f1(y, pred, average=None, num_classes=5)
    np.testing.assert_allclose(ref.precision_recall(M), np.stack([P, R]), rtol=1e-15)
    np.testing.assert_allclose(ref.f1_scores(M), F, rtol=1e-14)
    np.testing.assert_allclose(ref.f1_scores(M), skm.f1_score(y, pred, average=None), rtol=1e-14)


def test_the_buggy_f1_is_recognised_and_flatters_a_class_with_tiny_recall():
    ex = exercise("digits.ex6")
    ns = {"np": np}
    exec(ex.buggy, ns)
    buggy = ns["f1_scores"]
    assert unchanged_bug(ex, buggy)
    assert check("digits.ex6", buggy).status == "not_attempted"
    M = np.array([[50, 1, 0], [30, 2, 1], [0, 0, 9]])
    assert buggy(M)[1] > 0.35 > 3 * ref.f1_scores(M)[1]   # arithmetic mean ~0.36, F1 ~0.11


def test_the_parameter_count_answer_is_nnlibs_count():
    from nnbook.sizes import count_parameters
    assert ref.n_params() == sum(count_parameters([64, 16, 16, 10])) == 1482


@pytest.mark.parametrize("answer", [1482, 1482.0, np.int64(1482), np.int32(1482), np.float32(1482.0)])
def test_the_parameter_count_check_accepts_the_exact_count_in_any_numeric_type(answer):
    """digits.ex4 asks for the exact whole number; every numeric type holding it passes."""
    assert "exact" in exercise("digits.ex4").statement
    assert check("digits.ex4", answer).status == "correct"


@pytest.mark.parametrize("answer", [1482.5, 1481.999, 1483])
def test_the_parameter_count_check_refuses_anything_but_the_count(answer):
    assert check("digits.ex4", answer).status != "correct"


def _accuracy_by_count(y_true, y_pred):
    return int(np.count_nonzero(y_true == y_pred)) / len(y_true)


def _precision_recall_other_forms(M):
    M = M.astype(np.float64)
    tp = np.diag(M)
    fp, fn = M.sum(axis=0) - tp, M.sum(axis=1) - tp
    with np.errstate(all="ignore"):
        p = np.where(tp + fp > 0, 1.0 / (1.0 + fp / np.where(tp > 0, tp, 1.0)), 0.0)
        r = np.where(tp + fn > 0, 1.0 / (1.0 + fn / np.where(tp > 0, tp, 1.0)), 0.0)
    p[tp == 0] = 0.0
    r[tp == 0] = 0.0
    return np.stack([p, r])


def _f1_from_counts(M):
    tp = np.diag(M).astype(np.float64)
    return 2 * tp / (2 * tp + (M.sum(axis=0) - tp) + (M.sum(axis=1) - tp))


@pytest.mark.parametrize("ex_id, answer", [
    ("digits.ex1", _accuracy_by_count),
    ("digits.ex3", _precision_recall_other_forms),
    ("digits.ex6", _f1_from_counts),
])
def test_other_correct_float64_forms_meet_the_stated_precision(ex_id, answer):
    """The statements promise 12 significant digits; a different but correct float64 formula passes."""
    assert "10^{-12}" in exercise(ex_id).statement
    assert check(ex_id, answer).status == "correct"
