"""nnlib.metrics against scikit-learn: random data (with tied scores), labels of every integer dtype, bad inputs."""
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


# -- precision, recall and F1 of two-class labels: average="binary" -------------------------------
def _sk_binary(y_true, y_pred, **kw):
    """scikit-learn's precision_score, recall_score and f1_score, whose default is average="binary"."""
    return tuple(f(y_true, y_pred, zero_division=0, **kw) for f in (skm.precision_score, skm.recall_score,
                                                                    skm.f1_score))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("pos_label", [0, 1])
def test_binary_average_scores_the_positive_class_like_sklearn(seed, pos_label):
    y_true, y_pred = _labels(seed, n=40, C=2)
    expected = _sk_binary(y_true, y_pred, pos_label=pos_label)
    got = precision_recall_f1(y_true, y_pred, average="binary", pos_label=pos_label)
    assert all(type(g) is float for g in got)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("seed", SEEDS)
def test_default_average_on_two_class_labels_is_sklearns_binary_default(seed):
    y_true, y_pred = _labels(seed, n=40, C=2)
    np.testing.assert_allclose(precision_recall_f1(y_true, y_pred), _sk_binary(y_true, y_pred), rtol=1e-12, atol=0)
    np.testing.assert_allclose(precision_recall_f1(y_true, y_pred, num_classes=2), _sk_binary(y_true, y_pred),
                               rtol=1e-12, atol=0)
    # macro differs from binary here, so the default is not macro in disguise
    assert precision_recall_f1(y_true, y_pred) != precision_recall_f1(y_true, y_pred, average="macro")


@pytest.mark.parametrize("seed", SEEDS)
def test_default_average_on_more_classes_is_macro(seed):
    y_true, y_pred = _labels(seed, n=40, C=4)
    expected = skm.precision_recall_fscore_support(y_true, y_pred, average="macro", zero_division=0)[:3]
    np.testing.assert_allclose(precision_recall_f1(y_true, y_pred), expected, rtol=1e-12, atol=0)
    # two-class labels declared as part of a larger problem are averaged over all its classes
    y2, p2 = _labels(seed, n=40, C=2)
    expected = skm.precision_recall_fscore_support(y2, p2, labels=range(5), average="macro", zero_division=0)[:3]
    np.testing.assert_allclose(precision_recall_f1(y2, p2, num_classes=5), expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
def test_other_averages_of_two_class_labels_equal_sklearn(seed, average):
    y_true, y_pred = _labels(seed, n=40, C=2)
    expected = skm.precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)[:3]
    for g, e in zip(precision_recall_f1(y_true, y_pred, average=average), expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=0)


@pytest.mark.parametrize("y_true, y_pred, pos_label", [
    ([0, 0, 0], [0, 0, 0], 1),        # no positive anywhere: 0/0 -> 0
    ([1, 1, 1], [1, 1, 1], 1),        # one class only, and it is the positive one
    ([1, 1, 1], [1, 1, 1], 0),
    ([0, 0, 1, 1], [0, 1, 1, 1], 0),
    ([0, 2, 2, 0], [0, 2, 0, 0], 2),  # two classes, not numbered 0 and 1
    ([0, 0, 0], [0, 0, 0], 3),        # a positive class that never occurs
])
def test_binary_average_edge_cases_equal_sklearn(y_true, y_pred, pos_label):
    expected = _sk_binary(y_true, y_pred, pos_label=pos_label)
    got = precision_recall_f1(y_true, y_pred, average="binary", pos_label=pos_label)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


def test_binary_average_refuses_more_than_two_classes_like_sklearn():
    y_true, y_pred = [0, 1, 2, 1], [0, 1, 1, 2]
    with pytest.raises(ValueError, match="multiclass"):
        skm.precision_score(y_true, y_pred)
    with pytest.raises(ValueError, match=r"average='binary' needs labels of two classes, got 3 classes \[0, 1, 2\]; "
                                         r"choose average='macro'"):
        precision_recall_f1(y_true, y_pred, average="binary")


