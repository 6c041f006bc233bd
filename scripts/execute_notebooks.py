"""Execute notebooks in place, storing their outputs and widget state.

Usage: python scripts/execute_notebooks.py book/*.ipynb

Each notebook runs in a fresh kernel of the current environment with the
notebook's folder as working directory. Widget state is saved in the
notebook's metadata (nbclient's ``store_widget_state``), so that the HTML
book renders the widgets instead of blank boxes. Execution metadata with
timestamps is removed so that re-executing an unchanged notebook gives an
unchanged file.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def strip_volatile(nb) -> None:
    """Drop timestamps that would change the file on every run."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)


def run(nb, cwd: Path, timeout: int = 600):
    """Execute notebook node `nb` in place in a fresh python3 kernel, in folder `cwd`; return it."""
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    strip_volatile(nb)
    return nb


def execute(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    run(nb, path.parent, timeout)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    for name in argv:
        seconds = execute(Path(name))
        print(f"{name}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
