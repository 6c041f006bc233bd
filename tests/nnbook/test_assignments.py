"""Assignments instructors write themselves: the markup, ``nnbook release`` and ``nnbook grade --assignment``.

The worked example of ``examples/assignment/`` (the instructor's notebook
and ``hidden.py``) is released, then a correct, a partly correct and a
hostile submission, each a copy of the released notebook with its answer
cells filled in, are graded in the bubblewrap sandbox: their rows, their
partial points and the failing cases their feedback lists are asserted.
The markup's mistakes, the students' checks, partial credit for the book's
exercises and the round trip of every question through the runner need no
sandbox.
"""
import json
import runpy
import shutil
from pathlib import Path

import numpy as np
import pytest

nbformat = pytest.importorskip("nbformat")

from nnbook.assignments import case, check_cases  # noqa: E402
from nnbook.exercises import exercise  # noqa: E402
from nnbook.exercises.cells import exercise_cells  # noqa: E402
from nnbook.grading import grade as grade_module, runner  # noqa: E402
from nnbook.grading.assignment import AssignmentError, load_assignment, strip_solutions  # noqa: E402
from nnbook.grading.cli import main  # noqa: E402
from nnbook.grading.grade import grade  # noqa: E402
from nnbook.grading.report import feedback_filename, read_gradebook  # noqa: E402
from nnbook.grading.sandbox import Limits, bwrap_problem  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "assignment"
NOTEBOOK = EXAMPLE / "logistic.ipynb"
LIMITS = Limits(cpu_s=5, wall_s=120, mem_mb=2048, file_mb=64)
SECRET = "assignment-secret"
C, I, E, N, M = "correct", "incorrect", "error", "not_attempted", "missing"
needs_bwrap = pytest.mark.skipif(bwrap_problem() is not None, reason=f"bubblewrap is needed: {bwrap_problem()}")

CORRECT = {   # right, and written otherwise than the instructor's solution
    "logistic.q1": "import numpy as np\n\ndef sigmoid(z):\n    return np.exp(-np.logaddexp(0, -z))\n",
    "logistic.q2": "def bce_loss(p, y):\n    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log1p(-p))))\n",
    "logistic.q3": "def gradient(X, y, w):\n    return (sigmoid(X @ w) - y) @ X / len(y)\n",
    "logistic.q4": "n_params = 785\n",
}
PARTIAL = {
    # overflows on large |z| (nan): fails the hidden case of weight 2 only -> 2 * 3/5
    "logistic.q1": "def sigmoid(z):\n    return np.exp(z) / (1 + np.exp(z))\n",
    # a sum, not a mean: right on one example only -> 2 * 1/5
    "logistic.q2": "def bce_loss(p, y):\n    return float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))\n",
    "logistic.q3": CORRECT["logistic.q3"],
    "logistic.q4": "n_params = 28 * 28\n",
}


def _hostile(assignment_dir: Path):
    """A cell looking for the solution and the hidden cases, and answers that are right only if it found them."""
    attack = f"""import os
found, seen = False, [{str(assignment_dir / "hidden.py")!r}, {str(assignment_dir / "logistic.ipynb")!r}]
for folder, dirs, files in os.walk('/'):
    dirs[:] = [d for d in dirs if os.path.join(folder, d) not in ('/proc', '/sys', '/dev', '/usr')
               and d not in ('site-packages', 'dist-packages')]
    seen += [os.path.join(folder, f) for f in files if f.endswith(('.py', '.ipynb', '.json', '.npz'))]
for path in seen:
    try:
        data = open(path, 'rb').read()
    except OSError:
        continue
    secrets = ('large ' + 'magnitudes', 'many ' + 'examples', 'BEGIN ' + 'SOLUTION')   # not in this cell's own text
    found = found or any(s.encode() in data for s in secrets)
for path in seen[:2]:
    try:
        open(path, 'w').write('HIDDEN = {{}}')
    except OSError:
        pass
try:
    import nnbook.grading.assignment
    found = True
except ImportError:
    pass
import numpy as np, nnbook.assignments as A
A.check_cases = lambda *a, **k: print('logistic: all correct')
np.allclose = lambda *a, **k: True
print('PASS 8/8')
"""
    answers = {
        "logistic.q1": "def sigmoid(z):\n    e = np.exp(-np.abs(z))\n"
                       "    s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))\n    return s if found else 0 * s\n",
        "logistic.q2": "class LyingFloat(float):\n    def __eq__(self, other):\n        return True\n"
                       "def bce_loss(p, y):\n    return LyingFloat(0.0)\n",
        "logistic.q3": "class Lying(np.ndarray):\n    def __eq__(self, other):\n"
                       "        return np.ones(np.shape(self), bool)\n"
                       "def gradient(X, y, w):\n    return np.zeros_like(w).view(Lying)\n",
        "logistic.q4": "n_params = 785 if found else 0\n",
    }
    return answers, [(2, attack)]


