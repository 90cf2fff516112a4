"""The ``build``, ``handouts``, ``run``, ``new-chapter`` and ``cache`` subcommands;
``crmlab.cli`` calls :func:`add_commands`.

Errors propagate as crmlab errors; ``crmlab.cli.main`` turns a ParameterError into exit code 2
and a BuildError into exit code 1. A ``--keep-going`` build with failed chapters returns 1.
"""

from __future__ import annotations

import argparse
import sys


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--notebooks", default="notebooks", metavar="DIR",
                   help="folder of the chapter notebooks (default: notebooks)")
    p.add_argument("--no-cache", action="store_true",
                   help="run every chapter and render everything again instead of reusing "
                        "unchanged results from the cache ($CRMLAB_CACHE, default "
                        "~/.cache/crmlab)")


def add_commands(subparsers) -> None:
    """Register ``build``, ``handouts`` and ``run`` on an argparse subparsers object."""
    b = subparsers.add_parser(
        "build", help="run the chapters and build the thesis report (HTML + PDF)",
        description="Run a profile's chapters with papermill and assemble the thesis report "
                    "into reports/<profile>/<lang>/thesis.html and thesis.pdf.")
    b.add_argument("--profile", default="cdnow", metavar="NAME|FILE",
                   help="profile name in reports/profiles/ or a YAML file (default: cdnow)")
    b.add_argument("--lang", choices=["zh", "en", "all"], default=None,
                   help="report language (default: the profile's languages)")
    b.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter (KEY=VALUE for all chapters that declare it, "
                        "CHAPTER.KEY=VALUE for one); repeatable")
    b.add_argument("--jobs", type=int, default=2, metavar="N", help="chapters run at once")
    b.add_argument("--keep-going", action="store_true",
                   help="build the other chapters when one fails, and mark it in the report")
    b.add_argument("--show-code", action="store_true", help="show code cells and raw outputs")
    b.add_argument("--show-ids", action="store_true",
                   help="show real customer ids (pseudonymised by default)")
    b.add_argument("--out", default="reports", metavar="DIR", help="output root (default: reports)")
    b.add_argument("--no-pdf", action="store_true", help="HTML only (quicker drafts)")
    _common(b)
    b.set_defaults(func=_build)

    h = subparsers.add_parser(
        "handouts", help="student notebooks, answer keys and their PDFs",
        description="Student notebooks and executed answer keys of every chapter of a profile, "
                    "into reports/handouts/<lang>/{student,answers}/. The answer keys run with "
                    "the profile's parameters, as `crmlab build` runs them, so they show the "
                    "report's numbers (and come from the cache after a build).")
    h.add_argument("--profile", default="cdnow", metavar="NAME|FILE",
                   help="profile whose parameters the answer keys run with (default: cdnow)")
    h.add_argument("--lang", choices=["zh", "en", "all"], default=None,
                   help="handout language (default: both)")
    h.add_argument("--out", default="reports/handouts", metavar="DIR")
    h.add_argument("--jobs", type=int, default=2, metavar="N")
    h.add_argument("--no-pdf", action="store_true")
    _common(h)
    h.set_defaults(func=_handouts)

    r = subparsers.add_parser("run", help="execute one chapter notebook into reports/runs/")
    r.add_argument("chapter", help="notebook name, e.g. 02_rfm")
    r.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    r.add_argument("--out", default="reports/runs", metavar="DIR")
    _common(r)
    r.set_defaults(func=_run)

    n = subparsers.add_parser(
        "new-chapter", help="scaffold a new chapter (NN_name.md + its paired .ipynb)",
        description="Write NN_name.md (a MyST Markdown notebook) and its paired NN_name.ipynb "
                    "from the chapter template: the shared parameters, setup and load cells, a "
                    "zh/en narrative pair, a table, a figure, findings and an exercise with its "
                    "solution. The report and the handouts include it without a profile edit.")
    n.add_argument("name", help="two digits, an underscore and a name, e.g. 06_loyalty (the "
                                "digits set its place in the report)")
    n.add_argument("--notebooks", default="notebooks", metavar="DIR",
                   help="folder of the chapter notebooks (default: notebooks)")
    n.set_defaults(func=_new_chapter)

    c = subparsers.add_parser(
        "cache", help="show or clear the cache of executed chapters and rendered reports",
        description="The cache lives in $CRMLAB_CACHE (default ~/.cache/crmlab); its size is "
                    "bounded by $CRMLAB_CACHE_SIZE (default 2G), least recently used first.")
    c.set_defaults(func=_cache_info)
    c_sub = c.add_subparsers(dest="cache_command", metavar="SUBCOMMAND")
    clear = c_sub.add_parser("clear", help="remove every cached execution and rendering")
    clear.set_defaults(func=_cache_clear)
    info = c_sub.add_parser("info", help="where the cache is, its entries and size")
    info.set_defaults(func=_cache_info)


