"""The gradient-descent chapter: nnbook.surfaces, nnbook.minibatch and every equation of the chapter.

Each test named after an equation label (eq-...) checks that equation of
book/05_gradient_descent.ipynb numerically, against torch autograd,
torch.optim, exact enumeration or finite differences, in float64.
"""
import itertools
import math

import numpy as np
import pytest

from nnlib import Dense, Parameter, Sequential, Tanh, mse, mse_grad, optim
from nnlib.lr_scheduler import LambdaLR
from nnbook.minibatch import (gradient_variance, linear_regression_gradients, minibatch_variance,
                             sample_minibatch_gradients)
from nnbook.surfaces import BOWL_HESSIAN, SURFACES, Surface, optimize_path

torch = pytest.importorskip("torch")


def _torch_f(name, x, y):
    if name == "bowl":
        return 5 * (x + y) ** 2 + 0.05 * (x - y) ** 2
    if name == "rosenbrock":
        return (1 - x) ** 2 + 10 * (y - x * x) ** 2
    return x * x - 2 * y * y + y**4


def _torch_path(surface, make_optimizer, steps, start=None):
    p = torch.tensor(surface.start if start is None else start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer([p])
    path = [p.detach().numpy().copy()]
    for _ in range(steps):
        p.grad = torch.from_numpy(surface.gradient(p.detach().numpy()))
        opt.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


def _by_hand(update, theta0, steps):
    """Iterate ``theta, state = update(theta, state, t)`` from ``state = None``; return the path."""
    theta, state, path = np.array(theta0, dtype=float), None, []
    path.append(theta)
    for t in range(1, steps + 1):
        theta, state = update(theta, state, t)
        path.append(theta)
    return np.array(path)


# -- nnbook.surfaces -------------------------------------------------------
@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_values_and_gradients_match_torch_autograd(name):
    s = SURFACES[name]
    pts = np.random.default_rng(0).uniform(-2, 2, size=(20, 2))
    xt = torch.tensor(pts, dtype=torch.float64, requires_grad=True)
    f = _torch_f(name, xt[:, 0], xt[:, 1])
    f.sum().backward()
    np.testing.assert_allclose(s.f(pts[:, 0], pts[:, 1]), f.detach().numpy(), rtol=1e-13)
    gx, gy = s.grad(pts[:, 0], pts[:, 1])
    np.testing.assert_allclose(np.stack([gx, gy], axis=1), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert s.value(pts[0]) == pytest.approx(float(f.detach()[0]), rel=1e-13)
    assert s.gradient(pts[0]).shape == (2,)


@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_minimum_and_start_are_consistent(name):
    s = SURFACES[name]
    assert s.value(s.minimum) == pytest.approx(s.f_min, abs=1e-15)
    np.testing.assert_allclose(s.gradient(s.minimum), 0.0, atol=1e-15)
    assert s.value(s.start) > s.f_min
    x, y, Z = s.grid(11)
    assert x[0] == s.extent[0] and y[-1] == s.extent[3] and Z.shape == (11, 11)
    assert Z[3, 7] == pytest.approx(s.f(x[7], y[3]))
    for point in s.saddle_points:
        np.testing.assert_allclose(s.gradient(point), 0.0, atol=1e-15)


def test_bowl_is_half_theta_A_theta_with_curvatures_20_and_0_2():
    pts = np.random.default_rng(1).normal(size=(10, 2))
    bowl = SURFACES["bowl"]
    np.testing.assert_allclose(bowl.f(*pts.T), 0.5 * np.einsum("ni,ij,nj->n", pts, BOWL_HESSIAN, pts), rtol=1e-13)
    np.testing.assert_allclose(np.stack(bowl.grad(*pts.T), axis=1), pts @ BOWL_HESSIAN, rtol=1e-13)
    np.testing.assert_allclose(np.linalg.eigvalsh(BOWL_HESSIAN), [0.2, 20.0], rtol=1e-13)


def test_surface_methods_refuse_points_that_are_not_2d():
    with pytest.raises(ValueError, match=r"theta has shape \(3,\), expected \(2,\)"):
        SURFACES["bowl"].gradient(np.zeros(3))
    with pytest.raises(TypeError, match="real numbers"):
        SURFACES["bowl"].value(np.array(["a", "b"]))


def test_optimize_path_is_the_training_loop_of_an_nnlib_optimizer():
    bowl = SURFACES["bowl"]
    out = optimize_path(bowl, lambda ps: optim.SGD(ps, lr=0.05), steps=30)
    assert out["path"].shape == (31, 2) and out["loss"].shape == (31,) and not out["diverged"]
    np.testing.assert_array_equal(out["path"][0], bowl.start)
    np.testing.assert_allclose(out["loss"], bowl.f(*out["path"].T), rtol=1e-15)
    start = np.array([0.3, -0.7])
    other = optimize_path(bowl, lambda ps: optim.Adam(ps, lr=0.1), start=start, steps=5)
    np.testing.assert_array_equal(other["path"][0], start)
    assert optimize_path(bowl, lambda ps: optim.SGD(ps, lr=0.1), steps=0)["path"].shape == (1, 2)


def test_optimize_path_stops_at_divergence_and_says_so():
    out = optimize_path(SURFACES["rosenbrock"], lambda ps: optim.SGD(ps, lr=0.1), steps=100)
    assert out["diverged"] and len(out["path"]) < 20
    assert np.hypot(*out["path"][-1]) > 1e6 or not np.all(np.isfinite(out["path"][-1]))


def test_optimize_path_refuses_bad_arguments():
    bowl = SURFACES["bowl"]
    with pytest.raises(TypeError, match="surface must be a Surface"):
        optimize_path("bowl", lambda ps: optim.SGD(ps, lr=0.1))
    with pytest.raises(ValueError, match="steps must be >= 0"):
        optimize_path(bowl, lambda ps: optim.SGD(ps, lr=0.1), steps=-1)
    with pytest.raises(TypeError, match="nnlib optimiser"):
        optimize_path(bowl, lambda ps: None)
    assert isinstance(bowl, Surface)


@pytest.mark.parametrize("make_ours, make_theirs", [
    (lambda ps: optim.SGD(ps, lr=0.01), lambda ps: torch.optim.SGD(ps, lr=0.01)),
    (lambda ps: optim.SGD(ps, lr=0.005, momentum=0.9), lambda ps: torch.optim.SGD(ps, lr=0.005, momentum=0.9)),
    (lambda ps: optim.SGD(ps, lr=0.005, momentum=0.9, nesterov=True),
     lambda ps: torch.optim.SGD(ps, lr=0.005, momentum=0.9, nesterov=True)),
    (lambda ps: optim.Adagrad(ps, lr=0.3), lambda ps: torch.optim.Adagrad(ps, lr=0.3)),
    (lambda ps: optim.RMSprop(ps, lr=0.01), lambda ps: torch.optim.RMSprop(ps, lr=0.01, eps=1e-8)),
    (lambda ps: optim.Adam(ps, lr=0.05), lambda ps: torch.optim.Adam(ps, lr=0.05)),
    (lambda ps: optim.AdamW(ps, lr=0.05), lambda ps: torch.optim.AdamW(ps, lr=0.05)),
])
def test_paths_on_rosenbrock_match_torch_optim_as_printed_in_the_chapter(make_ours, make_theirs):
    rosen = SURFACES["rosenbrock"]
    ours = optimize_path(rosen, make_ours, steps=300)["path"]
    theirs = _torch_path(rosen, make_theirs, 300)
    assert np.abs(ours - theirs).max() < 1e-12


# -- eq-directional-derivative ------------------------------------------------
@pytest.mark.parametrize("name", list(SURFACES))
def test_eq_directional_derivative_is_grad_dot_u_and_peaks_along_the_gradient(name):
    s = SURFACES[name]
    theta = np.array([-0.5, 1.0])
    g = s.gradient(theta)
    angles = np.deg2rad(np.arange(0, 360, 0.25))
    U = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    h = 1e-6
    D = (s.f(*(theta + h * U).T) - s.f(*(theta - h * U).T)) / (2 * h)
    np.testing.assert_allclose(D, U @ g, atol=1e-6)
    np.testing.assert_allclose(D, np.linalg.norm(g) * np.cos(angles - np.arctan2(g[1], g[0])), atol=1e-6)
    best = U[D.argmax()]
    assert np.degrees(np.arccos(np.clip(best @ g / np.linalg.norm(g), -1, 1))) <= 0.125 + 1e-9
    assert D.max() == pytest.approx(np.linalg.norm(g), rel=1e-5)


# -- eq-gd-update --------------------------------------------------------
def test_eq_gd_update_is_what_nnlib_and_torch_sgd_compute():
    bowl = SURFACES["bowl"]
    hand = _by_hand(lambda th, st, t: (th - 0.05 * bowl.gradient(th), st), bowl.start, 100)
    ours = optimize_path(bowl, lambda ps: optim.SGD(ps, lr=0.05), steps=100)["path"]
    theirs = _torch_path(bowl, lambda ps: torch.optim.SGD(ps, lr=0.05), 100)
    np.testing.assert_array_equal(hand, ours)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-15)


# -- eq-quadratic-gd and eq-critical-lr --------------------------------------
def _spd(rng, d):
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    lam = np.sort(rng.uniform(0.1, 5.0, size=d))
    return (q * lam) @ q.T, lam, q


@pytest.mark.parametrize("lr_fraction", [0.1, 0.6, 0.95, 1.3])
def test_eq_quadratic_gd_multiplies_each_eigencoordinate_by_one_minus_lr_lambda(lr_fraction):
    rng = np.random.default_rng(2)
    A, lam, Q = _spd(rng, 4)
    lr = lr_fraction * 2 / lam.max()
    theta0 = rng.normal(size=4)
    path = _by_hand(lambda th, st, t: (th - lr * (A @ th), st), theta0, 10)
    np.testing.assert_allclose(path[1:], path[:-1] @ (np.eye(4) - lr * A).T, rtol=1e-12, atol=1e-14)
    c = path @ Q
    expected = (theta0 @ Q)[None, :] * (1 - lr * lam)[None, :] ** np.arange(11)[:, None]
    np.testing.assert_allclose(c, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_eq_critical_lr_gd_converges_below_two_over_L_and_diverges_above(seed):
    rng = np.random.default_rng(seed)
    A, lam, _ = _spd(rng, 3)
    lr_crit = 2 / lam.max()
    theta0 = rng.normal(size=3)

    def final_norm(lr, steps=4000):
        theta = theta0.copy()
        for _ in range(steps):
            theta = theta - lr * (A @ theta)
        return np.linalg.norm(theta)

    assert final_norm(0.99 * lr_crit) < 1e-6 * np.linalg.norm(theta0)
    assert final_norm(1.01 * lr_crit) > 1e6 * np.linalg.norm(theta0)


def test_eq_critical_lr_on_the_bowl_of_the_chapter_is_0_1():
    bowl = SURFACES["bowl"]
    assert 2 / np.linalg.eigvalsh(BOWL_HESSIAN).max() == pytest.approx(0.1, rel=1e-14)
    below = optimize_path(bowl, lambda ps: optim.SGD(ps, lr=0.0999), steps=3000)
    above = optimize_path(bowl, lambda ps: optim.SGD(ps, lr=0.1001), steps=3000)
    assert below["loss"][-1] < 1e-4 < bowl.value(bowl.start) < above["loss"][-1]


# -- eq-minibatch-gradient and eq-minibatch-variance --------------------------
def _per_example_grads(n=6, d=2, seed=3):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, d)), rng.normal(size=n)
    return linear_regression_gradients(X, y, rng.normal(size=d))


