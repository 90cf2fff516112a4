"""HTML → PDF with WeasyPrint, Chinese set in the Noto CJK fonts of the mplfonts wheel.

WeasyPrint subsets every font it embeds. Subsetting the 23 MB Noto Serif CJK costs about 2 s
per PDF on the 2-core VM (both faces: ~4.4 s). So the first PDF build makes "lite" copies of
the two fonts once (GB 2312 hanzi + Latin + CJK punctuation, ~4 MB each, about 20 s, cached in
``~/.cache/crmlab/fonts`` or ``$CRMLAB_CACHE``); later PDFs subset the lite copies (~1 s). The
full fonts stay in the font stack as a fallback, so a rare character still renders.
"""

from __future__ import annotations

import logging
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from ..plots import font_files

FAMILIES = {"serif": "CrmlabSerif", "sans": "CrmlabSans"}


def cache_dir() -> Path:
    root = os.environ.get("CRMLAB_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "crmlab")
    return Path(root) / "fonts"


def _lite_charset() -> list[int]:
    chars: set[int] = set(range(0x20, 0x250)) | set(range(0x2000, 0x2070))
    chars |= set(range(0x2100, 0x2200)) | set(range(0x2460, 0x2500)) | set(range(0x3000, 0x3040))
    chars |= set(range(0xFF00, 0xFFF0)) | set(range(0x2190, 0x2200)) | set(range(0x25A0, 0x2700))
    for hi in range(0xA1, 0xF8):  # every GB 2312 character (6763 hanzi and symbols)
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return sorted(chars)


def _make_lite(src: str, dst: str) -> str:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    opts = subset.Options()
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    font = TTFont(src)
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=_lite_charset())
    sub.subset(font)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dst), suffix=".otf.tmp")
    os.close(fd)
    font.save(tmp)
    os.replace(tmp, dst)  # atomic: concurrent builds never see half a font
    return dst


def lite_fonts() -> dict[str, Path]:
    """Paths of the cached lite fonts, making them (in parallel) the first time."""
    out, todo = {}, {}
    cdir = cache_dir()
    cdir.mkdir(parents=True, exist_ok=True)
    for kind, src in font_files().items():
        dst = cdir / f"{src.stem}-{src.stat().st_size}-lite.otf"
        out[kind] = dst
        if not dst.exists():
            todo[kind] = (str(src), str(dst))
    if todo:
        with ProcessPoolExecutor(max_workers=min(2, len(todo))) as pool:
            list(pool.map(_make_lite, *zip(*todo.values())))
    return out


def font_face_css() -> str:
    """``@font-face`` rules: lite then full face of each family (full = fallback)."""
    full = font_files()
    lite = lite_fonts()
    rules = []
    for kind, family in FAMILIES.items():
        rules.append(f"@font-face {{ font-family: '{family}'; src: url('{lite[kind].as_uri()}'); }}")
        rules.append(f"@font-face {{ font-family: '{family}Full'; "
                     f"src: url('{full[kind].as_uri()}'); }}")
    return "\n".join(rules)


def write_pdf(html_text: str, path: str | Path, *, base_url: str | None = None) -> Path:
    """Render ``html_text`` to a PDF at ``path`` (A4 and the rest come from the page CSS)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    with quiet_loggers("weasyprint", "fontTools"):  # only while this PDF is written
        fc = FontConfiguration()
        css = CSS(string=font_face_css(), font_config=fc)
        HTML(string=html_text, base_url=base_url or str(Path.cwd())).write_pdf(
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
