"""The bilingual glossary: every key term the chapters print in bold, with its Chinese form.

A chapter introduces a key term as ``**English term (中文)**`` (an abbreviation may
sit beside the Chinese: ``**stochastic gradient descent (随机梯度下降, SGD)**``).
``book/glossary.csv`` holds one row per term: the English headword, the Chinese
form, other English forms the chapters use in bold (plurals, spellings), which
sources use which Chinese forms, and a note. The glossary table of the notation
appendix is rendered from that file.

Usage::

    python scripts/glossary.py            # report bold terms missing from the glossary or inconsistent with it
    python scripts/glossary.py --write    # rewrite the glossary table in book/appendix_notation.ipynb
    python scripts/glossary.py --add-missing --sources DIR
                                          # append missing terms to glossary.csv, with the source
                                          # documents in DIR that use each Chinese form

``tests/chapters/test_glossary.py`` checks that every bold term is in the glossary with the same
Chinese form, and that the appendix shows exactly the rendered table.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
CSV = BOOK / "glossary.csv"
APPENDIX = BOOK / "appendix_notation.ipynb"
FIELDS = ["english", "chinese", "aliases", "sources", "note"]
CELL_ID = "glossary-table"
HEADER = "| English | 中文 | sources that use it | note |\n|---|---|---|---|"

_BOLD = re.compile(r"\*\*([^*\n]+?)\*\*")
_CJK = re.compile(r"[\u3400-\u9fff]")
_TERM = re.compile(r"^(?P<english>.+?)\s*\((?P<inner>[^()]*[\u3400-\u9fff][^()]*)\)\.?$")


@dataclass(frozen=True)
class BoldTerm:
    english: str
    chinese: str
    notebook: str


@dataclass
class Entry:
    english: str
    chinese: str
    aliases: tuple[str, ...]
    sources: str
    note: str

    def names(self) -> set[str]:
        """The English forms that refer to this entry, compared without case."""
        forms = [self.english, *self.aliases]
        for form in list(forms):
            forms += [part.strip() for part in form.split(",")]         # "neuron, node"
            forms.append(re.sub(r"\s*\([^()]*\)$", "", form))          # "batch normalisation (BatchNorm)"
        return {f.casefold() for f in forms if f}


def parse_bold(text: str) -> tuple[str, str] | None:
    """``("stochastic gradient descent", "随机梯度下降")`` from the inside of a bold span, or None."""
    if not _CJK.search(text):
        return None
    m = _TERM.match(text.strip())
    if m is None:
        return None
    parts = [p.strip() for p in m["inner"].split(",")]
    chinese = [p for p in parts if _CJK.search(p)]
    if len(chinese) != 1:
        return None
    return m["english"].strip(), chinese[0]


def notebooks() -> list[Path]:
    return sorted(p for p in BOOK.glob("*.ipynb") if p != APPENDIX)


def bold_terms(paths: list[Path] | None = None) -> list[BoldTerm]:
    """Every ``**English (中文)**`` in the Markdown cells of the chapters and the errata appendix."""
    found = []
    for path in paths or notebooks():
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            source = "".join(cell["source"])
            for m in _BOLD.finditer(source):
                term = parse_bold(m[1])
                if term is not None:
                    found.append(BoldTerm(term[0], term[1], path.name))
    return found


def load(path: Path = CSV) -> list[Entry]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    entries = []
    for i, row in enumerate(rows, start=2):
        if set(row) != set(FIELDS):
            raise ValueError(f"{path}, line {i}: columns {sorted(row)}, expected {FIELDS}")
        aliases = tuple(a.strip() for a in row["aliases"].split(";") if a.strip())
        entries.append(Entry(row["english"].strip(), row["chinese"].strip(), aliases,
                             row["sources"].strip(), row["note"].strip()))
    return entries


def save(entries: list[Entry], path: Path = CSV) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, FIELDS, lineterminator="\n")
        w.writeheader()
        for e in sorted(entries, key=lambda e: e.english.casefold()):
            w.writerow({"english": e.english, "chinese": e.chinese, "aliases": "; ".join(e.aliases),
                        "sources": e.sources, "note": e.note})


def lookup(entries: list[Entry]) -> dict[str, Entry]:
    """English form (casefolded) -> entry; refuses a form claimed by two entries."""
    table: dict[str, Entry] = {}
    for e in entries:
        for name in e.names():
            if name in table and table[name] is not e:
                raise ValueError(f"glossary: {name!r} names both {table[name].english!r} and {e.english!r}")
            table[name] = e
    return table


def problems(entries: list[Entry], terms: list[BoldTerm]) -> list[str]:
    """Bold terms missing from the glossary, or given another Chinese form than the glossary's."""
    table = lookup(entries)
    out = []
    for t in terms:
        e = table.get(t.english.casefold())
        if e is None:
            out.append(f"{t.notebook}: **{t.english} ({t.chinese})** is not in the glossary")
        elif e.chinese != t.chinese:
            out.append(f"{t.notebook}: **{t.english} ({t.chinese})**, but the glossary gives {e.english} = {e.chinese}")
    return sorted(set(out))


def render(entries: list[Entry]) -> str:
    """The glossary as a Markdown table, in the alphabetical order of the English headword."""
    rows = [HEADER]
    for e in sorted(entries, key=lambda e: e.english.casefold()):
        rows.append(f"| {e.english} | {e.chinese} | {e.sources} | {e.note} |".replace("|  |", "| |"))
    return "\n".join(rows)


def source_usage(chinese: str, sources: Path) -> str:
    """``"中文: 000, 003"`` (the sources whose text contains the term), or ``"中文: —"``."""
    using = sorted(p.name[:3] for p in sources.glob("*.txt") if chinese in p.read_text(encoding="utf-8"))
    return f"{chinese}: {', '.join(using) if using else '—'}"


def table_cell(nb: dict) -> dict:
    hits = [c for c in nb["cells"] if c.get("id") == CELL_ID]
    if len(hits) != 1:
        raise ValueError(f"{APPENDIX.name} must have exactly one cell with id {CELL_ID!r}, found {len(hits)}")
    return hits[0]


def write_appendix(entries: list[Entry]) -> bool:
    import nbformat  # the book's environment has it; reading the table needs only json
    nb = nbformat.read(APPENDIX, as_version=4)
    cell = table_cell(nb)
    new = render(entries)
    if cell["source"] == new:
        return False
    cell["source"] = new
    nbformat.write(nb, APPENDIX)
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the glossary table of the appendix")
    parser.add_argument("--add-missing", action="store_true", help="append missing bold terms to glossary.csv")
    parser.add_argument("--sources", type=Path, help="folder of the source documents (for --add-missing)")
    args = parser.parse_args(argv)
    entries = load()
    terms = bold_terms()
    if args.add_missing:
        if args.sources is None:
            parser.error("--add-missing needs --sources DIR")
        table = lookup(entries)
        for t in terms:
            if t.english.casefold() not in table:
                e = Entry(t.english[0].lower() + t.english[1:] if t.english[1:2].islower() else t.english,
                          t.chinese, (), source_usage(t.chinese, args.sources), "")
                entries.append(e)
                table = lookup(entries)
                print(f"added {e.english} = {e.chinese}")
        save(entries)
    if args.write:
        print("glossary table rewritten" if write_appendix(entries) else "glossary table unchanged")
    found = problems(entries, terms)
    for p in found:
        print(p)
    print(f"{len(terms)} bold terms in {len({t.notebook for t in terms})} notebooks, "
          f"{len(entries)} glossary entries, {len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
