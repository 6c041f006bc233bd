"""The process that runs one student's notebooks: ``python -m nnbook.grading.runner job.json FD``.

The grader starts it inside the sandbox (see :mod:`.sandbox`), in a scratch
folder holding copies of the student's notebooks, ``job.json`` and the input
cases; ``FD`` is an open file where the results go (the only way out). The
runner itself never runs student code:

1. It refuses imports of ``nnbook.exercises.solutions`` (a meta-path finder)
   and turns ``os._exit`` into ``SystemExit``.
2. It reads every notebook (bounded size, depth and cell count) and finds
   each exercise's starter cell; if there are several, the last one counts.
3. For each notebook it forks a child that starts from the runner's own
   clean state, so nothing (a variable, torch's default dtype) carries over
   from one notebook to the next. The child runs the code cells in order,
   each under its own CPU-time and wall-clock timer (a cell that runs out is
   stopped and recorded, and the next cell runs), skipping check, solution
   and hidden cells.
4. Each exercise whose starter is in that notebook is then evaluated in a
   grandchild forked from the child, under its own CPU limit
   (``RLIMIT_CPU``) and wall deadline, so a loop in one answer costs that
   exercise only. Outputs are plain ``.npy`` files (``allow_pickle=False``).
   An assignment's question comes described in the job (its answer's name,
   kind and output: :meth:`nnbook.assignments.Question.runner_spec`), never
   with its reference answer.
5. Records come back to the runner as JSON lines through a pipe (bounded);
   after every notebook the runner writes ``status.json`` and the outputs,
   as one zip archive, to ``FD``.

It judges nothing: the grader validates every record, and compares the
outputs with expected values it computed itself.
"""
from __future__ import annotations

import io
import json
import os
import resource
import select
import signal
import sys
import time
import types
import zipfile

import numpy as np

from ..assignments import Question
from ..exercises.checking import (call_answer, describe_exception, forbidden_calls, is_blank, normalize_choice,
                                  refused_warning, unchanged_bug)
from ..exercises.compare import plain_copy, scalar_problem, type_problem
from ..exercises.core import GRADING_ENV, exercise
from .notebook import cell_role, cell_source, needed_cells, read_notebook, read_plain_file, strip_magics

BLOCKED = "nnbook.exercises.solutions"
SKIPPED_ROLES = ("check", "solution", "hidden")
MAX_OUTPUT_BYTES = 64_000_000      # one case's output
MAX_OUTPUTS_BYTES = 256_000_000    # all outputs of a submission
MAX_LINE_BYTES = 1_000_000         # one record sent through the pipe
MAX_PIPE_BYTES = 16_000_000        # everything one notebook sends
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


class CellTimeout(BaseException):
    """Raised in a cell (or an answer) by the CPU or wall-clock timer."""


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
    try:  # PR_SET_DUMPABLE = 0: student code in the children cannot open this process's /proc files (its fds)
        import ctypes
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _on_timer(signum, frame):
    raise CellTimeout("CPU time" if signum == signal.SIGPROF else "wall-clock time")


def run_cell(src: str, ns: dict, filename: str, cpu_s: float = 0, wall_s: float = 0) -> str | None:
    """Execute one cell in ``ns`` under the timers; return the description of its exception, if any."""
    sink = _Sink()
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = sink
    if cpu_s:
        signal.signal(signal.SIGPROF, _on_timer)
        signal.signal(signal.SIGALRM, _on_timer)
        signal.setitimer(signal.ITIMER_PROF, cpu_s, 1.0)   # and again every second if it is caught
        signal.setitimer(signal.ITIMER_REAL, wall_s or 3 * cpu_s, 1.0)
    try:
        exec(compile(src, filename, "exec"), ns)
    except CellTimeout as exc:
        return f"ran out of {exc.args[0]} (limits per cell: {cpu_s:g} s CPU, {wall_s or 3 * cpu_s:g} s wall clock)"
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
        return describe_exception(exc)
    finally:
        if cpu_s:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdout, sys.stderr = saved
    return None


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
    """Run ``fn`` on each case and save its outputs; an assignment's value question is its own one output."""
    value = ex.kind == "value"
    if not value and not callable(fn):
        return {"state": "invalid", "reason": f"{ex.answer_name} should be a function, got {type(fn).__name__}"}
    if unchanged_bug(ex, fn):
        return {"state": "not_attempted", "reason": f"{ex.answer_name} is still the buggy original"}
    results, warned = [], []
    os.makedirs(os.path.join("outputs", ex.id), exist_ok=True)
    for k, case in enumerate(cases):
        if value:
            out, err, warns = fn, None, []
        else:
            with forbidden_calls(ex):
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


