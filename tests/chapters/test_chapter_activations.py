"""Every equation of the activations chapter (book/03_activations.ipynb), checked in float64.

Each test names the equation label it checks. The elementwise activations and
softmax are also tested against torch in tests/nnlib/test_activations.py.
"""
import warnings
from math import erf, pi, sqrt

import numpy as np
import pytest

import nnlib
from nnlib import Dense, ReLU, Sequential, Tanh, losses


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def grid(low=-8.0, high=8.0, n=321):
    return np.linspace(low, high, n)


def test_eq_linear_collapse_two_and_ten_linear_layers_equal_one():
    """eq-linear-collapse: W = W1 W2, b = b1 W2 + b2."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 3))
    two = Sequential(Dense(3, 5, rng=rng), Dense(5, 2, rng=rng))
    W1, b1, W2, b2 = two[0].W.data, two[0].b.data, two[1].W.data, two[1].b.data
    np.testing.assert_allclose(two(X), X @ (W1 @ W2) + (b1 @ W2 + b2), rtol=1e-12, atol=1e-14)
    ten = Sequential(*[Dense(3, 3, rng=rng) for _ in range(10)])
    W, b = np.eye(3), np.zeros(3)
    for layer in ten:
        W, b = W @ layer.W.data, b @ layer.W.data + layer.b.data
    np.testing.assert_allclose(ten(X), X @ W + b, rtol=1e-12, atol=1e-14)


def test_eq_xor_relu_hand_made_network_is_exact_and_linear_without_relu():
    """eq-xor-relu: relu(x1 + x2) - 2 relu(x1 + x2 - 1) is XOR."""
    X, y = nnlib.data.xor()
    W1, b1, w2 = np.ones((2, 2)), np.array([0.0, -1.0]), np.array([[1.0], [-2.0]])
    net = Sequential(Dense(2, 2, rng=0), ReLU(), Dense(2, 1, rng=0))
    net[0].W.data[:], net[0].b.data[:], net[2].W.data[:], net[2].b.data[:] = W1, b1, w2, 0.0
    np.testing.assert_array_equal(net(X).ravel(), y)
    x1, x2 = X.T
    np.testing.assert_array_equal(np.maximum(x1 + x2, 0) - 2 * np.maximum(x1 + x2 - 1, 0), y)
    np.testing.assert_array_equal(((X @ W1 + b1) @ w2).ravel(), 2 - x1 - x2)


def test_eq_sigmoid_quotient_form_and_sigma_one_minus_sigma_match_torch(torch):
    """eq-sigmoid: the quotient form of sigma' equals sigma (1 - sigma)."""
    z = grid()
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(nnlib.sigmoid(z), s, rtol=1e-14)
    np.testing.assert_allclose(np.exp(-z) / (1 + np.exp(-z)) ** 2, s * (1 - s), rtol=1e-12)
    zt = torch.tensor(z, requires_grad=True)
    (g,) = torch.autograd.grad(torch.sigmoid(zt).sum(), zt)
    np.testing.assert_allclose(nnlib.sigmoid_grad(z), g.numpy(), rtol=1e-12, atol=1e-300)


