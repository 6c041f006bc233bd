"""The deep networks chapter: nnbook.diagnostics, nnlib.clip and every formula the chapter states.

Formula labels of book/07_deep_networks.ipynb and the tests that check them:

eq-backward-delta       test_backward_recursion_gives_the_measured_deltas_and_weight_gradients
eq-deep-sigmoid-bound   test_sigmoid_derivative_is_at_most_a_quarter_and_003s_point_one_is_not_saturated
eq-chain-product        test_a_chain_of_unit_weight_sigmoids_multiplies_the_gradient_by_the_product_of_derivatives
eq-deep-spectral-norm   test_spectral_norm_is_the_largest_singular_value_and_the_largest_stretch
eq-delta-bound          test_each_sigmoid_layer_shrinks_delta_by_at_most_a_quarter_of_the_spectral_norm,
                        test_the_delta_bound_uses_euclidean_norms_and_the_spectral_norm_and_is_attained
eq-variance             test_relu_variance_ratio_per_layer_is_n_sigma2_over_2_so_he_keeps_it_at_one,
                        test_forward_variance_is_n_in_sigma2_times_the_mean_square_of_the_input,
                        test_backward_variance_is_n_out_sigma2_halved_by_a_relu,
                        test_tanh_small_signal_variance_is_multiplied_by_n_sigma2_and_a_saturated_one_stops_growing
eq-xavier-he            test_xavier_and_he_initialisers_have_the_stated_standard_deviations
eq-normalise            test_each_normalisation_standardises_the_stated_groups,
                        test_layernorm_normalises_the_trailing_normalized_shape_like_torch
eq-running              test_running_statistics_follow_the_momentum_formula_and_are_used_in_eval_mode
eq-clip                 test_clip_grad_norm_matches_torch
eq-deep-residual        test_residual_block_adds_its_input_and_its_jacobian_is_identity_plus_the_blocks
"""
import doctest
import functools
import math

import numpy as np
import pytest

import nnlib
from nnlib import (BatchNorm1d, CrossEntropyLoss, Dense, GroupNorm, LayerNorm, MSELoss, Parameter, ReLU,
                   Residual, Sequential, Sigmoid, Tanh, init)
from nnlib.clip import clip_grad_norm
from nnbook.diagnostics import activation_stats, delta_norms, gradient_norms


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _net(rng, norm=None):
    layers = [Dense(5, 7, rng=rng)]
    if norm is not None:
        layers.append(norm(7))
    layers += [Sigmoid(), Dense(7, 6, rng=rng), Tanh(), Dense(6, 6, rng=rng), ReLU(), Dense(6, 3, rng=rng)]
    return Sequential(*layers)


def _torch_twin(torch, model):
    """The torch float64 model with the same weights, and the list of its Linear layers."""
    nn = torch.nn
    mods, linears = [], []
    for m in model:
        if isinstance(m, Dense):
            lin = nn.Linear(m.in_features, m.out_features, dtype=torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(m.W.data.T))
                lin.bias.copy_(torch.from_numpy(m.b.data))
            mods.append(lin)
            linears.append(lin)
        elif isinstance(m, BatchNorm1d):
            mods.append(nn.BatchNorm1d(m.num_features, dtype=torch.float64))
        elif isinstance(m, LayerNorm):
            mods.append(nn.LayerNorm(m.normalized_shape, dtype=torch.float64))
        else:
            mods.append({Sigmoid: nn.Sigmoid, Tanh: nn.Tanh, ReLU: nn.ReLU}[type(m)]())
    return mods, linears


@pytest.mark.parametrize("norm", [None, BatchNorm1d, LayerNorm])
def test_gradient_and_delta_norms_match_torch_autograd(torch, norm):
    rng = np.random.default_rng(0)
    model = _net(rng, norm)
    X, y = rng.normal(size=(9, 5)), rng.integers(0, 3, size=9)
    mods, linears = _torch_twin(torch, model)
    h, outs = torch.from_numpy(X), []
    for m in mods:
        h = m(h)
        if isinstance(m, torch.nn.Linear):
            h.retain_grad()
            outs.append(h)
    torch.nn.functional.cross_entropy(h, torch.from_numpy(y)).backward()
    expected_w = [float(lin.weight.grad.norm()) for lin in linears]
    expected_d = [float(o.grad.norm()) for o in outs]
    np.testing.assert_allclose(gradient_norms(model, X, y, CrossEntropyLoss()), expected_w, rtol=1e-10)
    np.testing.assert_allclose(delta_norms(model, X, y, CrossEntropyLoss()), expected_d, rtol=1e-10)


