"""Live controls for the book's experiments (ipywidgets 7.7 and 8).

``live(experiment)`` builds one control per :class:`~nnlib.experiments.Control`
and redraws the experiment's figure whenever a control changes. Only the
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

from .experiments.core import Control, Experiment

__all__ = ["live", "make_control", "LiveExperiment", "static_placeholder"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def make_control(control: Control):
    """The ipywidgets control for one :class:`Control`."""
    import ipywidgets as widgets

    style = {"description_width": "initial"}
    layout = widgets.Layout(width="300px")
    if control.options is not None:
        return widgets.Dropdown(options=list(control.options), value=control.default,
                                description=control.label, style=style, layout=layout)
    cls = widgets.IntSlider if control.is_integer else widgets.FloatSlider
    return cls(value=control.default, min=control.low, max=control.high, step=control.step,
               description=control.label, continuous_update=False, style=style, layout=layout)


def static_placeholder(experiment: Experiment, params: dict) -> str:
    """The ``text/html`` the HTML book replaces with its kernel-free version."""
    data = html.escape(json.dumps(params, sort_keys=True), quote=True)
    return (
        f'<div class="nnbook-experiment" data-experiment="{html.escape(experiment.name)}" '
        f'data-params="{data}"><p><em>{html.escape(experiment.title)}</em>: this experiment '
        "has live controls when the notebook runs in Jupyter or Colab.</p></div>"
    )


class LiveExperiment:
    """What :func:`live` returns: the widget plus the static placeholder.

    Attributes
    ----------
    widget : ipywidgets.VBox
    controls : dict
        Control name to its widget; setting ``controls[name].value`` redraws.
    results : list of dict
        What each update computed, newest last (the tests look at it).
    """

    def __init__(self, experiment: Experiment, widget, controls: dict, results: list, params: dict):
        self.experiment = experiment
        self.widget = widget
        self.controls = controls
        self.results = results
        self._params = params

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
    import matplotlib.pyplot as plt

    unknown = set(initial) - {c.name for c in experiment.controls}
    if unknown:
        raise TypeError(f"experiment {experiment.name!r} has no control(s) {sorted(unknown)}")
    controls = {}
    for c in experiment.controls:
        w = make_control(c)
        if c.name in initial:
            w.value = initial[c.name]
        controls[c.name] = w
    results = []

    def update(**params):  # runs inside the Output widget, which clears itself first
        result = experiment.run(**params)
        results.append(result)
        fig = plt.figure(figsize=experiment.figsize)
        experiment.draw(result, fig)
        plt.show()  # the inline backend displays the figure here
        plt.close(fig)

    out = widgets.interactive_output(update, controls)
    box = widgets.VBox([widgets.HTML(f"<b>{html.escape(experiment.title)}</b>"),
                        widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap")),
                        out])
    params = {**experiment.defaults(), **initial}
    return LiveExperiment(experiment, box, controls, results, params)
