"""Live controls for the book's experiments (ipywidgets 7.7 and 8).

``live(experiment)`` builds one control per :class:`~nnbook.experiments.Control`
and redraws the experiment's figure whenever a control changes: the figure
is drawn once and then updated in place (see
:class:`~nnbook.experiments.core.FigureView`), and shown as a PNG image. Only the
widget classes shared by ipywidgets 7.7 (what Colab ships) and 8 are used.

The value it returns displays as a live widget in Jupyter, JupyterLab and
Colab, and carries a second representation, ``text/html``: a placeholder that
the HTML book (which has no kernel) replaces at build time with controls over
frames precomputed for the experiment's ``static`` controls. Which of the two
a page shows is decided by the book's configuration (myst-nb's mime-type
priority), not by the notebook.
"""
from __future__ import annotations

import html
import json
import time

from .experiments.ahead import AHEAD
from .experiments.core import Control, Experiment, FigureView
from .figure_text import control_label

__all__ = ["live", "make_control", "LiveExperiment", "static_placeholder"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def make_control(control: Control):
    """The ipywidgets control for one :class:`Control`."""
    import ipywidgets as widgets

    style = {"description_width": "initial"}
    layout = widgets.Layout(width="300px")
    if control.options is not None:
        return widgets.Dropdown(options=list(control.options), value=control.default,
                                description=control_label(control.label), style=style, layout=layout)
    cls = widgets.IntSlider if control.is_integer else widgets.FloatSlider
    return cls(value=control.default, min=control.low, max=control.high, step=control.step,
               description=control_label(control.label), continuous_update=False, style=style, layout=layout)


def static_placeholder(experiment: Experiment, params: dict) -> str:
    """The ``text/html`` the HTML book replaces with its kernel-free version."""
    data = html.escape(json.dumps(params, sort_keys=True), quote=True)
    return (
        f'<div class="nnbook-experiment" data-experiment="{html.escape(experiment.name)}" '
        f'data-params="{data}"><p><em>{html.escape(experiment.title)}</em>: this experiment '
        "has live controls when the notebook runs in Jupyter or Colab.</p></div>"
    )


def _ipython():
    """The running IPython shell, or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - installed with ipywidgets
        return None
    return get_ipython()


class LiveExperiment:
    """What :func:`live` returns: the widget plus the static placeholder.

    Attributes
    ----------
    widget : ipywidgets.VBox
    controls : dict
        Control name to its widget; setting ``controls[name].value`` redraws.
    image : ipywidgets.Image
        The figure, as PNG bytes.
    view : nnbook.experiments.core.FigureView
        The figure behind the image, drawn once and then updated.
    results : list of dict
        What each update computed, newest last (the tests look at it).
    timings : list of dict
        Seconds each update spent computing (``compute``) and drawing and
        rendering the PNG (``draw``), newest last (the benchmarks read it).
    """

    def __init__(self, experiment: Experiment, widget, controls: dict, image, view, params: dict):
        self.experiment = experiment
        self.widget = widget
        self.controls = controls
        self.image = image
        self.view = view
        self.results = []
        self.timings = []
        self._params = params

    def update(self, moved: bool = False) -> None:
        """Recompute with the controls' current values and redraw (called with ``moved=True`` when one moves).

        Work done ahead of the reader waits while this runs. Once the reader
        has moved a control, an experiment with ``ahead`` gets the work for
        the settings one move further started in the background.
        """
        params = {name: w.value for name, w in self.controls.items()}
        with AHEAD.paused():
            t0 = time.perf_counter()
            result = self.experiment.run(**params)
            t1 = time.perf_counter()
            self.view.show(result)
            self.image.value = self.view.png()
            t2 = time.perf_counter()
        self.results.append(result)
        self.timings.append({"compute": t1 - t0, "draw": t2 - t1})
        if moved and self.experiment.ahead is not None:
            AHEAD.watch_cells(_ipython())  # in a notebook: work only while no cell runs
            AHEAD.schedule(self.experiment.ahead(**params))

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/plain": f"<live experiment {self.experiment.name!r}: {self.experiment.title}>",
            "text/html": static_placeholder(self.experiment, self._params),
            WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": self.widget.model_id},
        }

    def __repr__(self) -> str:
        return f"LiveExperiment({self.experiment.name!r}, controls={sorted(self.controls)})"


def live(experiment: Experiment, **initial) -> LiveExperiment:
    """Controls and a figure that is redrawn whenever a control moves.

    The figure is one :class:`~nnbook.experiments.core.FigureView` shown as
    an ``ipywidgets.Image``: a moved control recomputes the experiment,
    updates the artists already drawn and renders one PNG, instead of
    building a new figure and letting the inline backend render it twice.
    An error (a setting the experiment refuses) is shown under the figure.

    Parameters
    ----------
    experiment : Experiment
    **initial
        Starting values that override the controls' defaults.

    Returns
    -------
    LiveExperiment
        Display it (make it the value of the cell).
    """
    import ipywidgets as widgets

    unknown = set(initial) - {c.name for c in experiment.controls}
    if unknown:
        raise TypeError(f"experiment {experiment.name!r} has no control(s) {sorted(unknown)}")
    controls = {}
    for c in experiment.controls:
        w = make_control(c)
        if c.name in initial:
            w.value = initial[c.name]
        controls[c.name] = w
    # at its own size (a VBox would stretch it to the full width), shrunk only on narrow screens
    image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto", align_self="flex-start"))
    errors = widgets.Output()
    box = widgets.VBox([widgets.HTML(f"<b>{html.escape(experiment.title)}</b>"),
                        widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap")),
                        image, errors])
    params = {**experiment.defaults(), **initial}
    view = FigureView(experiment)
    result = LiveExperiment(experiment, box, controls, image, view, params)
    failed = []

    def on_change(change):
        if failed:  # clear the last error message once a setting works again
            errors.clear_output()
            failed.clear()
        with errors:  # the Output widget shows an exception raised inside it
            try:
                result.update(moved=True)
            except Exception:
                failed.append(True)
                raise

    for w in controls.values():
        w.observe(on_change, names="value")
    result.update()
    return result
