"""A hostile class, graded in the bubblewrap sandbox: each attack class of the grader's threat model.

Each hostile submission tries one thing (read the reference solutions, see
or rewrite a classmate's work, read the grader's secret, kill the grader,
forge results, fill the disk, outlive the run, print escape codes, carry
state between notebooks, ...). Where an attack could earn points, the
submission's answers are correct only if the attack worked, so a wrong
answer proves it failed. Two honest students (one right, one wrong) are
graded alone and inside the hostile batch at ``--jobs 2``: their rows and
feedback must be identical, and the whole batch graded twice must give
byte-identical gradebooks.
"""
import copy
import json
import os
import shutil
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

from nnbook.exercises import all_exercises  # noqa: E402
from nnbook.exercises.cells import exercise_cells  # noqa: E402
from nnbook.grading.cli import main  # noqa: E402
from nnbook.grading.grade import find_submissions, grade, read_results  # noqa: E402
from nnbook.grading.report import feedback_filename, read_gradebook  # noqa: E402
from nnbook.grading.sandbox import Limits, bwrap_problem  # noqa: E402

BWRAP_PROBLEM = bwrap_problem()
pytestmark = pytest.mark.skipif(BWRAP_PROBLEM is not None, reason=f"bubblewrap is needed: {BWRAP_PROBLEM}")

IDS = [ex.id for ex in all_exercises("neuron")]
LIMITS = Limits(cpu_s=5, wall_s=120, mem_mb=2048, file_mb=64, cells="all")   # every cell runs: the attacks in extra cells too
SECRET = "s3cret-seed-xyz"
GOOD = {
    "neuron.ex1": "import numpy as np\ndef neuron_output(x, w, b):\n    return 1 / (1 + np.exp(-(np.dot(w, x) + b)))\n",
    "neuron.ex2": "def dense_forward(X, W, b):\n    return X @ W + b\n",
    "neuron.ex3": "n_params = 784 * 16 + 16\n",
    "neuron.ex4": "decision_set = 'a'\n",
    "neuron.ex5": "import numpy as np\nfrom nnlib import sigmoid\ndef forward(X, W1, b1, W2, b2):\n"
                  "    return sigmoid(sigmoid(X @ W1 + b1) @ W2 + b2)\n",
}
WRONG = {"neuron.ex3": "n_params = 1\n", "neuron.ex4": "decision_set = 'b'\n"}
# Answers that are right only if `found` is true: the attack's success turns into points.
IF_FOUND = {"neuron.ex3": "n_params = 784 * 16 + 16 if found else 1\n",
            "neuron.ex4": "decision_set = 'a' if found else 'b'\n"}
C, I, E, N, M, T, X = "correct", "incorrect", "error", "not_attempted", "missing", "timeout", "crashed"


def _notebook(answers, extra=()):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("import numpy as np"))
    for ex_id in IDS:
        nb.cells += exercise_cells(ex_id, solution=False)
    for cell in nb.cells:
        tag = cell.metadata.get("nnbook", {})
        if tag.get("role") == "starter" and tag["exercise"] in answers:
            cell.source = answers[tag["exercise"]]
    for index, source in extra:
        nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    return nbformat.writes(nb)


def _attack(code):
    """A notebook whose cell 2 runs ``code`` (which sets ``found``), with answers right only if it worked."""
    return _notebook({**GOOD, **IF_FOUND}, [(1, "found = False\n" + code)])


