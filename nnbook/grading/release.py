"""``nnbook release``: student copies of the book's notebooks and a manifest.

For every chapter notebook (``*.ipynb`` under the book folder, outside
``_build`` and hidden folders) the student copy has its solution and hidden
cells removed, outputs and execution counts cleared, and widget state and
execution timings dropped. ``manifest.json`` lists, per chapter, the
exercises found in its starter cells. Output is deterministic: JSON with
sorted keys, the files in sorted order. An instructor's own assignment is
released by :func:`nnbook.grading.assignment.release_assignment`.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..exercises import exercise
from .notebook import cell_role

__all__ = ["student_copy", "release", "chapter_notebooks"]

REMOVED_ROLES = ("solution", "hidden")
_DROPPED_CELL_META = ("execution", "ExecuteTime", "collapsed", "scrolled")
_DROPPED_NB_META = ("widgets",)


def chapter_notebooks(book) -> list:
    """The chapter notebooks directly in ``book`` (not in its subfolders: ``book/zh`` holds the
    Chinese edition, released on its own with ``--book book/zh``)."""
    book = Path(book)
    return sorted(p for p in book.glob("*.ipynb") if not p.name.startswith((".", "_")))


def student_copy(nb: dict) -> dict:
    """A new notebook dict: instructor-only cells removed, outputs and state cleared."""
    out = {k: v for k, v in nb.items() if k != "cells"}
    out["metadata"] = {k: v for k, v in nb.get("metadata", {}).items() if k not in _DROPPED_NB_META}
    cells = []
    for cell in nb.get("cells", []):
        if cell_role(cell)[1] in REMOVED_ROLES:
            continue
        cell = dict(cell)
        cell["metadata"] = {k: v for k, v in cell.get("metadata", {}).items() if k not in _DROPPED_CELL_META}
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cells.append(cell)
    out["cells"] = cells
    return out


def _exercises_of(nb: dict, name: str) -> list:
    found = []
    for cell in nb.get("cells", []):
        ex_id, role = cell_role(cell)
        if role != "starter":
            continue
        if ex_id in found:
            raise ValueError(f"{name}: exercise {ex_id} has two starter cells")
        ex = exercise(ex_id)  # KeyError for an unregistered id
        found.append(ex.id)
    return [{"id": e.id, "kind": e.kind, "points": e.points, "answer_name": e.answer_name, "title": e.title}
            for e in map(exercise, found)]


def release(out, book="book") -> dict:
    """Write student copies of the chapters of ``book`` and ``manifest.json`` into ``out``."""
    book, out = Path(book), Path(out)
    notebooks = chapter_notebooks(book)
    if not notebooks:
        raise FileNotFoundError(f"no notebooks found under {book}")
    chapters = {}
    for path in notebooks:
        rel = path.relative_to(book)
        nb = json.loads(path.read_text(encoding="utf-8"))
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(student_copy(nb), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        target.write_text(text, encoding="utf-8")
        chapters[path.stem] = {"notebook": rel.as_posix(), "exercises": _exercises_of(nb, rel.as_posix())}
    total = sum(e["points"] for ch in chapters.values() for e in ch["exercises"])
    manifest = {"chapters": chapters, "total_points": total}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest
