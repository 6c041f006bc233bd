"""The deep networks chapter's exercises: references pass, starters are "not attempted", wrong answers fail."""
import numpy as np
import pytest

from nnbook.exercises import all_exercises, check, exercise
from nnbook.exercises.solutions import deep as ref

IDS = [ex.id for ex in all_exercises("deep")]


def test_the_chapter_has_six_exercises_of_all_four_kinds():
    assert IDS == [f"deep.ex{i}" for i in range(1, 7)]
    assert {exercise(i).kind for i in IDS} == {"function", "value", "choice", "bug"}


def _ln(axis, ddof=0, eps_outside=False, eps_default=True):
    def layer_norm(x, eps=1e-5):
        mu = x.mean(axis=axis, keepdims=True)
        var = x.var(axis=axis, keepdims=True, ddof=ddof)
        if eps_outside:
            return (x - mu) / (np.sqrt(var) + eps)
        return (x - mu) / np.sqrt(var + (eps if eps_default else 0.0))
    return layer_norm


def _bn(axis=0, ddof=0, no_beta=False, swap=False):
    def batch_norm_train(x, gamma, beta, eps=1e-5):
        mu = x.mean(axis=axis, keepdims=True)
        var = x.var(axis=axis, keepdims=True, ddof=ddof)
        xhat = (x - mu) / np.sqrt(var + eps)
        if swap:
            return beta * xhat + gamma
        return gamma * xhat + (0 if no_beta else beta)
    return batch_norm_train


def _gn_layer_norm(x, num_groups, eps=1e-5):  # ignores the groups
    g = x.reshape(x.shape[0], -1)
    return ((g - g.mean(axis=1, keepdims=True)) / np.sqrt(g.var(axis=1, keepdims=True) + eps)).reshape(x.shape)


