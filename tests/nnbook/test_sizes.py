"""nnbook.sizes: parameter counts, memory and FLOPs checked against nnlib models, torch and the papers' numbers."""
import doctest
import re
from pathlib import Path

import numpy as np
import pytest

from nnlib import Dense, ReLU, Sequential, Sigmoid
from nnbook import sizes
from nnbook.sizes import (DTYPE_BYTES, KNOWN_MODELS, MIXED_PRECISION_ADAM_BYTES, adam_training_memory,
                         compute_days, count_module_parameters, count_parameters, forward_flops_per_example,
                         param_memory, training_flops, training_flops_per_example)

BIB = Path(__file__).resolve().parents[2] / "book" / "references.bib"
WIDTHS = [[784, 16, 16, 10], [784, 128, 10], [2, 2, 1], [5, 1], [3, 7, 7, 7, 7, 2], [100, 1, 100]]


def _torch_mlp(widths, torch):
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [torch.nn.Linear(a, b, dtype=torch.float64), torch.nn.Sigmoid()]
    return torch.nn.Sequential(*layers[:-1])


# -- eq-intro-params -----------------------------------------------------------
def test_digit_network_of_source_003_has_12960_weights_and_42_biases():
    assert count_parameters([784, 16, 16, 10]) == (12960, 42)
    assert sum(count_parameters([784, 16, 16, 10])) == 13002


def test_network_of_source_001_has_101770_parameters():
    assert count_parameters([784, 128, 10]) == (784 * 128 + 128 * 10, 128 + 10)
    assert sum(count_parameters([784, 128, 10])) == 101770


def test_without_bias_only_weights_are_counted():
    assert count_parameters([784, 16, 16, 10], bias=False) == (12960, 0)


@pytest.mark.parametrize("widths", WIDTHS)
def test_count_matches_an_nnlib_sequential_of_dense_layers(widths):
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [Dense(a, b, rng=0), Sigmoid()]
    model = Sequential(*layers)
    weights, biases = count_parameters(widths)
    assert count_module_parameters(model) == weights + biases
    assert sum(m.W.data.size for m in model if isinstance(m, Dense)) == weights
    assert sum(m.b.data.size for m in model if isinstance(m, Dense)) == biases


@pytest.mark.parametrize("widths", WIDTHS)
def test_count_matches_torch_linear_layers(widths):
    torch = pytest.importorskip("torch")
    net = _torch_mlp(widths, torch)
    assert sum(count_parameters(widths)) == sum(p.numel() for p in net.parameters())


def test_count_is_exact_for_huge_widths():
    w = 10**12
    assert count_parameters([w, w, w]) == (2 * w * w, 2 * w)


def test_numpy_integer_widths_are_accepted_and_ints_returned():
    weights, biases = count_parameters(np.array([784, 16, 16, 10]))
    assert (weights, biases) == (12960, 42) and type(weights) is int and type(biases) is int


@pytest.mark.parametrize("bad, error, words", [
    ([784], ValueError, "at least two"),
    ([784, 0, 10], ValueError, "widths[1]"),
    ([784, -3, 10], ValueError, ">= 1"),
    ([784, 16.5, 10], TypeError, "widths[1]"),
    ([784, True, 10], TypeError, "widths[1]"),
    ("784-16-10", TypeError, "list of layer sizes"),
    (784, TypeError, "list of layer sizes"),
])
def test_bad_widths_are_refused_with_a_message_naming_them(bad, error, words):
    with pytest.raises(error, match=re.escape(words)):
        count_parameters(bad)


def test_count_module_parameters_refuses_non_modules():
    with pytest.raises(TypeError, match="nnlib Module"):
        count_module_parameters([1, 2, 3])


