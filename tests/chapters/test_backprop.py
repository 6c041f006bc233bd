"""The backpropagation chapter's formulas, each checked against torch autograd in float64,
and the defects of sources 000 and 002 the chapter demonstrates.

Equation labels refer to book/06_backpropagation.ipynb.
"""
import numpy as np
import pytest

import nnlib
from nnlib import Dense, Sequential, Sigmoid
from nnlib.autograd import Value
from nnbook.exercises import exercise
from nnbook.experiments.backprop import init_000, matmul_flops, train_xor, two_layer_grads
from nnlib.gradcheck import gradcheck, numerical_grad

torch = pytest.importorskip("torch")


def t64(a):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=True)


def xor_data():
    X, t = nnlib.data.xor()
    return X, t[:, None].astype(np.float64)


# -- the chain rule -------------------------------------------------------------
def test_single_neuron_gradients_by_the_chain_rule_match_torch():  # eq-chain-rule, eq-neuron-grad
    rng = np.random.default_rng(0)
    for _ in range(5):
        w, x, b, t = rng.normal(size=4)
        z = w * x + b
        a = 1 / (1 + np.exp(-z))
        dE_dz = (a - t) * a * (1 - a)
        tw, tx, tb = t64(w), t64(x), t64(b)
        E = 0.5 * (torch.sigmoid(tw * tx + tb) - t) ** 2
        E.backward()
        np.testing.assert_allclose([dE_dz * x, dE_dz, dE_dz * w], [tw.grad.item(), tb.grad.item(), tx.grad.item()],
                                   rtol=1e-12, atol=1e-15)


def test_a_value_used_twice_gets_the_sum_of_both_paths():  # eq-chain-multi
    for u in (2.0, -0.7, 3.3):
        v1, v2 = u ** 2, 3 * u
        by_paths = v2 * (2 * u) + v1 * 3
        tu = t64(u)
        (tu ** 2 * (3 * tu)).backward()
        assert by_paths == pytest.approx(tu.grad.item(), rel=1e-14)
        assert by_paths == pytest.approx(9 * u ** 2, rel=1e-14)
        vu = Value(u)
        (vu ** 2 * (3 * vu)).backward()
        assert vu.grad == pytest.approx(by_paths, rel=1e-14)


# -- dense layers and deltas ------------------------------------------------------------
@pytest.mark.parametrize("n, d_in, d_out", [(5, 3, 2), (1, 4, 1), (7, 1, 6)])
def test_dense_backward_formulas_match_torch_and_nnlib(n, d_in, d_out):  # eq-dense-backward
    rng = np.random.default_rng(n * 100 + d_in)
    X, W, b, G = rng.normal(size=(n, d_in)), rng.normal(size=(d_in, d_out)), rng.normal(size=d_out), rng.normal(size=(n, d_out))
    dW, db, dX = X.T @ G, G.sum(axis=0), G @ W.T
    tX, tW, tb = t64(X), t64(W), t64(b)
    ((tX @ tW + tb) * torch.from_numpy(G)).sum().backward()
    np.testing.assert_allclose(dW, tW.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(db, tb.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dX, tX.grad.numpy(), rtol=1e-12, atol=1e-14)
    layer = Dense(d_in, d_out, rng=0)
    layer.W.data[...], layer.b.data[...] = W, b
    layer.forward(X)
    np.testing.assert_allclose(layer.backward(G), dX, rtol=1e-13)
    np.testing.assert_allclose(layer.W.grad, dW, rtol=1e-13)


@pytest.mark.parametrize("name, torch_fn", [("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu", torch.relu)])
def test_activation_backward_is_an_elementwise_product_with_the_derivative(name, torch_fn):  # eq-act-backward
    rng = np.random.default_rng(3)
    Z, G = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    _, f_grad = nnlib.ACTIVATIONS[name]
    tZ = t64(Z)
    (torch_fn(tZ) * torch.from_numpy(G)).sum().backward()
    np.testing.assert_allclose(G * f_grad(Z), tZ.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("output", ["sigmoid", "linear"])
def test_two_layer_deltas_match_torch(hidden, output):  # eq-deltas
    rng = np.random.default_rng(11)
    X, T = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    W1, b1, W2, b2 = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)), rng.normal(size=2)
    r = two_layer_grads(X, T, W1, b1, W2, b2, hidden=hidden, output=output)
    f = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[hidden]
    g = {"sigmoid": torch.sigmoid, "linear": lambda z: z}[output]
    tX, tW1, tb1, tW2, tb2 = (t64(a) for a in (X, W1, b1, W2, b2))
    E = 0.5 * ((g(f(tX @ tW1 + tb1) @ tW2 + tb2) - torch.from_numpy(T)) ** 2).sum()
    E.backward()
    assert r["E"] == pytest.approx(E.item(), rel=1e-13)
    for key, tensor in (("W1", tW1), ("b1", tb1), ("W2", tW2), ("b2", tb2), ("X", tX)):
        np.testing.assert_allclose(r[key], tensor.grad.numpy(), rtol=1e-11, atol=1e-14, err_msg=key)
    assert r["W2"].shape == W2.shape and r["W1"].shape == W1.shape


