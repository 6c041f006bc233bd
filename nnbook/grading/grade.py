"""``nnbook grade``: run every submission in its own sandbox and score it.

For each student the grader makes a fresh temporary folder holding the job:
copies of the notebooks (read with bounded size), the input cases (public
ones and hidden ones drawn from the secret seed, per student) as ``.npz``
files, and ``job.json``. It runs :mod:`nnbook.grading.runner` on it in the
sandbox of :mod:`nnbook.grading.sandbox` (bubblewrap by default), which
writes one result archive through a file descriptor. After the sandbox is
gone, the grader reads the archive (bounded, plain data only), validates
every record against a strict schema, and compares the outputs, in its own
process, with expected values computed by the reference solutions, which
never enter the sandbox. Anything malformed is that student's error; the
batch goes on. The gradebook and the feedback are written by the grader
alone, at the end. An instructor's assignment (:mod:`.assignment`) is graded
the same way: its questions stand for the exercises, the instructor's
solution for the reference solutions.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..assignments import Question
from ..exercises import all_exercises
from ..exercises.checking import expected_output
from ..exercises.compare import compare, fmt_value
from .export import details, details_text, read_details
from .notebook import MAX_NOTEBOOK_BYTES, read_plain_file
from .report import (ExerciseGrade, StudentReport, feedback_filename, feedback_markdown, gradebook_text,
                     read_gradebook, replace_rows, report_rows)
from .sandbox import JOB, RUNTIME as RUNTIME_PATH, SCRATCH, Limits, bwrap_argv, child_env, run_limited, stage_runtime

__all__ = ["find_submissions", "in_shard", "grade_student", "grade", "read_results", "valid_status"]

MAX_STATUS_BYTES = 10_000_000
MAX_OUTPUT_BYTES = 64_000_000
MAX_RESULT_BYTES = 300_000_000
MAX_RESULT_MEMBERS = 20_000
MAX_NOTES_PER_NOTEBOOK = 10
MAX_FAILURES_SHOWN = 10
STATES = {"missing", "not_attempted", "evaluated", "invalid", "timeout", "crashed", "pending"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_OUTPUT_NAME = re.compile(r"outputs/([a-z][a-z0-9_]*\.[a-z0-9_]+)/(\d{1,4})\.npy")


def find_submissions(root, skipped: list | None = None) -> dict:
    """``{student: [notebook paths]}`` for ``root/<student>/*.ipynb`` and ``root/<student>.ipynb``.

    Symbolic links (at any depth), hidden and ``_``-prefixed entries and
    files that are not notebooks are left out; each is appended to
    ``skipped`` as ``(path, why)`` so that the grader can say so.
    """
    skipped = [] if skipped is None else skipped
    subs = {}
    for entry in sorted(Path(root).iterdir()):
        if entry.is_symlink():
            skipped.append((entry.name, "a symbolic link (only real files and folders are graded)"))
        elif entry.name.startswith((".", "_")):
            skipped.append((entry.name, "its name starts with '.' or '_' (hidden or reserved)"))
        elif entry.is_dir():
            found = []
            for path in sorted(entry.rglob("*")):
                rel = path.relative_to(root)
                if ".ipynb_checkpoints" in path.parts or any(p.startswith(".") for p in rel.parts[1:]):
                    continue
                if path.is_symlink():
                    skipped.append((str(rel), "a symbolic link (only real files are graded)"))
                elif path.is_file() and path.suffix == ".ipynb":
                    found.append(path)
            subs.setdefault(entry.name, []).extend(found)
        elif entry.suffix == ".ipynb" and entry.is_file():
            subs.setdefault(entry.stem, []).append(entry)
        else:
            skipped.append((entry.name, "not a folder or a .ipynb notebook"))
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


def _text(value, workdir: str = "", limit: int = 600) -> str:
    """A string from the runner, made safe to print: no control characters, no work-dir paths, bounded."""
    if not isinstance(value, str):
        return ""
    value = _CONTROL.sub("", value[: 4 * limit])
    for path in {workdir, os.path.realpath(workdir), JOB, SCRATCH} - {""}:
        value = value.replace(path, "<workdir>")
    return value[:limit]


def _score(ex, rec, cases, outputs: dict, end, partial: bool = False) -> ExerciseGrade:
    """Grade one exercise from its validated record and outputs; ``end`` = (status, why) if the run stopped early.

    An answer run on cases earns its points when every case passes; with
    ``partial``, ``points × passed weight / total weight`` otherwise.
    """
    def grade(status, detail="", failed=(), points=0):
        return ExerciseGrade(ex.id, ex.points if status == "correct" else points, ex.points, status, detail,
                             tuple(failed))
    if not isinstance(rec, dict) or rec.get("state") == "pending":
        if end:
            return grade(end[0], "not graded: the run stopped early (see the notes)")
        return grade("missing", "the answer was not found")
    state, reason = rec.get("state"), _text(rec.get("reason"))
    if state in ("missing", "not_attempted", "timeout", "crashed"):
        return grade(state, reason)
    if state != "evaluated":
        return grade("incorrect", reason or "the answer could not be evaluated")
    if ex.kind == "choice":
        key = rec.get("choice")
        if key not in ex.options:
            return grade("incorrect", "no valid choice was found")
        return grade("correct") if key == expected_output(ex) else grade("incorrect", f"({key}) is not the right choice")
    if not ex.runs_code:   # a value exercise of the book: one number
        v = rec.get("value")
        if type(v) not in (int, float):
            return grade("incorrect", "no number was found")
        bad = compare(expected_output(ex), float(v), output="scalar", rtol=ex.rtol, atol=ex.atol)
        return grade("incorrect", f"{fmt_value(v)} is not the right value") if bad else grade("correct")
    results = rec.get("cases", [])
    passed, weight, failures, names, first_status = 0, 0, [], [], None
    for j, case in enumerate(cases):
        crec = results[j] if j < len(results) else {}
        problem, status = _text(crec.get("problem")), "incorrect"
        if crec.get("error"):
            problem, status = f"your function raised {_text(crec['error'])}", "error"
        elif not problem:
            problem = _compare_output(ex, case, outputs.get((ex.id, j)))
        if problem is None:
            passed, weight = passed + 1, weight + case.weight
        else:
            failures.append((case.name, problem))
            names.append(case.name)
            first_status = first_status or status
    if ex.kind == "value":   # an assignment's value: its one case is the value itself
        return grade(first_status, failures[0][1]) if failures else grade("correct")
    if passed == len(cases):
        return grade("correct", f"all {len(cases)} cases passed")
    total = sum(c.weight for c in cases)
    points = round(ex.points * weight / total, 6) if partial and total > 0 else 0
    counted = f"{passed}/{len(cases)} cases passed"
    if any(c.weight != 1 for c in cases):
        counted += f" (weight {weight:g} of {total:g})"
    shown = failures[:MAX_FAILURES_SHOWN]
    more = f"\n- and {len(failures) - len(shown)} more failing cases" if len(failures) > len(shown) else ""
    return grade(first_status, f"{counted}; failing:\n" + "\n".join(f"- case '{n}': {p}" for n, p in shown) + more,
                 names, points)


def _compare_output(ex, case, data):
    if data is None:
        return "no output was produced (or it was too large)"
    try:
        got = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception:  # noqa: BLE001 - anything unreadable is simply wrong
        return "the output could not be read"
    rtol, atol = ex.tolerances(case)
    return compare(expected_output(ex, case), got, output=ex.output, rtol=rtol, atol=atol,
                   show_values=not case.name.startswith("hidden: "))


def read_results(path: str):
    """``(status, outputs, problem)`` from the runner's result archive: plain data only, bounded.

    ``outputs`` maps ``(exercise id, case index)`` to ``.npy`` bytes. A
    missing, oversized or malformed archive gives an empty status and a
    ``problem`` in plain words, never an exception.
    """
    data = read_plain_file(path, MAX_RESULT_BYTES)
    if not data:
        return {}, {}, "no results came back from the sandbox"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            if len(infos) > MAX_RESULT_MEMBERS:
                return {}, {}, "the results held too many files"
            status, outputs = {}, {}
            for info in infos:
                match = _OUTPUT_NAME.fullmatch(info.filename)
                if info.compress_type != zipfile.ZIP_STORED or info.file_size > MAX_OUTPUT_BYTES:
                    continue
                if info.filename == "status.json" and info.file_size <= MAX_STATUS_BYTES:
                    status = json.loads(z.read(info))
                elif match:
                    outputs[(match.group(1), int(match.group(2)))] = z.read(info)
    except (zipfile.BadZipFile, ValueError, RecursionError, OSError, EOFError):
        return {}, {}, "the results could not be read (the archive was damaged)"
    status, problem = valid_status(status)
    return status, outputs, problem


def _is_str(x, limit=100_000):
    return isinstance(x, str) and len(x) <= limit


def _is_pair(x, second=_is_str):
    return isinstance(x, list) and len(x) == 2 and type(x[0]) is int and second(x[1])


def _valid_record(rec) -> bool:
    """One exercise's record, exactly as the runner writes it (types, sizes, known keys)."""
    if not isinstance(rec, dict) or rec.get("state") not in STATES:
        return False
    checks = {
        "state": lambda v: True,
        "reason": _is_str,
        "starter_cells": lambda v: isinstance(v, list) and len(v) <= 1000 and all(
            _is_pair(x, lambda y: type(y) is int) for x in v),
        "value": lambda v: (type(v) is float or (type(v) is int and abs(v) < 2 ** 1000)),
        "choice": lambda v: _is_str(v, 100),
        "warnings": lambda v: isinstance(v, list) and len(v) <= 10 and all(_is_str(w, 1000) for w in v),
        "cases": lambda v: isinstance(v, list) and len(v) <= 1000 and all(
            isinstance(c, dict) and set(c) <= {"problem", "error"} and all(_is_str(t, 10_000) for t in c.values())
            for c in v),
    }
    return set(rec) <= set(checks) and all(checks[k](v) for k, v in rec.items())


def _valid_notebook(nb) -> bool:
    keys = {"name": _is_str, "problems": lambda v: isinstance(v, list) and len(v) <= 100 and all(map(_is_str, v)),
            "cell_errors": lambda v: isinstance(v, list) and len(v) <= 100_000 and all(_is_pair(x) for x in v),
            "skipped": lambda v: isinstance(v, list) and len(v) <= 100_000 and all(_is_pair(x) for x in v)}
    return isinstance(nb, dict) and set(nb) == set(keys) and all(keys[k](v) for k, v in nb.items())


def valid_status(status):
    """``(status, problem)``: the runner's summary with every malformed part replaced, and what was wrong."""
    if not isinstance(status, dict):
        return {}, "the results were not in the expected format"
    problems, clean = [], {"done": status.get("done") is True, "progress": _text(status.get("progress"), limit=200)}
    cpu = status.get("cpu_seconds")
    clean["cpu_seconds"] = float(cpu) if type(cpu) is float and 0 <= cpu < 1e7 else 0.0
    notebooks = status.get("notebooks", [])
    if not (isinstance(notebooks, list) and len(notebooks) <= 1000 and all(map(_valid_notebook, notebooks))):
        notebooks = []
        problems.append("the record of the notebooks was malformed")
    clean["notebooks"] = notebooks
    exercises = status.get("exercises", {})
    clean["exercises"] = {}
    if not isinstance(exercises, dict):
        problems.append("the record of the exercises was malformed")
        exercises = {}
    for ex_id, rec in exercises.items():
        if _is_str(ex_id, 100):
            clean["exercises"][ex_id] = rec if _valid_record(rec) else {
                "state": "invalid", "reason": "the grading record of this answer was malformed"}
    return clean, "; ".join(problems) or None


def _notebook_notes(status: dict, workdir: str, limits: Limits) -> list:
    notes = []
    for nb in status.get("notebooks", []):
        name = _text(nb.get("name"), workdir, 100)
        notes += [f"`{name}`: {_text(p, workdir)}" for p in nb.get("problems", []) if isinstance(p, str)]
        errors = [e for e in nb.get("cell_errors", []) if isinstance(e, list) and len(e) == 2]
        for cell, error in errors[:MAX_NOTES_PER_NOTEBOOK]:
            error = _text(error, workdir)
            extra = (f" (the memory limit is {limits.mem_mb} MB)" if error.startswith("MemoryError")
                     else " (exiting is ignored; grading went on)" if error.startswith("SystemExit") else "")
            if error.startswith("ran out of"):
                notes.append(f"`{name}`, cell {cell}: {error}; it was stopped and the next cells ran")
            else:
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
        data = read_plain_file(str(p), MAX_NOTEBOOK_BYTES)
        cells, _ = read_notebook(data or b"")
        for cell in cells:
            ex_id, _ = cell_role(cell)
            if ex_id and ex_id.split(".")[0] in CHAPTERS:
                found.add(ex_id.split(".")[0])
    return found


def _write_job(wd: Path, student: str, notebooks: list, exercises: list, limits: Limits, secret: str, report):
    """The job folder: notebook copies, input cases and ``job.json``; returns the cases by exercise id."""
    nbs = []
    for k, p in enumerate(notebooks):
        data = read_plain_file(str(p), MAX_NOTEBOOK_BYTES)
        if data is None:
            report.notes.append(f"`{_text(p.name)}` is not a regular file of at most {MAX_NOTEBOOK_BYTES} bytes")
        (wd / f"nb{k}.ipynb").write_bytes(data or b"")
        nbs.append({"file": f"nb{k}.ipynb", "name": p.name})
    cases = {ex.id: ex.public_cases() + ex.hidden_cases(secret, student) for ex in exercises if ex.runs_code}
    specs = []
    for ex in exercises:
        spec = {"id": ex.id, "cases": _write_cases(wd, ex, cases.get(ex.id, []))}
        if isinstance(ex, Question):    # described here: the runner's registry knows only the book's
            spec["question"] = ex.runner_spec()
        specs.append(spec)
    job = {"notebooks": nbs, "limits": limits.for_runner(), "exercises": specs}
    (wd / "job.json").write_text(json.dumps(job), encoding="utf-8")
    return cases


def _run_job(workdir: str, limits: Limits, sandbox: str, runtime) -> tuple:
    """Run the runner on ``workdir/job`` in the sandbox; return ``(outcome, result path)``."""
    jobdir, result = os.path.join(workdir, "job"), os.path.join(workdir, "result.zip")
    fd = os.open(result, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if sandbox == "bwrap":
            env = child_env(RUNTIME_PATH, SCRATCH)
            env["TMPDIR"], env["NNBOOK_SANDBOX"] = SCRATCH + "/tmp", "bwrap"
            argv = bwrap_argv(runtime=runtime, jobdir=jobdir, limits=limits, env=env, result_fd=fd)
            cwd = workdir
        else:
            scratch = os.path.join(workdir, "scratch")
            os.mkdir(scratch)
            root = os.pathsep.join(dict.fromkeys(  # where nnlib and nnbook are (one folder in a checkout)
                str(Path(sys.modules[name].__file__).parent.parent) for name in ("nnlib", "nnbook")))
            argv = [sys.executable, "-s", "-B", "-m", "nnbook.grading.runner", os.path.join(jobdir, "job.json"), str(fd)]
            env, cwd = child_env(root, scratch), scratch
        outcome = run_limited(argv, cwd=cwd, env=env, limits=limits, pass_fds=(fd,),
                              stderr_path=os.path.join(workdir, "stderr.txt"))
    finally:
        os.close(fd)
    return outcome, result


def grade_student(student: str, notebooks: list, exercises: list, limits: Limits, secret: str,
                  sandbox: str = "bwrap", runtime=None, partial: bool = False) -> StudentReport:
    """Run one student's notebooks in a sandbox and score every exercise (or question) in ``exercises``.

    ``runtime`` is the folder made by :func:`~nnbook.grading.sandbox.stage_runtime`
    (needed for ``sandbox="bwrap"``); ``partial`` gives partial credit by case weight.
    """
    report = StudentReport(student, [p.name for p in notebooks])
    workdir = tempfile.mkdtemp(prefix="nnbook-")
    try:
        wd = Path(workdir) / "job"
        wd.mkdir()
        cases = _write_job(wd, student, notebooks, exercises, limits, secret, report)
        outcome, result = _run_job(workdir, limits, sandbox, runtime)
        report.seconds, report.cpu_seconds, report.wall_timeout = outcome.seconds, outcome.cpu_seconds, outcome.timed_out
        status, outputs, problem = read_results(result)
        report.cpu_seconds = max(report.cpu_seconds, status.get("cpu_seconds", 0.0))   # bwrap's init does not pass it on
        report.wall_timeout = report.wall_timeout or _hit_wall_clock(status)
        end = None
        if status.get("done") is not True:
            where = status.get("progress") or "start-up"
            if outcome.timed_out or outcome.cpu_exceeded:
                end = ("timeout", f"the submission ran out of time while running {where} (limits: {limits.describe()})")
            else:
                memory = f"; this can happen when memory runs out (limit {limits.mem_mb} MB)" if outcome.returncode < 0 else ""
                end = ("crashed", f"the grading process ended early ({outcome.how()}) while running {where}{memory}")
                _warn_runner_failure(student, workdir, outcome)
            report.notes.append(end[1])
        if problem:
            report.notes.append(problem)
        if not notebooks:
            report.notes.append("no notebook (.ipynb) was found in the submission")
        report.notes += _notebook_notes(status, workdir, limits)
        records = status.get("exercises", {})
        for ex in exercises:
            rec = records.get(ex.id)
            report.grades.append(_score(ex, rec, cases.get(ex.id, []), outputs, end, partial))
            if isinstance(rec, dict):
                report.notes += _exercise_notes(ex, rec, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return report


def _hit_wall_clock(status: dict) -> bool:
    """Whether a cell, an answer or a notebook was stopped by a wall-clock deadline (a busy machine can cause it)."""
    texts = [e[1] for nb in status.get("notebooks", []) for e in nb["cell_errors"]]
    texts += [p for nb in status.get("notebooks", []) for p in nb["problems"]]
    texts += [rec.get("reason", "") for rec in status.get("exercises", {}).values()]
    return any("wall-clock" in t for t in texts)


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


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def grade(submissions, out, *, jobs: int = 1, shard=None, limits: Limits = Limits(),
          secret: str = "nnbook", chapters=None, sandbox: str = "bwrap", only=None, assignment=None,
          partial_credit: bool = False) -> list:
    """Grade a folder of submissions; write ``out/gradebook.csv``, ``out/details.json`` and ``out/feedback/*.md``.

    ``chapters`` names the book's chapters to grade; by default, every
    chapter that any notebook in ``submissions`` belongs to (the whole
    folder, whatever the shard), so that every student has the same maximum.
    ``assignment`` (a folder or notebook, or an
    :class:`~nnbook.grading.assignment.Assignment`) grades an instructor's
    assignment instead, every question for every student. ``partial_credit``
    gives the book's exercises partial credit by case weight, as assignments
    always have. A submission that hits the wall-clock backstop while others
    run is graded again, alone, before it is scored as a timeout. ``sandbox``
    is ``"bwrap"`` or ``"process"`` (see :mod:`nnbook.grading.sandbox`).
    ``only`` grades the named students alone (``--only``).
    """
    skipped = []
    found = find_submissions(submissions, skipped)
    for path, why in skipped:
        print(f"nnbook grade: skipped {_text(path, limit=200)!r}: {why}", file=sys.stderr)
    if assignment is not None:
        from .assignment import Assignment, load_assignment
        if chapters is not None:
            raise ValueError("grade either an assignment or the book's chapters, not both")
        if not isinstance(assignment, Assignment):
            assignment = load_assignment(assignment)
        exercises, partial_credit = list(assignment.questions), True
    else:
        if chapters is None:
            chapters = tuple(sorted(set().union(*(submitted_chapters(nbs) for nbs in found.values())))) or None
        exercises = [ex for ex in all_exercises() if chapters is None or ex.chapter in chapters]
    if not exercises:
        raise ValueError(f"no exercises to grade (chapters={chapters})")
    subs = {s: nbs for s, nbs in found.items() if in_shard(s, shard) and (only is None or s in only)}
    start = time.monotonic()
    staging = tempfile.mkdtemp(prefix="nnbook-runtime-") if sandbox == "bwrap" else None
    try:
        runtime = stage_runtime(staging) if staging else None
        run = lambda s: grade_student(s, subs[s], exercises, limits, secret, sandbox, runtime,  # noqa: E731
                                      partial_credit)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {s: pool.submit(run, s) for s in subs}
            reports = {s: futures[s].result() for s in sorted(futures)}
        for s, r in reports.items():   # a wall-clock deadline may come from a busy machine: try alone once more
            if r.wall_timeout:
                print(f"nnbook grade: {_text(s, limit=100)} hit a wall-clock deadline; grading it again, alone",
                      file=sys.stderr)
                reports[s] = run(s)   # its files say nothing of the first run, so that runs stay byte-identical
    finally:
        if staging:
            shutil.rmtree(staging, ignore_errors=True)
    reports = [reports[s] for s in sorted(reports)]
    wall = time.monotonic() - start
    out = Path(out)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    for r in reports:
        _atomic_write(out / "feedback" / feedback_filename(r.student), feedback_markdown(r))
    rows, summary = report_rows(reports), details(reports)
    if only is not None and (out / "gradebook.csv").exists():
        rows = replace_rows(read_gradebook(out / "gradebook.csv"), rows)
        if (out / "details.json").exists():
            old = read_details(out)["students"]
            summary = {"students": dict(sorted({**old, **summary["students"]}.items()))}
    _atomic_write(out / "details.json", details_text(summary))
    _atomic_write(out / "gradebook.csv", gradebook_text(rows))
    _print_summary(reports, wall, jobs, shard)
    return reports


def _print_summary(reports, wall: float, jobs: int, shard) -> None:
    counts = {}
    for r in reports:
        print(f"{_text(r.student, limit=100)}: {r.points:g}/{r.max_points:g} points "
              f"({r.seconds:.2f} s wall, {r.cpu_seconds:.2f} s CPU)")
        for g in r.grades:
            counts[g.status] = counts.get(g.status, 0) + 1
    per = sum(r.seconds for r in reports) / max(1, len(reports))
    cpu = sum(r.cpu_seconds for r in reports) / max(1, len(reports))
    where = f" (shard {shard[0]}/{shard[1]})" if shard else ""
    tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    print(f"graded {len(reports)} submission(s){where}: {tally}; {wall:.1f} s wall, "
          f"{per:.2f} s wall and {cpu:.2f} s CPU per submission, {jobs} job(s)")
