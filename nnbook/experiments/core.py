"""The two small types every experiment is made of."""
from __future__ import annotations

import contextlib
import io
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np


@dataclass(frozen=True)
class Control:
    """One control of an experiment: a slider over numbers or a choice.

    Parameters
    ----------
    name : str
        Keyword argument of the experiment's ``compute`` it sets.
    label : str
        What the reader sees next to the control.
    default : float, int or str
    low, high, step : float, optional
        Range and step of a numeric slider.
    options : sequence of str, optional
        The choices of a drop-down (then low/high/step are unused).
    """

    name: str
    label: str
    default: Any
    low: float | None = None
    high: float | None = None
    step: float | None = None
    options: Sequence[str] | None = None

    def __post_init__(self):
        if self.options is None:
            if None in (self.low, self.high, self.step):
                raise ValueError(f"control {self.name!r} needs low, high and step (or options)")
            if not self.low <= self.default <= self.high:
                raise ValueError(f"control {self.name!r}: default {self.default} outside [{self.low}, {self.high}]")
        elif self.default not in self.options:
            raise ValueError(f"control {self.name!r}: default {self.default!r} is not one of {list(self.options)}")

    def values(self, n: int | None = None) -> list:
        """The values the control can take (``n`` evenly spaced ones for a slider)."""
        if self.options is not None:
            return list(self.options)
        full = int(round((self.high - self.low) / self.step)) + 1
        count = full if n is None else min(full, n)
        values = np.linspace(self.low, self.high, count)
        if count < full:  # a slider only stops on low + k * step: snap the inner values to that grid
            inner = self.low + self.step * np.round((values[1:-1] - self.low) / self.step)
            values = np.unique(np.concatenate([[self.low], inner, [self.high]]))
        if self.is_integer:
            return [int(round(v)) for v in values]
        return [float(v) for v in values]

    @property
    def is_integer(self) -> bool:
        """A slider over whole numbers (low, high, step and default all ints)."""
        return self.options is None and all(
            isinstance(v, int) and not isinstance(v, bool) for v in (self.low, self.high, self.step, self.default))


@dataclass(frozen=True)
class Experiment:
    """An experiment: controls, a pure ``compute`` and a matplotlib ``draw``.

    ``compute(**params)`` returns a dict of arrays and numbers and must not
    draw or print; ``draw(result, fig)`` draws that dict on a matplotlib
    figure. ``static`` names the one or two controls that the HTML version of
    the book lets the reader move without a kernel.

    ``draw`` may return an *updater*: a function ``update(result)`` that
    moves the artists it drew to a new result (new line data, new image,
    new titles) instead of drawing them again, and returns ``False`` when the
    new result needs a figure of another shape (or :data:`RELAYOUT` when it
    changed what reaches out of the figure, so that the crop is measured again). A live view (see
    :class:`FigureView`) calls the updater when a control moves, which is
    several times faster than clearing the figure and drawing it afresh; the
    tests check that both give the same pixels.

    ``ahead``, for an experiment whose ``compute`` is slow, takes the same
    parameters and returns jobs for :data:`~nnbook.experiments.ahead.AHEAD`:
    the work that the settings one move away will need, done in the
    background while the reader looks at the figure (a live view hands them
    over once the reader has moved a control).
    """

    name: str
    title: str
    controls: Sequence[Control]
    compute: Callable[..., dict]
    draw: Callable[[dict, Any], None]
    static: Sequence[str] = field(default_factory=tuple)
    figsize: tuple = (9.0, 4.0)
    ahead: Callable[..., Sequence] | None = None

    def defaults(self) -> dict:
        return {c.name: c.default for c in self.controls}

    def run(self, **params) -> dict:
        """``compute`` with defaults filled in; unknown parameters are refused."""
        known = self.defaults()
        unknown = set(params) - set(known)
        if unknown:
            raise TypeError(f"experiment {self.name!r} has no control(s) {sorted(unknown)}; controls are {sorted(known)}")
        known.update(params)
        return self.compute(**known)

    def walk(self, n: int = 20, per_control: int = 5) -> list[dict]:
        """A reader's path through the controls: ``n`` parameter sets, each one move away from the last.

        Starting from the defaults, step ``i`` moves control ``i mod C`` (of
        the ``C`` that can move) to the next of its values (up to
        ``per_control`` of them, see :meth:`Control.values`), wrapping
        around. Used by the tests and the benchmarks.
        """
        values = {c.name: c.values(per_control) for c in self.controls}
        movable = [c.name for c in self.controls if len(values[c.name]) > 1]
        params, path = self.defaults(), []
        for i in range(n if movable else 0):
            name = movable[i % len(movable)]
            vals = values[name]
            here = vals.index(params[name]) if params[name] in vals else -1
            params = dict(params, **{name: vals[(here + 1) % len(vals)]})
            path.append(params)
        return path

    def figure(self, **params):
        """Compute and draw; returns the matplotlib figure."""
        import matplotlib.pyplot as plt

        result = self.run(**params)
        fig = plt.figure(figsize=self.figsize)
        self.draw(result, fig)
        return fig


