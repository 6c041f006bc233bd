"""nnlib stands alone: it needs numpy only and knows nothing of nnbook, the book's tooling."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "nnlib"
TOOLING = ("nnbook", "matplotlib", "ipywidgets", "sklearn", "torch", "tqdm", "IPython", "nbformat")


def _import_in_fresh_interpreter(code):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_nnlib_and_every_module_loads_neither_nnbook_nor_optional_packages():
    modules = sorted(p.stem for p in LIBRARY.glob("*.py") if p.stem != "__init__")
    out = _import_in_fresh_interpreter(
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module('nnlib.' + m)\n"
        "import nnlib\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({TOOLING!r})))\n")
    assert out.strip() == "[]", f"importing nnlib loaded {out.strip()}"


def test_a_small_training_run_works_without_nnbook_or_optional_packages():
    """Block the tooling packages outright: nnlib still builds, trains and evaluates a network."""
    out = _import_in_fresh_interpreter(
        "import sys\n"
        f"for name in {TOOLING!r}: sys.modules[name] = None  # any import of them raises ImportError\n"
        "import numpy as np, nnlib\n"
        "from nnlib import Dense, ReLU, Sequential, CrossEntropyLoss, optim, train, data\n"
        "X, y = data.spirals(30, 3, rng=0)\n"
        "model = Sequential(Dense(2, 16, rng=1), ReLU(), Dense(16, 3, rng=2))\n"
        "hist = train.fit(model, CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), X, y, epochs=20,\n"
        "                 batch_size=30, rng=3)\n"
        "print(hist['loss'][-1] < 0.5 * hist['loss'][0])\n")
    assert out.strip().splitlines()[-1] == "True"


@pytest.mark.parametrize("path", sorted(LIBRARY.rglob("*.py")), ids=lambda p: p.name)
def test_no_library_module_mentions_nnbook(path):
    text = path.read_text(encoding="utf-8")
    assert "nnbook" not in text, f"{path.relative_to(ROOT)} mentions nnbook: the dependency runs one way only"


@pytest.mark.parametrize("path", sorted(LIBRARY.rglob("*.py")), ids=lambda p: p.name)
def test_library_imports_only_numpy_at_module_level(path):
    """Top-level imports: the standard library, numpy and nnlib itself; anything else only inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    stdlib = set(sys.stdlib_module_names)
    for node in tree.body:
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            assert top in stdlib or top in ("numpy", "nnlib"), f"{path.name} imports {name} at module level"


def test_the_library_distribution_declares_numpy_as_its_only_dependency():
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "nnlib"
    assert [d.split(">")[0].split("=")[0].strip() for d in project["dependencies"]] == ["numpy"]
    book = tomllib.loads((ROOT / "nnbook" / "pyproject.toml").read_text())["project"]
    assert book["name"] == "nnbook" and any(d.startswith("nnlib") for d in book["dependencies"])
    assert "nnbook" in book["scripts"] and "nnbook" not in project.get("scripts", {})
