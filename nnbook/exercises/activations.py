"""Exercises of the chapter "Activation functions" (``activations.ex1`` ... ``activations.ex7``).

Reference solutions are in ``solutions/activations.py``; wrong answers are
tested in ``tests/nnbook/test_exercises_activations.py``.
"""
import numpy as np

from .core import Case, Exercise, random_normal, register

__all__ = []


def _ex1_cases(rng):
    return [
        Case("normal", (random_normal(rng, 6, scale=3),)),
        Case("large: x = ±1000", (np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0]),)),
        Case("moderate: 20 <= |x| <= 40", (np.array([-40.0, -36.5, -30.0, -20.0, 20.0, 30.0, 36.5, 40.0]),)),
        Case("float32", (np.array([-200.0, -90.0, -1.5, 0.0, 1.5, 90.0, 200.0], dtype=np.float32),)),
        Case("batch of one", (random_normal(rng, 1, 1),)),
        Case("matrix", (random_normal(rng, 3, 4, scale=20),)),
    ]


register(Exercise(
    id="activations.ex1", forbids=('nnlib.activations.sigmoid',), kind="function", title="A sigmoid that never overflows",
    answer_name="sigmoid", cases=_ex1_cases, refuse_warnings=("overflow",),
    # Near sigma = 0 the exact forms (1 + tanh(x/2)) / 2 and 1 - 1 / (1 + exp(x)) round 1 - tiny to
    # the float grid near 1 and lose everything below its spacing: allow one machine epsilon absolute.
    rtol=1e-12, atol=float(np.finfo(np.float64).eps), rtol32=1e-5, atol32=float(np.finfo(np.float32).eps),
    statement=r"""
Write `sigmoid(x)` returning $\sigma(x) = 1 / (1 + e^{-x})$ entry by entry.

- `x`: an array of any shape (also `(1, 1)`), float64 or float32;
- return an array of the same shape **and dtype**;
- the values must be finite (no `nan` or `inf`), also for $x = \pm 1000$, and correct to a
  relative error of $10^{-12}$ in float64 ($10^{-5}$ in float32) plus an absolute slack of one
  machine epsilon, $2.2 \times 10^{-16}$ in float64 ($1.2 \times 10^{-7}$ in float32). The slack
  lets through exact formulas such as $\tfrac12\bigl(1 + \tanh\tfrac x2\bigr)$, which compute
  $1 - (1 - \text{tiny})$ for very negative $x$ and so cannot resolve values below the spacing
  of floating-point numbers near 1;
- nothing may overflow on the way: a `RuntimeWarning` about an overflow fails the case, even
  when the final value comes out right (other warnings are only listed in a note).
""",
    hints=(
        "Two textbook forms exist: 1 / (1 + exp(-x)) and exp(x) / (1 + exp(x)). Try both at "
        "x = 1000 and x = -1000 and watch which exponential overflows.",
        "Use each form only where its exponential is of a number <= 0: the first for x >= 0, "
        "the second for x < 0. Both can be written with e = np.exp(-np.abs(x)).",
        "`e = np.exp(-np.abs(x))` then `np.where(x >= 0, 1 / (1 + e), e / (1 + e))`; "
        "numpy keeps float32 as float32 here.",
    ),
))


def _with_zeros(a):
    a = a.copy()
    a.flat[::3] = 0
    return a


def _ex2_cases(rng):
    return [
        Case("normal", (_with_zeros(random_normal(rng, 7)),)),
        Case("all zeros", (np.zeros(4),)),
        Case("large", (_with_zeros(random_normal(rng, 6, scale=1e6)),)),
        Case("batch of one", (random_normal(rng, 1, 1),)),
        Case("float32", (_with_zeros(random_normal(rng, 3, 5, dtype=np.float32)),)),
        Case("three dimensions", (_with_zeros(random_normal(rng, 2, 3, 4, scale=5)),)),
    ]


