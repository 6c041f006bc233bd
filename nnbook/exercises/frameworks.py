"""Exercises of the chapter "Frameworks: PyTorch and Keras" (``frameworks.ex1`` ... ``frameworks.ex6``).

Reference solutions in ``solutions/frameworks.py``; wrong answers tested in
``tests/nnbook/test_exercises_frameworks.py``. Every check runs on numpy only, so
the exercises work where neither torch nor Keras is installed.
"""
import numpy as np

from .core import Case, Exercise, register

__all__ = []


def _ex1_cases(rng):
    return [
        Case("3 inputs, 2 outputs", (rng.standard_normal((3, 2)),)),
        Case("square (4, 4)", (rng.standard_normal((4, 4)),)),
        Case("one input", (rng.standard_normal((1, 5)),)),
        Case("one output", (rng.standard_normal((6, 1)),)),
        Case("float32 (64, 128)", (rng.standard_normal((64, 128)).astype(np.float32),)),
    ]


register(Exercise(
    id="frameworks.ex1", forbids=('nnlib.interop.linear_weight',), kind="function", title="From nnlib's layout to nn.Linear's",
    answer_name="linear_weight_from_dense", cases=_ex1_cases, rtol=0.0, atol=0.0, rtol32=0.0, atol32=0.0,
    statement=r"""
`nnlib.Dense` stores its weights as `W` of shape `(in_features, out_features)` and computes
$Y = XW + \mathbf b$; PyTorch's `nn.Linear` stores `weight` of shape `(out_features, in_features)`
and computes $Y = X\,\mathrm{weight}^\top + \mathbf b$.

Write `linear_weight_from_dense(W)` returning the `weight` that makes `nn.Linear` compute exactly
what `Dense` computes: shape `(out_features, in_features)`, same dtype as `W`, exact values.
""",
    hints=(
        "Both layers must give the same Y for every X. Write X weightᵀ = X W and solve for weight.",
        "weightᵀ = W. Reshaping W to (out, in) gives the right shape but scrambles the entries.",
        "`return W.T` (add `.copy()` if you want an array that does not share memory with W).",
    ),
))


register(Exercise(
    id="frameworks.ex2", kind="choice", title="What .to(device) moves",
    answer_name="moved_by_model_to", reference="moved_by_model_to",
    options={
        "a": "the model's parameters and buffers; every batch must still be moved with `x.to(device)`",
        "b": "the model and every tensor created afterwards, including the batches from the DataLoader",
        "c": "nothing until the first forward pass, which then moves whatever it touches",
        "d": "the model's parameters, and the optimiser's learning rate to the GPU's clock",
    },
    statement=r"""
On a machine with a GPU, the training loop starts with `device = "cuda"` and `model.to(device)`.
What has moved to the GPU after that line? Set `moved_by_model_to` to the letter of your choice.
""",
    hints=(
        "`model.to(device)` is a method of the model. Which tensors does a module own?",
        "A module owns its parameters (and buffers such as BatchNorm's running mean). Tensors you create "
        "later, such as the batches a DataLoader yields, live on the CPU until you move them.",
    ),
))


_BUGGY_LOSS = '''
def categorical_crossentropy(y_true, y_pred, eps=1e-7):
    """Keras's argument order: the one-hot targets first, the predicted probabilities second."""
    y_pred = np.clip(y_pred, eps, 1 - eps)
    return np.mean(-np.sum(y_true * np.log(y_pred), axis=-1))


def keras_loss_value(labels, outputs):
    """The loss in source 001's Keras loop: labels (N, K) one-hot, outputs (N, K) softmax."""
    return categorical_crossentropy(outputs, labels)
'''


def _probabilities(rng, n, k, dtype=np.float64, scale=1.0):
    z = scale * rng.standard_normal((n, k))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(dtype)


def _one_hot(rng, n, k, dtype=np.float64):
    return np.eye(k, dtype=dtype)[rng.integers(k, size=n)]


def _ex3_cases(rng):
    return [
        Case("batch of 8, 10 classes", (_one_hot(rng, 8, 10), _probabilities(rng, 8, 10))),
        Case("confident predictions", (_one_hot(rng, 6, 4), _probabilities(rng, 6, 4, scale=8.0))),
        Case("batch of one", (_one_hot(rng, 1, 3), _probabilities(rng, 1, 3))),
        Case("two classes", (_one_hot(rng, 5, 2), _probabilities(rng, 5, 2))),
        Case("float32", (_one_hot(rng, 7, 5, np.float32), _probabilities(rng, 7, 5, np.float32))),
    ]