def test_gradient_norms_zero_the_gradients_first_so_repeated_calls_agree():
    rng = np.random.default_rng(1)
    model = _net(rng)
    X, y = rng.normal(size=(6, 5)), rng.integers(0, 3, size=6)
    first = gradient_norms(model, X, y, CrossEntropyLoss())
    second = gradient_norms(model, X, y, CrossEntropyLoss())
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(np.linalg.norm(model[0].W.grad), first[0], rtol=1e-12)


def test_nested_sequentials_are_flattened():
    rng = np.random.default_rng(2)
    flat = _net(rng)
    nested = Sequential(Sequential(*list(flat)[:3]), Sequential(*list(flat)[3:]))
    X, y = rng.normal(size=(4, 5)), rng.integers(0, 3, size=4)
    np.testing.assert_array_equal(gradient_norms(flat, X, y, CrossEntropyLoss()),
                                  gradient_norms(nested, X, y, CrossEntropyLoss()))


def test_backward_recursion_gives_the_measured_deltas_and_weight_gradients():
    """eq-backward-delta, written out with numpy for a sigmoid network and MSE."""
    rng = np.random.default_rng(3)
    Ws = [rng.normal(size=s) for s in ((4, 6), (6, 5), (5, 2))]
    model = Sequential(Dense(4, 6, rng=0), Sigmoid(), Dense(6, 5, rng=0), Sigmoid(), Dense(5, 2, rng=0))
    for layer, W in zip(model[::2], Ws):
        layer.W.data[...] = W
        layer.b.data[...] = 0.0
    X, Y = rng.normal(size=(8, 4)), rng.normal(size=(8, 2))
    A, Zs = [X], []
    for l, W in enumerate(Ws):
        Zs.append(A[-1] @ W)
        A.append(nnlib.sigmoid(Zs[-1]) if l < 2 else Zs[-1])
    deltas = [None, None, 2 * (A[-1] - Y) / Y.size]                          # dL/dZ of the output layer
    for l in (1, 0):
        deltas[l] = (deltas[l + 1] @ Ws[l + 1].T) * nnlib.sigmoid_grad(Zs[l])  # the recursion
    dW = [A[l].T @ deltas[l] for l in range(3)]
    np.testing.assert_allclose(delta_norms(model, X, Y, MSELoss()), [np.linalg.norm(d) for d in deltas], rtol=1e-12)
    np.testing.assert_allclose(gradient_norms(model, X, Y, MSELoss()), [np.linalg.norm(g) for g in dW], rtol=1e-12)


def test_sigmoid_derivative_is_at_most_a_quarter_and_003s_point_one_is_not_saturated():
    """eq-deep-sigmoid-bound: sigma' = sigma (1 - sigma) <= 1/4, equality at 0 only."""
    z = np.linspace(-10, 10, 20001)
    d = nnlib.sigmoid_grad(z)
    np.testing.assert_allclose(d, nnlib.sigmoid(z) * (1 - nnlib.sigmoid(z)), rtol=1e-14)
    assert d.max() == 0.25 and z[d.argmax()] == 0.0
    assert nnlib.sigmoid_grad(np.array(1.0)) == pytest.approx(0.19661193324148185, rel=1e-12)
    assert nnlib.sigmoid_grad(np.array(5.0)) < 0.007


def _sigmoid_chain(L, w=1.0):
    layers = []
    for _ in range(L):
        d = Dense(1, 1, init=lambda fi, fo, rng, dtype: np.full((1, 1), w, dtype=dtype))
        layers += [d, Sigmoid()]
    return Sequential(*layers)


@pytest.mark.parametrize("L, w", [(1, 1.0), (5, 1.0), (20, 1.0), (10, -0.7)])
def test_a_chain_of_unit_weight_sigmoids_multiplies_the_gradient_by_the_product_of_derivatives(L, w):
    """eq-chain-product: da_L/da_0 = prod w sigma'(z_l), bounded by |w|^L 4^-L."""
    chain = _sigmoid_chain(L, w)
    a0 = np.array([[0.3]])
    chain(a0)
    measured = chain.backward(np.ones((1, 1)))[0, 0]
    a, product = 0.3, 1.0
    for _ in range(L):
        z = w * a
        product *= w * nnlib.sigmoid_grad(np.array(z))
        a = nnlib.sigmoid(np.array(z))
    assert measured == pytest.approx(product, rel=1e-12)
    assert abs(measured) <= abs(w) ** L * 0.25 ** L