register(Exercise(
    id="activations.ex2", forbids=('nnlib.activations.relu_grad',), kind="function", title="The derivative of ReLU",
    answer_name="relu_grad", cases=_ex2_cases,
    statement=r"""
Write `relu_grad(z)` returning the derivative of $\operatorname{relu}(z) = \max(z, 0)$
with respect to $z$, entry by entry: 1 where $z > 0$ and 0 where $z < 0$. At the kink
$z = 0$ use 0, as PyTorch does.

- `z`: an array of any shape, float64 or float32;
- return an array of the same shape and **the same floating dtype** (not booleans).
""",
    hints=(
        "The derivative is a step: it does not depend on how large z is, only on its sign.",
        "`z > 0` gives booleans of the right shape; they must be turned into numbers of z's dtype.",
        "`(z > 0).astype(z.dtype)`: note the strict inequality, which gives 0 at z = 0.",
    ),
))


def _ex3_cases(rng):
    far_apart = np.array([[1000.0, 999.0, 998.0, 990.0], [-1000.0, -1001.0, -1003.0, -1000.5],
                          [0.0, 1.0, 2.0, 3.0]])
    return [
        Case("normal", (random_normal(rng, 4, 3),)),
        Case("large: logits near ±1000", (far_apart,)),
        Case("batch of one", (random_normal(rng, 1, 5, scale=3),)),
        Case("float32", (random_normal(rng, 5, 3, scale=10, dtype=np.float32),)),
        Case("one class", (random_normal(rng, 2, 1),)),
        Case("three dimensions", (random_normal(rng, 2, 3, 4),)),
    ]


register(Exercise(
    id="activations.ex3", forbids=('nnlib.activations.softmax',), kind="function", title="Softmax along the last axis",
    answer_name="softmax", cases=_ex3_cases,
    statement=r"""
Write `softmax(x)` returning $\operatorname{softmax}(\mathbf x)_i = e^{x_i} / \sum_j e^{x_j}$
along the **last axis**: each row of a batch of shape `(N, C)` (one row of $C$ scores per
example) becomes $C$ probabilities summing to 1.

- `x`: an array with at least one dimension, float64 or float32;
- return an array of the same shape and dtype;
- it must work for scores such as 1000 or -1000 (no `nan`), also when one row's scores
  are near 1000 and another's near -1000;
- the values must be correct to a relative error of $10^{-7}$ plus an absolute $10^{-10}$
  in float64 ($10^{-5}$ plus $10^{-6}$ in float32).
""",
    hints=(
        "Adding the same number c to all scores of a row does not change its softmax. "
        "Which c makes every exponent <= 0?",
        "Subtract each row's own maximum, `x.max(axis=-1, keepdims=True)`, not the maximum of the "
        "whole array; keepdims makes the shapes broadcast along the right axis.",
        "`e = np.exp(x - x.max(axis=-1, keepdims=True))` then `e / e.sum(axis=-1, keepdims=True)`.",
    ),
))


register(Exercise(
    id="activations.ex4", kind="value", title="The steepest sigmoid",
    answer_name="max_sigmoid_grad", reference="max_sigmoid_grad", rtol=1e-9, atol=0.0,
    statement=r"""
What is the largest value the derivative $\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$ of the
sigmoid takes, over all real $z$? Set `max_sigmoid_grad` to that number, exactly or to at
least 10 significant digits (the check accepts a relative error up to $10^{-9}$).
""",
    hints=(
        "σ(z) runs over (0, 1). Write p = σ(z): which p maximises p (1 - p)?",
        "p (1 - p) is a parabola with its top at p = 1/2, reached at z = 0.",
    ),
))


