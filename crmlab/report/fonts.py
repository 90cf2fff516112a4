"""The CJK fonts of the reports: lite copies, page subsets, and WOFF2 embedding for the HTML.

Both outputs set Chinese in the Noto CJK fonts of the ``mplfonts`` wheel, never in system
fonts:

* the **PDF** (:mod:`crmlab.report.pdf`) names the fonts by file and WeasyPrint subsets them;
* the **HTML** embeds, as WOFF2 ``@font-face`` data URIs, a subset holding exactly the
  characters the page uses (plus printable ASCII, so a build time or commit hash never changes
  the font data), so it renders the same on a machine without any Chinese font.

Subsetting the 23 MB Noto Serif CJK costs seconds. So the first build makes "lite" copies of
the two fonts once (GB 2312 hanzi + Latin + CJK punctuation, 4-5 MB each, cached in
``~/.cache/crmlab/fonts`` or ``$CRMLAB_CACHE/fonts``; about half a CPU minute, made by one
process while any other build that needs them waits); page subsets are cut from the lite
copies (about 1 s a face), or from the full font when a page uses a character outside GB 2312.
Page subsets are cached too, by their character set.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import sys
import tempfile
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from ..plots import font_files
from .cache import default_root
from .concurrency import file_lock, process_pool

FAMILIES = {"serif": "CrmlabSerif", "sans": "CrmlabSans"}
STYLE_ID = "crmlab-fonts"
# Always in a page subset: printable ASCII, so volatile ASCII text (build time, commit hash)
# never changes the font data of an otherwise identical report.
BASE_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F))
PAGE_SUBSETS_KEPT = 400  # cached page subsets (a few hundred kB each); the oldest go first


#: Environment variable: the folder of the lite fonts and page subsets, when not ``fonts/`` in
#: the execution cache's root (the test suite keeps its executions apart but reuses these).
FONTS_ENV = "CRMLAB_FONT_CACHE"


def cache_dir() -> Path:
    """``$CRMLAB_FONT_CACHE``, else ``fonts/`` in the execution cache's root
    (:func:`crmlab.report.cache.default_root`)."""
    return Path(os.environ.get(FONTS_ENV) or default_root() / "fonts")


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


def _subset_options(flavor: str | None = None, hinting: bool = False):
    from fontTools import subset

    opts = subset.Options()
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.hinting = hinting
    opts.flavor = flavor
    return opts


def _save_atomic(font, dst: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=str(dst.parent), suffix=".tmp")
    os.close(fd)
    font.save(tmp)
    os.replace(tmp, dst)  # atomic: concurrent builds never see half a font


def _make_lite(src: str, dst: str) -> str:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    # Half the CPU time of a plain subset: the hints are kept (removing them decodes every
    # charstring; page subsets, cut from this copy, drop them) and the bounding boxes of the
    # full font are kept (still true bounds for a subset of its glyphs).
    font = TTFont(src, recalcBBoxes=False)
    sub = subset.Subsetter(_subset_options(hinting=True))
    sub.populate(unicodes=_lite_charset())
    sub.subset(font)
    _save_atomic(font, Path(dst))
    return dst


def lite_fonts() -> dict[str, Path]:
    """Paths of the cached lite fonts, making them (in parallel) the first time.

    One process makes them, under a lock in the font folder; builds started meanwhile
    (a report and handouts at once, test workers) wait for them instead of each spending the
    same CPU minutes on their own copies."""
    cdir = cache_dir()
    sources = font_files()
    out = {kind: cdir / f"{src.stem}-{src.stat().st_size}-lite.otf"
           for kind, src in sources.items()}
    if all(dst.exists() for dst in out.values()):
        return out

    def waiting():
        print(f"crmlab: another process is making the report fonts in {cdir} (once); "
              "waiting for it…", file=sys.stderr, flush=True)

    with file_lock(cdir / ".lock", on_wait=waiting):
        todo = [(str(sources[kind]), str(dst)) for kind, dst in out.items()
                if not dst.exists()]  # another process may have made them while we waited
        if todo:
            print(f"crmlab: making the report fonts in {cdir} (once, about half a minute)…",
                  file=sys.stderr, flush=True)
            with process_pool(len(todo)) as pool:
                list(pool.map(_make_lite, *zip(*todo)))
    return out


@cache
def _cmap(path: str, size: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


class _TextByFace(HTMLParser):
    """Collect the rendered text of a page, split by the face the thesis CSS gives it:
    sans for headings, captions, the cover, the contents, table headers and code; serif for
    everything (a superset: inherited serif is the body default)."""

    SANS_TAGS = {"h1", "h2", "h3", "h4", "th", "pre", "code"}
    SANS_CLASSES = {"caption", "cover", "toc"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, sans)
        self.skip = 0
        self.serif: set[str] = set()
        self.sans: set[str] = set()

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if tag in ("style", "script", "title", "head"):
            self.skip += 1
        classes = set((dict(attrs).get("class") or "").split())
        sans = (bool(self.stack) and self.stack[-1][1]) or tag in self.SANS_TAGS \
            or bool(classes & self.SANS_CLASSES)
        self.stack.append((tag, sans))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                if tag in ("style", "script", "title", "head"):
                    self.skip = max(0, self.skip - 1)
                return

    def handle_data(self, data):
        if self.skip:
            return
        chars = {c for c in data if not c.isspace() or c == "\u3000"}
        self.serif |= chars
        if self.stack and self.stack[-1][1]:
            self.sans |= chars


def page_chars(html_text: str) -> dict[str, frozenset[str]]:
    """The characters of ``html_text`` each face must hold (``{"serif": ..., "sans": ...}``),
    always including printable ASCII."""
    parser = _TextByFace()
    parser.feed(strip_embedded_fonts(html_text))
    parser.close()
    return {"serif": frozenset(parser.serif | BASE_CHARS),
            "sans": frozenset(parser.sans | BASE_CHARS)}


def woff2_subset(kind: str, chars) -> bytes:
    """WOFF2 bytes of the ``kind`` ("serif"/"sans") font cut to ``chars``, cached by charset.

    Cut from the lite copy when it holds every character, else from the full font."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    full = font_files()[kind]
    lite = lite_fonts()[kind]
    wanted = {ord(c) for c in chars}
    src = lite if wanted <= _cmap(str(lite), lite.stat().st_size) | {ord(c) for c in BASE_CHARS} \
        else full
    digest = hashlib.sha256(
        f"{src.name}:{src.stat().st_size}:".encode()
        + "".join(sorted(chars)).encode("utf-8", "surrogatepass")).hexdigest()[:20]
    dst = cache_dir() / f"page-{kind}-{digest}.woff2"
    if dst.exists():
        return dst.read_bytes()
    font = TTFont(str(src), lazy=True, recalcTimestamp=False)
    sub = subset.Subsetter(_subset_options("woff2"))
    sub.populate(unicodes=sorted(wanted))
    sub.subset(font)
    font.flavor = "woff2"
    buf = io.BytesIO()
    font.save(buf)
    data = buf.getvalue()
    cache_dir().mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=str(cache_dir()), suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, dst)
    _prune(cache_dir(), keep=PAGE_SUBSETS_KEPT)
    return data


