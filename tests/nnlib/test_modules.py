"""One conformance suite for every layer (in the spirit of scikit-learn's check_estimator).

Each case in CASES is checked for: output shape; input and parameter
gradients against central finite differences with a random upstream
gradient; forward, backward, parameters and buffers against the torch
equivalent in float64; gradient accumulation and zero_grad; state_dict
round trip and refusal of a mismatched one; float32 end to end; and clear
errors for bad input. Layer-specific behaviour (BatchNorm running
statistics, dropout masks, repr) follows at the end.
"""
import doctest
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from nnlib import (
    GELU, BatchNorm1d, Dense, Dropout, GroupNorm, Identity, LayerNorm, LeakyReLU, ReLU, Residual, Sequential,
    Sigmoid, Softmax, Tanh, layers, norm,
)


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@dataclass(frozen=True)
class Case:
    build: Callable  # (rng, dtype) -> Module
    in_shape: tuple
    training: bool = True
    warmup: int = 0  # training batches run before the test (moves BatchNorm's running statistics)
    fixed_width: bool = True  # built for one feature count and one dtype (activations are not)


def _seq(rng, dtype):
    return Sequential(
        Dense(4, 6, rng=rng, dtype=dtype), BatchNorm1d(6, dtype=dtype), ReLU(),
        Dropout(0.25, rng=rng), Dense(6, 3, rng=rng, dtype=dtype), Tanh(),
    )


CASES = {
    "Dense": Case(lambda r, d: Dense(4, 3, rng=r, dtype=d), (5, 4)),
    "Dense-no-bias": Case(lambda r, d: Dense(4, 3, bias=False, rng=r, dtype=d), (5, 4)),
    "Identity": Case(lambda r, d: Identity(), (5, 4), fixed_width=False),
    "Sigmoid": Case(lambda r, d: Sigmoid(), (5, 4), fixed_width=False),
    "Tanh": Case(lambda r, d: Tanh(), (5, 4), fixed_width=False),
    "ReLU": Case(lambda r, d: ReLU(), (5, 4), fixed_width=False),
    "LeakyReLU": Case(lambda r, d: LeakyReLU(0.2), (5, 4), fixed_width=False),
    "GELU": Case(lambda r, d: GELU(), (5, 4), fixed_width=False),
    "Softmax": Case(lambda r, d: Softmax(), (5, 4), fixed_width=False),
    "Softmax-axis0": Case(lambda r, d: Softmax(axis=0), (5, 4), fixed_width=False),
    "Dropout-train": Case(lambda r, d: Dropout(0.4, rng=r), (6, 5), fixed_width=False),
    "Dropout-eval": Case(lambda r, d: Dropout(0.4, rng=r), (6, 5), training=False, fixed_width=False),
    "BatchNorm1d-train": Case(lambda r, d: BatchNorm1d(4, momentum=0.3, dtype=d), (6, 4), warmup=2),
    "BatchNorm1d-eval": Case(lambda r, d: BatchNorm1d(4, momentum=0.3, dtype=d), (6, 4), False, warmup=3),
    "BatchNorm1d-NCL-train": Case(lambda r, d: BatchNorm1d(3, dtype=d), (4, 3, 5), warmup=2),
    "BatchNorm1d-NCL-eval": Case(lambda r, d: BatchNorm1d(3, dtype=d), (4, 3, 5), False, warmup=2),
    "BatchNorm1d-no-affine": Case(lambda r, d: BatchNorm1d(4, affine=False, dtype=d), (6, 4), warmup=1),
    "LayerNorm": Case(lambda r, d: LayerNorm(4, dtype=d), (5, 4)),
    "LayerNorm-2d-eval": Case(lambda r, d: LayerNorm((3, 4), dtype=d), (5, 3, 4), training=False),
    # the transformer layout (N, L, C) with normalized_shape = C: each token over its features
    # (fixed_width=False: a wrong L is legitimately accepted, so the wrong-width test does not apply)
    "LayerNorm-tokens-NLC": Case(lambda r, d: LayerNorm(4, dtype=d), (3, 5, 4), fixed_width=False),
    "GroupNorm": Case(lambda r, d: GroupNorm(2, 6, dtype=d), (4, 6)),
    "GroupNorm-NCL": Case(lambda r, d: GroupNorm(3, 6, dtype=d), (3, 6, 4)),
    "Residual": Case(lambda r, d: Residual(Sequential(Dense(4, 4, rng=r, dtype=d), Tanh(),
                                                      Dense(4, 4, rng=r, dtype=d))), (5, 4)),
    "Residual-BatchNorm-train": Case(lambda r, d: Residual(Sequential(
        Dense(4, 4, rng=r, dtype=d), BatchNorm1d(4, dtype=d), ReLU())), (6, 4), warmup=2),
    "Residual-BatchNorm-eval": Case(lambda r, d: Residual(Sequential(
        Dense(4, 4, rng=r, dtype=d), BatchNorm1d(4, dtype=d), ReLU())), (6, 4), training=False, warmup=2),
    "Sequential-train": Case(_seq, (8, 4), warmup=2),
    "Sequential-eval": Case(_seq, (8, 4), training=False, warmup=2),
}
ALL = pytest.mark.parametrize("name", list(CASES))
FIXED = pytest.mark.parametrize("name", [k for k, c in CASES.items() if c.fixed_width])


