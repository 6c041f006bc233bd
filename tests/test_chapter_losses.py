"""The formulas of the loss-functions chapter (book/04_losses.ipynb), each against an independent oracle.

Every labelled equation of the chapter is checked here or in tests/test_losses.py,
tests/test_activations.py and tests/test_experiments_losses.py; the test names
cite the labels.
"""
import warnings

import numpy as np
import pytest

import nnlib
from nnlib.data import one_hot
from nnlib.experiments.losses import logit_gradients


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch")
    return torch


def regression_pair(seed, shape=(6, 1)):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape), rng.normal(size=shape)


def classes(seed, n=7, c=4, scale=2.0):
    rng = np.random.default_rng(seed)
    return rng.normal(scale=scale, size=(n, c)), rng.integers(0, c, size=n)


# -- eq-loss-mean, eq-mse, eq-half-sse ------------------------------------------------------

def test_eq_loss_mean_every_loss_is_the_mean_of_per_example_losses(torch):
    y_pred, y_true = regression_pair(0, (5, 1))
    per_example = torch.nn.functional.mse_loss(torch.tensor(y_pred), torch.tensor(y_true), reduction="none")
    assert float(nnlib.mse(y_pred, y_true)) == pytest.approx(per_example.mean().item(), rel=1e-14)
    logits, t = classes(1)
    per_example = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(t), reduction="none")
    assert float(nnlib.cross_entropy(logits, t)) == pytest.approx(per_example.mean().item(), rel=1e-14)


def test_broadcast_shape_bug_gives_a_wrong_number_and_nnlib_refuses_it():
    y_pred, y_true = regression_pair(2, (4, 1))
    wrong = np.mean((y_pred - y_true.ravel()) ** 2)       # (4, 1) - (4,) -> (4, 4)
    assert (y_pred - y_true.ravel()).shape == (4, 4)
    assert wrong != pytest.approx(float(nnlib.mse(y_pred, y_true)), rel=1e-3)
    with pytest.raises(ValueError, match=r"y_true has shape \(4,\), expected \(4, 1\) like y_pred"):
        nnlib.mse(y_pred, y_true.ravel())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_eq_half_sse_one_step_equals_an_mse_step_with_learning_rate_times_n_over_2(seed):
    y_pred, y_true = regression_pair(seed, (5, 2))
    n, eta = y_pred.size, 0.1
    step_e = y_pred - eta * nnlib.half_sse_grad(y_pred, y_true)
    step_mse = y_pred - eta * n / 2 * nnlib.mse_grad(y_pred, y_true)
    np.testing.assert_allclose(step_e, step_mse, rtol=1e-14)
    assert float(nnlib.half_sse(y_pred, y_true)) == pytest.approx(n / 2 * float(nnlib.mse(y_pred, y_true)), rel=1e-14)


def test_source_002_output_gradient_is_minus_the_gradient_and_increases_the_loss():
    y_pred, y_true = regression_pair(3)
    grad_002 = y_true - y_pred
    np.testing.assert_array_equal(grad_002, -nnlib.half_sse_grad(y_pred, y_true))
    before = float(nnlib.half_sse(y_pred, y_true))
    assert float(nnlib.half_sse(y_pred - 0.1 * grad_002, y_true)) > before
    assert float(nnlib.half_sse(y_pred - 0.1 * nnlib.half_sse_grad(y_pred, y_true), y_true)) < before


# -- eq-bce: log base ------------------------------------------------------------------------

def test_eq_bce_in_bits_is_the_natural_log_loss_divided_by_ln2():
    rng = np.random.default_rng(4)
    p, y = rng.uniform(0.05, 0.95, 10), rng.integers(0, 2, 10).astype(float)
    bits = -np.mean(y * np.log2(p) + (1 - y) * np.log2(1 - p))
    assert bits == pytest.approx(float(nnlib.binary_cross_entropy(p, y)) / np.log(2), rel=1e-14)


# -- eq-softmax, eq-ce, eq-ce-uniform ------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1])
def test_eq_ce_one_hot_form_equals_picked_entries_and_torch_with_probability_targets(torch, seed):
    logits, t = classes(seed)
    P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)  # eq-softmax as written
    np.testing.assert_allclose(P, torch.softmax(torch.tensor(logits), dim=1).numpy(), rtol=1e-13)
    Y = one_hot(t, logits.shape[1])
    one_hot_form = -np.mean(np.sum(Y * np.log(P), axis=1))
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(Y)).item()  # soft-target form
    assert one_hot_form == pytest.approx(expected, rel=1e-13)
    assert float(nnlib.cross_entropy(logits, t)) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("c", [2, 4, 10, 1000])
def test_eq_ce_uniform_equal_logits_give_ln_c_whatever_the_labels(c):
    rng = np.random.default_rng(c)
    logits = np.full((6, c), rng.normal())
    assert float(nnlib.cross_entropy(logits, rng.integers(0, c, 6))) == pytest.approx(np.log(c), rel=1e-14)


