"""Instructor tools: release student notebooks, grade submissions in batch.

The ``nnbook`` command (:mod:`nnbook.grading.cli`)::

    nnbook release OUT/ [--book book/]
    nnbook grade SUBMISSIONS/ --out RESULTS/ [--jobs N] [--shard K/N]
                 [--timeout S] [--cpu S] [--mem MB] [--seed SECRET] [--chapters a,b]
    nnbook merge PART1.csv PART2.csv ... --out gradebook.csv

Cell metadata conventions
-------------------------
Exercise cells are found by their metadata, never by their text. Each has
``metadata["nnbook"] = {"exercise": "<id>", "role": "<role>"}`` (built by
:mod:`nnbook.exercises.cells`):

``statement``  Markdown statement of the exercise.
``starter``    The code cell the student fills in; it binds the exercise's
               ``answer_name``. The grader requires it: an exercise without a
               starter cell scores 0 ("missing"). If there are several, all
               run in order and the last definition wins (reported).
``check``      ``check("<id>", <answer_name>)``; skipped by the grader.
``solution``   Instructor copies only; removed by ``release``, skipped by the grader.
``hidden``     Instructor-only cells; removed by ``release``, skipped by the grader.

Grading
-------
Each student (``SUBMISSIONS/<student>/*.ipynb`` or ``SUBMISSIONS/<student>.ipynb``;
the id is the folder name or the file stem) is run by :mod:`.runner` in its
own process, in a fresh temporary directory, under the limits of
:mod:`.sandbox` (wall clock, CPU, memory, file size; stdin closed; a clean
environment with ``NNBOOK_GRADING=1``). The runner executes the code cells
(magics stripped, each cell's exception recorded) and evaluates each answer
on public and hidden input cases (hidden ones from the secret seed, per
student), writing plain ``.npy`` outputs. The grader compares them in its own
process with values computed by the reference solutions, which never reach
the student's disk, and writes ``RESULTS/gradebook.csv`` (student, exercise,
points, max_points, status) and ``RESULTS/feedback/<student>.md``, sorted and
without timings, so that runs are byte-identical. Statuses: ``correct``,
``incorrect``, ``error`` (the answer raised), ``not_attempted``, ``missing``,
``timeout``, ``crashed``.

What is protected, and what is not
----------------------------------
Nothing a notebook does inside its process can earn points, because points
come only from comparing plain output data with values computed elsewhere:
patching numpy, redefining ``check``, printing "PASS", exiting early or
writing a fake gradebook (the grader writes the real one afterwards) gain
nothing. In the runner ``import nnbook.exercises.solutions`` is refused and
``solution()`` raises. But the sandbox is process-level, not an OS sandbox:
the runner has the grader user's file permissions, so a determined student can
read the solution files by path (or remove the import blocker), read or
modify other submissions, or leave a process behind (``setsid``) that writes
files after the run. For a high-stakes course run the grader as a dedicated
user, in a container that holds only the submissions and the library.
"""
