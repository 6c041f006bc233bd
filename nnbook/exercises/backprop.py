"""Exercises of the chapter "Backpropagation" (``backprop.ex1`` ... ``backprop.ex6``).

Reference solutions are in ``solutions/backprop.py``; wrong answers are
tested in ``tests/nnbook/test_exercises_backprop.py``.
"""
import numpy as np

from .core import Case, Exercise, random_normal, register

__all__ = []


def _ex1_cases(rng):
    def layer(n, d_in, d_out, wrt, scale=1.0, dtype=np.float64):
        return (random_normal(rng, n, d_in, scale=scale, dtype=dtype), random_normal(rng, d_in, d_out, scale=scale, dtype=dtype),
                random_normal(rng, n, d_out, dtype=dtype), wrt)
    return [
        Case("normal", layer(5, 3, 2, "W")),
        Case("input gradient dX", layer(5, 3, 2, "X")),
        Case("bias gradient db", layer(5, 3, 2, "b")),
        Case("large inputs, dW", layer(16, 10, 4, "W", scale=100)),
        Case("batch of one, dX", layer(1, 4, 3, "X")),
        Case("batch of one, db", layer(1, 4, 3, "b")),
        Case("float32", layer(6, 3, 4, "W", dtype=np.float32)),
        Case("float32, dX", layer(6, 3, 4, "X", dtype=np.float32)),
    ]


register(Exercise(
    id="backprop.ex1", forbids=('nnlib.layers.Dense.backward',), kind="function", title="The backward pass of a dense layer",
    answer_name="dense_backward", cases=_ex1_cases, atol=1e-9,
    statement=r"""
A dense layer computes $Y = XW + \mathbf b$ for a batch: `X` has shape `(N, D_in)`, `W` shape
`(D_in, D_out)`, `b` shape `(D_out,)`. Given the upstream gradient
`grad_out` $= G = \partial L / \partial Y$ (shape `(N, D_out)`), write
`dense_backward(X, W, grad_out, wrt)` returning

- $\partial L/\partial X$ (shape `(N, D_in)`) when `wrt == "X"`,
- $\partial L/\partial W$ (shape `(D_in, D_out)`) when `wrt == "W"`,
- $\partial L/\partial \mathbf b$ (shape `(D_out,)`) when `wrt == "b"`,

with the dtype of the inputs (float32 in, float32 out), also when `N = 1`.
The check accepts each entry within a relative error of $10^{-7}$ or an absolute
error of $10^{-9}$ ($10^{-5}$ and $10^{-6}$ for float32 inputs).
""",
    hints=(
        "Each gradient has the shape of the thing it is the gradient of. Which product of X, W and G "
        "has shape (D_in, D_out)? Which has shape (N, D_in)?",
        "Y_nj = sum_i X_ni W_ij + b_j, so dL/dW_ij = sum_n X_ni G_nj and dL/dX_ni = sum_j G_nj W_ij. "
        "The bias is added to every row: its gradient sums G over the rows.",
        '`X.T @ grad_out` for "W", `grad_out @ W.T` for "X", `grad_out.sum(axis=0)` for "b".',
    ),
))


def _ex2_cases(rng):
    def pair(n, k, scale=1.0, dtype=np.float64):
        return random_normal(rng, n, k, scale=scale, dtype=dtype), rng.integers(0, 2, size=(n, k)).astype(dtype)
    return [
        Case("normal", pair(6, 1)),
        Case("three outputs", pair(4, 3)),
        Case("large pre-activations", pair(8, 2, scale=40)),
        Case("batch of one", pair(1, 1)),
        Case("float32", pair(5, 2, dtype=np.float32)),
    ]


register(Exercise(
    id="backprop.ex2", kind="function", title="The delta of a sigmoid output layer",
    answer_name="output_delta", cases=_ex2_cases,
    setup="import numpy as np\nfrom nnlib import sigmoid",
    statement=r"""
The output layer of a network applies the sigmoid, $a = \sigma(z)$, and the loss is the squared
error $E = \frac12 \sum (a - t)^2$ over all entries. Write `output_delta(z, t)` returning
$\delta_{out} = \partial E / \partial z$, elementwise, for pre-activations `z` and targets `t`
of the same shape `(N, K)`. Return an array of that shape and dtype. `nnlib.sigmoid`
is imported for you (it does not overflow for large $|z|$). The check accepts each entry
within a relative error of $10^{-7}$ or an absolute error of $10^{-10}$ ($10^{-5}$ and
$10^{-6}$ for float32 inputs).
""",
    hints=(
        "Chain rule through the node a: dE/dz = dE/da * da/dz.",
        "dE/da = a - t (the ½ cancels the 2 of the square) and sigma'(z) = sigma(z) (1 - sigma(z)).",
        "`a = sigmoid(z); return (a - t) * a * (1 - a)`.",
    ),
))


