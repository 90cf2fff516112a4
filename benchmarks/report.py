"""Time `crmlab build` against bare papermill execution of the same notebooks.

Target (issue 8): the whole build (runs + HTML + PDF, both languages) takes at most 2x the
bare papermill execution of the same notebooks with the same parameters and the same number
of parallel jobs. Bare execution is the floor; assembly and PDF must not dominate.

    .venv/bin/python benchmarks/report.py                      # default profile, zh + en
    .venv/bin/python benchmarks/report.py --lang zh -p dataset=cdnow-sample

Chapters of the profile whose notebook does not exist yet are left out (and named).
Peak RSS: the largest single process (a kernel or the builder), from getrusage.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crmlab.report import build, load_profile, plan  # noqa: E402
from crmlab.report.pdf import lite_fonts  # noqa: E402


def bare_papermill(runs, jobs: int, workdir: Path) -> float:
    """Execute the planned runs with plain `python -m papermill`, `jobs` at a time."""
    def one(run):
        out = workdir / run.lang / f"{run.chapter}.ipynb"
        out.parent.mkdir(parents=True, exist_ok=True)
        params = out.with_suffix(".yml")
        params.write_text(yaml.safe_dump(run.parameters, allow_unicode=True))
        proc = subprocess.run([sys.executable, "-m", "papermill", str(run.source), str(out),
                               "-f", str(params), "-k", "python3", "--no-progress-bar"],
                              capture_output=True, text=True,
                              env={**__import__("os").environ,
                                   "CRMLAB_NOTEBOOKS_DIR": str(run.source.parent)})
        if proc.returncode:
            raise SystemExit(f"bare papermill failed on {run.label}:\n{proc.stderr[-2000:]}")

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, runs))
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="cdnow")
    ap.add_argument("--lang", default="all")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("-p", "--param", action="append", default=[])
    args = ap.parse_args()

    prof = load_profile(args.profile, ROOT / "reports" / "profiles")
    missing = [c for c in prof.chapters if not (ROOT / "notebooks" / f"{c}.ipynb").exists()]
    for c in missing:
        prof.chapters.pop(c)
    langs = ["zh", "en"] if args.lang == "all" else [args.lang]
    runs = plan(prof, ROOT / "notebooks", langs, args.param)
    t = time.perf_counter()
    lite_fonts()  # one-time font cache, reported separately
    font_cache = time.perf_counter() - t

    work = Path(tempfile.mkdtemp(prefix="crmlab-bench-"))
    try:
        bare = bare_papermill(runs, args.jobs, work / "bare")
        start = time.perf_counter()
        result = build(prof, lang=args.lang, overrides=args.param, jobs=args.jobs,
                       out=work / "reports", notebooks_dir=ROOT / "notebooks", progress=False)
        total = time.perf_counter() - start
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if result.failures:
        raise SystemExit("build failed:\n" + "\n".join(r.describe_failure()
                                                      for r in result.failures))
    rss_kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    steps = {k: v for k, v in result.seconds.items() if k != "total"}
    dominant = max(steps, key=steps.get)
    print(f"profile {prof.name}, languages {', '.join(langs)}, {len(runs)} chapter runs, "
          f"jobs={args.jobs}" + (f"; left out (no notebook yet): {', '.join(missing)}"
                                 if missing else ""))
    print(f"font cache (first PDF on a machine only): {font_cache:6.1f} s")
    print(f"bare papermill:                           {bare:6.1f} s")
    print(f"crmlab build (runs + HTML + PDF):         {total:6.1f} s")
    for step, sec in steps.items():
        print(f"  {step:<8} {sec:6.1f} s  ({sec / total:5.1%})")
    print(f"ratio build / bare: {total / bare:.2f}x  (target <= 2x)")
    print(f"dominant step: {dominant} ({steps[dominant] / total:.0%} of the build)")
    print(f"peak RSS: builder {rss_self:.0f} MiB, largest child (kernel/papermill) "
          f"{rss_kids:.0f} MiB")


if __name__ == "__main__":
    main()