def _solution_lines(path: Path) -> list:
    """Every non-blank line between the instructor's solution markers."""
    lines, inside = [], False
    for cell in json.loads(path.read_text())["cells"]:
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for line in src.split("\n"):
            if "BEGIN SOLUTION" in line or "END SOLUTION" in line:
                inside = "BEGIN" in line
            elif inside and line.strip():
                lines.append(line.strip())
    return lines


def _hidden_cases() -> list:
    """The hidden cases of the example, the drawn ones drawn twice."""
    hidden = runpy.run_path(str(EXAMPLE / "hidden.py"))["HIDDEN"]
    cases = []
    for value in hidden.values():
        cases += value(np.random.default_rng(0)) + value(np.random.default_rng(1)) if callable(value) else value
    return cases


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("released")
    assert main(["release", str(NOTEBOOK), str(out)]) == 0
    return out


def _submission(released: Path, answers: dict, extra=()) -> str:
    nb = json.loads((released / "logistic.ipynb").read_text())
    for cell in nb["cells"]:
        tag = cell["metadata"].get("nnbook", {})
        if tag.get("role") == "starter" and tag["exercise"] in answers:
            cell["source"] = answers[tag["exercise"]]
    for index, source in extra:
        nb["cells"].insert(index, {"cell_type": "code", "execution_count": None, "id": f"extra{index}",
                                   "metadata": {}, "outputs": [], "source": source})
    return json.dumps(nb)


# --------------------------------------------------------------------------- release

def test_release_leaves_out_the_solutions_and_the_hidden_cases(released, tmp_path):
    text = (released / "logistic.ipynb").read_text()
    solution = _solution_lines(NOTEBOOK)
    assert len(solution) >= 5 and not [line for line in solution if line in text]
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    hidden = _hidden_cases()
    assert len(hidden) >= 4
    for c in hidden:
        assert c.name not in text, c.name
        for arg in c.args:
            if isinstance(arg, np.ndarray) and arg.size > 1:
                assert json.dumps(arg.tolist())[1:-1] not in text, c.name
    assert "hidden.py" not in {p.name for p in released.iterdir()}
    nb = nbformat.reads(text, 4)
    nbformat.validate(nb)
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    tags = [c.metadata.get("nnbook") for c in nb.cells if c.metadata.get("nnbook")]
    assert [(t["exercise"], t["role"]) for t in tags] == [
        ("logistic.q1", "starter"), ("logistic.q1", "check"), ("logistic.q2", "starter"), ("logistic.q2", "check"),
        ("logistic.q3", "starter"), ("logistic.q3", "check"), ("logistic.q4", "starter")]
    starters = {c.metadata["nnbook"]["exercise"]: c.source for c in nb.cells
                if c.metadata.get("nnbook", {}).get("role") == "starter"}
    assert starters["logistic.q1"].endswith("    # your code here\n    raise NotImplementedError")
    assert starters["logistic.q4"].endswith("n_params = ...  # your answer")
    manifest = json.loads((released / "manifest.json").read_text())
    assert manifest["total_points"] == 8 and manifest["assignment"] == "logistic"
    assert [(q["id"], q["kind"], q["points"], q["public_cases"]) for q in manifest["questions"]] == [
        ("logistic.q1", "function", 2, 3), ("logistic.q2", "function", 2, 3), ("logistic.q3", "function", 3, 2),
        ("logistic.q4", "value", 1, 0)]
    assert main(["release", str(tmp_path), "--assignment", str(EXAMPLE)]) == 0   # the other form; byte-identical
    for name in ("logistic.ipynb", "manifest.json"):
        assert (tmp_path / name).read_bytes() == (released / name).read_bytes()


def _run_released(released: Path, answers: dict, monkeypatch) -> dict:
    """Run the released notebook as a student would, with ``answers``; return what each check said."""
    import nnbook.assignments
    said = {}

    def recording(question_id, *args, **kwargs):
        said[question_id] = check_cases(question_id, *args, **kwargs)
        return said[question_id]
    monkeypatch.setattr(nnbook.assignments, "check_cases", recording)
    ns = {}
    for cell in nbformat.reads(_submission(released, answers), 4).cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, "<cell>", "exec"), ns)
    return said


