"""Live views: an experiment's figure updated in place looks exactly like one drawn afresh.

``nnbook.widgets.live`` draws each experiment's figure once and then moves
its artists (the updater its ``draw`` returns) whenever a control moves;
the HTML book's frames and ``Experiment.figure`` draw afresh. For every
experiment of the book, a reader's path through the controls
(``Experiment.walk``) is taken both ways and the rendered pixels compared.
"""
import matplotlib
import numpy as np
import pytest

from nnbook.experiments import REGISTRY, Control, Experiment
from nnbook.experiments.core import FigureView
from nnbook.widgets import live

matplotlib.use("Agg")

STEPS = 6


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_updated_figure_equals_a_fresh_drawing(name):
    experiment = REGISTRY[name]
    view = FigureView(experiment)
    view.show(experiment.run())
    for params in experiment.walk(STEPS):
        result = experiment.run(**params)
        view.show(result)
        assert view.pixels_unlike_fresh() == 0, f"{name} at {params}: the updated figure differs from a fresh one"
    assert view.updates > 0, f"{name}: every change drew the figure afresh; its draw returns no working updater"


#: Settings a reader's walk may miss, where a figure changes most (each relative to the defaults).
EDGE_PATHS = {
    "activations": [dict(activation="relu", angle=0.0), dict(activation="tanh", angle=90.0),  # line appears, goes
                    dict(activation="sigmoid", angle=0.0, scale=4.0), dict(activation="linear", bias=-1.5)],
    "deep": [dict(normalisation="batchnorm"),                              # norms within two decades: fixed limits
             dict(depth=26, activation="relu", initialisation="normal 1"),  # diverges
             dict(depth=2, activation="tanh", initialisation="he"),         # two layers
             dict(depth=14)],                                                # vanishing: the axis fits the norms
}


@pytest.mark.parametrize("name", sorted(EDGE_PATHS))
def test_updated_figure_equals_a_fresh_drawing_at_the_edges(name):
    experiment = REGISTRY[name]
    view = FigureView(experiment)
    view.show(experiment.run())
    for params in EDGE_PATHS[name]:
        view.show(experiment.run(**params))
        assert view.pixels_unlike_fresh() == 0, params
    assert view.updates == len(EDGE_PATHS[name]) and view.fresh_draws == 1


def test_walk_moves_one_control_at_a_time_and_visits_every_control():
    for experiment in REGISTRY.values():
        path = [experiment.defaults()] + experiment.walk(2 * len(experiment.controls))
        moved = set()
        for before, after in zip(path, path[1:]):
            changed = [k for k in before if before[k] != after[k]]
            assert len(changed) == 1, (experiment.name, before, after)
            moved.update(changed)
        assert moved == {c.name for c in experiment.controls if len(c.values(5)) > 1}


def _counting_experiment(updater_result):
    """A tiny experiment whose updater returns ``updater_result``; counts the fresh drawings."""
    drawn = []

    def draw(result, fig):
        ax = fig.add_subplot()
        (line,) = ax.plot([0, 1], [0, result["y"]])
        drawn.append(result["y"])

        def update(new):
            line.set_ydata([0, new["y"]])
            return updater_result
        return update

    exp = Experiment(name="t", title="t", controls=[Control("y", "y", 1.0, 0.0, 2.0, 0.5)],
                     compute=lambda y: {"y": y}, draw=draw)
    return exp, drawn


def test_view_uses_the_updater_and_falls_back_to_a_fresh_drawing_when_it_declines():
    exp, drawn = _counting_experiment(True)
    view = FigureView(exp)
    for y in (1.0, 0.5, 2.0):
        view.show(exp.run(y=y))
    assert drawn == [1.0] and (view.fresh_draws, view.updates) == (1, 2)
    exp, drawn = _counting_experiment(False)
    view = FigureView(exp)
    for y in (1.0, 0.5):
        view.show(exp.run(y=y))
    assert drawn == [1.0, 0.5] and (view.fresh_draws, view.updates) == (2, 0)


def test_png_keeps_what_sticks_out_of_the_figure():
    """The neuron's legend sits below the axes, partly outside the figure box: the crop keeps it."""
    view = FigureView(REGISTRY["neuron"])
    view.show(REGISTRY["neuron"].run())
    png = view.png()
    assert png.startswith(b"\x89PNG")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    fig_w, fig_h = (v * view.figure.dpi for v in REGISTRY["neuron"].figsize)
    assert width >= fig_w and height >= fig_h