def test_count_module_parameters_matches_the_source_001_model_in_torch():
    torch = pytest.importorskip("torch")
    fc1, fc2 = torch.nn.Linear(784, 128), torch.nn.Linear(128, 10)
    ours = Sequential(Dense(784, 128, rng=1), ReLU(), Dense(128, 10, rng=1))
    assert count_module_parameters(ours) == sum(p.numel() for p in [*fc1.parameters(), *fc2.parameters()])


# -- eq-intro-memory -----------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16", "int8"])
def test_bytes_per_number_agree_with_torch(dtype):
    torch = pytest.importorskip("torch")
    t = torch.zeros(1000, dtype=getattr(torch, dtype))
    assert param_memory(1000, dtype) == t.numel() * t.element_size()


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.int8])
def test_numpy_dtypes_give_their_itemsize(dtype):
    assert param_memory(10, dtype) == 10 * np.dtype(dtype).itemsize


def test_aliases_and_big_models():
    assert param_memory(7e9, "bf16") == param_memory(7e9, "bfloat16") == 14_000_000_000
    assert param_memory(175e9, "fp32") == 700e9
    assert param_memory(13002, "float64") == 104016
    assert type(param_memory(7e9, "bf16")) is int


@pytest.mark.parametrize("args, error, words", [
    ((10, "float8"), ValueError, "dtype must be one of"),
    ((10, "int4"), ValueError, "dtype must be one of"),
    ((-1, "float32"), ValueError, "n_params must be >= 0"),
    ((1.5, "float32"), ValueError, "whole number"),
    (("10", "float32"), TypeError, "n_params"),
    ((float("nan"), "float32"), ValueError, "finite"),
])
def test_param_memory_refuses_bad_input(args, error, words):
    with pytest.raises(error, match=words):
        param_memory(*args)


# -- eq-intro-adam --------------------------------------------------------------
def test_mixed_precision_adam_costs_16_bytes_per_parameter():
    assert sum(MIXED_PRECISION_ADAM_BYTES.values()) == 16
    assert adam_training_memory(1) == 16 and adam_training_memory(7e9) == 112e9


def test_adam_state_in_torch_is_two_fp32_numbers_per_parameter():
    torch = pytest.importorskip("torch")
    net = _torch_mlp([784, 16, 16, 10], torch).float()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net(torch.randn(4, 784)).square().sum().backward()
    opt.step()
    n = sum(p.numel() for p in net.parameters())
    moment_bytes = sum(s[k].numel() * s[k].element_size()
                       for s in opt.state.values() for k in ("exp_avg", "exp_avg_sq"))
    assert moment_bytes == n * (MIXED_PRECISION_ADAM_BYTES["fp32 Adam first moment m"]
                                + MIXED_PRECISION_ADAM_BYTES["fp32 Adam second moment v"])
    master = sum(p.numel() * p.element_size() for p in net.parameters())  # the fp32 weights
    assert master == n * MIXED_PRECISION_ADAM_BYTES["fp32 master copy of the weights"]
    half = sum(p.numel() * p.element_size() for p in net.to(torch.bfloat16).parameters())
    assert half == n * MIXED_PRECISION_ADAM_BYTES["bf16 weights (used in forward and backward)"]


# -- eq-intro-forward-flops, eq-intro-6nd and eq-intro-train-flops ---------------
@pytest.mark.parametrize("widths", WIDTHS)
def test_forward_flops_agree_with_torch_flop_counter(widths):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode
    net, batch = _torch_mlp(widths, torch), 7
    x = torch.randn(batch, widths[0], dtype=torch.float64)
    with FlopCounterMode(display=False) as counter:
        net(x)
    assert counter.get_total_flops() == batch * forward_flops_per_example(widths)


@pytest.mark.parametrize("widths", WIDTHS)
def test_forward_plus_backward_of_a_dense_net_costs_six_flops_per_weight_per_example(widths):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode
    net, batch = _torch_mlp(widths, torch), 5
    x = torch.randn(batch, widths[0], dtype=torch.float64, requires_grad=True)
    g = torch.randn(batch, widths[-1], dtype=torch.float64)  # a random upstream gradient
    with FlopCounterMode(display=False) as counter:
        (net(x) * g).sum().backward()
    weights, _ = count_parameters(widths)
    assert counter.get_total_flops() == training_flops(weights, batch) == 3 * batch * forward_flops_per_example(widths)