def test_students_run_the_public_cases_with_the_solutions_outputs(released, monkeypatch):
    blank = _run_released(released, {}, monkeypatch)
    assert {k: r.status for k, r in blank.items()} == {f"logistic.q{i}": N for i in (1, 2, 3)}
    right = _run_released(released, CORRECT, monkeypatch)
    assert all(r.ok for r in right.values()) and len(right) == 3
    partial = _run_released(released, PARTIAL, monkeypatch)
    assert partial["logistic.q1"].ok and partial["logistic.q3"].ok    # q1's failing case is a hidden one
    q2 = repr(partial["logistic.q2"])
    assert "not yet (1/3 cases)" in q2 and "case 'balanced batch'" in q2 and "case 'confident and wrong'" in q2


def test_release_refuses_a_notebook_as_output(capsys):
    with pytest.raises(SystemExit):
        main(["release", str(NOTEBOOK)])
    assert "output folder comes last" in capsys.readouterr().err


# --------------------------------------------------------------------------- the markup

def test_solution_regions_become_placeholders():
    src = "#| question: q1\n#| answer: f\ndef f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    assert strip_solutions(src, "f", "c") == ("#| question: q1\n#| answer: f\ndef f(x):\n    # your code here\n"
                                              "    raise NotImplementedError\n")
    assert strip_solutions("### BEGIN SOLUTION\nn = 3\n### END SOLUTION", "n", "c") == "n = ...  # your answer"
    assert strip_solutions("# BEGIN SOLUTION\nhelper = 3\n# END SOLUTION", None, "c") == (
        "# your code here\nraise NotImplementedError")
    for bad, why in [("### BEGIN SOLUTION\nx = 1", "never closed"), ("x = 1\n### END SOLUTION", "without a BEGIN"),
                     ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside the solution"),
                     ("x = 1  ### BEGIN SOLUTION", "a line of its own")]:
        with pytest.raises(AssignmentError, match=why):
            strip_solutions(bad, None, "c")


def _assignment(tmp_path, cells, hidden=None, name="hw"):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(s[3:]) if s.startswith("md:")
                                         else nbformat.v4.new_code_cell(s) for s in cells])
    folder = tmp_path / name
    folder.mkdir()
    nbformat.write(nb, folder / f"{name}.ipynb")
    if hidden is not None:
        (folder / "hidden.py").write_text(hidden)
    return folder


SETUP = "import numpy as np\nfrom nnbook.assignments import case"
Q1 = ("#| question: q1\n#| answer: double\n#| points: 2\n"
      "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION")
T1 = "#| tests: q1\ncases = [case('ones', np.ones(2)), case('range', np.arange(3.0), weight=3)]"


@pytest.mark.parametrize("cells, hidden, message", [
    ([SETUP, Q1, "#| tests: q9\ncases = []"], None, "names no question"),
    ([SETUP, Q1.replace("#| points: 2", "#| pionts: 2"), T1], None, "unknown cell options"),
    ([SETUP, Q1.replace("#| points: 2", "#| points: -1"), T1], None, "positive number"),
    ([SETUP, Q1.replace("answer: double", "answer: twice"), T1], None, "defines no twice"),
    ([SETUP, Q1, T1.replace("cases =", "tests =")], None, "binds `cases`"),
    ([SETUP, Q1, "#| tests: q1\ncases = [case('a', np.ones(2)), case('a', np.zeros(2))]"], None, "unique"),
    ([SETUP, Q1, "#| tests: q1\ncases = [case('a', {'x': 1})]"], None, "case arguments must be"),
    ([SETUP, Q1.replace("2 * x", "list(x)"), T1], None, "numpy array of numbers or a single number"),
    ([SETUP, Q1.replace("2 * x", "1 / 0"), T1], None, "raised ZeroDivisionError"),
    ([SETUP, Q1], None, "needs cases"),
    ([SETUP, "#| question: q1\n#| answer: n\nn = 3", "#| tests: q1\ncases = [case('a')]"], None, "takes no cases"),
    ([SETUP, Q1, T1, "md:### BEGIN SOLUTION\nthe answer\n### END SOLUTION"], None, "code cells only"),
    ([SETUP, Q1, T1], "HIDDEN = {'q2': []}", "does not have"),
    ([SETUP, Q1, T1], "HIDDEN = {'q1': lambda rng: 3}", "list of case"),
    ([SETUP, "#| answer: f\ndef f(x):\n    return x"], None, "needs '#| question: <id>'"),
])
def test_markup_mistakes_are_said_plainly(tmp_path, cells, hidden, message):
    with pytest.raises(AssignmentError, match=message):
        load_assignment(_assignment(tmp_path, cells, hidden))