@pytest.mark.parametrize("B", [1, 2, 3, 4, 5, 6])
def test_eq_minibatch_variance_without_replacement_is_exact_over_all_batches(B):
    G = _per_example_grads()
    n = len(G)
    g_bar = G.mean(axis=0)
    means = np.array([G[list(c)].mean(axis=0) for c in itertools.combinations(range(n), B)])
    np.testing.assert_allclose(means.mean(axis=0), g_bar, rtol=1e-12, atol=1e-14)          # unbiased
    exact = ((means - g_bar) ** 2).sum(axis=1).mean()
    sigma2 = gradient_variance(G)
    assert minibatch_variance(sigma2, B, n) == pytest.approx(exact, rel=1e-12, abs=1e-13)
    assert minibatch_variance(sigma2, B, n) == pytest.approx(sigma2 / B * (n - B) / (n - 1), rel=1e-12, abs=1e-13)


@pytest.mark.parametrize("B", [1, 2, 3])
def test_eq_minibatch_variance_with_replacement_is_exact_over_all_ordered_draws(B):
    G = _per_example_grads(n=5)
    g_bar = G.mean(axis=0)
    means = np.array([G[list(c)].mean(axis=0) for c in itertools.product(range(len(G)), repeat=B)])
    np.testing.assert_allclose(means.mean(axis=0), g_bar, rtol=1e-12, atol=1e-14)
    exact = ((means - g_bar) ** 2).sum(axis=1).mean()
    assert minibatch_variance(gradient_variance(G), B, len(G), replace=True) == pytest.approx(exact, rel=1e-12)