def evaluate(spec: dict, ns: dict) -> dict:
    """The record of one exercise (or an assignment's question) whose answer is bound in ``ns``."""
    ex = Question.from_runner_spec(spec["id"], spec["question"]) if "question" in spec else exercise(spec["id"])
    if ex.answer_name not in ns:
        return {"state": "missing", "reason": f"{ex.answer_name} is not defined"}
    answer = ns[ex.answer_name]
    if is_blank(answer):
        return {"state": "not_attempted", "reason": f"{ex.answer_name} is still {answer!r}"}
    if ex.runs_code:
        return evaluate_function(ex, answer, spec["cases"])
    if ex.kind == "value":
        problem = scalar_problem(answer)
        return {"state": "invalid", "reason": problem} if problem else {
            "state": "evaluated", "value": float(plain_copy(answer, "scalar"))}
    key, problem = normalize_choice(answer, ex.options)
    return {"state": "invalid", "reason": problem} if problem else {"state": "evaluated", "choice": key}


def _send(fd: int, **message) -> None:
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(fd, data):]


def _wait(pid: int, fd: int, deadline: float):
    """Read ``fd`` until ``pid`` ends (or ``deadline``: then kill it).

    Returns (bytes, exit status, timed out, CPU seconds of ``pid`` itself).

    The end of the child, not the end of the pipe, stops the reading: a
    process the student started may hold the pipe open long after.
    """
    chunks, size, timed_out = [], 0, False
    os.set_blocking(fd, False)

    def drain() -> bool:
        nonlocal size
        while True:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                return False
            if not chunk:
                return True
            if size < MAX_PIPE_BYTES:
                chunks.append(chunk[: MAX_PIPE_BYTES - size])
                size += len(chunks[-1])

    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        select.select([fd], [], [], min(left, 0.2))
        eof = drain()
        if eof or os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            break
    if timed_out:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status, usage = os.wait4(pid, 0)
    drain()
    os.close(fd)
    return b"".join(chunks), status, timed_out, usage.ru_utime + usage.ru_stime


def _session_of(pid: int):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[3])   # field 6, after "(comm)": session id
    except (OSError, ValueError, IndexError):
        return None


