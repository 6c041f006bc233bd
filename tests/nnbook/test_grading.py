"""``nnbook release`` / ``grade`` / ``merge`` on a class of 26 varied (and hostile) submissions.

The chapter notebook is built here with :mod:`nnbook.exercises.cells`, so the
test does not depend on the book's prose; each submission is a copy of the
released student notebook with some cells changed. Every submission's grades
are asserted, then the results of a ``--jobs 2`` run are shown to be
byte-identical to those of a second, serial run made of two merged shards.
"""
import copy
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

nbformat = pytest.importorskip("nbformat")

from nnbook.exercises import all_exercises  # noqa: E402
from nnbook.exercises.cells import exercise_cells, hidden_cell  # noqa: E402
from nnbook.grading.cli import main  # noqa: E402
from nnbook.grading.grade import grade, in_shard  # noqa: E402
from nnbook.grading.notebook import cell_source, read_notebook, strip_magics  # noqa: E402
from nnbook.grading.release import release  # noqa: E402
from nnbook.grading.report import read_gradebook  # noqa: E402
from nnbook.grading.sandbox import Limits  # noqa: E402

IDS = [ex.id for ex in all_exercises("neuron")]
LIMITS = Limits(cpu_s=3, wall_s=120, mem_mb=2048, cells="all")   # every cell runs: the attacks in extra cells too
C, I, E, N, M, T, X = "correct", "incorrect", "error", "not_attempted", "missing", "timeout", "crashed"

GOOD = {
    "neuron.ex1": "import numpy as np\n\ndef neuron_output(x, w, b):\n    z = np.dot(w, x) + b\n"
                  "    return 1 / (1 + np.exp(-z))\n",
    "neuron.ex2": "def dense_forward(X, W, b):\n    return X @ W + b\n",
    "neuron.ex3": "n_params = 784 * 16 + 16\n",
    "neuron.ex4": "decision_set = 'a'\n",
    "neuron.ex5": "import numpy as np\nfrom nnlib import sigmoid\n\ndef forward(X, W1, b1, W2, b2):\n"
                  "    A1 = sigmoid(np.dot(X, W1) + b1)\n    return sigmoid(np.dot(A1, W2) + b2)\n",
}
BAD = {
    "neuron.ex1": "def neuron_output(x, w, b):\n    return 0.5\n",
    "neuron.ex2": "import numpy as np\ndef dense_forward(X, W, b):\n    return np.zeros((len(X), W.shape[1]), X.dtype)\n",
    "neuron.ex3": "n_params = 784 * 16\n",
    "neuron.ex4": "decision_set = 'b'\n",
    "neuron.ex5": "import numpy as np\ndef forward(X, W1, b1, W2, b2):\n    return np.zeros((len(X), W2.shape[1]), X.dtype)\n",
}
LYING = """
import numpy as np
class Lying(np.ndarray):
    def __eq__(self, other): return np.ones(np.shape(self), bool)
class LyingFloat(float):
    def __eq__(self, other): return True
class LyingStr(str):
    def __eq__(self, other): return True
class Always:
    def __eq__(self, other): return True
def neuron_output(x, w, b): return LyingFloat(0.0)
def dense_forward(X, W, b): return np.zeros((len(X), W.shape[1]), X.dtype).view(Lying)
n_params = Always()
decision_set = LyingStr('b')
def forward(X, W1, b1, W2, b2): return np.zeros((len(X), W2.shape[1]), X.dtype).view(Lying)
"""


def _code(source, meta=None):
    return nbformat.v4.new_code_cell(source, metadata=meta or {})


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """A chapter notebook as an instructor keeps it: solutions, hidden cells, outputs, widget state."""
    root = tmp_path_factory.mktemp("book")
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.cells.append(nbformat.v4.new_markdown_cell("# The neuron and the layer"))
    setup = _code("import numpy as np\nprint('hello')")
    setup.outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    setup.execution_count = 1
    nb.cells.append(setup)
    for ex_id in IDS:
        nb.cells += exercise_cells(ex_id, solution=True)
    nb.cells.append(hidden_cell("neuron.ex2", "assert dense_forward(np.ones((1, 1)), np.ones((1, 1)), np.ones(1)).shape == (1, 1)"))
    nbformat.validate(nb)
    nbformat.write(nb, root / "02_neuron.ipynb")
    return root