def test_sigma2_is_the_mean_squared_distance_of_the_per_example_gradients():
    G = _per_example_grads(n=7, d=3)
    expected = np.mean([np.sum((g - G.mean(axis=0)) ** 2) for g in G])
    assert gradient_variance(G) == pytest.approx(expected, rel=1e-13)
    assert gradient_variance(G) == pytest.approx(np.trace(np.cov(G.T, bias=True)), rel=1e-12)


@pytest.mark.parametrize("replace", [False, True])
def test_sampled_minibatch_gradients_have_the_predicted_mean_and_variance(replace):
    G = _per_example_grads(n=40, d=3, seed=4)
    B, n = 8, len(G)
    gB = sample_minibatch_gradients(G, B, n_draws=40000, rng=0, replace=replace)
    assert gB.shape == (40000, 3)
    predicted = minibatch_variance(gradient_variance(G), B, n, replace=replace)
    measured = ((gB - G.mean(axis=0)) ** 2).sum(axis=1).mean()
    assert measured == pytest.approx(predicted, rel=0.03)
    np.testing.assert_allclose(gB.mean(axis=0), G.mean(axis=0), atol=4 * math.sqrt(predicted / 40000))


def test_a_batch_without_replacement_holds_distinct_examples():
    G = np.eye(5)                                # example i has gradient e_i: a batch mean shows its members
    gB = sample_minibatch_gradients(G, 5, n_draws=50, rng=1)
    np.testing.assert_allclose(gB, 0.2)          # all five examples, each once
    partial = sample_minibatch_gradients(G, 3, n_draws=200, rng=2)
    assert set(np.unique(np.round(partial * 3, 12))) == {0.0, 1.0}