def test_gradient_with_respect_to_a_hidden_layer_is_delta_times_w_transposed():  # eq-jacobian
    rng = np.random.default_rng(5)
    h, W, b, g_next = rng.normal(size=3), rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=4)
    J = torch.autograd.functional.jacobian(lambda v: torch.tanh(v @ torch.from_numpy(W) + torch.from_numpy(b)),
                                           torch.from_numpy(h)).numpy()          # (4, 3): dh_next/dh
    delta = g_next * nnlib.tanh_grad(h @ W + b)
    np.testing.assert_allclose(g_next @ J, delta @ W.T, rtol=1e-12, atol=1e-15)


def test_two_layer_grads_refuses_targets_of_the_wrong_shape():
    X, T = xor_data()
    with pytest.raises(ValueError, match="T has shape"):
        two_layer_grads(X, T.ravel()[:, None][:3], *init_000(np.random.default_rng(0)))


def test_source_000_swapped_formulas_fit_the_2_2_1_shapes_but_fail_the_gradient_check():
    X, T = xor_data()
    W1, b1, W2, b2 = init_000(np.random.default_rng(0))
    r = two_layer_grads(X, T, W1, b1, W2, b2)
    swapped_W2, swapped_W1 = X.T @ r["delta_out"], r["A1"].T @ r["delta_h"]
    assert swapped_W2.shape == W2.shape and swapped_W1.shape == W1.shape
    assert not np.allclose(swapped_W2, r["W2"]) and not np.allclose(swapped_W1, r["W1"])
    result = gradcheck(lambda w2: two_layer_grads(X, T, W1, b1, w2.reshape(2, 1), b2)["E"], W2.ravel().copy(),
                       grad_fn=lambda w2: (X.T @ two_layer_grads(X, T, W1, b1, w2.reshape(2, 1), b2)["delta_out"]).ravel())
    assert not result.passed and result.max_rel_error > 0.1


# -- XOR as in source 000 ---------------------------------------------------------------
def _run_000_as_printed(steps=1000, lr=0.1, seed=0):
    ns = {"np": np, "sigmoid": lambda x: 1 / (1 + np.exp(-x))}
    ns["sigmoid_derivative"] = lambda x: ns["sigmoid"](x) * (1 - ns["sigmoid"](x))
    exec(exercise("backprop.ex6").buggy, ns)           # 000's loop, verbatim, as a function
    return ns["train_xor"](*init_000(np.random.default_rng(seed)), lr, steps)


def test_source_000_as_printed_ascends_to_an_mse_near_one_half():
    A2 = _run_000_as_printed()
    mse = np.mean((A2 - xor_data()[1]) ** 2)
    assert 0.49 < mse < 0.5, mse
    assert np.all(A2 > 0.99)
    ascent = train_xor(*init_000(np.random.default_rng(0)), 0.1, 1000, update="ascent")
    np.testing.assert_allclose(ascent["outputs"], A2, rtol=1e-10)


def test_source_000_with_the_sign_fixed_is_still_unsolved_after_1000_steps_at_lr_0_1():
    run = train_xor(*init_000(np.random.default_rng(0)), 0.1, 1000)
    assert abs(run["final_mse"] - 0.25) < 2e-3, run["final_mse"]
    assert np.all(np.abs(run["outputs"] - 0.5) < 0.01)


def test_more_steps_and_a_larger_learning_rate_solve_xor_from_the_same_start():
    run = train_xor(*init_000(np.random.default_rng(0)), 2.0, 2000)
    assert run["final_mse"] < 1e-3
    assert np.array_equal(run["outputs"].ravel() > 0.5, xor_data()[1].ravel() == 1)
    assert run["loss"].shape == (2000,) and np.all(np.diff(run["loss"][500:]) < 0)


def test_a_train_xor_step_is_w_minus_lr_times_the_gradient():  # eq-descent-step
    X, T = xor_data()
    start = init_000(np.random.default_rng(4))
    r = two_layer_grads(X, T, *start)
    for update, sign in (("descent", -1), ("ascent", 1)):
        after = train_xor(*start, 0.3, 1, update=update)
        for key, value in zip(("W1", "b1", "W2", "b2"), start):
            np.testing.assert_allclose(after[key], value + sign * 0.3 * r[key], rtol=1e-13, atol=1e-15)
        assert after["loss"][0] == pytest.approx(2 * r["E"] / 4, rel=1e-13)   # MSE = E * 2 / N