@pytest.fixture(scope="module")
def released(book, tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    assert main(["release", str(out), "--book", str(book)]) == 0
    return out


def test_release_strips_instructor_cells_outputs_and_widget_state(released, book, tmp_path):
    nb = json.loads((released / "02_neuron.ipynb").read_text())
    roles = [c["metadata"].get("nnbook", {}).get("role") for c in nb["cells"]]
    assert "solution" not in roles and "hidden" not in roles
    assert roles.count("starter") == roles.count("check") == len(IDS)
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in nb["cells"] if c["cell_type"] == "code")
    assert "widgets" not in nb["metadata"]
    nbformat.validate(nbformat.reads(json.dumps(nb), 4))
    manifest = json.loads((released / "manifest.json").read_text())
    chapter = manifest["chapters"]["02_neuron"]
    assert [e["id"] for e in chapter["exercises"]] == IDS
    assert chapter["exercises"][0] == {"id": "neuron.ex1", "kind": "function", "points": 1,
                                       "answer_name": "neuron_output", "title": "The output of one neuron"}
    assert manifest["total_points"] == len(IDS)
    release(tmp_path, book)  # deterministic: a second release is byte-identical
    for name in ("02_neuron.ipynb", "manifest.json"):
        assert (tmp_path / name).read_bytes() == (released / name).read_bytes()


def test_release_of_the_real_book_lists_its_exercises(tmp_path):
    book = Path(__file__).resolve().parents[2] / "book"
    nbs = sorted(book.glob("*neuron*.ipynb"))
    if not nbs or '"role": "starter"' not in nbs[0].read_text():
        pytest.skip("the book's neuron chapter has no exercise cells yet")
    manifest = release(tmp_path / "en", book)
    found = [e["id"] for ch in manifest["chapters"].values() for e in ch["exercises"]]
    assert set(found) <= set(ex.id for ex in all_exercises()) and found
    assert len(found) == len(set(found)), "an exercise released twice (the Chinese notebooks in book/zh?)"
    if (book / "zh").is_dir():   # the Chinese edition is released on its own, with the same exercises
        zh = release(tmp_path / "zh", book / "zh")
        assert [e["id"] for ch in zh["chapters"].values() for e in ch["exercises"]] == found
        assert zh["total_points"] == manifest["total_points"]


def test_notebook_reader_strips_magics_and_salvages_broken_json():
    assert strip_magics("%matplotlib inline\nx = 1\n!pip install foo\nfiles = !ls\n%time y = x + 1")[0] == (
        "pass\nx = 1\npass\nfiles = None\ny = x + 1")
    assert strip_magics("%%time\nz = 2")[0] == "z = 2"
    assert strip_magics("%%bash\necho hi")[0] is None
    assert strip_magics("if True:\n    %pip install x\n")[0] == "if True:\n    pass\n"
    nb = nbformat.v4.new_notebook(cells=[_code(f"a{i} = {i}") for i in range(4)])
    text = nbformat.writes(nb)
    cells, problems = read_notebook(text[: text.index("a3 = 3")].encode())   # the source, not a random cell id
    assert [cell_source(c) for c in cells] == ["a0 = 0", "a1 = 1", "a2 = 2"] and "not valid JSON" in problems[0]
    assert read_notebook(b"\x00garbage")[0] == [] and read_notebook(b"[1, 2]")[1]


# --------------------------------------------------------------------------- the class

