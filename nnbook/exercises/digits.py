"""Exercises of the chapter "A digit classifier end to end" (``digits.ex1`` ... ``digits.ex7``).

Reference solutions are in ``solutions/digits.py``; wrong answers are tested
in ``tests/nnbook/test_exercises_digits.py``.
"""
import numpy as np

from .core import Case, Exercise, register

__all__ = []


def _labels(rng, n, C, p_correct=0.7):
    """True labels with every class present, and predictions right with probability ``p_correct``."""
    y = np.concatenate([np.arange(C), rng.integers(0, C, n - C)])
    rng.shuffle(y)
    pred = np.where(rng.random(n) < p_correct, y, rng.integers(0, C, n))
    return y.astype(np.int64), pred.astype(np.int64)


def _ex1_cases(rng):
    y, pred = _labels(rng, 50, 10)
    y2, _ = _labels(rng, 20, 3)
    return [
        Case("50 digits", (y, pred)),
        Case("all correct", (y2, y2.copy())),
        Case("none correct", (y2, (y2 + 1) % 3)),
        Case("a single example", (np.array([7]), np.array([7]))),
        Case("int32 labels", (y.astype(np.int32), pred.astype(np.int32))),
    ]


register(Exercise(
    id="digits.ex1", forbids=('nnlib.metrics.accuracy',), kind="function", title="Accuracy", answer_name="accuracy", output="scalar",
    cases=_ex1_cases, rtol=1e-12, atol=0.0,
    statement=r"""
Write `accuracy(y_true, y_pred)` returning the fraction of correct predictions,
$\frac1N \sum_n [\hat y_n = y_n]$, as **one number** between 0 and 1 (a float,
not a count and not a percentage).

- `y_true`, `y_pred`: integer arrays of shape `(N,)` (class labels, not scores).

The check accepts any value within a relative $10^{-12}$ of the exact fraction (12
significant digits), which every float64 computation of it meets.
""",
    hints=(
        "Compare the two arrays element by element: `y_true == y_pred` is an array of booleans.",
        "The mean of a boolean array is the fraction of True values.",
        "`return float(np.mean(y_true == y_pred))`.",
    ),
))


def _ex2_cases(rng):
    y, pred = _labels(rng, 40, 4)
    y3, pred3 = _labels(rng, 30, 3)
    pred3[pred3 == 2] = 0  # class 2 is never predicted: an empty column
    y5, pred5 = _labels(rng, 25, 4)
    return [
        Case("4 classes", (y, pred, 4)),
        Case("a class never predicted", (y3, pred3, 3)),
        Case("num_classes larger than the labels seen", (y5, pred5, 6)),
        Case("a single example", (np.array([2]), np.array([0]), 3)),
    ]


register(Exercise(
    id="digits.ex2", forbids=('nnlib.metrics.confusion_matrix',), kind="function", title="The confusion matrix", answer_name="confusion_matrix",
    cases=_ex2_cases, rtol=0.0, atol=0.0,
    statement=r"""
Write `confusion_matrix(y_true, y_pred, num_classes)` returning the $C \times C$ matrix
$M$ with $M_{ij}$ = the number of examples of **true** class $i$ **predicted** as class $j$
(rows are the truth, as in scikit-learn and `nnlib.metrics`).

- `y_true`, `y_pred`: integer arrays of shape `(N,)` with labels in `0 .. num_classes - 1`;
- return an `int64` array of shape `(num_classes, num_classes)`, also when some class
  never occurs.
""",
    hints=(
        "Start from `M = np.zeros((num_classes, num_classes), dtype=np.int64)` and add 1 for every example.",
        "A loop `for t, p in zip(y_true, y_pred): M[t, p] += 1` is correct. Check which index is the row.",
        "Without a loop: `np.add.at(M, (y_true, y_pred), 1)`. `M[y_true, y_pred] += 1` is wrong: repeated "
        "index pairs are counted only once.",
    ),
))


def _confusion(rng, C, n, never_predicted=None):
    y, pred = _labels(rng, n, C)
    if never_predicted is not None:
        pred[pred == never_predicted] = (never_predicted + 1) % C
    M = np.zeros((C, C), dtype=np.int64)
    np.add.at(M, (y, pred), 1)
    return M


def _ex3_cases(rng):
    return [
        Case("10 classes", (_confusion(rng, 10, 200),)),
        Case("3 classes", (_confusion(rng, 3, 30),)),
        Case("a class never predicted (precision 0/0)", (_confusion(rng, 4, 40, never_predicted=1),)),
        Case("perfect classifier", (np.diag(rng.integers(1, 9, 5)).astype(np.int64),)),
    ]


