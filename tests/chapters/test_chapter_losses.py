"""The formulas of the loss-functions chapter (book/04_losses.ipynb), each against an independent oracle.

Every labelled equation of the chapter is checked here, and each section names the
labels it checks (eq-loss-mean, eq-mse, ...) as the notebook spells them; the last test
makes sure the two lists agree.
"""
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import nnlib
from nnlib.data import one_hot
from nnbook.experiments.losses import TEMPERATURE_LOGITS, logit_gradients, softmax_temperature

NOTEBOOK = Path(__file__).resolve().parents[2] / "book" / "04_losses.ipynb"


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


# -- eq-loss-mean, eq-mse, eq-mse-grad, eq-half-sse ------------------------------------------

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


def test_eq_mse_and_eq_mse_grad_match_torch_autograd(torch):
    y_pred, y_true = regression_pair(15, (6, 2))
    yt = torch.tensor(y_pred, requires_grad=True)
    loss = torch.nn.functional.mse_loss(yt, torch.tensor(y_true))
    loss.backward()
    by_formula = np.sum((y_pred - y_true) ** 2) / y_pred.size            # eq-mse, n counts every entry
    assert by_formula == pytest.approx(loss.item(), rel=1e-14)
    grad = 2 / y_pred.size * (y_pred - y_true)                            # eq-mse-grad
    np.testing.assert_allclose(grad, yt.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(nnlib.mse_grad(y_pred, y_true), grad, rtol=1e-15)


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

def test_eq_bce_as_written_matches_torch_for_hard_and_soft_targets(torch):
    rng = np.random.default_rng(17)
    p = rng.uniform(0.02, 0.98, 12)
    for y in (rng.integers(0, 2, 12).astype(float), rng.uniform(0, 1, 12)):
        as_written = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        expected = torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(y)).item()
        assert as_written == pytest.approx(expected, rel=1e-14)
        assert float(nnlib.binary_cross_entropy(p, y)) == pytest.approx(expected, rel=1e-14)


def test_eq_bce_in_bits_is_the_natural_log_loss_divided_by_ln2():
    rng = np.random.default_rng(4)
    p, y = rng.uniform(0.05, 0.95, 10), rng.integers(0, 2, 10).astype(float)
    bits = -np.mean(y * np.log2(p) + (1 - y) * np.log2(1 - p))
    assert bits == pytest.approx(float(nnlib.binary_cross_entropy(p, y)) / np.log(2), rel=1e-14)


# -- eq-losses-softmax, eq-ce, eq-ce-uniform -------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1])
def test_eq_ce_one_hot_form_equals_picked_entries_and_torch_with_probability_targets(torch, seed):
    logits, t = classes(seed)
    P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)  # eq-losses-softmax as written
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
    # the softmax of (0, z) is (1 - sigma(z), sigma(z)), as the chapter writes it
    np.testing.assert_allclose(nnlib.softmax(two, axis=1), np.stack([1 - nnlib.sigmoid(z), nnlib.sigmoid(z)], 1),
                               rtol=1e-14, atol=1e-16)
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


# -- eq-softmax-temperature -------------------------------------------------------------------

@pytest.mark.parametrize("temperature", [0.25, 1.0, 4.0, 100.0])
def test_eq_softmax_temperature_formula_matches_torch_and_the_experiment(torch, temperature):
    z = TEMPERATURE_LOGITS
    by_formula = np.exp(z / temperature) / np.exp(z / temperature).sum()
    np.testing.assert_allclose(by_formula, torch.softmax(torch.tensor(z) / temperature, dim=0).numpy(), rtol=1e-13)
    np.testing.assert_allclose(softmax_temperature(temperature, 0)["probs"], by_formula, rtol=1e-13, atol=1e-300)
    assert np.array_equal(np.argsort(by_formula), np.argsort(z))  # the order of the classes is kept


def test_eq_softmax_temperature_cold_is_one_hot_hot_is_uniform_with_ce_ln_c():
    z = TEMPERATURE_LOGITS
    assert nnlib.softmax(z / 0.01)[0] == pytest.approx(1.0, abs=1e-40)
    np.testing.assert_allclose(nnlib.softmax(z / 1e6), 1 / z.size, rtol=1e-5)
    assert float(nnlib.cross_entropy((z / 1e6)[None], [0])) == pytest.approx(np.log(z.size), rel=1e-5)


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


# -- eq-losses-ce-kl ---------------------------------------------------------------------------

def xlogy(a, b):
    """a log b, and 0 where a == 0."""
    return np.where(a > 0, a * np.log(np.where(a > 0, b, 1.0)), 0.0)


def random_distributions(seed, n=8, c=5, zeros=True):
    rng = np.random.default_rng(seed)
    y = rng.dirichlet(np.full(c, 0.7), size=n)
    if zeros:  # some exact zeros, where 0 log 0 = 0 matters
        y[: n // 2, 0] = 0.0
        y /= y.sum(axis=1, keepdims=True)
    return y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_eq_losses_ce_kl_cross_entropy_is_entropy_plus_kl_for_random_distributions(torch, seed):
    y = random_distributions(seed)
    logits = np.random.default_rng(100 + seed).normal(scale=2, size=y.shape)
    p = nnlib.softmax(logits, axis=1)
    ce = -np.sum(xlogy(y, p), axis=1)
    entropy = -np.sum(xlogy(y, y), axis=1)
    kl = np.sum(xlogy(y, y) - xlogy(y, p), axis=1)
    np.testing.assert_allclose(ce, entropy + kl, rtol=1e-13)
    # oracles: torch's cross-entropy with probability targets and torch.distributions
    yt, pt = torch.distributions.Categorical(probs=torch.tensor(y)), torch.distributions.Categorical(probs=torch.tensor(p))
    expected_ce = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(y), reduction="none").numpy()
    np.testing.assert_allclose(ce, expected_ce, rtol=1e-12)
    np.testing.assert_allclose(entropy, yt.entropy().numpy(), rtol=1e-12)
    np.testing.assert_allclose(kl, torch.distributions.kl_divergence(yt, pt).numpy(), rtol=1e-12)
    assert np.all(kl > 0)                                         # Gibbs: p != y here


