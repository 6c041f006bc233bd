"""Running untrusted code: an operating-system sandbox (bubblewrap) or, on request, a limited process.

Two modes, chosen by the instructor (``nnbook grade --sandbox``):

``bwrap`` (the default; Linux with Debian's ``bubblewrap``, the sandbox Flatpak uses)
    The runner starts in new user, PID, network, IPC, UTS and mount
    namespaces, as user 65534 with no capabilities, in its own session, and
    dies with the grader. Its file system is built from nothing: the system's
    read-only ``/usr`` and libraries, the Python installation read-only, a
    copy of ``nnlib`` and of the parts of ``nnbook`` the runner needs
    (without the reference solutions and without the grader) at
    ``/opt/nnbook``, the student's own job (notebooks and input cases)
    read-only at ``/job``, and a scratch folder ``/home/student`` (the only
    writable place, a tmpfs of ``Limits.scratch_mb``). It sees no other
    submission, no results folder, no network, no process outside its
    sandbox (its ``/proc`` is its own), and no variable of the grader's
    environment; when the runner ends, the kernel kills everything it
    started. Results leave through one file descriptor.
``process`` (weaker; where bubblewrap is missing or cannot make namespaces)
    A child process in its own session with a clean environment and the same
    resource limits, but with the grader user's view of the machine: it can
    read what that user can read (the reference solutions by path, other
    submissions) and can leave processes behind. Use it only for
    self-assessment or behind a container of its own.

In both modes the resource limits are set before Python starts
(``RLIMIT_AS`` memory, ``RLIMIT_FSIZE``, ``RLIMIT_CORE`` = 0, a per-process
``RLIMIT_CPU`` backstop), and the runner adds its own per-cell and
per-exercise CPU limits (see :mod:`.runner`). A wall-clock backstop kills the
whole sandbox.
"""
from __future__ import annotations

import importlib.util
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Limits", "Outcome", "run_limited", "child_env", "bwrap_problem", "pids_cgroup", "stage_runtime", "bwrap_argv",
           "SANDBOXES", "RUNTIME", "SCRATCH", "JOB"]

SANDBOXES = ("bwrap", "process")
RUNTIME, SCRATCH, JOB = "/opt/nnbook", "/home/student", "/job"   # paths inside the bwrap sandbox
_RUNNER_FILES = {"__init__.py", "runner.py", "notebook.py"}       # all of nnbook.grading the runner needs

_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


@dataclass(frozen=True)
class Limits:
    """What one submission may use.

    ``cpu_s`` is the CPU time of each notebook cell and of each exercise's
    evaluation (on all its cases), each measured on its own; ``wall_s`` is a
    backstop for the whole submission (a submission that hits it is graded
    again, alone, before it is scored as a timeout).
    """
    cpu_s: float = 30.0
    wall_s: float = 900.0
    mem_mb: int = 2048
    file_mb: int = 256      # the largest file, and the scratch space of the bwrap sandbox
    cells: str = "needed"   # the cells the exercises' answers can depend on ("needed"), "all", or "starters"
    max_processes: int = 256  # processes and threads of one submission, where a pids cgroup can be made

    def describe(self) -> str:
        return (f"{self.cpu_s:g} s CPU per cell and per exercise, {self.mem_mb} MB memory, "
                f"{self.wall_s:g} s wall clock per submission")

    @property
    def step_wall_s(self) -> float:
        """The wall-clock deadline of one cell or one exercise (CPU time may be slower to come by)."""
        return 3 * self.cpu_s + 5

    def for_runner(self) -> dict:
        return {"cells": self.cells, "cell_cpu_s": self.cpu_s, "cell_wall_s": self.step_wall_s,
                "exercise_cpu_s": self.cpu_s, "exercise_wall_s": self.step_wall_s}


@dataclass(frozen=True)
class Outcome:
    returncode: int
    timed_out: bool      # killed by us at the wall-clock limit
    cpu_exceeded: bool   # ended by RLIMIT_CPU
    seconds: float       # wall clock
    cpu_seconds: float = 0.0

    def how(self) -> str:
        if self.returncode < 0:
            try:
                return f"killed by signal {signal.Signals(-self.returncode).name}"
            except ValueError:
                return f"killed by signal {-self.returncode}"
        return f"exit code {self.returncode}"