# -- helpers ---------------------------------------------------------------
def modules_in(m):
    yield m
    for _, child in m.named_children():
        yield from modules_in(child)


def forward(m, x):
    """Forward pass with every Dropout reseeded, so repeated calls draw the same mask."""
    for sub in modules_in(m):
        if isinstance(sub, Dropout):
            sub.rng = np.random.default_rng(123)
    return m.forward(x)


def make(name, seed=0, dtype=np.float64):
    """Build the case's module with random (not default) parameters, in the case's mode."""
    rng = np.random.default_rng(seed)
    m = CASES[name].build(rng, dtype)
    for p in m.parameters():
        p.data[...] = rng.normal(size=p.shape)
    m.train(CASES[name].training)
    return m


def warm_up(name, m, twin=None, dtype=np.float64):
    """Run the case's warm-up batches in training mode (through ``twin`` too), then restore the mode."""
    case, rng = CASES[name], np.random.default_rng(99)
    m.train()
    if twin is not None:
        twin.train()
    for _ in range(case.warmup):
        x = rng.normal(2.0, 3.0, size=case.in_shape)  # mean and spread far from 0 and 1
        forward(m, x.astype(dtype))
        if twin is not None:
            twin(_torch().from_numpy(x))
    m.train(case.training)
    if twin is not None:
        twin.train(case.training)


def batch(name, seed=1):
    return np.random.default_rng(seed).normal(0.5, 1.5, size=CASES[name].in_shape)


def upstream(y, seed=2):
    return np.random.default_rng(seed).normal(size=y.shape).astype(y.dtype)


def _torch():
    import torch
    return torch


def torch_name(name):
    """Our parameter name in PyTorch: Dense's W and b are Linear's weight and bias."""
    head, _, last = name.rpartition(".")
    return (head + "." if head else "") + {"W": "weight", "b": "bias"}.get(last, last)


def as_torch_layout(name, value):
    return np.asarray(value).T if name.rpartition(".")[2] == "W" else np.asarray(value)


def to_torch(m, torch):
    """The float64 torch module computing the same function, with the same parameters."""
    nn = torch.nn
    if isinstance(m, Sequential):
        t = nn.Sequential(*(to_torch(child, torch) for child in m))
    elif isinstance(m, Residual):
        t = torch_residual(to_torch(m.block, torch), torch)
    elif isinstance(m, Dense):
        t = nn.Linear(m.in_features, m.out_features, bias=m.b is not None, dtype=torch.float64)
    elif isinstance(m, BatchNorm1d):
        t = nn.BatchNorm1d(m.num_features, m.eps, m.momentum, m.weight is not None, dtype=torch.float64)
    elif isinstance(m, LayerNorm):
        t = nn.LayerNorm(m.normalized_shape, m.eps, m.weight is not None, dtype=torch.float64)
    elif isinstance(m, GroupNorm):
        t = nn.GroupNorm(m.num_groups, m.num_channels, m.eps, m.weight is not None, dtype=torch.float64)
    elif isinstance(m, Dropout):
        t = same_mask_twin(m, torch)
    elif isinstance(m, LeakyReLU):
        t = nn.LeakyReLU(m.negative_slope)
    elif isinstance(m, Softmax):
        t = nn.Softmax(dim=m.axis)
    else:
        t = {Identity: nn.Identity, Sigmoid: nn.Sigmoid, Tanh: nn.Tanh, ReLU: nn.ReLU, GELU: nn.GELU}[type(m)]()
    with torch.no_grad():
        for (name, p), (_, tp) in zip(m.named_parameters(), t.named_parameters()):
            tp.copy_(torch.from_numpy(as_torch_layout(name, p.data)))
    return t.train(m.training)


