"""LMS exports (Canvas, Moodle), the class report, and --only, from a small graded class."""
import csv
import io
import json

import pytest

nbformat = pytest.importorskip("nbformat")

from nnbook.exercises import all_exercises  # noqa: E402
from nnbook.exercises.cells import exercise_cells  # noqa: E402
from nnbook.grading.cli import main  # noqa: E402
from nnbook.grading.sandbox import bwrap_problem  # noqa: E402

SANDBOX = "bwrap" if bwrap_problem() is None else "process"
GOOD = {"neuron.ex3": "n_params = 784 * 16 + 16\n", "neuron.ex4": "decision_set = 'a'\n",
        "neuron.ex2": "def dense_forward(X, W, b):\n    return X @ W + b\n"}
WRONG = {"neuron.ex3": "n_params = 1\n", "neuron.ex2": "def dense_forward(X, W, b):\n    return X @ W\n"}


def _notebook(answers):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("import numpy as np"))
    for ex_id in [ex.id for ex in all_exercises("neuron")]:
        nb.cells += exercise_cells(ex_id, solution=False)
    for cell in nb.cells:
        tag = cell.metadata.get("nnbook", {})
        if tag.get("role") == "starter" and tag["exercise"] in answers:
            cell.source = answers[tag["exercise"]]
    return nbformat.writes(nb)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    for name, answers in {"ada": GOOD, "bob": WRONG, "cy": {}}.items():
        (root / "subs" / name).mkdir(parents=True)
        (root / "subs" / name / "02_neuron.ipynb").write_text(_notebook(answers))
    assert main(["grade", str(root / "subs"), "--out", str(root / "results"), "--seed", "k", "--cpu", "10",
                 "--sandbox", SANDBOX, "--chapters", "neuron"]) == 0
    return root


def _table(text):
    return list(csv.reader(io.StringIO(text)))


def test_details_record_points_statuses_and_failing_cases(results):
    data = json.loads((results / "results" / "details.json").read_text())
    bob = data["students"]["bob"]["exercises"]
    assert bob["neuron.ex2"]["status"] == "incorrect" and bob["neuron.ex2"]["failing_cases"]
    assert data["students"]["ada"]["exercises"]["neuron.ex3"] == {
        "points": 1, "max_points": 1, "status": "correct", "failing_cases": []}


def test_canvas_export_has_the_import_columns_and_points_possible(results):
    assert main(["export", str(results / "results"), "--lms", "canvas"]) == 0
    table = _table((results / "results" / "canvas.csv").read_text())
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "nnbook: neuron"]
    assert table[1] == ["Points Possible", "", "", "", "", "5"]
    assert {row[0]: row[5] for row in table[2:]} == {"ada": "3", "bob": "0", "cy": "0"}


def test_moodle_export_with_a_roster(results, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,username,email\nada,alovelace,ada@example.org\nbob,bb,bob@example.org\n"
                      "cy,cy,cy@example.org\n")
    assert main(["export", str(results / "results"), "--lms", "moodle", "--roster", str(roster),
                 "--out", str(tmp_path / "m.csv")]) == 0
    table = _table((tmp_path / "m.csv").read_text())
    assert table[0] == ["username", "email", "nnbook: neuron"]
    assert table[1] == ["alovelace", "ada@example.org", "3"]
    roster.write_text("student,username\nada,a\n")
    assert main(["export", str(results / "results"), "--lms", "moodle", "--roster", str(roster)]) == 2   # bob missing


def test_class_report_is_one_self_contained_page(results):
    assert main(["report", str(results / "results")]) == 0
    page = (results / "results" / "report.html").read_text()
    assert "3 students" in page and "data:image/png;base64," in page and "<script" not in page
    assert "neuron.ex2" in page and "pass rate" in page
    assert "http://" not in page and "https://" not in page


def test_only_replaces_one_students_rows_and_details(results, tmp_path):
    import shutil
    out = tmp_path / "results"
    shutil.copytree(results / "results", out)
    (results / "subs" / "cy" / "02_neuron.ipynb").write_text(_notebook(GOOD))
    try:
        assert main(["grade", str(results / "subs"), "--out", str(out), "--seed", "k", "--cpu", "10",
                     "--sandbox", SANDBOX, "--chapters", "neuron", "--only", "cy"]) == 0
    finally:
        (results / "subs" / "cy" / "02_neuron.ipynb").write_text(_notebook({}))
    data = json.loads((out / "details.json").read_text())
    assert set(data["students"]) == {"ada", "bob", "cy"}
    assert data["students"]["cy"]["exercises"]["neuron.ex3"]["status"] == "correct"
    assert data["students"]["bob"] == json.loads((results / "results" / "details.json").read_text())["students"]["bob"]