def test_two_class_softmax_cross_entropy_is_the_binary_cross_entropy_of_the_sigmoid():
    rng = np.random.default_rng(5)
    z, labels = rng.normal(scale=2, size=9), rng.integers(0, 2, 9)
    two = np.stack([np.zeros(9), z], axis=1)
    assert float(nnlib.cross_entropy(two, labels)) == pytest.approx(
        float(nnlib.binary_cross_entropy(nnlib.sigmoid(z), labels.astype(float))), rel=1e-12)


def test_source_004_binary_formula_on_one_hot_targets_is_not_the_cross_entropy():
    logits, t = classes(6)
    P, Y = nnlib.softmax(logits, axis=1), one_hot(t, logits.shape[1])
    binary = float(nnlib.binary_cross_entropy(P, Y))
    ce = float(nnlib.cross_entropy(logits, t))
    assert abs(binary - ce) > 0.1
    # it is the one-vs-rest sum of binary losses per example, divided by C (mean over N*C entries)
    one_vs_rest = -np.sum(Y * np.log(P) + (1 - Y) * np.log(1 - P), axis=1).mean() / logits.shape[1]
    assert binary == pytest.approx(one_vs_rest, rel=1e-12)


# -- eq-keras-swapped -------------------------------------------------------------------------

def keras_categorical_crossentropy(y_true, y_pred, eps=1e-7):
    """Keras's documented formula (clip, then -sum y_true log y_pred), batch mean."""
    y_pred = np.clip(y_pred, eps, 1 - eps)
    return np.mean(-np.sum(y_true * np.log(y_pred), axis=1))


def test_eq_keras_swapped_arguments_give_the_linear_loss_of_the_chapter(torch):
    logits, t = classes(7, n=9, c=10)
    P, Y = nnlib.softmax(logits, axis=1), one_hot(t, 10)
    eps = 1e-7
    assert keras_categorical_crossentropy(Y, P) == pytest.approx(float(nnlib.cross_entropy(logits, t)), rel=1e-12)
    p_t = P[np.arange(9), t]
    swapped = keras_categorical_crossentropy(P, Y)
    assert swapped == pytest.approx(-np.mean(p_t * np.log(1 - eps) + (1 - p_t) * np.log(eps)), rel=1e-12)
    assert swapped == pytest.approx(-np.log(eps) * np.mean(1 - p_t), rel=1e-5)
    # its gradient w.r.t. the true class's logit carries the vanishing factor p_t (1 - p_t)
    zt = torch.tensor(logits, requires_grad=True)
    pt = torch.softmax(zt, dim=1)
    torch.mean(-torch.sum(pt * torch.log(torch.clamp(torch.tensor(Y), eps, 1 - eps)), dim=1)).backward()
    expected = (np.log(1 - eps) - np.log(eps)) * -p_t * (1 - p_t) / 9
    np.testing.assert_allclose(zt.grad.numpy()[np.arange(9), t], expected, rtol=1e-10)


# -- eq-nll-gauss, eq-nll-bernoulli, eq-nll-categorical ------------------------------------------

@pytest.mark.parametrize("sigma", [0.3, 1.0, 2.5])
def test_eq_nll_gauss_is_a_constant_plus_scaled_mse(torch, sigma):
    y_pred, y_true = regression_pair(8, (7, 1))
    nll = -torch.distributions.Normal(torch.tensor(y_pred), sigma).log_prob(torch.tensor(y_true)).sum().item()
    n = y_pred.size
    expected = n / 2 * np.log(2 * np.pi * sigma ** 2) + n / (2 * sigma ** 2) * float(nnlib.mse(y_pred, y_true))
    assert nll == pytest.approx(expected, rel=1e-13)
    if sigma == 1.0:  # the second term is then the half-SSE of eq-half-sse
        assert nll - n / 2 * np.log(2 * np.pi) == pytest.approx(float(nnlib.half_sse(y_pred, y_true)), rel=1e-12)


def test_eq_nll_bernoulli_is_n_times_bce(torch):
    rng = np.random.default_rng(9)
    p, y = rng.uniform(0.01, 0.99, 12), rng.integers(0, 2, 12).astype(float)
    nll = -torch.distributions.Bernoulli(probs=torch.tensor(p)).log_prob(torch.tensor(y)).sum().item()
    assert nll == pytest.approx(12 * float(nnlib.binary_cross_entropy(p, y)), rel=1e-13)


def test_eq_nll_categorical_is_n_times_cross_entropy(torch):
    logits, t = classes(10, n=11, c=6)
    nll = -torch.distributions.Categorical(logits=torch.tensor(logits)).log_prob(torch.tensor(t)).sum().item()
    assert nll == pytest.approx(11 * float(nnlib.cross_entropy(logits, t)), rel=1e-13)


# -- eq-se-logit-grad, eq-bce-logit-grad ------------------------------------------------------