ATTACKS = {
    # -- gaining points
    "read_solutions_by_path": (_attack(
        "import glob\nfor p in glob.glob('/**/solutions/neuron.py', recursive=True):\n    found = True\n"), [C, C, I, I, C]),
    "remove_import_blocker": (_attack(
        "import sys\nsys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != 'SolutionsBlocker']\n"
        "try:\n    import nnbook.exercises.solutions.neuron\n    found = True\nexcept ImportError:\n    pass\n"),
        [C, C, I, I, C]),
    "library_ships_the_answer": (_notebook({**GOOD, "neuron.ex2": "from nnlib import Dense\ndef dense_forward(X, W, b):\n"
                                            "    d = Dense(*W.shape, dtype=X.dtype)\n    d.W.data[...] = W\n"
                                            "    d.b.data[...] = b\n    return d(X)\n"}), [C, E, C, C, C]),
    "see_classmates_and_secret": (_attack(
        "import os, glob\nfor p in glob.glob('/proc/*/environ') + glob.glob('/proc/*/cmdline'):\n"
        "    try:\n        data = open(p, 'rb').read()\n    except OSError:\n        continue\n"
        f"    if b{SECRET!r} in data or b'honest_right' in data:\n        found = True\n"
        "found = found or bool(glob.glob('/**/honest_right*', recursive=True)) or 'NNBOOK_SEED' in os.environ\n"),
        [C, C, I, I, C]),
    # -- harming classmates and the grader
    "rewrite_classmates": (_notebook(GOOD, [(1, "import glob\nfor p in glob.glob('/**/*.ipynb', recursive=True):\n"
                                            "    try:\n        open(p, 'w').write('{}')\n    except OSError:\n        pass\n")]),
                           [C] * 5),
    "kill_everything": (_notebook(GOOD, [(1, "import os, signal\nfor pid in os.listdir('/proc'):\n"
                                         "    if pid.isdigit() and int(pid) != os.getpid():\n"
                                         "        try:\n            os.kill(int(pid), signal.SIGKILL)\n"
                                         "        except OSError:\n            pass\n")]), [X] * 5),
    "detached_writer": (_notebook(GOOD, [(1, "import subprocess\nsubprocess.Popen(['sh', '-c', 'sleep 2; for d in /tmp "
                                           "$HOME /job; do echo hacked > $d/gradebook.csv; done'], start_new_session=True)\n")]),
                        [C] * 5),
    "forge_results": (_notebook(GOOD, [(1, "import os, zipfile, io, json\nbuf = io.BytesIO()\n"
                                        "with zipfile.ZipFile(buf, 'w') as z:\n"
                                        "    z.writestr('status.json', '{\"done\": true, \"exercises\": {\"neuron.ex3\": "
                                        "{\"state\": \"evaluated\", \"value\": ' + str(10**400) + '}, \"neuron.ex4\": "
                                        "{\"state\": \"evaluated\", \"choice\": [1]}}, \"notebooks\": 5}')\n"
                                        "for fd in range(3, 64):\n    try:\n        os.write(fd, buf.getvalue())\n"
                                        "    except OSError:\n        pass\n"
                                        "for p in ['/proc/1/fd/3', '/proc/2/fd/3']:\n    try:\n"
                                        "        open(p, 'wb').write(buf.getvalue())\n    except OSError:\n        pass\n")]),
                      [C] * 5),
    "deep_json": (b'{"cells": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", [M] * 5),
    "fill_the_disk": (_attack("import os\nwritten = 0\nfor d in ('.', '/tmp', os.environ.get('TMPDIR', '.')):\n"
                              "    for k in range(10):\n        try:\n"
                              "            with open(os.path.join(d, f'attack_fill{k}.bin'), 'wb') as f:\n"
                              "                for _ in range(20):\n                    written += f.write(b'x' * 2**20)\n"
                              "        except OSError:\n            pass\n"
                              "found = written >= 100 * 2**20\n"
                              "for d in ('.', os.environ.get('TMPDIR', '.')):\n    for k in range(10):\n"
                              "        try:\n            os.remove(os.path.join(d, f'attack_fill{k}.bin'))\n"
                              "        except OSError:\n            pass\n"), [C, C, I, I, C]),
    "libc_exit_and_escapes": (_notebook(GOOD, [(1, "print('\\x1b[2J\\x1b[31mALL 7/7 CORRECT')\n"
                                                "raise ValueError('\\x1b[31mgraded: 7/7\\x07')\n"),
                                               (len(IDS) * 3 + 2, "import ctypes\nctypes.CDLL(None)._exit(0)\n")]),
                              [X] * 5),      # ending its own notebook early costs the student only
    "network": (_attack("import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n    found = True\n"
                        "except OSError:\n    pass\n"), [C, C, I, I, C]),
    "loop_in_one_cell": (_notebook(GOOD, [(1, "while True:\n    pass\n")]), [C] * 5),
    "many_sleeping_children": (_notebook(GOOD, [(1, "import os, time\nfor _ in range(1000):\n    try:\n"
                                                 "        if os.fork() == 0:\n            time.sleep(600)\n"
                                                 "    except OSError:\n        break\n")]), [C] * 5),
}


def _write_class(root: Path, students: dict):
    for name, content in students.items():
        (root / name).mkdir(parents=True)
        (root / name / "02_neuron.ipynb").write_bytes(content if isinstance(content, bytes) else content.encode())


HONEST = {"honest_right": _notebook(GOOD), "honest_wrong": _notebook({**GOOD, **WRONG})}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    _write_class(root / "subs", {**HONEST, **{k: v[0] for k, v in ATTACKS.items()}})
    grade(root / "subs", root / "results", jobs=2, limits=LIMITS, secret=SECRET, chapters=("neuron",))
    time.sleep(3)   # time for a detached writer, had it survived
    return root


def _rows(path):
    rows = {}
    for student, ex_id, points, max_points, status in read_gradebook(path):
        rows.setdefault(student, []).append(status)
    return rows


def test_every_attack_is_contained(batch):
    rows = _rows(batch / "results" / "gradebook.csv")
    wrong = {name: (statuses, rows.get(name)) for name, (_, statuses) in ATTACKS.items() if rows.get(name) != statuses}
    assert not wrong, wrong
    assert rows["honest_right"] == [C] * 5 and rows["honest_wrong"] == [C, C, I, I, C]


def test_nothing_outlives_the_sandbox_or_lands_outside_it(batch):
    text = (batch / "results" / "gradebook.csv").read_text()
    assert "hacked" not in text
    assert not list(Path("/tmp").glob("gradebook.csv")) or "hacked" not in Path("/tmp/gradebook.csv").read_text()
    assert not list(Path("/tmp").glob("attack_fill*.bin"))
    subs = batch / "subs"
    assert json.loads((subs / "honest_right" / "02_neuron.ipynb").read_text())["cells"]   # not rewritten


def test_feedback_is_clean_and_says_why(batch):
    fb = {p.read_text().splitlines()[0].removeprefix("# Feedback for "): p.read_text()
          for p in (batch / "results" / "feedback").iterdir()}
    assert all("\x1b" not in t and "\x07" not in t for t in fb.values())
    assert "graded: 7/7" in fb["libc_exit_and_escapes"]          # shown, stripped of its escape codes
    assert "cannot be called here" in fb["library_ships_the_answer"]
    assert "nested too deeply" in fb["deep_json"]
    assert "ran out of CPU time" in fb["loop_in_one_cell"]


def test_honest_rows_are_the_same_alone_and_in_the_hostile_batch(batch, tmp_path):
    _write_class(tmp_path / "subs", HONEST)
    grade(tmp_path / "subs", tmp_path / "results", jobs=1, limits=LIMITS, secret=SECRET, chapters=("neuron",))
    alone = _rows(tmp_path / "results" / "gradebook.csv")
    together = _rows(batch / "results" / "gradebook.csv")
    assert alone == {k: together[k] for k in HONEST}
    for name in HONEST:
        f = feedback_filename(name)
        assert (tmp_path / "results" / "feedback" / f).read_bytes() == (batch / "results" / "feedback" / f).read_bytes()


def test_a_hostile_batch_graded_twice_gives_identical_gradebooks(batch, tmp_path):
    grade(batch / "subs", tmp_path, jobs=2, limits=LIMITS, secret=SECRET, chapters=("neuron",))
    assert (tmp_path / "gradebook.csv").read_bytes() == (batch / "results" / "gradebook.csv").read_bytes()
    for p in (batch / "results" / "feedback").iterdir():
        assert (tmp_path / "feedback" / p.name).read_bytes() == p.read_bytes(), p.name


def test_no_state_carries_from_one_notebook_to_the_next(tmp_path):
    first = _notebook({}, [(1, "import nnlib\nnnlib._leaked = True\n")])
    second = _notebook({**GOOD, "neuron.ex3": "import nnlib\nn_params = 1 if hasattr(nnlib, '_leaked') else 784 * 16 + 16\n"})
    (tmp_path / "subs" / "s").mkdir(parents=True)
    (tmp_path / "subs" / "s" / "a.ipynb").write_text(first)
    (tmp_path / "subs" / "s" / "b.ipynb").write_text(second)
    grade(tmp_path / "subs", tmp_path / "out", limits=LIMITS, secret=SECRET, chapters=("neuron",))
    assert _rows(tmp_path / "out" / "gradebook.csv")["s"] == [C] * 5


def test_names_that_differ_only_in_accents_get_their_own_feedback(tmp_path):
    _write_class(tmp_path / "subs", {"müller": _notebook(GOOD), "möller": _notebook({})})
    grade(tmp_path / "subs", tmp_path / "out", limits=LIMITS, secret=SECRET, chapters=("neuron",))
    files = sorted(p.name for p in (tmp_path / "out" / "feedback").iterdir())
    assert len(files) == 2 and files == sorted({feedback_filename("müller"), feedback_filename("möller")})
    assert set(_rows(tmp_path / "out" / "gradebook.csv")) == {"müller", "möller"}


def test_skipped_entries_are_reported(tmp_path, capsys):
    subs = tmp_path / "subs"
    _write_class(subs, {"alice": _notebook(GOOD), "_template": _notebook(GOOD), ".hidden": _notebook(GOOD)})
    (subs / "linked").symlink_to(subs / "alice")
    (subs / "notes.txt").write_text("hi")
    skipped = []
    assert sorted(find_submissions(subs, skipped)) == ["alice"]
    assert sorted(name for name, _ in skipped) == [".hidden", "_template", "linked", "notes.txt"]
    assert main(["grade", str(subs), "--out", str(tmp_path / "out"), "--chapters", "neuron", "--seed", "x",
                 "--cpu", "5"]) == 0
    err = capsys.readouterr().err
    assert "skipped 'linked': a symbolic link" in err and "skipped '_template'" in err


def test_only_regrades_one_student_and_replaces_their_rows(tmp_path):
    _write_class(tmp_path / "subs", HONEST)
    grade(tmp_path / "subs", tmp_path / "out", limits=LIMITS, secret=SECRET, chapters=("neuron",))
    (tmp_path / "subs" / "honest_wrong" / "02_neuron.ipynb").write_text(_notebook(GOOD))
    grade(tmp_path / "subs", tmp_path / "out", limits=LIMITS, secret=SECRET, chapters=("neuron",), only=("honest_wrong",))
    assert _rows(tmp_path / "out" / "gradebook.csv") == {"honest_right": [C] * 5, "honest_wrong": [C] * 5}


def test_without_bubblewrap_the_grader_refuses_unless_told(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))        # no bwrap on the PATH
    _write_class(tmp_path / "subs", {"a": _notebook(GOOD)})
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--seed", "x"]) == 2
    err = capsys.readouterr().err
    assert "refusing to grade: bubblewrap (bwrap) is not installed" in err and "--sandbox process" in err
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--seed", "x",
                 "--sandbox", "process", "--cpu", "5"]) == 0