def test_each_sigmoid_layer_shrinks_delta_by_at_most_a_quarter_of_the_spectral_norm():
    """eq-delta-bound: ||delta^(l-1)|| <= 1/4 ||W^(l)||_2 ||delta^(l)||."""
    from nnbook.experiments.deep import mlp

    rng = np.random.default_rng(4)
    model = mlp(8, "sigmoid", "he", n_in=16, n_out=4, width=16, rng=rng)
    X, y = rng.normal(size=(32, 16)), rng.integers(0, 4, size=32)
    d = delta_norms(model, X, y, CrossEntropyLoss())
    dense = [m for m in model if isinstance(m, Dense)]
    for l in range(1, len(dense)):
        bound = 0.25 * np.linalg.norm(dense[l].W.data, 2) * d[l]
        assert d[l - 1] <= bound, (l, d[l - 1], bound)


def test_spectral_norm_is_the_largest_singular_value_and_the_largest_stretch():
    """eq-deep-spectral-norm: ||W||_2 = max ||W v|| / ||v|| = s_1, reached at the first right singular vector."""
    rng = np.random.default_rng(30)
    for shape in [(5, 3), (3, 5), (8, 8), (1, 4)]:
        W = rng.normal(size=shape)
        U, s, Vt = np.linalg.svd(W)
        assert np.linalg.norm(W, 2) == pytest.approx(s[0], rel=1e-12)
        assert np.linalg.norm(W.T, 2) == pytest.approx(s[0], rel=1e-12)
        v = rng.normal(size=(shape[1], 5000))
        stretch = np.linalg.norm(W @ v, axis=0) / np.linalg.norm(v, axis=0)
        assert stretch.max() <= s[0] * (1 + 1e-12)
        assert np.linalg.norm(W @ Vt[0]) == pytest.approx(s[0], rel=1e-12)   # attained
        assert np.linalg.norm(W) == pytest.approx(np.sqrt(np.sum(s ** 2)), rel=1e-12)   # Frobenius: larger
        assert np.linalg.norm(W) >= s[0]


def test_the_delta_bound_uses_euclidean_norms_and_the_spectral_norm_and_is_attained():
    """eq-delta-bound: ||delta^(l-1)|| <= 1/4 ||W||_2 ||delta^(l)||, Euclidean norm per example, Frobenius per batch.

    At z = 0 every sigmoid factor is exactly 1/4, and the upstream delta along W's first right
    singular vector is stretched by exactly s_1: the bound holds with equality, so no smaller
    matrix norm (e.g. the second singular value) could replace the spectral norm.
    """
    rng = np.random.default_rng(31)
    W = rng.normal(size=(6, 4))                   # layer l: 6 inputs, 4 outputs
    spectral = np.linalg.norm(W, 2)
    # random batches: the bound holds row by row (Euclidean) and for the whole batch (Frobenius)
    Z_prev, delta = rng.normal(size=(50, 6)), rng.normal(size=(50, 4))
    delta_prev = (delta @ W.T) * nnlib.sigmoid_grad(Z_prev)            # eq-backward-delta
    rows_prev, rows = np.linalg.norm(delta_prev, axis=1), np.linalg.norm(delta, axis=1)
    assert np.all(rows_prev <= 0.25 * spectral * rows * (1 + 1e-12))
    assert np.linalg.norm(delta_prev) <= 0.25 * spectral * np.linalg.norm(delta)
    # equality: z = 0 and delta along the first right singular vector of W
    top = np.linalg.svd(W)[2][0][None, :]         # shape (1, 4)
    tight = (top @ W.T) * nnlib.sigmoid_grad(np.zeros((1, 6)))
    assert np.linalg.norm(tight) == pytest.approx(0.25 * spectral * np.linalg.norm(top), rel=1e-12)
    second = np.linalg.svd(W, compute_uv=False)[1]
    assert np.linalg.norm(tight) > 0.25 * second * np.linalg.norm(top)   # a smaller constant would fail