register(Exercise(
    id="activations.ex5", kind="value", title="A bound for ten sigmoid layers",
    answer_name="ten_layer_bound", reference="ten_layer_bound", rtol=1e-6, atol=0.0,
    statement=r"""
A chain of ten one-unit layers $a_\ell = \sigma(w_\ell\, a_{\ell - 1})$ has all weights
$w_\ell = 1$. By the chain rule, $\partial a_{10} / \partial a_0$ is a product of ten
factors $w_\ell\, \sigma'(z_\ell)$. Using only the fact that $\sigma'(z) \le \tfrac14$ for
every $z$, what **upper bound** on $\partial a_{10} / \partial a_0$ do you get? Set
`ten_layer_bound` to that number (a float), to at least 6 significant digits (the check
accepts a relative error up to $10^{-6}$).

The bound is not reached: every layer after the first receives a sigmoid output, a number
in $(0, 1)$, where $\sigma' < \tfrac14$. The chapter finds the true largest value on a grid.
""",
    hints=(
        "Each factor is w σ'(z) with w = 1. What does σ'(z) <= 1/4 say about one factor?",
        "Each factor is at most 1/4, so the product of ten of them is at most (1/4) multiplied by itself ten times.",
    ),
))


register(Exercise(
    id="activations.ex6", kind="choice", title="Why a non-linearity?",
    answer_name="why_nonlinear", reference="why_nonlinear",
    options={
        "a": "Without it, a stack of layers computes a function of the form $\\mathbf x W + \\mathbf b$, "
             "exactly like one layer, so the extra layers add nothing.",
        "b": "It keeps every output between 0 and 1, which gradient descent needs.",
        "c": "It makes the gradients larger, so that training is faster.",
        "d": "It prevents overflow in the matrix products.",
    },
    statement=r"""
A network stacks fully connected layers. Why must an activation function that is **not**
linear sit between them? Set `why_nonlinear` to the letter of your choice, e.g. `"a"`.
""",
    hints=(
        "Compose two layers without an activation: (x W1 + b1) W2 + b2. Expand it.",
        "The composition is x (W1 W2) + (b1 W2 + b2): one matrix and one bias. ReLU does not keep outputs "
        "below 1, and sigmoid makes gradients smaller, not larger.",
    ),
))


_BUGGY_TANH_BACKWARD = '''
def tanh_backward(h, grad_out):
    """Backward pass of a tanh layer, as in source 002.

    h        : the layer's output h = tanh(z), saved by the forward pass
    grad_out : dL/dh, same shape as h
    returns  : dL/dz, same shape as h
    """
    return grad_out * (1 - np.tanh(h))
'''


def _ex7_cases(rng):
    def pair(*shape, scale=1.0, dtype=np.float64):
        h = np.tanh(random_normal(rng, *shape, scale=scale)).astype(dtype)
        return h, random_normal(rng, *shape, dtype=dtype)
    return [
        Case("normal", pair(4, 3)),
        Case("large z (saturated units)", pair(2, 5, scale=10)),
        Case("batch of one", pair(1, 3)),
        Case("float32", pair(5, 2, dtype=np.float32)),
    ]


register(Exercise(
    id="activations.ex7", kind="bug", title="Find the bug in a tanh layer's backward pass",
    answer_name="tanh_backward", cases=_ex7_cases, buggy=_BUGGY_TANH_BACKWARD,
    statement=r"""
A tanh layer computes $h = \tanh(z)$ in its forward pass and keeps only $h$. Its backward
pass receives $\partial L / \partial h$ and must return
$\partial L / \partial z = \partial L / \partial h \cdot \tanh'(z)$. The version below,
modelled on the network of source 002, gets the derivative wrong. Fix it; the result has
the shape and dtype of `h`, and values correct to a relative error of $10^{-7}$ plus an
absolute $10^{-10}$ in float64 ($10^{-5}$ plus $10^{-6}$ in float32).
""",
    hints=(
        "Write tanh'(z) in terms of tanh(z) itself. What does the function receive: z or tanh(z)?",
        "tanh'(z) = 1 - tanh(z)^2, and h already is tanh(z): applying np.tanh to h computes tanh(tanh(z)).",
        "`return grad_out * (1 - h * h)`.",
    ),
))
