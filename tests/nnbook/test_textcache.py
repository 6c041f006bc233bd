"""The text-caching Agg canvas of the live figures draws exactly matplotlib's pixels.

Every experiment of the book is drawn and updated along a reader's path,
once on plain ``FigureCanvasAgg`` and once on
:class:`~nnbook.experiments.textcache.TextCachingCanvasAgg`, in English and
in Chinese (CJK glyphs come from a fallback font), and the two images must
be equal pixel for pixel; so must texts the experiments do not draw:
rotated by odd angles, mathtext with rules, without antialiasing.
"""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from nnbook import figure_text  # noqa: E402
from nnbook.experiments import REGISTRY, textcache  # noqa: E402
from nnbook.experiments.core import FigureView  # noqa: E402

pytestmark = pytest.mark.skipif(not textcache.enabled(), reason="matplotlib version not verified for the text cache")
STEPS = 4
LANGUAGES = ["en"] + (["zh_CN"] if figure_text.cjk_font() is not None else [])


def _images(experiment, results, canvas, language):
    view = FigureView(experiment, language=language)
    canvas(view.figure)
    images = []
    for result in results:
        view.show(result)
        images.append(view.rgba())
    return images


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_experiment_renders_the_same_pixels_as_plain_agg(name, language):
    experiment = REGISTRY[name]
    results = [experiment.run()] + [experiment.run(**params) for params in experiment.walk(STEPS)]
    plain = _images(experiment, results, FigureCanvasAgg, language)
    cached = _images(experiment, results, textcache.TextCachingCanvasAgg, language)
    for step, (a, b) in enumerate(zip(plain, cached)):
        assert a.shape == b.shape
        assert (a != b).any(axis=-1).sum() == 0, f"{name} ({language}), step {step}: pixels differ from plain Agg"


def _odd_texts(fig):
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    for k, angle in enumerate((0, 17.5, 45, 90, 133, 270)):
        ax.text(0.1 + 0.12 * k, 0.2 + 0.1 * k, f"Angle {angle}: AVWa fi", rotation=angle, fontsize=7 + k)
    ax.text(0.5, 0.8, r"$\frac{\partial L}{\partial w} = \sqrt{x^2 + y_i}$", fontsize=14, rotation=30)
    ax.text(0.2, 0.9, "no antialiasing 0.123", antialiased=False, fontsize=11)
    ax.set_title("title, bold", fontweight="bold")
    ax.set_ylabel("rotated label $\\sigma(z)$")


@pytest.mark.parametrize("dpi", [72, 100, 144])
def test_rotated_mathtext_and_aliased_texts_match_plain_agg(dpi):
    images = []
    for canvas in (FigureCanvasAgg, textcache.TextCachingCanvasAgg, textcache.TextCachingCanvasAgg):
        fig = Figure(figsize=(5, 4), dpi=dpi)
        canvas(fig)
        _odd_texts(fig)
        fig.canvas.draw()
        images.append(np.array(fig.canvas.buffer_rgba()))
    assert (images[0] != images[1]).any(axis=-1).sum() == 0  # the first drawing fills the caches
    assert (images[0] != images[2]).any(axis=-1).sum() == 0  # the second takes everything from them


def test_a_text_moved_by_a_fraction_of_a_pixel_is_rasterised_again():
    """Glyph bitmaps are kept per position within the pixel, so a move of 1/3 pixel is not a cache hit."""
    textcache.clear_caches()
    images = []
    for canvas in (FigureCanvasAgg, textcache.TextCachingCanvasAgg):
        row = []
        for shift in (0.0, 1 / 3, 1.0):
            fig = Figure(figsize=(2, 1), dpi=100)
            canvas(fig)
            fig.text((20 + shift) / 200, 0.5, "Moved 7")
            fig.canvas.draw()
            row.append(np.array(fig.canvas.buffer_rgba()))
        images.append(row)
    for plain, cached in zip(*images):
        assert (plain != cached).any(axis=-1).sum() == 0
    assert (images[0][0] != images[0][1]).any()  # the sub-pixel move does change the picture
    sizes = textcache.cache_sizes()
    assert sizes["layouts"] == 1 and sizes["glyphs"] > len("Moved 7") and sizes["fonts"] == 1


def test_the_caches_are_bounded(monkeypatch):
    monkeypatch.setattr(textcache, "MAX_GLYPHS", 10)
    monkeypatch.setattr(textcache, "MAX_LAYOUTS", 3)
    textcache.clear_caches()
    fig = Figure(figsize=(3, 2), dpi=100)
    textcache.TextCachingCanvasAgg(fig)
    for k in range(6):
        fig.text(0.1, 0.1 + 0.1 * k, f"line {k} with many glyphs")
    fig.canvas.draw()
    assert textcache.cache_sizes() == {"layouts": 3, "glyphs": 10, "fonts": 1}


def test_other_matplotlib_versions_get_plain_agg(monkeypatch):
    assert textcache.canvas_class() is textcache.TextCachingCanvasAgg
    assert isinstance(FigureView(REGISTRY["neuron"]).figure.canvas, textcache.TextCachingCanvasAgg)
    monkeypatch.setattr(textcache, "VERIFIED", ())
    assert not textcache.enabled() and textcache.canvas_class() is FigureCanvasAgg
    assert type(FigureView(REGISTRY["neuron"]).figure.canvas) is FigureCanvasAgg


def test_changing_the_font_settings_between_drawings_is_followed():
    """The remembered font lookup is keyed by the settings it reads: a new default family takes effect."""
    import matplotlib as mpl

    textcache.clear_caches()
    drawn = {}
    for family in ("sans-serif", "serif", "monospace", "sans-serif"):
        with mpl.rc_context({"font.family": family}):
            for canvas in (FigureCanvasAgg, textcache.TextCachingCanvasAgg):
                fig = Figure(figsize=(2, 1), dpi=100)
                canvas(fig)
                fig.text(0.1, 0.4, "Family 123")
                fig.canvas.draw()
                drawn[family, canvas] = np.array(fig.canvas.buffer_rgba())
        assert np.array_equal(drawn[family, FigureCanvasAgg], drawn[family, textcache.TextCachingCanvasAgg]), family
    assert not np.array_equal(drawn["serif", FigureCanvasAgg], drawn["sans-serif", FigureCanvasAgg])


def test_a_text_changed_in_place_is_laid_out_again():
    """Size, rotation, alignment and spacing are part of a remembered layout's key."""
    changes = [dict(fontsize=14), dict(rotation=30), dict(ha="right"), dict(va="top"), dict(linespacing=2.0),
               dict(text="two\nlines"), dict(fontfamily="serif"), dict(fontweight="bold")]
    images = {}
    for canvas in (FigureCanvasAgg, textcache.TextCachingCanvasAgg):
        fig = Figure(figsize=(3, 2), dpi=100)
        canvas(fig)
        ax = fig.add_subplot()
        label = ax.text(0.5, 0.5, "Label 42", ha="center")
        frames = []
        for change in [{}] + changes:
            label.update(change)
            fig.canvas.draw()
            frames.append(np.array(fig.canvas.buffer_rgba()))
        images[canvas] = frames
    for k, (plain, cached) in enumerate(zip(images[FigureCanvasAgg], images[textcache.TextCachingCanvasAgg])):
        assert np.array_equal(plain, cached), ([{}] + changes)[k]
    assert len({frame.tobytes() for frame in images[FigureCanvasAgg]}) == len(changes) + 1  # each change shows