# Monte Carlo checks of eq-variance. With these sizes the relative standard error of the measured
# ratio, estimated over 40 seeds, is about 0.5 % (0.9 % for the ReLU backward case and 2 % for the
# ReLU forward case, whose inputs have a non-zero mean); the tolerances are 4 % and 8 %, at least
# four standard errors, so a wrong factor (n_in for n_out, a missing 1/2) cannot pass.
N_MC, N_IN, N_OUT, SIGMA_W = 1000, 200, 500, 0.07


@pytest.mark.parametrize("act, scale, rel", [("identity", 1.0, 0.04), ("tanh", 0.1, 0.04), ("tanh", 3.0, 0.04),
                                             ("relu", 1.0, 0.08)])
def test_forward_variance_is_n_in_sigma2_times_the_mean_square_of_the_input(act, scale, rel):
    """eq-variance, forward: Var z = n_in sigma_w^2 E[a^2] for inputs a independent of W (any activation)."""
    rng = np.random.default_rng(32)
    pre = rng.normal(scale=scale, size=(N_MC, N_IN))
    a = {"identity": pre, "tanh": np.tanh(pre), "relu": np.maximum(pre, 0)}[act]
    layer = Dense(N_IN, N_OUT, rng=rng, init=functools.partial(init.normal, std=SIGMA_W))
    z = layer(a)
    expected = N_IN * SIGMA_W ** 2 * np.mean(a ** 2)
    assert z.var() == pytest.approx(expected, rel=rel), (act, scale, z.var(), expected)
    assert abs(z.var() / (N_OUT * SIGMA_W ** 2 * np.mean(a ** 2)) - 1) > 0.5   # n_out would be wrong


@pytest.mark.parametrize("relu", [False, True])
def test_backward_variance_is_n_out_sigma2_halved_by_a_relu(relu):
    """eq-variance, backward: Var[delta W^T] = n_out sigma_w^2 Var[delta]; a ReLU's derivative halves it."""
    rng = np.random.default_rng(33)
    layers = [Dense(N_IN, N_OUT, rng=rng, init=functools.partial(init.normal, std=SIGMA_W))]
    model = Sequential(ReLU(), *layers) if relu else Sequential(*layers)
    model(rng.normal(size=(N_MC, N_IN)))            # symmetric pre-activations: half of the ReLUs are active
    delta = rng.normal(size=(N_MC, N_OUT))
    delta_prev = model.backward(delta)
    factor = N_OUT * SIGMA_W ** 2 / (2 if relu else 1)
    assert delta_prev.var() / delta.var() == pytest.approx(factor, rel=0.04)
    assert abs(delta_prev.var() / delta.var() / (N_IN * SIGMA_W ** 2 / (2 if relu else 1)) - 1) > 0.5


def test_tanh_small_signal_variance_is_multiplied_by_n_sigma2_and_a_saturated_one_stops_growing():
    """eq-variance for tanh: near 0, a = tanh z ~ z, so Var z grows by n sigma_w^2 per layer; saturated, E[a^2] -> 1."""
    n = 256
    rng = np.random.default_rng(34)
    small = Sequential(*[m for _ in range(5) for m in (Dense(n, n, rng=rng, init=functools.partial(
        init.normal, std=np.sqrt(0.8 / n))), Tanh())])
    z_std = activation_stats(small, rng.normal(scale=0.01, size=(500, n)))["z_std"]
    np.testing.assert_allclose((z_std[1:] / z_std[:-1]) ** 2, 0.8, rtol=0.04)   # n sigma_w^2 = 0.8
    big = Sequential(*[m for _ in range(5) for m in (Dense(64, 64, rng=rng, init=functools.partial(
        init.normal, std=1.0)), Tanh())])
    stats = activation_stats(big, rng.normal(size=(500, 64)))
    # saturated: E[a^2] is close to 1 and Var z = 64 * 1 * E[a^2] stops growing, at about 8^2
    assert np.all(stats["z_std"][1:] > 6.5) and np.all(stats["z_std"][1:] < 8.5), stats["z_std"]
    mean_square = stats["std"] ** 2 + stats["mean"] ** 2      # E[a^2] of each layer's output
    assert np.all(mean_square > 0.8)
    # the general form, Var z = n sigma_w^2 E[a^2] (one 64 x 64 matrix per layer: about 3 % noise)
    np.testing.assert_allclose(stats["z_std"][1:] ** 2, 64 * 1.0 * mean_square[:-1], rtol=0.12)