#: Resolution of live figures (matplotlib's default, what Jupyter's inline backend uses).
LIVE_DPI = 100
#: Margin kept around a live figure's contents, in inches.
LIVE_PAD = 0.1
#: zlib level of the live PNGs: 3 encodes about twice as fast as zlib's default 6, for files
#: about 10 % larger (which only travel from the kernel to the browser on the same machine).
LIVE_PNG_COMPRESSION = 3


#: What an updater returns when it changed something that may reach out of the figure
#: (a legend below the axes that gained or lost an entry): :class:`FigureView` measures its crop again.
RELAYOUT = "relayout"
_CANVAS = "canvas"  # the crop is the canvas itself


def encode_png(rgba, compress_level: int = LIVE_PNG_COMPRESSION) -> bytes:
    """PNG bytes of an (H, W, 4) uint8 image, such as an Agg canvas's buffer.

    An image that is opaque everywhere (a figure on its white face) is
    stored as RGB, a quarter smaller; the pixels the reader sees are the
    same. The file is written with :mod:`zlib` directly, every row with
    PNG's filter type 0 ("none"): on figures, which are mostly flat colour,
    that compresses as well as the adaptive row filters Pillow always tries
    (the files are a few per cent smaller), in about a third of the time.
    """
    rgba = np.asarray(rgba)
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4 or 0 in rgba.shape:
        raise ValueError(f"encode_png takes a non-empty (H, W, 4) uint8 image, got {rgba.dtype} of shape {rgba.shape}")
    height, width = rgba.shape[:2]
    pixels, colour_type = (rgba[..., :3], 2) if (rgba[..., 3] == 255).all() else (rgba, 6)  # 2: RGB, 6: RGBA
    rows = np.zeros((height, 1 + pixels.shape[1] * pixels.shape[2]), dtype=np.uint8)  # a 0 (filter) byte per row
    rows[:, 1:] = pixels.reshape(height, -1)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)  # 8 bits, deflate, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), compress_level)) + chunk(b"IEND", b""))


