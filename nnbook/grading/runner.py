"""The process that runs one student's notebooks: ``python -m nnbook.grading.runner job.json``.

Started by the grader in a fresh temporary directory (its working directory)
holding copies of the notebooks, ``job.json`` and the input cases. It

1. refuses imports of ``nnbook.exercises.solutions`` (a meta-path finder) and
   turns ``os._exit`` into ``SystemExit``;
2. runs every code cell of each notebook in order, in one namespace per
   notebook, skipping check, solution and hidden cells, catching and recording
   each cell's exception (``SystemExit`` included);
3. for each exercise, takes the answer bound to its name and evaluates it
   on the input cases, writing outputs as ``outputs/<id>/<k>.npy``
   (``allow_pickle=False``) and a summary in ``status.json``, rewritten after
   every step so that a timeout or a crash leaves what was done.

It judges nothing: the grader compares the outputs with expected values it
computed itself, and it trusts no file written here beyond plain data.
"""
from __future__ import annotations

import io
import json
import os
import sys
import types

import numpy as np

from ..exercises.checking import (call_answer, describe_exception, is_blank, normalize_choice, refused_warning,
                                  unchanged_bug)
from ..exercises.compare import plain_copy, scalar_problem, type_problem
from ..exercises.core import GRADING_ENV, exercise
from .notebook import cell_role, cell_source, read_notebook, strip_magics

BLOCKED = "nnbook.exercises.solutions"
SKIPPED_ROLES = ("check", "solution", "hidden")
MAX_OUTPUT_BYTES = 64_000_000
_real_exit = os._exit


class SolutionsBlocker:
    """Meta-path finder refusing the reference solutions while grading."""

    def find_spec(self, name, path=None, target=None):
        if name == BLOCKED or name.startswith(BLOCKED + "."):
            raise ImportError(f"{name} cannot be imported while grading")
        return None


class _Sink(io.TextIOBase):
    """Where students' prints go: nowhere (nothing they print is read)."""

    def writable(self):
        return True

    def write(self, s):
        return len(s)


def _refuse_exit(code=0):
    raise SystemExit(code)


def lock_down() -> None:
    os.environ[GRADING_ENV] = "1"
    sys.meta_path.insert(0, SolutionsBlocker())
    for name in [m for m in sys.modules if m == BLOCKED or m.startswith(BLOCKED + ".")]:
        del sys.modules[name]
    os._exit = _refuse_exit
    posix = sys.modules.get("posix")
    if posix is not None:
        posix._exit = _refuse_exit


