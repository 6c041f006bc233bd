"""Rewrite the first cell of every chapter notebook from `_config.yml`.

The first cell installs nnlib and nnbook from the repository when nnbook is
missing (as on a fresh Colab runtime) and does nothing where it is installed. Its URL comes
from `repository.url` in `_config.yml`, the book's single setting for where
the repository lives. A translated notebook (book/zh/*.ipynb, whose metadata
names its language in ``nnbook.language``) has one more line, which sets
NNBOOK_LANG to that language before nnbook is imported, so that the exercise
checks answer in it; `scripts/translate_notebooks.py` writes those notebooks
with this module's text. Usage: python scripts/sync_install_cell.py [--check]
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent


def repository_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"].rstrip("/")


def install_source(url: str, language: str | None = None) -> str:
    """The install cell's text; `language` (e.g. "zh_CN") for a translated notebook."""
    return (
        "# Installs the book's two packages when they are missing (as on a fresh Colab runtime): nnlib, the\n"
        "# library, and nnbook, the book's tooling (experiments, exercise checks), which is built on it. Does\n"
        "# nothing where they are installed. NNBOOK_SOURCE may name a local checkout of the repository instead.\n"
        "import importlib.util, os\n"
        + (f"os.environ[\"NNBOOK_LANG\"] = \"{language}\"\n" if language else "")
        + "if importlib.util.find_spec(\"nnbook\") is None:\n"
        "    checkout = os.environ.get(\"NNBOOK_SOURCE\")\n"
        "    nnlib_req = f\"nnlib @ file://{checkout}\" if checkout else \"nnlib @ git+" + url + "\"\n"
        "    nnbook_req = f\"nnbook @ file://{checkout}/nnbook\" if checkout else \"nnbook @ git+" + url + "#subdirectory=nnbook\"\n"
        "    %pip install --quiet \"{nnlib_req}\" \"{nnbook_req}\""
    )


def main(argv: list[str]) -> int:
    check_only = "--check" in argv
    url = repository_url()
    stale = []
    book = ROOT / "book"
    translated = [p for p in book.glob("*/*.ipynb") if not p.parent.name.startswith((".", "_"))]
    for path in sorted(book.glob("*.ipynb")) + sorted(translated):    # English, then book/zh, ...
        nb = nbformat.read(path, as_version=4)
        expected = install_source(url, nb.metadata.get("nnbook", {}).get("language"))
        first = nb.cells[0] if nb.cells else None
        is_install = first is not None and first.metadata.get("nnbook", {}).get("role") == "install"
        if is_install and first.source == expected:
            continue
        stale.append(path.relative_to(ROOT / "book").as_posix())
        if not check_only:
            cell = nbformat.v4.new_code_cell(expected)
            cell.metadata["tags"] = ["remove-cell"]
            cell.metadata["nnbook"] = {"role": "install"}
            cell.outputs, cell.execution_count = [], None
            if is_install:
                nb.cells[0] = cell
            else:
                nb.cells.insert(0, cell)
            nbformat.write(nb, path)
    if stale:
        print(("stale install cell in: " if check_only else "rewrote install cell in: ") + ", ".join(stale))
    return 1 if (stale and check_only) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
