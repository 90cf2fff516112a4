"""HTML → PDF with WeasyPrint, Chinese set in the Noto CJK fonts of the mplfonts wheel.

WeasyPrint subsets every font it embeds. Subsetting the 23 MB Noto Serif CJK costs about 2 s
per PDF on the 2-core VM (both faces: ~4.4 s), so the PDF names the cached "lite" copies made
by :mod:`crmlab.report.fonts` (later PDFs subset them in ~1 s). The full fonts stay in the
font stack as a fallback, so a rare character still renders. The WOFF2 subsets the HTML
embeds for browsers are removed first: the PDF uses the font files themselves.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

from .fonts import FAMILIES, cache_dir, font_face_css, lite_fonts, strip_embedded_fonts

__all__ = ["FAMILIES", "cache_dir", "font_face_css", "lite_fonts", "quiet_loggers",
           "write_pdf"]


def write_pdf(html_text: str, path: str | Path, *, base_url: str | None = None) -> Path:
    """Render ``html_text`` to a PDF at ``path`` (A4 and the rest come from the page CSS)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    with quiet_loggers("weasyprint", "fontTools"):  # only while this PDF is written
        fc = FontConfiguration()
        css = CSS(string=font_face_css(), font_config=fc)
        HTML(string=strip_embedded_fonts(html_text),
             base_url=base_url or str(Path.cwd())).write_pdf(
            str(path), stylesheets=[css], font_config=fc)
    return Path(path)


@contextmanager
def quiet_loggers(*names: str, level: int = logging.ERROR):
    """Raise the level of the named loggers inside the block and restore their levels after,
    so the caller's logging configuration is left as it was."""
    loggers = [logging.getLogger(n) for n in names]
    saved = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(level)
    try:
        yield
    finally:
        for lg, lvl in zip(loggers, saved):
            lg.setLevel(lvl)
