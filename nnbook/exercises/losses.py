"""Exercises of the chapter "Loss functions" (``losses.ex1`` ... ``losses.ex6``).

Reference solutions are in ``solutions/losses.py``; wrong answers that must
fail are in ``tests/nnbook/test_exercises_losses.py``.
"""
import numpy as np

from .core import Case, Exercise, random_normal, register

__all__ = []


def _labels(rng, n, n_classes):
    return rng.integers(0, n_classes, size=n)


# -- ex1: mean squared error, with the shapes a data set really has ------------------------

def _ex1_cases(rng):
    return [
        Case("outputs (8, 1), targets (8,)", (random_normal(rng, 8, 1), random_normal(rng, 8))),
        Case("outputs (5, 1), targets (5, 1)", (random_normal(rng, 5, 1), random_normal(rng, 5, 1))),
        Case("large values", (random_normal(rng, 6, 1, scale=1e3), random_normal(rng, 6, scale=1e3))),
        Case("batch of one", (random_normal(rng, 1, 1), random_normal(rng, 1))),
        Case("float32", (random_normal(rng, 7, 1, dtype=np.float32), random_normal(rng, 7, dtype=np.float32))),
    ]


register(Exercise(
    id="losses.ex1", forbids=('nnlib.losses.mse',), kind="function", title="Mean squared error, shapes and all",
    answer_name="mse", output="scalar", cases=_ex1_cases,
    statement=r"""
Write `mse(y_pred, y_true)` returning the mean squared error
$\frac1N \sum_{n=1}^{N} (\hat y_n - y_n)^2$ of a network with one output unit.

- `y_pred`: the network's outputs, shape `(N, 1)`;
- `y_true`: the targets, shape `(N,)` as a data set usually stores them, or `(N, 1)`;
- return **one number** (a float or a numpy scalar).

Careful: `y_pred - y_true` with shapes `(N, 1)` and `(N,)` does not fail. numpy
broadcasts it to an `(N, N)` matrix of every output minus every target, and the
mean of that is a wrong number. The check accepts a relative error of up to
$10^{-7}$ ($10^{-5}$ for float32 inputs).
""",
    hints=(
        "Make the two arrays the same shape before subtracting.",
        "`y_true = np.reshape(y_true, y_pred.shape)` turns (N,) into (N, 1); it raises "
        "an error if the sizes do not match, which is what you want.",
        "Then `np.mean((y_pred - y_true) ** 2)`: the mean over all N entries.",
    ),
))


# -- ex2: a cross-entropy that survives large logits ---------------------------------------

def _ex2_cases(rng):
    return [
        Case("normal", (random_normal(rng, 6, 4), _labels(rng, 6, 4))),
        Case("large logits (±1000)", (random_normal(rng, 8, 5, scale=1000), _labels(rng, 8, 5))),
        Case("two classes", (random_normal(rng, 5, 2, scale=3), _labels(rng, 5, 2))),
        Case("batch of one", (random_normal(rng, 1, 3), _labels(rng, 1, 3))),
        Case("float32", (random_normal(rng, 6, 10, scale=30, dtype=np.float32), _labels(rng, 6, 10))),
    ]


register(Exercise(
    id="losses.ex2", forbids=('nnlib.losses.cross_entropy',), kind="function", title="Cross-entropy from logits, stably",
    answer_name="cross_entropy", output="scalar", cases=_ex2_cases, rtol32=1e-4,
    statement=r"""
Write `cross_entropy(logits, targets)` returning the mean cross-entropy of
$\operatorname{softmax}(z_n)$ against the true classes:

$$
L = -\frac1N \sum_{n=1}^{N} \log \operatorname{softmax}(z_n)_{t_n}.
$$

- `logits`: shape `(N, C)`, one row of raw scores per example;
- `targets`: integer array of shape `(N,)`, values in `0 .. C-1`;
- return **one number**.

It must give the right (finite) answer for logits of size 1000, where
`np.log(np.exp(z) / np.exp(z).sum())` returns `nan` or `inf`. The check accepts a
relative error of up to $10^{-7}$ ($10^{-4}$ for float32 inputs).
""",
    hints=(
        "Do not compute the softmax and then its log: compute the log-softmax directly.",
        "log softmax(z)_k = z_k - m - log Σ_j exp(z_j - m), with m the largest entry of the row "
        "(`z.max(axis=1, keepdims=True)`); every exponent is then ≤ 0.",
        "`log_p = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))`, then "
        "`-np.mean(log_p[np.arange(len(targets)), targets])`.",
    ),
))


# -- ex3: the gradient of softmax + cross-entropy ------------------------------------------

def _ex3_cases(rng):
    return [
        Case("normal", (random_normal(rng, 6, 4), _labels(rng, 6, 4))),
        Case("large logits (±1000)", (random_normal(rng, 5, 3, scale=1000), _labels(rng, 5, 3))),
        Case("batch of one", (random_normal(rng, 1, 5), _labels(rng, 1, 5))),
        Case("float32", (random_normal(rng, 4, 6, dtype=np.float32), _labels(rng, 4, 6))),
    ]


register(Exercise(
    id="losses.ex3", forbids=('nnlib.losses.cross_entropy_grad', 'nnlib.losses.cross_entropy_with_grad'), kind="function", title="The gradient of softmax and cross-entropy",
    answer_name="cross_entropy_grad", cases=_ex3_cases, atol=1e-12,
    statement=r"""
Write `cross_entropy_grad(logits, targets)` returning the gradient of the mean
cross-entropy $L$ of the previous exercise with respect to the logits, an array of
shape `(N, C)` **with the dtype of `logits`**. The chapter derived

$$
\frac{\partial L}{\partial z_{nk}} = \frac{1}{N}\bigl(\operatorname{softmax}(z_n)_k - Y_{nk}\bigr),
$$

where $Y$ is the one-hot encoding of `targets`. It must work for logits of size 1000.
The check accepts each entry within a relative error of $10^{-7}$ or an absolute
error of $10^{-12}$ ($10^{-5}$ and $10^{-6}$ for float32 inputs).
""",
    hints=(
        "Start from the softmax of each row (subtract the row's maximum before `np.exp`).",
        "Subtract 1 at the true class of each row: `p[np.arange(N), targets] -= 1`.",
        "Do not forget the 1/N of the mean, and normalise along axis 1 (the classes), not axis 0.",
    ),
))