register(Exercise(
    id="backprop.ex3", kind="value", title="Two paths through a graph",
    answer_name="dL_dy", reference="dL_dy", rtol=5e-4, atol=0.0,
    statement=r"""
A small graph computes $q = x\,y$, then $r = q + y$, then $L = r^2$. At $x = 3$, $y = -2$,
what is $\partial L / \partial y$? Set `dL_dy` to that number, to at least 4 significant
digits (the check accepts a relative error up to $5 \times 10^{-4}$). (The variable $y$
reaches $L$ along two paths.)
""",
    hints=(
        "Forward first: q, r and L at x = 3, y = -2. Then dL/dr.",
        "y reaches r directly (dr/dy = 1) and through q (dq/dy = x). The multivariable chain rule "
        "adds the contributions of the two paths.",
        "dL/dy = dL/dr * (1 + x) with dL/dr = 2r.",
    ),
))


register(Exercise(
    id="backprop.ex4", kind="choice", title="What the backward pass costs",
    answer_name="backward_cost", reference="backward_cost",
    options={
        "a": "about the same as the forward pass",
        "b": "about twice the forward pass",
        "c": "about as many forward passes as the network has parameters",
        "d": "about as many forward passes as the network has layers",
    },
    statement=r"""
A network is a stack of many dense layers of the same width, and a batch of $N$ examples goes
through it. Counting the multiply-adds of the matrix products, computing the gradient of the
loss with respect to **every** weight by backpropagation costs... Set `backward_cost` to the
letter of your choice, e.g. `"a"`.
""",
    hints=(
        "Forward, each layer computes one matrix product XW. Which products does its backward pass need?",
        "Backward, each layer computes X^T G (for its weights) and G W^T (to pass the gradient on): "
        "two products of the same size as XW.",
    ),
))


_BUGGY_002 = '''
def backward(X, y_true, W1, b1, W2, b2):
    """Gradients of E = 1/2 sum((y_pred - y_true)**2), flattened as W1, b1, W2, b2."""
    h1 = np.tanh(np.dot(X, W1) + b1)          # forward pass, as in source 002
    y_pred = np.dot(h1, W2) + b2
    dW2 = np.dot(h1.T, (y_true - y_pred))
    db2 = np.sum(y_true - y_pred, axis=0, keepdims=True)
    dW1 = np.dot(X.T, np.dot(dW2, np.tanh(h1).T))
    db1 = np.sum(np.dot(dW2, (1 - np.tanh(h1))), axis=0, keepdims=True)
    return np.concatenate([dW1.ravel(), db1.ravel(), dW2.ravel(), db2.ravel()])
'''


def _ex5_cases(rng):
    def net(n, d, h, scale=1.0, dtype=np.float64, X=None):
        X = random_normal(rng, n, d, dtype=dtype) if X is None else X.astype(dtype)
        y = rng.integers(0, 2, size=(n, 1)).astype(dtype)
        return (X, y, random_normal(rng, d, h, scale=scale, dtype=dtype), random_normal(rng, 1, h, scale=scale, dtype=dtype),
                random_normal(rng, h, 1, scale=scale, dtype=dtype), random_normal(rng, 1, 1, scale=scale, dtype=dtype))
    xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return [
        Case("normal", net(4, 2, 2, X=xor)),
        Case("five hidden units", net(6, 2, 5)),
        Case("three inputs", net(5, 3, 2)),
        Case("large weights", net(4, 2, 2, scale=3.0, X=xor)),
        Case("batch of one", net(1, 2, 2)),
        Case("float32", net(4, 2, 2, dtype=np.float32, X=xor)),
    ]


