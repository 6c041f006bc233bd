"""Table 3: how long every experiment of the book takes to update after a control moves.

For each experiment in nnbook.experiments.REGISTRY, the live view that the
notebooks show (``nnbook.widgets.live``, headless: no kernel is needed to
build the widgets or to move their controls) takes 20 control changes
(``Experiment.walk``), each set the way a reader's slider sets it. Each
update is timed the way ``live`` times it: ``compute`` alone, and drawing
plus rendering the PNG the widget shows. The first drawing, made when the
view is built, is not one of the 20.
Usage: python benchmarks/bench_experiments.py [NAME ...] [--repeat N]
"""
from __future__ import annotations

import argparse
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from nnbook.experiments import REGISTRY, backprop, digits  # noqa: E402
from nnbook.widgets import live  # noqa: E402

CHANGES = 20
#: How to forget the training runs an experiment keeps between updates (data sets stay cached).
RUN_CACHES = {"digits_lab": digits._lab_run.cache_clear, "xor_training": backprop._RUNS.clear}


def measure(experiment, repeat: int = 1) -> dict:
    """Median and 95th percentile (ms) of compute, draw and both over ``repeat`` x CHANGES control moves.

    Each repetition builds a new live view and takes the same path; caches
    kept by an experiment (the digit lab's trained runs) are cleared first,
    so every repetition pays what a reader's first visit pays.
    """
    timings, fresh = [], 0
    for _ in range(repeat):
        if experiment.name in RUN_CACHES:
            RUN_CACHES[experiment.name]()
        view = live(experiment)
        for params in experiment.walk(CHANGES):
            for name, value in params.items():
                if view.controls[name].value != value:  # exactly one control moves per step
                    view.controls[name].value = value
        if len(view.timings) != CHANGES + 1:
            raise RuntimeError(f"{experiment.name}: {len(view.timings) - 1} updates for {CHANGES} changes")
        timings += view.timings[1:]
        fresh += view.view.fresh_draws - 1
    columns = {"compute": [t["compute"] for t in timings], "draw": [t["draw"] for t in timings]}
    columns["total"] = [c + d for c, d in zip(columns["compute"], columns["draw"])]
    out = {}
    for key, xs in columns.items():
        out[key] = (1e3 * statistics.median(xs), 1e3 * float(np.percentile(xs, 95)))
    out["fresh"] = fresh
    return out


def main(names=(), repeat: int = 1) -> None:
    print(f"Table 3: update latency of the live view over {repeat} x {CHANGES} control changes, milliseconds")
    print(f"{'experiment':<22}{'compute med':>12}{'p95':>8}{'draw med':>10}{'p95':>8}"
          f"{'total med':>11}{'p95':>8}{'redrawn':>9}")
    for name, exp in REGISTRY.items():
        if names and name not in names:
            continue
        m = measure(exp, repeat)
        print(f"{name:<22}{m['compute'][0]:>12.1f}{m['compute'][1]:>8.1f}{m['draw'][0]:>10.1f}{m['draw'][1]:>8.1f}"
              f"{m['total'][0]:>11.1f}{m['total'][1]:>8.1f}{m['fresh']:>9d}")
    print("(redrawn: how many of the changes needed a fresh figure rather than an update in place;"
          " targets: total median <= 100 ms, p95 <= 250 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="experiments to measure (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="times to take the path (default 3)")
    args = parser.parse_args()
    main(args.names, args.repeat)