def test_linear_regression_gradients_match_torch_per_example():
    rng = np.random.default_rng(5)
    X, y, w = rng.normal(size=(6, 3)), rng.normal(size=6), rng.normal(size=3)
    G = linear_regression_gradients(X, y, w)
    for i in range(6):
        wt = torch.tensor(w, requires_grad=True)
        ((torch.tensor(X[i]) @ wt - y[i]) ** 2).backward()
        np.testing.assert_allclose(G[i], wt.grad.numpy(), rtol=1e-13)
    # their mean is the gradient of the mean squared error
    np.testing.assert_allclose(G.mean(axis=0), 2 * X.T @ (X @ w - y) / 6, rtol=1e-13)


def test_minibatch_functions_refuse_bad_input():
    G = np.ones((4, 2))
    with pytest.raises(ValueError, match="at most n = 4"):
        minibatch_variance(1.0, 5, 4)
    with pytest.raises(ValueError, match="at most N = 4"):
        sample_minibatch_gradients(G, 5, 10, rng=0)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        minibatch_variance(1.0, 0, 4)
    with pytest.raises(ValueError, match=r"y has shape \(3,\), expected \(4,\)"):
        linear_regression_gradients(np.ones((4, 2)), np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match=r"w has shape \(3,\), expected \(2,\)"):
        linear_regression_gradients(np.ones((4, 2)), np.ones(4), np.ones(3))
    assert minibatch_variance(2.0, 1, 1) == 2.0
    assert minibatch_variance(2.0, 4, 4) == 0.0