def _edit(nb, answers=None, extra=(), drop=(), dup=None):
    """Copy of the student notebook: starters replaced, extra cells (index, source) inserted."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        tag = cell["metadata"].get("nnbook", {})
        if tag.get("role") == "starter" and tag["exercise"] in (answers or {}):
            cell["source"] = answers[tag["exercise"]]
    if dup:  # (exercise, first source, second source): the starter twice
        ex_id, first, second = dup
        k = next(i for i, c in enumerate(nb["cells"]) if c["metadata"].get("nnbook") == {"exercise": ex_id, "role": "starter"})
        nb["cells"][k]["source"] = first
        nb["cells"].insert(k + 1, {**copy.deepcopy(nb["cells"][k]), "id": "dup", "source": second})
    nb["cells"] = [c for c in nb["cells"] if c["metadata"].get("nnbook", {}).get("exercise") not in drop
                   or c["metadata"]["nnbook"]["role"] != "starter"]
    for index, source in extra:
        nb["cells"].insert(index, {"cell_type": "code", "execution_count": None, "id": f"x{index}",
                                   "metadata": {}, "outputs": [], "source": source})
    return nb


def _text(nb):
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _class(student_nb, results_dir):
    """{relative path: bytes} of each submission, and the statuses each must get."""
    good, bad = dict(GOOD), dict(BAD)
    solutions = "import importlib\nsol = importlib.import_module('nnbook.exercises.solutions.neuron')\n"
    subs = {
        "full/02_neuron.ipynb": (_edit(student_nb, good), [C, C, C, C, C]),
        "partial/02_neuron.ipynb": (_edit(student_nb, {
            "neuron.ex1": good["neuron.ex1"], "neuron.ex2": good["neuron.ex2"].replace("X @ W + b", "(X @ W + b).squeeze()"),
            "neuron.ex3": bad["neuron.ex3"], "neuron.ex4": good["neuron.ex4"]}), [C, I, I, C, N]),
        "empty.ipynb": (_edit(student_nb), [N, N, N, N, N]),
        "crash_at_import/02_neuron.ipynb": (_edit(student_nb, good, [(2, "import numpy as np\nimport not_a_module_xyz")]), [C] * 5),
        "infinite_loop/02_neuron.ipynb": (_edit(student_nb, good, [(2, "while True:\n    pass")]), [C] * 5),
        "memory_bomb/02_neuron.ipynb": (_edit(student_nb, good, [(2, "import numpy as np\nbig = np.ones(10 * 2**30 // 8)")]), [C] * 5),
        "sys_exit/02_neuron.ipynb": (_edit(student_nb, good, [(12, "import sys\nsys.exit(0)")]), [C] * 5),
        "os_exit/02_neuron.ipynb": (_edit(student_nb, good, [(12, "import os\nos._exit(0)")]), [C] * 5),
        "killed/02_neuron.ipynb": (_edit(student_nb, good, [(2, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")]), [X] * 5),
        "patch_numpy/02_neuron.ipynb": (_edit(student_nb, bad, [(2, "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                                                                  "np.isclose = lambda *a, **k: True\n"
                                                                  "np.testing.assert_allclose = lambda *a, **k: None\n"
                                                                  "np.array_equal = lambda *a, **k: True")]), [I] * 5),
        "redefine_check/02_neuron.ipynb": (_edit(student_nb, bad, [(2, "import nnbook.exercises as E, nnbook.exercises.core as K\n"
                                                                     "def check(*a, **k):\n    return '✅ correct'\n"
                                                                     "E.check = K.check = check")]), [I] * 5),
        "prints_pass/02_neuron.ipynb": (_edit(student_nb, bad, [(2, "import os, sys\nfor i in range(100):\n    print('PASS')\n"
                                                                  "print('✅ neuron.ex1: correct (5/5 cases)', file=sys.__stdout__)\n"
                                                                  "os.write(1, b'PASS 5/5\\n')")]), [I] * 5),
        "fake_gradebook/02_neuron.ipynb": (_edit(student_nb, bad, [(2, "import os\n"
                                                                     f"for d in ({str(results_dir)!r}, '../results', 'results'):\n"
                                                                     "    os.makedirs(d, exist_ok=True)\n"
                                                                     "    open(os.path.join(d, 'gradebook.csv'), 'w').write("
                                                                     "'student,exercise,points,max_points,status\\nfake_gradebook,neuron.ex1,100,1,correct\\n')")]), [I] * 5),
        "import_solutions/02_neuron.ipynb": (_edit(student_nb, {
            "neuron.ex1": "from nnbook.exercises.solutions.neuron import neuron_output",
            "neuron.ex2": solutions + "dense_forward = sol.dense_forward",
            "neuron.ex3": "from nnbook.exercises import solution\nn_params = solution('neuron.ex3')",
            "neuron.ex4": "import nnbook.exercises.solutions.neuron as s\ndecision_set = s.decision_set()",
            "neuron.ex5": "from nnbook.exercises.solutions import neuron\nforward = neuron.forward"}), [M] * 5),
        "lying_subclass/02_neuron.ipynb": (_edit(student_nb, {**{k: "pass" for k in IDS}, "neuron.ex1": LYING}), [I] * 5),
        "malformed_json.ipynb": None,  # filled in below
        "truncated_json.ipynb": None,
        "not_json.ipynb": (b"this is not a notebook\n", [M] * 5),
        "missing_cells/02_neuron.ipynb": (_edit(student_nb, good, drop=("neuron.ex2", "neuron.ex3")), [C, M, M, C, C]),
        "duplicated_cells/02_neuron.ipynb": (_edit(_edit(student_nb, good, dup=("neuron.ex1", good["neuron.ex1"], bad["neuron.ex1"])),
                                                   dup=("neuron.ex2", bad["neuron.ex2"], good["neuron.ex2"])), [I, C, C, C, C]),
        "raises/02_neuron.ipynb": (_edit(student_nb, {**good, "neuron.ex1": "def neuron_output(x, w, b):\n    raise ValueError('oops')",
                                                      "neuron.ex5": "def forward(X, W1, b1, W2, b2):\n    return undefined_name"}), [E, C, C, C, E]),
        "overflow_nan/02_neuron.ipynb": (_edit(student_nb, {**good, "neuron.ex1": "import numpy as np\ndef neuron_output(x, w, b):\n"
                                                            "    z = np.dot(w, x) + b\n    return np.exp(z) / (1 + np.exp(z))",
                                                            "neuron.ex2": "import warnings, sys\ndef dense_forward(X, W, b):\n"
                                                            "    warnings.warn('hello'); print('dbg', file=sys.stderr)\n    return X @ W + b"}), [I, C, C, C, C]),
        "float64_promotion/02_neuron.ipynb": (_edit(student_nb, {**good, "neuron.ex2": "import numpy as np\ndef dense_forward(X, W, b):\n"
                                                                 "    return (X @ W + b).astype(np.float64)"}), [C, I, C, C, C]),
        "magics/02_neuron.ipynb": (_edit(student_nb, {**good, "neuron.ex2": "%%time\n" + good["neuron.ex2"]},
                                         [(2, "%matplotlib inline\n!pip install nothing\nfiles = !ls\n%time a = 1")]), [C] * 5),
        "two_notebooks/02_neuron.ipynb": (_edit(student_nb, {k: good[k] for k in IDS[:3]}), [C, C, C, N, N]),
        "two_notebooks/scratch.ipynb": (nbformat.v4.new_notebook(cells=[_code("print('scratch work')")]), None),
        "answer_loops/02_neuron.ipynb": (_edit(student_nb, {**good, "neuron.ex5": "def forward(X, W1, b1, W2, b2):\n    while True:\n        pass"}),
                                         [C, C, C, C, T]),
    }
    good_text = _text(_edit(student_nb, good))
    broken = good_text.replace('"cell_type": "markdown",', '"cell_type": "markdown"', 1)  # a comma lost in cell 1
    subs["malformed_json.ipynb"] = (broken.encode(), [C] * 5)
    cut = good_text.index('"exercise": "neuron.ex4"')
    subs["truncated_json.ipynb"] = (good_text[:cut].encode(), [C, C, C, M, M])
    files, expected = {}, {}
    for rel, (content, statuses) in subs.items():
        files[rel] = content if isinstance(content, bytes) else _text(content).encode()
        if statuses:
            expected[rel.split("/")[0].removesuffix(".ipynb")] = statuses
    return files, expected


@pytest.fixture(scope="module")
def graded(released, tmp_path_factory):
    """The class, graded with --jobs 2 (run A) and timed."""
    base = tmp_path_factory.mktemp("grading")
    student_nb = json.loads((released / "02_neuron.ipynb").read_text())
    files, expected = _class(student_nb, base / "results")
    for rel, content in files.items():
        (base / "subs" / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / "subs" / rel).write_bytes(content)
    start = time.monotonic()
    reports = grade(base / "subs", base / "results", jobs=2, limits=LIMITS, secret="s3cret", chapters=("neuron",))
    wall = time.monotonic() - start
    snapshot = {p.relative_to(base / "results"): p.read_bytes() for p in (base / "results").rglob("*") if p.is_file()}
    per, cpu = (sum(getattr(r, a) for r in reports) / len(reports) for a in ("seconds", "cpu_seconds"))
    print(f"\ngraded {len(reports)} submissions in {wall:.1f} s wall with 2 jobs; "
          f"per submission {per:.2f} s wall, {cpu:.2f} s CPU")
    return base, expected, snapshot, reports


def test_class_has_at_least_twenty_submissions(graded):
    _, expected, _, reports = graded
    assert len(expected) >= 20 and len(reports) == len(expected)


def test_each_submission_is_scored_as_designed(graded):
    base, expected, snapshot, _ = graded
    rows = read_gradebook(base / "results" / "gradebook.csv")
    got = {}
    for student, ex_id, points, max_points, status in rows:
        got.setdefault(student, []).append(status)
        assert points == ("1" if status == "correct" else "0") and max_points == "1", (student, ex_id, status)
    mismatches = {s: (expected[s], got.get(s)) for s in expected if got.get(s) != expected[s]}
    assert not mismatches, mismatches


def test_gradebook_is_sorted_and_written_by_the_grader_only(graded):
    base, _, snapshot, _ = graded
    text = snapshot[Path("gradebook.csv")].decode()
    lines = text.splitlines()
    assert lines[0] == "student,exercise,points,max_points,status"
    assert lines[1:] == sorted(lines[1:]) and "fake" not in text.replace("fake_gradebook,", "")
    assert "100" not in text and not (base / "subs" / "results").exists()


def test_feedback_explains_failures_and_notes(graded):
    _, _, snapshot, _ = graded
    fb = {b.decode().splitlines()[0].removeprefix("# Feedback for "): b.decode()
          for p, b in snapshot.items() if p.parts[0] == "feedback"}
    assert "case 'batch of one': expected shape (1, 3), got (3,)" in fb["partial"]
    assert "cell 3: ran out of CPU time (limits per cell: 3 s CPU" in fb["infinite_loop"]
    assert "it was stopped and the next cells ran" in fb["infinite_loop"]
    assert "timeout — ran out of CPU time (limit 3 s)" in fb["answer_loops"]
    assert "MemoryError" in fb["memory_bomb"] and "memory limit is 2048 MB" in fb["memory_bomb"]
    assert "SystemExit" in fb["sys_exit"] and "SystemExit" in fb["os_exit"]
    assert "killed by signal SIGKILL" in fb["killed"]
    assert "ModuleNotFoundError: No module named 'not_a_module_xyz'" in fb["crash_at_import"]
    assert "cannot be imported while grading" in fb["import_solutions"]
    assert "not valid JSON" in fb["malformed_json"] and "not valid JSON" in fb["truncated_json"]
    assert "no starter cell of neuron.ex2 was found" in fb["missing_cells"]
    assert "2 starter cells were found" in fb["duplicated_cells"]
    assert "your function raised ValueError: oops" in fb["raises"]
    assert "UserWarning: hello" in fb["overflow_nan"] and "got nan" in fb["overflow_nan"]
    assert "expected dtype float32, got float64" in fb["float64_promotion"]
    assert "subclass of numpy.ndarray" in fb["lying_subclass"]
    # no path of the grader's (fake_gradebook's own error names the results path it tried to write: its own text)
    assert all("<workdir>" not in t and ("/tmp/" not in t or s == "fake_gradebook") and " at 0x" not in t
               for s, t in fb.items())


def test_gradebook_is_byte_identical_on_a_serial_sharded_second_run(graded, tmp_path, capsys):
    """Run A used --jobs 2; here the class is graded again, serially, in two shards, then merged."""
    base, _, snapshot, _ = graded
    parts = []
    for k in (1, 2):
        part = tmp_path / f"shard{k}"
        assert main(["grade", str(base / "subs"), "--out", str(part), "--jobs", "1", "--shard", f"{k}/2",
                     "--timeout", "120", "--cpu", "3", "--seed", "s3cret", "--chapters", "neuron", "--cells", "all"]) == 0
        students = {row[0] for row in read_gradebook(part / "gradebook.csv")}
        assert students and all(in_shard(s, (k, 2)) for s in students)
        for p in (part / "feedback").iterdir():  # feedback: byte-identical to run A's
            assert p.read_bytes() == snapshot[Path("feedback") / p.name], p.name
        parts.append(str(part / "gradebook.csv"))
    assert main(["merge", *parts, "--out", str(tmp_path / "merged.csv")]) == 0
    assert (tmp_path / "merged.csv").read_bytes() == snapshot[Path("gradebook.csv")]
    assert "per submission" in capsys.readouterr().out


def test_shards_use_sha256_of_the_student_id():
    s = "alice"
    k = int(hashlib.sha256(s.encode()).hexdigest(), 16) % 3 + 1
    assert in_shard(s, (k, 3)) and not any(in_shard(s, (j, 3)) for j in (1, 2, 3) if j != k)


def test_merge_refuses_conflicting_parts(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("student,exercise,points,max_points,status\nx,neuron.ex1,1,1,correct\n")
    b.write_text("student,exercise,points,max_points,status\nx,neuron.ex1,0,1,incorrect\n")
    with pytest.raises(ValueError, match="different grades"):
        main(["merge", str(a), str(b), "--out", str(tmp_path / "m.csv")])


def test_hidden_cases_differ_per_student_and_secret():
    ex = all_exercises("neuron")[1]
    a, b, c = ex.hidden_cases("k", "ann"), ex.hidden_cases("k", "bob"), ex.hidden_cases("j", "ann")
    assert not np.array_equal(a[0].args[0], b[0].args[0]) and not np.array_equal(a[0].args[0], c[0].args[0])
    assert np.array_equal(a[0].args[0], ex.hidden_cases("k", "ann")[0].args[0])
    assert all(case.name.startswith("hidden: ") for case in a)


def test_memory_cap_leaves_room_for_numpy(tmp_path):
    from nnbook.grading.sandbox import child_env, run_limited
    import sys
    root = str(Path(__file__).resolve().parents[2])
    out = run_limited([sys.executable, "-c", "import numpy, nnlib; numpy.ones(10**6).sum()"], cwd=str(tmp_path),
                      env=child_env(root, str(tmp_path)), limits=Limits(wall_s=30, cpu_s=20, mem_mb=2048),
                      stderr_path=str(tmp_path / "err.txt"))
    assert out.returncode == 0 and not out.timed_out, (tmp_path / "err.txt").read_text()
    assert os.environ.get("NNBOOK_GRADING") != "1"


@pytest.mark.parametrize("ex_id", [ex.id for ex in all_exercises()])
def test_every_exercise_round_trips_through_runner_and_grader(ex_id, tmp_path, monkeypatch):
    """The reference, evaluated as the runner does and scored as the grader does, gets full points."""
    from nnbook.exercises import exercise
    from nnbook.grading import grade as grade_module, runner
    monkeypatch.chdir(tmp_path)
    ex = exercise(ex_id)
    cases = ex.public_cases() + ex.hidden_cases("k", "student") if ex.runs_code else []
    spec = {"id": ex_id, "cases": grade_module._write_cases(tmp_path, ex, cases)}
    reference = ex.reference_function()
    answer = reference if ex.runs_code else reference()
    record = runner.evaluate(spec, {ex.answer_name: answer})
    outputs = {(ex_id, int(p.stem)): p.read_bytes() for p in (tmp_path / "outputs" / ex_id).glob("*.npy")}
    status, problem = grade_module.valid_status({"exercises": {ex_id: json.loads(json.dumps(record))}})
    assert problem is None and status["exercises"][ex_id] == record
    result = grade_module._score(ex, status["exercises"][ex_id], cases, outputs, None)
    assert (result.status, result.points) == ("correct", ex.points), result


def test_without_chapters_each_student_is_graded_on_the_chapters_they_submitted(released, tmp_path):
    from nnbook.grading.grade import submitted_chapters

    text = (released / "02_neuron.ipynb").read_text()
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "02_neuron.ipynb").write_text("not json")        # told by the file name
    (tmp_path / "bob.ipynb").write_text(text)                              # told by the exercise cells
    (tmp_path / "carol.ipynb").write_text("{}")                            # cannot be told
    assert submitted_chapters([tmp_path / "alice" / "02_neuron.ipynb"]) == {"neuron"}
    assert submitted_chapters([tmp_path / "bob.ipynb"]) == {"neuron"}
    assert submitted_chapters([tmp_path / "carol.ipynb"]) == set()


def test_grader_prints_a_wrong_value_answer_as_given_not_rounded():
    from nnbook.exercises import exercise
    from nnbook.grading.grade import _score
    ex = exercise("digits.ex4")
    graded = _score(ex, {"state": "evaluated", "value": 1482.5}, [], {}, None)
    assert graded.status == "incorrect"
    assert "1482.5 is not the right value" in graded.detail, graded.detail


# --------------------------------------------------------------------------- the default: only the cells answers need

def test_needed_cells_follow_the_names_answers_read():
    from nnbook.grading.notebook import needed_cells
    sources = ["import numpy as np\nimport torch",                  # 0: read by the answer (np)
               "import time\ntime.sleep(5)\nslow = 1",               # 1: nobody reads `slow`
               "SCALE = 2.0\nz = np.ones(3)",                         # 2: SCALE is read inside the answer
               "torch.manual_seed(0)\nnp.random.seed(0)",            # 3: a bare call on np, which cell 0 binds
               "def answer(z):\n    return np.tanh(z) * SCALE\n",    # 4: the starter; z is its own parameter
               "print(slow)",                                         # 5: reads, binds nothing
               None,                                                  # 6: a skipped cell
               "def helper(v):\n    return v + OFFSET\nOFFSET = 1",   # 7: binds and reads its own name
               "def f(x):\n    return helper(x)\n"]                    # 8: a second starter, helper after it
    assert needed_cells(sources, [4, 8]) == [0, 2, 3, 4, 7, 8]
    assert needed_cells(sources + ["from os import *"], [4]) == [0, 2, 3, 4, 9]   # names it cannot read: kept
    assert needed_cells(["x = 1", "def g():\n    global x\n    x = 2", "def a():\n    return x"], [2]) == [0, 1, 2]
    assert needed_cells(["x = 1", "exec('y = 2')", "def a():\n    return y"], [2]) == [1, 2]
    # a hostile chain as long as a notebook may be (5,000 cells, each reading the one before):
    # every cell is needed, and the search takes each cell and each name once
    chain = ["v0 = 0"] + [f"v{k} = v{k - 1} + 1" for k in range(1, 5000)] + ["import os", "os.getpid()"]
    assert needed_cells(chain, [4999]) == list(range(5000))
    assert needed_cells(chain + ["def f():\n    return os.sep"], [5002]) == [5000, 5001, 5002]


def test_default_mode_runs_the_helper_cells_an_answer_needs_and_skips_the_rest(released, tmp_path):
    student_nb = json.loads((released / "02_neuron.ipynb").read_text())
    helper = ("import numpy as np\n\ndef squash(z):\n    return 1 / (1 + np.exp(-z))\n")
    answers = {**GOOD, "neuron.ex1": "def neuron_output(x, w, b):\n    return squash(np.dot(w, x) + b)\n",
               "neuron.ex3": "n_params = INPUTS * 16 + 16\n"}
    slow = "import time\nfor _ in range(10**9):\n    pass\nunused = 1"        # costs seconds of CPU; nobody reads it
    # INPUTS is read at the top level, so it comes first; squash only inside a function, so it may come last
    nb = _edit(student_nb, answers, [(2, "INPUTS = 784"), (3, slow), (len(student_nb["cells"]) + 2, helper)])
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "ann.ipynb").write_text(_text(nb))
    for cells in ("needed", "all"):
        start = time.monotonic()
        grade(tmp_path / "subs", tmp_path / cells, limits=Limits(cpu_s=2, wall_s=120, mem_mb=2048, cells=cells),
              secret="k", chapters=("neuron",))
        rows = read_gradebook(tmp_path / cells / "gradebook.csv")
        assert [r[4] for r in rows] == [C] * 5, (cells, rows)
        feedback = "".join(p.read_text() for p in (tmp_path / cells / "feedback").iterdir())
        assert ("ran out of CPU time" in feedback) == (cells == "all"), (cells, feedback)   # the slow cell ran only in "all"
