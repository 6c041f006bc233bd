"""The network-size calculator of the introduction chapter: numbers, validation, drawing and live controls."""

import numpy as np
import pytest

from nnbook.experiments import REGISTRY, network_size, network_size_experiment
from nnbook.sizes import KNOWN_MODELS, count_parameters


def test_default_is_the_784_16_16_10_network_of_source_003():
    r = network_size_experiment.run()
    assert r["widths"] == [784, 16, 16, 10]
    assert (r["weights"], r["biases"], r["parameters"]) == (12960, 42, 13002)
    assert r["bytes_float32"] == 4 * 13002 and r["bytes_bfloat16"] == 2 * 13002
    assert r["flops_per_example"] == 2 * 12960
    assert len(r["smaller_than"]) == len(KNOWN_MODELS)  # every published model is larger
    assert r["mine"] == 0 and r["names"][0] == "your network"


@pytest.mark.parametrize("params, widths", [
    (dict(n_hidden=1, hidden_width=128), [784, 128, 10]),
    (dict(n_hidden=0), [784, 10]),
    (dict(input_size=4096, n_hidden=12, hidden_width=4096, output_size=1000), [4096] + [4096] * 12 + [1000]),
])
def test_numbers_match_count_parameters(params, widths):
    r = network_size(**params)
    weights, biases = count_parameters(widths)
    assert r["widths"] == widths and r["parameters"] == weights + biases
    assert r["bytes_bfloat16"] == 2 * (weights + biases) and r["flops_per_example"] == 2 * weights


def test_784_128_10_has_101770_parameters_and_big_settings_pass_published_models():
    assert network_size(n_hidden=1, hidden_width=128)["parameters"] == 101770
    big = network_size(input_size=4096, n_hidden=12, hidden_width=4096, output_size=1000)
    assert big["parameters"] == 205_472_744
    assert sorted(big["smaller_than"]) == sorted(m.name for m in KNOWN_MODELS if m.parameters > 205_472_744)
    assert big["label"] == "4096-4096×12-1000"


def test_models_are_sorted_by_size_with_the_network_among_them():
    r = network_size(n_hidden=3, hidden_width=2048)
    assert np.all(np.diff(r["sizes"]) >= 0)
    assert r["sizes"][r["mine"]] == r["parameters"] and len(r["names"]) == len(KNOWN_MODELS) + 1
    assert r["mine"] == sum(m.parameters < r["parameters"] for m in KNOWN_MODELS)


@pytest.mark.parametrize("bad", [dict(input_size=0), dict(n_hidden=-1), dict(hidden_width=2.5), dict(output_size=True),
                                 dict(hidden_width="wide"), dict(n_hidden="2")])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        network_size(**bad)


def test_registered_with_static_controls_that_exist():
    assert REGISTRY["network_size"] is network_size_experiment
    names = {c.name for c in network_size_experiment.controls}
    assert set(network_size_experiment.static) <= names and 1 <= len(network_size_experiment.static) <= 2
    for c in network_size_experiment.controls:  # every frame of the static HTML and both ends of each slider
        values = c.values(25) if c.name in network_size_experiment.static else [c.low, c.default, c.high]
        for v in values:
            assert network_size_experiment.run(**{c.name: v})["parameters"] > 0


def test_static_frames_are_few_and_widths_are_powers_of_two():
    static = [c for c in network_size_experiment.controls if c.name in network_size_experiment.static]
    assert np.prod([len(c.values(25)) for c in static]) <= 60  # the HTML book's frame budget
    widths = [int(v) for v in next(c for c in static if c.name == "hidden_width").values()]
    assert widths == [2**k for k in range(4, 15)] and 16 in widths and 128 in widths


def test_hidden_width_may_be_the_drop_down_string_or_an_int():
    a, b = network_size(hidden_width="128", n_hidden=1), network_size(hidden_width=128, n_hidden=1)
    assert a["widths"] == b["widths"] == [784, 128, 10] and a["parameters"] == b["parameters"] == 101770


def test_figure_draws_bars_for_every_model_and_the_network():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = network_size_experiment.figure(n_hidden=4, hidden_width=1024)
    ax = fig.axes[0]
    assert len(ax.patches) == len(KNOWN_MODELS) + 1 and ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_yticklabels()].count("your network") == 1
    plt.close(fig)


def test_live_controls_recompute_when_moved():
    pytest.importorskip("ipywidgets")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from nnbook.widgets import live
    box = live(network_size_experiment)
    before = len(box.results)
    box.controls["hidden_width"].value = "128"
    assert len(box.results) > before and box.results[-1]["widths"] == [784, 128, 128, 10]
    box.controls["n_hidden"].value = 1
    assert box.results[-1]["parameters"] == 101770


def test_control_values_stay_on_the_step_grid_and_keep_both_ends():
    from nnbook.experiments import Control
    depth = Control("n", "n", 2, 0, 6, 1)
    assert depth.values(5) == [0.0, 2.0, 3.0, 4.0, 6.0] and depth.values() == [float(k) for k in range(7)]
    assert depth.values(2) == [0.0, 6.0]
    fine = Control("w", "w", 1.0, -3.0, 3.0, 0.25)
    assert fine.values(25) == [float(v) for v in np.linspace(-3, 3, 25)]
    out = Control("o", "o", 10, 1, 1000, 1).values(5)
    assert out[0] == 1 and out[-1] == 1000 and all(float(v).is_integer() for v in out)


def test_live_view_moves_the_highlight_as_the_network_passes_published_models():
    """The updater recolours bars and tick labels in place: the same pixels as a fresh drawing."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from nnbook.experiments.core import FigureView
    view = FigureView(network_size_experiment)
    view.show(network_size_experiment.run())
    places = []
    for width in ("1024", "16384", "16"):
        result = network_size_experiment.run(n_hidden=4, hidden_width=width)
        view.show(result)
        assert view.pixels_unlike_fresh() == 0, width
        label = view.figure.axes[0].get_yticklabels()[result["mine"]]
        assert (label.get_text(), label.get_color()) == ("your network", "tab:orange")
        places.append(result["mine"])
    assert len(set(places)) == 3, places
    assert (view.fresh_draws, view.updates) == (1, 3)
