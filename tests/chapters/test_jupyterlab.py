"""A live experiment in JupyterLab, as a reader runs it: the widget shows and follows its controls.

Starts a JupyterLab server on localhost (its own settings, workspaces and
runtime folders, so nothing of the user's is read or written) on a notebook
holding one ``live(...)`` cell, opens it in headless Chromium through
Playwright with every request off localhost blocked, runs the cell, and moves
a slider with the keyboard. It checks that the figure appears at its own
size (not stretched by the widget box), that moving the slider changes the
figure and the slider's readout, and that nothing left localhost. Skipped,
with the reason, when Chromium, Playwright or JupyterLab is missing.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
CELL = "from nnbook.experiments import neuron_experiment\nfrom nnbook.widgets import live\n\nlive(neuron_experiment)"


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return "Chromium is not installed (apt-get install chromium): JupyterLab test skipped"
    for module in ("playwright", "jupyterlab"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed: JupyterLab test skipped"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """URL of a JupyterLab server whose root holds ``live.ipynb``."""
    root = tmp_path_factory.mktemp("lab")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "live.ipynb")
    home = root / ".jupyter-home"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
               OPENBLAS_NUM_THREADS="1", MPLBACKEND="module://matplotlib_inline.backend_inline")
    port = _free_port()
    log = open(root / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
         "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None", "--LabApp.check_for_updates_class="
         "jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"JupyterLab exited: {(root / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.5)
        else:
            pytest.fail(f"JupyterLab did not start in 60 s: {(root / 'lab.log').read_text()[-2000:]}")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_live_experiment_shows_at_its_size_and_follows_a_slider(lab):
    from playwright.sync_api import sync_playwright

    outside = []

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.route("**/*", route)
            page.goto(f"{lab}/lab/tree/live.ipynb")
            page.wait_for_function(
                "() => window.jupyterapp && jupyterapp.shell.currentWidget"
                " && jupyterapp.shell.currentWidget.sessionContext"
                " && jupyterapp.shell.currentWidget.sessionContext.session"
                " && jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                " && jupyterapp.shell.currentWidget.sessionContext.session.kernel.connectionStatus === 'connected'",
                timeout=90000)
            page.evaluate("() => jupyterapp.commands.execute('notebook:run-all-cells')")
            image = page.locator(".jupyter-widgets img").first
            image.wait_for(timeout=90000)
            page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=image.element_handle(), timeout=30000)
            natural, shown = image.evaluate("i => [i.naturalWidth, i.clientWidth]")
            assert shown == natural, f"the figure is {natural} px wide but shown {shown} px wide"
            before = image.get_attribute("src")
            readout = page.locator(".widget-readout").nth(2)  # w1, w2, then the bias b
            value = lambda: float(readout.inner_text().strip().replace("\u2212", "-"))  # noqa: E731 (a minus sign)
            assert value() == -1.5
            handle = page.locator(".widget-slider .noUi-handle").nth(2)
            handle.focus()
            handle.press("ArrowRight")
            handle.press("ArrowRight")
            page.wait_for_function("([i, s]) => i.getAttribute('src') !== s && i.complete && i.naturalWidth > 0",
                                   arg=[image.element_handle(), before], timeout=30000)
            assert value() == -1.0
            Path("_build/screenshots").mkdir(parents=True, exist_ok=True)
            page.screenshot(path="_build/screenshots/jupyterlab-live-neuron.png")
        finally:
            browser.close()
    assert not outside, f"requests left localhost: {outside[:5]}"