@pytest.mark.parametrize("std", [None, 0.05, 0.3])
def test_relu_variance_ratio_per_layer_is_n_sigma2_over_2_so_he_keeps_it_at_one(std):
    """eq-variance: Var z^(l) = n sigma_w^2 E[a^2] = (n sigma_w^2 / 2) Var z^(l-1) for ReLU."""
    n = 512

    def weights(fi, fo, rng, dtype):
        return init.he_normal(fi, fo, rng, dtype=dtype) if std is None else init.normal(fi, fo, rng, std=std, dtype=dtype)

    rng = np.random.default_rng(5)
    layers = []
    for _ in range(6):
        layers += [Dense(n, n, rng=rng, init=weights), ReLU()]
    model = Sequential(*layers)
    z_std = activation_stats(model, rng.normal(size=(400, n)))["z_std"]
    ratio = (z_std[1:] / z_std[:-1]) ** 2
    expected = 1.0 if std is None else n * std ** 2 / 2
    np.testing.assert_allclose(ratio, expected, rtol=0.15)


@pytest.mark.parametrize("fan_in, fan_out", [(300, 100), (64, 64)])
def test_xavier_and_he_initialisers_have_the_stated_standard_deviations(fan_in, fan_out):
    """eq-xavier-he: sigma = sqrt(2/(n_in+n_out)) and sigma = sqrt(2/n_in)."""
    rng = np.random.default_rng(6)
    xs = np.concatenate([init.xavier_normal(fan_in, fan_out, rng).ravel() for _ in range(20)])
    hs = np.concatenate([init.he_normal(fan_in, fan_out, rng).ravel() for _ in range(20)])
    assert xs.std() == pytest.approx(math.sqrt(2 / (fan_in + fan_out)), rel=0.02)
    assert hs.std() == pytest.approx(math.sqrt(2 / fan_in), rel=0.02)


def test_activation_stats_match_a_forward_pass_by_hand():
    rng = np.random.default_rng(7)
    model = _net(rng)
    X = rng.normal(size=(10, 5))
    s = activation_stats(model, X)
    z1 = X @ model[0].W.data + model[0].b.data
    a1 = nnlib.sigmoid(z1)
    z2 = a1 @ model[2].W.data + model[2].b.data
    a2 = np.tanh(z2)
    z3 = a2 @ model[4].W.data + model[4].b.data
    a3 = np.maximum(z3, 0)
    np.testing.assert_allclose(s["z_std"], [z1.std(), z2.std(), z3.std()], rtol=1e-12)
    np.testing.assert_allclose(s["mean"], [a1.mean(), a2.mean(), a3.mean()], rtol=1e-12)
    np.testing.assert_allclose(s["std"], [a1.std(), a2.std(), a3.std()], rtol=1e-12)
    np.testing.assert_allclose(s["grad_mean"], [(a1 * (1 - a1)).mean(), (1 - a2 ** 2).mean(), (z3 > 0).mean()],
                               rtol=1e-12)


def test_diagnostics_refuse_bad_input_with_clear_messages():
    rng = np.random.default_rng(8)
    model = _net(rng)
    X, y = rng.normal(size=(4, 5)), np.zeros(4, dtype=int)
    with pytest.raises(TypeError, match="Sequential"):
        gradient_norms(model[0], X, y, CrossEntropyLoss())
    with pytest.raises(ValueError, match="no Dense layer"):
        gradient_norms(Sequential(Sigmoid()), X, y, MSELoss())
    with pytest.raises(TypeError, match="loss object"):
        gradient_norms(model, X, y, nnlib.cross_entropy)
    with pytest.raises(ValueError, match="no elementwise activation"):
        activation_stats(Sequential(Dense(5, 2, rng=0)), X)
    with pytest.raises(ValueError, match="empty"):
        activation_stats(model, np.zeros((0, 5)))