def test_live_image_follows_the_controls_and_times_each_update():
    box = live(REGISTRY["neuron"])
    first = bytes(box.image.value)
    assert first.startswith(b"\x89PNG") and len(box.results) == 1
    box.controls["b"].value = 0.5
    assert bytes(box.image.value) != first and len(box.results) == 2 and box.results[-1]["distance"] > 0
    assert box.view.updates == 1 and box.view.fresh_draws == 1
    assert len(box.timings) == 2 and all(t["compute"] >= 0 and t["draw"] > 0 for t in box.timings)
    assert box.image.format == "png"


def test_live_refuses_unknown_starting_values():
    with pytest.raises(TypeError, match="no control"):
        live(REGISTRY["neuron"], w3=1.0)


def test_a_setting_the_experiment_refuses_leaves_the_last_figure_and_raises_where_shown():
    """Outside a kernel the error propagates (in Jupyter the Output widget under the figure shows it)."""
    def compute(y):
        if y > 1.5:
            raise ValueError("y above 1.5 is refused")
        return {"y": y}

    def draw(result, fig):
        fig.add_subplot().plot([0, 1], [0, result["y"]])

    exp = Experiment(name="t", title="t", controls=[Control("y", "y", 1.0, 0.0, 2.0, 0.5)], compute=compute, draw=draw)
    box = live(exp)
    shown = bytes(box.image.value)
    with pytest.raises(ValueError, match="refused"):
        box.controls["y"].value = 2.0
    assert bytes(box.image.value) == shown and len(box.results) == 1
    box.controls["y"].value = 0.5
    assert bytes(box.image.value) != shown and box.results[-1]["y"] == 0.5


def test_a_draw_that_returns_something_other_than_an_updater_is_drawn_afresh_each_time():
    exp = Experiment(name="t", title="t", controls=[Control("y", "y", 1.0, 0.0, 2.0, 0.5)],
                     compute=lambda y: {"y": y}, draw=lambda r, fig: fig.add_subplot().plot([0, r["y"]]))
    view = FigureView(exp)
    for y in (1.0, 0.5, 2.0):
        view.show(exp.run(y=y))
    assert (view.fresh_draws, view.updates) == (3, 0)
    np.testing.assert_array_equal(view.figure.axes[0].lines[0].get_ydata(), [0, 2.0])


def test_pixels_unlike_fresh_counts_what_a_wrong_updater_leaves_behind():
    """The check itself can fail: an updater that forgets to move the line is caught."""
    def draw(result, fig):
        (line,) = fig.add_subplot().plot([0, 1], [0, result["y"]])
        fig.axes[0].set_ylim(0, 2)
        return lambda new: True  # claims to update but moves nothing

    exp = Experiment(name="t", title="t", controls=[Control("y", "y", 1.0, 0.0, 2.0, 0.5)],
                     compute=lambda y: {"y": y}, draw=draw)
    view = FigureView(exp)
    view.show(exp.run(y=1.0))
    assert view.pixels_unlike_fresh() == 0
    view.show(exp.run(y=2.0))
    assert view.pixels_unlike_fresh() > 100


def test_png_encoder_round_trips_through_pillow():
    import io

    from PIL import Image

    from nnbook.experiments.core import encode_png

    rng = np.random.default_rng(0)
    opaque = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    opaque[..., 3] = 255
    see_through = opaque.copy()
    see_through[3, 5, 3] = 17
    for image, mode in ((opaque, "RGB"), (see_through, "RGBA")):
        for level in (0, 3, 9):
            decoded = Image.open(io.BytesIO(encode_png(image, level)))
            assert decoded.mode == mode and decoded.size == (53, 37)
            assert np.array_equal(np.asarray(decoded), image[..., :len(mode)])
    view = FigureView(REGISTRY["deep"])
    view.show(REGISTRY["deep"].run())
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(view.png())).convert("RGBA")), view.rgba())
    for bad in (np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 4)), np.zeros((0, 4, 4), np.uint8)):
        with pytest.raises(ValueError, match="uint8 image"):
            encode_png(bad)
