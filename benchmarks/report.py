"""Time `crmlab build` against bare papermill execution of the same notebooks, and time
incremental rebuilds.

Target (issue 8): the whole build (runs + HTML + PDF, both languages) takes at most 2x the
bare papermill execution of the same notebooks with the same parameters and the same number
of parallel jobs. Bare execution is the floor; assembly and PDF must not dominate.

Targets (issue 16, ``--incremental``): with a cold cache, a full build of the profile; then an
unchanged rebuild takes <= 0.15 of it, a rebuild after one chapter parameter changed
(``--change``, default ``02_rfm.n_bins=4``) <= 0.6 of it with exactly one chapter executed;
and a changed shipped data file, a changed user data file (same name) or one changed line in
crmlab changes the key of every chapter that depends on it (checked on the keys, no runs).

    .venv/bin/python benchmarks/report.py                      # default profile, zh + en
    .venv/bin/python benchmarks/report.py --lang zh -p dataset=cdnow-sample
    .venv/bin/python benchmarks/report.py --incremental --lang zh

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
from crmlab.report import cache as cache_mod  # noqa: E402
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


def changed_keys(runs, make_fingerprints, before) -> int:
    """How many of ``runs`` get a different key from ``make_fingerprints()``."""
    fp = make_fingerprints()
    return sum(fp.chapter(run)[0] != key for run, key in zip(runs, before))


def invalidation(prof, langs, params, work: Path) -> None:
    """Which chapter keys a changed data file or a changed line of crmlab invalidates."""
    import os

    from crmlab.datasets import data_dir, load_cdnow

    runs = plan(prof, ROOT / "notebooks", langs, params)
    base = [cache_mod.Fingerprints(cwd=ROOT).chapter(run)[0] for run in runs]
    n_data = sum("dataset" in run.declared for run in runs)
    # one changed line in crmlab (a copy of the package)
    pkg = work / "pkg" / "crmlab"
    shutil.copytree(cache_mod.PACKAGE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "rfm.py").write_text((pkg / "rfm.py").read_text(encoding="utf-8") + "\n# x\n",
                                encoding="utf-8")
    code = changed_keys(runs, lambda: cache_mod.Fingerprints(cwd=ROOT, package_dir=pkg), base)
    # a shipped data file changed (a copy of the data folder)
    data = work / "data"
    shutil.copytree(data_dir(), data)
    some = sorted(data.rglob("*.csv"))[0]
    some.write_text(some.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    old = os.environ.get("CRMLAB_DATA")
    os.environ["CRMLAB_DATA"] = str(data)
    try:
        shipped = changed_keys(runs, lambda: cache_mod.Fingerprints(cwd=ROOT), base)
    finally:
        if old is None:
            os.environ.pop("CRMLAB_DATA")
        else:
            os.environ["CRMLAB_DATA"] = old
    # a user's file, new content under the same name
    user = work / "orders.csv"
    frame = load_cdnow(sample=True).frame[["customer_id", "date", "amount"]]
    frame.to_csv(user, index=False)
    user_runs = plan(prof, ROOT / "notebooks", langs, params + [f"dataset={user}"])
    user_base = [cache_mod.Fingerprints(cwd=ROOT).chapter(run)[0] for run in user_runs]
    frame.iloc[:-1].to_csv(user, index=False)  # one transaction fewer
    user_changed = changed_keys(user_runs, lambda: cache_mod.Fingerprints(cwd=ROOT), user_base)
    print(f"invalidated chapter runs (of {len(runs)}; {n_data} declare `dataset`):")
    print(f"  one changed line in crmlab/rfm.py:       {code}  (target: all {len(runs)})")
    print(f"  one changed shipped data file:           {shipped}  (target: all {len(runs)})")
    print(f"  user file, same name, one row fewer:     {user_changed}  (target: {n_data})")


def incremental(prof, args, langs) -> None:
    """Full build with a cold cache, unchanged rebuild, one-parameter rebuild.

    The notebooks are copied, and the code part of the key is taken from a copy of the
    package made at the start: in a work tree that others edit meanwhile, any edit would
    (rightly) invalidate every chapter and the rebuilds would measure that instead.
    """
    work = Path(tempfile.mkdtemp(prefix="crmlab-bench-inc-"))
    store = cache_mod.Cache(work / "cache")
    notebooks = work / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks)
    snapshot = work / "code" / "crmlab"
    shutil.copytree(cache_mod.PACKAGE_DIR, snapshot,
                    ignore=shutil.ignore_patterns("__pycache__"))
    live_package, cache_mod.PACKAGE_DIR = cache_mod.PACKAGE_DIR, snapshot

    def one(extra):
        start = time.perf_counter()
        res = build(prof, lang=args.lang, overrides=args.param + extra, jobs=args.jobs,
                    out=work / "reports", notebooks_dir=notebooks, progress=False,
                    cache=store, pdf=not args.no_pdf)
        if res.failures:
            raise SystemExit("build failed:\n" + "\n".join(r.describe_failure()
                                                           for r in res.failures))
        ran = [r.run.label for r in res.results if not r.cached]
        return time.perf_counter() - start, ran, res

    try:
        full, ran0, res0 = one([])
        first = {lg: {k: p.read_bytes() for k, p in files.items()}
                 for lg, files in res0.outputs.items()}
        again, ran1, res1 = one([])
        same = all(p.read_bytes() == first[lg][k] for lg, files in res1.outputs.items()
                   for k, p in files.items())
        changed, ran2, _ = one([args.change])
        print(f"profile {prof.name}, languages {', '.join(langs)}, {len(ran0)} chapter runs, "
              f"jobs={args.jobs}, {'HTML only' if args.no_pdf else 'HTML + PDF'}")
        print(f"full build, cold cache:        {full:7.1f} s  ({len(ran0)} runs executed)")
        print(f"unchanged rebuild:             {again:7.1f} s  ({len(ran1)} executed; "
              f"{again / full:.3f} of full, target <= 0.15; output byte-identical: {same})")
        print(f"rebuild after -p {args.change}: {changed:7.1f} s  ({len(ran2)} executed: "
              f"{', '.join(ran2)}; {changed / full:.3f} of full, target <= 0.6)")
        cache_mod.PACKAGE_DIR = live_package
        invalidation(prof, langs, args.param, work)
    finally:
        cache_mod.PACKAGE_DIR = live_package
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="cdnow")
    ap.add_argument("--lang", default="all")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("-p", "--param", action="append", default=[])
    ap.add_argument("--incremental", action="store_true",
                    help="time a cold build, an unchanged rebuild and a one-parameter rebuild")
    ap.add_argument("--change", default="02_rfm.n_bins=4", metavar="CHAPTER.KEY=VALUE",
                    help="the parameter changed for --incremental")
    ap.add_argument("--no-pdf", action="store_true", help="--incremental: HTML only")
    args = ap.parse_args()

    prof = load_profile(args.profile, ROOT / "reports" / "profiles")
    missing = [c for c in prof.chapters if not (ROOT / "notebooks" / f"{c}.ipynb").exists()]
    for c in missing:
        prof.chapters.pop(c)
    langs = ["zh", "en"] if args.lang == "all" else [args.lang]
    if args.incremental:
        incremental(prof, args, langs)
        return
    runs = plan(prof, ROOT / "notebooks", langs, args.param)
    t = time.perf_counter()
    lite_fonts()  # one-time font cache, reported separately
    font_cache = time.perf_counter() - t

    work = Path(tempfile.mkdtemp(prefix="crmlab-bench-"))
    try:
        bare = bare_papermill(runs, args.jobs, work / "bare")
        start = time.perf_counter()
        result = build(prof, lang=args.lang, overrides=args.param, jobs=args.jobs,
                       out=work / "reports", notebooks_dir=ROOT / "notebooks", progress=False,
                       cache=False)  # the full build, as issue 8 measures it
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
