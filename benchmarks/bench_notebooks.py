"""Table 4: execution time of each chapter notebook (and, with --suite, of `make test`).

Usage: python benchmarks/bench_notebooks.py [--suite]
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    print("Table 4: notebook execution, seconds (fresh kernel each)")
    total = 0.0
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        t = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        seconds = time.perf_counter() - t
        total += seconds
        print(f"{path.name:<32}{seconds:>8.1f}")
    print(f"{'all notebooks':<32}{total:>8.1f}")
    if "--suite" in sys.argv:
        t = time.perf_counter()
        done = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True)
        print(f"{'make test (exit ' + str(done.returncode) + ')':<32}{time.perf_counter() - t:>8.1f}")


if __name__ == "__main__":
    main()