# -- normalisation: what is averaged over -------------------------------------
def test_each_normalisation_standardises_the_stated_groups():
    """eq-normalise: BatchNorm per feature over the batch, LayerNorm per example, GroupNorm per (example, group)."""
    rng = np.random.default_rng(9)
    x = rng.normal(loc=3.0, scale=2.0, size=(8, 6)) * rng.uniform(0.5, 4, size=6)
    eps = 1e-5
    bn, ln, gn = BatchNorm1d(6)(x), LayerNorm(6)(x), GroupNorm(3, 6)(x)
    np.testing.assert_allclose(bn, (x - x.mean(0)) / np.sqrt(x.var(0) + eps), rtol=1e-12)
    np.testing.assert_allclose(ln, (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + eps), rtol=1e-12)
    g = x.reshape(8, 3, 2)
    gn_hand = (g - g.mean(2, keepdims=True)) / np.sqrt(g.var(2, keepdims=True) + eps)
    np.testing.assert_allclose(gn, gn_hand.reshape(8, 6), rtol=1e-12)
    np.testing.assert_allclose(bn.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(bn.var(0), 1, rtol=1e-5)
    np.testing.assert_allclose(ln.mean(1), 0, atol=1e-12)
    np.testing.assert_allclose(ln.var(1), 1, rtol=1e-5)
    assert np.abs(ln.mean(0)).max() > 0.1  # LayerNorm does not centre the features


def test_003s_layer_norm_across_samples_is_batch_norm_not_layer_norm(torch):
    rng = np.random.default_rng(10)
    x = rng.normal(size=(5, 4)) * [1, 2, 3, 4] + [0, 1, 2, 3]
    as_003_says = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)   # "across all samples of a layer"
    torch_ln = torch.nn.LayerNorm(4, dtype=torch.float64)(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(LayerNorm(4)(x), torch_ln, rtol=1e-12)
    np.testing.assert_allclose(as_003_says, BatchNorm1d(4, affine=False)(x), rtol=1e-12)
    assert not np.allclose(as_003_says, torch_ln)
    np.testing.assert_allclose(LayerNorm(4)(x[:1]), LayerNorm(4)(x)[:1], rtol=1e-12)   # one example alone: same
    assert not np.allclose(BatchNorm1d(4)(x[:2])[0], BatchNorm1d(4)(x)[0])            # BatchNorm depends on the batch


def test_running_statistics_follow_the_momentum_formula_and_are_used_in_eval_mode():
    """eq-running: mu <- (1-a) mu + a mu_B, var <- (1-a) var + a m/(m-1) var_B; eval uses them."""
    rng = np.random.default_rng(11)
    bn = BatchNorm1d(3, momentum=0.1)
    mu, var = np.zeros(3), np.ones(3)
    for _ in range(3):
        xb = rng.normal(loc=2.0, scale=3.0, size=(10, 3))
        bn(xb)
        mu = 0.9 * mu + 0.1 * xb.mean(0)
        var = 0.9 * var + 0.1 * xb.var(0, ddof=1)
    np.testing.assert_allclose(bn.running_mean, mu, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, var, rtol=1e-12)
    x = rng.normal(size=(4, 3))
    train_out = bn(x)
    bn.eval()
    eval_out = bn(x)
    np.testing.assert_allclose(eval_out, (x - bn.running_mean) / np.sqrt(bn.running_var + 1e-5), rtol=1e-12)
    assert not np.allclose(train_out, eval_out)
    np.testing.assert_allclose(bn(x[:1]), eval_out[:1], rtol=1e-12)   # a batch of one works in eval mode
    bn.train()
    with pytest.raises(ValueError, match="more than one value per feature"):
        bn(x[:1])


# -- gradient clipping -----------------------------------------------------------
def _params(rng, dtype=np.float64, scale=1.0):
    ps = [Parameter(np.zeros(s, dtype=dtype)) for s in ((3, 4), (4,), (2, 2, 2))]
    for p in ps:
        p.grad[...] = scale * rng.normal(size=p.shape)
    return ps


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 100.0])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm_matches_torch(torch, max_norm, norm_type):
    """eq-clip: g <- g min(1, c / (||g|| + 1e-6)), returning ||g|| before clipping."""
    ps = _params(np.random.default_rng(12))
    tps = [torch.zeros(p.shape, dtype=torch.float64, requires_grad=True) for p in ps]
    for t, p in zip(tps, ps):
        t.grad = torch.from_numpy(p.grad.copy())
    expected = float(torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type=norm_type))
    total = clip_grad_norm(ps, max_norm, norm_type=norm_type)
    assert total == pytest.approx(expected, rel=1e-12)
    for t, p in zip(tps, ps):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12, atol=0)


