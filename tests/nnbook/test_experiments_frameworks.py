"""The frameworks chapter's experiment: nnlib vs torch step times (shapes, not numbers)."""
import numpy as np
import pytest

from nnbook.experiments import REGISTRY, speed_comparison, speed_experiment

pytest.importorskip("torch")


def test_registered_with_two_static_controls():
    assert REGISTRY["framework_speed"] is speed_experiment
    assert tuple(speed_experiment.static) == ("log2_hidden", "log2_batch")
    assert [len(c.values(25)) for c in speed_experiment.controls] == [5, 10]


@pytest.mark.parametrize("k, m", [(4, 0), (7, 6), (6.0, 3.0)])
def test_compute_times_both_libraries_and_returns_their_ratio(k, m):
    r = speed_comparison(k, m, steps=3)
    assert r["hidden"] == 2 ** int(k) and r["batch"] == 2 ** int(m)
    assert r["widths"] == (64, 2 ** int(k), 10)
    for lib in ("nnlib", "torch"):
        assert r[lib].shape == (3,) and np.all(r[lib] > 0)
    assert r["ratio"] == pytest.approx(r["nnlib"].min() / r["torch"].min(), rel=1e-12)


def test_compute_refuses_exponents_that_are_not_whole_numbers():
    for bad in (3.5, -1, 13, True):
        with pytest.raises(ValueError, match="whole number from 0 to 12"):
            speed_comparison(log2_hidden=bad)


def test_draw_makes_two_panels():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = speed_experiment.figure(log2_hidden=4, log2_batch=2)
    assert len(fig.axes) == 2 and fig.axes[1].get_xscale() == "log"
    plt.close(fig)



def _timings(nnlib_ms, torch_ms):
    """A result of speed_comparison with chosen step times (milliseconds), to draw."""
    nn, th = np.array(nnlib_ms) / 1e3, np.array(torch_ms) / 1e3
    return {"hidden": 16, "batch": 1, "widths": (64, 16, 10), "nnlib": nn, "torch": th,
            "ratio": float(nn.min() / th.min())}


def test_updated_figure_widens_the_ratio_scale_like_a_fresh_drawing():
    import matplotlib
    matplotlib.use("Agg")
    from nnbook.experiments.core import FigureView

    view = FigureView(speed_experiment)
    view.show(_timings([1.0, 1.2], [0.5, 0.6]))
    # ratios 1/30 and 30 lie beyond the usual scale 0.1 to 10, which then widens
    for nnlib_ms, torch_ms in (([0.1, 0.2], [3.0, 3.5]), ([30.0, 31.0], [1.0, 1.5]), ([1.0, 1.0], [1.0, 1.1])):
        result = _timings(nnlib_ms, torch_ms)
        view.show(result)
        assert view.pixels_unlike_fresh() == 0, f"ratio {result['ratio']:.3g}: unlike a fresh drawing"
    assert (view.fresh_draws, view.updates) == (1, 3)

def test_live_widget_recomputes_when_a_control_moves():
    pytest.importorskip("ipywidgets")
    import matplotlib
    matplotlib.use("Agg")
    from nnbook.widgets import live

    box = live(speed_experiment)
    assert len(box.results) == 1 and box.results[-1]["hidden"] == 128
    box.controls["log2_batch"].value = 2
    assert len(box.results) == 2 and box.results[-1]["batch"] == 4
    box.controls["log2_hidden"].value = 5
    assert len(box.results) == 3 and box.results[-1]["widths"] == (64, 32, 10)
    assert 'data-experiment="framework_speed"' in box._repr_mimebundle_()["text/html"]
