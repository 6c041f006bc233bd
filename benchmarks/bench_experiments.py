"""Table 3: how long every experiment of the book takes to update after a control moves.

For each experiment in nnlib.experiments.REGISTRY, 20 changes of its
controls (cycling through each control's values), timing the pure
``compute`` and compute + draw (matplotlib, Agg, as the live widget does).
Usage: python benchmarks/bench_experiments.py
"""
from __future__ import annotations

import itertools
import statistics
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nnlib.experiments import REGISTRY  # noqa: E402

CHANGES = 20


def changes(experiment):
    """20 parameter sets, each differing from the defaults in one control."""
    options = [(c.name, v) for c in experiment.controls for v in c.values(5) if v != c.default]
    cycle = itertools.cycle(options)
    return [dict(experiment.defaults(), **dict([next(cycle)])) for _ in range(CHANGES)]


def main() -> None:
    print(f"Table 3: update latency over {CHANGES} control changes, milliseconds")
    print(f"{'experiment':<22}{'compute med':>12}{'p95':>8}{'+draw med':>11}{'p95':>8}")
    for name, exp in REGISTRY.items():
        exp.run()  # warm caches the way a reader's first view would
        compute, total = [], []
        for params in changes(exp):
            t0 = time.perf_counter()
            result = exp.compute(**params)
            t1 = time.perf_counter()
            fig = plt.figure(figsize=exp.figsize)
            exp.draw(result, fig)
            fig.canvas.draw()
            t2 = time.perf_counter()
            plt.close(fig)
            compute.append(t1 - t0)
            total.append(t2 - t0)
        p95 = lambda xs: float(np.percentile(xs, 95))  # noqa: E731
        print(f"{name:<22}{1e3 * statistics.median(compute):>12.1f}{1e3 * p95(compute):>8.1f}"
              f"{1e3 * statistics.median(total):>11.1f}{1e3 * p95(total):>8.1f}")


if __name__ == "__main__":
    main()