register(Exercise(
    id="backprop.ex5", kind="bug", title="Repair the backward pass of source 002",
    answer_name="backward", cases=_ex5_cases, buggy=_BUGGY_002, atol=1e-9,
    statement=r"""
Source 002 trains a network with a tanh hidden layer and a linear output,
$h = \tanh(XW_1 + b_1)$, $\hat y = hW_2 + b_2$, on XOR. Its `backward` is below, turned into a
function (the lines are the source's). It crashes, and its mathematics is wrong in more than one
place. Fix it so that it returns the gradient of $E = \frac12\sum(\hat y - y)^2$ with respect to
all parameters, flattened in the order `W1, b1, W2, b2` (shapes `(D, H)`, `(1, H)`, `(H, 1)`,
`(1, 1)`, as 002 stores them), in the dtype of the inputs. A correct version passes a gradient
check, and a gradient *descent* step with it lowers $E$. The check accepts each entry within a
relative error of $10^{-7}$ or an absolute error of $10^{-9}$ ($10^{-5}$ and $10^{-6}$ for
float32 inputs).

Mind the loss: $E$ is half the **sum** of the squared errors, not the mean that 002's `mse_loss`
computes. The repair in the activations chapter differentiates that mean,
$\partial L/\partial \hat y = \frac{2}{N}(\hat y - y)$, so its gradients are $2/N$ times the ones
asked for here ($\partial E/\partial \hat y = \hat y - y$) and fail this check.
""",
    hints=(
        "Run it on the XOR data first: the shape error points at the line that mixes a weight gradient "
        "(dW2) with activations. What should flow back into the hidden layer instead?",
        "The gradient of E with respect to y_pred is y_pred - y_true (not y_true - y_pred). It reaches the "
        "hidden activations as g @ W2.T, and the hidden pre-activations through tanh' = 1 - h1**2, where "
        "h1 is already tanh(...): do not apply tanh again. No factor 2/N: E is half a sum, not a mean.",
        "g = y_pred - y_true; dW2 = h1.T @ g; db2 = g.sum(axis=0, keepdims=True); "
        "dz = (g @ W2.T) * (1 - h1**2); dW1 = X.T @ dz; db1 = dz.sum(axis=0, keepdims=True).",
    ),
))


_BUGGY_000 = '''
def train_xor(W1, B1, W2, B2, LR, steps):
    """Source 000's training loop; returns A2, the outputs of the last forward pass."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    Y = np.array([[0], [1], [1], [0]])
    for i in range(steps):
        # feedforward step
        Z1 = np.dot(X, W1) + B1
        A1 = sigmoid(Z1)
        Z2 = np.dot(A1, W2) + B2
        A2 = sigmoid(Z2)
        # backpropagation step
        D2 = (Y - A2) * sigmoid_derivative(Z2)
        D1 = np.dot(D2, W2.T) * sigmoid_derivative(Z1)
        # update the weights and biases
        W1 -= LR * np.dot(X.T, D1)
        B1 -= LR * D1.sum(axis=0)
        W2 -= LR * np.dot(A1.T, D2)
        B2 -= LR * D2.sum(axis=0)
    return A2
'''


def _ex6_cases(rng):
    def start(scale=1.0, dtype=np.float64):
        return tuple((scale * rng.random(s)).astype(dtype) for s in ((2, 2), (2,), (2, 1), (1,)))
    return [
        Case("normal", (*start(), 0.5, 200)),
        Case("large learning rate", (*start(), 5.0, 100)),
        Case("large initial weights", (*start(scale=4.0), 0.5, 100)),
        Case("one step", (*start(), 0.1, 1)),
        Case("float32", (*start(dtype=np.float32), 0.5, 50)),
    ]


register(Exercise(
    id="backprop.ex6", kind="bug", title="The sign in source 000",
    answer_name="train_xor", cases=_ex6_cases, buggy=_BUGGY_000, atol=1e-9, rtol32=1e-4, atol32=1e-5,
    setup="import numpy as np\nfrom nnlib import sigmoid, sigmoid_grad as sigmoid_derivative",
    statement=r"""
This is the training loop of source 000, as printed, wrapped in a function that takes the
initial parameters, the learning rate and the number of steps. Trained on XOR it makes the
mean squared error *worse* than always answering 0.5. Fix it (change as little as you can) so
that each step is a gradient-descent step on $E = \frac12 \sum (A_2 - Y)^2$. The function must
still return `A2` from the last forward pass, shape `(4, 1)`.

Given float32 parameters, the loop still returns `A2` in float64, and the check expects that:
`X` and `Y` are integer arrays, numpy computes a product of an integer array and a float32
array in float64, so `Z1`, `A1`, `Z2` and `A2` are float64, while each in-place update `-=`
rounds the new values back into the float32 parameters. Leave the dtypes as they are. The
check accepts each entry within a relative error of $10^{-7}$ or an absolute error of
$10^{-9}$ ($10^{-4}$ and $10^{-5}$ when the parameters are float32: they are then rounded
to float32 at every step, and a fix that computes a step in another order rounds differently).
""",
    hints=(
        "Which direction does `W -= LR * gradient` move W? Is D2 the derivative of E with respect to Z2, "
        "or its negative?",
        "dE/dA2 = A2 - Y, so the delta of the output layer is (A2 - Y) * sigmoid'(Z2). 000 computes Y - A2 "
        "and then subtracts: that climbs the error surface.",
        "`D2 = (A2 - Y) * sigmoid_derivative(Z2)` (or keep D2 and turn every `-=` into `+=`).",
    ),
))
