"""Time each chapter notebook on the full CDNOW log (target: under 60 s per chapter).

Each chapter runs with its defaults (``dataset="cdnow"``) through ``python -m papermill`` in its
own process, one after the other, under ``/usr/bin/time -v`` for the peak RSS (the kernel is a
child of papermill, so the maximum covers it). The floor beside it is the same papermill run of
a two-cell notebook that only sets the parameters and imports crmlab (kernel start-up and imports,
which every chapter pays): "chapter / floor" is the cost of the chapter's own work.

    .venv/bin/python benchmarks/notebooks.py [--lang zh] [--repeat 1] [CHAPTER ...]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["01_value_theory", "02_rfm", "03_clv", "04_segments", "05_strategy"]
TARGET = 60.0


def run(notebook: Path, out: Path, params: dict) -> tuple[float, float]:
    """Execute ``notebook`` with papermill in a subprocess; return (seconds, peak RSS in MB)."""
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "papermill", str(notebook), str(out),
           "-k", "python3", "--cwd", str(ROOT), "--no-progress-bar"]
    for k, v in params.items():
        cmd += ["-p", k, str(v)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{notebook.name} failed:\n{proc.stderr[-3000:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    return seconds, (int(rss.group(1)) / 1024 if rss else float("nan"))


def floor_notebook(path: Path) -> None:
    nb = new_notebook(cells=[
        new_code_cell('lang: str = "zh"  # language', metadata={"tags": ["parameters"]}),
        new_code_cell("import pandas as pd\nimport crmlab\nfrom crmlab import notebook as nb\n"
                      "import crmlab.value, crmlab.rfm, crmlab.clv, crmlab.segments, crmlab.strategy"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("chapters", nargs="*", default=CHAPTERS)
    ap.add_argument("--lang", default="zh")
    ap.add_argument("--repeat", type=int, default=1, help="runs per chapter; the best is kept")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        floor_nb = tmp / "floor.ipynb"
        floor_notebook(floor_nb)
        floor = min(run(floor_nb, tmp / "floor-out.ipynb", {"lang": args.lang})[0] for _ in range(args.repeat))
        print(f"floor (kernel start + imports): {floor:.1f} s")
        print(f"{'chapter':<18}{'seconds':>9}{'peak RSS MB':>13}{'/ floor':>9}{'/ 60 s':>8}  verdict")
        worst = 0.0
        for chapter in args.chapters:
            best = None
            for _ in range(args.repeat):
                res = run(ROOT / "notebooks" / f"{chapter}.ipynb", tmp / f"{chapter}.ipynb",
                          {"lang": args.lang})
                best = res if best is None or res[0] < best[0] else best
            seconds, rss = best
            worst = max(worst, seconds)
            verdict = "ok" if seconds < TARGET else "MISSED"
            print(f"{chapter:<18}{seconds:>9.1f}{rss:>13.0f}{seconds / floor:>9.1f}{seconds / TARGET:>8.2f}  {verdict}")
        print(f"slowest chapter: {worst:.1f} s (target < {TARGET:.0f} s)")


if __name__ == "__main__":
    main()
