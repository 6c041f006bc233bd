"""The frameworks chapter: nnlib <-> torch copies, Keras's loss order, DDP, timing.

Formulas of book/09_frameworks.ipynb checked here:
eq-weight-layout (weight = W^T, same Y and gradients), eq-sgd-momentum (torch.optim.SGD
with momentum = nnlib.optim.SGD, step by step), eq-cce and eq-cce-swapped (Keras's
CategoricalCrossentropy in both argument orders), eq-ddp-average (DDP's all-reduced
gradient = the average of the workers' = the single-process gradient of the whole batch, and
its failure with BatchNorm), eq-ring-allreduce (bytes a worker sends in a ring all-reduce),
eq-epoch-loss (the epoch loss weighted by batch size), and the inline formulas of the one-weight autograd example and of the chance band of random labels.
"""
import os

import numpy as np
import pytest

from nnlib import Dense, Dropout, GELU, Identity, LeakyReLU, ReLU, Sequential, Sigmoid, Softmax, Tanh
from nnlib.distributed import (average_gradients, ddp_gradient_check, free_port, ring_allreduce,
                               ring_allreduce_bytes, shard)
from nnbook.experiments.frameworks import time_training_step
from nnlib.interop import from_torch, linear_weight, to_torch
from nnlib.losses import CrossEntropyLoss
from nnlib.optim import SGD

torch = pytest.importorskip("torch")


