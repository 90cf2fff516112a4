"""Figure helpers shared by every analysis: the CJK font, the house theme and figure captions.

Chinese labels must render on a fresh machine, so the fonts come from the ``mplfonts`` wheel,
never from the system. Analysis modules build their figures with :func:`figure` and label them
through :mod:`crmlab.i18n`; the report numbers them by the ``key`` stored on the figure.

Nothing here changes the caller's matplotlib session: importing this module does not pick a
backend (the report build sets ``MPLBACKEND=Agg`` in its kernels), and the house theme (seaborn
whitegrid, the CJK font, no axis offset) is applied with :func:`house_style`, a
``plt.rc_context``, while a crmlab figure is made and whenever it is drawn or laid out, never
through the global ``rcParams``.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from . import i18n

# matplotlib is imported on first use, so that analysis modules can decorate their figure
# functions with :func:`styled` without importing it.

SANS = "Noto Sans CJK SC"
SERIF = "Noto Serif CJK SC"


@cache
def font_files() -> dict[str, Path]:
    """Paths of the CJK fonts shipped in the mplfonts wheel (sans for figures, serif for text)."""
    import mplfonts

    root = Path(mplfonts.__file__).parent / "fonts"
    return {
        "sans": root / "NotoSansCJKsc-Regular.otf",
        "serif": root / "NotoSerifCJKsc-Regular.otf",
    }


@cache
def use_cjk_font() -> str:
    """Register the shipped CJK fonts with matplotlib's font manager; returns the sans family.

    Registering makes the family findable by name; it changes no ``rcParams``. Idempotent.
    """
    from matplotlib import font_manager

    for path in font_files().values():
        font_manager.fontManager.addfont(str(path))
    return SANS


@cache
def _house_rc() -> dict:
    import seaborn as sns

    rc = {**sns.axes_style("whitegrid"), **sns.plotting_context("notebook")}
    from cycler import cycler

    rc["axes.prop_cycle"] = cycler(color=sns.color_palette("deep"))
    rc.update({
        "font.family": "sans-serif",
        "font.sans-serif": [SANS, "DejaVu Sans"],
        "axes.unicode_minus": False,  # the CJK font lacks U+2212
        "figure.dpi": 110,
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
        # Money on an axis reads 1200000, not 1.2 with a "1e6" in the corner (no offset, and
        # scientific notation only beyond 10^9 or below 10^-4).
        "axes.formatter.useoffset": False,
        "axes.formatter.limits": (-4, 9),
    })
    return rc


@contextmanager
def house_style():
    """Context manager: the house theme and CJK font for figures made inside it.

    ``with crmlab.plots.house_style(): ...`` styles your own figures like crmlab's; on exit
    ``rcParams`` are as they were.
    """
    import matplotlib.pyplot as plt

    use_cjk_font()
    with plt.rc_context(_house_rc()):
        yield


def styled(func):
    """Decorator: run a figure-making function inside :func:`house_style`."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with house_style():
            return func(*args, **kwargs)
    return wrapper


@cache
def _house_figure_class():
    from matplotlib.figure import Figure

    class HouseFigure(Figure):
        """A Figure that is drawn and laid out inside :func:`house_style`.

        Fonts are looked up when a figure is drawn, so the CJK font and the minus sign follow
        the figure, whatever the session's ``rcParams`` are at that time; ``savefig`` uses the
        house resolution (150 dpi) and a tight bounding box.
        """

        draw = styled(Figure.draw)
        get_tightbbox = styled(Figure.get_tightbbox)
        tight_layout = styled(Figure.tight_layout)
        savefig = styled(Figure.savefig)  # house dpi and tight bounding box

    HouseFigure.__module__, HouseFigure.__qualname__ = __name__, "HouseFigure"  # picklable
    return HouseFigure


def __getattr__(name: str):
    if name == "HouseFigure":
        return _house_figure_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def figure(key: str, caption: str, *, figsize=(7.0, 4.2), nrows: int = 1, ncols: int = 1, **kw):
    """A new figure carrying a stable ``key`` and a localised ``caption`` for the report.

    Returns ``(fig, ax)`` like :func:`matplotlib.pyplot.subplots`. The caption is already in
    the chosen language; the report prefixes the number (图3-1 / Figure 3.1). The figure is
    made, drawn and laid out in :func:`house_style`; decorate the function that fills it with
    :func:`styled` so that titles and legends added later get the house sizes too.
    """
    import matplotlib.pyplot as plt

    with house_style():
        fig, ax = plt.subplots(nrows, ncols, figsize=figsize, FigureClass=_house_figure_class(),
                               **kw)
    fig.crmlab_key = key
    fig.crmlab_caption = caption
    return fig, ax


def label(key: str, lang: str, **fmt) -> str:
    """Shorthand for :func:`crmlab.i18n.t`, used for axis labels and legends."""
    return i18n.t(key, lang, **fmt)
