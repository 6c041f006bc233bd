"""What instructors do next with the grades: LMS exports and a one-page class report.

``nnbook grade`` writes ``RESULTS/details.json`` beside the gradebook (per
student and exercise: points, status and the names of the failing cases,
and whether a limit was hit). From the results folder:

``nnbook export RESULTS/ --lms canvas [--roster roster.csv]``
    ``RESULTS/canvas.csv`` for Canvas' *Grades → Import*: the columns
    ``Student, ID, SIS User ID, SIS Login ID, Section`` and one column per
    chapter (or assignment) holding the points, with a ``Points Possible``
    row. Canvas matches a row by any of its first three columns; a chapter
    column that does not exist in the course yet becomes a new assignment.
``nnbook export RESULTS/ --lms moodle [--roster roster.csv]``
    ``RESULTS/moodle.csv`` for Moodle's *Grades → Import → CSV file*:
    ``username, email`` and one column per chapter. In the import form, map
    ``username`` (or ``email``) to the user field of the same name and each
    chapter column to a grade item (or to "new grade item").
``nnbook report RESULTS/``
    ``RESULTS/report.html``, one self-contained page: the score histogram,
    the pass rate per exercise, the most frequent failing case of each
    exercise, and the students who hit a limit.

A roster is a CSV with a ``student`` column (the submission's folder name)
and any of ``name, canvas_id, sis_user_id, sis_login_id, section, username,
email``; without one, the submission's name stands for all of them.
Everything is sorted and written byte-identically for the same results.
"""
from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
from collections import Counter
from pathlib import Path

__all__ = ["details", "details_text", "read_details", "merge_details", "canvas_csv", "moodle_csv", "read_roster", "class_report_html"]

ROSTER_FIELDS = ("name", "canvas_id", "sis_user_id", "sis_login_id", "section", "username", "email")


def _natural(exercise_id: str) -> list:
    """A sort key that puts ``neuron.ex2`` before ``neuron.ex10`` (and ``hw.q2`` before ``hw.q10``)."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", exercise_id)]


def _group(exercise_id: str) -> str:
    """The gradebook column an exercise counts towards: its chapter (``neuron.ex1`` -> ``neuron``)."""
    return exercise_id.split(".", 1)[0]


def details(reports) -> dict:
    """A plain, sorted summary of the reports: what the export and the class report are made from."""
    students = {}
    for r in sorted(reports, key=lambda r: r.student):
        students[r.student] = {
            "exercises": {g.exercise: {"points": g.points, "max_points": g.max_points, "status": g.status,
                                       "failing_cases": list(g.failed_cases)} for g in r.grades},
            "hit_limit": any(g.status == "timeout" for g in r.grades) or any("ran out of" in n for n in r.notes),
        }
    return {"students": students}


def details_text(summary: dict) -> str:
    """``details.json`` as written: sorted keys, one space indents, UTF-8 names kept."""
    return json.dumps(summary, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def read_details(results) -> dict:
    path = Path(results) / "details.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run `nnbook grade ... --out {results}` first")
    return json.loads(path.read_text(encoding="utf-8"))


def read_roster(path) -> dict:
    """``{student: {field: value}}`` from a roster CSV (see the module's docstring)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "student" not in rows[0]:
        raise ValueError(f"{path}: a roster needs a 'student' column (the submission's folder name)")
    unknown = set(rows[0]) - {"student", *ROSTER_FIELDS}
    if unknown:
        raise ValueError(f"{path}: unknown roster columns {sorted(unknown)}; known: student, {', '.join(ROSTER_FIELDS)}")
    return {row["student"]: {k: (row.get(k) or "") for k in ROSTER_FIELDS} for row in rows}


def _totals(data: dict):
    """(groups in order, {student: {group: points}}, {group: max points})."""
    groups, points, maxima = set(), {}, {}
    for student, rec in data["students"].items():
        for ex_id, g in rec["exercises"].items():
            group = _group(ex_id)
            groups.add(group)
            points.setdefault(student, {}).setdefault(group, 0.0)
            points[student][group] += g["points"]
            maxima.setdefault(group, {})[ex_id] = g["max_points"]
    return sorted(groups), points, {g: sum(m.values()) for g, m in maxima.items()}


def _csv(rows) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _who(student: str, roster: dict | None) -> dict:
    info = (roster or {}).get(student)
    if roster is not None and info is None:
        raise ValueError(f"student {student!r} is not in the roster")
    info = info or {}
    return {k: info.get(k) or "" for k in ROSTER_FIELDS}


def canvas_csv(data: dict, roster: dict | None = None, prefix: str = "nnbook") -> str:
    groups, points, maxima = _totals(data)
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] + [f"{prefix}: {g}" for g in groups]
    rows = [header, ["Points Possible", "", "", "", ""] + [f"{maxima[g]:g}" for g in groups]]
    for student in sorted(points):
        who = _who(student, roster)
        rows.append([who["name"] or student, who["canvas_id"], who["sis_user_id"],
                     who["sis_login_id"] or (student if roster is None else ""), who["section"]]
                    + [f"{points[student].get(g, 0):g}" for g in groups])
    return _csv(rows)


