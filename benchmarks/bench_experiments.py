"""Table 3: how long every experiment of the book takes to update after a control moves.

For each experiment in nnlib.experiments.REGISTRY, the live view that the
notebooks show (``nnlib.widgets.live``, headless: no kernel is needed to
build the widgets or to move their controls) takes 20 control changes
(``Experiment.walk``), each set the way a reader's slider sets it. Each
update is timed the way ``live`` times it: ``compute`` alone, and drawing
plus rendering the PNG the widget shows. The first drawing, made when the
view is built, is not one of the 20.
Usage: python benchmarks/bench_experiments.py
"""
from __future__ import annotations

import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from nnlib.experiments import REGISTRY  # noqa: E402
from nnlib.widgets import live  # noqa: E402

CHANGES = 20


def measure(experiment) -> dict:
    """Median and 95th percentile (ms) of compute, draw and both over CHANGES control moves."""
    view = live(experiment)
    for params in experiment.walk(CHANGES):
        for name, value in params.items():
            if view.controls[name].value != value:  # exactly one control moves per step
                view.controls[name].value = value
    timings = view.timings[1:]
    if len(timings) != CHANGES:
        raise RuntimeError(f"{experiment.name}: {len(timings)} updates for {CHANGES} changes")
    columns = {"compute": [t["compute"] for t in timings], "draw": [t["draw"] for t in timings]}
    columns["total"] = [c + d for c, d in zip(columns["compute"], columns["draw"])]
    out = {}
    for key, xs in columns.items():
        out[key] = (1e3 * statistics.median(xs), 1e3 * float(np.percentile(xs, 95)))
    out["fresh"] = view.view.fresh_draws - 1
    return out


def main(names=None) -> None:
    print(f"Table 3: update latency of the live view over {CHANGES} control changes, milliseconds")
    print(f"{'experiment':<22}{'compute med':>12}{'p95':>8}{'draw med':>10}{'p95':>8}"
          f"{'total med':>11}{'p95':>8}{'redrawn':>9}")
    for name, exp in REGISTRY.items():
        if names and name not in names:
            continue
        m = measure(exp)
        print(f"{name:<22}{m['compute'][0]:>12.1f}{m['compute'][1]:>8.1f}{m['draw'][0]:>10.1f}{m['draw'][1]:>8.1f}"
              f"{m['total'][0]:>11.1f}{m['total'][1]:>8.1f}{m['fresh']:>9d}")
    print("(redrawn: how many of the changes needed a fresh figure rather than an update in place;"
          " targets: total median <= 100 ms, p95 <= 250 ms)")


if __name__ == "__main__":
    main(sys.argv[1:])