def _gn_groups_of_samples(x, num_groups, eps=1e-5):  # the bug, written differently
    N = x.shape[0]
    g = np.reshape(x, (num_groups, N // num_groups, -1))
    out = (g - g.mean(axis=(1, 2), keepdims=True)) / np.sqrt(g.var(axis=(1, 2), keepdims=True) + eps)
    return out.reshape(x.shape)


def _gn_interleaved(x, num_groups, eps=1e-5):  # channels c, c+G, ... in one group: wrong grouping
    N, C = x.shape[:2]
    g = x.reshape(N, C // num_groups, num_groups, -1).swapaxes(1, 2).reshape(N, num_groups, -1)
    out = (g - g.mean(axis=2, keepdims=True)) / np.sqrt(g.var(axis=2, keepdims=True) + eps)
    return out.reshape(N, num_groups, C // num_groups, -1).swapaxes(1, 2).reshape(x.shape)


def _gn_mean_over_both_axes(x, num_groups, eps=1e-5):  # fixed reshape, stale axes: LayerNorm again
    g = x.reshape(x.shape[0], num_groups, -1)
    out = (g - g.mean(axis=(1, 2), keepdims=True)) / np.sqrt(g.var(axis=(1, 2), keepdims=True) + eps)
    return out.reshape(x.shape)


WRONG_ANSWERS = {
    "deep.ex1": {
        "He's std, sqrt(2/fan_in)": lambda fi, fo: (2.0 / fi) ** 0.5,
        "the variance, not the std": lambda fi, fo: 2.0 / (fi + fo),
        "the uniform bound sqrt(6/(fi+fo))": lambda fi, fo: (6.0 / (fi + fo)) ** 0.5,
        "sqrt(1/(fi+fo))": lambda fi, fo: (1.0 / (fi + fo)) ** 0.5,
        "an array of shape (1,)": lambda fi, fo: np.array([(2.0 / (fi + fo)) ** 0.5]),
    },
    "deep.ex2": {
        "one factor": 0.25, "sum of ten factors": 2.5, "off by one: 4**-9": 0.25 ** 9, "2**-10": 2.0 ** -10,
        "zero": 0.0,
    },
    "deep.ex3": {
        "axis 0 (BatchNorm, 003's description)": _ln(axis=0),
        "all entries at once": _ln(axis=None),
        "unbiased variance": _ln(axis=-1, ddof=1),
        "eps outside the square root": _ln(axis=-1, eps_outside=True),
        "eps forgotten": _ln(axis=-1, eps_default=False),
        "axis 1 (wrong for 3-D input)": _ln(axis=1),
        # LayerNorm((L, D)) instead of LayerNorm(D): right for (N, D), wrong for the (N, L, D) case
        "all axes after the first (each whole sequence, not each token)":
            lambda x, eps=1e-5: _ln(axis=tuple(range(1, x.ndim)))(x, eps),
    },
    "deep.ex4": {
        "axis 1 (LayerNorm)": _bn(axis=1),
        "unbiased variance": _bn(ddof=1),
        "beta forgotten": _bn(no_beta=True),
        "gamma and beta swapped": _bn(swap=True),
        "float64 output for float32 input":
            lambda x, g, b, eps=1e-5: ref.batch_norm_train(x, g, b, eps).astype(np.float64),
    },
    "deep.ex5": {"003's description": "a", "the whole batch": "c", "groups of samples": "d"},
    "deep.ex6": {
        "groups of samples (003), rewritten": _gn_groups_of_samples,
        "LayerNorm (ignores groups)": _gn_layer_norm,
        "interleaved channels": _gn_interleaved,
        "reshape fixed, axes not": _gn_mean_over_both_axes,
    },
}


def test_the_unchanged_buggy_group_norm_is_reported_as_not_attempted_and_is_wrong():
    ex = exercise("deep.ex6")
    namespace = {"np": np}
    exec(ex.buggy, namespace)
    buggy = namespace["group_norm"]
    assert check("deep.ex6", buggy).status == "not_attempted"
    x = np.random.default_rng(0).normal(size=(4, 6))
    assert not np.allclose(buggy(x, 2), ref.group_norm(x, 2))


def test_the_group_norm_reference_matches_nnlib_groupnorm_without_affine():
    from nnlib import GroupNorm

    x = np.random.default_rng(1).normal(size=(4, 6, 3))
    np.testing.assert_allclose(ref.group_norm(x, 3), GroupNorm(3, 6, affine=False)(x), rtol=1e-12, atol=1e-12)


def test_the_layer_and_batch_norm_references_match_nnlib():
    from nnlib import BatchNorm1d, LayerNorm

    rng = np.random.default_rng(2)
    x, gamma, beta = rng.normal(size=(7, 5)), rng.normal(size=5), rng.normal(size=5)
    np.testing.assert_allclose(ref.layer_norm(x), LayerNorm(5, elementwise_affine=False)(x), rtol=1e-12, atol=1e-12)
    bn = BatchNorm1d(5)
    bn.weight.data[:], bn.bias.data[:] = gamma, beta
    np.testing.assert_allclose(ref.batch_norm_train(x, gamma, beta), bn(x), rtol=1e-12, atol=1e-12)


def test_ex2_accepts_every_answer_with_three_significant_digits_and_states_the_precision():
    ex = exercise("deep.ex2")
    assert "3 significant digits" in ex.statement and "10^{-3}" in ex.statement
    for answer in (0.25 ** 10, 9.54e-7, 9.537e-7, 9.53e-7, 9.5367e-7, 4.0 ** -10):
        assert check("deep.ex2", answer).status == "correct", answer
    for answer in (9.5e-7, 9.6e-7, 1e-6, 0.25 ** 9):
        assert check("deep.ex2", answer).status == "incorrect", answer


def test_ex3_follows_layernorm_normalized_shape_on_the_transformer_layout():
    """ex3 is LayerNorm(D) on (N, D) and on (N, L, D): each token over its D features, as torch computes it."""
    torch = pytest.importorskip("torch")
    ex = exercise("deep.ex3")
    assert "(N, L, D)" in ex.statement and "normalized_shape" in ex.statement
    x = np.random.default_rng(3).normal(size=(2, 3, 4))
    with torch.no_grad():
        expected = torch.nn.LayerNorm(4, elementwise_affine=False, dtype=torch.float64)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ref.layer_norm(x), expected, rtol=1e-12, atol=1e-12)
    cases = [c.name for c in ex.public_cases()]
    assert "(N, L, D): three axes" in cases


def test_function_exercises_state_the_tolerance_their_check_uses():
    for i in (1, 3, 4, 6):
        ex = exercise(f"deep.ex{i}")
        assert "10^{-7}" in ex.statement and ex.rtol == 1e-7, ex.id
        if i != 1:
            assert "10^{-9}" in ex.statement and ex.atol == 1e-9, ex.id
            assert "10^{-5}" in ex.statement and ex.rtol32 == 1e-5 and "10^{-6}" in ex.statement and ex.atol32 == 1e-6