# -- ex4: the loss of a classifier that knows nothing --------------------------------------

register(Exercise(
    id="losses.ex4", kind="value", title="The loss of a uniform guess",
    # "correct to 4 significant digits": a relative error of at most 5e-4 accepts the value
    # rounded (2.303) or cut off (2.302) after 4 digits and rejects 3 digits (2.30)
    answer_name="uniform_loss", reference="uniform_loss", rtol=5e-4, atol=0.0,
    statement=r"""
A freshly initialised digit classifier (10 classes) whose logits are all equal
predicts the probability $1/10$ for every class. What is its mean cross-entropy
(natural logarithm, as everywhere in the book)? Set `uniform_loss` to that number,
correct to 4 significant digits: any answer within a relative error of
$5 \times 10^{-4}$ of the exact value is accepted. It is worth remembering: a 10-class
network with small initial logits starts near this loss, and one whose first reported
loss is far above it starts with large logits or is wired wrongly.
""",
    hints=(
        "The cross-entropy of one example is -log of the probability given to its true class.",
        "Every class gets probability 1/10, so every example costs -ln(1/10).",
    ),
))


# -- ex5: why cross-entropy for classification ---------------------------------------------

register(Exercise(
    id="losses.ex5", kind="choice", title="Why cross-entropy for classification?",
    answer_name="why_cross_entropy", reference="why_cross_entropy",
    options={
        "a": "Cross-entropy is always smaller than the squared error, so the network converges faster.",
        "b": "With a sigmoid (or softmax) output, the gradient of cross-entropy with respect to the "
             "logit is $\\sigma - y$, which stays large when the unit is confidently wrong; the squared "
             "error's gradient has an extra factor $\\sigma(1-\\sigma)$ that vanishes there.",
        "c": "The squared error cannot be differentiated where the prediction equals the target.",
        "d": "Cross-entropy makes the loss surface of every network convex, so there are no local minima.",
    },
    statement=r"""
Both the squared error and the cross-entropy are smallest when the predicted
probability equals the label. Why is cross-entropy the usual choice for training a
classifier? Set `why_cross_entropy` to the letter of the best answer, e.g. `"a"`.
""",
    hints=(
        "Gradient descent moves by the gradient; look at the gradient with respect to the logit z "
        "when σ(z) is near 0 but y = 1.",
        "The chapter's figure of the two gradients against z shows one of them going to 0 on the "
        "wrong side.",
    ),
))


# -- ex6: the argument order of source 001's Keras loop ------------------------------------

_BUGGY_KERAS = '''
def keras_style_bce(y_true, y_pred, eps=1e-7):
    """Mean binary cross-entropy, arguments in Keras's order: targets first."""
    y_pred = np.clip(y_pred, eps, 1 - eps)
    return np.mean(-(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)))


def compute_loss(outputs, labels):
    """The loss of one batch, written like the training loop of source 001."""
    return keras_style_bce(outputs, labels)
'''


def _ex6_cases(rng):
    def batch(n, dtype=np.float64, exact=False):
        outputs = rng.uniform(0.02, 0.98, size=(n, 1))
        labels = rng.integers(0, 2, size=(n, 1)).astype(float)
        if exact:  # outputs exactly 0 or 1: the clipping matters
            outputs[: n // 2] = labels[: n // 2]
            outputs[n // 2:] = 1 - labels[n // 2:]
        return outputs.astype(dtype), labels.astype(dtype)
    return [
        Case("normal", batch(8)),
        Case("outputs exactly 0 or 1", batch(6, exact=True)),
        Case("soft labels", (rng.uniform(0.05, 0.95, size=(5, 1)), rng.uniform(0, 1, size=(5, 1)))),
        Case("batch of one", batch(1)),
        Case("float32", batch(7, dtype=np.float32)),
    ]


register(Exercise(
    id="losses.ex6", kind="bug", title="Targets first, or predictions first?",
    answer_name="compute_loss", output="scalar", cases=_ex6_cases, buggy=_BUGGY_KERAS,
    statement=r"""
PyTorch's losses are called as `criterion(prediction, target)`; Keras's losses
take `(y_true, y_pred)`, targets first. Source 001's Keras loop calls its loss the
PyTorch way, `criterion(outputs, labels)`. Below, `keras_style_bce` follows the
Keras convention (it clips the predictions to $[10^{-7}, 1 - 10^{-7}]$ as Keras
does) and `compute_loss(outputs, labels)` calls it the way 001 does. Fix
`compute_loss` so that it returns the mean binary cross-entropy of the predicted
probabilities `outputs` against the 0/1 (or soft) `labels`, both of shape `(N, 1)`,
with the predictions clipped as `keras_style_bce` clips them (some outputs are
exactly 0 or 1). The check accepts a relative error of up to $10^{-7}$ ($10^{-5}$
for float32 inputs).
""",
    hints=(
        "Read the signature of `keras_style_bce`: which argument is clipped and put inside the log?",
        "Only the predictions may go inside the logarithm; labels of 0 and 1 would give log 0.",
        "`return keras_style_bce(labels, outputs)`.",
    ),
))