def test_binary_average_refuses_a_positive_label_absent_from_two_classes_like_sklearn():
    y_true, y_pred = [0, 2, 2], [0, 2, 0]
    with pytest.raises(ValueError, match="pos_label=1 is not a valid label"):
        skm.precision_score(y_true, y_pred)
    with pytest.raises(ValueError, match=r"pos_label=1 is not a valid label: it should be one of \[0, 2\]"):
        precision_recall_f1(y_true, y_pred, average="binary")
    # the default reads labels {0, 2} as classes 0..2 (class 1 absent), so it averages over the classes present
    expected = skm.precision_recall_fscore_support(y_true, y_pred, average="macro", zero_division=0)[:3]
    assert precision_recall_f1(y_true, y_pred) == pytest.approx(expected, rel=1e-12)


def test_pos_label_is_refused_where_it_would_be_ignored_and_checked():
    with pytest.raises(ValueError, match="pos_label=0 is used only with average='binary', got average='macro'"):
        precision_recall_f1([0, 1, 1], [0, 1, 0], average="macro", pos_label=0)
    with pytest.raises(ValueError, match="pos_label=0 is used only with average='binary'"):
        precision_recall_f1([0, 1, 2], [0, 1, 0], pos_label=0)  # default on three classes: macro
    with pytest.raises(ValueError, match="pos_label must be >= 0"):
        precision_recall_f1([0, 1, 1], [0, 1, 0], average="binary", pos_label=-1)
    with pytest.raises(ValueError, match=r"pos_label=2 is not a class: num_classes=2 means classes 0 \.\. 1"):
        precision_recall_f1([0, 1, 1], [0, 1, 0], average="binary", pos_label=2, num_classes=2)
    with pytest.raises(TypeError, match="pos_label must be an integer"):
        precision_recall_f1([0, 1, 1], [0, 1, 0], average="binary", pos_label=1.0)


# -- labels of every integer dtype ------------------------------------------------------------------
INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
DTYPE_IDS = [np.dtype(d).name for d in INT_DTYPES]


def _seventeen_classes(seed=0, n=120):
    """Labels 0..16, every class present: C * y_true + y_pred reaches 288, past int8 and uint8."""
    rng = np.random.default_rng(seed)
    y_true = np.r_[np.arange(17), rng.integers(0, 17, n - 17)]
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, 17, n))
    return y_true, y_pred


def _dtype_pairs(dtype):
    """(y_true, y_pred) with the narrow dtype on either side or both, the other side int64."""
    y_true, y_pred = _seventeen_classes()
    return [(y_true.astype(dtype), y_pred), (y_true, y_pred.astype(dtype)),
            (y_true.astype(dtype), y_pred.astype(dtype))]


def test_the_issue_example_uint8_confusion_matrix_counts_all_seventeen_hits():
    assert confusion_matrix(np.arange(17, dtype=np.uint8), np.arange(17)).trace() == 17


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=DTYPE_IDS)
def test_accuracy_and_confusion_matrix_of_every_integer_dtype_equal_sklearn(dtype):
    for y_true, y_pred in _dtype_pairs(dtype):
        expected = skm.confusion_matrix(y_true.astype(np.int64), y_pred.astype(np.int64), labels=range(17))
        M = confusion_matrix(y_true, y_pred)
        assert M.dtype == np.int64 and M.trace() == np.sum(y_true.astype(np.int64) == y_pred)
        np.testing.assert_array_equal(M, expected, err_msg=f"{y_true.dtype} vs {y_pred.dtype}")
        np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, num_classes=20),
                                      skm.confusion_matrix(y_true, y_pred, labels=range(20)))
        assert accuracy(y_true, y_pred) == skm.accuracy_score(y_true, y_pred)


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
def test_precision_recall_f1_of_every_integer_dtype_equal_sklearn(dtype, average):
    for y_true, y_pred in _dtype_pairs(dtype):
        expected = skm.precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)[:3]
        for g, e in zip(precision_recall_f1(y_true, y_pred, average=average), expected):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=0, err_msg=f"{y_true.dtype} vs {y_pred.dtype}")


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=DTYPE_IDS)
def test_binary_precision_recall_f1_of_every_integer_dtype_equal_sklearn(dtype):
    y_true, y_pred = _labels(0, n=40, C=2)
    for a, b in [(y_true.astype(dtype), y_pred), (y_true, y_pred.astype(dtype))]:
        np.testing.assert_allclose(precision_recall_f1(a, b), _sk_binary(a, b), rtol=1e-12, atol=0)


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=DTYPE_IDS)
def test_roc_curve_and_auc_of_every_integer_dtype_equal_sklearn(dtype):
    y, s = _binary_scores(1)
    fpr, tpr, thr = roc_curve(y.astype(dtype), s)
    e_fpr, e_tpr, e_thr = skm.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_array_equal(thr, e_thr)
    np.testing.assert_allclose(np.c_[fpr, tpr], np.c_[e_fpr, e_tpr], rtol=1e-15, atol=0)
    assert roc_auc(y.astype(dtype), s) == pytest.approx(skm.roc_auc_score(y, s), rel=1e-12)
    y_true, _ = _seventeen_classes()
    P = np.random.default_rng(2).dirichlet(np.ones(17), size=len(y_true))
    assert roc_auc(y_true.astype(dtype), P) == pytest.approx(
        skm.roc_auc_score(y_true, P, multi_class="ovr", average="macro"), rel=1e-12)


