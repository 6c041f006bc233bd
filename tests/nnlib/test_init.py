"""Weight initialisers: empirical variance matches the formula, shapes, dtypes, seeding, Dense(init=...)."""
import doctest
import functools

import numpy as np
import pytest

from nnlib import Dense, init

FAN_IN, FAN_OUT = 400, 600

# initialiser -> variance it should give for (FAN_IN, FAN_OUT)
VARIANCES = {
    "default_uniform": (init.default_uniform, 1 / (3 * FAN_IN)),
    "xavier_uniform": (init.xavier_uniform, 2 / (FAN_IN + FAN_OUT)),
    "xavier_uniform-gain3": (functools.partial(init.xavier_uniform, gain=3.0), 9 * 2 / (FAN_IN + FAN_OUT)),
    "xavier_normal": (init.xavier_normal, 2 / (FAN_IN + FAN_OUT)),
    "he_uniform": (init.he_uniform, 2 / FAN_IN),
    "he_normal": (init.he_normal, 2 / FAN_IN),
    "he_normal-gain1": (functools.partial(init.he_normal, gain=1.0), 1 / FAN_IN),
    "normal-std0.05": (functools.partial(init.normal, std=0.05), 0.05**2),
}


@pytest.mark.parametrize("name", list(VARIANCES))
def test_empirical_variance_and_mean_match_the_formula(name):
    fn, variance = VARIANCES[name]
    W = fn(FAN_IN, FAN_OUT, np.random.default_rng(0))
    assert W.shape == (FAN_IN, FAN_OUT) and W.dtype == np.float64
    assert abs(W.var() / variance - 1) < 0.02, f"{name}: variance {W.var():.3e}, formula {variance:.3e}"
    assert abs(W.mean()) < 3 * np.sqrt(variance / W.size), f"{name}: mean {W.mean():.2e} is not about 0"


@pytest.mark.parametrize("fn, bound", [
    (init.default_uniform, 1 / np.sqrt(FAN_IN)),
    (init.xavier_uniform, np.sqrt(6 / (FAN_IN + FAN_OUT))),
    (init.he_uniform, np.sqrt(6 / FAN_IN)),
])
def test_uniform_initialisers_fill_the_interval_up_to_their_bound(fn, bound):
    W = fn(FAN_IN, FAN_OUT, np.random.default_rng(1))
    assert np.abs(W).max() <= bound and np.abs(W).max() > 0.999 * bound


def test_kaiming_names_are_the_he_functions():
    assert init.kaiming_uniform is init.he_uniform and init.kaiming_normal is init.he_normal


@pytest.mark.parametrize("fn", [init.default_uniform, init.xavier_uniform, init.xavier_normal,
                                init.he_uniform, init.he_normal, init.normal, init.zeros])
def test_float32_dtype_and_seeding(fn):
    W = fn(3, 5, 42, dtype=np.float32)
    assert W.shape == (3, 5) and W.dtype == np.float32
    np.testing.assert_array_equal(W, fn(3, 5, np.random.default_rng(42), dtype=np.float32))


def test_zeros_is_all_zero():
    assert not init.zeros(2, 3).any()


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="fan_in must be >= 1"):
        init.xavier_uniform(0, 3)
    with pytest.raises(TypeError, match="fan_out must be an integer"):
        init.he_normal(3, 2.5)
    with pytest.raises(ValueError, match="gain must be > 0"):
        init.xavier_normal(3, 3, gain=-1.0)
    with pytest.raises(ValueError, match="std must be >= 0"):
        init.normal(3, 3, std=-0.1)
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        init.he_uniform(3, 3, dtype=np.int32)


def test_dense_with_an_initialiser_uses_it_for_W_and_starts_b_at_zero():
    layer = Dense(4, 3, rng=7, init=init.he_normal)
    np.testing.assert_array_equal(layer.W.data, init.he_normal(4, 3, 7))
    assert not layer.b.data.any()
    layer32 = Dense(4, 3, rng=7, dtype=np.float32, init=functools.partial(init.xavier_uniform, gain=2.0))
    assert layer32.W.data.dtype == layer32.b.data.dtype == np.float32


def test_he_init_keeps_the_signal_scale_through_ten_relu_layers_where_small_normal_vanishes():
    rng = np.random.default_rng(0)
    x0 = rng.normal(size=(64, 256))
    scales = {}
    for name, fn in [("he", init.he_normal), ("small", functools.partial(init.normal, std=0.01))]:
        x = x0
        for _ in range(10):
            x = np.maximum(x @ fn(256, 256, rng), 0)
        scales[name] = np.mean(x**2)
    assert 0.3 < scales["he"] < 3, f"mean square after 10 He layers: {scales['he']:.3g}, expected about 1"
    assert scales["small"] < 1e-6, f"mean square after 10 small layers: {scales['small']:.3g}"


def test_docstring_examples_run():
    result = doctest.testmod(init)
    assert result.attempted > 0 and result.failed == 0, str(result)