@pytest.mark.parametrize("widths", WIDTHS)
def test_eq_intro_train_flops_without_input_gradient_the_first_layer_saves_2_d0_d1(widths):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode
    net, batch = _torch_mlp(widths, torch), 3
    g = torch.randn(batch, widths[-1], dtype=torch.float64)
    with FlopCounterMode(display=False) as counter:  # ordinary training: the input is data, no gradient
        (net(torch.randn(batch, widths[0], dtype=torch.float64)) * g).sum().backward()
    weights, _ = count_parameters(widths)
    assert counter.get_total_flops() == batch * training_flops_per_example(widths)
    assert training_flops_per_example(widths) == 6 * weights - 2 * widths[0] * widths[1]
    assert training_flops_per_example(widths, input_grad=True) == training_flops(weights, 1)


def test_six_nd_overestimates_the_digit_network_by_about_48_percent():
    six_n, counted = training_flops(12960, 1), training_flops_per_example([784, 16, 16, 10])
    assert (int(six_n), counted) == (77760, 52672)
    assert six_n / counted - 1 == pytest.approx(0.476, abs=5e-4)
    assert 784 * 16 / 12960 == pytest.approx(0.968, abs=5e-4)  # the first layer's share of the weights


def test_six_nd_is_close_when_the_first_layer_is_a_small_share():
    widths = [64] + [1024] * 12 + [64]
    assert training_flops(count_parameters(widths)[0], 1) / training_flops_per_example(widths) < 1.01


@pytest.mark.parametrize("bad, error", [(([784, 16], "yes"), TypeError), (([784], False), ValueError),
                                        (("784-16", False), TypeError)])
def test_training_flops_per_example_refuses_bad_input(bad, error):
    with pytest.raises(error):
        training_flops_per_example(*bad)


def test_gpt3_training_compute_is_about_3_15e23_flops():
    assert training_flops(175e9, 300e9) == pytest.approx(3.15e23, rel=1e-12)
    assert training_flops(70e9, 1.4e12) == pytest.approx(5.88e23, rel=1e-12)
    assert training_flops(0, 10) == 0.0


@pytest.mark.parametrize("args, error", [((-1, 10), ValueError), ((1, -10), ValueError),
                                         ((1, "10"), TypeError), ((True, 10), TypeError)])
def test_training_flops_refuses_bad_input(args, error):
    with pytest.raises(error):
        training_flops(*args)


# -- eq-intro-days ---------------------------------------------------------------
def test_compute_days_divides_by_rate_devices_and_seconds_per_day():
    assert compute_days(8.64e19, 1e12) == pytest.approx(1000.0, rel=1e-12)
    assert compute_days(3.15e23, 125e12) == pytest.approx(3.15e23 / 125e12 / 86400, rel=1e-12)
    assert compute_days(3.15e23, 125e12, n_devices=1024) == pytest.approx(compute_days(3.15e23, 125e12) / 1024)


@pytest.mark.parametrize("args, error", [((1e20, 0), ValueError), ((1e20, -1), ValueError),
                                         ((-1, 1e12), ValueError), ((1e20, 1e12, 0), ValueError),
                                         ((1e20, 1e12, 2.5), TypeError)])
def test_compute_days_refuses_bad_input(args, error):
    with pytest.raises(error):
        compute_days(*args)


# -- the table of published models ---------------------------------------------
def test_known_models_are_cited_with_keys_of_the_bibliography():
    keys = set(re.findall(r"@\w+\{([^,]+),", BIB.read_text(encoding="utf-8")))
    for m in KNOWN_MODELS:
        assert m.cite in keys, f"{m.name}: citation key {m.cite!r} is not in references.bib"


