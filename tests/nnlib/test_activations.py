"""Activations and their derivatives: against torch (float64), finite differences, stability, bad input."""
import doctest
import warnings

import numpy as np
import pytest

from nnlib import activations
from nnlib.activations import (
    ACTIVATIONS, gelu, gelu_grad, leaky_relu, leaky_relu_grad, log_softmax, log_softmax_backward,
    naive_sigmoid, relu, relu_grad, sigmoid, sigmoid_grad, softmax, softmax_backward, tanh, tanh_grad,
)

ELEMENTWISE = {  # name -> (f, f_grad), leaky_relu with a non-default slope to catch a dropped argument
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (lambda x: leaky_relu(x, 0.2), lambda z: leaky_relu_grad(z, 0.2)),
    "gelu": (gelu, gelu_grad),
}
KINKED = {"relu", "leaky_relu"}  # not differentiable at 0


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def torch_function(torch, name):
    F = torch.nn.functional
    return {
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
        "leaky_relu": lambda t: F.leaky_relu(t, 0.2), "gelu": F.gelu,
    }[name]


def sample(seed, shape=(6, 7), low=-5.0, high=5.0):
    """Uniform inputs plus some exact zeros (the kink of relu and leaky_relu)."""
    x = np.random.default_rng(seed).uniform(low, high, size=shape)
    x.flat[::5] = 0.0
    return x


# -- elementwise activations ---------------------------------------------------

