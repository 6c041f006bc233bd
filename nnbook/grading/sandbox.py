"""Running untrusted code in a limited child process (process-level, POSIX).

:func:`run_limited` starts a command in its own session (so the whole process
group can be killed), with stdin and stdout on ``/dev/null``, a clean
environment, and resource limits set in ``preexec_fn`` before Python starts:

- ``RLIMIT_CPU`` (CPU seconds; SIGXCPU at the limit, SIGKILL a second later),
- ``RLIMIT_AS`` (address space, i.e. the memory cap),
- ``RLIMIT_FSIZE`` (largest file it may write) and ``RLIMIT_CORE`` = 0,

plus a wall-clock timeout after which the process group is killed.

This is not an operating-system sandbox: the child runs as the same user,
can read whatever that user can read and could escape the process group
with ``setsid``. Run the grader as a dedicated user (or in a container) that
can see only the submissions for stronger isolation.
"""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import time
from dataclasses import dataclass

__all__ = ["Limits", "Outcome", "run_limited", "child_env"]

_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


@dataclass(frozen=True)
class Limits:
    wall_s: float = 60.0
    cpu_s: int = 60
    mem_mb: int = 2048
    file_mb: int = 256

    def describe(self) -> str:
        return f"{self.wall_s:g} s wall clock, {self.cpu_s} s CPU, {self.mem_mb} MB memory"


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


def _preexec(limits: Limits):
    cpu, mem, fsize = int(limits.cpu_s), limits.mem_mb << 20, limits.file_mb << 20

    def set_limits():  # runs in the child between fork and exec: keep it tiny
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return set_limits


def run_limited(argv: list, *, cwd: str, env: dict, limits: Limits, stderr_path: str) -> Outcome:
    """Run ``argv`` under ``limits``; kill its process group when it ends or times out."""
    start = time.monotonic()
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True, close_fds=True,
                                preexec_fn=_preexec(limits))
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
    # SIGXCPU comes from the soft CPU limit; SIGKILL with the CPU spent, from the hard one.
    cpu_exceeded = proc.returncode == -signal.SIGXCPU or (
        proc.returncode == -signal.SIGKILL and not timed_out and cpu_used >= limits.cpu_s - 0.5)
    return Outcome(proc.returncode, timed_out, cpu_exceeded, time.monotonic() - start, cpu_used)