def _model(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return Sequential(Dense(6, 5, rng=rng, dtype=dtype), Tanh(), Dense(5, 4, rng=rng, dtype=dtype), ReLU(),
                      Dense(4, 4, rng=rng, dtype=dtype), Sigmoid(), Dense(4, 3, bias=False, rng=rng, dtype=dtype),
                      LeakyReLU(0.2), Identity())


# -- eq-weight-layout -----------------------------------------------------
def test_linear_weight_is_the_transpose_and_refuses_non_matrices():
    W = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(linear_weight(W), W.T)
    assert linear_weight(W).flags.c_contiguous
    assert linear_weight(W.astype(np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match=r"shape \(in_features, out_features\)"):
        linear_weight(np.ones(3))


def test_to_torch_gives_the_same_outputs_and_gradients_in_float64():
    model = _model()
    net = to_torch(model)
    rng = np.random.default_rng(1)
    X, G = rng.standard_normal((7, 6)), rng.standard_normal((7, 3))   # random upstream gradient
    Xt = torch.from_numpy(X).requires_grad_(True)
    Y = net(Xt)
    np.testing.assert_allclose(Y.detach().numpy(), model(X), rtol=1e-13, atol=1e-15)
    (Y * torch.from_numpy(G)).sum().backward()
    model.zero_grad()
    grad_in = model.backward(G)
    np.testing.assert_allclose(Xt.grad.numpy(), grad_in, rtol=1e-12, atol=1e-15)
    dense = [m for m in model if isinstance(m, Dense)]
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    assert len(dense) == len(linears) == 4
    for d, lin in zip(dense, linears):
        assert lin.weight.shape == (d.out_features, d.in_features)
        np.testing.assert_allclose(lin.weight.grad.numpy().T, d.W.grad, rtol=1e-12, atol=1e-15)
        if d.b is None:
            assert lin.bias is None
        else:
            np.testing.assert_allclose(lin.bias.grad.numpy(), d.b.grad, rtol=1e-12, atol=1e-15)


def test_to_torch_keeps_float32_and_copies_the_weights():
    model = _model(np.float32)
    net = to_torch(model)
    assert all(p.dtype == torch.float32 for p in net.parameters())
    assert to_torch(_model(), dtype=np.float32)[0].weight.dtype == torch.float32
    with torch.no_grad():
        net[0].weight.add_(1.0)                       # changing the copy leaves nnlib's weights alone
    assert not np.allclose(net[0].weight.detach().numpy().T, model[0].W.data)
    single = to_torch(Dense(3, 2, rng=0))
    assert isinstance(single, torch.nn.Sequential) and len(single) == 1


def test_from_torch_round_trip_is_exact():
    model = _model()
    back = from_torch(to_torch(model))
    assert [type(m) for m in back] == [type(m) for m in model]
    assert back[7].negative_slope == 0.2
    for (k, a), (k2, b) in zip(model.state_dict().items(), back.state_dict().items()):
        assert k == k2
        np.testing.assert_array_equal(a, b)
    torch.manual_seed(0)
    lin = torch.nn.Linear(4, 2)
    d = from_torch(lin, dtype=np.float32)[0]
    assert d.W.dtype == np.float32 and d.W.shape == (4, 2)
    np.testing.assert_array_equal(d.W.data, lin.weight.detach().numpy().T)


def test_unsupported_modules_are_refused_with_the_supported_ones_named():
    for bad in (Dropout(0.5, rng=0), Softmax(), GELU()):
        with pytest.raises(TypeError, match="supported are Dense, ReLU"):
            to_torch(Sequential(Dense(2, 2, rng=0), bad))
    with pytest.raises(TypeError, match="nnlib.Sequential"):
        to_torch([Dense(2, 2, rng=0)])
    with pytest.raises(TypeError, match="supported are Linear"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Softmax(dim=1)))
    with pytest.raises(TypeError, match="torch.nn.Sequential"):
        from_torch(torch.nn.ReLU())
    with pytest.raises(TypeError, match="float32 or np.float64"):
        from_torch(torch.nn.Linear(2, 2), dtype=np.int64)


# -- eq-sgd-momentum --------------------------------------------------------
def test_sgd_with_momentum_takes_the_same_steps_in_nnlib_and_torch():
    rng = np.random.default_rng(3)
    model = Sequential(Dense(8, 16, rng=rng), ReLU(), Dense(16, 4, rng=rng))
    net = to_torch(model)
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    topt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    loss = CrossEntropyLoss()
    for _ in range(6):
        X, y = rng.standard_normal((10, 8)), rng.integers(4, size=10)
        opt.zero_grad()
        out = model(X)
        model.backward(loss.grad(out, y))
        opt.step()
        topt.zero_grad()
        torch.nn.functional.cross_entropy(net(torch.from_numpy(X)), torch.from_numpy(y)).backward()
        topt.step()
    for a, b in zip(model.state_dict().values(), from_torch(net).state_dict().values()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# -- eq-cce, eq-cce-swapped ---------------------------------------------------
def test_keras_categorical_crossentropy_takes_targets_first():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(4)
    z = rng.standard_normal((9, 5))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    t = rng.integers(5, size=9)
    Y = np.eye(5)[t]
    cce = keras.losses.CategoricalCrossentropy()
    right = float(cce(Y, p).item())
    swapped = float(cce(p, Y).item())
    expected = -np.mean(np.sum(Y * np.log(p), axis=1))                       # eq-cce
    eps = 1e-7
    p_true = p[np.arange(9), t]
    expected_swapped = np.mean(-(1 - p_true) * np.log(eps) - p_true * np.log(1 - eps))  # eq-cce-swapped
    assert right == pytest.approx(expected, rel=1e-5)
    assert swapped == pytest.approx(expected_swapped, rel=1e-5)
    assert swapped > 3 * right
    from nnbook.exercises.solutions.frameworks import keras_loss_value
    assert keras_loss_value(Y, p) == pytest.approx(right, rel=1e-5)


def test_keras3_refuses_the_lr_argument_of_source_004():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    with pytest.raises(ValueError, match="lr"):
        keras.optimizers.SGD(lr=0.01)
    lr = keras.optimizers.SGD(learning_rate=0.01).learning_rate
    assert float(lr.value.item()) == pytest.approx(0.01, rel=1e-6)


# -- eq-ddp-average -----------------------------------------------------------
def test_shard_and_average_gradients():
    np.testing.assert_array_equal(shard(6, 0, 2), [0, 2, 4])
    np.testing.assert_array_equal(np.sort(np.concatenate([shard(12, r, 3) for r in range(3)])), np.arange(12))
    with pytest.raises(ValueError, match="not a multiple of world_size=2"):
        shard(7, 0, 2)
    with pytest.raises(ValueError, match="rank must be <= 1"):
        shard(8, 2, 2)
    avg = average_gradients([[np.array([0.3, 1.0]), np.array(2.0)], [np.array([-0.1, 3.0]), np.array(4.0)]])
    np.testing.assert_allclose(avg[0], [0.1, 2.0], rtol=1e-15)
    assert avg[1] == 3.0
    with pytest.raises(ValueError, match="one gradient per parameter"):
        average_gradients([[np.ones(2)], [np.ones(2), np.ones(1)]])
    with pytest.raises(ValueError, match="different shapes"):
        average_gradients([[np.ones(2)], [np.ones(3)]])
    assert 0 < free_port() < 65536


def test_ddp_on_two_processes_gives_the_single_process_gradient():
    from nnlib.data import load_digits

    X, y = load_digits()
    r = ddp_gradient_check(2, X[:64], y[:64], hidden=16, seed=1, timeout=60)
    assert r["world_size"] == 2 and r["ranks_agree"]
    assert r["backend"] == "gloo" and r["backends"] == ["gloo", "gloo"], (r["backend"], r["backends"])
    assert r["names"] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [g.shape for g in r["reduced"]] == [(16, 64), (16,), (10, 16), (10,)]
    assert r["max_abs_diff"] < 1e-12, r["max_abs_diff"]
    for a, b in zip(average_gradients(r["local"]), r["reduced"]):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)
    assert not np.allclose(r["local"][0][0], r["local"][1][0])   # the workers saw different examples
    for a, b in zip(r["reduced"], r["single"]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_ddp_reports_the_backend_the_workers_process_group_returns(monkeypatch):
    # the reported backend is torch.distributed.get_backend() in the workers (forked: they inherit the patch)
    import torch.distributed as dist

    monkeypatch.setattr(dist, "get_backend", lambda group=None: "backend-as-reported")
    r = ddp_gradient_check(2, hidden=4, seed=0, timeout=60, start_method="fork")
    assert r["backend"] == "backend-as-reported" and r["backends"] == ["backend-as-reported"] * 2


def test_ddp_passes_the_requested_backend_to_the_process_group():
    with pytest.raises(RuntimeError, match="Unknown backend type nosuch"):
        ddp_gradient_check(2, hidden=4, seed=0, timeout=60, backend="nosuch")
    with pytest.raises(ValueError, match="backend must be the name"):
        ddp_gradient_check(2, backend="")


def test_ddp_with_batchnorm_is_not_the_single_process_gradient():  # eq-ddp-average fails with BatchNorm
    from nnlib.data import load_digits

    X, y = load_digits()
    r = ddp_gradient_check(2, X[:64], y[:64], hidden=16, seed=1, timeout=60, batchnorm=True)
    assert r["names"] == ["0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias"]
    for a, b in zip(average_gradients(r["local"]), r["reduced"]):     # the all-reduce still averages
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)
    assert r["max_abs_diff"] > 1e-3, r["max_abs_diff"]                  # ... but not the whole batch's gradient
    # what DDP computes = the mean of the gradients of each shard normalised by its own statistics
    model = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
                                torch.nn.Linear(16, 10)).double()
    Xt, yt = torch.from_numpy(X[:64]), torch.from_numpy(y[:64]).long()
    grads = []
    for idx in (torch.from_numpy(shard(64, 0, 2)), torch.from_numpy(shard(64, 1, 2)), torch.arange(64)):
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx]).backward()
        grads.append(model[3].bias.grad.clone())
    assert not torch.allclose((grads[0] + grads[1]) / 2, grads[2], rtol=1e-6, atol=1e-8)


