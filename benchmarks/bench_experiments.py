"""Table 3: how long every experiment of the book takes to update after a control moves.

For each experiment in nnbook.experiments.REGISTRY, the live view that the
notebooks show (``nnbook.widgets.live``, headless: no kernel is needed to
build the widgets or to move their controls) takes 20 control changes
(``Experiment.walk``), each set the way a reader's slider sets it. Each
update is timed the way ``live`` times it: ``compute`` alone, and drawing
plus rendering the PNG the widget shows. The first drawing, made when the
view is built, is not one of the 20.

Table 3b: the kernel-free frames each page of the HTML book loads. For every
experiment placeholder stored in the notebooks of book/, the book's Sphinx
extension (book/_ext/nnbook_sphinx.py) draws its frames with its own
``render_frames`` into a temporary folder, as a build does; the table sums
their bytes per page (as drawn by the current code) and, when a built book
is present (``--html``, by default _build/html), what that build's pages
carry. No book build is needed.

Table 3c: the experiments that work ahead of the reader (``Experiment.ahead``:
the digit lab trains the settings one move away in the background) measured
again with a reader's pause between two moves (``--pace``, 1 s), during
which that work is done.

Usage: python benchmarks/bench_experiments.py [NAME ...] [--repeat N] [--pace S] [--no-frames] [--html DIR]
"""
from __future__ import annotations

import argparse
import html
import importlib.util
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from nnbook.experiments import REGISTRY, backprop, deep, digits  # noqa: E402
from nnbook.experiments.ahead import AHEAD  # noqa: E402
from nnbook.widgets import live  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHANGES = 20
#: How to forget the training runs an experiment keeps between updates (data sets stay cached).
RUN_CACHES = {"digits_lab": digits._lab_run.cache_clear, "xor_training": backprop._RUNS.clear,
              "deep": deep._computed.clear}


def measure(experiment, repeat: int = 1, pace: float = 0.0) -> dict:
    """Median and 95th percentile (ms) of compute, draw and both over ``repeat`` x CHANGES control moves.

    Each repetition builds a new live view and takes the same path; caches
    kept by an experiment (the digit lab's trained runs) are cleared first,
    and work done ahead of the reader is stopped, so every repetition pays
    what a reader's first visit pays. ``pace`` is a reader's time between
    two moves, in seconds: 0 moves the next control as soon as the figure is
    there (nothing is done ahead then); with a pause, an experiment that
    works ahead (``Experiment.ahead``) does so while the reader looks.
    """
    timings, fresh = [], 0
    for _ in range(repeat):
        AHEAD.cancel()
        AHEAD.wait_idle()
        if experiment.name in RUN_CACHES:
            RUN_CACHES[experiment.name]()
        view = live(experiment)
        for params in experiment.walk(CHANGES):
            for name, value in params.items():
                if view.controls[name].value != value:  # exactly one control moves per step
                    view.controls[name].value = value
            time.sleep(pace)
        if len(view.timings) != CHANGES + 1:
            raise RuntimeError(f"{experiment.name}: {len(view.timings) - 1} updates for {CHANGES} changes")
        timings += view.timings[1:]
        fresh += view.view.fresh_draws - 1
    AHEAD.cancel()
    AHEAD.wait_idle()
    columns = {"compute": [t["compute"] for t in timings], "draw": [t["draw"] for t in timings]}
    columns["total"] = [c + d for c, d in zip(columns["compute"], columns["draw"])]
    out = {}
    for key, xs in columns.items():
        out[key] = (1e3 * statistics.median(xs), 1e3 * float(np.percentile(xs, 95)))
    out["fresh"] = fresh
    return out


def _table(experiments, repeat: int, pace: float) -> None:
    print(f"{'experiment':<22}{'compute med':>12}{'p95':>8}{'draw med':>10}{'p95':>8}"
          f"{'total med':>11}{'p95':>8}{'redrawn':>9}")
    for name, exp in experiments.items():
        m = measure(exp, repeat, pace)
        print(f"{name:<22}{m['compute'][0]:>12.1f}{m['compute'][1]:>8.1f}{m['draw'][0]:>10.1f}{m['draw'][1]:>8.1f}"
              f"{m['total'][0]:>11.1f}{m['total'][1]:>8.1f}{m['fresh']:>9d}", flush=True)