def test_train_xor_trains_a_stack_like_separate_networks_and_leaves_inputs_unchanged():
    starts = [init_000(np.random.default_rng(s), hidden=3) for s in range(3)]
    stack = [np.stack(p) for p in zip(*starts)]
    before = [p.copy() for p in stack]
    together = train_xor(*stack, 1.0, 50)
    for i, start in enumerate(starts):
        alone = train_xor(*start, 1.0, 50)
        np.testing.assert_allclose(together["W1"][i], alone["W1"], rtol=1e-12)
        np.testing.assert_allclose(together["loss"][:, i], alone["loss"], rtol=1e-12)
    for p, q in zip(stack, before):
        np.testing.assert_array_equal(p, q)


def test_train_xor_refuses_bad_arguments():
    start = init_000(np.random.default_rng(0))
    with pytest.raises(ValueError, match="descent"):
        train_xor(*start, 0.1, 10, update="sideways")
    with pytest.raises(ValueError, match="expected W1"):
        train_xor(start[0], start[1], start[2].T, start[3], 0.1, 10)
    with pytest.raises(ValueError, match="lr"):
        train_xor(*start, -0.1, 10)


def test_nnlib_fit_follows_the_numpy_trajectory_with_twice_the_learning_rate():
    X, T = xor_data()
    start = init_000(np.random.default_rng(0))
    model = Sequential(Dense(2, 2, rng=0), Sigmoid(), Dense(2, 1, rng=0), Sigmoid())
    for p, v in zip(model.parameters(), start):
        p.data[...] = v
    nnlib.train.fit(model, nnlib.MSELoss(), nnlib.optim.SGD(model.parameters(), lr=4.0), X, T,
                    epochs=300, batch_size=4, shuffle=False, progress=False)
    ref = train_xor(*start, 2.0, 300)
    for p, key in zip(model.parameters(), ("W1", "b1", "W2", "b2")):
        np.testing.assert_allclose(p.data, ref[key], rtol=1e-9, atol=1e-12)


# -- source 002 ---------------------------------------------------------------------------
def test_source_002_backward_crashes_with_the_shape_error_the_chapter_shows():
    ns = {"np": np}
    exec(exercise("backprop.ex5").buggy, ns)
    X, T = xor_data()
    rng = np.random.default_rng(0)
    W1, W2 = rng.standard_normal((2, 2)), rng.standard_normal((2, 1))
    with pytest.raises(ValueError, match=r"shapes \(2,1\) and \(2,4\) not aligned"):
        ns["backward"](X, T, W1, np.zeros((1, 2)), W2, np.zeros((1, 1)))


# -- cost -------------------------------------------------------------------------------
def test_matmul_flops_counts_two_products_per_layer_backward():  # eq-flops
    c = matmul_flops([784, 16, 16, 10], batch_size=3)
    forward = 2 * 3 * (784 * 16 + 16 * 16 + 16 * 10)
    assert c["forward"] == forward == 3 * 25_920
    assert c["backward"] == 2 * forward - 2 * 3 * 784 * 16
    assert c["ratio"] == pytest.approx(c["backward"] / forward)
    assert matmul_flops([784, 16, 16, 10], input_grad=True)["ratio"] == 2
    assert matmul_flops([512] * 11)["ratio"] == pytest.approx(1.9)
    assert matmul_flops([8, 8])["backward"] == matmul_flops([8, 8])["forward"]


def test_matmul_flops_agrees_with_counting_the_products_of_an_actual_backward_pass():
    widths, N = [5, 7, 3, 2], 4
    count = {"n": 0}

    def mm(a, b):
        count["n"] += 2 * a.shape[0] * a.shape[1] * b.shape[1]
        return a @ b

    rng = np.random.default_rng(0)
    Ws = [rng.normal(size=(a, b)) for a, b in zip(widths[:-1], widths[1:])]
    acts = [rng.normal(size=(N, widths[0]))]
    for W in Ws:
        acts.append(np.tanh(mm(acts[-1], W)))
    forward, count["n"] = count["n"], 0
    G = rng.normal(size=acts[-1].shape)
    for i in reversed(range(len(Ws))):
        G = G * (1 - acts[i + 1] ** 2)
        mm(acts[i].T, G)                 # weight gradient
        if i > 0:
            G = mm(G, Ws[i].T)           # gradient for the layer below
    expected = matmul_flops(widths, batch_size=N)
    assert (forward, count["n"]) == (expected["forward"], expected["backward"])


def test_matmul_flops_refuses_bad_widths():
    with pytest.raises(ValueError):
        matmul_flops([10])
    with pytest.raises(ValueError):
        matmul_flops([10, 0])
    with pytest.raises(TypeError):
        matmul_flops([10, 2.5])