def test_clip_grad_norm_caps_the_joint_norm_and_keeps_the_direction():
    ps = _params(np.random.default_rng(13), scale=10.0)
    before = np.concatenate([p.grad.ravel() for p in ps])
    total = clip_grad_norm(ps, 1.0)
    after = np.concatenate([p.grad.ravel() for p in ps])
    assert total == pytest.approx(np.linalg.norm(before), rel=1e-12)
    assert np.linalg.norm(after) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(after * total, before * (1.0 - 1e-6 / (total + 1e-6)) * 1.0, rtol=1e-9)


def test_clip_grad_norm_keeps_float32_accepts_one_parameter_and_refuses_bad_input():
    ps = _params(np.random.default_rng(14), dtype=np.float32, scale=5.0)
    clip_grad_norm(ps, 1.0)
    assert all(p.grad.dtype == np.float32 for p in ps)
    p = Parameter(np.zeros(2))
    p.grad[...] = [3.0, 4.0]
    assert clip_grad_norm(p, 10.0) == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad, [3.0, 4.0], rtol=1e-6)   # below max_norm: (almost) unchanged
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm([p], 0.0)
    with pytest.raises(ValueError, match="norm_type"):
        clip_grad_norm([p], 1.0, norm_type=0.5)
    with pytest.raises(TypeError, match="Parameter"):
        clip_grad_norm([np.zeros(2)], 1.0)
    with pytest.raises(TypeError, match="model.parameters"):
        clip_grad_norm(np.zeros(2), 1.0)
    p.grad[0] = np.inf
    with pytest.raises(RuntimeError, match="cannot be clipped"):
        clip_grad_norm([p], 1.0, error_if_nonfinite=True)


def test_docstring_examples_run():
    import nnlib.clip
    import nnbook.diagnostics
    import nnbook.experiments.deep

    for module in (nnbook.diagnostics, nnlib.clip, nnbook.experiments.deep):
        result = doctest.testmod(module, extraglobs={"np": np})
        assert result.failed == 0, module.__name__