# -- eq-ring-allreduce ----------------------------------------------------------
@pytest.mark.parametrize("K, n", [(1, 5), (2, 6), (3, 9), (4, 10), (5, 101770)])
def test_ring_allreduce_averages_and_sends_2_K_minus_1_over_K_of_the_bytes(K, n):
    rng = np.random.default_rng(K)
    local = [rng.standard_normal(n).astype(np.float32) for _ in range(K)]
    r = ring_allreduce(local)
    for held in r["result"]:
        np.testing.assert_allclose(held, np.mean(local, axis=0), rtol=1e-5, atol=1e-6)
        assert held.dtype == np.float32
    sums = ring_allreduce(local, average=False)["result"]
    np.testing.assert_allclose(sums[0], np.sum(local, axis=0), rtol=1e-5, atol=1e-5)
    S = local[0].nbytes
    if n % K == 0:
        assert r["bytes_sent"].tolist() == [ring_allreduce_bytes(S, K)] * K == [2 * (K - 1) * S / K] * K
    else:  # unequal chunks: the total is still 2 (K - 1) S
        assert r["bytes_sent"].sum() == 2 * (K - 1) * S
    assert all(np.array_equal(r["result"][0], h) for h in r["result"])   # every worker holds the same


def test_ring_allreduce_refuses_mismatched_workers():
    with pytest.raises(ValueError, match="same shape and dtype"):
        ring_allreduce([np.zeros(3), np.zeros(4)])
    with pytest.raises(TypeError, match="floating point"):
        ring_allreduce([np.zeros(3, dtype=int)] * 2)
    with pytest.raises(ValueError, match="empty"):
        ring_allreduce([])
    with pytest.raises(ValueError, match="world_size"):
        ring_allreduce_bytes(100, 0)


