"""The catalogue of nnbook's reader-facing messages: collect, update, compile, check.

Usage (from the repository root, with nnbook importable)::

    python scripts/nnbook_messages.py update    # add new messages to every nnbook.po, drop obsolete ones
    python scripts/nnbook_messages.py compile   # write nnbook.mo next to each nnbook.po
    python scripts/nnbook_messages.py check     # exit 1 if a catalogue is stale, incomplete or not compiled

The messages are of two sorts:

* text in the code, marked ``_("...")``, ``ngettext("...", "...", n)`` or
  ``N_("...")`` (read from the source with :mod:`ast`; only string literals
  count, ``_(case.name)`` and the like are data), in the modules under ``nnbook/`` that import :mod:`nnbook.i18n`;
* the exercises' own text, read from the registry: each exercise's title,
  statement (stripped), hints and options, and the names of its cases.

The English text is the message id. ``update`` keeps every translation whose
English is unchanged; a changed English text is a new, untranslated message.
Translations are written in the ``.po`` (babel reads and writes it); the
``.mo`` that gettext reads is compiled from it with babel.
"""
from __future__ import annotations

import ast
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "nnbook"
LOCALE_DIR = PACKAGE / "locale"
DOMAIN = "nnbook"
KEYWORDS = {"_": 1, "gettext": 1, "N_": 1, "ngettext": 2}
WIDTH = 76
BUGS = "https://github.com/nnbook/neural-networks-interactive/issues"
HEADER = """\
# nnbook's messages to readers: exercise checks, hints, solutions,
# statements. The English text is each message's id.
# Collect: python scripts/nnbook_messages.py update
# Compile to nnbook.mo (installed with nnbook, read by gettext):
# python scripts/nnbook_messages.py compile
#"""


def _source_messages() -> list:
    """``(msgid, location, comment)`` of every marked literal in nnbook's modules, in file order."""
    found = []
    skip = {"experiments", "grading",  # English only: the experiments' figures and the instructors' grader
            "build"}  # setuptools' copy of the package, left in the checkout when pip builds nnbook from it
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if skip & set(rel.parts) or path.name == "i18n.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "i18n import" not in text:
            continue
        tree = ast.parse(text, filename=str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in KEYWORDS):
                continue
            n = KEYWORDS[node.func.id]
            args = node.args[:n]
            if any(isinstance(a, ast.JoinedStr) for a in args):
                raise SystemExit(f"{path}:{node.lineno}: {node.func.id}() of an f-string cannot be translated; "
                                 "use a literal with {fields} and .format()")
            if len(args) < n or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
                continue  # text known only when it runs (an exercise's own text): collected from the registry
            msgid = args[0].value if n == 1 else (args[0].value, args[1].value)
            # file names without line numbers, so that moving code leaves the catalogue as it is
            found.append((node.lineno, msgid, (f"nnbook/{rel.as_posix()}", None), None))
    found.sort(key=lambda item: (item[2][0], item[0]))
    return [item[1:] for item in found]


def _exercise_messages() -> list:
    """``(msgid, None, comment)`` of the text of every registered exercise, in book order."""
    sys.path.insert(0, str(ROOT))
    from nnbook.exercises import all_exercises

    found = []
    for ex in all_exercises():
        found.append((ex.title, None, f"{ex.id}: title"))
        found.append((ex.statement.strip(), None, f"{ex.id}: statement"))
        found += [(h, None, f"{ex.id}: hint {i}") for i, h in enumerate(ex.hints, 1)]
        found += [(text, None, f"{ex.id}: option ({key})") for key, text in (ex.options or {}).items()]
        if ex.runs_code:
            found += [(c.name, None, f"{ex.id}: a case's name") for c in ex.public_cases()]
    return found


def collect() -> list:
    """Every message, in order, each once: ``(msgid, locations, comments)``."""
    merged: dict = {}
    for msgid, location, comment in _source_messages() + _exercise_messages():
        locations, comments = merged.setdefault(msgid, ([], []))
        if location and location not in locations:
            locations.append(location)
        if comment and comment not in comments:
            comments.append(comment)
    return [(msgid, locs, comments) for msgid, (locs, comments) in merged.items()]