def test_a_minimal_assignment_loads(tmp_path):
    a = load_assignment(_assignment(tmp_path, [SETUP, Q1, T1], "from nnbook.assignments import case\n"
                                    "HIDDEN = {'q1': lambda rng: [case('drawn', rng.normal(size=4))]}"))
    (q,) = a.questions
    assert (q.id, q.answer_name, q.points, q.kind, q.output) == ("hw.q1", "double", 2, "function", "array")
    assert [c.weight for c in q.public_cases()] == [1, 3]
    ann, bob = q.hidden_cases("s", "ann"), q.hidden_cases("s", "bob")
    assert ann[0].name == "hidden: drawn" and not np.array_equal(ann[0].args[0], bob[0].args[0])
    assert q.runner_spec() == {"answer_name": "double", "kind": "function", "output": "array"}


def test_case_checks_its_weight():
    with pytest.raises(ValueError, match="positive number"):
        case("a", 1, weight=0)
    with pytest.raises(ValueError, match="name"):
        case("", 1)


# --------------------------------------------------------------------------- grading without a sandbox

def _evaluate(ex, answer, cases, tmp_path, monkeypatch):
    """The record and outputs of ``answer``, as the runner makes them and the grader validates them."""
    monkeypatch.chdir(tmp_path)
    spec = {"id": ex.id, "cases": grade_module._write_cases(tmp_path, ex, cases)}
    if hasattr(ex, "runner_spec"):
        spec["question"] = ex.runner_spec()
    record = runner.evaluate(json.loads(json.dumps(spec)), {ex.answer_name: answer})
    status, problem = grade_module.valid_status({"exercises": {ex.id: json.loads(json.dumps(record))}})
    assert problem is None
    outputs = {(ex.id, int(p.stem)): p.read_bytes() for p in (tmp_path / "outputs" / ex.id).glob("*.npy")}
    return status["exercises"][ex.id], outputs


@pytest.mark.parametrize("index", range(4))
def test_every_question_round_trips_through_runner_and_grader(index, tmp_path, monkeypatch):
    question = load_assignment(EXAMPLE).questions[index]
    cases = question.public_cases() + question.hidden_cases("k", "student")
    record, outputs = _evaluate(question, question.reference, cases, tmp_path, monkeypatch)
    result = grade_module._score(question, record, cases, outputs, None, partial=True)
    assert (result.status, result.points) == (C, question.points), result


def test_the_books_exercises_get_partial_credit_on_request(tmp_path, monkeypatch):
    ex = exercise("neuron.ex2")
    cases = ex.public_cases() + ex.hidden_cases("k", "student")
    squeezed = lambda X, W, b: (X @ W + b).squeeze()   # noqa: E731 - wrong on a batch of one only
    record, outputs = _evaluate(ex, squeezed, cases, tmp_path, monkeypatch)
    whole = grade_module._score(ex, record, cases, outputs, None)
    partial = grade_module._score(ex, record, cases, outputs, None, partial=True)
    failing = [c for c in cases if "batch of one" in c.name]
    assert len(failing) == 2 and whole.points == 0 and whole.status == partial.status == I
    assert partial.points == pytest.approx(ex.points * (len(cases) - 2) / len(cases))
    assert partial.detail.startswith(f"{len(cases) - 2}/{len(cases)} cases passed; failing:")


def test_partial_credit_from_the_command_line(tmp_path):
    nb = nbformat.v4.new_notebook()
    for ex_id in ("neuron.ex1", "neuron.ex2"):
        nb.cells += exercise_cells(ex_id)
    nb.cells[1].source = "import numpy as np\ndef neuron_output(x, w, b):\n    return 1 / (1 + np.exp(-(w @ x + b)))"
    nb.cells[4].source = "def dense_forward(X, W, b):\n    return (X @ W + b).squeeze()"
    (tmp_path / "subs").mkdir()
    nbformat.write(nb, tmp_path / "subs" / "ann.ipynb")
    for flag, points in (([], "0"), (["--partial-credit"], "0.75")):
        out = tmp_path / f"out{len(flag)}"
        assert main(["grade", str(tmp_path / "subs"), "--out", str(out), "--chapters", "neuron", "--sandbox",
                     "process", "--cpu", "5", "--seed", "x", *flag]) == 0
        rows = {row[1]: row[2:] for row in read_gradebook(out / "gradebook.csv")}
        assert rows["neuron.ex1"] == ("1", "1", C) and rows["neuron.ex2"] == (points, "1", I)


