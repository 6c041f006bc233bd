"""Exercises of the chapter "Gradient descent and optimisers" (``gradient_descent.ex1`` ... ``ex6``).

Reference solutions are in ``solutions/gradient_descent.py``; wrong answers
are tested in ``tests/nnbook/test_exercises_gradient_descent.py``.
"""
import numpy as np

from .core import Case, Exercise, register

__all__ = []


def _spd(rng, d, low=0.5, high=4.0, dtype=np.float64):
    """A random symmetric positive definite matrix with eigenvalues in [low, high]."""
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return ((q * rng.uniform(low, high, size=d)) @ q.T).astype(dtype)


def _quadratic_case(rng, d, steps, lr_fraction=0.8, dtype=np.float64, extra=()):
    A = _spd(rng, d)
    A = (A + A.T) / 2  # exactly symmetric after rounding
    L = float(np.linalg.eigvalsh(A).max())
    b = rng.standard_normal(d).astype(dtype)
    x0 = rng.standard_normal(d).astype(dtype)
    return (A.astype(dtype), b, x0, float(lr_fraction * 2 / L)) + tuple(extra) + (steps,)


def _ex1_cases(rng):
    return [
        Case("normal", _quadratic_case(rng, 2, 20)),
        Case("large: D = 5, 100 steps", _quadratic_case(rng, 5, 100, lr_fraction=0.5)),
        Case("steps = 0", _quadratic_case(rng, 3, 0)),
        Case("one step", _quadratic_case(rng, 2, 1)),
        Case("float32", _quadratic_case(rng, 3, 10, dtype=np.float32)),
    ]


register(Exercise(
    id="gradient_descent.ex1", kind="function", title="Gradient descent on a quadratic",
    answer_name="gd", cases=_ex1_cases, atol=1e-9,
    statement=r"""
Write `gd(A, b, x0, lr, steps)` that runs plain gradient descent
$\mathbf x_{t+1} = \mathbf x_t - \eta\,\nabla f(\mathbf x_t)$ on the quadratic

$$f(\mathbf x) = \tfrac12 \mathbf x^\top A \mathbf x - \mathbf b^\top \mathbf x,$$

where `A` is symmetric, shape `(D, D)`, and `b`, `x0` have shape `(D,)`. Return the
**whole path**: an array of shape `(steps + 1, D)` whose row `t` is $\mathbf x_t$
(row 0 is `x0` itself), with the dtype of `x0`. Do not modify `x0`.
The check accepts each entry within a relative error of $10^{-7}$ or an absolute
error of $10^{-9}$ ($10^{-5}$ and $10^{-6}$ for float32 inputs).
""",
    hints=(
        "First work out the gradient of f: for a symmetric A it is A x − b.",
        "Start a list with a copy of x0; in a loop of `steps` iterations compute "
        "x = x - lr * (A @ x - b) and append it; return np.array(the list).",
        "`x = x0.copy(); path = [x]` then `for _ in range(steps): x = x - lr * (A @ x - b); path.append(x)` "
        "and `return np.array(path)` (shape (steps + 1, D), also for steps = 0).",
    ),
))


def _ex2_cases(rng):
    def case(d, steps, beta, dtype=np.float64, lr_fraction=0.5):
        A, b, x0, lr, _ = _quadratic_case(rng, d, steps, lr_fraction=lr_fraction, dtype=dtype)
        return (A, b, x0, lr, beta, steps)
    return [
        Case("normal", case(2, 30, 0.9)),
        Case("large: D = 5, 100 steps, beta = 0.5", case(5, 100, 0.5)),
        Case("beta = 0 (plain GD)", case(3, 10, 0.0)),
        Case("one step", case(2, 1, 0.8)),
        Case("float32", case(3, 20, 0.9, dtype=np.float32)),
    ]


register(Exercise(
    id="gradient_descent.ex2", kind="function", title="Momentum in the averaging (EMA) form",
    answer_name="momentum_ema", cases=_ex2_cases, atol=1e-9,
    statement=r"""
Write `momentum_ema(A, b, x0, lr, beta, steps)`: gradient descent with momentum in the
*exponential-moving-average* form on the same quadratic as in ex1,
$\nabla f(\mathbf x) = A\mathbf x - \mathbf b$:

$$\mathbf v_0 = \mathbf 0, \qquad
\mathbf v_t = \beta\,\mathbf v_{t-1} + (1-\beta)\,\nabla f(\mathbf x_{t-1}), \qquad
\mathbf x_t = \mathbf x_{t-1} - \eta\,\mathbf v_t .$$

Return the path, shape `(steps + 1, D)`, row 0 being `x0`, with the dtype of `x0`.
The check accepts each entry within a relative error of $10^{-7}$ or an absolute
error of $10^{-9}$ ($10^{-5}$ and $10^{-6}$ for float32 inputs).
""",
    hints=(
        "Keep two arrays between steps: the point x and the velocity v (zeros like x0).",
        "In each step: g = A @ x - b, then update v, then x, in that order.",
        "`v = beta * v + (1 - beta) * g` and `x = x - lr * v`. Starting v at the first gradient "
        "instead of zeros gives a different path.",
    ),
))