def test_malformed_results_are_the_students_error_not_a_crash(tmp_path):
    import io
    import zipfile
    path = tmp_path / "result.zip"
    for status in ('{"exercises": {"neuron.ex3": {"state": "evaluated", "value": ' + str(10**400) + '}}}',
                   '{"exercises": {"neuron.ex4": {"state": "evaluated", "choice": [1]}}}',
                   '[' * 50_000 + ']' * 50_000, '{"notebooks": 5}', 'not json'):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("status.json", status)
        path.write_bytes(buf.getvalue())
        got, outputs, problem = read_results(str(path))
        assert all(rec["state"] == "invalid" for rec in got.get("exercises", {}).values()) or problem, status[:40]
    path.write_bytes(b"garbage")
    assert read_results(str(path))[2] == "the results could not be read (the archive was damaged)"


def test_processes_a_submission_starts_end_with_its_notebook(batch):
    """The sleeping children of ``many_sleeping_children`` hold its pipe open; they neither stall nor outlive it."""
    import subprocess
    left = subprocess.run(["pgrep", "-f", "nnbook.grading.runner"], capture_output=True, text=True).stdout.split()
    assert not left, left


def test_a_submission_can_start_only_so_many_processes(tmp_path):
    from nnbook.grading.sandbox import pids_cgroup, _remove_group
    group = pids_cgroup(8)
    if group is None:
        pytest.skip("no pids cgroup can be made here (needs write access to /sys/fs/cgroup)")
    _remove_group(group)
    probe = _notebook({**GOOD, "neuron.ex3": "import os, time\nn = 0\nfor _ in range(300):\n    try:\n"
                       "        if os.fork() == 0:\n            time.sleep(600)\n        n += 1\n"
                       "    except OSError:\n        break\nn_params = 784 * 16 + 16 if n < 300 else 1\n"})
    _write_class(tmp_path / "subs", {"forker": probe})
    grade(tmp_path / "subs", tmp_path / "out", limits=Limits(cpu_s=5, wall_s=120, max_processes=64), secret=SECRET,
          chapters=("neuron",))
    assert _rows(tmp_path / "out" / "gradebook.csv")["forker"] == [C] * 5