def test_labels_stored_as_whole_floats_count_like_integers():
    y_true, y_pred = _seventeen_classes()
    np.testing.assert_array_equal(confusion_matrix(y_true.astype(np.float32), y_pred.astype(float)),
                                  confusion_matrix(y_true, y_pred))


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


@pytest.mark.parametrize("labels, error, message", [
    (np.array([0, -1, 2], dtype=np.int8), ValueError, "y_true holds the label -1, expected labels >= 0"),
    (np.array([0, 2**63, 1], dtype=np.uint64), ValueError, "too large for int64"),
    (np.array([0.0, 1.5, 2.0]), TypeError, "non-integer value 1.5"),
    (np.array([0.0, np.nan, 2.0]), TypeError, "non-integer value nan"),
    (np.array([1e30, 0.0, 1.0]), ValueError, "too large for int64"),
    (np.array([True, False, True]), TypeError, r"dtype bool; convert with y_true.astype\(int\)"),
    (np.array(["0", "1", "1"]), TypeError, "integer class labels, got dtype <U1"),
    ([[0], [1, 2], [1]], TypeError, "y_true must be a 1-d array of integer class labels"),
])
def test_labels_that_are_not_class_numbers_are_refused_by_every_label_metric(labels, error, message):
    for fn in (accuracy, confusion_matrix, precision_recall_f1):
        with pytest.raises(error, match=message):
            fn(labels, np.array([0, 1, 2]))


def test_a_stray_huge_label_is_refused_before_building_a_huge_confusion_matrix():
    with pytest.raises(ValueError, match=r"largest label is 1000000, so C = 1000001 classes.*np.unique"):
        confusion_matrix([0, 1, 1_000_000], [0, 1, 1])
    assert precision_recall_f1([0, 1, 1_000_000], [0, 1, 1], average="micro") == pytest.approx((2 / 3,) * 3)


@pytest.mark.parametrize("y", [[1, 1, 1], [0, 0, 0]])
def test_binary_auc_with_a_missing_class_is_refused(y):
    with pytest.raises(ValueError, match="no (positive|negative) example"):
        roc_auc(y, [0.1, 0.5, 0.9])


def test_one_vs_rest_auc_with_a_missing_class_is_refused():
    with pytest.raises(ValueError, match=r"no example of class\(es\) \[2\]"):
        roc_auc([0, 1, 0, 1], np.full((4, 3), 1 / 3))


def test_unknown_options_are_refused():
    with pytest.raises(ValueError, match="average must be"):
        precision_recall_f1([0, 1], [0, 1], average="samples")
    with pytest.raises(ValueError, match="multi_class"):
        roc_auc([0, 1, 2], np.eye(3), multi_class="ovo")


def test_nonfinite_scores_are_refused():
    with pytest.raises(ValueError, match="scores contains NaN"):
        roc_auc([0, 1], [0.5, np.nan])