@pytest.mark.parametrize("name", ELEMENTWISE)
def test_activation_matches_torch_in_float64(torch, name):
    f, _ = ELEMENTWISE[name]
    x = sample(0)
    expected = torch_function(torch, name)(torch.tensor(x, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(f(x), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_activation_grad_times_random_upstream_matches_torch_autograd(torch, name):
    f, f_grad = ELEMENTWISE[name]
    x = sample(1)
    upstream = np.random.default_rng(2).normal(size=x.shape)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (torch_function(torch, name)(xt) * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(upstream * f_grad(x), xt.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_activation_grad_matches_central_finite_differences(name):
    f, f_grad = ELEMENTWISE[name]
    x = np.random.default_rng(3).uniform(-4, 4, size=50)
    if name in KINKED:
        x = x[np.abs(x) > 1e-3]
    h = 1e-6
    numeric = (f(x + h) - f(x - h)) / (2 * h)
    np.testing.assert_allclose(f_grad(x), numeric, rtol=1e-6, atol=1e-9)


def test_relu_grad_at_zero_is_zero_and_leaky_relu_grad_at_zero_is_the_slope_like_torch(torch):
    assert relu_grad(0.0) == 0.0
    assert leaky_relu_grad(0.0, negative_slope=0.3) == pytest.approx(0.3)
    for fn, ours in [(torch.relu, relu_grad(0.0)),
                     (lambda t: torch.nn.functional.leaky_relu(t, 0.3), leaky_relu_grad(0.0, 0.3))]:
        t = torch.zeros((), dtype=torch.float64, requires_grad=True)
        fn(t).backward()
        assert t.grad.item() == pytest.approx(float(ours)), f"torch {t.grad.item()}, ours {float(ours)}"


def test_leaky_relu_default_slope_is_torchs_0_01(torch):
    x = sample(4)
    expected = torch.nn.functional.leaky_relu(torch.tensor(x, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(leaky_relu(x), expected, rtol=1e-15)
    np.testing.assert_array_equal(leaky_relu_grad(np.array([-1.0, 1.0])), [0.01, 1.0])


def test_gelu_is_accurate_in_the_far_left_tail_where_the_erf_form_cancels():
    # gelu(x) = x * Phi(x); Phi(-10) = 7.619853024160527e-24 (standard normal CDF).
    assert gelu(-10.0) == pytest.approx(-10 * 7.619853024160527e-24, rel=1e-12)


def test_gelu_fallback_erfc_without_scipy_matches_scipy():
    special = pytest.importorskip("scipy.special")
    x = np.linspace(-30, 30, 101)
    np.testing.assert_allclose(activations._erfc_fallback(x), special.erfc(x), rtol=1e-13, atol=1e-300)
    assert activations._erfc_fallback(x.astype(np.float32)).dtype == np.float32
    assert activations._erfc_fallback(np.array(0.0)) == 1.0


def test_gelu_and_gelu_grad_give_the_same_numbers_without_scipy(monkeypatch):
    x = sample(10)
    with_scipy = gelu(x), gelu_grad(x)
    monkeypatch.setattr(activations, "_erfc_implementation", lambda: activations._erfc_fallback)
    np.testing.assert_allclose(gelu(x), with_scipy[0], rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(gelu_grad(x), with_scipy[1], rtol=1e-13, atol=1e-300)
    assert gelu(x.astype(np.float32)).dtype == np.float32


def test_naive_sigmoid_agrees_with_sigmoid_but_warns_on_overflow():
    x = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(naive_sigmoid(x), sigmoid(x), rtol=1e-13)
    with pytest.warns(RuntimeWarning, match="overflow"):
        naive_sigmoid(-1000.0)


def test_activations_dict_lists_the_five_elementwise_pairs():
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "leaky_relu", "gelu"}
    for name, (f, f_grad) in ACTIVATIONS.items():
        assert f is getattr(activations, name) and f_grad is getattr(activations, name + "_grad")


# -- softmax and log_softmax ----------------------------------------------------

@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax_match_torch_in_float64(torch, axis):
    x = np.random.default_rng(5).normal(scale=4, size=(3, 4, 5))
    xt = torch.tensor(x, dtype=torch.float64)
    np.testing.assert_allclose(softmax(x, axis=axis), torch.softmax(xt, dim=axis).numpy(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(log_softmax(x, axis=axis), torch.log_softmax(xt, dim=axis).numpy(), rtol=1e-12)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_backward_and_log_softmax_backward_match_torch_autograd(torch, axis):
    rng = np.random.default_rng(6)
    x, upstream = rng.normal(size=(3, 4, 5)), rng.normal(size=(3, 4, 5))
    for forward, backward, torch_forward in [(softmax, softmax_backward, torch.softmax),
                                             (log_softmax, log_softmax_backward, torch.log_softmax)]:
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        (torch_forward(xt, dim=axis) * torch.tensor(upstream)).sum().backward()
        ours = backward(forward(x, axis=axis), upstream, axis=axis)
        np.testing.assert_allclose(ours, xt.grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=forward.__name__)


@pytest.mark.parametrize("forward, backward", [(softmax, softmax_backward), (log_softmax, log_softmax_backward)])
def test_softmax_backward_matches_central_finite_differences(forward, backward):
    rng = np.random.default_rng(7)
    x, upstream = rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    h, numeric = 1e-6, np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        numeric[i] = np.sum(upstream * (forward(x + step) - forward(x - step))) / (2 * h)
    np.testing.assert_allclose(backward(forward(x), upstream), numeric, rtol=1e-6, atol=1e-9)


def test_softmax_rows_sum_to_one():
    y = softmax(np.random.default_rng(8).normal(scale=10, size=(5, 9)))
    np.testing.assert_allclose(y.sum(axis=1), np.ones(5), rtol=1e-14)


# -- stability, dtypes ------------------------------------------------------------

def test_sigmoid_at_plus_minus_1000_is_exact_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dtype in (np.float64, np.float32):
            assert sigmoid(np.array(-1000.0, dtype)) == 0.0
            assert sigmoid(np.array(1000.0, dtype)) == 1.0
        assert sigmoid(-1000.0) == 0.0 and sigmoid(1000.0) == 1.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_activation_and_grad_is_finite_at_extremes_without_warnings(dtype):
    big = np.finfo(dtype).max / 2
    x = np.array([-big, -1000.0, 1000.0, big], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outputs = [fn(x) for pair in ELEMENTWISE.values() for fn in pair]
        outputs += [softmax(x), log_softmax(x)]
        outputs += [softmax_backward(softmax(x), x), log_softmax_backward(log_softmax(x), x)]
    for out in outputs:
        assert np.all(np.isfinite(out)), out


def test_softmax_of_1000_and_0_is_one_hot_and_log_softmax_is_finite_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(softmax([1000.0, 0.0]), [1.0, 0.0])
        np.testing.assert_array_equal(log_softmax([1000.0, 0.0]), [0.0, -1000.0])
        np.testing.assert_array_equal(softmax([-1000.0, -1000.0]), [0.5, 0.5])


PUBLIC_CALLS = {  # every public function, called with one array argument
    **{f.__name__: f for pair in ACTIVATIONS.values() for f in pair},
    "naive_sigmoid": naive_sigmoid,
    "softmax": softmax, "log_softmax": log_softmax,
    "softmax_backward": lambda a: softmax_backward(a, a),
    "log_softmax_backward": lambda a: log_softmax_backward(a, a),
}
PUBLIC = sorted(PUBLIC_CALLS)


@pytest.mark.parametrize("name", PUBLIC)
def test_float32_input_gives_float32_output_close_to_float64(name):
    fn = PUBLIC_CALLS[name]
    x = np.random.default_rng(9).normal(size=(4, 3))
    out32 = fn(x.astype(np.float32))
    assert out32.dtype == np.float32, f"{name} returned {out32.dtype}"
    np.testing.assert_allclose(out32, fn(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", PUBLIC)
def test_lists_and_integers_are_accepted_as_float64(name):
    fn = PUBLIC_CALLS[name]
    for x in ([1, -2, 3], np.array([1, -2, 3])):
        out = fn(x)
        assert out.dtype == np.float64 and out.shape == (3,)
        np.testing.assert_allclose(out, fn(np.array([1.0, -2.0, 3.0])), rtol=0)


@pytest.mark.parametrize("name", PUBLIC)
@pytest.mark.parametrize("bad, error", [
    ([0.5, np.nan], ValueError), ([0.5, np.inf], ValueError),
    (np.array([1 + 2j]), TypeError), (["a", "b"], TypeError), (np.array([1.0], np.float16), TypeError),
])
def test_bad_input_is_refused_with_a_message_naming_the_argument(name, bad, error):
    with pytest.raises(error, match=r"\b(x|z|y|log_y)\b"):
        PUBLIC_CALLS[name](bad)


def test_elementwise_activations_accept_an_empty_array():
    for f, f_grad in ACTIVATIONS.values():
        assert f(np.empty((0, 3), np.float32)).shape == (0, 3)
        assert f_grad(np.empty(0)).shape == (0,)


def test_softmax_refuses_scalars_empty_axes_and_bad_axes():
    with pytest.raises(ValueError, match="scalar"):
        softmax(1.0)
    with pytest.raises(ValueError, match=r"no entries along axis -1"):
        softmax(np.empty((3, 0)))
    with pytest.raises(ValueError, match=r"axis 2 is out of range for x of shape \(2, 3\)"):
        log_softmax(np.ones((2, 3)), axis=2)
    with pytest.raises(TypeError, match="axis"):
        softmax(np.ones((2, 3)), axis=1.0)


def test_softmax_backward_refuses_grad_out_of_another_shape():
    y = softmax(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"grad_out has shape \(3, 2\), expected \(2, 3\) like y"):
        softmax_backward(y, np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"grad_out has shape \(3,\), expected \(2, 3\) like log_y"):
        log_softmax_backward(np.log(y), np.ones(3))
    with pytest.raises(ValueError, match="grad_out contains NaN"):
        softmax_backward(y, np.full((2, 3), np.nan))
    with pytest.raises(TypeError, match="grad_out"):
        log_softmax_backward(np.log(y), np.full((2, 3), "a"))


@pytest.mark.parametrize("fn", [leaky_relu, leaky_relu_grad])
def test_leaky_relu_refuses_a_bad_negative_slope(fn):
    with pytest.raises(TypeError, match="negative_slope"):
        fn([1.0], negative_slope="0.1")
    with pytest.raises(ValueError, match="negative_slope"):
        fn([1.0], negative_slope=float("nan"))


def test_docstring_examples_run():
    result = doctest.testmod(activations, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 15 and result.failed == 0, result