def torch_residual(block, torch):
    """x + block(x) in torch (PyTorch has no residual module); the block is registered as ``block``."""

    class TorchResidual(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.block = block

        def forward(self, x):
            return x + self.block(x)

    return TorchResidual()


def same_mask_twin(m, torch):
    """torch twin of our Dropout: applies the mask our layer drew in its last forward."""

    class SameMask(torch.nn.Module):
        def forward(self, x):
            if not self.training or m.p == 0:
                return x
            return x * torch.from_numpy(m.mask) / (1 - m.p)

    return SameMask()


def numerical_grad(loss, a, eps=1e-6):
    """Central differences of the scalar ``loss()`` with respect to ``a``, perturbed in place."""
    grad = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + eps
        up = loss()
        a[i] = old - eps
        down = loss()
        a[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def close(actual, expected, what, rtol=1e-7, atol=1e-12):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


# -- the conformance suite -------------------------------------------------
@ALL
def test_output_has_expected_shape_and_dtype(name):
    m = make(name)
    x = batch(name)
    y = forward(m, x)
    out_features = {"Dense": 3, "Dense-no-bias": 3, "Sequential-train": 3, "Sequential-eval": 3}
    expected = x.shape[:1] + (out_features[name],) if name in out_features else x.shape
    assert y.shape == expected, f"{name}: output shape {y.shape}, expected {expected}"
    assert y.dtype == np.float64


@ALL
def test_gradients_match_central_differences_with_random_upstream_gradient(name):
    m = make(name)
    warm_up(name, m)
    x = batch(name)
    G = upstream(forward(m, x))
    m.zero_grad()
    grad_x = m.backward(G)

    def loss():
        return float(np.sum(forward(m, x) * G))

    close(grad_x, numerical_grad(loss, x), f"{name}: input gradient", rtol=1e-6, atol=1e-8)
    for pname, p in m.named_parameters():
        close(p.grad, numerical_grad(loss, p.data), f"{name}: gradient of {pname}", rtol=1e-6, atol=1e-8)


@ALL
def test_forward_backward_parameters_and_buffers_equal_torch_float64(name, torch):
    m = make(name)
    twin = to_torch(m, torch)
    warm_up(name, m, twin)
    x = batch(name)
    y = forward(m, x)
    G = upstream(y)
    grad_x = m.backward(G)

    xt = torch.tensor(x, requires_grad=True)
    yt = twin(xt)
    (yt * torch.from_numpy(G)).sum().backward()
    close(y, yt.detach().numpy(), f"{name}: forward")
    close(grad_x, xt.grad.numpy(), f"{name}: input gradient")
    torch_params = dict(twin.named_parameters())
    for pname, p in m.named_parameters():
        tgrad = torch_params[torch_name(pname)].grad.numpy()
        close(as_torch_layout(pname, p.grad), tgrad, f"{name}: gradient of {pname}")
    ours = {torch_name(k): as_torch_layout(k, v) for k, v in m.state_dict().items()}
    theirs = {k: v.numpy() for k, v in twin.state_dict().items()}
    # same keys; the order may differ (nnlib lists all parameters before all buffers)
    assert sorted(ours) == sorted(theirs), f"{name}: state_dict keys {list(ours)}, torch has {list(theirs)}"
    for key in ours:
        close(ours[key], theirs[key], f"{name}: state_dict[{key!r}] after {CASES[name].warmup + 1} batches")


@ALL
def test_parameters_are_listed_in_torch_named_parameters_order(name, torch):
    m = make(name)
    ours = [(torch_name(k), as_torch_layout(k, p.data).shape) for k, p in m.named_parameters()]
    theirs = [(k, tuple(p.shape)) for k, p in to_torch(m, torch).named_parameters()]
    assert ours == theirs
    assert [p for _, p in m.named_parameters()] == m.parameters()


@ALL
def test_backward_accumulates_and_zero_grad_resets(name):
    m = make(name)
    warm_up(name, m)
    x = batch(name)
    G = upstream(forward(m, x))
    m.zero_grad()
    first = m.backward(G)
    once = [p.grad.copy() for p in m.parameters()]
    second = m.backward(G)
    close(second, first, f"{name}: the input gradient of a repeated backward")
    for p, g in zip(m.parameters(), once):
        close(p.grad, 2 * g, f"{name}: two backward calls should give twice the gradient", rtol=1e-14, atol=0)
    m.zero_grad()
    assert all(not p.grad.any() for p in m.parameters()), f"{name}: zero_grad left nonzero gradients"


@ALL
def test_state_dict_round_trip_into_module_built_with_other_seed(name):
    m = make(name, seed=0)
    warm_up(name, m)
    other = make(name, seed=1)
    state = m.state_dict()
    other.load_state_dict(state)
    for key, value in other.state_dict().items():
        np.testing.assert_array_equal(value, state[key], err_msg=f"{name}: {key} after load_state_dict")
    x = batch(name)
    np.testing.assert_array_equal(forward(other, x), forward(m, x), err_msg=f"{name}: outputs after loading")


@ALL
def test_mismatched_state_dict_raises_value_error(name):
    m = make(name)
    good = m.state_dict()
    with pytest.raises(ValueError, match="unexpected keys"):
        m.load_state_dict({**good, "nonsense": np.zeros(1)})
    for key in good:
        with pytest.raises(ValueError, match="missing keys"):
            m.load_state_dict({k: v for k, v in good.items() if k != key})
        with pytest.raises(ValueError, match="has shape"):
            m.load_state_dict({**good, key: np.zeros(np.shape(good[key]) + (2,))})


@ALL
def test_float32_in_gives_float32_out_and_gradients_close_to_float64(name):
    m32, m64 = make(name, dtype=np.float32), make(name)
    warm_up(name, m32, dtype=np.float32)
    warm_up(name, m64)
    x = batch(name)
    y32, y64 = forward(m32, x.astype(np.float32)), forward(m64, x)
    G = upstream(y64)
    gx32, gx64 = m32.backward(G.astype(np.float32)), m64.backward(G)
    assert y32.dtype == np.float32 and gx32.dtype == np.float32, f"{name}: got {y32.dtype}, {gx32.dtype}"
    for pname, p in m32.named_parameters():
        assert p.data.dtype == p.grad.dtype == np.float32, f"{name}: {pname} is {p.data.dtype}/{p.grad.dtype}"
    for key, value in m32.state_dict().items():
        assert np.asarray(value).dtype in (np.float32, np.int64), f"{name}: buffer {key} is {value.dtype}"
    close(y32, y64, f"{name}: float32 forward", rtol=1e-4, atol=1e-4)
    close(gx32, gx64, f"{name}: float32 input gradient", rtol=1e-3, atol=1e-3)


@FIXED
def test_float64_input_to_float32_layer_raises_type_error(name):
    m = make(name, dtype=np.float32)
    with pytest.raises(TypeError, match="dtype=np.float64 or convert the input"):
        m.forward(batch(name))


@ALL
def test_backward_before_forward_raises_runtime_error(name):
    m = make(name)
    with pytest.raises(RuntimeError, match="before forward"):
        m.backward(np.ones(CASES[name].in_shape))


@ALL
def test_nan_empty_and_wrongly_shaped_gradient_raise_value_error(name):
    m = make(name)
    x = batch(name)
    x[0, 0] = np.nan
    with pytest.raises(ValueError, match="x contains NaN"):
        m.forward(x)
    with pytest.raises(ValueError, match="x is empty"):
        m.forward(batch(name)[:0])
    y = forward(m, batch(name))
    with pytest.raises(ValueError, match=r"grad_out has shape .*expected"):
        m.backward(np.ones((y.shape[0] + 1,) + y.shape[1:]))


@FIXED
def test_wrong_feature_count_and_one_dimensional_input_raise_value_error(name):
    m = make(name)
    x = batch(name)
    wrong = np.ones(x.shape[:1] + (x.shape[1] + 1,) + x.shape[2:])
    with pytest.raises(ValueError, match=rf"x has shape \({x.shape[0]}, {x.shape[1] + 1}.*expected"):
        m.forward(wrong)
    with pytest.raises(ValueError, match="x .*(shape|dimension)"):
        m.forward(x[0])


# -- modes and layer-specific behaviour -------------------------------------
def test_residual_refuses_a_block_that_changes_the_shape_or_is_not_a_module():
    with pytest.raises(ValueError, match="x \\+ F\\(x\\) needs F to keep the shape"):
        Residual(Dense(4, 3, rng=0))(np.ones((2, 4)))
    with pytest.raises(TypeError, match="block must be an nnlib Module"):
        Residual(lambda x: x)


def test_train_and_eval_propagate_through_residual_blocks():
    model = Residual(Sequential(Dense(3, 3, rng=0), BatchNorm1d(3), Dropout(0.5, rng=0)))
    model.eval()
    assert [sub.training for sub in modules_in(model)] == [False] * 5
    model.train()
    assert [sub.training for sub in modules_in(model)] == [True] * 5


def test_train_and_eval_propagate_through_sequential():
    model = _seq(np.random.default_rng(0), np.float64)
    assert model.eval() is model
    assert [sub.training for sub in modules_in(model)] == [False] * 7
    model.train()
    assert [sub.training for sub in modules_in(model)] == [True] * 7


def test_batchnorm_running_statistics_and_count_match_torch_over_five_batches(torch):
    rng = np.random.default_rng(5)
    for shape in [(7, 3), (4, 3, 6)]:
        bn, twin = BatchNorm1d(3), torch.nn.BatchNorm1d(3, dtype=torch.float64)
        for _ in range(5):
            x = rng.normal(-1.0, 4.0, size=shape)
            bn(x)
            twin(torch.from_numpy(x))
        close(bn.running_mean, twin.running_mean.numpy(), f"running_mean for input {shape}")
        close(bn.running_var, twin.running_var.numpy(), f"running_var (unbiased) for input {shape}")
        assert bn.num_batches_tracked == int(twin.num_batches_tracked) == 5
        x = rng.normal(size=shape)
        close(bn.eval()(x), twin.eval()(torch.from_numpy(x)).detach().numpy(), "eval output")


def test_batchnorm_training_refuses_a_single_value_per_feature():
    with pytest.raises(ValueError, match="more than one value per feature"):
        BatchNorm1d(3)(np.ones((1, 3)))
    assert BatchNorm1d(3).eval()(np.ones((1, 3))).shape == (1, 3)


def test_groupnorm_and_constructors_check_their_arguments():
    with pytest.raises(ValueError, match="divisible by num_groups"):
        GroupNorm(4, 6)
    with pytest.raises(ValueError, match="momentum must be <= 1"):
        BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match="in_features must be >= 1"):
        Dense(0, 3)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        Dropout(1.0)
    with pytest.raises(ValueError, match="p must be >= 0"):
        Dropout(-0.1)
    with pytest.raises(TypeError, match="init must be None or a function"):
        Dense(2, 3, init="he")


def test_dropout_drops_about_p_and_rescales_so_the_mean_is_kept():
    layer = Dropout(0.3, rng=0)
    x = np.full((400, 500), 2.0)
    y = layer(x)
    kept = y != 0
    assert abs(1 - kept.mean() - 0.3) < 0.005, f"dropped fraction {1 - kept.mean():.4f}, expected 0.3"
    close(y[kept], 2.0 / 0.7, "kept entries are scaled by 1/(1-p)")
    np.testing.assert_array_equal(layer.mask, kept)
    assert layer.eval()(x) is not x and np.array_equal(layer(x), x), "eval mode must be the identity"
    assert layer.mask is None


def test_dropout_with_the_same_seed_draws_the_same_mask():
    x = np.ones((3, 8))
    np.testing.assert_array_equal(Dropout(0.5, rng=7)(x), Dropout(0.5, rng=7)(x))


def test_dense_default_init_is_torch_uniform_bound_and_seeded():
    a, b = Dense(16, 5, rng=3), Dense(16, 5, rng=3)
    np.testing.assert_array_equal(a.W.data, b.W.data)
    np.testing.assert_array_equal(a.b.data, b.b.data)
    assert a.W.shape == (16, 5) and a.b.shape == (5,)
    assert np.abs(a.W.data).max() <= 0.25 and np.abs(a.b.data).max() <= 0.25


def test_reprs_name_the_configuration():
    assert repr(Dense(3, 4, rng=0)) == "Dense(in_features=3, out_features=4, bias=True)"
    assert repr(Dense(3, 4, rng=0, dtype=np.float32)) == "Dense(in_features=3, out_features=4, bias=True, dtype=float32)"
    assert repr(LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(Dropout(0.1)) == "Dropout(p=0.1)"
    assert repr(BatchNorm1d(4)) == "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True)"
    assert repr(LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True)"
    assert repr(GroupNorm(2, 4)) == "GroupNorm(2, 4, eps=1e-05, affine=True)"
    assert repr(Residual(Sequential(Dense(2, 2, rng=0), Tanh()))).splitlines() == [
        "Residual(", "  (block): Sequential(", "    (0): Dense(in_features=2, out_features=2, bias=True)",
        "    (1): Tanh()", "  )", ")",
    ]
    assert repr(Sequential(Dense(2, 2, rng=0), ReLU())).splitlines()[1:3] == [
        "  (0): Dense(in_features=2, out_features=2, bias=True)", "  (1): ReLU()",
    ]


@pytest.mark.parametrize("module", [layers, norm])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0, f"{module.__name__}: {result}"
