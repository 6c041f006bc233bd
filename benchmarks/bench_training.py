"""Training step of nnlib against PyTorch on the CPU (tables 1 and 2, and the no-torch check).

Same architecture (Dense/ReLU stacks ending in a linear layer), same data,
same loss (softmax cross-entropy) and the same optimiser (SGD with momentum
0.9, or Adam), in float32 and float64. Steps of the two libraries are
interleaved in one process and the median over many steps is reported.

Usage: python benchmarks/bench_training.py [--steps N] [--quick]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import numpy as np

CASES = [  # (widths, batch)
    ((64, 16, 16, 10), 32),
    ((784, 16, 16, 10), 64),
    ((784, 128, 10), 64),
    ((784, 256, 256, 10), 128),
    ((784, 1024, 1024, 10), 256),
]


def nnlib_step_fn(widths, batch, dtype, optimiser, rng):
    import nnlib
    from nnlib import optim

    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nnlib.Dense(a, b, rng=rng, dtype=dtype))
        if i < len(widths) - 2:
            layers.append(nnlib.ReLU())
    model = nnlib.Sequential(*layers)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if optimiser == "sgd" \
        else optim.Adam(model.parameters(), lr=1e-3)
    loss = nnlib.CrossEntropyLoss()
    X = rng.standard_normal((batch, widths[0])).astype(dtype)
    y = rng.integers(0, widths[-1], size=batch)

    def step():
        opt.zero_grad()
        out = model(X)
        _, grad = loss.value_and_grad(out, y)  # the loss and its gradient in one pass, as fit does
        model.backward(grad)
        opt.step()
    return step, model


def torch_step_fn(widths, batch, dtype, optimiser, rng):
    import torch

    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(torch.nn.Linear(a, b, dtype=tdtype))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if optimiser == "sgd" \
        else torch.optim.Adam(model.parameters(), lr=1e-3)
    X = torch.from_numpy(rng.standard_normal((batch, widths[0])).astype(dtype))
    y = torch.from_numpy(rng.integers(0, widths[-1], size=batch))

    def step():
        opt.zero_grad()
        out = model(X)
        torch.nn.functional.cross_entropy(out, y).backward()
        opt.step()
    return step


def timed(step) -> float:
    t = time.perf_counter()
    step()
    return time.perf_counter() - t


def step_flops(widths, batch) -> float:
    """Multiply-adds of forward (XW) and backward (X^T G, G W^T) products, times 2."""
    return sum(3 * 2 * batch * a * b for a, b in zip(widths[:-1], widths[1:]))


def bare_matmul_seconds(widths, batch, dtype, rng, repeats) -> float:
    mats = [(rng.standard_normal((batch, a)).astype(dtype), rng.standard_normal((a, b)).astype(dtype),
             rng.standard_normal((batch, b)).astype(dtype)) for a, b in zip(widths[:-1], widths[1:])]

    def products():
        for X, W, G in mats:
            X @ W
            X.T @ G
            G @ W.T
    times = [timed(products) for _ in range(repeats)]
    return statistics.median(times)


def torch_absent_check() -> str:
    code = (
        "import sys; sys.modules['torch'] = None\n"  # any 'import torch' now fails
        "import numpy as np, nnlib\n"
        "from nnlib import optim\n"
        "m = nnlib.Sequential(nnlib.Dense(64, 16, rng=0), nnlib.ReLU(), nnlib.Dense(16, 10, rng=1))\n"
        "opt = optim.Adam(m.parameters()); L = nnlib.CrossEntropyLoss()\n"
        "X = np.random.default_rng(0).standard_normal((32, 64)); y = np.arange(32) % 10\n"
        "out = m(X); L(out, y); m.backward(L.grad(out, y)); opt.step()\n"
        "print('ok' if sys.modules.get('torch') is None else 'torch imported')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="timed steps per library and case")
    parser.add_argument("--quick", action="store_true", help="fewer steps (for a smoke run)")
    args = parser.parse_args()
    steps = 20 if args.quick else args.steps
    import torch

    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}, torch {torch.__version__}, torch threads {torch.get_num_threads()}")
    print("\nTable 1: training step, median milliseconds (nnlib / torch < 1 means nnlib is faster)")
    print(f"{'network':<22}{'batch':>6}{'opt':>6}{'dtype':>9}{'nnlib ms':>10}{'torch ms':>10}{'ratio':>8}")
    largest = None
    for widths, batch in CASES:
        budget = steps if widths[1] < 1024 else max(10, steps // 10)
        for optimiser in ("sgd", "adam"):
            for dtype in (np.float32, np.float64):
                step_a, model = nnlib_step_fn(widths, batch, dtype, optimiser, rng)
                step_b = torch_step_fn(widths, batch, dtype, optimiser, rng)
                for _ in range(5):  # warm up
                    step_a(); step_b()
                ta, tb = [], []
                for _ in range(budget):  # interleaved
                    ta.append(timed(step_a))
                    tb.append(timed(step_b))
                ma, mb = statistics.median(ta), statistics.median(tb)
                name = "-".join(map(str, widths))
                print(f"{name:<22}{batch:>6}{optimiser:>6}{np.dtype(dtype).name:>9}"
                      f"{1e3 * ma:>10.3f}{1e3 * mb:>10.3f}{ma / mb:>8.2f}")
                if widths == CASES[-1][0] and dtype == np.float32 and optimiser == "sgd":
                    largest = (widths, batch, ma, mb)
    widths, batch, ma, mb = largest
    flops = step_flops(widths, batch)
    bare = bare_matmul_seconds(widths, batch, np.float32, rng, repeats=max(5, steps // 10))
    print("\nTable 2: how close to the machine, largest case, float32, SGD with momentum")
    print(f"{'what':<36}{'ms':>9}{'GFLOP/s':>10}")
    for what, seconds in (("nnlib whole step", ma), ("torch whole step", mb), ("bare numpy matmuls of the step", bare)):
        print(f"{what:<36}{1e3 * seconds:>9.3f}{flops / seconds / 1e9:>10.1f}")
    print(f"(the step's matrix products: {flops / 1e9:.3f} GFLOP)")
    print(f"\nnnlib trains with torch unavailable (import blocked): {torch_absent_check()}")


if __name__ == "__main__":
    main()
