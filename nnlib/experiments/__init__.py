"""The book's interactive experiments, each defined once.

An :class:`Experiment` is a pure function from parameters (the controls) to
the numbers a figure shows, plus a function that draws those numbers with
matplotlib. :func:`nnlib.widgets.live` turns one into ipywidgets controls in
Jupyter, JupyterLab and Colab; the tests call ``compute`` directly, without a
kernel. Each chapter's experiments live in a module of this package.
"""
from .core import Control, Experiment
from .neuron import neuron_experiment, neuron_response

__all__ = ["Control", "Experiment", "neuron_experiment", "neuron_response", "REGISTRY"]

REGISTRY = {e.name: e for e in [neuron_experiment]}