def moodle_csv(data: dict, roster: dict | None = None, prefix: str = "nnbook") -> str:
    groups, points, _ = _totals(data)
    rows = [["username", "email"] + [f"{prefix}: {g}" for g in groups]]
    for student in sorted(points):
        who = _who(student, roster)
        rows.append([who["username"] or student, who["email"]] + [f"{points[student].get(g, 0):g}" for g in groups])
    return _csv(rows)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode()


def class_report_html(data: dict) -> str:
    """One self-contained HTML page (figures embedded as PNG) summarising a graded class."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    students = data["students"]
    exercises = sorted({ex for rec in students.values() for ex in rec["exercises"]}, key=_natural)
    totals = {s: sum(g["points"] for g in rec["exercises"].values()) for s, rec in students.items()}
    maximum = max((sum(g["max_points"] for g in rec["exercises"].values()) for rec in students.values()), default=0)
    rate, failing = {}, {}
    for ex in exercises:
        graded = [rec["exercises"][ex] for rec in students.values() if ex in rec["exercises"]]
        rate[ex] = sum(g["status"] == "correct" for g in graded) / len(graded) if graded else 0.0
        counts = Counter(c for g in graded for c in g["failing_cases"])
        if not counts:   # no case names (a value or a choice, or nothing ran): the most frequent status instead
            counts = Counter(f"status: {g['status'].replace('_', ' ')}" for g in graded if g["status"] != "correct")
        failing[ex] = min(counts.items(), key=lambda kv: (-kv[1], kv[0])) if counts else None

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    top = max(maximum, 1)
    edges = [k - 0.5 for k in range(int(top) + 2)] if top <= 40 else 20   # one bar per whole point
    axes[0].hist(list(totals.values()), bins=edges, color="#3b6ea5", edgecolor="white")
    axes[0].set(title="Scores", xlabel=f"points (out of {maximum:g})", ylabel="students")
    axes[0].yaxis.get_major_locator().set_params(integer=True)
    axes[1].barh(range(len(exercises)), [100 * rate[e] for e in exercises], color="#4c956c")
    axes[1].set_yticks(range(len(exercises)), exercises, fontsize=7)
    axes[1].invert_yaxis()
    axes[1].set(title="Pass rate per exercise", xlabel="% of students correct", xlim=(0, 100))
    fig.tight_layout()
    figure = _png(fig)
    plt.close(fig)

    e = html.escape
    n = len(students)
    mean = sum(totals.values()) / n if n else 0.0
    limit = sorted(s for s, rec in students.items() if rec["hit_limit"])
    rows = "\n".join(
        f"<tr><td>{e(ex)}</td><td>{100 * rate[ex]:.0f} %</td><td>"
        + (f"{e(failing[ex][0])} ({failing[ex][1]} student{'s' if failing[ex][1] != 1 else ''})" if failing[ex] else "—")
        + "</td></tr>" for ex in exercises)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Class report</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:.25rem .5rem;text-align:left}}</style></head>
<body><h1>Class report</h1>
<p>{n} student{'s' if n != 1 else ''}; mean score {mean:.2f} of {maximum:g} points.</p>
<img src="data:image/png;base64,{figure}" alt="Left: histogram of the students' total scores. Right: the share of students who solved each exercise." style="max-width:100%">
<h2>Exercises</h2>
<table><thead><tr><th>exercise</th><th>pass rate</th><th>most frequent failing case</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<h2>Students who hit a limit</h2>
<p>{', '.join(e(s) for s in limit) if limit else 'None.'}</p>
</body></html>
"""


def merge_details(gradebooks, out):
    """Merge the ``details.json`` found beside each partial gradebook (shards) into one beside ``out``.

    Returns its path, or ``None`` when some part has none. A student found in
    two parts with different details is an error, as in the gradebooks.
    """
    paths = [Path(p).parent / "details.json" for p in gradebooks]
    if not all(p.is_file() for p in paths):
        return None
    merged = {}
    for path in paths:
        for student, rec in json.loads(path.read_text(encoding="utf-8"))["students"].items():
            if student in merged and merged[student] != rec:
                raise ValueError(f"{student!r} has different details in two parts ({path})")
            merged[student] = rec
    target = Path(out).parent / "details.json"
    target.write_text(details_text({"students": dict(sorted(merged.items()))}), encoding="utf-8")
    return target