@pytest.mark.parametrize("seed", [3, 4])
def test_eq_losses_ce_kl_minimum_over_p_is_the_entropy_reached_at_p_equal_y(seed):
    y = random_distributions(seed, n=1, c=4, zeros=False)[0]
    entropy = -np.sum(y * np.log(y))                           # H(y), which is also CE(y, y)
    # every other prediction costs more: random ones, and small steps away from y in every direction
    rng = np.random.default_rng(seed)
    for p in list(rng.dirichlet(np.ones(4), size=200)) + [nnlib.softmax(np.log(y) + 1e-3 * rng.normal(size=4))
                                                         for _ in range(50)]:
        assert -np.sum(y * np.log(p)) > entropy
    # the minimiser found numerically by gradient descent on the logits is y itself
    z = np.zeros(4)
    for _ in range(2000):
        z -= 1.0 * (nnlib.softmax(z) - y)                     # gradient of CE(y, softmax(z)) is p - y
    np.testing.assert_allclose(nnlib.softmax(z), y, atol=1e-8)


def test_eq_losses_ce_kl_hard_targets_have_zero_entropy_and_soft_binary_targets_do_not():
    logits, t = classes(16, n=6, c=4)
    Y, P = one_hot(t, 4), nnlib.softmax(logits, axis=1)
    kl = np.sum(xlogy(Y, Y) - xlogy(Y, P), axis=1)
    assert float(nnlib.cross_entropy(logits, t)) == pytest.approx(kl.mean(), rel=1e-13)   # H(Y) = 0
    # the chapter's soft binary target: BCE(0.3, 0.3) = H(0.3, 0.7) = 0.611 nats, the smallest BCE against 0.3
    h = -(0.3 * np.log(0.3) + 0.7 * np.log(0.7))
    assert float(nnlib.binary_cross_entropy([0.3], [0.3])) == pytest.approx(h, rel=1e-14)
    assert round(h, 3) == 0.611
    grid = np.linspace(0.01, 0.99, 99)
    bce = np.array([float(nnlib.binary_cross_entropy([q], [0.3])) for q in grid])
    assert grid[bce.argmin()] == pytest.approx(0.3) and bce.min() == pytest.approx(h, rel=1e-14)


def test_kl_divergence_is_not_symmetric():
    y, p = random_distributions(5, n=1, c=4, zeros=False)[0], random_distributions(6, n=1, c=4, zeros=False)[0]
    kl_yp, kl_py = np.sum(y * np.log(y / p)), np.sum(p * np.log(p / y))
    assert kl_yp > 0 and kl_py > 0 and abs(kl_yp - kl_py) > 1e-3


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


# -- eq-losses-softmax-jacobian, eq-ce-grad -------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1])
def test_eq_losses_softmax_jacobian_matches_torch(torch, seed):
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


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_eq_ce_grad_is_orthogonal_to_ones_a_constant_shift_changes_nothing_a_zero_sum_move_does(torch, seed):
    logits, t = classes(seed, n=5, c=4)
    grad = nnlib.cross_entropy_grad(logits, t)
    np.testing.assert_allclose(grad @ np.ones(4), 0.0, atol=1e-16)
    for n in range(5):
        z, c = logits[n], 4
        ce = float(nnlib.cross_entropy(z[None], [t[n]]))
        for shift in (-7.0, 0.5, 3.0, 100.0):
            assert float(nnlib.cross_entropy((z + shift)[None], [t[n]])) == pytest.approx(ce, rel=1e-12)
        delta = np.full(c, -1 / (c - 1))
        delta[t[n]] = 1.0
        assert abs(delta.sum()) < 1e-15
        moved = float(nnlib.cross_entropy((z + delta)[None], [t[n]]))
        assert moved < ce - 1e-3                                  # the "same total" move lowers the loss
        # the slope along delta: grad . delta = -C/(C-1) (1 - p_t), checked with torch autograd
        zt = torch.tensor(z, requires_grad=True)
        torch.nn.functional.cross_entropy(zt[None], torch.tensor([t[n]])).backward()
        p_t = nnlib.softmax(z)[t[n]]
        assert zt.grad.numpy() @ delta == pytest.approx(-c / (c - 1) * (1 - p_t), rel=1e-12)


# -- the labels of the chapter and the labels these tests name -----------------------------------

LABEL = re.compile(r"\$\$\s*\((eq-[a-z0-9]+(?:-[a-z0-9]+)*)\)")
NAMED = re.compile(r"(?<![\w-])eq-[a-z0-9]+(?:-[a-z0-9]+)*")


def test_every_labelled_equation_of_the_chapter_is_named_here_and_every_name_here_is_a_label():
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    labels = set(LABEL.findall(markdown))
    named = set(NAMED.findall(Path(__file__).read_text(encoding="utf-8")))
    assert len(labels) >= 20, sorted(labels)
    assert labels - named == set(), f"labelled in the chapter but named by no test here: {sorted(labels - named)}"
    assert named - labels == set(), f"named here but not a label of the chapter: {sorted(named - labels)}"