def test_known_models_hold_the_published_numbers():
    table = {m.name: m for m in KNOWN_MODELS}
    assert len(table) == len(KNOWN_MODELS), "model names must be unique"
    assert table["GPT-3"].parameters == 175e9 and table["GPT-3"].tokens == 300e9
    assert table["Chinchilla"].parameters == 70e9 and table["Chinchilla"].tokens == 1.4e12
    assert table["BERT-base"].parameters == 110e6 and table["BERT-large"].parameters == 340e6
    assert table["LeNet-5"].parameters == 6e4 and table["AlexNet"].parameters == 6e7
    years = [m.year for m in KNOWN_MODELS]
    assert years == sorted(years)
    for m in KNOWN_MODELS:
        assert m.parameters > 0 and (m.tokens is None or m.tokens > 0)


def test_dtype_table_has_the_sizes_of_the_standard():
    assert DTYPE_BYTES == {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}


def test_docstring_examples_run():
    result = doctest.testmod(sizes)
    assert result.attempted >= 8 and result.failed == 0


@pytest.mark.parametrize("x, unit, text", [
    (175e9, "", "175 B"), (13002, "", "13 k"), (101770, "", "102 k"), (999, "", "999"), (0, "", "0"),
    (14e9, "B", "14 GB"), (1.12e12, "B", "1.12 TB"), (52008, "B", "52 kB"), (25920, "FLOP", "25.9 kFLOP"),
    (3.4e8, "", "340 M"), (12, "B", "12 B"),
])
def test_format_size_uses_three_digits_and_decimal_prefixes(x, unit, text):
    assert sizes.format_size(x, unit) == text


def test_format_size_refuses_non_numbers():
    with pytest.raises(TypeError, match="x must be"):
        sizes.format_size("7B")


@pytest.mark.parametrize("H", [1, 16, 128, 83_269])
def test_two_hidden_layers_of_width_h_have_h2_plus_796h_plus_10_parameters(H):
    assert sum(count_parameters([784, H, H, 10])) == H * H + 796 * H + 10


@pytest.mark.parametrize("H", [1, 16, 128, 8192])
def test_one_hidden_layer_of_width_h_has_795h_plus_10_parameters_linear_in_h(H):
    assert sum(count_parameters([784, H, 10])) == (784 + 1 + 10) * H + 10 == 795 * H + 10


def test_doubling_the_width_doubles_one_hidden_layer_and_nearly_quadruples_two_when_h_is_large():
    def growth(depth, h):
        return sum(count_parameters([784] + [2 * h] * depth + [10])) / sum(count_parameters([784] + [h] * depth + [10]))
    assert growth(1, 16) == pytest.approx(2.0, abs=0.01) and growth(1, 8192) == pytest.approx(2.0, abs=1e-3)
    assert growth(2, 16) == pytest.approx(2.04, abs=0.01)      # H << D0: still nearly linear
    assert growth(2, 8192) == pytest.approx(3.82, abs=0.01)    # H >> D0: close to 4
    assert growth(2, 10**6) == pytest.approx(4.0, abs=0.01)


def test_two_hidden_layers_of_8192_overtake_alexnet_within_the_calculators_range():
    from nnbook.experiments.introduction import HIDDEN_WIDTHS
    alexnet = next(m for m in KNOWN_MODELS if m.name == "AlexNet")
    assert "8192" in HIDDEN_WIDTHS
    assert sum(count_parameters([784, 8192, 8192, 10])) == 73_629_706 > alexnet.parameters


def test_a_small_update_is_lost_in_bfloat16_but_kept_in_float32():
    torch = pytest.importorskip("torch")
    assert (torch.tensor(1.0, dtype=torch.bfloat16) + 0.001).item() == 1.0
    assert (torch.tensor(1.0, dtype=torch.float32) + 0.001).item() > 1.0