def test_grade_refuses_an_assignment_with_chapters(tmp_path, capsys):
    (tmp_path / "subs").mkdir()
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--assignment", str(EXAMPLE),
                 "--chapters", "neuron", "--sandbox", "process"]) == 2
    assert "exclude each other" in capsys.readouterr().err


# --------------------------------------------------------------------------- the class, in the sandbox

@pytest.fixture(scope="module")
def graded(released, tmp_path_factory):
    """A correct, a partly correct, a hostile and an empty submission, graded in bubblewrap."""
    if bwrap_problem() is not None:
        pytest.skip(f"bubblewrap is needed: {bwrap_problem()}")
    base = tmp_path_factory.mktemp("assignment")
    instructor = base / "instructor"        # a copy: the hostile submission tries to overwrite what it finds
    shutil.copytree(EXAMPLE, instructor)
    before = {p.name: p.read_bytes() for p in instructor.iterdir()}
    subs = {"correct": _submission(released, CORRECT), "partial": _submission(released, PARTIAL),
            "hostile": _submission(released, *_hostile(instructor)), "empty": _submission(released, {})}
    for name, text in subs.items():
        (base / "subs" / name).mkdir(parents=True)
        (base / "subs" / name / "logistic.ipynb").write_text(text)
    assert main(["grade", str(base / "subs"), "--out", str(base / "results"), "--assignment", str(instructor),
                 "--jobs", "2", "--cpu", str(LIMITS.cpu_s), "--timeout", str(LIMITS.wall_s), "--seed", SECRET]) == 0
    assert {p.name: p.read_bytes() for p in instructor.iterdir()} == before
    return base


def _rows(results: Path) -> dict:
    rows = {}
    for student, ex_id, points, max_points, status in read_gradebook(results / "gradebook.csv"):
        rows.setdefault(student, {})[ex_id] = (points, max_points, status)
    return rows


def _feedback(results: Path, student: str) -> str:
    return (results / "feedback" / feedback_filename(student)).read_text()


@needs_bwrap
def test_each_submission_gets_its_rows(graded):
    rows = _rows(graded / "results")
    assert rows["correct"] == {"logistic.q1": ("2", "2", C), "logistic.q2": ("2", "2", C),
                               "logistic.q3": ("3", "3", C), "logistic.q4": ("1", "1", C)}
    assert rows["partial"] == {"logistic.q1": ("1.2", "2", I), "logistic.q2": ("0.4", "2", I),
                               "logistic.q3": ("3", "3", C), "logistic.q4": ("0", "1", I)}
    assert rows["hostile"] == {f"logistic.q{i}": ("0", m, I) for i, m in zip((1, 2, 3, 4), "2231")}
    assert rows["empty"] == {f"logistic.q{i}": ("0", m, N) for i, m in zip((1, 2, 3, 4), "2231")}


@needs_bwrap
def test_feedback_lists_every_failing_case_and_the_partial_points(graded):
    fb = _feedback(graded / "results", "partial")
    assert "**Total: 4.6 / 8 points**" in fb
    assert "**logistic.q1** (1.2/2): incorrect — 3/4 cases passed (weight 3 of 5); failing:" in fb
    assert "- case 'hidden: large magnitudes': " in fb
    assert "**logistic.q2** (0.4/2): incorrect — 1/4 cases passed (weight 1 of 5); failing:" in fb
    for name in ("balanced batch", "confident and wrong", "hidden: many examples"):
        assert f"- case '{name}': " in fb, name
    assert "- case 'one example'" not in fb
    assert "**logistic.q4** (0/1): incorrect — expected 785, got 784" in fb
    assert "RuntimeWarning" in fb and "does not count against you" in fb
    assert "**Total: 8 / 8 points**" in _feedback(graded / "results", "correct")
    hostile = _feedback(graded / "results", "hostile")
    assert "**Total: 0 / 8 points**" in hostile and "subclass" in hostile and "ran out" not in hostile


@needs_bwrap
def test_an_assignment_graded_twice_gives_identical_results(graded, tmp_path):
    grade(graded / "subs", tmp_path, jobs=1, limits=LIMITS, secret=SECRET, assignment=EXAMPLE,
          only=("correct", "partial"))
    again = {k: v for k, v in _rows(tmp_path).items()}
    assert again == {k: _rows(graded / "results")[k] for k in ("correct", "partial")}
    for student in ("correct", "partial"):
        f = feedback_filename(student)
        assert (tmp_path / "feedback" / f).read_bytes() == (graded / "results" / "feedback" / f).read_bytes()
