"""The two small types every experiment is made of."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np


@dataclass(frozen=True)
class Control:
    """One control of an experiment: a slider over numbers or a choice.

    Parameters
    ----------
    name : str
        Keyword argument of the experiment's ``compute`` it sets.
    label : str
        What the reader sees next to the control.
    default : float, int or str
    low, high, step : float, optional
        Range and step of a numeric slider.
    options : sequence of str, optional
        The choices of a drop-down (then low/high/step are unused).
    """

    name: str
    label: str
    default: Any
    low: float | None = None
    high: float | None = None
    step: float | None = None
    options: Sequence[str] | None = None

    def __post_init__(self):
        if self.options is None:
            if None in (self.low, self.high, self.step):
                raise ValueError(f"control {self.name!r} needs low, high and step (or options)")
            if not self.low <= self.default <= self.high:
                raise ValueError(f"control {self.name!r}: default {self.default} outside [{self.low}, {self.high}]")
        elif self.default not in self.options:
            raise ValueError(f"control {self.name!r}: default {self.default!r} is not one of {list(self.options)}")

    def values(self, n: int | None = None) -> list:
        """The values the control can take (``n`` evenly spaced ones for a slider)."""
        if self.options is not None:
            return list(self.options)
        full = int(round((self.high - self.low) / self.step)) + 1
        count = full if n is None else min(full, n)
        values = np.linspace(self.low, self.high, count)
        if count < full:  # a slider only stops on low + k * step: snap the inner values to that grid
            inner = self.low + self.step * np.round((values[1:-1] - self.low) / self.step)
            values = np.unique(np.concatenate([[self.low], inner, [self.high]]))
        if self.is_integer:
            return [int(round(v)) for v in values]
        return [float(v) for v in values]

    @property
    def is_integer(self) -> bool:
        """A slider over whole numbers (low, high, step and default all ints)."""
        return self.options is None and all(
            isinstance(v, int) and not isinstance(v, bool) for v in (self.low, self.high, self.step, self.default))


@dataclass(frozen=True)
class Experiment:
    """An experiment: controls, a pure ``compute`` and a matplotlib ``draw``.

    ``compute(**params)`` returns a dict of arrays and numbers and must not
    draw or print; ``draw(result, fig)`` draws that dict on a matplotlib
    figure. ``static`` names the one or two controls that the HTML version of
    the book lets the reader move without a kernel.
    """

    name: str
    title: str
    controls: Sequence[Control]
    compute: Callable[..., dict]
    draw: Callable[[dict, Any], None]
    static: Sequence[str] = field(default_factory=tuple)
    figsize: tuple = (9.0, 4.0)

    def defaults(self) -> dict:
        return {c.name: c.default for c in self.controls}

    def run(self, **params) -> dict:
        """``compute`` with defaults filled in; unknown parameters are refused."""
        known = self.defaults()
        unknown = set(params) - set(known)
        if unknown:
            raise TypeError(f"experiment {self.name!r} has no control(s) {sorted(unknown)}; controls are {sorted(known)}")
        known.update(params)
        return self.compute(**known)

    def figure(self, **params):
        """Compute and draw; returns the matplotlib figure."""
        import matplotlib.pyplot as plt

        result = self.run(**params)
        fig = plt.figure(figsize=self.figsize)
        self.draw(result, fig)
        return fig
