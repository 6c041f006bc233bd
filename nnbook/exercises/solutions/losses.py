"""Reference solutions of the loss-functions chapter's exercises (``losses.ex1`` ... ``ex6``).

Shown by ``solution("losses.exN")`` only when a reader asks; imported by
``check`` to compute expected answers; blocked inside the grader's runner.
"""
import numpy as np


def _log_softmax(z):
    # Shift each row by its maximum: every exponent is <= 0, nothing overflows.
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def mse(y_pred, y_true):
    """ex1: targets reshaped to the outputs' shape (never broadcast), then the mean of the squares."""
    y_true = np.reshape(y_true, np.shape(y_pred))  # (N,) -> (N, 1); raises if the sizes differ
    return np.mean((y_pred - y_true) ** 2)


def cross_entropy(logits, targets):
    """ex2: -mean log softmax(z)[t], with the log-softmax computed by the log-sum-exp trick."""
    log_p = _log_softmax(logits)
    return -np.mean(log_p[np.arange(len(targets)), targets])


def cross_entropy_grad(logits, targets):
    """ex3: (softmax(z) - onehot(t)) / N, in the dtype of the logits."""
    p = np.exp(_log_softmax(logits))
    p[np.arange(len(targets)), targets] -= 1
    return p / len(targets)


def uniform_loss():
    """ex4: every example costs -ln(1/10) = ln 10 nats."""
    return float(np.log(10))


def why_cross_entropy():
    """ex5: the cross-entropy gradient w.r.t. the logit is sigma - y; the squared error's vanishes."""
    return "b"


def keras_style_bce(y_true, y_pred, eps=1e-7):
    """Mean binary cross-entropy, arguments in Keras's order: targets first."""
    y_pred = np.clip(y_pred, eps, 1 - eps)
    return np.mean(-(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)))


def compute_loss(outputs, labels):
    """ex6 (fixed): Keras losses take (y_true, y_pred), so the labels come first."""
    return keras_style_bce(labels, outputs)
