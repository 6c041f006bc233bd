"""Reference solutions of the backpropagation chapter's exercises (``backprop.ex1`` ... ``ex6``).

Shown by ``solution("backprop.exN")`` only when a reader asks; imported by
``check`` to compute expected answers; blocked inside the grader's runner.
"""
import numpy as np


def _sigmoid(z):
    e = np.exp(-np.abs(z))  # never overflows; float32 stays float32
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def dense_backward(X, W, grad_out, wrt):
    """ex1: Y = X W + b, G = dL/dY. dL/dX = G W^T, dL/dW = X^T G, dL/db = column sums of G."""
    if wrt == "X":
        return grad_out @ W.T
    if wrt == "W":
        return X.T @ grad_out
    if wrt == "b":
        return grad_out.sum(axis=0)
    raise ValueError(f'wrt must be "X", "W" or "b", got {wrt!r}')


def output_delta(z, t):
    """ex2: dE/dz = dE/da * da/dz = (a - t) * sigma'(z), with sigma'(z) = a (1 - a)."""
    a = _sigmoid(z)
    return (a - t) * a * (1 - a)


def dL_dy():
    """ex3: r = x y + y = -8, dL/dr = 2 r = -16; y reaches r along two paths: dr/dy = x + 1 = 4."""
    x, y = 3.0, -2.0
    r = x * y + y
    return 2 * r * (x + 1)


def backward_cost():
    """ex4: per layer, forward X W; backward X^T G and G W^T: two products of the same size."""
    return "b"


def backward(X, y_true, W1, b1, W2, b2):
    """ex5 (fixed): the error's sign, the hidden layer's incoming gradient and tanh' = 1 - h^2."""
    h1 = np.tanh(X @ W1 + b1)
    y_pred = h1 @ W2 + b2
    g = y_pred - y_true                        # dE/dy_pred
    dW2 = h1.T @ g
    db2 = g.sum(axis=0, keepdims=True)
    dz1 = (g @ W2.T) * (1 - h1 ** 2)           # back through W2, then through tanh
    dW1 = X.T @ dz1
    db1 = dz1.sum(axis=0, keepdims=True)
    return np.concatenate([dW1.ravel(), db1.ravel(), dW2.ravel(), db2.ravel()])


def train_xor(W1, B1, W2, B2, LR, steps):
    """ex6 (fixed): D2 is dE/dZ2 = (A2 - Y) sigma'(Z2), so that `-=` descends."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    Y = np.array([[0], [1], [1], [0]])
    for _ in range(steps):
        A1 = _sigmoid(X @ W1 + B1)
        A2 = _sigmoid(A1 @ W2 + B2)
        D2 = (A2 - Y) * A2 * (1 - A2)
        D1 = (D2 @ W2.T) * A1 * (1 - A1)
        W1 -= LR * X.T @ D1
        B1 -= LR * D1.sum(axis=0)
        W2 -= LR * A1.T @ D2
        B2 -= LR * D2.sum(axis=0)
    return A2