register(Exercise(
    id="digits.ex3", forbids=('nnlib.metrics.precision_recall_f1',), kind="function", title="Precision and recall from a confusion matrix",
    answer_name="precision_recall", cases=_ex3_cases, rtol=1e-12, atol=0.0,
    setup="import numpy as np",
    statement=r"""
Write `precision_recall(M)` that takes a confusion matrix `M` of shape `(C, C)` (rows:
true class, columns: predicted class) and returns an array of shape `(2, C)`: row 0
holds the precision and row 1 the recall of every class,

$$P_k = \frac{TP_k}{TP_k + FP_k}, \qquad R_k = \frac{TP_k}{TP_k + FN_k}.$$

Where a denominator is 0 (a class that is never predicted has no precision), use 0,
as scikit-learn does with `zero_division=0`. Return float64; each entry is checked to a
relative $10^{-12}$ (12 significant digits).
""",
    hints=(
        "TP_k is on the diagonal. Everything predicted as k is column k; everything that truly is k is row k.",
        "TP + FP = M.sum(axis=0) (column sums); TP + FN = M.sum(axis=1) (row sums).",
        "`np.divide(tp, den, out=np.zeros(len(tp)), where=den != 0)` divides safely; then "
        "`np.stack([precision, recall])`.",
    ),
))


register(Exercise(
    id="digits.ex4", kind="value", title="Parameters of the 64-input network", answer_name="n_params",
    reference="n_params", rtol=0.0, atol=0.0,
    statement="""
The chapter trains the network 64-16-16-10 on 8 × 8 digits: 64 inputs, two hidden layers
of 16 units and 10 outputs, fully connected, every unit with a bias. How many parameters
(weights **and** biases) does it have? Set `n_params` to that number.

A count is exact: the check wants the whole number itself (an `int`, or a float with
nothing after the point), not a rounded or approximate value.
""",
    hints=(
        "Count layer by layer: a layer from D_in to D_out units has D_in × D_out weights and D_out biases.",
        "64·16 + 16·16 + 16·10 weights, and one bias per hidden or output unit (16 + 16 + 10).",
    ),
))


register(Exercise(
    id="digits.ex5", kind="choice", title="Which is not a remedy for overfitting?",
    answer_name="not_a_remedy", reference="not_a_remedy",
    options={
        "a": "adding an L2 penalty on the weights (weight decay)",
        "b": "dropout in the hidden layers",
        "c": "stopping when the validation loss stops improving (early stopping)",
        "d": "replacing the inputs by their two-dimensional t-SNE embedding",
    },
    statement="""
A network with 26,000 parameters reaches 100 % training accuracy on 100 digits and
much less on held-out digits. One of these is **not** a way to reduce that overfitting.
Set `not_a_remedy` to its letter.
""",
    hints=(
        "Three of them limit how closely the network can fit the training set. What does the fourth do to a "
        "new test image?",
        "t-SNE places the points it is given; it has no transform for an image it has not seen, and it "
        "constrains nothing about the network.",
    ),
))


_BUGGY_F1 = '''
def f1_scores(M):
    """Per-class F1 scores from a confusion matrix M (rows: true, columns: predicted)."""
    tp = np.diag(M)
    precision = tp / M.sum(axis=0)
    recall = tp / M.sum(axis=1)
    return (precision + recall) / 2
'''


def _ex6_cases(rng):
    def matrix(C, n_off, dtype=np.int64):
        M = rng.integers(0, n_off, size=(C, C)) + np.diag(rng.integers(5, 40, C))
        return M.astype(dtype)
    return [
        Case("10 classes", (matrix(10, 6),)),
        Case("2 classes", (matrix(2, 15),)),
        Case("a very unbalanced class", (np.array([[50, 1, 0], [30, 2, 1], [0, 0, 9]]),)),
        Case("perfect classifier", (np.diag(rng.integers(1, 9, 4)).astype(np.int64),)),
    ]


register(Exercise(
    id="digits.ex6", forbids=('nnlib.metrics.precision_recall_f1',), kind="bug", title="An F1 score that is too kind", answer_name="f1_scores",
    cases=_ex6_cases, buggy=_BUGGY_F1, rtol=1e-12, atol=0.0,
    statement=r"""
The F1 score of a class combines its precision $P$ and recall $R$. This function, which
every class in the tests predicts at least once, has one bug: it gives a class that is
almost never found (tiny recall) a respectable score. Fix it so that it returns the
per-class F1 scores, shape `(C,)`, float64, each within a relative $10^{-12}$ of the
exact value (any float64 form of the formula meets that).
""",
    hints=(
        "F1 is not the arithmetic mean of P and R. Which mean is it?",
        "The harmonic mean: 1/F = (1/P + 1/R) / 2. It stays small when either P or R is small.",
        "`return 2 * precision * recall / (precision + recall)`.",
    ),
))


register(Exercise(
    id="digits.ex7", kind="choice", title="Memorised random labels", answer_name="test_accuracy",
    reference="random_label_test_accuracy",
    options={"a": "about 100 %", "b": "about 50 %", "c": "about 10 %", "d": "exactly 0 %"},
    statement="""
The labels of 300 training digits (ten classes, thirty of each) are shuffled at random and
a large network is trained on them until it reaches 100 % training accuracy. What accuracy
do you expect on test digits with their **true** labels? Set `test_accuracy` to the letter.
""",
    hints=(
        "What did the network learn about the relation between an image and its true label?",
        "Nothing: its answers on new images are unrelated to their true labels, so it is right as often as a "
        "guess among ten classes.",
    ),
))
