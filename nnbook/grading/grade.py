"""``nnbook grade``: run every submission in its own limited process and score it.

For each student the grader makes a fresh temporary directory with copies of
the notebooks, the input cases (public ones and hidden ones drawn from the
secret seed, per student) as ``.npz`` files and ``job.json``; it runs
:mod:`nnbook.grading.runner` there under :mod:`nnbook.grading.sandbox` limits,
then reads back the outputs (plain ``.npy``, ``allow_pickle=False``) and
compares them, in its own process, with expected values computed by the
reference solutions. Expected values are never written to disk.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..exercises import all_exercises
from ..exercises.checking import expected_output
from ..exercises.compare import compare, fmt_value
from .notebook import MAX_NOTEBOOK_BYTES
from .report import (ExerciseGrade, StudentReport, feedback_filename, feedback_markdown,
                     report_rows, write_gradebook)
from .sandbox import Limits, child_env, run_limited

__all__ = ["find_submissions", "in_shard", "grade_student", "grade"]

MAX_STATUS_BYTES = 10_000_000
MAX_OUTPUT_BYTES = 64_000_000
MAX_NOTES_PER_NOTEBOOK = 10


def find_submissions(root) -> dict:
    """``{student: [notebook paths]}`` for ``root/<student>/*.ipynb`` and ``root/<student>.ipynb``."""
    subs = {}
    for entry in sorted(Path(root).iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir():
            found = sorted(p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            subs.setdefault(entry.name, []).extend(found)
        elif entry.suffix == ".ipynb":
            subs.setdefault(entry.stem, []).append(entry)
    return subs


def in_shard(student: str, shard) -> bool:
    """Whether ``student`` belongs to shard ``(k, n)``: sha256(id) mod n == k - 1."""
    if shard is None:
        return True
    k, n = shard
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % n == k - 1


def _encode(arg, arrays: dict):
    """JSON for a case argument; ndarrays go to ``arrays`` (saved as ``.npz``)."""
    if type(arg) is np.ndarray:
        arrays[f"a{len(arrays)}"] = arg
        return {"array": f"a{len(arrays) - 1}"}
    if type(arg) in (tuple, list):
        return {type(arg).__name__: [_encode(a, arrays) for a in arg]}
    if arg is None or type(arg) in (bool, int, float, str):
        return {"value": arg}
    raise TypeError(f"case arguments must be ndarrays, numbers, strings, tuples or lists, got {type(arg).__name__}")


def _write_cases(workdir: Path, ex, cases) -> list:
    specs = []
    for j, case in enumerate(cases):
        arrays = {}
        args = [_encode(a, arrays) for a in case.args]
        path = workdir / "inputs" / ex.id / f"{j}.npz"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **arrays)
        specs.append({"npz": str(path.relative_to(workdir)), "args": args})
    return specs


def _text(value, workdir: str, limit: int = 600) -> str:
    """A string from the runner, made safe to print: no work-dir paths, bounded."""
    if not isinstance(value, str):
        return ""
    for path in {workdir, os.path.realpath(workdir)}:
        value = value.replace(path, "<workdir>")
    return value[:limit]


def _score(ex, rec, cases, workdir: str, end) -> ExerciseGrade:
    """Grade one exercise from the runner's record and outputs; ``end`` = (status, why) if it stopped early."""
    def grade(status, detail=""):
        return ExerciseGrade(ex.id, ex.points if status == "correct" else 0, ex.points, status, detail)
    if not isinstance(rec, dict):
        if end:
            return grade(end[0], "not graded: the notebook stopped early (see the notes)")
        return grade("missing", "the answer was not found")
    state, reason = rec.get("state"), _text(rec.get("reason"), workdir)
    if state in ("missing", "not_attempted"):
        return grade(state, reason)
    if state != "evaluated":
        return grade("incorrect", reason or "the answer could not be evaluated")
    if ex.kind == "value":
        v = rec.get("value")
        if type(v) not in (int, float):
            return grade("incorrect", "no number was found")
        bad = compare(expected_output(ex), float(v), output="scalar", rtol=ex.rtol, atol=ex.atol)
        return grade("incorrect", f"{fmt_value(v)} is not the right value") if bad else grade("correct")
    if ex.kind == "choice":
        key = rec.get("choice")
        if key not in ex.options:
            return grade("incorrect", "no valid choice was found")
        return grade("correct") if key == expected_output(ex) else grade("incorrect", f"({key}) is not the right choice")
    results = rec.get("cases") if isinstance(rec.get("cases"), list) else []
    passed, first, first_status = 0, "", "incorrect"
    for j, case in enumerate(cases):
        crec = results[j] if j < len(results) and isinstance(results[j], dict) else {}
        problem, status = _text(crec.get("problem"), workdir), "incorrect"
        if crec.get("error"):
            problem, status = f"your function raised {_text(crec['error'], workdir)}", "error"
        elif not problem:
            problem = _compare_output(ex, case, os.path.join(workdir, "outputs", ex.id, f"{j}.npy"))
        if problem is None:
            passed += 1
        elif not first:
            first, first_status = f"case '{case.name}': {problem}", status
    if passed == len(cases):
        return grade("correct", f"all {len(cases)} cases passed")
    return grade(first_status, f"{passed}/{len(cases)} cases passed; {first}")


def _read_plain_file(path: str, limit: int):
    """The bytes of a regular file the runner wrote, or None: no symlink, FIFO or device, at most ``limit`` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        return f.read(limit + 1)[:limit]


def _compare_output(ex, case, path: str):
    data = _read_plain_file(path, MAX_OUTPUT_BYTES)
    if data is None:
        return "no output was produced (or it was too large)"
    try:
        got = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception:  # noqa: BLE001 - anything unreadable is simply wrong
        return "the output could not be read"
    rtol, atol = ex.tolerances(case)
    return compare(expected_output(ex, case), got, output=ex.output, rtol=rtol, atol=atol,
                   show_values=not case.name.startswith("hidden: "))


def _read_status(workdir: str) -> dict:
    data = _read_plain_file(os.path.join(workdir, "status.json"), MAX_STATUS_BYTES)
    try:
        status = json.loads(data) if data else {}
    except (ValueError, RecursionError):
        status = {}
    return status if isinstance(status, dict) else {}


def _notebook_notes(status: dict, workdir: str, limits: Limits) -> list:
    notes = []
    for nb in status.get("notebooks", []) if isinstance(status.get("notebooks"), list) else []:
        if not isinstance(nb, dict):
            continue
        name = _text(nb.get("name"), workdir, 100)
        notes += [f"`{name}`: {_text(p, workdir)}" for p in nb.get("problems", []) if isinstance(p, str)]
        errors = [e for e in nb.get("cell_errors", []) if isinstance(e, list) and len(e) == 2]
        for cell, error in errors[:MAX_NOTES_PER_NOTEBOOK]:
            error = _text(error, workdir)
            extra = (f" (the memory limit is {limits.mem_mb} MB)" if error.startswith("MemoryError")
                     else " (exiting is ignored; grading went on)" if error.startswith("SystemExit") else "")
            notes.append(f"`{name}`, cell {cell}: raised {error}{extra}")
        if len(errors) > MAX_NOTES_PER_NOTEBOOK:
            notes.append(f"`{name}`: {len(errors) - MAX_NOTES_PER_NOTEBOOK} more cells raised errors")
        notes += [f"`{name}`, cell {c}: skipped, {_text(r, workdir)}" for c, r in nb.get("skipped", [])[:5]]
    return notes


def submitted_chapters(notebooks: list) -> set:
    """Chapters a student's notebooks belong to: from the exercise cells they hold
    (read as plain JSON, never run here) and from file names such as ``02_neuron.ipynb``."""
    from ..exercises import CHAPTERS
    from .notebook import cell_role, read_notebook

    found = set()
    for p in notebooks:
        stem = re.sub(r"^\d+[_-]", "", p.stem)
        if stem in CHAPTERS:
            found.add(stem)
        data = _read_plain_file(str(p), MAX_NOTEBOOK_BYTES)
        cells, _ = read_notebook(data or b"")
        for cell in cells:
            ex_id, _ = cell_role(cell)
            if ex_id and ex_id.split(".")[0] in CHAPTERS:
                found.add(ex_id.split(".")[0])
    return found


def grade_student(student: str, notebooks: list, exercises: list, limits: Limits, secret: str,
                  by_submission: bool = False) -> StudentReport:
    """Run one student's notebooks in a limited runner process and score every exercise.

    With ``by_submission``, only the exercises of the chapters the student's
    notebooks belong to are graded (all of them if none can be told).
    """
    report = StudentReport(student, [p.name for p in notebooks])
    if by_submission:
        chapters = submitted_chapters(notebooks)
        exercises = [ex for ex in exercises if ex.chapter in chapters] or exercises
    workdir = tempfile.mkdtemp(prefix="nnbook-")
    try:
        wd = Path(workdir)
        nbs = []
        for k, p in enumerate(notebooks):
            data = _read_plain_file(str(p), MAX_NOTEBOOK_BYTES)
            if data is None:
                report.notes.append(f"`{p.name}` is not a regular file of at most {MAX_NOTEBOOK_BYTES} bytes")
            (wd / f"nb{k}.ipynb").write_bytes(data or b"")
            nbs.append({"file": f"nb{k}.ipynb", "name": p.name})
        cases = {ex.id: ex.public_cases() + ex.hidden_cases(secret, student) for ex in exercises if ex.runs_code}
        job = {"notebooks": nbs, "exercises": [
            {"id": ex.id, "cases": _write_cases(wd, ex, cases.get(ex.id, []))} for ex in exercises]}
        (wd / "job.json").write_text(json.dumps(job), encoding="utf-8")
        root = os.pathsep.join(dict.fromkeys(  # where nnlib and nnbook are (one folder in a checkout)
            str(Path(sys.modules[name].__file__).parent.parent) for name in ("nnlib", "nnbook")))
        outcome = run_limited([sys.executable, "-s", "-B", "-m", "nnbook.grading.runner", "job.json"],
                              cwd=workdir, env=child_env(root, workdir), limits=limits,
                              stderr_path=os.path.join(workdir, "stderr.txt"))
        report.seconds, report.cpu_seconds = outcome.seconds, outcome.cpu_seconds
        status = _read_status(workdir)
        end = None
        if status.get("done") is not True:
            where = _text(status.get("progress"), workdir, 120) or "start-up"
            if outcome.timed_out or outcome.cpu_exceeded:
                end = ("timeout", f"the notebook ran out of time while running {where} (limits: {limits.describe()})")
            else:
                memory = f"; this can happen when memory runs out (limit {limits.mem_mb} MB)" if outcome.returncode < 0 else ""
                end = ("crashed", f"the grading process ended early ({outcome.how()}) while running {where}{memory}")
                _warn_runner_failure(student, workdir, outcome)
            report.notes.append(end[1])
        if not notebooks:
            report.notes.append("no notebook (.ipynb) was found in the submission")
        report.notes += _notebook_notes(status, workdir, limits)
        records = status.get("exercises") if isinstance(status.get("exercises"), dict) else {}
        for ex in exercises:
            rec = records.get(ex.id)
            report.grades.append(_score(ex, rec, cases.get(ex.id, []), workdir, end))
            if isinstance(rec, dict):
                report.notes += _exercise_notes(ex, rec, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return report


def _exercise_notes(ex, rec: dict, workdir: str) -> list:
    notes = []
    cells = rec.get("starter_cells")
    if isinstance(cells, list) and len(cells) > 1:
        notes.append(f"{ex.id}: {len(cells)} starter cells were found; the last definition of "
                     f"`{ex.answer_name}` was graded")
    for w in rec.get("warnings", [])[:3] if isinstance(rec.get("warnings"), list) else []:
        notes.append(f"{ex.id}: your code emitted {_text(w, workdir, 200)} (this does not count against you)")
    return notes


def _warn_runner_failure(student: str, workdir: str, outcome) -> None:
    try:
        with open(os.path.join(workdir, "stderr.txt"), "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 1500))
            tail = f.read().decode("utf-8", "replace")
    except OSError:
        tail = ""
    if outcome.returncode > 0 and tail.strip():
        print(f"warning: the runner for {student} failed ({outcome.how()}):\n{tail}", file=sys.stderr)


def grade(submissions, out, *, jobs: int = 1, shard=None, limits: Limits = Limits(),
          secret: str = "nnbook", chapters=None) -> list:
    """Grade a folder of submissions; write ``out/gradebook.csv`` and ``out/feedback/*.md``.

    ``chapters`` names the chapters to grade for every student; by default each
    student is graded on the chapters of the notebooks they submitted.
    """
    exercises = [ex for ex in all_exercises() if chapters is None or ex.chapter in chapters]
    if not exercises:
        raise ValueError(f"no exercises to grade (chapters={chapters})")
    subs = {s: nbs for s, nbs in find_submissions(submissions).items() if in_shard(s, shard)}
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {s: pool.submit(grade_student, s, nbs, exercises, limits, secret, chapters is None) for s, nbs in subs.items()}
        reports = [futures[s].result() for s in sorted(futures)]
    wall = time.monotonic() - start
    out = Path(out)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    write_gradebook(report_rows(reports), out / "gradebook.csv")
    for r in reports:
        (out / "feedback" / feedback_filename(r.student)).write_text(feedback_markdown(r), encoding="utf-8")
    _print_summary(reports, wall, jobs, shard)
    return reports


def _print_summary(reports, wall: float, jobs: int, shard) -> None:
    counts = {}
    for r in reports:
        print(f"{r.student}: {r.points:g}/{r.max_points:g} points ({r.seconds:.2f} s wall, {r.cpu_seconds:.2f} s CPU)")
        for g in r.grades:
            counts[g.status] = counts.get(g.status, 0) + 1
    per = sum(r.seconds for r in reports) / max(1, len(reports))
    cpu = sum(r.cpu_seconds for r in reports) / max(1, len(reports))
    where = f" (shard {shard[0]}/{shard[1]})" if shard else ""
    tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    print(f"graded {len(reports)} submission(s){where}: {tally}; {wall:.1f} s wall, "
          f"{per:.2f} s wall and {cpu:.2f} s CPU per submission, {jobs} job(s)")