def child_env(pythonpath: str, home: str) -> dict:
    """A minimal environment: no variable of the grader's leaks to students' code."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": pythonpath, "HOME": home,
           "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg", "NNBOOK_GRADING": "1"}
    env.update({name: "1" for name in _BLAS_THREADS})
    return env


def pids_cgroup(max_processes: int):
    """A new cgroup capping the number of processes (cgroup v1's ``pids`` or v2 with ``pids`` enabled), or None.

    Needs write access to the cgroup file system (root, or a delegated
    subtree); where there is none the sandbox runs without this cap.
    """
    import uuid
    for root in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")):
        try:
            if root == Path("/sys/fs/cgroup") and "pids" not in (root / "cgroup.subtree_control").read_text().split():
                continue
            group = root / f"nnbook-{uuid.uuid4().hex[:12]}"
            group.mkdir()
        except OSError:
            continue
        try:
            (group / "pids.max").write_text(str(max_processes))
            return group
        except OSError:
            _remove_group(group)
    return None


def _remove_group(group) -> None:
    for _ in range(100):          # the kernel frees the group once its last process is gone
        try:
            group.rmdir()
            return
        except OSError:
            time.sleep(0.02)


def _preexec(limits: Limits, group=None):
    cpu, mem, fsize = int(limits.wall_s) + 1, limits.mem_mb << 20, limits.file_mb << 20
    procs = str(group / "cgroup.procs") if group is not None else None

    def set_limits():  # runs in the child between fork and exec: keep it tiny
        if procs:
            with open(procs, "w") as f:
                f.write(str(os.getpid()))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return set_limits


def run_limited(argv: list, *, cwd: str, env: dict, limits: Limits, stderr_path: str, pass_fds=()) -> Outcome:
    """Run ``argv`` under ``limits``; kill its process group when it ends or times out."""
    start = time.monotonic()
    group = pids_cgroup(limits.max_processes) if limits.max_processes else None
    try:
        return _run(argv, cwd, env, limits, stderr_path, pass_fds, group, start)
    finally:
        if group is not None:
            _remove_group(group)


def _run(argv, cwd, env, limits, stderr_path, pass_fds, group, start) -> Outcome:
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True, close_fds=True, pass_fds=pass_fds,
                                preexec_fn=_preexec(limits, group))
    deadline, timed_out = start + limits.wall_s, False
    # Wait without reaping (WNOWAIT), so that the group id cannot be reused before killpg.
    while os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        if time.monotonic() > deadline:
            timed_out = True
            break
        time.sleep(0.01)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the runner and anything it started
    except (ProcessLookupError, PermissionError):
        pass
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu_used = usage.ru_utime + usage.ru_stime
    # SIGXCPU comes from the soft CPU limit (the per-process backstop), SIGKILL from the hard one.
    cpu_exceeded = proc.returncode == -signal.SIGXCPU or (
        proc.returncode == -signal.SIGKILL and not timed_out and cpu_used >= int(limits.wall_s) + 0.5)
    return Outcome(proc.returncode, timed_out, cpu_exceeded, time.monotonic() - start, cpu_used)


def bwrap_problem() -> str | None:
    """``None`` where bubblewrap can build a sandbox here; otherwise one line saying why not."""
    exe = shutil.which("bwrap")
    if exe is None:
        return "bubblewrap (bwrap) is not installed (Debian and Ubuntu: apt-get install bubblewrap)"
    try:
        run = subprocess.run([exe, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc",
                              "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not be started ({exc})"
    if run.returncode != 0:
        why = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit code {run.returncode}"]
        return f"bubblewrap cannot create namespaces on this machine ({why[0]})"
    return None


def _runtime_ignore(folder: str, names: list) -> set:
    path = Path(folder)
    drop = {n for n in names if n in ("__pycache__", "build", "pyproject.toml") or n.endswith((".egg-info", ".pyc"))}
    if path.name == "exercises":
        drop.add("solutions")
    if path.name == "grading" and path.parent.name == "nnbook":
        drop |= {n for n in names if n not in _RUNNER_FILES}
    return drop


def stage_runtime(dest) -> Path:
    """Copy ``nnlib`` and the parts of ``nnbook`` that student code and the runner need into ``dest``.

    Left out: the reference solutions (``nnbook/exercises/solutions``) and
    every module of :mod:`nnbook.grading` but the runner's.
    """
    dest = Path(dest)
    for name in ("nnlib", "nnbook"):
        src = Path(importlib.util.find_spec(name).origin).parent
        shutil.copytree(src, dest / name, ignore=_runtime_ignore)
    return dest


def _python_roots() -> list:
    """Folders the interpreter and its installed packages live in (read-only in the sandbox)."""
    roots = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    roots.add(os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))))
    return sorted(r for r in roots if not r.startswith(("/usr/", "/proc")) and r not in ("/", "/usr"))


def _installed_copies() -> list:
    """Installed copies of ``nnbook`` on the interpreter's path (hidden: the runtime copy replaces them)."""
    found = []
    for entry in sys.path:
        candidate = os.path.join(entry, "nnbook")
        if entry and os.path.isdir(os.path.join(candidate, "exercises")):
            found.append(os.path.realpath(candidate))
    return found


def bwrap_argv(*, runtime: str, jobdir: str, limits: Limits, env: dict, result_fd: int) -> list:
    """The command that runs the runner on ``jobdir`` in a bubblewrap sandbox (see the module's docstring)."""
    argv = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--uid", "65534", "--gid", "65534", "--clearenv"]
    for name, value in sorted(env.items()):
        argv += ["--setenv", name, value]
    for path in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc/ld.so.cache",
                 "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/fonts", "/etc/alternatives", "/etc/localtime",
                 "/etc/mime.types", "/etc/ssl/certs"):
        argv += ["--ro-bind-try", path, path]
    roots = _python_roots()
    for root in roots:
        argv += ["--ro-bind", root, root]
    for copy in _installed_copies():
        if any(copy == r or copy.startswith(r + os.sep) for r in roots):
            argv += ["--tmpfs", copy]            # an installed nnbook (with its solutions) becomes an empty folder
    argv += ["--ro-bind", str(runtime), RUNTIME, "--ro-bind", str(jobdir), JOB,
             "--size", str(limits.file_mb << 20), "--tmpfs", SCRATCH, "--dir", SCRATCH + "/tmp",
             "--proc", "/proc", "--dev", "/dev", "--chdir", SCRATCH, "--remount-ro", "/",
             sys.executable, "-s", "-B", "-m", "nnbook.grading.runner",
             f"{JOB}/job.json", str(result_fd)]
    return argv