# -- gradient checking --------------------------------------------------------------------
def test_central_difference_is_the_stated_formula_with_error_eps_squared_over_six():  # eq-central, eq-fd-error
    x0 = 0.3
    for eps in (1e-2, 1e-3):
        estimate = numerical_grad(lambda v: float(np.exp(v[0])), np.array([x0]), eps=eps)[0]
        by_formula = (np.exp(x0 + eps) - np.exp(x0 - eps)) / (2 * eps)
        assert estimate == pytest.approx(by_formula, rel=1e-13)
        assert estimate - np.exp(x0) == pytest.approx(eps ** 2 / 6 * np.exp(x0), rel=2e-3)
    # a one-sided difference is only first-order accurate
    eps = 1e-3
    one_sided = (np.exp(x0 + eps) - np.exp(x0)) / eps
    assert one_sided - np.exp(x0) == pytest.approx(eps / 2 * np.exp(x0), rel=2e-3)


def test_relative_error_is_what_gradcheck_reports_and_a_sign_flip_gives_two():  # eq-relerr
    rng = np.random.default_rng(2)
    x = rng.normal(size=6)
    f = lambda v: float(np.sum(np.sin(v) * v))  # noqa: E731
    g = lambda v: np.cos(v) * v + np.sin(v)  # noqa: E731
    wrong = lambda v: g(v) * 1.1  # noqa: E731
    result = gradcheck(f, x, grad_fn=wrong)
    a, n = wrong(x), numerical_grad(f, x.copy())
    r = np.abs(a - n) / np.maximum(np.abs(a), np.abs(n))
    assert result.max_rel_error == pytest.approx(r.max(), rel=1e-12)
    assert result.max_rel_error == pytest.approx(0.1 / 1.1, rel=1e-6)
    flipped = gradcheck(f, x, grad_fn=lambda v: -g(v))
    assert flipped.max_rel_error == pytest.approx(2.0, rel=1e-6) and not flipped.passed
    assert gradcheck(f, x, grad_fn=g).max_rel_error < 1e-7


def _stack_of_uniform_inits(seeds, hidden=2):
    """The chapter's stack_of_inits("uniform", seeds, hidden): one generator per seed, four draws in order."""
    gens = [np.random.default_rng(s) for s in seeds]
    draws = [[g.random(sh) for sh in ((2, hidden), (hidden,), (hidden, 1), (1,))] for g in gens]
    return [np.stack(p) for p in zip(*draws)]


def test_failed_2_2_1_xor_runs_are_on_plateaus_or_near_saddles_not_in_minima():
    # the chapter's claim (Hamey 1998: no local minima at finite weights): the runs stuck near MSE 0.125 still
    # have a non-zero gradient and keep descending while the weights grow; the run near 0.167 has negative curvature
    torch = pytest.importorskip("torch")
    X, t = nnlib.data.xor()
    Xt, Tt = torch.tensor(X, dtype=torch.float64), torch.tensor(t[:, None], dtype=torch.float64)

    def E_of(theta):
        W1, b1, W2, b2 = theta[:4].reshape(2, 2), theta[4:6], theta[6:8].reshape(2, 1), theta[8:]
        return 0.5 * ((torch.sigmoid(torch.sigmoid(Xt @ W1 + b1) @ W2 + b2) - Tt) ** 2).sum()

    run = train_xor(*_stack_of_uniform_inits([3, 62]), lr=2.0, steps=2000)
    more = train_xor(run["W1"], run["b1"], run["W2"], run["b2"], lr=2.0, steps=3000)
    for i, level in enumerate((0.125, 1 / 6)):
        theta = torch.tensor(np.concatenate([run[k][i].ravel() for k in ("W1", "b1", "W2", "b2")]))
        g = torch.func.grad(E_of)(theta)
        by_hand = two_layer_grads(X, t[:, None].astype(float), *(run[k][i] for k in ("W1", "b1", "W2", "b2")))
        np.testing.assert_allclose(g.numpy(), np.concatenate([by_hand[k].ravel() for k in ("W1", "b1", "W2", "b2")]),
                                   rtol=1e-10, atol=1e-14)
        assert torch.linalg.norm(g) > 1e-4                           # not a stationary point
        assert level < more["final_mse"][i] < run["final_mse"][i]     # still descending towards the level
        grow = [np.abs(np.concatenate([r[k][i].ravel() for k in ("W1", "b1", "W2", "b2")])).max() for r in (run, more)]
        assert grow[1] > grow[0]                                      # ... by growing the weights
        eig = torch.linalg.eigvalsh(torch.func.hessian(E_of)(theta)).numpy()
        if i == 0:
            assert 0 < eig[0] < 1e-4                                  # a nearly flat plateau
        else:
            assert eig[0] < 0                                         # near a saddle: a direction of negative curvature
