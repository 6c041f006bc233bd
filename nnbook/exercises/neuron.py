"""Exercises of the chapter "The neuron and the layer" (``neuron.ex1`` ... ``neuron.ex5``).

The pattern for every chapter: one ``register(Exercise(...))`` per exercise,
test inputs drawn from the ``rng`` passed in, the reference solutions in
``solutions/neuron.py``, and wrong answers in ``tests/nnbook/test_exercises.py``.
"""
import numpy as np

from .core import Case, Exercise, random_normal, register

__all__ = []


def _ex1_cases(rng):
    x, w = rng.uniform(1, 2, size=4), 300 * rng.uniform(1, 2, size=4)
    return [
        Case("normal", (random_normal(rng, 3), random_normal(rng, 3), float(rng.normal()))),
        Case("large positive z", (x, w, 1.0)),
        Case("large negative z", (x, -w, -1.0)),
        Case("single input (D = 1)", (random_normal(rng, 1), random_normal(rng, 1), float(rng.normal()))),
        Case("float32", (random_normal(rng, 5, dtype=np.float32), random_normal(rng, 5, dtype=np.float32),
                         float(rng.normal()))),
    ]


register(Exercise(
    id="neuron.ex1", kind="function", title="The output of one neuron",
    answer_name="neuron_output", output="scalar", cases=_ex1_cases,
    statement=r"""
Write `neuron_output(x, w, b)` returning the activation $a = \sigma(\mathbf w \cdot \mathbf x + b)$
of one neuron, where $\sigma(z) = 1 / (1 + e^{-z})$.

- `x`, `w`: 1-D arrays of the same length $D$ (float64, or float32);
- `b`: a Python float;
- return **one number**: a Python float, a numpy float or a 0-d array
  (not an array of shape `(1,)`).

It must also be right when $|z|$ is large, e.g. $z = \pm 1000$. The check accepts a relative
error up to $10^{-7}$ plus an absolute one of $10^{-10}$ ($10^{-5}$ and $10^{-6}$ when `x`
and `w` are float32).
""",
    hints=(
        "First compute the weighted sum z = w·x + b: `np.dot(w, x) + b`.",
        "Then apply the sigmoid to z. `1 / (1 + np.exp(-z))` works but warns about overflow "
        "for z = -1000; `np.exp(z) / (1 + np.exp(z))` gives nan for z = +1000.",
        "Use `np.exp(-abs(z))`, which never overflows: sigmoid is `1 / (1 + e)` for z >= 0 "
        "and `e / (1 + e)` for z < 0.",
    ),
))


def _ex2_cases(rng):
    return [
        Case("normal", (random_normal(rng, 4, 3), random_normal(rng, 3, 2), random_normal(rng, 2))),
        Case("large inputs", (random_normal(rng, 16, 10, scale=100), random_normal(rng, 10, 5, scale=100),
                              random_normal(rng, 5, scale=100))),
        Case("batch of one", (random_normal(rng, 1, 4), random_normal(rng, 4, 3), random_normal(rng, 3))),
        Case("float32", tuple(random_normal(rng, *s, dtype=np.float32) for s in ((5, 3), (3, 4), (4,)))),
    ]


register(Exercise(
    id="neuron.ex2", forbids=('nnlib.layers.Dense.forward',), kind="function", title="A layer in matrix form",
    answer_name="dense_forward", cases=_ex2_cases, atol=1e-9,
    statement=r"""
Write `dense_forward(X, W, b)` returning the pre-activations $Z = XW + \mathbf b$ of a
fully connected layer for a whole batch at once.

- `X`: shape `(N, D_in)`, one example per row;
- `W`: shape `(D_in, D_out)` (the book stores weights *(in, out)* so that the code
  reads like the equation `y = x @ W + b`);
- `b`: shape `(D_out,)`;
- return an array of shape `(N, D_out)` **with the dtype of the inputs**
  (float32 in, float32 out), also when `N = 1`;
- the check accepts a relative error up to $10^{-7}$ plus an absolute one of $10^{-9}$
  ($10^{-5}$ and $10^{-6}$ for float32 inputs).
""",
    hints=(
        "Each row of X is one example; the matrix product does all of them at once.",
        "`X @ W` has shape (N, D_out); numpy broadcasting adds `b` to every row.",
        "`return X @ W + b`. Do not squeeze, transpose or convert the result.",
    ),
))


register(Exercise(
    id="neuron.ex3", kind="value", title="Counting parameters",
    answer_name="n_params", reference="n_params", rtol=0.0, atol=0.0,
    statement="""
A fully connected layer maps 784 inputs (a 28 × 28 image) to 16 units. How many
parameters (weights **and** biases) does it have? Set `n_params` to that number.
""",
    hints=(
        "Every unit has one weight per input, and its own bias.",
        "W has shape (784, 16); b has shape (16,). Count the entries of both.",
    ),
))


register(Exercise(
    id="neuron.ex4", kind="choice", title="Where the neuron is undecided",
    answer_name="decision_set", reference="decision_set",
    options={"a": "a straight line", "b": "a circle", "c": "a single point", "d": "the whole plane"},
    statement=r"""
A sigmoid neuron with two inputs computes $\sigma(w_1 x_1 + w_2 x_2 + b)$, with
$w_1, w_2$ not both zero. The set of inputs $(x_1, x_2)$ where it outputs exactly
0.5 is... Set `decision_set` to the letter of your choice, e.g. `"a"`.
""",
    hints=(
        "For which z is σ(z) = 0.5?",
        "σ(z) = 0.5 exactly when z = 0, so look at the equation w1 x1 + w2 x2 + b = 0.",
    ),
))


_BUGGY_FORWARD = '''
def forward(X, W1, b1, W2, b2):
    """Two-layer sigmoid network: X (N, D) -> output (N, K)."""
    Z1 = np.dot(X, W1)
    A1 = sigmoid(Z1) + b1
    Z2 = np.dot(A1, W2) + b2
    return sigmoid(Z2)
'''


def _ex5_cases(rng):
    def net(n, d, h, k, scale=1.0, dtype=np.float64):
        shapes = ((n, d), (d, h), (h,), (h, k), (k,))
        return tuple(random_normal(rng, *s, scale=scale, dtype=dtype) for s in shapes)
    return [
        Case("normal", net(6, 3, 4, 1)),
        Case("large inputs", net(8, 5, 4, 3, scale=30)),
        Case("batch of one", net(1, 2, 3, 1)),
        Case("float32", net(5, 3, 4, 2, dtype=np.float32)),
    ]


register(Exercise(
    id="neuron.ex5", kind="bug", title="Find the bug in a forward pass",
    answer_name="forward", cases=_ex5_cases, buggy=_BUGGY_FORWARD, atol=1e-9,
    setup="import numpy as np\nfrom nnlib import sigmoid",
    statement=r"""
This forward pass of a two-layer sigmoid network, written in the style of the
sources, has one bug. Each layer should compute $A = \sigma(XW + \mathbf b)$, with
`W1` of shape `(D, H)`, `b1` `(H,)`, `W2` `(H, K)`, `b2` `(K,)`. Fix it; the result
has shape `(N, K)` (also for `K = 1` and `N = 1`) and the dtype of the inputs. The check
accepts a relative error up to $10^{-7}$ plus an absolute one of $10^{-9}$ ($10^{-5}$ and
$10^{-6}$ for float32 inputs).
""",
    hints=(
        "Compare each line with the layer equation a = σ(xW + b). Is every bias in its place?",
        "In the first layer the bias is added after the activation instead of before it.",
        "`A1 = sigmoid(np.dot(X, W1) + b1)`.",
    ),
))
