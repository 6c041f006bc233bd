"""Reference solutions of the gradient-descent chapter's exercises (``gradient_descent.ex1`` ... ``ex6``).

Shown by ``solution("gradient_descent.exN")`` only when a reader asks; imported
by ``check`` to compute expected answers; blocked inside the grader's runner.
"""
import numpy as np


def gd(A, b, x0, lr, steps):
    """ex1: the path x_0 ... x_steps of x <- x - lr * (A x - b), shape (steps + 1, D)."""
    x = x0.copy()
    path = [x]
    for _ in range(steps):
        x = x - lr * (A @ x - b)
        path.append(x)
    return np.array(path)


def momentum_ema(A, b, x0, lr, beta, steps):
    """ex2: v <- beta v + (1 - beta) grad, x <- x - lr v, starting from v = 0."""
    x = x0.copy()
    v = np.zeros_like(x0)
    path = [x]
    for _ in range(steps):
        g = A @ x - b
        v = beta * v + (1 - beta) * g
        x = x - lr * v
        path.append(x)
    return np.array(path)


def critical_lr():
    """ex3: f = ½ θᵀAθ with A = [[7, 3], [3, 7]]; gradient descent is stable for lr < 2 / λ_max."""
    A = np.array([[7.0, 3.0], [3.0, 7.0]])
    return 2.0 / np.linalg.eigvalsh(A).max()    # 2 / 10 = 0.2


def zero_gradient():
    """ex4: a zero gradient is a stationary point: a minimum, a maximum or a saddle point."""
    return "b"


def m_hat_2():
    """ex5: m_1 = 0.1, m_2 = 0.9 * 0.1 + 0.1 * 3 = 0.39, m_hat_2 = 0.39 / (1 - 0.9**2)."""
    beta1, m = 0.9, 0.0
    for g in (1.0, 3.0):
        m = beta1 * m + (1 - beta1) * g
    return m / (1 - beta1**2)


def sgd(X, y, w, lr, batch_size, epochs, seed):
    """ex6 (fixed): each update uses only the examples of its batch, averaged over the batch."""
    rng = np.random.default_rng(seed)
    N = len(X)
    for epoch in range(epochs):
        order = rng.permutation(N)
        for start in range(0, N, batch_size):
            idx = order[start:start + batch_size]
            Xb, yb = X[idx], y[idx]
            err = Xb @ w - yb
            w = w - lr * 2 * Xb.T @ err / len(idx)
    return w
