"""nnlib.gradcheck: finite differences, the module check, and catching planted bugs."""
import numpy as np
import pytest

from nnlib import Module, Parameter
from nnlib.gradcheck import GradcheckResult, gradcheck, numerical_grad
from nnlib.layers import Dense


def test_numerical_grad_matches_the_analytic_gradient_of_a_smooth_function():
    x = np.random.default_rng(0).standard_normal((3, 4))
    num = numerical_grad(lambda v: np.sum(np.sin(v) * v), x)
    expected = np.cos(x) * x + np.sin(x)
    np.testing.assert_allclose(num, expected, rtol=1e-7, atol=1e-9)
    assert num.shape == x.shape and num.dtype == np.float64


def test_numerical_grad_refuses_float32_and_says_float64_is_needed():
    with pytest.raises(TypeError, match="float64"):
        numerical_grad(lambda v: float(v.sum()), np.ones(3, dtype=np.float32))


def test_numerical_grad_leaves_x_exactly_unchanged():
    x = np.random.default_rng(1).standard_normal(5)
    before = x.copy()
    numerical_grad(lambda v: float(np.sum(v ** 3)), x)
    np.testing.assert_array_equal(x, before)


def test_numerical_grad_restores_x_even_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return float(v.sum())

    with pytest.raises(RuntimeError, match="boom"):
        numerical_grad(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_numerical_grad_refuses_a_function_that_is_not_scalar():
    with pytest.raises(ValueError, match="scalar"):
        numerical_grad(lambda v: v * 2, np.ones(3))


def test_numerical_grad_refuses_nonpositive_eps():
    with pytest.raises(ValueError, match="eps"):
        numerical_grad(lambda v: float(v.sum()), np.ones(3), eps=0.0)


def test_gradcheck_of_a_function_passes_with_its_true_gradient():
    x = np.linspace(-2.0, 2.0, 7)
    result = gradcheck(lambda v: np.sum(np.exp(v)), x, grad_fn=np.exp)
    assert isinstance(result, GradcheckResult)
    assert result.passed and bool(result)
    assert result.max_rel_error < 1e-7, result.max_rel_error


def test_gradcheck_relative_error_is_diff_over_the_larger_magnitude():
    x = np.array([0.5, -1.0, 2.0])
    result = gradcheck(lambda v: np.sum(v ** 2), x, grad_fn=lambda v: 2 * v * 1.001)
    # |a - n| / max(|a|, |n|) = 0.001 * 2|x| / (1.001 * 2|x|)
    assert result.max_rel_error == pytest.approx(0.001 / 1.001, rel=1e-6)
    assert not result.passed


def test_gradcheck_of_a_function_needs_grad_fn():
    with pytest.raises(TypeError, match="grad_fn"):
        gradcheck(lambda v: np.sum(v), np.ones(3))


def test_gradcheck_passes_for_a_correct_dense_layer_and_lists_every_tensor():
    layer = Dense(4, 3, rng=0)
    x = np.random.default_rng(1).standard_normal((5, 4))
    result = gradcheck(layer, x, rng=2)
    assert result.passed, str(result)
    assert [c.name for c in result.checks] == ["input", "W", "b"]
    assert result["W"].shape == (4, 3)
    assert result.max_rel_error < 1e-6, str(result)


class _InputGradOffByFactor(Dense):
    def backward(self, grad_out):
        return 1.01 * super().backward(grad_out)


class _WeightGradOffByFactor(Dense):
    def backward(self, grad_out):
        grad_in = super().backward(grad_out)
        self.W.grad *= 0.99
        return grad_in


def test_gradcheck_catches_a_dense_whose_input_gradient_is_off_by_a_factor():
    result = gradcheck(_InputGradOffByFactor(4, 3, rng=0), np.random.default_rng(1).standard_normal((5, 4)), rng=2)
    assert not result.passed
    assert not result["input"].passed and result["W"].passed and result["b"].passed, str(result)
    assert result["input"].max_rel_error == pytest.approx(0.01 / 1.01, rel=1e-4)


def test_gradcheck_catches_a_dense_whose_weight_gradient_is_off_by_a_factor():
    result = gradcheck(_WeightGradOffByFactor(4, 3, rng=0), np.random.default_rng(1).standard_normal((5, 4)), rng=2)
    assert not result.passed
    assert [c.name for c in result.checks if not c.passed] == ["W"], str(result)


class _Center(Module):
    """y = x - mean(x) per row. With an all-ones upstream gradient the true
    input gradient is exactly zero, so a backward returning zeros would pass."""

    def forward(self, x):
        return x - x.mean(axis=1, keepdims=True)

    def backward(self, grad_out):
        return np.zeros_like(grad_out)  # the planted bug


def test_random_upstream_gradient_catches_a_bug_an_all_ones_gradient_hides():
    x = np.random.default_rng(0).standard_normal((3, 4))
    ones_loss = numerical_grad(lambda v: float(np.sum(_Center().forward(v))), x.copy())
    np.testing.assert_allclose(ones_loss, 0.0, atol=1e-8)  # the bug would hide here
    result = gradcheck(_Center(), x, rng=1)
    assert not result.passed, str(result)


class _Scale(Module):
    """y = x * w, a module with one parameter, to check parameter restoration."""

    def __init__(self):
        super().__init__()
        self.w = Parameter(np.array([1.5, -0.5, 2.0]))

    def forward(self, x):
        self._x = x
        return x * self.w.data

    def backward(self, grad_out):
        self.w.grad += (grad_out * self._x).sum(axis=0)
        return grad_out * self.w.data


def test_gradcheck_restores_the_parameters_and_leaves_one_backward_in_grad():
    m = _Scale()
    before = m.state_dict()
    x = np.random.default_rng(0).standard_normal((4, 3))
    result = gradcheck(m, x, rng=0)
    assert result.passed, str(result)
    np.testing.assert_array_equal(m.w.data, before["w"])
    np.testing.assert_allclose(m.w.grad, result["w"].numerical, rtol=1e-6)


def test_gradcheck_is_deterministic_for_a_fixed_rng():
    x = np.random.default_rng(0).standard_normal((4, 3))
    a, b = gradcheck(_Scale(), x, rng=7), gradcheck(_Scale(), x, rng=7)
    np.testing.assert_array_equal(a["w"].numerical, b["w"].numerical)


def test_gradcheck_refuses_a_float32_module_or_input():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(Dense(2, 2, rng=0, dtype=np.float32), np.ones((1, 2)))
    with pytest.raises(TypeError, match="float64"):
        gradcheck(Dense(2, 2, rng=0), np.ones((1, 2), dtype=np.float32))


def test_gradcheck_refuses_grad_fn_for_a_module():
    with pytest.raises(TypeError, match="grad_fn"):
        gradcheck(Dense(2, 2, rng=0), np.ones((1, 2)), grad_fn=np.cos)


def test_gradcheck_report_is_a_readable_table():
    result = gradcheck(_InputGradOffByFactor(2, 2, rng=0), np.ones((3, 2)), rng=0)
    text = str(result)
    lines = text.splitlines()
    assert lines[0].split() == ["tensor", "shape", "max", "abs", "err", "max", "rel", "err", "ok"]
    assert any(line.startswith("input") and line.rstrip().endswith("NO") for line in lines), text
    assert "FAILED" in lines[-1]
    assert "PASSED" in str(gradcheck(Dense(2, 2, rng=0), np.ones((3, 2)), rng=0))
    with pytest.raises(KeyError, match="input"):
        result["nope"]


def test_gradcheck_restores_buffers_such_as_batchnorm_running_statistics():
    from nnlib import BatchNorm1d

    bn = BatchNorm1d(3)
    before = bn.state_dict()
    result = gradcheck(bn, np.random.default_rng(0).standard_normal((5, 3)), rng=0)
    assert result.passed, str(result)
    for key, value in bn.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)
