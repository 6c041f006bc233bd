"""Reference solutions of the frameworks chapter's exercises (``frameworks.ex1`` ... ``ex6``).

Shown by ``solution("frameworks.exN")`` only when a reader asks; imported by
``check`` to compute expected answers; blocked inside the grader's runner.
"""
import numpy as np


def linear_weight_from_dense(W):
    """ex1: nn.Linear's weight is W transposed: X @ weight.T == X @ W."""
    return W.T.copy()


def moved_by_model_to():
    """ex2: a module moves what it owns (parameters, buffers); batches are moved one by one."""
    return "a"


def _categorical_crossentropy(y_true, y_pred, eps=1e-7):
    y_pred = np.clip(y_pred, eps, 1 - eps)
    return np.mean(-np.sum(y_true * np.log(y_pred), axis=-1))


def keras_loss_value(labels, outputs):
    """ex3 (fixed): Keras losses take (y_true, y_pred): the labels go first."""
    return _categorical_crossentropy(labels, outputs)


def reduced_gradient():
    """ex4: DDP averages the workers' gradients: (0.30 + (-0.10)) / 2."""
    return (0.30 + -0.10) / 2


def bytes_sent_per_worker():
    """ex5: 2 (K - 1) chunks of 1/K of the (784*128 + 128 + 128*10 + 10) * 4 gradient bytes, K = 5."""
    K = 5
    size = (784 * 128 + 128 + 128 * 10 + 10) * 4
    return 2 * (K - 1) / K * size


def random_labels_outcome():
    """ex6: a big network memorises the training labels; test labels stay coin flips."""
    return "b"
