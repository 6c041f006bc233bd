"""Losses and their gradients: against torch (float64), finite differences, stability, bad input."""
import doctest
import warnings

import numpy as np
import pytest

from nnlib import losses
from nnlib.losses import (
    BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, binary_cross_entropy, binary_cross_entropy_grad,
    binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad, cross_entropy, cross_entropy_grad,
    cross_entropy_with_grad,
    half_sse, half_sse_grad, mse, mse_grad,
)


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def regression_pair(seed, shape=(8, 3)):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape), rng.normal(size=shape)


def probability_pair(seed, shape=(8, 3)):
    """Probabilities away from 0 and 1 (where torch clamps its logs differently) and soft targets."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.05, 0.95, size=shape), rng.uniform(0, 1, size=shape)


def logit_pair(seed, shape=(8, 3)):
    rng = np.random.default_rng(seed)
    return rng.normal(scale=5, size=shape), rng.integers(0, 2, size=shape).astype(float)


def class_pair(seed, n=8, n_classes=5):
    rng = np.random.default_rng(seed)
    return rng.normal(scale=3, size=(n, n_classes)), rng.integers(0, n_classes, size=n)


# name -> (loss, grad, make inputs, torch loss of (pred tensor, target ndarray))
CASES = {
    "mse": (mse, mse_grad, regression_pair,
            lambda torch, p, t: torch.nn.functional.mse_loss(p, torch.tensor(t))),
    "half_sse": (half_sse, half_sse_grad, regression_pair,
                 lambda torch, p, t: 0.5 * ((p - torch.tensor(t)) ** 2).sum()),
    "binary_cross_entropy": (binary_cross_entropy, binary_cross_entropy_grad, probability_pair,
                             lambda torch, p, t: torch.nn.functional.binary_cross_entropy(p, torch.tensor(t))),
    "binary_cross_entropy_with_logits": (
        binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad, logit_pair,
        lambda torch, p, t: torch.nn.functional.binary_cross_entropy_with_logits(p, torch.tensor(t))),
    "cross_entropy": (cross_entropy, cross_entropy_grad, class_pair,
                      lambda torch, p, t: torch.nn.functional.cross_entropy(p, torch.tensor(t))),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_loss_and_grad_match_torch_in_float64(torch, name, seed):
    loss, grad, make, torch_loss = CASES[name]
    pred, target = make(seed)
    pt = torch.tensor(pred, dtype=torch.float64, requires_grad=True)
    expected = torch_loss(torch, pt, target)
    expected.backward()
    assert float(loss(pred, target)) == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(grad(pred, target), pt.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("shape", [(5,), (5, 1), (2, 3, 4)])
def test_mse_and_bce_average_over_all_elements_for_any_shape(torch, shape):
    pred, target = regression_pair(2, shape)
    expected = torch.nn.functional.mse_loss(torch.tensor(pred), torch.tensor(target)).item()
    assert float(mse(pred, target)) == pytest.approx(expected, rel=1e-12)
    p, y = probability_pair(3, shape)
    expected = torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(y)).item()
    assert float(binary_cross_entropy(p, y)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_grad_matches_central_finite_differences(name):
    loss, grad, make, _ = CASES[name]
    pred, target = make(4, (3, 4)) if name != "cross_entropy" else make(4, 3, 4)
    h, numeric = 1e-6, np.zeros_like(pred)
    for i in np.ndindex(pred.shape):
        step = np.zeros_like(pred)
        step[i] = h
        numeric[i] = (loss(pred + step, target) - loss(pred - step, target)) / (2 * h)
    np.testing.assert_allclose(grad(pred, target), numeric, rtol=1e-6, atol=1e-9)


def test_half_sse_is_mse_times_n_over_2_and_its_grad_is_the_error():
    pred, target = regression_pair(5)
    assert float(half_sse(pred, target)) == pytest.approx(pred.size / 2 * float(mse(pred, target)), rel=1e-13)
    np.testing.assert_array_equal(half_sse_grad(pred, target), pred - target)


def test_bce_with_logits_equals_bce_of_sigmoid():
    z, y = logit_pair(6)
    p = 1 / (1 + np.exp(-z))
    assert float(binary_cross_entropy_with_logits(z, y)) == pytest.approx(float(binary_cross_entropy(p, y)), rel=1e-9)


# -- dtypes ------------------------------------------------------------------------

@pytest.mark.parametrize("name", CASES)
def test_loss_is_a_numpy_scalar_and_grad_an_array_of_the_prediction_dtype(name):
    loss, grad, make, _ = CASES[name]
    pred, target = make(7)
    for dtype in (np.float64, np.float32):
        value, g = loss(pred.astype(dtype), target), grad(pred.astype(dtype), target)  # target stays float64/int
        assert type(value) is dtype, f"{name} returned {type(value).__name__}, expected {dtype.__name__}"
        assert g.dtype == dtype and g.shape == pred.shape
    assert float(loss(pred.astype(np.float32), target)) == pytest.approx(float(loss(pred, target)), rel=1e-5)


def test_python_lists_are_accepted():
    assert float(mse([1, 2], [0, 0])) == 2.5
    assert float(cross_entropy([[0.0, 0.0]], [0])) == pytest.approx(np.log(2), rel=1e-15)


# -- stability -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_with_logits_at_plus_minus_1000_is_exact_without_warnings(dtype):
    z, y = np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype), np.array([1.0, 0.0, 0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, g = binary_cross_entropy_with_logits(z, y), binary_cross_entropy_with_logits_grad(z, y)
    assert value == pytest.approx(500.0, rel=1e-7)  # two perfect answers, two losses of 1000
    np.testing.assert_array_equal(g, np.array([0, 0, 0.25, -0.25], dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_with_huge_logits_is_finite_without_warnings(dtype):
    logits = np.array([[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0]], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, g = cross_entropy(logits, [0, 2]), cross_entropy_grad(logits, [0, 2])
    assert value == pytest.approx(1000.0, rel=1e-7)  # (0 + 2000) / 2
    np.testing.assert_allclose(g, np.array([[0, 0, 0], [0.5, 0, -0.5]]), atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_clips_probabilities_0_and_1_to_a_finite_loss_without_warnings(dtype):
    p, y = np.array([0.0, 1.0, 1.0], dtype), np.array([1.0, 0.0, 1.0])
    eps = max(1e-12, np.finfo(dtype).eps)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, g = binary_cross_entropy(p, y), binary_cross_entropy_grad(p, y)
    assert value == pytest.approx(-2 * np.log(eps) / 3, rel=1e-5)
    assert np.all(np.isfinite(g)) and g[0] < 0 < g[1]


def test_bce_eps_sets_the_clipping():
    assert float(binary_cross_entropy([0.0], [1.0], eps=1e-3)) == pytest.approx(-np.log(1e-3), rel=1e-12)


# -- bad input -----------------------------------------------------------------------

ALL_FUNCTIONS = [f for loss, grad, _, _ in CASES.values() for f in (loss, grad)]
PAIRWISE = [f for f in ALL_FUNCTIONS if f not in (cross_entropy, cross_entropy_grad)]
FIRST_ARG = {mse: "y_pred", half_sse: "y_pred", binary_cross_entropy: "p",
             binary_cross_entropy_with_logits: "z", cross_entropy: "logits"}


def first_arg(fn):
    return FIRST_ARG.get(fn) or FIRST_ARG[getattr(losses, fn.__name__[:-len("_grad")])]


@pytest.mark.parametrize("fn", PAIRWISE, ids=lambda f: f.__name__)
def test_shape_mismatch_is_refused_instead_of_broadcast(fn):
    name = first_arg(fn)
    other = {"y_pred": "y_true"}.get(name, "y")
    with pytest.raises(ValueError, match=rf"{other} has shape \(4,\), expected \(4, 1\) like {name}"):
        fn(np.full((4, 1), 0.5), np.full(4, 0.5))


def test_mse_shape_mismatch_message_is_the_one_the_book_quotes():
    with pytest.raises(ValueError) as info:
        mse(np.zeros((4, 1)), np.zeros(4))
    assert "y_true has shape (4,), expected (4, 1) like y_pred" in str(info.value)


@pytest.mark.parametrize("fn", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_nan_complex_str_and_float16_are_refused_naming_the_argument(fn):
    pred, target = (class_pair(0, 2, 3) if fn in (cross_entropy, cross_entropy_grad)
                    else (np.full((2, 3), 0.5), np.full((2, 3), 1.0)))
    name = first_arg(fn)
    with_nan = pred.copy()
    with_nan.flat[0] = np.nan
    for bad, error in [(with_nan, ValueError), (pred.astype(complex), TypeError), (pred.astype(str), TypeError)]:
        with pytest.raises(error, match=name):
            fn(bad, target)
    with pytest.raises(TypeError, match=name):
        fn(pred.astype(np.float16), target)
    if target.dtype.kind == "f":
        bad_target = target.copy()
        bad_target.flat[0] = np.nan
        with pytest.raises(ValueError, match=r"(y_true|y) contains NaN"):
            fn(pred, bad_target)


@pytest.mark.parametrize("fn", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_empty_batch_is_refused(fn):
    pred = np.empty((0, 3))
    target = np.empty(0, dtype=int) if fn in (cross_entropy, cross_entropy_grad) else np.empty((0, 3))
    with pytest.raises(ValueError, match=rf"{first_arg(fn)} is empty"):
        fn(pred, target)


@pytest.mark.parametrize("fn", [binary_cross_entropy, binary_cross_entropy_grad,
                                binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad],
                         ids=lambda f: f.__name__)
def test_bce_targets_outside_0_1_are_refused(fn):
    with pytest.raises(ValueError, match=r"y holds values from 0.0 to 2.0, expected values in \[0, 1\]"):
        fn(np.full(3, 0.5), np.array([0.0, 1.0, 2.0]))


@pytest.mark.parametrize("fn", [binary_cross_entropy, binary_cross_entropy_grad], ids=lambda f: f.__name__)
def test_bce_probabilities_outside_0_1_are_refused_pointing_to_the_logits_version(fn):
    with pytest.raises(ValueError, match=r"p holds values from -0.5 to 1.5.*binary_cross_entropy_with_logits"):
        fn(np.array([-0.5, 1.5]), np.array([0.0, 1.0]))
    for eps, error in [(0.0, ValueError), (0.6, ValueError), ("1e-3", TypeError)]:
        with pytest.raises(error, match="eps"):
            fn(np.array([0.5]), np.array([1.0]), eps=eps)


@pytest.mark.parametrize("fn", [cross_entropy, cross_entropy_grad, cross_entropy_with_grad], ids=lambda f: f.__name__)
def test_cross_entropy_refuses_bad_targets_and_logits(fn):
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"targets holds labels from 0 to 4, expected labels in \[0, 3\]"):
        fn(logits, [0, 4, 1])
    with pytest.raises(ValueError, match="targets holds labels from -1"):
        fn(logits, [0, -1, 1])
    with pytest.raises(ValueError, match="targets has 2 labels, expected 3"):
        fn(logits, [0, 1])
    with pytest.raises(ValueError, match=r"targets must have shape \(N,\)"):
        fn(logits, [[0], [1], [2]])
    with pytest.raises(TypeError, match="targets must hold integer class labels"):
        fn(logits, [0.0, 0.5, 1.0])
    with pytest.raises(TypeError, match="targets"):
        fn(logits, ["a", "b", "c"])
    with pytest.raises(ValueError, match="logits must have 2 dimension"):
        fn(np.zeros(4), [1])


# -- loss objects --------------------------------------------------------------------

@pytest.mark.parametrize("cls, loss, grad, make", [
    (MSELoss, mse, mse_grad, regression_pair),
    (BCEWithLogitsLoss, binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad, logit_pair),
    (CrossEntropyLoss, cross_entropy, cross_entropy_grad, class_pair),
])
def test_loss_objects_delegate_to_the_functions_and_have_a_repr(cls, loss, grad, make):
    pred, target = make(8)
    obj = cls()
    assert obj(pred, target) == loss(pred, target)
    np.testing.assert_array_equal(obj.grad(pred, target), grad(pred, target))
    assert repr(obj) == f"{cls.__name__}()"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fused_cross_entropy_equals_the_loss_and_the_gradient_taken_apart(torch, seed):
    logits, targets = class_pair(seed, n=16, n_classes=10)
    value, grad = cross_entropy_with_grad(logits, targets)
    assert float(value) == pytest.approx(float(cross_entropy(logits, targets)), rel=1e-14)
    np.testing.assert_allclose(grad, cross_entropy_grad(logits, targets), rtol=1e-12, atol=1e-16)
    pt = torch.tensor(logits, requires_grad=True)
    torch.nn.functional.cross_entropy(pt, torch.tensor(targets)).backward()
    np.testing.assert_allclose(grad, pt.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_cross_entropy_keeps_the_dtype_and_survives_huge_logits(dtype):
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = cross_entropy_with_grad(logits, [2, 1])
    assert value.dtype == dtype and grad.dtype == dtype
    assert float(value) == pytest.approx((2000.0 + np.log(3)) / 2, rel=1e-6)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-6)


@pytest.mark.parametrize("cls, make", [(MSELoss, regression_pair), (BCEWithLogitsLoss, logit_pair),
                                       (CrossEntropyLoss, class_pair)])
def test_value_and_grad_of_every_loss_object_equals_its_two_calls(cls, make):
    pred, target = make(3)
    value, grad = cls().value_and_grad(pred, target)
    assert float(value) == pytest.approx(float(cls()(pred, target)), rel=1e-14)
    np.testing.assert_allclose(grad, cls().grad(pred, target), rtol=1e-12, atol=1e-16)


def test_docstring_examples_run():
    result = doctest.testmod(losses, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 10 and result.failed == 0, result