def test_eq_tanh_is_two_sigma_of_two_z_minus_one_and_its_derivative_is_one_minus_tanh_squared(torch):
    """eq-tanh: tanh z = 2 sigma(2z) - 1, tanh' = 1 - tanh^2."""
    z = grid()
    np.testing.assert_allclose(np.tanh(z), (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)), rtol=1e-13)
    np.testing.assert_allclose(np.tanh(z), 2 * nnlib.sigmoid(2 * z) - 1, rtol=1e-12, atol=1e-15)
    zt = torch.tensor(z, requires_grad=True)
    (g,) = torch.autograd.grad(torch.tanh(zt).sum(), zt)
    # 1 - tanh^2 loses digits to cancellation where tanh is near +-1: compare with an absolute tolerance
    np.testing.assert_allclose(1 - np.tanh(z) ** 2, g.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(nnlib.tanh_grad(z), g.numpy(), rtol=1e-12, atol=1e-15)


def test_eq_relu_steps_with_pytorchs_values_at_the_kink(torch):
    """eq-relu: the steps of relu' and leaky_relu', with PyTorch's values at z = 0."""
    z = np.arange(-20, 21) / 4.0                       # includes z = 0 exactly
    F = torch.nn.functional
    for f, df, tf in ((nnlib.relu, nnlib.relu_grad, torch.relu),
                      (nnlib.leaky_relu, nnlib.leaky_relu_grad, F.leaky_relu)):
        zt = torch.tensor(z, requires_grad=True)
        out = tf(zt)
        (g,) = torch.autograd.grad(out.sum(), zt)
        np.testing.assert_array_equal(f(z), out.detach().numpy())
        np.testing.assert_array_equal(df(z), g.numpy())
    np.testing.assert_array_equal(nnlib.relu_grad(z), np.where(z > 0, 1.0, 0.0))
    np.testing.assert_array_equal(nnlib.leaky_relu_grad(z), np.where(z > 0, 1.0, 0.01))


def test_eq_gelu_written_with_math_erf_matches_nnlib_and_torch(torch):
    """eq-gelu: gelu = z Phi(z), gelu' = Phi(z) + z phi(z)."""
    z = grid(-6, 6, 241)
    Phi = np.array([0.5 * (1 + erf(t / sqrt(2))) for t in z])
    phi = np.exp(-z ** 2 / 2) / sqrt(2 * pi)
    np.testing.assert_allclose(nnlib.gelu(z), z * Phi, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(nnlib.gelu_grad(z), Phi + z * phi, rtol=1e-12, atol=1e-15)
    zt = torch.tensor(z, requires_grad=True)
    (g,) = torch.autograd.grad(torch.nn.functional.gelu(zt).sum(), zt)
    np.testing.assert_allclose(Phi + z * phi, g.numpy(), rtol=1e-12, atol=1e-14)


def test_eq_sigmoid_bound_derivative_at_most_a_quarter_only_at_zero_and_like_exp_in_the_tails():
    """eq-sigmoid-bound: 0 < sigma' <= 1/4, equality only at 0, sigma' ~ e^-|z|."""
    z = grid(-30, 30, 6001)      # beyond z = 36.7, sigma(z) rounds to 1 and sigma(1 - sigma) to 0 (torch too)
    d = nnlib.sigmoid_grad(z)
    p = nnlib.sigmoid(z)
    np.testing.assert_allclose(d, 0.25 - (p - 0.5) ** 2, rtol=1e-9, atol=1e-16)  # cancellation in the tails
    assert d.max() == 0.25 and z[d.argmax()] == 0.0
    assert np.all(d[z != 0] < 0.25) and np.all(d > 0)
    big = np.array([10.0, 20.0, 30.0])
    np.testing.assert_allclose(nnlib.sigmoid_grad(-big), np.exp(-big), rtol=1e-4)
    np.testing.assert_allclose(nnlib.sigmoid_grad(big), np.exp(-big), rtol=1e-2)
    assert nnlib.sigmoid_grad(1.0) == pytest.approx(0.19661193324148185, rel=1e-12)


def test_eq_chain_product_of_factors_is_bounded_by_w_over_four_to_the_L():
    """eq-chain: the product of w f'(z_l), at most (|w|/4)^L for the sigmoid."""
    from nnbook.experiments import chain_gradient
    rng = np.random.default_rng(1)
    for _ in range(50):
        w, x0, L = rng.uniform(-3, 3), rng.uniform(-2, 2), int(rng.integers(1, 15))
        r = chain_gradient("sigmoid", depth=L, weight=w, x0=x0)
        z = w * r["a"][:-1]
        np.testing.assert_allclose(r["z"], z, rtol=1e-15)
        assert r["grad"][-1] == pytest.approx(np.prod(w * nnlib.sigmoid_grad(z)), rel=1e-12)
        assert abs(r["grad"][-1]) <= (abs(w) / 4) ** L * (1 + 1e-12)


def test_eq_sigmoid_stable_equals_the_piecewise_formula_without_warnings():
    """eq-sigmoid-stable: the two-branch sigmoid, without overflow warnings."""
    x = np.concatenate([grid(-700, 700, 1401), [-1000.0, 1000.0]])
    with np.errstate(over="ignore", invalid="ignore"):
        piecewise = np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stable = nnlib.sigmoid(x)
    np.testing.assert_allclose(stable, piecewise, rtol=1e-13, atol=0)
    safe = np.abs(x) < 700
    np.testing.assert_allclose(stable[safe], nnlib.naive_sigmoid(x[safe]), rtol=1e-13, atol=0)


def test_naive_sigmoid_overflows_in_float32_at_minus_89_and_nnlib_does_not():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        naive = nnlib.naive_sigmoid(np.float32(-89.0))
    assert any("overflow" in str(w.message) for w in caught) and naive == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stable = nnlib.sigmoid(np.float32(-89.0))
    assert stable.dtype == np.float32 and stable > 0
    assert float(stable) == pytest.approx(np.exp(-89.0), rel=1e-4)
    assert np.log(np.finfo(np.float32).max) == pytest.approx(88.72, abs=0.01)


def test_log_sigmoid_of_minus_1000_via_log_softmax_is_minus_1000():
    assert nnlib.log_softmax(np.array([-1000.0, 0.0]))[0] == pytest.approx(-1000.0, rel=1e-15)


def test_eq_softmax_and_eq_softmax_shift_match_torch_and_survive_large_logits(torch):
    """eq-softmax and eq-softmax-shift."""
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(5, 4)) * 3
    e = np.exp(Z)
    np.testing.assert_allclose(nnlib.softmax(Z), e / e.sum(axis=-1, keepdims=True), rtol=1e-13)
    for c in (-50.0, 123.4, 700.0):
        np.testing.assert_allclose(nnlib.softmax(Z + c), nnlib.softmax(Z), rtol=1e-12)
    big = np.array([1000.0, 999.0, 0.0])
    np.testing.assert_allclose(nnlib.softmax(big), torch.softmax(torch.tensor(big), 0).numpy(), rtol=1e-14)
    assert nnlib.softmax(big)[0] == pytest.approx(1 / (1 + np.exp(-1.0)), rel=1e-14)


def test_eq_softmax_two_two_class_softmax_is_the_sigmoid():
    """eq-softmax-two: softmax((z, 0))_1 = sigma(z)."""
    s = grid(-30, 30, 121)
    two = nnlib.softmax(np.column_stack([s, np.zeros_like(s)]), axis=-1)[:, 0]
    np.testing.assert_allclose(two, nnlib.sigmoid(s), rtol=1e-12, atol=0)


def test_eq_softmax_jacobian_matches_torch_and_softmax_backward(torch):
    """eq-softmax-jacobian: J = diag(y) - y y^T and g J = y (g - g.y)."""
    rng = np.random.default_rng(4)
    for _ in range(5):
        z, g = rng.normal(size=6) * 2, rng.normal(size=6)
        y = nnlib.softmax(z)
        J = np.diag(y) - np.outer(y, y)
        J_t = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, dim=0), torch.tensor(z)).numpy()
        np.testing.assert_allclose(J, J_t, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(g @ J, y * (g - g @ y), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(g @ J, nnlib.softmax_backward(y, g), rtol=1e-12, atol=1e-15)


def test_eq_tanh_backward_tanh_layer_passes_grad_times_one_minus_h_squared(torch):
    """eq-tanh-backward: dL/dz = dL/dh * (1 - h^2)."""
    rng = np.random.default_rng(5)
    z, g = rng.normal(size=(4, 3)) * 2, rng.normal(size=(4, 3))
    layer = Tanh()
    h = layer(z)
    np.testing.assert_allclose(layer.backward(g), g * (1 - h ** 2), rtol=1e-12, atol=1e-15)
    zt = torch.tensor(z, requires_grad=True)
    (torch.tanh(zt) * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(g * (1 - h ** 2), zt.grad.numpy(), rtol=1e-12, atol=1e-15)
    # source 002's expression 1 - tanh(h) is not the derivative (it exceeds 1 for negative z)
    assert not np.allclose(1 - np.tanh(h), 1 - h ** 2) and (1 - np.tanh(np.tanh(-2.0))) > 1


def test_corrected_source_002_backward_matches_nnlib_and_torch(torch):
    """The chapter's corrected backward of source 002's 2-2-1 tanh network with the mean squared error."""
    rng = np.random.default_rng(0)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    W1, W2, b1, b2 = rng.normal(size=(2, 2)), rng.normal(size=(2, 1)), rng.normal(size=(1, 2)), rng.normal(size=(1, 1))
    h1 = np.tanh(X @ W1 + b1)
    y_pred = h1 @ W2 + b2
    d_y = 2 * (y_pred - Y) / len(X)
    d_z1 = (d_y @ W2.T) * (1 - h1 ** 2)
    ours = {"W1": X.T @ d_z1, "b1": d_z1.sum(axis=0), "W2": h1.T @ d_y, "b2": d_y.sum(axis=0)}

    model = Sequential(Dense(2, 2, rng=0), Tanh(), Dense(2, 1, rng=0))
    model[0].W.data[:], model[0].b.data[:] = W1, b1.ravel()
    model[2].W.data[:], model[2].b.data[:] = W2, b2.ravel()
    model.backward(losses.MSELoss().grad(model(X), Y))
    lib = {"W1": model[0].W.grad, "b1": model[0].b.grad, "W2": model[2].W.grad, "b2": model[2].b.grad}

    params = {k: torch.tensor(v, requires_grad=True) for k, v in
              {"W1": W1, "b1": b1.ravel(), "W2": W2, "b2": b2.ravel()}.items()}
    out = torch.tanh(torch.tensor(X) @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
    torch.nn.functional.mse_loss(out, torch.tensor(Y)).backward()
    for k in ours:
        np.testing.assert_allclose(ours[k], lib[k], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ours[k], params[k].grad.numpy(), rtol=1e-12, atol=1e-15)


def test_source_002_backward_shapes_cannot_multiply():
    dW2, h1 = np.zeros((2, 1)), np.zeros((4, 2))
    with pytest.raises(ValueError, match="not aligned"):
        np.dot(dW2, np.tanh(h1).T)


def test_eq_xor_relu_output_exceeds_one_half_exactly_between_the_lines_one_half_and_three_halves():
    """The band of the hand-made XOR network (eq-xor-relu): 1/2 < x1 + x2 < 3/2, not the hidden units' lines 0 and 1."""
    rng = np.random.default_rng(6)
    P = rng.uniform(-1, 3, size=(5000, 2))
    W1, b1, w2 = np.ones((2, 2)), np.array([0.0, -1.0]), np.array([1.0, -2.0])
    y_hat = nnlib.relu(P @ W1 + b1) @ w2
    s = P.sum(axis=1)
    np.testing.assert_array_equal(y_hat > 0.5, (s > 0.5) & (s < 1.5))
    edges = np.array([0.5, 1.5])
    np.testing.assert_array_equal(nnlib.relu(edges) - 2 * nnlib.relu(edges - 1), [0.5, 0.5])


def test_failing_2_2_1_xor_runs_have_two_outputs_at_one_half():
    """The chapter's claim about its failing seeds: two outputs near 0.5, MSE near 2 * 0.25 / 4."""
    from nnlib import Sigmoid, data, optim, train
    X, y = data.xor()
    Y = y[:, None].astype(float)
    failures = 0
    for seed in range(10):
        init = np.random.default_rng(seed)
        net = Sequential(Dense(2, 2, rng=init), Tanh(), Dense(2, 1, rng=init), Sigmoid())
        history = train.fit(net, losses.MSELoss(), optim.SGD(net.parameters(), lr=0.5, momentum=0.9), X, Y,
                            epochs=500, batch_size=4, shuffle=False, progress=False)
        out = net(X).ravel()
        if not np.array_equal(out > 0.5, y == 1):
            failures += 1
            near_half = np.abs(out - 0.5) < 0.01
            assert near_half.sum() == 2, (seed, out)
            assert np.all(np.abs(out - y)[~near_half] < 0.05), (seed, out)      # the other two are right
            assert history["loss"][-1] == pytest.approx(0.125, abs=0.002), seed
    assert failures == 4


def test_eq_one_hidden_layer_is_what_a_dense_activation_dense_network_computes():
    """eq-one-hidden-layer: g(x) = sum_i v_i f(w_i . x + b_i) + c, for every activation of the chapter."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(6, 3))
    for name, (f, _) in nnlib.ACTIVATIONS.items():
        layer = {"sigmoid": nnlib.Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": nnlib.LeakyReLU,
                 "gelu": nnlib.GELU}[name]
        net = Sequential(Dense(3, 5, rng=rng), layer(), Dense(5, 1, rng=rng))
        W, b, v, c = net[0].W.data, net[0].b.data, net[2].W.data[:, 0], net[2].b.data[0]
        by_sum = np.array([sum(v[i] * f(W[:, i] @ x + b[i]) for i in range(5)) + c for x in X])
        np.testing.assert_allclose(net(X).ravel(), by_sum, rtol=1e-12, atol=1e-14, err_msg=name)


def _relu_interpolant(F, n, a=0.0, b=1.0):
    knots = np.linspace(a, b, n + 1)
    slopes = np.diff(F(knots)) / ((b - a) / n)
    net = Sequential(Dense(1, n, rng=0), ReLU(), Dense(n, 1, rng=0))
    net[0].W.data[:] = 1.0
    net[0].b.data[:] = -knots[:-1]
    net[2].W.data[:, 0] = np.diff(slopes, prepend=0.0)
    net[2].b.data[:] = F(knots[0])
    return net, knots


@pytest.mark.parametrize("F, d2max, a, b", [
    (lambda x: np.sin(2 * np.pi * x), 4 * np.pi ** 2, 0.0, 1.0),
    (np.exp, np.exp(2.0), -1.0, 2.0),
    (lambda x: x ** 3 - x, 6 * 3.0, -3.0, 3.0),
])
def test_eq_relu_interpolation_is_the_broken_line_and_meets_eq_interpolation_error(F, d2max, a, b):
    """eq-relu-interpolation builds the broken line through (t_k, F(t_k)); eq-interpolation-error bounds its error."""
    x = np.linspace(a, b, 20001)[:, None]
    previous = None
    for n in (3, 6, 12, 24, 48):
        net, knots = _relu_interpolant(F, n, a, b)
        g = net(x).ravel()
        np.testing.assert_allclose(g, np.interp(x.ravel(), knots, F(knots)), rtol=1e-10, atol=1e-10)
        error = np.abs(g - F(x).ravel()).max()
        bound = ((b - a) / n) ** 2 / 8 * d2max
        assert error <= bound * (1 + 1e-9), (n, error, bound)
        assert error >= 0.2 * bound, (n, error, bound)          # the bound is of the right order, not vacuous
        if previous is not None:
            assert 3.0 < previous / error < 5.0                  # doubling the width divides the error by ~4
        previous = error


def test_universal_approximation_numbers_the_chapter_prints_for_sin_2_pi_x():
    F = lambda x: np.sin(2 * np.pi * x)
    x = np.linspace(0, 1, 10001)[:, None]
    errors = {n: np.abs(_relu_interpolant(F, n)[0](x) - F(x)).max() for n in (2, 32)}
    assert errors[2] == pytest.approx(1.0, abs=1e-12)
    assert errors[32] == pytest.approx(4.79e-3, rel=1e-2)
    assert 32.0 ** 10 == pytest.approx(1.1e15, rel=0.05)
    g32 = _relu_interpolant(F, 32)[0]
    np.testing.assert_allclose(g32(np.array([[1.25], [1.5], [2.0]])).ravel(), [1.561, 3.121, 6.243], atol=1e-3)


def test_gelu_slope_fades_on_the_left_while_leaky_relu_keeps_alpha():
    z = np.array([-5.0, -10.0])
    np.testing.assert_allclose(nnlib.gelu_grad(z), [-7.146946001792296e-06, -7.618400096464814e-22], rtol=1e-6)
    np.testing.assert_array_equal(nnlib.leaky_relu_grad(z), [0.01, 0.01])
    np.testing.assert_array_equal(nnlib.relu_grad(z), [0.0, 0.0])
    zz = np.linspace(-10, 10, 200001)
    assert zz[nnlib.gelu_grad(zz).argmax()] == pytest.approx(np.sqrt(2), abs=1e-4)
    assert nnlib.gelu_grad(np.sqrt(2)) == pytest.approx(1.129, abs=5e-4)


def test_gelu_tanh_approximation_and_silu_swiglu_formulas_match_torch(torch):
    """The formulas of 'Which one to use': GELU's tanh approximation, silu(z) = z sigma(z), silu(xW) * (xV)."""
    F = torch.nn.functional
    z = np.linspace(-6, 6, 1201)
    approx = 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3)))
    np.testing.assert_allclose(approx, F.gelu(torch.tensor(z), approximate="tanh").numpy(), rtol=1e-12, atol=1e-14)
    assert np.abs(approx - nnlib.gelu(z)).max() == pytest.approx(4.7e-4, rel=0.05)
    np.testing.assert_allclose(z * nnlib.sigmoid(z), F.silu(torch.tensor(z)).numpy(), rtol=1e-12, atol=1e-14)
    rng = np.random.default_rng(8)
    x, W, V = rng.normal(size=(4, 3)), rng.normal(size=(3, 8)), rng.normal(size=(3, 8))
    ours = (x @ W) * nnlib.sigmoid(x @ W) * (x @ V)
    theirs = F.silu(torch.tensor(x) @ torch.tensor(W)) * (torch.tensor(x) @ torch.tensor(V))
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=1e-14)


def test_eq_chain_bound_is_not_reached_by_ten_sigmoid_layers():
    """eq-chain with w = 1, L = 10: the largest product over a_0 is about 0.409 of (1/4)^10."""
    a0 = np.linspace(-10, 10, 200001)
    a, grad = a0, np.ones_like(a0)
    for _ in range(10):
        grad, a = grad * nnlib.sigmoid_grad(a), nnlib.sigmoid(a)
    assert grad.max() == pytest.approx(3.9013e-07, rel=1e-4)
    assert a0[grad.argmax()] == pytest.approx(-0.1587, abs=2e-4)
    assert grad.max() / 0.25 ** 10 == pytest.approx(0.409, abs=5e-4)


def test_source_002_backward_sends_the_error_through_dW2_instead_of_W2():
    """The fourth fault: with shapes made to fit, propagating through dW2 still differs from through W2."""
    rng = np.random.default_rng(9)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    W1, W2 = rng.normal(size=(2, 2)), rng.normal(size=(2, 1))
    h1 = np.tanh(X @ W1)
    d_y = 2 * (h1 @ W2 - Y) / len(X)
    dW2 = h1.T @ d_y
    assert dW2.shape == W2.shape and not np.allclose(d_y @ dW2.T, d_y @ W2.T)