register(Exercise(
    id="frameworks.ex3", kind="bug", title="The argument order of a Keras loss",
    answer_name="keras_loss_value", cases=_ex3_cases, buggy=_BUGGY_LOSS, output="scalar",
    statement=r"""
Source 001's Keras loop computes `loss = criterion(outputs, labels)` with
`criterion = CategoricalCrossentropy()`. Below, `categorical_crossentropy` follows the Keras
rule (targets first) and computes $-\frac1N\sum_n\sum_k y_{nk}\log p_{nk}$ with $p$ clipped to
$[\varepsilon, 1-\varepsilon]$, and `keras_loss_value` makes 001's call. Fix `keras_loss_value`
so that it returns the mean cross-entropy of the softmax outputs against the one-hot labels
(one number, for batches of any size, float32 or float64). The check accepts a relative error
of $10^{-7}$ plus an absolute one of $10^{-10}$ ($10^{-5}$ and $10^{-6}$ for float32 inputs).
""",
    hints=(
        "Which argument of `categorical_crossentropy` is meant to receive the one-hot labels?",
        "The call passes the predictions where the targets belong, so the loss takes log of the clipped "
        "one-hot labels (log 1e-7 ≈ -16.1) instead of log of the probabilities.",
        "`return categorical_crossentropy(labels, outputs)`.",
    ),
))


register(Exercise(
    id="frameworks.ex4", kind="value", title="What the all-reduce leaves on every worker",
    answer_name="reduced_gradient", reference="reduced_gradient", rtol=5e-4, atol=0.0,
    statement=r"""
Two DDP workers train a model whose loss is the **mean** over the examples. Worker 0 gets 32
examples of a batch of 64 and computes, for one weight $w$, the gradient $g_0 = 0.30$ of the
mean loss of its 32 examples; worker 1 computes $g_1 = -0.10$ on the other 32. After
`loss.backward()` DDP has all-reduced the gradients. What number is in `w.grad` on worker 1?
Set `reduced_gradient` to it, to at least 4 significant digits (the check accepts a relative
error up to $5 \times 10^{-4}$).
""",
    hints=(
        "DDP makes the result equal to the gradient one process would compute on the whole batch of 64.",
        "The mean over 64 examples is the average of the two means over 32: DDP sums and divides by "
        "the number of workers.",
    ),
))


register(Exercise(
    id="frameworks.ex5", kind="value", title="Bytes a worker sends in a ring all-reduce",
    answer_name="bytes_sent_per_worker", reference="bytes_sent_per_worker", rtol=5e-4, atol=0.0,
    statement=r"""
DDP all-reduces one gradient value per parameter at every step. Source 001's PyTorch model is
`Linear(784, 128)`, ReLU, `Linear(128, 10)`, trained in float32 (4 bytes per number), and
$K = 5$ workers average their gradients with a *ring* all-reduce: each worker cuts its
gradients into $K$ equal chunks, then passes chunks to its neighbour in $K - 1$ steps that add
them up (reduce-scatter) and $K - 1$ more steps that hand the finished sums round the ring
(all-gather), one chunk per step. How many bytes does each worker *send* per training step?
Set `bytes_sent_per_worker` to that number, in bytes, to at least 4 significant digits (the
check accepts a relative error up to $5 \times 10^{-4}$).
""",
    hints=(
        "First the size of the gradients: every Linear layer has in × out weights and out biases, "
        "each gradient a 4-byte float32.",
        "101,770 parameters make 407,080 bytes. Each of the 2(K − 1) steps sends one chunk of 1/K of that.",
        "2 (K − 1) / K × 407,080 bytes with K = 5.",
    ),
))


register(Exercise(
    id="frameworks.ex6", kind="choice", title="Learning random labels",
    answer_name="random_labels_outcome", reference="random_labels_outcome",
    options={
        "a": "training accuracy about 50 % and test accuracy about 50 %, whatever the model",
        "b": "training accuracy close to 100 %, test accuracy about 50 %",
        "c": "training and test accuracy both close to 100 %",
        "d": "training accuracy about 50 %, test accuracy close to 100 %",
    },
    statement=r"""
Source 004 trains on labels drawn by `np.random.randint(2, ...)`, independently of the inputs.
Now take a network with far more parameters than 004's (thousands of hidden units) and train it
for many epochs on the same 1000 training points. What do you expect? Set
`random_labels_outcome` to the letter of your choice.
""",
    hints=(
        "Can any model predict coin flips it has never seen? Can a big enough model remember the ones it has seen?",
        "The test labels are independent of everything the model learned; the training labels can be "
        "memorised one by one when there are enough parameters.",
    ),
))
