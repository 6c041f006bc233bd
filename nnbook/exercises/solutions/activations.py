"""Reference solutions of the activations chapter's exercises (``activations.ex1`` ... ``ex7``).

Shown by ``solution("activations.exN")`` only when a reader asks; imported by
``check`` to compute expected answers; blocked inside the grader's runner.
"""
import numpy as np


def sigmoid(x):
    """ex1: exp(-|x|) <= 1 never overflows; each branch divides by 1 + e >= 1.

    (1 + np.tanh(x / 2)) / 2 is also exact and never overflows, but for very negative x it
    can only resolve values down to the spacing of floats near 1.
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def relu_grad(z):
    """ex2: 1 where z > 0, else 0 (also at z = 0), in z's dtype."""
    return (z > 0).astype(z.dtype)


def softmax(x):
    """ex3: subtract each row's maximum (along the last axis) so every exponent is <= 0."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def max_sigmoid_grad():
    """ex4: p (1 - p) is largest at p = sigma(0) = 1/2."""
    return 0.25


def ten_layer_bound():
    """ex5: each factor w sigma'(z) is at most 1/4 when w = 1, so the product is at most (1/4)^10.

    The bound is not attained: the largest product over a_0 is about 3.90e-7.
    """
    return 0.25 ** 10


def why_nonlinear():
    """ex6: (x W1 + b1) W2 + b2 = x (W1 W2) + (b1 W2 + b2), a single linear layer."""
    return "a"


def tanh_backward(h, grad_out):
    """ex7 (fixed): tanh'(z) = 1 - tanh(z)^2 = 1 - h^2; h is already tanh(z)."""
    return grad_out * (1 - h * h)