def _prune(folder: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recently written page subsets."""
    subsets = sorted(folder.glob("page-*.woff2"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in subsets[keep:]:
        old.unlink(missing_ok=True)


def embedded_font_css(html_text: str) -> str:
    """``@font-face`` rules embedding the page's subsets of both faces as WOFF2 data URIs."""
    chars = page_chars(html_text)
    rules = []
    for kind, family in FAMILIES.items():
        data = base64.b64encode(woff2_subset(kind, chars[kind])).decode("ascii")
        rules.append(f"@font-face {{ font-family: '{family}'; font-display: block; "
                     f"src: url(data:font/woff2;base64,{data}) format('woff2'); }}")
    return "\n".join(rules)


_EMBEDDED = re.compile(rf'<style id="{STYLE_ID}">.*?</style>\n?', re.S)


def embed_fonts(html_text: str) -> str:
    """``html_text`` with a ``<style id="crmlab-fonts">`` block of embedded font subsets
    (any previous one replaced), placed at the end of ``<head>``."""
    text = strip_embedded_fonts(html_text)
    block = f'<style id="{STYLE_ID}">\n{embedded_font_css(text)}\n</style>\n'
    head_end = text.find("</head>")
    if head_end < 0:
        return block + text
    return text[:head_end] + block + text[head_end:]


def strip_embedded_fonts(html_text: str) -> str:
    """``html_text`` without the embedded font block (the PDF names the font files instead)."""
    return _EMBEDDED.sub("", html_text)


def font_face_css() -> str:
    """``@font-face`` rules for the PDF: lite then full face of each family (full = fallback)."""
    full = font_files()
    lite = lite_fonts()
    rules = []
    for kind, family in FAMILIES.items():
        rules.append(f"@font-face {{ font-family: '{family}'; src: url('{lite[kind].as_uri()}'); }}")
        rules.append(f"@font-face {{ font-family: '{family}Full'; "
                     f"src: url('{full[kind].as_uri()}'); }}")
    return "\n".join(rules)
