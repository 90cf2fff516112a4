"""Size and cost of the CJK fonts embedded in the self-contained HTML report (issue 17.2).

    .venv/bin/python benchmarks/html_fonts.py reports/cdnow/zh/thesis.html [more.html ...]

For each page: total bytes, bytes of the embedded font block, of the embedded figures, the
characters per face, and the seconds to cut and compress the two WOFF2 subsets (cold: an
empty subset cache, the machine's lite fonts linked in; warm: cached). The peer is the naive
way: embedding both whole Noto CJK fonts as WOFF2 (compressed once, kept in the temp folder).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crmlab.report import fonts  # noqa: E402

DATA_URI = re.compile(r"data:([a-z0-9/+.\-]+);base64,([A-Za-z0-9+/=]+)")


def full_woff2_bytes() -> int:
    """Bytes of both whole fonts as WOFF2 (the naive embedding), compressed once and cached."""
    from fontTools.ttLib import TTFont

    total = 0
    for kind, src in fonts.font_files().items():
        out = Path(tempfile.gettempdir()) / f"crmlab-bench-{src.stem}-{src.stat().st_size}.woff2"
        if not out.exists():
            font = TTFont(str(src))
            font.flavor = "woff2"
            font.save(str(out))
        total += out.stat().st_size
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pages", nargs="+", type=Path)
    args = ap.parse_args()
    naive = full_woff2_bytes()
    print(f"naive: both whole Noto CJK fonts as WOFF2 = {naive / 1e6:.1f} MB "
          f"(base64 {naive * 4 / 3 / 1e6:.1f} MB)")
    for page in args.pages:
        text = page.read_text(encoding="utf-8")
        block = re.search(rf'<style id="{fonts.STYLE_ID}">.*?</style>', text, re.S)
        font_block = len(block.group(0).encode()) if block else 0
        images = sum(len(m.group(0)) for m in DATA_URI.finditer(text)
                     if m.group(1).startswith("image/"))
        chars = fonts.page_chars(text)
        lite = fonts.lite_fonts()  # a one-time cost per machine, not measured here
        old = os.environ.get("CRMLAB_CACHE")
        with tempfile.TemporaryDirectory() as cache:
            os.environ["CRMLAB_CACHE"] = cache
            try:
                (Path(cache) / "fonts").mkdir()
                for path in lite.values():
                    os.symlink(path, Path(cache) / "fonts" / path.name)
                t0 = time.perf_counter()
                fonts.embedded_font_css(text)
                cold = time.perf_counter() - t0
                t0 = time.perf_counter()
                fonts.embedded_font_css(text)
                warm = time.perf_counter() - t0
            finally:
                if old is None:
                    os.environ.pop("CRMLAB_CACHE", None)
                else:
                    os.environ["CRMLAB_CACHE"] = old
        total = len(text.encode())
        print(f"{page}: {total / 1e6:.2f} MB in all; fonts {font_block / 1e6:.3f} MB "
              f"({font_block / total:.0%}); figures {images / 1e6:.2f} MB; "
              f"{len(chars['serif'])} serif / {len(chars['sans'])} sans characters; "
              f"subsets {cold:.1f} s cold, {warm:.2f} s cached; "
              f"fonts vs naive embedding: {font_block / (naive * 4 / 3):.3f}x")


if __name__ == "__main__":
    main()