class Status:
    """``status.json``, rewritten atomically after each step."""

    def __init__(self, path="status.json"):
        self.path, self.data = path, {"notebooks": [], "exercises": {}, "progress": "start", "done": False}

    def save(self, **changes):
        self.data.update(changes)
        with open(self.path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(self.data, f)
        os.replace(self.path + ".tmp", self.path)


def run_cell(src: str, ns: dict, filename: str) -> str | None:
    """Execute one cell in ``ns``; return the description of its exception, if any."""
    sink = _Sink()
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = sink
    try:
        exec(compile(src, filename, "exec"), ns)
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
        return describe_exception(exc)
    finally:
        sys.stdout, sys.stderr = saved
    return None


def run_notebook(k: int, spec: dict, status: Status, starters: dict) -> dict:
    """Run notebook ``k``; record its starter cells; return its namespace."""
    with open(spec["file"], "rb") as f:
        cells, problems = read_notebook(f.read())
    record = {"name": spec["name"], "problems": problems, "cell_errors": [], "skipped": []}
    status.data["notebooks"].append(record)
    module = types.ModuleType("__main__")
    sys.modules["__main__"] = module
    ns = module.__dict__
    for i, cell in enumerate(cells, start=1):
        ex_id, role = cell_role(cell)
        if role == "starter" and ex_id:
            starters.setdefault(ex_id, []).append([k, i])
        if cell.get("cell_type") != "code" or role in SKIPPED_ROLES:
            continue
        src, reason = strip_magics(cell_source(cell))
        if reason:
            record["skipped"].append([i, reason])
            continue
        status.save(progress=f"cell {i} of {spec['name']}")
        error = run_cell(src, ns, f"<cell {i}>")
        if error:
            record["cell_errors"].append([i, error])
    return ns


def _decode(spec: dict, arrays):
    if "array" in spec:
        return arrays[spec["array"]]
    if "tuple" in spec or "list" in spec:
        items = [_decode(s, arrays) for s in spec.get("tuple", spec.get("list"))]
        return tuple(items) if "tuple" in spec else items
    return spec["value"]


def _load_args(case: dict) -> tuple:
    """The arguments of a case, as the grader encoded them (see ``grade._encode``)."""
    with np.load(case["npz"], allow_pickle=False) as arrays:
        return tuple(_decode(spec, arrays) for spec in case["args"])


def evaluate_function(ex, fn, cases: list) -> dict:
    if not callable(fn):
        return {"state": "invalid", "reason": f"{ex.answer_name} should be a function, got {type(fn).__name__}"}
    if unchanged_bug(ex, fn):
        return {"state": "not_attempted", "reason": f"{ex.answer_name} is still the buggy original"}
    results, warned = [], []
    os.makedirs(os.path.join("outputs", ex.id), exist_ok=True)
    for k, case in enumerate(cases):
        out, err, warns = call_answer(fn, _load_args(case))
        warned += [w for w in warns if w not in warned][: 3 - len(warned)]
        if err is not None:
            if k == 0 and isinstance(err, NotImplementedError):
                return {"state": "not_attempted", "reason": "raises NotImplementedError"}
            results.append({"error": describe_exception(err)})
            continue
        problem = type_problem(out, ex.output)
        refused = refused_warning(ex, warns)
        if problem is None and refused:
            problem = f"your code emitted {refused}, which this exercise does not allow"
        if problem is None and type(out) is np.ndarray and out.nbytes > MAX_OUTPUT_BYTES:
            problem = f"the output is too large ({out.nbytes} bytes)"
        if problem is None:
            try:
                np.save(os.path.join("outputs", ex.id, f"{k}.npy"), plain_copy(out, ex.output), allow_pickle=False)
            except Exception as exc:  # noqa: BLE001
                problem = f"the output could not be saved ({describe_exception(exc)})"
        results.append({"problem": problem} if problem else {})
    return {"state": "evaluated", "cases": results, "warnings": warned}


def evaluate(spec: dict, starters: dict, namespaces: list) -> dict:
    ex = exercise(spec["id"])
    where = starters.get(ex.id, [])
    if not where:
        return {"state": "missing", "reason": f"no starter cell of {ex.id} was found (was it deleted?)"}
    record = {"starter_cells": where}
    ns = namespaces[where[-1][0]]
    if ex.answer_name not in ns:
        return {**record, "state": "missing", "reason": f"{ex.answer_name} is not defined"}
    answer = ns[ex.answer_name]
    if is_blank(answer):
        return {**record, "state": "not_attempted", "reason": f"{ex.answer_name} is still {answer!r}"}
    if ex.runs_code:
        return {**record, **evaluate_function(ex, answer, spec["cases"])}
    if ex.kind == "value":
        problem = scalar_problem(answer)
        return {**record, "state": "invalid", "reason": problem} if problem else {
            **record, "state": "evaluated", "value": float(plain_copy(answer, "scalar"))}
    key, problem = normalize_choice(answer, ex.options)
    return {**record, "state": "invalid", "reason": problem} if problem else {
        **record, "state": "evaluated", "choice": key}


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    lock_down()
    with open(argv[0] if argv else "job.json", encoding="utf-8") as f:
        job = json.load(f)
    status, starters = Status(), {}
    status.save()
    namespaces = [run_notebook(k, spec, status, starters) for k, spec in enumerate(job["notebooks"])]
    for spec in job["exercises"]:
        status.save(progress=f"exercise {spec['id']}")
        try:
            status.data["exercises"][spec["id"]] = evaluate(spec, starters, namespaces)
        except BaseException as exc:  # noqa: BLE001 - e.g. a SystemExit raised by the answer
            status.data["exercises"][spec["id"]] = {"state": "invalid", "reason": describe_exception(exc)}
    status.save(progress="done", done=True)
    sys.stdout.flush()
    _real_exit(0)  # don't wait for threads or atexit handlers the notebook left behind


if __name__ == "__main__":
    main()