def test_eq_se_and_bce_logit_grads_match_torch_autograd_and_nnlib_chain_rule(torch):
    rng = np.random.default_rng(11)
    z, y = rng.normal(scale=4, size=20), rng.uniform(0, 1, 20)
    g_se, g_bce = logit_gradients(z, y)
    zt = torch.tensor(z, requires_grad=True)
    (0.5 * (torch.sigmoid(zt) - torch.tensor(y)) ** 2).sum().backward()
    np.testing.assert_allclose(g_se, zt.grad.numpy(), rtol=1e-12, atol=1e-16)
    zt = torch.tensor(z, requires_grad=True)
    torch.nn.functional.binary_cross_entropy_with_logits(zt, torch.tensor(y), reduction="sum").backward()
    np.testing.assert_allclose(g_bce, zt.grad.numpy(), rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(g_se, nnlib.half_sse_grad(nnlib.sigmoid(z), y) * nnlib.sigmoid_grad(z), rtol=1e-14)
    np.testing.assert_allclose(g_bce, z.size * nnlib.binary_cross_entropy_with_logits_grad(z, y), rtol=1e-13)


def test_squared_error_gradient_vanishes_when_confidently_wrong_but_cross_entropy_does_not():
    g_se, g_bce = logit_gradients([-10.0, 10.0], [1.0, 0.0])
    assert np.all(np.abs(g_se) < 1e-4), g_se
    assert np.all(np.abs(g_bce) > 0.9999), g_bce


def test_gradient_descent_from_confidently_wrong_needs_7_steps_with_bce_and_426_with_squared_error():
    steps = {}
    for k, name in enumerate(("se", "bce")):
        z = np.array([-6.0])
        for step in range(1, 1001):
            z = z - logit_gradients(z, [1.0])[k]
            if nnlib.sigmoid(z)[0] > 0.5:
                break
        steps[name] = step
    assert steps == {"se": 426, "bce": 7}


# -- eq-logsumexp, eq-bce-logits -----------------------------------------------------------------

def test_eq_logsumexp_naive_log_softmax_fails_and_nnlib_is_exact(torch):
    z = np.array([[1000.0, 0.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        naive = np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
        log_of_softmax = np.log(nnlib.softmax(z, axis=1))
    assert np.isnan(naive[0, 0]) and np.isneginf(naive[0, 1:]).all()
    assert np.isneginf(log_of_softmax[0, 1:]).all()
    np.testing.assert_array_equal(nnlib.log_softmax(z, axis=1), [[0.0, -1000.0, -2000.0]])
    assert float(nnlib.cross_entropy(z, [1])) == 1000.0
    # the identity itself: m + log sum exp(z - m) = torch.logsumexp
    x = np.random.default_rng(12).normal(scale=300, size=(5, 7))
    m = x.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(x - m).sum(axis=1))
    np.testing.assert_allclose(lse, torch.logsumexp(torch.tensor(x), dim=1).numpy(), rtol=1e-14)


def test_eq_bce_logits_stable_form_is_exact_where_the_formula_as_written_is_infinite(torch):
    z, y = np.array([40.0]), np.array([0.0])
    p = nnlib.sigmoid(z)
    assert p[0] == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isinf(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    assert float(nnlib.binary_cross_entropy(p, y)) == pytest.approx(-np.log(1e-12), rel=1e-5)  # 1 - 1e-12 rounds
    assert float(nnlib.binary_cross_entropy_with_logits(z, y)) == pytest.approx(40.0, rel=1e-15)
    zz = np.random.default_rng(13).normal(scale=30, size=50)
    yy = np.random.default_rng(14).uniform(0, 1, 50)
    stable = np.maximum(zz, 0) - zz * yy + np.log1p(np.exp(-np.abs(zz)))
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(zz), torch.tensor(yy), reduction="none").numpy()
    np.testing.assert_allclose(stable, expected, rtol=1e-13)


# -- eq-softmax-jacobian, eq-ce-grad -------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1])
def test_eq_softmax_jacobian_matches_torch(torch, seed):
    z = np.random.default_rng(seed).normal(scale=2, size=5)
    p = nnlib.softmax(z)
    J = np.diag(p) - np.outer(p, p)
    expected = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, dim=0), torch.tensor(z)).numpy()
    np.testing.assert_allclose(J, expected, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("seed", [0, 1])
def test_eq_ce_grad_by_chain_rule_by_formula_and_torch_agree_and_rows_sum_to_zero(torch, seed):
    logits, t = classes(seed, n=6, c=5)
    P, Y = nnlib.softmax(logits, axis=1), one_hot(t, 5)
    formula = (P - Y) / 6
    chain = np.stack([(np.diag(p) - np.outer(p, p)).T @ (-y / p) for p, y in zip(P, Y)]) / 6
    zt = torch.tensor(logits, requires_grad=True)
    torch.nn.functional.cross_entropy(zt, torch.tensor(t)).backward()
    np.testing.assert_allclose(chain, formula, rtol=1e-10, atol=1e-16)
    np.testing.assert_allclose(formula, zt.grad.numpy(), rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(nnlib.cross_entropy_grad(logits, t), formula, rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(formula.sum(axis=1), 0.0, atol=1e-15)