register(Exercise(
    id="gradient_descent.ex3", kind="value", title="The largest stable learning rate",
    answer_name="critical_lr", reference="critical_lr", rtol=5e-4, atol=0.0,
    statement=r"""
Gradient descent with a constant learning rate $\eta$ is run on

$$f(x, y) = 3.5\,x^2 + 3\,xy + 3.5\,y^2 .$$

Above which learning rate does it diverge from almost every starting point? Set
`critical_lr` to that number (a float), to at least 4 significant digits (the check
accepts a relative error up to $5 \times 10^{-4}$).
""",
    hints=(
        "Write f as ½ θᵀAθ; the entries of A are the second derivatives of f.",
        "A = [[7, 3], [3, 7]]. Gradient descent multiplies the component along each eigenvector "
        "of A by 1 − η λ; it diverges once |1 − η λ| > 1 for some eigenvalue λ.",
        "The eigenvalues of A are 10 and 4; the binding one is the largest, L = 10.",
    ),
))


register(Exercise(
    id="gradient_descent.ex4", kind="choice", title="A zero gradient",
    answer_name="zero_gradient", reference="zero_gradient",
    options={
        "a": "θ* is a local minimum of the loss, so training has found the best parameters nearby.",
        "b": "θ* may be a minimum, a maximum or a saddle point; the gradient alone cannot tell which.",
        "c": "Gradient descent skips the parameters whose gradient is zero, so they are never updated again.",
        "d": "θ* is the global minimum of the loss.",
    },
    statement=r"""
At the parameters $\theta^*$ the gradient of a network's loss is exactly zero,
$\nabla L(\theta^*) = \mathbf 0$. Which statement is true? Set `zero_gradient` to the
letter of your choice, e.g. `"a"`.
""",
    hints=(
        "Think of f(x, y) = x² − y² at the origin.",
        "Its gradient (2x, −2y) vanishes at the origin, yet f(0, 0.1) < f(0, 0): the origin is a saddle point.",
    ),
))


register(Exercise(
    id="gradient_descent.ex5", kind="value", title="Adam's bias correction",
    answer_name="m_hat_2", reference="m_hat_2", rtol=5e-4, atol=0.0,
    statement=r"""
Adam starts its first-moment estimate at $m_0 = 0$ and updates it with
$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t$, then corrects it to
$\hat m_t = m_t / (1 - \beta_1^t)$. With $\beta_1 = 0.9$, a one-parameter model receives the
gradients $g_1 = 1$ and $g_2 = 3$. Set `m_hat_2` to $\hat m_2$, the bias-corrected estimate
after the second step, to at least 4 significant digits (the check accepts a relative
error up to $5 \times 10^{-4}$).
""",
    hints=(
        "Compute m_1 first, then m_2, then divide by 1 − β₁².",
        "m_1 = 0.1 · 1 = 0.1 and m_2 = 0.9 · 0.1 + 0.1 · 3 = 0.39.",
        "1 − 0.9² = 0.19, so m̂_2 = 0.39 / 0.19: a weighted mean of g_1 and g_2 whose weights sum to one.",
    ),
))


_BUGGY_SGD = '''
def sgd(X, y, w, lr, batch_size, epochs, seed):
    """Mini-batch SGD on the mean squared error of the linear model X @ w."""
    rng = np.random.default_rng(seed)
    N = len(X)
    for epoch in range(epochs):
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            idx = order[start:start + batch_size]
            err = X @ w - y
            w = w - lr * 2 * X.T @ err / N
    return w
'''


def _ex6_cases(rng):
    def case(n, d, batch_size, epochs, dtype=np.float64, scale=1.0, lr=0.05):
        X = (scale * rng.standard_normal((n, d))).astype(dtype)
        w_true = rng.standard_normal(d)
        y = (X @ w_true + 0.1 * rng.standard_normal(n)).astype(dtype)
        w0 = np.zeros(d, dtype=dtype)
        return (X, y, w0, lr, batch_size, epochs, int(rng.integers(0, 2**31)))
    return [
        Case("normal", case(20, 3, 4, 3)),
        Case("large inputs", case(24, 4, 6, 2, scale=30.0, lr=1e-5)),
        Case("last batch smaller (N = 10, B = 4)", case(10, 2, 4, 2)),
        Case("batch of one (pure SGD)", case(12, 3, 1, 2)),
        Case("one batch = full batch", case(8, 2, 8, 3)),
        Case("float32", case(16, 3, 5, 2, dtype=np.float32)),
    ]


register(Exercise(
    id="gradient_descent.ex6", kind="bug", title="The SGD that was not stochastic",
    answer_name="sgd", cases=_ex6_cases, buggy=_BUGGY_SGD, atol=1e-9,
    statement=r"""
Source 000 calls an example "stochastic gradient descent", but every update in it uses
all the training examples. The function below, written in the same spirit, draws a
random order of the examples every epoch and walks through it in batches, and then
makes the same mistake. Fix it so that each update is a step on the mean squared error
**of the current batch only**, $\frac{1}{|\mathcal B|}\sum_{i\in\mathcal B}(\mathbf x_i^\top \mathbf w - y_i)^2$.
Keep the random order exactly as it is drawn (one `rng.permutation(N)` per epoch, batches
taken in that order, the last one smaller when `batch_size` does not divide `N`).
Return `w`, shape `(D,)`, with the dtype of `X`.
The check accepts each entry within a relative error of $10^{-7}$ or an absolute
error of $10^{-9}$ ($10^{-5}$ and $10^{-6}$ for float32 inputs).
""",
    hints=(
        "`idx` is computed and then never used.",
        "Select the batch with `Xb, yb = X[idx], y[idx]` and use them in the error and in the gradient.",
        "Average over the batch, not over N: `w = w - lr * 2 * Xb.T @ (Xb @ w - yb) / len(idx)` "
        "(len(idx), not batch_size: the last batch may be smaller).",
    ),
))