# -- eq-epoch-loss ----------------------------------------------------------------
def test_epoch_loss_weighted_by_batch_size_is_the_whole_set_loss_and_the_mean_of_means_is_not():
    from torch.utils.data import DataLoader, TensorDataset

    rng = np.random.default_rng(0)
    X, y = torch.from_numpy(rng.standard_normal((70, 5))), torch.from_numpy(rng.integers(3, size=70))
    model = torch.nn.Linear(5, 3).double()
    loader = DataLoader(TensorDataset(X, y), batch_size=32)                 # batches of 32, 32, 6
    with torch.no_grad():
        means = np.array([torch.nn.functional.cross_entropy(model(xb), yb).item() for xb, yb in loader])
        sizes = np.array([len(yb) for _, yb in loader])
        whole = torch.nn.functional.cross_entropy(model(X), y).item()
    assert sizes.tolist() == [32, 32, 6]
    assert np.sum(sizes * means) / len(loader.dataset) == pytest.approx(whole, rel=1e-13)
    assert abs(means.mean() - whole) > 1e-3, (means.mean(), whole)    # source 001's running_loss / len(trainloader)


def test_ddp_check_stops_slow_workers_with_a_clear_error():
    # spawned workers need seconds to import torch: a 1 s timeout must stop them, not hang
    with pytest.raises(RuntimeError, match=r"did not answer within 1 s"):
        ddp_gradient_check(2, timeout=1, start_method="spawn")


def test_ddp_check_refuses_unequal_shards_before_starting_processes():
    with pytest.raises(ValueError, match="not a multiple of world_size=2"):
        ddp_gradient_check(2, np.zeros((5, 3)), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="y is missing"):
        ddp_gradient_check(2, np.zeros((4, 3)))


# -- timing -----------------------------------------------------------------
@pytest.mark.parametrize("library", ["nnlib", "torch"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_time_training_step_returns_one_time_per_step(library, dtype):
    r = time_training_step((12, 8, 3), batch=5, library=library, steps=4, dtype=dtype, rng=0)
    assert r["library"] == library and r["device"] == "cpu" and r["dtype"] == np.dtype(dtype).name
    assert r["widths"] == (12, 8, 3) and r["batch"] == 5 and r["steps"] == 4
    assert r["seconds"].shape == (4,) and np.all(r["seconds"] > 0)
    assert r["best"] == r["seconds"].min() and r["median"] == np.median(r["seconds"])


def test_time_training_step_restores_torch_threads():
    before = torch.get_num_threads()
    time_training_step((6, 3), batch=2, library="torch", steps=1, threads=1)
    assert torch.get_num_threads() == before
    r = time_training_step((6, 3), batch=2, library="nnlib", steps=2, threads=None)
    assert r["seconds"].shape == (2,)


def test_time_training_step_refuses_bad_arguments():
    with pytest.raises(ValueError, match="library must be one of"):
        time_training_step((4, 2), 3, library="jax")
    with pytest.raises(ValueError, match="at least an input and an output"):
        time_training_step((4,), 3)
    with pytest.raises(ValueError, match="batch must be >= 1"):
        time_training_step((4, 2), 0)
    with pytest.raises(ValueError, match="CPU only"):
        time_training_step((4, 2), 3, library="nnlib", device="cuda")
    with pytest.raises(TypeError, match="float32 or np.float64"):
        time_training_step((4, 2), 3, dtype=np.int32)
    with pytest.raises(ValueError, match="threads must be >= 1"):
        time_training_step((4, 2), 3, threads=0)


def test_docstring_examples_run():
    import doctest

    import nnlib.distributed
    import nnbook.experiments.frameworks
    import nnlib.interop

    for module in (nnlib.interop, nnlib.distributed, nnbook.experiments.frameworks):
        result = doctest.testmod(module, extraglobs={"np": np}, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0 and result.attempted > 0, (module.__name__, result)


def test_autograd_matches_the_chain_rule_of_the_one_weight_example():
    # the chapter's inline example: L = (wx + b)^2, dL/dw = 2(wx + b)x, dL/db = 2(wx + b)
    w = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)
    x = 3.0
    ((w * x + b) ** 2).backward()
    assert w.grad.item() == 2 * (2.0 * x - 1.0) * x == 30.0
    assert b.grad.item() == 2 * (2.0 * x - 1.0) == 10.0


def test_accuracy_of_guessing_random_labels_has_std_sqrt_p_q_over_n():
    # the chapter's chance band: accuracy of coin-flip guesses on n = 100 points, std sqrt(0.5 * 0.5 / n)
    rng = np.random.default_rng(5)
    acc = (rng.integers(2, size=(20000, 100)) == rng.integers(2, size=(20000, 100))).mean(axis=1)
    assert acc.mean() == pytest.approx(0.5, abs=0.002)
    assert acc.std() == pytest.approx(np.sqrt(0.5 * 0.5 / 100), rel=0.03)
