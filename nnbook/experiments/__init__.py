"""The book's interactive experiments, each defined once.

An :class:`Experiment` is a pure function from parameters (the controls) to
the numbers a figure shows, plus a function that draws those numbers with
matplotlib. :func:`nnbook.widgets.live` turns one into ipywidgets controls in
Jupyter, JupyterLab and Colab; the tests call ``compute`` directly, without a
kernel. Each chapter's experiments live in a module of this package.
"""
from .core import Control, Experiment
from .neuron import neuron_experiment, neuron_response
from .introduction import network_size, network_size_experiment
from .losses import loss_explorer_experiment, loss_surface_experiment, softmax_temperature_experiment
from .gradient_descent import optimizer_race, race_experiment
from .deep import deep_experiment, deep_gradients
from .activations import activations_experiment, bend_plane, chain_gradient
from .backprop import backprop_steps_experiment, xor_training_experiment
from .digits import digits_lab, digits_lab_experiment
from .frameworks import speed_comparison, speed_experiment, time_training_step

__all__ = ["Control", "Experiment", "neuron_experiment", "neuron_response", "REGISTRY"]
__all__ += ["network_size", "network_size_experiment"]
__all__ += ["optimizer_race", "race_experiment"]
__all__ += ["loss_explorer_experiment", "softmax_temperature_experiment", "loss_surface_experiment"]
__all__ += ["deep_experiment", "deep_gradients"]
__all__ += ["activations_experiment", "bend_plane", "chain_gradient"]
__all__ += ["backprop_steps_experiment", "xor_training_experiment"]
__all__ += ["digits_lab", "digits_lab_experiment"]
__all__ += ["speed_comparison", "speed_experiment", "time_training_step"]

REGISTRY = {e.name: e for e in [neuron_experiment]}
REGISTRY[network_size_experiment.name] = network_size_experiment
REGISTRY[race_experiment.name] = race_experiment
REGISTRY.update({e.name: e for e in [loss_explorer_experiment, softmax_temperature_experiment, loss_surface_experiment]})
REGISTRY[deep_experiment.name] = deep_experiment
REGISTRY[activations_experiment.name] = activations_experiment
REGISTRY.update({e.name: e for e in [backprop_steps_experiment, xor_training_experiment]})
REGISTRY[digits_lab_experiment.name] = digits_lab_experiment
REGISTRY[speed_experiment.name] = speed_experiment
