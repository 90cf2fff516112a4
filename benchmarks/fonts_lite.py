"""Making the "lite" CJK fonts, once per machine: crmlab's recipe against a plain fontTools subset.

    .venv/bin/python benchmarks/fonts_lite.py

Both cut each Noto CJK font of the mplfonts wheel to the same characters (GB 2312 and the
Latin/punctuation ranges of ``crmlab.report.fonts``), with the same layout features, in one
process each, one after the other. The peer is fontTools' subsetter as a plain call would
run it with crmlab's options (hints removed, bounding boxes recalculated); crmlab keeps the
full font's hints and bounding boxes (``crmlab.report.fonts._make_lite``). Printed per font:
CPU seconds of each, their ratio, the file sizes and the glyph counts (which must be equal).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crmlab.report import fonts  # noqa: E402


def plain_subset(src: str, dst: str) -> str:
    """fontTools' subsetter with crmlab's options but its defaults for hints and bounds."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(src)
    sub = subset.Subsetter(fonts._subset_options())  # hinting=False: hints removed
    sub.populate(unicodes=fonts._lite_charset())
    sub.subset(font)
    font.save(dst)
    return dst


def glyphs(path: str) -> int:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return len(font.getGlyphOrder())


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for kind, src in fonts.font_files().items():
            times, sizes, counts = {}, {}, {}
            for name, make in (("plain fontTools", plain_subset), ("crmlab", fonts._make_lite)):
                dst = str(Path(tmp) / f"{kind}-{name.replace(' ', '_')}.otf")
                t0 = time.process_time()
                make(str(src), dst)
                times[name] = time.process_time() - t0
                sizes[name] = Path(dst).stat().st_size
                counts[name] = glyphs(dst)
            print(f"{kind} ({src.name}, {src.stat().st_size / 1e6:.1f} MB): "
                  + "; ".join(f"{n} {times[n]:.1f} CPU-s, {sizes[n] / 1e6:.2f} MB, "
                              f"{counts[n]} glyphs" for n in times)
                  + f"; crmlab is {times['plain fontTools'] / times['crmlab']:.2f}x faster")
            assert counts["crmlab"] == counts["plain fontTools"], counts


if __name__ == "__main__":
    main()