def _build(args) -> int:
    from .builder import build

    result = build(args.profile, lang=args.lang, overrides=args.param, jobs=args.jobs,
                   keep_going=args.keep_going, show_code=args.show_code, show_ids=args.show_ids,
                   out=args.out, notebooks_dir=args.notebooks, pdf=not args.no_pdf,
                   cache=not args.no_cache)
    for lang, files in result.outputs.items():
        for path in files.values():
            print(path)
    if result.failures:
        for r in result.failures:
            print(f"error: {r.describe_failure()}", file=sys.stderr)
        return 1
    return 0


def _handouts(args) -> int:
    from .builder import handouts

    made = handouts(args.profile, lang=args.lang, out=args.out, notebooks_dir=args.notebooks,
                    jobs=args.jobs, pdf=not args.no_pdf, cache=not args.no_cache)
    for kinds in made.values():
        for paths in kinds.values():
            for path in paths:
                print(path)
    return 0


def _run(args) -> int:
    from .builder import run_chapter

    res = run_chapter(args.chapter, overrides=args.param, notebooks_dir=args.notebooks,
                      out=args.out, cache=not args.no_cache)
    print(res.output)
    return 0


def _new_chapter(args) -> int:
    from .chapters import new_chapter
    from .profiles import project_path

    # the folder crmlab build reads (the project's notebooks/ when run from elsewhere)
    text, notebook = new_chapter(args.name, project_path(args.notebooks))
    print(f"crmlab new-chapter: wrote {text} (the text source) and {notebook} (its paired "
          f"notebook).\n"
          f"Write the chapter in either file:\n"
          f"  - in JupyterLab (make lab): open {notebook.name} or {text.name}; saving keeps "
          f"both in sync;\n"
          f"  - in a text editor: edit {text}, then run `jupytext --sync {text}`.\n"
          f"Replace the bracketed placeholders (title, question, method), then the analysis, "
          f"findings and exercise cells; the conventions are in notebooks/README.md "
          f"(\"Writing a chapter\").\n"
          f"Try it: crmlab run {text.stem} --notebooks {text.parent} -p dataset=cdnow-sample. "
          f"`crmlab build` and `crmlab handouts` include it (no profile edit).")
    return 0


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def _cache_clear(args) -> int:
    from .cache import Cache

    cache = Cache()
    n, size = cache.clear()
    print(f"crmlab cache: removed {n} entries ({_size(size)}) from {cache.root}")
    return 0


def _cache_info(args) -> int:
    from .cache import Cache

    cache = Cache()
    entries = cache.entries()
    print(f"crmlab cache: {cache.root}")
    for kind in ("executions", "renders"):
        mine = [e for e in entries if e.kind == kind]
        print(f"  {kind:<11} {len(mine):5d} entries  {_size(sum(e.size for e in mine))}")
    print(f"  bound       {_size(cache.max_bytes)} (CRMLAB_CACHE_SIZE), least recently used "
          "entries go first")
    return 0