def main(names=(), repeat: int = 1, pace: float = 1.0) -> None:
    chosen = {name: exp for name, exp in REGISTRY.items() if not names or name in names}
    print(f"Table 3: update latency of the live view over {repeat} x {CHANGES} control changes, each made as soon"
          " as the last figure is there, milliseconds")
    _table(chosen, repeat, 0.0)
    print("(redrawn: how many of the changes needed a fresh figure rather than an update in place;"
          " targets: total median <= 100 ms, p95 <= 250 ms)")
    ahead = {name: exp for name, exp in chosen.items() if exp.ahead is not None}
    if ahead and pace > 0:
        print(f"\nTable 3c: the experiments that work ahead of the reader, at a reader's pace ({pace:g} s between"
              " two moves), milliseconds")
        _table(ahead, repeat, pace)


def _sphinx_extension():
    """The book's Sphinx extension, loaded from its file (it is not a package)."""
    spec = importlib.util.spec_from_file_location("nnbook_sphinx", ROOT / "book" / "_ext" / "nnbook_sphinx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def page_experiments(pattern) -> dict:
    """Page name -> the (experiment, params) placeholders stored in its notebook, in order."""
    pages = {}
    for notebook in sorted((ROOT / "book").glob("*.ipynb")):
        found = []
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                text = output.get("data", {}).get("text/html", "")
                text = "".join(text) if isinstance(text, list) else text
                for m in pattern.finditer(text):
                    found.append((m.group(1), json.loads(html.unescape(m.group(2)))))
        if found:
            pages[notebook.stem] = found
    return pages


def built_frame_bytes(html_dir: Path) -> dict:
    """Page name -> bytes of the frames its built page refers to (from the pages' data-spec)."""
    sizes = {}
    for page in sorted((html_dir / "book").glob("*.html")):
        total, text = 0, page.read_text(encoding="utf-8")
        for raw in re.findall(r'class="nnbook-static"[^>]*data-spec="([^"]*)"', text):
            spec = json.loads(html.unescape(raw))
            folder = html_dir / "_static" / "experiments" / spec["base"].rstrip("/").rsplit("/", 1)[-1]
            total += sum((folder / f).stat().st_size for f in spec["frames"] if (folder / f).exists())
        if total:
            sizes[page.stem] = total
    return sizes


def frames_table(names=(), html_dir: Path | None = None) -> None:
    """Table 3b: bytes of kernel-free frames per page, drawn now by the extension's render_frames."""
    ext = _sphinx_extension()
    pages = page_experiments(ext.PLACEHOLDER)
    built = built_frame_bytes(html_dir) if html_dir is not None and (html_dir / "book").is_dir() else {}
    print(f"Table 3b: kernel-free frames per page of the HTML book ({ext.FRAME_DPI} dpi), bytes")
    head = f"{'page':<22}{'experiments':<52}{'frames':>7}{'drawn now':>12}"
    print(head + (f"{'last built':>12}" if built else ""))
    cache, grand, grand_built = {}, 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for page, used in pages.items():
            if names and not any(name in names for name, _ in used):
                continue
            total, count = 0, 0
            for name, params in used:
                key = (name, json.dumps(params, sort_keys=True))
                if key not in cache:
                    out = Path(tmp) / str(len(cache))
                    spec = ext.render_frames(name, params, out)
                    folder = out / "_static" / "experiments" / name
                    cache[key] = (len(spec["frames"]), sum((folder / f).stat().st_size for f in spec["frames"]))
                count += cache[key][0]
                total += cache[key][1]
            grand += total
            grand_built += built.get(page, 0)
            line = f"{page:<22}{', '.join(n for n, _ in used):<52}{count:>7}{total:>12,}"
            print(line + (f"{built.get(page, 0):>12,}" if built else ""), flush=True)
    print(f"{'all pages':<74}{grand:>12,}" + (f"{grand_built:>12,}" if built else ""))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="experiments to measure (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="times to take the path (default 3)")
    parser.add_argument("--pace", type=float, default=1.0,
                        help="a reader's seconds between two moves for table 3c (default 1; 0 skips the table)")
    parser.add_argument("--no-frames", action="store_true", help="skip table 3b (frames per page)")
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html",
                        help="a built book to compare with (default _build/html, used when present)")
    args = parser.parse_args()
    main(args.names, args.repeat, args.pace)
    if not args.no_frames:
        print()
        frames_table(args.names, args.html)
