"""Work done ahead of the reader, while the kernel waits for the next move of a control.

A reader looks at a live figure for a second or more before moving a
control again, and all that time the kernel is idle. An experiment whose
``compute`` is slow (the digit lab trains a network for every new setting)
may hand :data:`AHEAD` the work its *next* results will need (the settings
one move away), and a thread does it in the background.

The background thread never competes with the reader: every update of a
live view runs inside :meth:`Ahead.paused`, which waits until the running
job has stopped; the jobs check :meth:`Ahead.should_stop` between small
pieces of work (one gradient step), stop at once, and leave things as they
were before the piece they stopped in; they go on when the update is done.
In a notebook they also wait while the kernel runs a cell
(:meth:`Ahead.watch_cells`), so they only ever use an idle kernel. Jobs
only fill caches that ``compute`` consults, and compute exactly what
``compute`` would, so a result is the same whoever computed it (the tests
check it bit for bit).
"""
from __future__ import annotations

import contextlib
import threading
from typing import Callable, Sequence

__all__ = ["Ahead", "AHEAD", "one_move_away"]

#: The longest an update waits for a running job to stop (a job checks far more often than this).
MAX_WAIT = 2.0
#: A job: called with ``should_stop``; returns True when its work is done,
#: False when it stopped early (it is then called again, later).
Job = Callable[[Callable[[], bool]], bool]


class Ahead:
    """One background thread that runs the latest list of jobs, pausing whenever the reader's update runs."""

    def __init__(self):
        self._lock = threading.Condition()
        self._jobs: list = []
        self._pauses = 0
        self._cell_running = False  # the kernel runs a notebook cell (see watch_cells)
        self._running = False
        self._generation = 0  # counts schedule() calls: a running job of an older list stops
        self._thread = None
        #: Jobs finished since the start (the tests and the benchmark read it).
        self.finished = 0

    def schedule(self, jobs: Sequence[Job]) -> None:
        """Replace the waiting jobs with ``jobs`` (most wanted first) and wake the thread."""
        with self._lock:
            self._jobs = list(jobs)
            self._generation += 1
            if self._jobs and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._loop, name="nnbook-ahead", daemon=True)
                self._thread.start()
            self._lock.notify_all()

    def cancel(self) -> None:
        """Drop the waiting jobs (one that is running finishes its piece of work and stops)."""
        self.schedule([])

    @contextlib.contextmanager
    def paused(self):
        """While the block runs, background jobs wait; a running one is stopped before the block starts.

        The block waits for the running job to reach its next check (a
        gradient step or so) rather than share the processor with it.
        """
        with self._lock:
            self._pauses += 1
            if threading.current_thread() is not self._thread:  # a job that pauses must not wait for itself
                self._lock.wait_for(lambda: not self._running, timeout=MAX_WAIT)
        try:
            yield
        finally:
            with self._lock:
                self._pauses -= 1
                self._lock.notify_all()

    def should_stop(self) -> bool:
        """True while an update (or a notebook cell, see :meth:`watch_cells`) runs: a job should stop now."""
        return self._pauses > 0 or self._cell_running

    def watch_cells(self, shell) -> None:
        """Hold the work while ``shell`` (IPython) runs a notebook cell, so that it uses only an idle kernel.

        A reader who runs the next cell gets the whole machine; the work
        goes on after the cell. Registered once per shell, on IPython's
        ``pre_run_cell`` and ``post_run_cell`` events.
        """
        if shell is None or getattr(shell, "_nnbook_ahead_watched", False):
            return

        def cell_starts(info=None):
            self._cell_running = True

        def cell_ends(result=None):
            with self._lock:
                self._cell_running = False
                self._lock.notify_all()

        shell.events.register("pre_run_cell", cell_starts)
        shell.events.register("post_run_cell", cell_ends)
        shell._nnbook_ahead_watched = True

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no job is waiting or running; False if ``timeout`` seconds passed first."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._jobs and not self._running, timeout)

    def _loop(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._jobs and not self.should_stop())
                job, generation = self._jobs[0], self._generation
                self._running = True
            try:
                done = job(lambda: self.should_stop() or self._generation != generation)
            except Exception:  # a job that fails is dropped: compute will do that work (and raise) itself
                done = True
            with self._lock:
                self._running = False
                if done:
                    self.finished += 1
                    if self._jobs and self._jobs[0] is job:
                        self._jobs.pop(0)
                self._lock.notify_all()


#: The background worker that every live view shares.
AHEAD = Ahead()


def one_move_away(current: dict, options: dict) -> list:
    """Every setting that moving one control reaches, the options next to the current ones first.

    ``current`` maps each control to its value, ``options`` each control to
    its values in order; the settings come as dicts like ``current``, first
    those one option away on any control, then two away, and so on.

    >>> [s["b"] for s in one_move_away({"a": 1, "b": "y"}, {"b": ["x", "y", "z"]})]
    ['x', 'z']
    """
    settings = []
    for distance in range(1, max((len(v) for v in options.values()), default=1)):
        for name, values in options.items():
            if current[name] not in values:
                continue
            here = values.index(current[name])
            for j in (here - distance, here + distance):
                if 0 <= j < len(values):
                    settings.append({**current, name: values[j]})
    return settings