# -- eq-schedules ----------------------------------------------------------
@pytest.mark.parametrize("make, closed_form", [
    (lambda o: optim.StepLR(o, step_size=30, gamma=0.1), lambda t: 0.1 * 0.1 ** (t // 30)),
    (lambda o: optim.ExponentialLR(o, gamma=0.95), lambda t: 0.1 * 0.95**t),
    (lambda o: optim.CosineAnnealingLR(o, T_max=100, eta_min=0.001),
     lambda t: 0.001 + 0.5 * (0.1 - 0.001) * (1 + np.cos(np.pi * t / 100))),
])
def test_eq_schedules_follow_their_closed_forms(make, closed_form):
    opt = optim.SGD([Parameter(np.zeros(1))], lr=0.1)
    sched = make(opt)
    rates = [opt.lr]
    for _ in range(100):
        opt.step()
        sched.step()
        rates.append(opt.lr)
    np.testing.assert_allclose(rates, closed_form(np.arange(101)), rtol=1e-12, atol=1e-15)
    # (tests/nnlib/test_optim.py::test_scheduler_learning_rates_match_torch compares them with torch)


# -- eq-momentum-pytorch, eq-momentum-ema, eq-momentum-equivalence ---------------
@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
def test_eq_momentum_both_forms_by_hand_match_nnlib_torch_and_each_other(beta):
    bowl, alpha, steps = SURFACES["bowl"], 0.2, 150
    lr = alpha * (1 - beta)

    def pytorch_form(th, buf, t):
        buf = (0 if buf is None else beta * buf) + bowl.gradient(th)
        return th - lr * buf, buf

    def ema_form(th, v, t):
        v = (0 if v is None else beta * v) + (1 - beta) * bowl.gradient(th)
        return th - alpha * v, v

    a = _by_hand(pytorch_form, bowl.start, steps)
    b = _by_hand(ema_form, bowl.start, steps)
    ours = optimize_path(bowl, lambda ps: optim.SGD(ps, lr=lr, momentum=beta), steps=steps)["path"]
    ema = optimize_path(bowl, lambda ps: optim.SGDMomentumEMA(ps, lr=alpha, beta=beta), steps=steps)["path"]
    theirs = _torch_path(bowl, lambda ps: torch.optim.SGD(ps, lr=lr, momentum=beta), steps)
    for path in (b, ours, ema, theirs):
        np.testing.assert_allclose(path, a, rtol=1e-12, atol=1e-12)


def test_eq_momentum_equivalence_velocity_is_one_minus_beta_times_the_buffer():
    beta, grads = 0.9, np.random.default_rng(6).normal(size=(20, 3))
    b = v = np.zeros(3)
    for g in grads:
        b = beta * b + g
        v = beta * v + (1 - beta) * g
        np.testing.assert_allclose(v, (1 - beta) * b, rtol=1e-12)
    ones_b = ones_v = 0.0
    for _ in range(200):
        ones_b, ones_v = beta * ones_b + 1.0, beta * ones_v + 0.1
    assert ones_b == pytest.approx(1 / (1 - beta), rel=1e-8) and ones_v == pytest.approx(1.0, rel=1e-8)


def test_momentum_moves_a_parameter_whose_gradient_is_zero():
    p = Parameter(np.array([1.0, 1.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad[...] = [1.0, 1.0]
    opt.step()
    before = p.data.copy()
    p.grad[...] = [0.0, 1.0]
    opt.step()
    np.testing.assert_allclose(p.data - before, [-0.1 * 0.9, -0.1 * 1.9], rtol=1e-12)


# -- eq-nesterov-lookahead and eq-nesterov-pytorch ----------------------------
@pytest.mark.parametrize("lr, mu", [(0.01, 0.9), (0.005, 0.5)])
def test_eq_nesterov_lookahead_form_tracked_at_phi_is_pytorchs_form(lr, mu):
    rosen, steps = SURFACES["rosenbrock"], 200
    theta, u, phis = np.array(rosen.start), np.zeros(2), [np.array(rosen.start)]
    for _ in range(steps):
        u = mu * u - lr * rosen.gradient(theta + mu * u)
        theta = theta + u
        phis.append(theta + mu * u)

    def pytorch_form(phi, buf, t):
        g = rosen.gradient(phi)
        buf = (0 if buf is None else mu * buf) + g
        return phi - lr * (g + mu * buf), buf

    by_hand = _by_hand(pytorch_form, rosen.start, steps)
    ours = optimize_path(rosen, lambda ps: optim.SGD(ps, lr=lr, momentum=mu, nesterov=True), steps=steps)["path"]
    theirs = _torch_path(rosen, lambda ps: torch.optim.SGD(ps, lr=lr, momentum=mu, nesterov=True), steps)
    np.testing.assert_allclose(np.array(phis), ours, rtol=0, atol=1e-12)
    np.testing.assert_allclose(by_hand, ours, rtol=0, atol=1e-12)
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-12)


def test_ema_nesterov_matches_pytorch_only_when_looking_ahead_by_alpha_beta_v():
    rosen, lr, mu, steps = SURFACES["rosenbrock"], 0.01, 0.9, 200
    alpha = lr / (1 - mu)
    ref = optimize_path(rosen, lambda ps: optim.SGD(ps, lr=lr, momentum=mu, nesterov=True), steps=steps)["path"]
    gaps = []
    for reach in (alpha * mu, alpha):
        theta, v, points = np.array(rosen.start), np.zeros(2), [np.array(rosen.start)]
        for _ in range(steps):
            v = mu * v + (1 - mu) * rosen.gradient(theta - reach * v)
            theta = theta - alpha * v
            points.append(theta - alpha * mu * v)
        gaps.append(np.abs(np.array(points) - ref).max())
    assert gaps[0] < 1e-12 and gaps[1] > 0.1


# -- eq-adagrad-rmsprop, eq-adam, eq-adam-bias -------------------------------------
def test_eq_adagrad_and_rmsprop_by_hand_match_nnlib():
    rosen, steps, eps = SURFACES["rosenbrock"], 200, 1e-10

    def adagrad(th, G, t):
        g = rosen.gradient(th)
        G = (0 if G is None else G) + g * g
        return th - 0.3 * g / (np.sqrt(G) + eps), G

    def rmsprop(th, s, t):
        g = rosen.gradient(th)
        s = (0 if s is None else 0.99 * s) + 0.01 * g * g
        return th - 0.01 * g / (np.sqrt(s) + 1e-8), s

    np.testing.assert_allclose(_by_hand(adagrad, rosen.start, steps),
                               optimize_path(rosen, lambda ps: optim.Adagrad(ps, lr=0.3, eps=eps), steps=steps)["path"],
                               rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(_by_hand(rmsprop, rosen.start, steps),
                               optimize_path(rosen, lambda ps: optim.RMSprop(ps, lr=0.01), steps=steps)["path"],
                               rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("betas, tol", [((0.9, 0.999), 1e-12), ((0.8, 0.9), 1e-9)])
def test_eq_adam_by_hand_with_bias_correction_matches_nnlib_and_torch(betas, tol):
    rosen, (b1, b2), lr, eps, steps = SURFACES["rosenbrock"], betas, 0.05, 1e-8, 300

    def adam(th, state, t):
        m, v = state if state is not None else (0.0, 0.0)
        g = rosen.gradient(th)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        return th - lr * m_hat / (np.sqrt(v_hat) + eps), (m, v)

    hand = _by_hand(adam, rosen.start, steps)
    ours = optimize_path(rosen, lambda ps: optim.Adam(ps, lr=lr, betas=betas), steps=steps)["path"]
    theirs = _torch_path(rosen, lambda ps: torch.optim.Adam(ps, lr=lr, betas=betas), steps)
    # same formula, evaluated in another order: rounding differences, amplified along 300 steps
    assert np.abs(hand - ours).max() < tol
    assert np.abs(ours - theirs).max() < tol


def test_eq_adam_bias_moments_of_a_constant_gradient_are_one_minus_beta_power_t_times_g():
    g, b1, b2 = np.array([0.5, -2.0]), 0.9, 0.999
    p = Parameter(np.zeros(2))
    opt = optim.Adam([p], lr=1e-3)
    for t in range(1, 11):
        p.grad[...] = g
        opt.step()
        state = opt.state[p]
        np.testing.assert_allclose(state["exp_avg"], (1 - b1**t) * g, rtol=1e-12)
        np.testing.assert_allclose(state["exp_avg_sq"], (1 - b2**t) * g * g, rtol=1e-12)
        np.testing.assert_allclose(state["exp_avg"] / (1 - b1**t), g, rtol=1e-12)       # m_hat = g
    # the uncorrected ratio m / sqrt(v) at t = 1 is 0.1 / sqrt(0.001) = 3.16 times the corrected one
    assert (1 - b1) / math.sqrt(1 - b2) == pytest.approx(3.1623, rel=1e-4)


# -- eq-saddle, local minima and eq-plateau-escape ---------------------------------------
def test_eq_saddle_gradient_zero_hessian_indefinite_and_f_decreases_along_y():
    xy = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    f = lambda v: v[0] ** 2 - v[1] ** 2  # noqa: E731
    (grad,) = torch.autograd.grad(f(xy), xy)
    np.testing.assert_array_equal(grad.numpy(), [0.0, 0.0])
    H = torch.autograd.functional.hessian(f, xy.detach()).numpy()
    np.testing.assert_array_equal(H, [[2.0, 0.0], [0.0, -2.0]])
    assert f(torch.tensor([0.0, 0.1])) < f(torch.tensor([0.0, 0.0]))
    # gradient descent from y = 0 exactly walks into the saddle; a tiny perturbation escapes
    grad_np = lambda th: np.array([2 * th[0], -2 * th[1]])  # noqa: E731
    stuck = _by_hand(lambda th, st, t: (th - 0.1 * grad_np(th), st), [1.0, 0.0], 100)[-1]
    escaped = _by_hand(lambda th, st, t: (th - 0.1 * grad_np(th), st), [1.0, 1e-8], 100)[-1]
    assert np.abs(stuck).max() < 1e-9 and abs(escaped[1]) > 0.5


def test_gd_on_the_double_well_ends_in_a_local_or_the_global_minimum_depending_on_the_start():
    f = lambda x: x**4 - 3 * x**2 + x  # noqa: E731
    df = lambda x: 4 * x**3 - 6 * x + 1  # noqa: E731
    xs = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(df(xs), (f(xs + 1e-6) - f(xs - 1e-6)) / 2e-6, rtol=1e-7, atol=1e-6)
    ends = []
    for x0 in (-2.0, 2.0):
        x = x0
        for _ in range(500):
            x -= 0.01 * df(x)
        ends.append(x)
    assert abs(df(ends[0])) < 1e-10 and abs(df(ends[1])) < 1e-10
    assert ends[0] == pytest.approx(-1.3008, abs=1e-4) and ends[1] == pytest.approx(1.1309, abs=1e-4)
    assert f(ends[0]) < f(ends[1])                   # the left one is the global minimum
    grid = np.linspace(-3, 3, 60001)
    assert f(grid).min() == pytest.approx(f(ends[0]), abs=1e-7)


@pytest.mark.parametrize("lr", [0.02, 0.05])
def test_eq_plateau_escape_steps_near_the_saddle(lr):
    saddle = SURFACES["saddle"]
    escapes = []
    for y0 in (1e-2, 1e-4, 1e-6, 1e-8):
        run = optimize_path(saddle, lambda ps: optim.SGD(ps, lr=lr), start=[-1.5, y0], steps=2000)
        escaped = int(np.argmax(np.abs(run["path"][:, 1]) > 0.5))
        estimate = math.log(0.5 / y0) / math.log(1 + 4 * lr)
        assert estimate <= escaped <= estimate + 3, (y0, escaped, estimate)
        escapes.append(escaped)
    increment = math.log(100) / math.log(1 + 4 * lr)
    assert np.all(np.abs(np.diff(escapes) - increment) <= 1.0)


# -- eq-symmetry -----------------------------------------------------------
def _xor():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([[0.0], [1.0], [1.0], [0.0]])


def test_eq_symmetry_hidden_weight_gradient_formula_matches_backward():
    X, Y = _xor()
    net = Sequential(Dense(2, 2, rng=0), Tanh(), Dense(2, 1, rng=1))
    out = net(X)
    dL_dy = mse_grad(out, Y)
    net.backward(dL_dy)
    h = np.tanh(X @ net[0].W.data + net[0].b.data)
    w2 = net[2].W.data[:, 0]
    for j in range(2):
        formula = (dL_dy[:, 0] * w2[j] * (1 - h[:, j] ** 2)) @ X
        np.testing.assert_allclose(net[0].W.grad[:, j], formula, rtol=1e-12)


def test_eq_symmetry_equal_initial_weights_stay_equal_and_random_ones_break_the_symmetry():
    X, Y = _xor()
    equal = Sequential(Dense(2, 2, rng=0), Tanh(), Dense(2, 1, rng=0))
    for p in equal.parameters():
        p.data[...] = 0.5
    random = Sequential(Dense(2, 2, rng=1), Tanh(), Dense(2, 1, rng=2))
    losses = []
    for net in (equal, random):
        opt = optim.SGD(net.parameters(), lr=0.2)
        for _ in range(2000):
            opt.zero_grad()
            net.backward(mse_grad(net(X), Y))
            opt.step()
            if net is equal:
                np.testing.assert_array_equal(net[0].W.data[:, 0], net[0].W.data[:, 1])
                assert net[0].b.data[0] == net[0].b.data[1] and net[2].W.data[0, 0] == net[2].W.data[1, 0]
        losses.append(float(mse(net(X), Y)))
    assert losses[0] > 0.15 and losses[1] < 1e-6
    assert np.abs(random[0].W.data[:, 0] - random[0].W.data[:, 1]).max() > 0.5


# -- eq-robbins-monro and the schedules that do (not) meet it -----------------------------------
def _partial_sums(rates, horizons=(10**2, 10**4, 10**6)):
    s1, s2 = np.cumsum(rates), np.cumsum(rates**2)
    return [s1[T - 1] for T in horizons], [s2[T - 1] for T in horizons]


def test_eq_robbins_monro_one_over_t_meets_both_conditions_and_the_budget_schedules_do_not():
    t = np.arange(10**6)
    tau, lr0 = 10, 0.1
    # the 1/t schedule as nnlib's LambdaLR computes it, then its partial sums
    opt = optim.SGD([Parameter(np.zeros(1))], lr=lr0)
    sched = LambdaLR(opt, lambda e: 1 / (1 + e / tau))
    rates = [opt.lr]
    for _ in range(200):
        sched.step()
        rates.append(opt.lr)
    np.testing.assert_allclose(rates, lr0 / (1 + t[:201] / tau), rtol=1e-15)
    s1, s2 = _partial_sums(lr0 / (1 + t / tau))
    # sum eta grows like lr0 * tau * ln T (unbounded); sum eta^2 converges to lr0^2 tau^2 (psi'(tau))
    assert s1[2] - s1[1] == pytest.approx(lr0 * tau * math.log(100), rel=1e-3)
    limit = lr0**2 * tau**2 * sum(1 / k**2 for k in range(tau, 10**7))
    assert s2[2] == pytest.approx(limit, rel=1e-5) and s2[2] - s2[1] < 1e-4
    # exponential and step decay: finite sums of rates (the first condition fails)
    s1, _ = _partial_sums(0.1 * 0.95**t)
    assert s1[2] == pytest.approx(0.1 / (1 - 0.95), rel=1e-12)
    s1, _ = _partial_sums(0.1 * 0.1 ** (t // 30))
    assert s1[2] == pytest.approx(30 * 0.1 / (1 - 0.1), rel=1e-12)
    # cosine continued past T_max (PyTorch's continuation): the sum of squares grows linearly
    _, s2 = _partial_sums(0.05 * (1 + np.cos(np.pi * t / 100)))
    assert s2[2] == pytest.approx(0.05**2 * 1.5 * 10**6, rel=1e-4)
    _, s2 = _partial_sums(np.full(10**6, 0.1))
    assert s2 == pytest.approx([1.0, 100.0, 10000.0], rel=1e-9)


def test_eq_robbins_monro_sgd_on_a_noisy_mean_converges_with_one_over_t_and_not_with_a_constant_rate():
    # minimise E[(theta - X)^2 / 2], X ~ N(0, 1): the stochastic gradient is theta - x_t
    rng = np.random.default_rng(7)
    runs, steps = 2000, 2000
    x = rng.normal(size=(steps, runs))
    theta_rm, theta_const, lr = np.full(runs, 3.0), np.full(runs, 3.0), 0.05
    for t in range(steps):
        theta_rm -= (theta_rm - x[t]) / (t + 1)           # eta_t = 1 / (t + 1): theta is the running mean
        theta_const -= lr * (theta_const - x[t])
    np.testing.assert_allclose(theta_rm, x.mean(axis=0), rtol=1e-9, atol=1e-12)
    assert np.mean(theta_rm**2) == pytest.approx(1 / steps, rel=0.1)           # -> 0 like 1/t
    # a constant rate leaves a noise floor: the stationary variance is lr / (2 - lr), proportional to lr
    assert np.mean(theta_const**2) == pytest.approx(lr / (2 - lr), rel=0.1)


def test_lambda_lr_matches_torch_including_the_first_value():
    for lam in (lambda e: 1 / (1 + e / 3), lambda e: 0.5 * 0.9**e):
        p, q = Parameter(np.zeros(2)), torch.zeros(2, dtype=torch.float64, requires_grad=True)
        opt, topt = optim.SGD([p], lr=0.3), torch.optim.SGD([q], lr=0.3)
        sched, tsched = LambdaLR(opt, lam), torch.optim.lr_scheduler.LambdaLR(topt, lam)
        assert sched.get_last_lr() == tsched.get_last_lr()
        for _ in range(30):
            q.grad = torch.zeros(2, dtype=torch.float64)
            opt.step(), topt.step(), sched.step(), tsched.step()
            assert sched.get_last_lr()[0] == pytest.approx(tsched.get_last_lr()[0], rel=1e-15)


def test_lambda_lr_refuses_a_bad_factor():
    opt = optim.SGD([Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(TypeError, match="lr_lambda must be a function"):
        LambdaLR(opt, 0.5)
    with pytest.raises(ValueError, match=r"lr_lambda\(0\) must be >= 0"):
        LambdaLR(opt, lambda e: -1.0)


# -- RMSprop's zero start against Adam's bias correction -----------------------------------------
@pytest.mark.parametrize("g0", [1e-3, 1.0, 1e3])
def test_rmsprop_first_step_is_lr_over_sqrt_one_minus_alpha_and_adams_is_lr_as_in_torch(g0):
    lr = 0.01
    for make, make_t, expected in (
        (lambda ps: optim.RMSprop(ps, lr=lr), lambda ts: torch.optim.RMSprop(ts, lr=lr),
         lr * g0 / (math.sqrt(1 - 0.99) * g0 + 1e-8)),                   # about lr / sqrt(1 - alpha) = 10 lr
        (lambda ps: optim.Adam(ps, lr=lr), lambda ts: torch.optim.Adam(ts, lr=lr), lr * g0 / (g0 + 1e-8)),  # about lr
    ):
        p, q = Parameter(np.zeros(1)), torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt, topt = make([p]), make_t([q])
        p.grad[...] = g0
        q.grad = torch.full((1,), g0, dtype=torch.float64)
        opt.step(), topt.step()
        assert -p.data[0] == pytest.approx(-q.detach().numpy()[0], rel=1e-12)
        assert -p.data[0] == pytest.approx(expected, rel=1e-12)


def test_rmsprop_step_under_a_constant_gradient_is_lr_over_sqrt_one_minus_alpha_power_t():
    p = Parameter(np.zeros(1))
    opt = optim.RMSprop([p], lr=0.01)
    for t in range(1, 501):
        before = p.data[0]
        p.grad[...] = 1.0
        opt.step()
        assert before - p.data[0] == pytest.approx(0.01 / math.sqrt(1 - 0.99**t), rel=1e-7)


def test_eq_adam_bias_uncorrected_ratio_stays_10_percent_too_large_for_1750_steps():
    p = Parameter(np.zeros(1))
    opt = optim.Adam([p], lr=1e-3)
    ratios = []
    for _ in range(4000):
        p.grad[...] = 1.0
        opt.step()
        ratios.append(opt.state[p]["exp_avg"][0] / math.sqrt(opt.state[p]["exp_avg_sq"][0]))
    ratios = np.array(ratios)
    t = np.arange(1, 4001)
    np.testing.assert_allclose(ratios, (1 - 0.9**t) / np.sqrt(1 - 0.999**t), rtol=1e-10)
    assert t[ratios > 1.1].max() == 1750 and t[ratios > 1.01].max() == 3924


def test_adamw_multiplies_by_one_minus_lr_weight_decay_before_the_adam_step():
    rng = np.random.default_rng(8)
    theta0, grads, lr, wd = rng.normal(size=3), rng.normal(size=(5, 3)), 0.05, 0.1
    p, q = Parameter(theta0.copy()), Parameter(theta0.copy())
    adamw, adam = optim.AdamW([p], lr=lr, weight_decay=wd), optim.Adam([q], lr=lr)
    for g in grads:
        expected_shrink = (1 - lr * wd) * p.data
        p.grad[...] = g
        q.grad[...] = g
        before_q = q.data.copy()
        adamw.step(), adam.step()
        # same moments (the plain gradient): AdamW's step = shrink, then Adam's step
        np.testing.assert_allclose(p.data, expected_shrink + (q.data - before_q), rtol=1e-12, atol=1e-15)


# -- the chapter's model code keeps the input dtype ---------------------------------------------
def _chapter_functions(*names):
    import ast
    import json
    from pathlib import Path
    nb = json.loads((Path(__file__).resolve().parents[2] / "book" / "05_gradient_descent.ipynb").read_text())
    ns = {"np": np}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]).replace("%pip", "# %pip"))
        defs = [node for node in tree.body
                if isinstance(node, ast.FunctionDef) and node.name in names and node.name not in ns]   # the first one
        exec(compile(ast.Module(body=defs, type_ignores=[]), "chapter", "exec"), ns)
    assert all(name in ns for name in names), names
    return ns


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_chapters_gradient_descent_momentum_and_adam_code_keep_the_input_dtype(dtype):
    ns = _chapter_functions("gradient_descent", "momentum_pytorch", "momentum_ema", "adam_by_hand")
    bowl = SURFACES["bowl"]
    start = np.array(bowl.start, dtype=dtype)
    paths = [ns["gradient_descent"](bowl.gradient, start, 0.05, 20),
             ns["momentum_pytorch"](bowl.gradient, start, 0.02, 0.9, 20),
             ns["momentum_ema"](bowl.gradient, start, 0.2, 0.9, 20),
             ns["adam_by_hand"](bowl.gradient, start, 0.05, steps=20)]
    reference = optimize_path(bowl, lambda ps: optim.SGD(ps, lr=0.05), steps=20)["path"]
    tol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(paths[0], reference, rtol=tol, atol=tol)
    for path in paths:
        assert path.dtype == dtype and path.shape == (21, 2)