def _brace_fields(text: str) -> bool:
    import string
    try:
        return any(name for _, name, _, _ in string.Formatter().parse(text))
    except ValueError:
        return False


def catalogues() -> list:
    """The paths of the ``nnbook.po`` files, one per language."""
    return sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read(path: Path) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, domain=DOMAIN)


def updated(old: Catalog) -> tuple:
    """A new catalogue holding the current messages, with ``old``'s translations; and the obsolete ids."""
    new = Catalog(locale=old.locale, domain=DOMAIN, project="nnbook", version="0.1.0", header_comment=HEADER,
                  msgid_bugs_address=BUGS, creation_date=old.creation_date, revision_date=old.revision_date,
                  last_translator=old.last_translator, language_team=old.language_team, fuzzy=False)
    for msgid, locations, comments in collect():
        # brace fields are filled in by str.format in the code; the exercises' text is never formatted
        code = bool(locations)
        flags = ("python-brace-format",) if code and _brace_fields(msgid if isinstance(msgid, str) else msgid[0]) else ()
        before = old.get(msgid)
        string = before.string if before is not None and not before.fuzzy else ("", "") if isinstance(msgid, tuple) else ""
        if isinstance(msgid, tuple) and isinstance(string, str):
            string = (string, "")
        message = new.add(msgid, string, locations=locations, auto_comments=comments, flags=flags)
        message.flags = set(flags)  # not babel's guesses: "within 5% of" is no %-format
    current = {m.id for m in new if m.id}
    obsolete = [m.id for m in old if m.id and m.id not in current]
    return new, obsolete


def po_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=WIDTH, omit_header=False, include_previous=False)
    return buf.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def problems(path: Path) -> list:
    """What is wrong with a catalogue: stale, untranslated, fuzzy, broken fields, or its .mo not compiled from it."""
    found = []
    catalog = read(path)
    new, obsolete = updated(catalog)
    if po_bytes(new) != path.read_bytes():
        missing = [m.id for m in new if m.id and m.id not in catalog]
        found.append(f"{path}: not up to date with the code and exercises ({len(missing)} new, "
                     f"{len(obsolete)} obsolete messages); run python scripts/nnbook_messages.py update")
    for m in catalog:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy:
            found.append(f"{path}:{m.lineno}: fuzzy: {str(m.id)[:60]!r}")
        if not all(strings):
            found.append(f"{path}:{m.lineno}: untranslated: {str(m.id)[:60]!r}")
        elif "python-brace-format" in m.flags:
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            want = _fields(ids[0])
            for s in strings:
                if _fields(s) != want:
                    found.append(f"{path}:{m.lineno}: fields {sorted(_fields(s))} instead of {sorted(want)}")
    mo = path.with_suffix(".mo")
    if not mo.exists() or mo.read_bytes() != mo_bytes(catalog):
        found.append(f"{mo}: not compiled from {path.name}; run python scripts/nnbook_messages.py compile")
    return found


def _fields(text: str) -> set:
    import string
    return {(name, conv, spec) for _, name, spec, conv in string.Formatter().parse(text) if name is not None}


def main(argv) -> int:
    if len(argv) != 1 or argv[0] not in ("update", "compile", "check"):
        print(__doc__.split("\n\n")[1])
        return 2
    command = argv[0]
    bad = 0
    for path in catalogues():
        if command == "update":
            new, obsolete = updated(read(path))
            path.write_bytes(po_bytes(new))
            todo = sum(1 for m in new if m.id and not all(m.string if isinstance(m.string, tuple) else (m.string,)))
            print(f"{path.relative_to(ROOT)}: {len(new)} messages, {todo} untranslated, {len(obsolete)} dropped")
        elif command == "compile":
            catalog = read(path)
            path.with_suffix(".mo").write_bytes(mo_bytes(catalog))
            print(f"{path.with_suffix('.mo').relative_to(ROOT)}: {len(catalog)} messages")
        else:
            found = problems(path)
            for line in found:
                print(line)
            bad += len(found)
            print(f"{path.relative_to(ROOT)}: {len(read(path))} messages, {len(found)} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