class FigureView:
    """One matplotlib figure that shows an experiment's results one after another.

    The first result is drawn with the experiment's ``draw``; later ones go
    through the updater ``draw`` returned (if any), so the axes, ticks and
    colour bars built the first time are kept and only the data move. When
    there is no updater, or it returns ``False``, the figure is cleared and
    drawn afresh. :meth:`png` renders the figure once per call: the area it
    crops to is measured after each fresh drawing (the contents' bounding
    box joined with the figure's own box, so nothing that sticks out, such as
    a legend below the axes, is cut off) and reused by the updates. Its
    canvas is Agg with text layouts and glyph bitmaps remembered between
    renderings (:mod:`~nnbook.experiments.textcache`: the same pixels).

    The figure does not belong to pyplot, so views never pile up in
    ``plt.get_fignums()`` and need no closing.

    Parameters
    ----------
    experiment : Experiment
    dpi : float
    compress_level : int, 0-9
        zlib level of the PNG (the book's frames, stored on disk, use 6).
    language : str, optional
        "en" or "zh_CN": the language of the figure's texts (default: the reader's,
        :func:`nnbook.get_language`; see :mod:`nnbook.figure_text`).
    """

    def __init__(self, experiment: Experiment, dpi: float = LIVE_DPI, compress_level: int = LIVE_PNG_COMPRESSION,
                 language: str | None = None):
        from matplotlib.figure import Figure

        from ..i18n import get_language
        from .textcache import canvas_class

        self.experiment = experiment
        self.compress_level = compress_level
        self.language = language or get_language()
        self.figure = Figure(figsize=experiment.figsize, dpi=dpi)
        canvas_class()(self.figure)  # Agg, remembering its text layouts and glyphs between renderings
        self._update = None
        self._crop = None  # not measured yet; _CANVAS, or the Bbox (inches) that savefig crops to
        #: How many results were drawn afresh and how many went through the updater.
        self.fresh_draws = 0
        self.updates = 0

    def show(self, result: dict) -> None:
        """Put ``result`` on the figure (through the updater when it can)."""
        self.result = result
        if self._update is not None:
            outcome = self._update(result)
            if outcome is not False:
                if outcome is RELAYOUT:
                    self._crop = None
                self.updates += 1
                self._translate()
                return
        self.figure.clear()
        update = self.experiment.draw(result, self.figure)
        self._update = update if callable(update) else None  # e.g. a lambda returning plot()'s lines
        self._crop = None
        self.fresh_draws += 1
        self._translate()

    def _translate(self) -> None:
        """The figure's texts in the view's language (nothing to do in English)."""
        if self.language != "en":
            from ..figure_text import translate_figure

            translate_figure(self.figure, self.language)

    def _measure_crop(self):
        """The area to save: the canvas, or a larger box (inches) when something sticks out of the figure.

        Measured on a layout pass (every artist placed, nothing rasterised),
        as ``savefig(bbox_inches="tight")`` measures.
        """
        from matplotlib.transforms import Bbox

        renderer = self.figure.canvas.get_renderer()
        with getattr(renderer, "_draw_disabled", contextlib.nullcontext)():
            self.figure.draw(renderer)
        figure_box = self.figure.bbox_inches
        box = Bbox.union([figure_box, self.figure.get_tightbbox(renderer).padded(LIVE_PAD)])
        return _CANVAS if np.allclose(box.bounds, figure_box.bounds, rtol=0, atol=1e-9) else box

    def png(self) -> bytes:
        """The figure as PNG bytes (one rendering)."""
        if self._crop is None:
            self._crop = self._measure_crop()
        if self._crop is _CANVAS:
            self.figure.canvas.draw()
            return encode_png(np.asarray(self.figure.canvas.buffer_rgba()), self.compress_level)
        buf = io.BytesIO()  # savefig renders the enlarged area
        self.figure.savefig(buf, format="png", bbox_inches=self._crop, metadata={"Software": None},
                            pil_kwargs={"compress_level": self.compress_level})
        return buf.getvalue()

    def rgba(self):
        """The whole figure rendered, uncropped, as an (H, W, 4) uint8 array (for the tests)."""
        self.figure.canvas.draw()
        return np.array(self.figure.canvas.buffer_rgba())

    def pixels_unlike_fresh(self) -> int:
        """How many pixels of the figure differ from a fresh drawing of the last result shown.

        0 means the updater left exactly what ``draw`` would draw: the check
        every experiment's updater passes (``tests/nnbook/test_live_views.py``).
        """
        fresh = FigureView(self.experiment, dpi=self.figure.dpi, language=self.language)
        fresh.show(self.result)
        mine, theirs = self.rgba(), fresh.rgba()
        if mine.shape != theirs.shape:
            return max(mine.shape[0] * mine.shape[1], theirs.shape[0] * theirs.shape[1])
        return int(np.any(mine != theirs, axis=-1).sum())
