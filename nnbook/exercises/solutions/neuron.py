"""Reference solutions of the neuron chapter's exercises (``neuron.ex1`` ... ``ex5``).

Shown by ``solution("neuron.exN")`` only when a reader asks; imported by
``check`` to compute expected answers; blocked inside the grader's runner.
"""
import numpy as np


def _sigmoid(z):
    # exp(-|z|) <= 1 never overflows; float32 stays float32.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def neuron_output(x, w, b):
    """ex1: the activation a = sigmoid(w . x + b) of one neuron, as a float."""
    z = float(np.dot(w, x)) + b
    e = np.exp(-abs(z))  # the stable sigmoid: exp of a non-positive number
    return float(1 / (1 + e) if z >= 0 else e / (1 + e))


def dense_forward(X, W, b):
    """ex2: the pre-activations Z = X W + b of a layer, shape (N, D_out)."""
    return X @ W + b


def n_params():
    """ex3: 784 x 16 weights (one per input-unit pair) plus one bias per unit."""
    return 784 * 16 + 16


def decision_set():
    """ex4: sigmoid(z) = 0.5 exactly when z = w1 x1 + w2 x2 + b = 0, a straight line."""
    return "a"


def forward(X, W1, b1, W2, b2):
    """ex5 (fixed): the bias is added before the activation, not after it."""
    A1 = _sigmoid(X @ W1 + b1)
    return _sigmoid(A1 @ W2 + b2)