def _kill_processes(keep: set, session=None) -> None:
    """SIGKILL every process but ``keep``: all of them in the bwrap sandbox (its own PID namespace,
    where 1 is bubblewrap's init), elsewhere only those of ``session``."""
    in_sandbox = os.environ.get("NNBOOK_SANDBOX") == "bwrap"
    if not in_sandbox and session is None:
        return
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in keep and (in_sandbox or _session_of(int(entry)) == session):
            try:
                os.kill(int(entry), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _end_cell_processes() -> None:
    """In the notebook's child, before its answers are evaluated: end the processes its cells started."""
    _kill_processes({1, os.getpid(), os.getppid()}, session=os.getpid())
    deadline = time.monotonic() + 5      # reap them, so that they no longer count against the process cap
    try:
        while time.monotonic() < deadline:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                time.sleep(0.01)
    except ChildProcessError:           # no child left
        pass


def _kill_strays(pid: int) -> None:
    """End whatever the notebook's child started: its session, and in the bwrap sandbox every other process."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    _kill_processes({1, os.getpid()})


def _messages(data: bytes) -> list:
    out = []
    for line in data.split(b"\n"):
        if not line or len(line) > MAX_LINE_BYTES:
            continue
        try:
            msg = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(msg, dict):
            out.append(msg)
    return out


def _end_of(status: int, timed_out: bool, cpu_s: float, used: float = 0.0) -> tuple:
    """(state, reason) for a child that did not finish normally; ``used`` is its own CPU time."""
    if timed_out:
        return "timeout", "ran out of wall-clock time"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if cpu_s and (sig == signal.SIGXCPU or (sig == signal.SIGKILL and used >= cpu_s - 0.5)):
            return "timeout", f"ran out of CPU time (limit {cpu_s:g} s)"
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return "crashed", f"was killed by signal {name}"
    return "crashed", f"ended early (exit code {os.waitstatus_to_exitcode(status)})"


def evaluate_forked(spec: dict, ns: dict, limits: dict) -> dict:
    """:func:`evaluate` in a grandchild under its own CPU limit and wall deadline."""
    cpu = float(limits["exercise_cpu_s"])
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(r)
        os.close(w)
        return {"state": "crashed", "reason": f"the answer could not be started ({describe_exception(exc)})"}
    if pid == 0:  # grandchild: the answer runs here
        try:
            os.close(r)
            resource.setrlimit(resource.RLIMIT_CPU, (int(cpu) + 1, int(cpu) + 2))
            signal.signal(signal.SIGPROF, _on_timer)
            signal.setitimer(signal.ITIMER_PROF, cpu, 1.0)
            try:
                record = evaluate(spec, ns)
            except CellTimeout:
                record = {"state": "timeout", "reason": f"ran out of CPU time (limit {cpu:g} s)"}
            except BaseException as exc:  # noqa: BLE001 - e.g. a SystemExit raised by the answer
                record = {"state": "invalid", "reason": describe_exception(exc)}
            signal.setitimer(signal.ITIMER_PROF, 0)
            _send(w, record=record)
        finally:
            _real_exit(0)
    os.close(w)
    data, status, timed_out, used = _wait(pid, r, time.monotonic() + float(limits["exercise_wall_s"]))
    records = [m["record"] for m in _messages(data) if isinstance(m.get("record"), dict)]
    if records and not timed_out:
        return records[-1]
    state, why = _end_of(status, timed_out, cpu, used)
    return {"state": state, "reason": f"the answer {why} while it was evaluated"}


def run_notebook(spec: dict, cells: list, exercises: list, limits: dict, w: int) -> None:
    """In the notebook's child: run its cells, then evaluate its exercises; report through ``w``."""
    module = types.ModuleType("__main__")
    sys.modules["__main__"] = module
    ns = module.__dict__
    runnable = []                                   # (cell number, plain Python, role)
    for i, cell in enumerate(cells, start=1):
        ex_id, role = cell_role(cell)
        if cell.get("cell_type") != "code" or role in SKIPPED_ROLES:
            continue
        src, reason = strip_magics(cell_source(cell))
        if reason:
            _send(w, skipped=[i, reason])
            continue
        runnable.append((i, src, role))
    mode = limits.get("cells", "all")
    if mode == "starters":
        runnable = [c for c in runnable if c[2] == "starter"]
    elif mode == "needed":
        keep = needed_cells([c[1] for c in runnable], [k for k, c in enumerate(runnable) if c[2] == "starter"])
        runnable = [runnable[k] for k in keep]
    for i, src, _ in runnable:
        _send(w, progress=f"cell {i} of {spec['name']}")
        error = run_cell(src, ns, f"<cell {i}>", float(limits["cell_cpu_s"]), float(limits["cell_wall_s"]))
        if error:
            _send(w, cell_error=[i, error])
    _end_cell_processes()
    for ex_spec in exercises:
        _send(w, progress=f"exercise {ex_spec['id']}")
        _send(w, exercise=ex_spec["id"], record=evaluate_forked(ex_spec, ns, limits))


class Results:
    """``status.json`` and the outputs, as one zip archive rewritten on the result file after each step."""

    def __init__(self, fd: int):
        self.fd = fd
        self.data = {"notebooks": [], "exercises": {}, "progress": "start", "done": False}

    def publish(self, **changes) -> None:
        self.data.update(changes)
        buf, total = io.BytesIO(), 0
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
            z.writestr("status.json", json.dumps(self.data))
            for ex_id in sorted(self.data["exercises"]):
                folder = os.path.join("outputs", ex_id)
                for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
                    data = read_plain_file(os.path.join(folder, name), MAX_OUTPUT_BYTES)
                    if data is not None and total + len(data) <= MAX_OUTPUTS_BYTES:
                        z.writestr(f"outputs/{ex_id}/{name}", data)
                        total += len(data)
        data = buf.getvalue()
        os.lseek(self.fd, 0, os.SEEK_SET)
        os.ftruncate(self.fd, 0)
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]


