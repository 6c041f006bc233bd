"""The gradebook (CSV), per-student feedback (Markdown) and merging shards.

Both are written by the grader from its own memory, sorted, without times,
so the same submissions give byte-identical files whatever ``--jobs`` and
however the students were split into shards.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["HEADER", "ExerciseGrade", "StudentReport", "gradebook_text", "write_gradebook",
           "read_gradebook", "merge_gradebooks", "feedback_markdown", "feedback_filename", "replace_rows"]

HEADER = ("student", "exercise", "points", "max_points", "status")
SYMBOLS = {"correct": "✅", "incorrect": "❌", "error": "❌", "not_attempted": "⏳",
           "missing": "❓", "timeout": "⏱", "crashed": "💥"}


@dataclass(frozen=True)
class ExerciseGrade:
    exercise: str
    points: float
    max_points: float
    status: str
    detail: str = ""
    failed_cases: tuple = ()   # names of the failing cases (for the class report)


@dataclass
class StudentReport:
    student: str
    notebooks: list = field(default_factory=list)
    grades: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    seconds: float = 0.0      # wall clock and CPU time of the runner: printed on stdout only,
    cpu_seconds: float = 0.0  # never written to files
    wall_timeout: bool = False

    @property
    def points(self) -> float:
        return sum(g.points for g in self.grades)

    @property
    def max_points(self) -> float:
        return sum(g.max_points for g in self.grades)


def _natural(text: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def _row_key(row):
    return (row[0], _natural(row[1]))


def gradebook_text(rows) -> str:
    """CSV text of the rows (tuples of 5 strings), header first, rows sorted."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(sorted(rows, key=_row_key))
    return buf.getvalue()


def report_rows(reports) -> list:
    return [(r.student, g.exercise, f"{g.points:g}", f"{g.max_points:g}", g.status)
            for r in reports for g in r.grades]


def write_gradebook(rows, path) -> None:
    Path(path).write_text(gradebook_text(rows), encoding="utf-8", newline="")


def read_gradebook(path) -> list:
    with open(path, encoding="utf-8", newline="") as f:
        table = list(csv.reader(f))
    if not table or tuple(table[0]) != HEADER:
        raise ValueError(f"{path} is not a gradebook: expected the header {','.join(HEADER)}")
    bad = [i for i, row in enumerate(table[1:], start=2) if len(row) != len(HEADER)]
    if bad:
        raise ValueError(f"{path}: line {bad[0]} has not {len(HEADER)} columns")
    return [tuple(row) for row in table[1:]]


def merge_gradebooks(paths, out) -> list:
    """Merge partial gradebooks (e.g. shards) into one, as a single run would write it."""
    merged = {}
    for path in paths:
        for row in read_gradebook(path):
            key = row[:2]
            if key in merged and merged[key] != row:
                raise ValueError(f"{row[0]} / {row[1]} appears with different grades in the parts")
            merged[key] = row
    rows = list(merged.values())
    write_gradebook(rows, out)
    return rows


def feedback_filename(student: str) -> str:
    """A stable, unique file name for any Unicode name: an ASCII slug plus 8 hex digits of its sha256.

    ``müller`` and ``möller`` get different files; the gradebook keeps the exact name.
    """
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", unicodedata.normalize("NFKD", student).encode("ascii", "ignore").decode())
    slug = slug.strip("._")[:40] or "student"
    return f"{slug}-{hashlib.sha256(student.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}.md"


def replace_rows(old_rows, new_rows) -> list:
    """``old_rows`` with every row of the students in ``new_rows`` replaced by theirs (``--only``)."""
    again = {row[0] for row in new_rows}
    return sorted([r for r in old_rows if r[0] not in again] + list(new_rows), key=_row_key)


def feedback_markdown(report: StudentReport) -> str:
    """What passed, what failed and why, then notes about the notebooks and the run."""
    lines = [f"# Feedback for {report.student}", "",
             f"**Total: {report.points:g} / {report.max_points:g} points**", ""]
    if report.notebooks:
        lines += ["Notebooks graded: " + ", ".join(f"`{n}`" for n in report.notebooks), ""]
    lines += ["## Exercises", ""]
    for g in report.grades:
        text = f"- {SYMBOLS.get(g.status, '•')} **{g.exercise}** ({g.points:g}/{g.max_points:g}): {g.status.replace('_', ' ')}"
        lines.append(text + (f" — {g.detail}".replace("\n", "\n  ") if g.detail else ""))
    if report.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report.notes]
    return "\n".join(lines) + "\n"
