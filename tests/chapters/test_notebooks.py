"""The chapter notebooks as stored: structure, exercises, install cell, fresh runtime.

nbval (``make test``) proves each notebook's stored outputs are what its
code produces; these tests check what nbval cannot see.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))          # the chapters
ALL_NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))                     # chapters and appendices
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
sys.path.insert(0, str(ROOT / "scripts"))
from sync_install_cell import install_source, repository_url  # noqa: E402


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for p in toc["parts"] for c in p["chapters"]]


def test_every_notebook_is_in_the_table_of_contents():
    listed = set(toc_files())
    missing = [nb.name for nb in ALL_NOTEBOOKS if f"book/{nb.stem}" not in listed]
    assert not missing, f"notebooks missing from _toc.yml: {missing}"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.stem)
def test_first_cell_installs_nnlib_and_nnbook_from_the_configured_repository(path):
    first = load(path)["cells"][0]
    assert first["metadata"].get("nnbook", {}).get("role") == "install"
    assert "remove-cell" in first["metadata"].get("tags", []), "the install cell must be hidden in the HTML"
    assert "".join(first["source"]) == install_source(repository_url()), \
        "install cell out of date: run python scripts/sync_install_cell.py"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_executed_with_widget_state(path):
    nb = load(path)
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and c["metadata"].get("nnbook", {}).get("role") != "install"]
    unrun = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert not unrun, f"{path.name}: code cells stored unexecuted: {unrun} (run make execute)"
    views = any(WIDGET_VIEW in o.get("data", {}) for c in code for o in c.get("outputs", []))
    if views:
        assert nb["metadata"].get("widgets"), f"{path.name}: widget outputs without saved widget state"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path.name}: stored error outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_has_five_unsolved_checked_exercises(path):
    from nnbook.exercises import all_exercises

    nb = load(path)
    roles = {}
    for c in nb["cells"]:
        meta = c["metadata"].get("nnbook", {})
        if "exercise" in meta:
            roles.setdefault(meta["exercise"], []).append(meta["role"])
    known = {ex.id for ex in all_exercises()}
    assert len(roles) >= 5, f"{path.name} has {len(roles)} exercises, expected at least 5"
    for ex_id, r in roles.items():
        assert ex_id in known, f"{path.name}: exercise {ex_id} is not registered in nnbook.exercises"
        assert {"statement", "starter", "check"} <= set(r), f"{ex_id}: cells {r}"
        assert "solution" not in r and "hidden" not in r, f"{ex_id}: solution cells in the reader's notebook"
    for c in nb["cells"]:
        if c["metadata"].get("nnbook", {}).get("role") == "check":
            text = json.dumps(c.get("outputs", []))
            assert "not attempted" in text, f"{path.name}: a check cell is stored solved or failing: {text[:200]}"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.stem)
def test_fresh_runtime_installs_nnlib_and_nnbook_from_the_checkout_and_runs_the_notebook(path, tmp_path):
    """A Colab-like runtime: the book's dependencies are there, nnlib and nnbook are not.

    A new virtual environment sees the packages of this one through a .pth
    line (so that nothing is downloaded) but not nnlib or nnbook, whose
    editable finders are only activated in this environment's own site
    directory. The first cell must install both (from the checkout, via
    NNBOOK_SOURCE, as two distributions) and every cell must then run.
    """
    env_dir = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "book_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # A PYTHONPATH naming the checkout (as when testing a clone) would show it to the runtime.
    runtime_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = subprocess.run([str(py), "-c", "import importlib.util as u; print(u.find_spec('nnlib'), u.find_spec('nnbook'))"],
                           capture_output=True, text=True, cwd=tmp_path, env=runtime_env)
    assert probe.stdout.strip() == "None None", "nnlib or nnbook is visible in the fresh runtime; the test would prove nothing"

    env = dict(runtime_env, NNBOOK_SOURCE=str(ROOT), PIP_NO_BUILD_ISOLATION="1", PIP_NO_DEPS="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1", MPLBACKEND="Agg")
    script = f"""
import nbformat
from nbclient import NotebookClient
from jupyter_client.kernelspec import KernelSpecManager
nb = nbformat.read({str(path)!r}, as_version=4)
client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={{"metadata": {{"path": {str(tmp_path)!r}}}}})
client.execute()
import importlib.util, sys
from importlib.metadata import distribution
print("installed:", importlib.util.find_spec("nnlib") is not None, importlib.util.find_spec("nnbook") is not None)
print("distributions:", distribution("nnlib").version, distribution("nnbook").version)
"""
    # The kernel must be the fresh interpreter: point a kernelspec at it.
    kdir = tmp_path / "kernels" / "python3"
    kdir.mkdir(parents=True)
    (kdir / "kernel.json").write_text(json.dumps({
        "argv": [str(py), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh", "language": "python"}))
    env["JUPYTER_PATH"] = str(tmp_path)
    done = subprocess.run([str(py), "-c", script], env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "installed: True True" in done.stdout
    assert "distributions: 0.1.0 0.1.0" in done.stdout
