"""Figure helpers shared by every analysis: the CJK font, the house theme and figure captions.

Chinese labels must render on a fresh machine, so the fonts come from the ``mplfonts`` wheel,
never from the system. Analysis modules build their figures with :func:`figure` and label them
through :mod:`crmlab.i18n`; the report numbers them by the ``key`` stored on the figure.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from . import i18n  # noqa: E402

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
    """Register the shipped CJK fonts with matplotlib and make the sans one the default.

    Returns the family name now first in ``font.sans-serif``. Idempotent.
    """
    for path in font_files().values():
        font_manager.fontManager.addfont(str(path))
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = [SANS, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False  # the CJK font lacks U+2212
    plt.rcParams["figure.dpi"] = 110
    plt.rcParams["savefig.dpi"] = 150
    plt.rcParams["savefig.bbox"] = "tight"
    # Money on an axis reads 1200000, not 1.2 with a "1e6" in the corner (no offset, and
    # scientific notation only beyond 10^9 or below 10^-4).
    plt.rcParams["axes.formatter.useoffset"] = False
    plt.rcParams["axes.formatter.limits"] = (-4, 9)
    return SANS


def figure(key: str, caption: str, *, figsize=(7.0, 4.2), nrows: int = 1, ncols: int = 1, **kw):
    """A new figure carrying a stable ``key`` and a localised ``caption`` for the report.

    Returns ``(fig, ax)`` like :func:`matplotlib.pyplot.subplots`. The caption is already in
    the chosen language; the report prefixes the number (图3-1 / Figure 3.1).
    """
    use_cjk_font()
    fig, ax = plt.subplots(nrows, ncols, figsize=figsize, **kw)
    fig.crmlab_key = key
    fig.crmlab_caption = caption
    return fig, ax


def label(key: str, lang: str, **fmt) -> str:
    """Shorthand for :func:`crmlab.i18n.t`, used for axis labels and legends."""
    return i18n.t(key, lang, **fmt)
