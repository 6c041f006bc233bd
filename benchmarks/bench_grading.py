"""How long ``nnbook grade`` takes per submission: one chapter, and every chapter at once.

Builds, from the released book, a fully correct submission (each starter cell
replaced by the reference solution's module and a binding of the answer),
copies it into a small class, grades it at ``--jobs 2`` in the default
sandbox (bubblewrap; the process sandbox where bubblewrap is missing) and
prints wall-clock and CPU seconds per submission. Nothing is asserted.

    python benchmarks/bench_grading.py [--students 4]
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "nnbook"))

from nnbook.exercises import exercise  # noqa: E402
from nnbook.grading.grade import grade  # noqa: E402
from nnbook.grading.release import release  # noqa: E402
from nnbook.grading.sandbox import Limits, bwrap_problem  # noqa: E402


def correct_answer(ex_id: str) -> str:
    """A starter cell that defines the right answer without importing the solutions."""
    ex = exercise(ex_id)
    source = inspect.getsource(importlib.import_module(f"nnbook.exercises.solutions.{ex.chapter}"))
    ref = ex.reference or ex.answer_name
    call = "" if ex.runs_code else "()"
    return (f"import types\n_reference = types.ModuleType('_reference')\n"
            f"exec(compile({source!r}, '<reference>', 'exec'), _reference.__dict__)\n"
            f"{ex.answer_name} = _reference.{ref}{call}\n")


def correct_copy(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        tag = cell.get("metadata", {}).get("nnbook", {})
        if tag.get("role") == "starter":
            cell["source"] = correct_answer(tag["exercise"])
    return json.dumps(nb)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--cells", default="needed,all",
                        help="the grader's --cells modes to measure, comma-separated (needed, all, starters)")
    args = parser.parse_args()
    sandbox = "bwrap" if bwrap_problem() is None else "process"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        release(tmp / "released", book=ROOT / "book")
        chapters = sorted(p for p in (tmp / "released").glob("0*.ipynb"))
        runs = [(label, notebooks, cells) for cells in args.cells.split(",")
                for label, notebooks in (("one chapter (02_neuron)", [p for p in chapters if p.name == "02_neuron.ipynb"]),
                                         (f"all {len(chapters)} chapters", chapters))]
        for n, (label, notebooks, cells) in enumerate(runs):
            subs = tmp / f"run{n}" / "subs"
            for k in range(args.students):
                for p in notebooks:
                    (subs / f"s{k}").mkdir(parents=True, exist_ok=True)
                    (subs / f"s{k}" / p.name).write_text(correct_copy(p), encoding="utf-8")
            start = time.monotonic()
            reports = grade(subs, subs.parent / "results", jobs=2, limits=Limits(cells=cells), secret="bench",
                            sandbox=sandbox)
            wall = time.monotonic() - start
            per = sum(r.seconds for r in reports) / len(reports)
            cpu = sum(r.cpu_seconds for r in reports) / len(reports)
            full = sum(r.points == r.max_points for r in reports)
            print(f"\n{label}, --cells {cells}, {sandbox} sandbox: {per:.2f} s wall and {cpu:.2f} s CPU per submission; "
                  f"{len(reports)} submissions in {wall:.1f} s at --jobs 2; {full}/{len(reports)} got full points")


if __name__ == "__main__":
    main()
