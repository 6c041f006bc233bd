"""Reading submitted notebooks: tolerant JSON parsing, cell roles, magics.

A submission may be truncated, hand-edited or not a notebook at all; the
grader grades what can be read. :func:`read_notebook` never raises: it returns
the cells it could recover and a list of problems in plain words.
"""
from __future__ import annotations

import json
import os
import re
import stat

__all__ = ["read_notebook", "read_plain_file", "cell_source", "cell_role", "strip_magics", "MAX_NOTEBOOK_BYTES"]

MAX_NOTEBOOK_BYTES = 20_000_000
MAX_CELLS = 5_000
_CELL_START = re.compile(r'\{\s*"cell_type"')
_CELL_MAGIC = re.compile(r"^%%(\w+)")
_KEEP_BODY_MAGICS = {"time", "timeit", "capture"}
_LINE_MAGIC = re.compile(r"^(\s*)([%!])")
_ASSIGNED_MAGIC = re.compile(r"^(\s*)([A-Za-z_]\w*)\s*=\s*[%!]")
_TIMED_LINE = re.compile(r"^(\s*)%(?:time|timeit)\s+(.*)$")


def _salvage_cells(text: str) -> list:
    """Complete cell objects of a broken notebook, up to the first damage that can't be skipped."""
    start = text.find('"cells"')
    if start < 0:
        return []
    decoder, cells = json.JSONDecoder(), []
    m = _CELL_START.search(text, start)
    while m:
        try:
            obj, end = decoder.raw_decode(text, m.start())
        except (json.JSONDecodeError, RecursionError):
            m = _CELL_START.search(text, m.start() + 1)
            continue
        if isinstance(obj, dict):
            cells.append(obj)
        if len(cells) >= MAX_CELLS:
            break
        m = _CELL_START.search(text, end)
    return cells


