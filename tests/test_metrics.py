"""nnlib.metrics against scikit-learn on random data (with tied scores), and bad inputs."""
import itertools

import numpy as np
import pytest

from nnlib.metrics import accuracy, confusion_matrix, precision_recall_f1, roc_auc, roc_curve

skm = pytest.importorskip("sklearn.metrics")

SEEDS = [0, 1, 2, 3, 4]


def _labels(seed, n=60, C=4):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, C, n)
    y_pred = np.where(rng.random(n) < 0.5, y_true, rng.integers(0, C, n))
    return y_true, y_pred


@pytest.mark.parametrize("seed", SEEDS)
def test_accuracy_equals_sklearn(seed):
    y_true, y_pred = _labels(seed)
    assert accuracy(y_true, y_pred) == skm.accuracy_score(y_true, y_pred)


@pytest.mark.parametrize("seed", SEEDS)
def test_confusion_matrix_equals_sklearn_with_rows_as_truth(seed):
    y_true, y_pred = _labels(seed)
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, num_classes=6),
                                  skm.confusion_matrix(y_true, y_pred, labels=range(6)))
    C = max(y_true.max(), y_pred.max()) + 1
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred),
                                  skm.confusion_matrix(y_true, y_pred, labels=range(C)))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
def test_precision_recall_f1_equals_sklearn_with_zero_division_0(seed, average):
    y_true, y_pred = _labels(seed, n=30, C=5)
    y_pred[y_pred == 3] = 4  # class 3 never predicted: precision 0/0 -> 0
    expected = skm.precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)[:3]
    got = precision_recall_f1(y_true, y_pred, average=average)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=0)


@pytest.mark.parametrize("average", ["macro", "weighted", None])
def test_precision_recall_f1_with_num_classes_counts_absent_classes_like_sklearn_labels(average):
    y_true, y_pred = np.array([0, 1, 1, 2, 0]), np.array([0, 1, 2, 2, 1])
    expected = skm.precision_recall_fscore_support(y_true, y_pred, labels=range(5), average=average,
                                                   zero_division=0)[:3]
    got = precision_recall_f1(y_true, y_pred, average=average, num_classes=5)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=0)


def _binary_scores(seed, n=80, ties=True):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = rng.standard_normal(n) + y
    if ties:
        s = np.round(s * 2) / 2  # only a few distinct values: many ties
    return y, s


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("ties", [True, False])
def test_roc_curve_equals_sklearn_without_dropping_intermediate_points(seed, ties):
    y, s = _binary_scores(seed, ties=ties)
    fpr, tpr, thr = roc_curve(y, s)
    e_fpr, e_tpr, e_thr = skm.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_array_equal(thr, e_thr)
    np.testing.assert_allclose(fpr, e_fpr, rtol=1e-15, atol=0)
    np.testing.assert_allclose(tpr, e_tpr, rtol=1e-15, atol=0)
    if ties:
        assert len(thr) < len(s) + 1  # tied scores share a threshold


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_roc_auc_equals_sklearn_with_ties(seed):
    y, s = _binary_scores(seed)
    assert roc_auc(y, s) == pytest.approx(skm.roc_auc_score(y, s), rel=1e-12)


def test_binary_roc_auc_equals_the_pairwise_probability_with_half_credit_for_ties():
    y, s = _binary_scores(7, n=40)
    pos, neg = s[y == 1], s[y == 0]
    pairs = [(p > q) + 0.5 * (p == q) for p, q in itertools.product(pos, neg)]
    assert roc_auc(y, s) == pytest.approx(np.mean(pairs), rel=1e-12)


def test_roc_auc_accepts_boolean_targets():
    y, s = _binary_scores(3)
    assert roc_auc(y.astype(bool), s) == roc_auc(y, s)


@pytest.mark.parametrize("seed", SEEDS)
def test_one_vs_rest_roc_auc_equals_sklearn_macro(seed):
    rng = np.random.default_rng(seed)
    n, C = 90, 4
    y = np.r_[np.arange(C), rng.integers(0, C, n - C)]
    # probability rows drawn from a few fixed vectors, so scores tie a lot
    palette = rng.dirichlet(np.ones(C), size=6)
    P = palette[np.where(rng.random(n) < 0.4, y % 6, rng.integers(0, 6, n))]
    expected = skm.roc_auc_score(y, P, multi_class="ovr", average="macro")
    assert roc_auc(y, P) == pytest.approx(expected, rel=1e-12)


def test_one_vs_rest_roc_auc_does_not_need_rows_summing_to_one():
    rng = np.random.default_rng(0)
    y = np.r_[0, 1, 2, rng.integers(0, 3, 30)]
    logits = rng.standard_normal((33, 3))  # raw logits: rows do not sum to 1
    per_class = [roc_auc((y == k).astype(int), logits[:, k]) for k in range(3)]
    assert roc_auc(y, logits) == pytest.approx(np.mean(per_class), rel=1e-14)


# -- bad inputs -------------------------------------------------------------------
def test_length_mismatch_is_refused():
    with pytest.raises(ValueError, match="y_pred has 3 labels, expected 4"):
        accuracy([0, 1, 1, 0], [0, 1, 1])
    with pytest.raises(ValueError, match="y_true has 3 labels, expected 4"):
        roc_curve([0, 1, 1], [0.1, 0.2, 0.3, 0.4])


def test_labels_out_of_range_are_refused():
    with pytest.raises(ValueError, match=r"y_pred holds labels from 0 to 3, expected labels in \[0, 2\]"):
        confusion_matrix([0, 1, 2], [0, 1, 3], num_classes=3)
    with pytest.raises(ValueError, match="label -1"):
        accuracy([0, -1], [0, 1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        roc_curve([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"expected labels in \[0, 2\]"):
        roc_auc([0, 1, 3], np.eye(3))


def test_scores_instead_of_labels_are_refused_with_a_hint():
    with pytest.raises(ValueError, match="argmax"):
        accuracy([0, 1], np.eye(2))


@pytest.mark.parametrize("y", [[1, 1, 1], [0, 0, 0]])
def test_binary_auc_with_a_missing_class_is_refused(y):
    with pytest.raises(ValueError, match="no (positive|negative) example"):
        roc_auc(y, [0.1, 0.5, 0.9])


def test_one_vs_rest_auc_with_a_missing_class_is_refused():
    with pytest.raises(ValueError, match=r"no example of class\(es\) \[2\]"):
        roc_auc([0, 1, 0, 1], np.full((4, 3), 1 / 3))


def test_unknown_options_are_refused():
    with pytest.raises(ValueError, match="average"):
        precision_recall_f1([0, 1], [0, 1], average="binary")
    with pytest.raises(ValueError, match="multi_class"):
        roc_auc([0, 1, 2], np.eye(3), multi_class="ovo")


def test_nonfinite_scores_are_refused():
    with pytest.raises(ValueError, match="scores contains NaN"):
        roc_auc([0, 1], [0.5, np.nan])
