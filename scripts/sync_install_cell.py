"""Rewrite the first cell of every chapter notebook from `_config.yml`.

The first cell installs nnlib from the repository when it is missing (as on a
fresh Colab runtime) and does nothing where nnlib is installed. Its URL comes
from `repository.url` in `_config.yml`, the book's single setting for where
the repository lives. Usage: python scripts/sync_install_cell.py [--check]
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


def install_source(url: str) -> str:
    return (
        "# Installs nnlib, the book's library, when it is missing (as on a fresh Colab runtime);\n"
        "# does nothing where nnlib is installed. NNLIB_SOURCE may name another source (a local checkout).\n"
        "import importlib.util, os\n"
        "if importlib.util.find_spec(\"nnlib\") is None:\n"
        f"    source = os.environ.get(\"NNLIB_SOURCE\", \"nnlib @ git+{url}\")\n"
        "    %pip install --quiet \"{source}\""
    )


def main(argv: list[str]) -> int:
    check_only = "--check" in argv
    expected = install_source(repository_url())
    stale = []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        first = nb.cells[0] if nb.cells else None
        is_install = first is not None and first.metadata.get("nnbook", {}).get("role") == "install"
        if is_install and first.source == expected:
            continue
        stale.append(path.name)
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
