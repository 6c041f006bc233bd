"""Live controls for the book's experiments (ipywidgets 7.7 and 8).

``live(experiment)`` builds one control per :class:`~nnlib.experiments.Control`
and redraws the experiment's figure whenever a control changes. Only the
widget classes shared by ipywidgets 7.7 (what Colab ships) and 8 are used.
"""
from __future__ import annotations

from .experiments.core import Control, Experiment

__all__ = ["live", "make_control"]


def make_control(control: Control):
    """The ipywidgets control for one :class:`Control`."""
    import ipywidgets as widgets

    style = {"description_width": "initial"}
    layout = widgets.Layout(width="320px")
    if control.options is not None:
        return widgets.Dropdown(options=list(control.options), value=control.default,
                                description=control.label, style=style, layout=layout)
    cls = widgets.IntSlider if all(float(v).is_integer() for v in (control.low, control.high, control.step, control.default)) \
        and isinstance(control.default, int) else widgets.FloatSlider
    return cls(value=control.default, min=control.low, max=control.high, step=control.step,
               description=control.label, continuous_update=False, style=style, layout=layout)


def live(experiment: Experiment, **initial):
    """Controls and a figure that is redrawn whenever a control moves.

    Parameters
    ----------
    experiment : Experiment
    **initial
        Starting values that override the controls' defaults.

    Returns
    -------
    ipywidgets.VBox
        Display it (it is the value of the cell). ``box.controls`` maps each
        control name to its widget and ``box.results`` records what the last
        update computed, which is what the tests look at.
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
        plt.show()

    out = widgets.interactive_output(update, controls)
    box = widgets.VBox([widgets.HTML(f"<b>{experiment.title}</b>"),
                        widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap")), out])
    box.controls = controls
    box.results = results
    return box