# -- LayerNorm's normalized_shape: the (N, C), (N, C, L) and transformer (N, L, C) cases ------------
@pytest.mark.parametrize("shape, normalized_shape", [((5, 6), 6), ((3, 4, 5), (4, 5)), ((2, 3, 4), 4)])
def test_layernorm_normalises_the_trailing_normalized_shape_like_torch(torch, shape, normalized_shape):
    """eq-normalise for LayerNorm: statistics over the trailing dims, gamma and beta of shape normalized_shape."""
    rng = np.random.default_rng(40)
    x = rng.normal(1.0, 2.0, size=shape)
    ln = LayerNorm(normalized_shape)
    ns = ln.normalized_shape
    assert ln.weight.shape == ln.bias.shape == ns
    ln.weight.data[...], ln.bias.data[...] = rng.normal(size=ns), rng.normal(size=ns)
    axes = tuple(range(x.ndim - len(ns), x.ndim))
    by_hand = ((x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5)
               * ln.weight.data + ln.bias.data)
    twin = torch.nn.LayerNorm(ns, dtype=torch.float64)
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(ln.weight.data))
        twin.bias.copy_(torch.from_numpy(ln.bias.data))
    xt = torch.tensor(x, requires_grad=True)
    G = rng.normal(size=shape)
    (twin(xt) * torch.from_numpy(G)).sum().backward()
    y = ln(x)
    np.testing.assert_allclose(y, by_hand, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y, twin(xt).detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ln.backward(G), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ln.weight.grad, twin.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    if shape == (2, 3, 4):   # the transformer case: every token (n, l) has its own mean, over its C features
        x_hat = (y - ln.bias.data) / ln.weight.data
        np.testing.assert_allclose(x_hat.mean(axis=-1), np.zeros((2, 3)), atol=1e-12)
        assert not np.allclose(y, LayerNorm((3, 4))(x))   # normalising the whole sequence is another layer


# -- what BatchNorm does to the scale of the weights before it ----------------------------------------
def test_batchnorm_ignores_the_scale_of_the_weights_and_the_bias_and_divides_their_gradient_by_the_scale():
    """BN(X (aW) + b') = BN(X W + b) for a > 0, so dL/d(aW) = dL/dW / a (the chapter's scale argument)."""
    rng = np.random.default_rng(41)
    X, y = rng.normal(size=(32, 10)), rng.integers(0, 3, size=32)
    model = Sequential(Dense(10, 6, rng=0), BatchNorm1d(6, eps=1e-12), Tanh(), Dense(6, 3, rng=1))
    out = model(X)
    g = gradient_norms(model, X, y, CrossEntropyLoss())[0]
    W_grad = model[0].W.grad.copy()
    model[0].W.data *= 3.0
    model[0].b.data[...] = rng.normal(size=6)
    np.testing.assert_allclose(model(X), out, rtol=0, atol=1e-9)
    assert gradient_norms(model, X, y, CrossEntropyLoss())[0] == pytest.approx(g / 3.0, rel=1e-7)
    np.testing.assert_allclose(model[0].W.grad, W_grad / 3.0, rtol=1e-6, atol=1e-12)


# -- residual connections ---------------------------------------------------------------------------
def test_residual_block_adds_its_input_and_its_jacobian_is_identity_plus_the_blocks():
    """eq-deep-residual: h + F(h), and dh_out/dh = I + dF/dh (checked column by column with central differences)."""
    rng = np.random.default_rng(42)
    block = Sequential(Dense(5, 5, rng=rng), Tanh(), Dense(5, 5, rng=rng))
    res = Residual(block)
    h = rng.normal(size=(1, 5))
    np.testing.assert_allclose(res(h), h + block(h), rtol=1e-14)
    eps = 1e-6
    J_F = np.column_stack([(block(h + eps * e) - block(h - eps * e))[0] / (2 * eps) for e in np.eye(5)])
    J = np.column_stack([(res(h + eps * e) - res(h - eps * e))[0] / (2 * eps) for e in np.eye(5)])
    np.testing.assert_allclose(J, np.eye(5) + J_F, rtol=1e-7, atol=1e-9)
    # the backward pass of a row vector g is g (I + dF/dh)
    g = rng.normal(size=(1, 5))
    res(h)
    np.testing.assert_allclose(res.backward(g), g @ (np.eye(5) + J_F), rtol=1e-6, atol=1e-9)


def test_a_residual_stack_keeps_the_first_layers_gradient_where_the_plain_stack_loses_it():
    from nnbook.experiments.deep import mlp

    rng = np.random.default_rng(43)
    X, y = rng.normal(size=(32, 16)), rng.integers(0, 4, size=32)
    plain = mlp(20, "tanh", "default", n_in=16, n_out=4, width=16, rng=np.random.default_rng(0))
    res = mlp(20, "tanh", "default", n_in=16, n_out=4, width=16, rng=np.random.default_rng(0), residual=True)
    g_plain, g_res = gradient_norms(plain, X, y, CrossEntropyLoss()), gradient_norms(res, X, y, CrossEntropyLoss())
    assert g_plain.shape == g_res.shape == (20,)
    assert g_plain[0] / g_plain[-1] < 1e-3, g_plain
    assert 0.1 < g_res[0] / g_res[-1] < 10, g_res


def test_gradient_norms_see_dense_layers_inside_residual_blocks_like_torch(torch):
    rng = np.random.default_rng(44)
    model = Sequential(Dense(4, 5, rng=rng), Tanh(), Residual(Sequential(Dense(5, 5, rng=rng), Tanh())),
                       Residual(Dense(5, 5, rng=rng)), Dense(5, 3, rng=rng))
    X, y = rng.normal(size=(7, 4)), rng.integers(0, 3, size=7)
    dense = [model[0], model[2].block[0], model[3].block, model[4]]
    lins = []
    for d in dense:
        lin = torch.nn.Linear(d.in_features, d.out_features, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(d.W.data.T))
            lin.bias.copy_(torch.from_numpy(d.b.data))
        lins.append(lin)
    h = torch.tanh(lins[0](torch.from_numpy(X)))
    h = h + torch.tanh(lins[1](h))
    h = h + lins[2](h)
    torch.nn.functional.cross_entropy(lins[3](h), torch.from_numpy(y)).backward()
    expected = [float(lin.weight.grad.norm()) for lin in lins]
    np.testing.assert_allclose(gradient_norms(model, X, y, CrossEntropyLoss()), expected, rtol=1e-10)
    with pytest.raises(ValueError, match="Residual hides Dense layers"):
        delta_norms(model, X, y, CrossEntropyLoss())
    with pytest.raises(ValueError, match="Residual hides activation layers"):
        activation_stats(model, X)
