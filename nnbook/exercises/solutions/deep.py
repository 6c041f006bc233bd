"""Reference solutions of the deep networks chapter's exercises (``deep.ex1`` ... ``ex6``).

Shown by ``solution("deep.exN")`` only when a reader asks; imported by
``check`` to compute expected answers; blocked inside the grader's runner.
"""
import numpy as np


def xavier_std(fan_in, fan_out):
    """ex1: Var W = 2 / (n_in + n_out), so sigma = sqrt(2 / (n_in + n_out))."""
    return float(np.sqrt(2.0 / (fan_in + fan_out)))


def bound():
    """ex2: sigma'(z) <= 1/4 (at z = 0), so ten factors give at most 4**-10."""
    return 0.25 ** 10


def layer_norm(x, eps=1e-5):
    """ex3: standardise every example over its features (the last axis)."""
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)  # biased: divides by D
    return (x - mu) / np.sqrt(var + eps)


def batch_norm_train(x, gamma, beta, eps=1e-5):
    """ex4: standardise every feature over the batch (axis 0), then scale and shift."""
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def layernorm_axis():
    """ex5: LayerNorm's statistics are those of one example's features (rows, not columns)."""
    return "b"


def group_norm(x, num_groups, eps=1e-5):
    """ex6 (fixed): groups of channels of each example, never groups of examples."""
    N = x.shape[0]
    g = x.reshape(N, num_groups, -1)          # (example, group, entries of the group)
    mean = g.mean(axis=2, keepdims=True)
    var = g.var(axis=2, keepdims=True)
    return ((g - mean) / np.sqrt(var + eps)).reshape(x.shape)