def _starters(notebooks: list) -> dict:
    """``{exercise id: [[notebook index, cell number], ...]}`` in notebook order."""
    where = {}
    for k, (_, cells) in enumerate(notebooks):
        for i, cell in enumerate(cells, start=1):
            ex_id, role = cell_role(cell)
            if role == "starter" and ex_id:
                where.setdefault(ex_id, []).append([k, i])
    return where


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    lock_down()
    with open(argv[0], encoding="utf-8") as f:
        job = json.load(f)
    here = os.path.dirname(os.path.abspath(argv[0]))   # the job's files are named relative to job.json
    for spec in job["notebooks"]:
        spec["file"] = os.path.join(here, spec["file"])
    for spec in job["exercises"]:
        for case in spec["cases"]:
            case["npz"] = os.path.join(here, case["npz"])
    results = Results(int(argv[1]))
    limits = job["limits"]
    notebooks = []
    for spec in job["notebooks"]:
        with open(spec["file"], "rb") as f:
            cells, problems = read_notebook(f.read())
        notebooks.append((spec, cells))
        results.data["notebooks"].append({"name": spec["name"], "problems": problems, "cell_errors": [],
                                          "skipped": []})
    starters = _starters(notebooks)
    assigned = {k: [] for k in range(len(notebooks))}
    for spec in job["exercises"]:
        where = starters.get(spec["id"], [])
        if not where:
            results.data["exercises"][spec["id"]] = {
                "state": "missing", "reason": f"no starter cell of {spec['id']} was found (was it deleted?)"}
        else:
            assigned[where[-1][0]].append(spec)
            results.data["exercises"][spec["id"]] = {"starter_cells": where, "state": "pending"}
    results.publish()
    for k, (spec, cells) in enumerate(notebooks):
        record = results.data["notebooks"][k]
        results.publish(progress=spec["name"])     # before the fork: what is published never races the child
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the notebook's child
            try:
                os.setsid()
                os.close(r)
                os.close(results.fd)
                run_notebook(spec, cells, assigned[k], limits, w)
            finally:
                _real_exit(0)
        os.close(w)
        n_code = sum(c.get("cell_type") == "code" for c in cells)
        deadline = n_code * float(limits["cell_wall_s"]) + len(assigned[k]) * float(limits["exercise_wall_s"]) + 30
        data, status, timed_out, _ = _wait(pid, r, time.monotonic() + deadline)
        _kill_strays(pid)
        progress = spec["name"]
        for msg in _messages(data):
            if isinstance(msg.get("progress"), str):
                progress = msg["progress"]
            if isinstance(msg.get("cell_error"), list):
                record["cell_errors"].append(msg["cell_error"])
            if isinstance(msg.get("skipped"), list):
                record["skipped"].append(msg["skipped"])
            ex_id = msg.get("exercise")
            if ex_id in results.data["exercises"] and isinstance(msg.get("record"), dict):
                results.data["exercises"][ex_id] = {**msg["record"],
                                                    "starter_cells": results.data["exercises"][ex_id]["starter_cells"]}
        if timed_out or not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            state, why = _end_of(status, timed_out, 0)
            record["problems"].append(f"the notebook {why} while running {progress}")
        for ex_spec in assigned[k]:
            rec = results.data["exercises"][ex_spec["id"]]
            if rec.get("state") == "pending":
                state = "timeout" if timed_out else "crashed"
                results.data["exercises"][ex_spec["id"]] = {
                    **rec, "state": state, "reason": f"not graded: the notebook stopped early while running {progress}"}
        results.publish()
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    results.publish(progress="done", done=True, cpu_seconds=sum(u.ru_utime + u.ru_stime for u in used))
    _real_exit(0)  # don't wait for threads or atexit handlers


if __name__ == "__main__":
    main()