def read_plain_file(path: str, limit: int):
    """The bytes of a regular file, or None: no symlink, FIFO or device, at most ``limit`` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        return f.read(limit + 1)[:limit]


def read_notebook(data: bytes):
    """Return ``(cells, problems)`` for the bytes of a ``.ipynb`` file."""
    problems = []
    if len(data) > MAX_NOTEBOOK_BYTES:
        return [], [f"the notebook is {len(data)} bytes, more than the {MAX_NOTEBOOK_BYTES} accepted"]
    text = data.decode("utf-8", errors="replace")
    if "\ufffd" in text and b"\xef\xbf\xbd" not in data:
        problems.append("the notebook is not valid UTF-8; unreadable characters were replaced")
    try:
        nb = json.loads(text)
    except RecursionError:
        return [], problems + ["the notebook's JSON is nested too deeply to be read"]
    except json.JSONDecodeError as exc:
        cells = _salvage_cells(text)
        problems.append(f"the notebook is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                        f"{len(cells)} complete cell(s) could be read and were run")
        return cells, problems
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return [], problems + ["the file is JSON but not a notebook (no list of cells)"]
    cells = [c for c in nb["cells"] if isinstance(c, dict)]
    if len(cells) != len(nb["cells"]):
        problems.append("some cells are not JSON objects and were skipped")
    if len(cells) > MAX_CELLS:
        problems.append(f"the notebook has {len(cells)} cells; only the first {MAX_CELLS} were read")
        cells = cells[:MAX_CELLS]
    return cells, problems


def cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def cell_role(cell: dict):
    """``(exercise_id, role)`` from ``metadata.nnbook``, or ``(None, None)``."""
    meta = cell.get("metadata")
    tag = meta.get("nnbook") if isinstance(meta, dict) else None
    if not isinstance(tag, dict):
        return None, None
    ex, role = tag.get("exercise"), tag.get("role")
    return (ex if isinstance(ex, str) else None), (role if isinstance(role, str) else None)


def strip_magics(src: str):
    """Plain Python for an IPython cell: ``(code, None)`` or ``(None, reason)`` to skip it.

    A cell that compiles as it is is returned unchanged. Otherwise:

    ``%%time``/``%%timeit``/``%%capture`` cells run their body; other cell
    magics (``%%bash``, ``%%writefile`` ...) are skipped. ``%time stmt`` runs
    ``stmt``; other ``%`` and ``!`` lines become ``pass`` (or ``name = None``).
    """
    try:
        compile(src, "<cell>", "exec")
        return src, None  # plain Python: nothing to strip
    except Exception:  # SyntaxError, or a source too deep to compile
        pass
    lines = src.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None:
        m = _CELL_MAGIC.match(lines[first].strip())
        if m:
            if m.group(1) not in _KEEP_BODY_MAGICS:
                return None, f"cell magic %%{m.group(1)} is not run by the grader"
            lines = lines[first + 1:]
    out = []
    for line in lines:
        timed, assigned, magic = _TIMED_LINE.match(line), _ASSIGNED_MAGIC.match(line), _LINE_MAGIC.match(line)
        if timed:
            out.append(timed.group(1) + timed.group(2))
        elif assigned:
            out.append(f"{assigned.group(1)}{assigned.group(2)} = None")
        elif magic:
            out.append(magic.group(1) + "pass")
        else:
            out.append(line)
    return "\n".join(out), None


def _names(src: str):
    """``(defined, used, calls_on)`` of a cell: the module-level names it binds, the module-level
    names it reads (inside its functions too, since an answer reads its globals when it is called;
    a function's own parameters and locals are not counted), and the root names of its top-level
    bare calls such as ``torch.manual_seed(0)``. ``None`` when the cell cannot be parsed or binds
    names it does not spell (``from m import *``, ``exec``, ``globals()``)."""
    import ast
    import symtable
    try:
        tree = ast.parse(src)
        table = symtable.symtable(src, "<cell>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    defined, used, calls_on = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            return None

    def visit(t, top):
        for sym in t.get_symbols():
            name = sym.get_name()
            if top:
                if sym.is_assigned() or sym.is_imported() or sym.is_namespace():
                    defined.add(name)
                if sym.is_referenced():
                    used.add(name)
            elif sym.is_global():
                if sym.is_referenced():
                    used.add(name)
                if sym.is_declared_global() and sym.is_assigned():
                    defined.add(name)
        for child in t.get_children():
            visit(child, False)
    visit(table, True)
    if {"globals", "exec", "eval", "vars", "__import__"} & used:
        return None

    def bare_calls(stmts):
        for st in stmts:
            if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call):
                root = st.value.func
                while isinstance(root, (ast.Attribute, ast.Call, ast.Subscript)):
                    root = root.func if isinstance(root, ast.Call) else root.value
                if isinstance(root, ast.Name):
                    calls_on.add(root.id)
            elif not isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for field in ("body", "orelse", "finalbody"):
                    inner = getattr(st, field, None)
                    if isinstance(inner, list):
                        bare_calls(s for s in inner if isinstance(s, ast.stmt))
                for h in getattr(st, "handlers", []) or []:
                    bare_calls(h.body)
    bare_calls(tree.body)
    return defined, used, calls_on


def needed_cells(sources: list, starters: list) -> list:
    """Which of a notebook's code cells an exercise's answers can depend on.

    ``sources[k]`` is the plain Python of code cell ``k`` (``None`` for a cell that is not run);
    ``starters`` are the indices of the exercises' starter cells. A cell is needed when it is a
    starter, when it binds a name a needed cell reads (wherever it stands: answers are evaluated
    after every cell has run), when it is a bare call on a name a needed cell binds (``torch.manual_seed(0)``,
    ``torch.set_default_dtype(...)``), or when its names cannot be read from its text (a star
    import, ``exec``, a cell that does not parse); the result is the needed indices in order.
    """
    info = {k: _names(src) for k, src in enumerate(sources) if src is not None}
    binders, callers = {}, {}                 # name -> the cells that bind it / make a bare call on it
    for k, names in info.items():
        if names is not None:
            for name in names[0]:
                binders.setdefault(name, []).append(k)
            for name in names[2]:
                callers.setdefault(name, []).append(k)
    needed, wanted, held = set(), set(), set()   # names the needed cells read from others; names they bind
    todo = [k for k in starters if k in info] + [k for k, names in info.items() if names is None]
    while todo:                               # each cell and each name is taken up once: linear in the notebook
        k = todo.pop()
        if k in needed:
            continue
        needed.add(k)
        if info[k] is None:
            continue
        defined, used, _ = info[k]
        for name in used - defined - wanted:  # a name the cell binds itself is not asked of others
            wanted.add(name)
            todo += binders.get(name, [])
            if name in held:
                todo += callers.get(name, [])
        for name in defined - held:
            held.add(name)
            if name in wanted:
                todo += callers.get(name, [])
    return sorted(needed)
