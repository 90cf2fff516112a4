"""``crmlab build``, ``crmlab handouts`` and ``crmlab run``: orchestration and atomic output.

Incremental: chapters whose execution key is unchanged are copied from the execution cache
(:mod:`crmlab.report.cache`), and when no chapter, option or template changed, the HTML and
PDF are copied from the cache too (byte-identical). ``cache=False`` (``--no-cache``) runs and
renders everything.

Atomic: an output folder (``reports/<profile>``, ``reports/handouts``) is locked for the
whole build (``fcntl.flock`` on ``<folder>/.lock``; a second build of the same folder waits).
Each build is written into ``<folder>/.builds/<id>/`` holding all its languages; when it is
complete, the symlink ``<folder>/current`` is switched to it in one ``os.replace``, and
``<folder>/<lang>`` are symlinks to ``current/<lang>``. Readers of
``reports/<profile>/<lang>/thesis.html`` thus see the whole previous build or the whole new
one, zh and en always from the same build. A failed build leaves the last good report in
place and its executed notebooks and logs in ``<lang>.failed/``. The previous build is kept
under ``.builds/`` until the next one.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as _dt
import os
import re
import shutil
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import i18n
from ..errors import BuildError, CrmlabError, ParameterError
from ..notebook import META, notebook_parameters
from . import assemble as asm
from . import bibliography
from .cache import Cache, Fingerprints, file_digest, source_digest
from .cache import resolve as resolve_cache
from .concurrency import file_lock, process_pool
from .chapters import discover
from .execute import Progress, RunResult, execute_all, execute_cached
from .profiles import ChapterRun, load_profile, parse_overrides, plan, project_path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class BuildResult:
    profile: str
    outputs: dict[str, dict[str, Path]] = field(default_factory=dict)  # lang -> {html, pdf}
    results: list[RunResult] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # step -> seconds

    @property
    def failures(self) -> list[RunResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failures


def default_bibliography() -> Path:
    for candidate in (Path.cwd() / "data" / "references.yml",
                      PROJECT_ROOT / "data" / "references.yml"):
        if candidate.exists():
            return candidate
    raise BuildError("data/references.yml not found; run from the project folder or pass "
                     "bibliography=PATH.")


def _langs(lang: str | None, default: list[str]) -> list[str]:
    if lang in (None, ""):
        return list(default)
    if lang == "all":
        return list(i18n.LANGS)
    return [i18n.check_lang(lang)]


# --------------------------------------------------------------------------------------------
# atomic output folders
# --------------------------------------------------------------------------------------------
def _atomic_symlink(target: str, link: Path) -> None:
    """Point ``link`` at ``target`` in one step (a temporary link renamed over it)."""
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex[:8]}.link")
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


class OutputFolder:
    """A locked output folder whose builds are published by one symlink switch.

    Use as a context manager: the lock is held until exit; :meth:`new_build` gives the folder
    to write into, :meth:`publish` makes it ``current``, :meth:`discard` removes it.
    """

    def __init__(self, root: Path, stream=None):
        self.root = Path(root)
        self.stream = stream
        self._held = contextlib.ExitStack()

    def _say_waiting(self) -> None:
        if self.stream is not None:
            print(f"crmlab: another build is writing {self.root}; waiting for it…",
                  file=self.stream, flush=True)

    def __enter__(self) -> "OutputFolder":
        self.root.mkdir(parents=True, exist_ok=True)
        self._held.enter_context(file_lock(self.root / ".lock", on_wait=self._say_waiting))
        return self

    def __exit__(self, *exc) -> None:
        self._held.close()  # releases the lock

    @property
    def builds(self) -> Path:
        return self.root / ".builds"

    def new_build(self) -> Path:
        path = self.builds / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        path.mkdir(parents=True)
        return path

    def current(self) -> Path | None:
        link = self.root / "current"
        return link.resolve() if link.is_symlink() and link.exists() else None

    def publish(self, build_dir: Path, langs: list[str]) -> None:
        """Make ``build_dir`` the current build (one atomic switch) and keep one previous."""
        previous = self.current()
        link = self.root / "current"
        if link.exists() and not link.is_symlink():  # not ours: keep it aside
            link.rename(self.builds / f"aside-{uuid.uuid4().hex[:6]}")
        _atomic_symlink(os.path.relpath(build_dir, self.root), link)
        for lg in dict.fromkeys([*i18n.LANGS, *langs]):
            path = self.root / lg
            if lg in langs:
                target = f"current/{lg}"
                if path.is_symlink() and os.readlink(path) == target:
                    continue
                if path.exists() and not path.is_symlink():  # a report of the old layout
                    legacy = self.builds / f"legacy-{uuid.uuid4().hex[:6]}"
                    legacy.mkdir(parents=True)
                    path.rename(legacy / lg)
                _atomic_symlink(target, path)
            elif path.is_symlink() and os.readlink(path) == f"current/{lg}":
                path.unlink()  # this build has no such language
        self.prune(keep={build_dir.resolve(), previous})

    def prune(self, keep) -> None:
        """Remove builds other than ``keep`` (no build of this folder runs: we hold the lock)."""
        if not self.builds.is_dir():
            return
        for path in self.builds.iterdir():
            if path.resolve() not in keep:
                shutil.rmtree(path, ignore_errors=True)

    def discard(self, build_dir: Path) -> None:
        shutil.rmtree(build_dir, ignore_errors=True)


def read_findings(path: str | Path) -> dict[str, object]:
    """The findings (key → value) recorded by ``crmlab.notebook.finding`` in an executed notebook."""
    nb = nbformat.read(Path(path), as_version=4)
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            meta = (o.get("metadata") or {}).get(META) or {}
            if meta.get("kind") == "finding":
                out[meta["key"]] = meta.get("value")
    return out


def build(profile="cdnow", *, lang: str | None = None, overrides: list[str] | None = None,
          jobs: int = 2, keep_going: bool = False, show_code: bool = False,
          show_ids: bool = False, out: str | Path = "reports",
          notebooks_dir: str | Path = "notebooks", profiles_dir: str | Path | None = None,
          bibliography_path: str | Path | None = None, pdf: bool = True,
          progress: bool = True, stream=None, cache: bool | str | Path | Cache | None = True
          ) -> BuildResult:
    """Build the thesis report(s) of a profile: papermill runs, then HTML and PDF.

    ``cache``: True (default) uses the execution cache (:mod:`crmlab.report.cache`), False
    (``--no-cache``) runs and renders everything, a path or :class:`Cache` picks another one.
    Output goes to ``out/<profile>/.builds/<id>/<lang>/`` and is published atomically as
    ``out/<profile>/<lang>/``.

    Returns a :class:`BuildResult`. Raises :class:`ParameterError` for a bad profile or
    parameter (before anything runs) and :class:`BuildError` when a chapter fails (unless
    ``keep_going``) or assembly fails; the message names chapter, cell, error and log.
    """
    stream = stream or sys.stderr
    t0 = time.perf_counter()
    prof = load_profile(profile, profiles_dir)
    langs = _langs(lang, prof.languages)
    runs = plan(prof, notebooks_dir, langs, overrides)  # validates before anything runs
    bib_path = Path(bibliography_path or default_bibliography())
    bib = bibliography.load(bib_path)
    store = resolve_cache(cache)
    fingerprints = Fingerprints(cwd=Path.cwd())
    root = Path(out) / prof.name
    result = BuildResult(profile=prof.name)
    with OutputFolder(root, stream if progress else None) as folder:
        build_dir = folder.new_build()
        dirs = {lg: build_dir / lg for lg in langs}
        try:
            if progress:
                print(f"crmlab build: profile {prof.name}, {len(runs)} chapter runs "
                      f"({', '.join(langs)}), {jobs} at a time"
                      + ("" if store else ", no cache"), file=stream, flush=True)
            result.results = execute_all(runs, dirs, jobs=jobs, keep_going=keep_going,
                                         cwd=Path.cwd(),
                                         progress=Progress(runs, stream, enabled=progress),
                                         cache=store, fingerprints=fingerprints)
            result.seconds["execute"] = time.perf_counter() - t0
            failures = result.failures
            if failures and not keep_going:
                _keep_failed(failures, dirs, root)
                raise BuildError("build stopped (use --keep-going to build the other "
                                 "chapters):\n" + "\n".join(r.describe_failure()
                                                           for r in failures))
            _render_reports(result, runs, langs, dirs, prof, bib, bib_path, store,
                            fingerprints, show_code=show_code, show_ids=show_ids, pdf=pdf,
                            jobs=jobs, build_dir=build_dir, root=root,
                            stream=stream if progress else None)
            folder.publish(build_dir, langs)
        except BaseException as exc:
            folder.discard(build_dir)
            if isinstance(exc, CrmlabError) or not isinstance(exc, Exception):
                raise
            raise BuildError(f"assembling the {prof.name} report failed: "
                             f"{type(exc).__name__}: {exc}") from exc
        for lg in langs:
            shutil.rmtree(root / f"{lg}.failed", ignore_errors=True)
    for lg in langs:
        result.outputs[lg] = {k: root / lg / v.name for k, v in result.outputs[lg].items()}
    for r in result.results:
        r.output = root / r.run.lang / "executed" / r.output.name
        r.log = root / r.run.lang / "executed" / r.log.name
    result.seconds["total"] = time.perf_counter() - t0
    if progress:
        n_cached = sum(r.cached for r in result.results)
        print(f"crmlab build: done in {result.seconds['total']:.1f} s → {root}"
              f" ({n_cached} of {len(result.results)} chapter runs cached)"
              + (f"; {len(result.failures)} chapter(s) FAILED" if result.failures else ""),
              file=stream, flush=True)
    return result


def _keep_failed(failures: list[RunResult], dirs: dict[str, Path], root: Path) -> None:
    """Move the languages with a failed chapter to ``root/<lang>.failed`` for inspection."""
    moved = {}
    for lg in {r.run.lang for r in failures}:
        dest = root / f"{lg}.failed"
        if dest.exists():
            shutil.rmtree(dest)
        dirs[lg].rename(dest)
        moved[lg] = dest
    for r in failures:
        r.log = moved[r.run.lang] / r.log.relative_to(dirs[r.run.lang])
        r.output = moved[r.run.lang] / r.output.relative_to(dirs[r.run.lang])


def _render_reports(result: BuildResult, runs, langs, dirs, prof, bib, bib_path, store,
                    fingerprints, *, show_code, show_ids, pdf, jobs, build_dir, root,
                    stream) -> None:
    """Assemble thesis.html (and thesis.pdf) per language, or copy them from the cache
    when every chapter and every other input of the rendering is unchanged."""
    by_key = {(r.run.lang, r.run.chapter): r for r in result.results}
    built_at = _dt.datetime.now(_dt.timezone.utc)
    names = ["thesis.html"] + (["thesis.pdf"] if pdf else [])
    render_keys: dict[str, str | None] = {}
    reused: set[str] = set()
    t_html = 0.0
    for lg in langs:
        lang_runs = [r for r in runs if r.lang == lg]
        res_list = [by_key.get((lg, run.chapter)) for run in lang_runs]
        cacheable = store is not None and all(r is not None and r.ok and r.key
                                              for r in res_list)
        render_keys[lg] = fingerprints.render(
            kind="thesis", lang=lg, profile=prof.name, data=prof.data,
            chapters=[[run.chapter, run.number, r.key] for run, r in zip(lang_runs, res_list)],
            show_code=show_code, show_ids=show_ids, pdf=pdf,
            bibliography=file_digest(bib_path)) if cacheable else None
        t1 = time.perf_counter()
        entry = store.get("renders", render_keys[lg], needs=names) if render_keys[lg] else None
        if entry is not None and all(store.copy_out(entry, n, dirs[lg] / n) for n in names):
            reused.add(lg)
            result.outputs[lg] = {n.split(".")[-1]: dirs[lg] / n for n in names}
            if stream:
                print(f"  ✓ {lg}: {', '.join(names)}  cached", file=stream, flush=True)
            continue
        chapters = []
        for run, res in zip(lang_runs, res_list):
            if res is not None and res.ok:
                ch = asm.read_chapter(res.output, run.chapter, run.number, lg,
                                      show_code=show_code)
            else:
                ch = asm.Chapter(name=run.chapter, number=run.number,
                                 title=asm.source_title(run.source, lg) or run.chapter,
                                 parameters=dict(run.parameters))
                ch.failed = (res.describe_failure().replace(str(dirs[lg]), str(root / lg))
                             if res else "not run (an earlier chapter failed)")
            chapters.append(ch)
        html_text = asm.assemble(chapters, profile=prof, lang=lg, bib=bib,
                                 show_ids=show_ids, built_at=built_at)
        html_path = dirs[lg] / "thesis.html"
        html_path.write_text(html_text, encoding="utf-8")
        t2 = time.perf_counter()
        t_html += t2 - t1
        result.outputs[lg] = {"html": html_path}
        if stream:
            print(f"  ✓ {lg}: thesis.html ({t2 - t1:.1f} s)", file=stream, flush=True)
    result.seconds["html"] = t_html
    todo = [lg for lg in langs if lg not in reused]
    if pdf and todo:
        t3 = time.perf_counter()
        pdfs = {lg: dirs[lg] / "thesis.pdf" for lg in todo}
        _write_pdfs({lg: (result.outputs[lg]["html"], pdfs[lg]) for lg in todo}, jobs)
        for lg in todo:
            result.outputs[lg]["pdf"] = pdfs[lg]
        result.seconds["pdf"] = time.perf_counter() - t3
        if stream:
            print(f"  ✓ thesis.pdf ({', '.join(todo)}): {result.seconds['pdf']:.1f} s",
                  file=stream, flush=True)
    for lg in todo:
        if render_keys[lg]:
            store.put("renders", render_keys[lg], {n: dirs[lg] / n for n in names},
                      meta={"profile": prof.name, "lang": lg})


def _pdf_from_file(html_path: Path, pdf_path: Path) -> Path:
    from .pdf import write_pdf

    return write_pdf(html_path.read_text(encoding="utf-8"), pdf_path)


def _write_pdfs(todo: dict[str, tuple[Path, Path]], jobs: int) -> None:
    """Render PDFs, in parallel processes when there are several (font subsetting is CPU-bound)."""
    from .pdf import lite_fonts

    lite_fonts()  # made (or waited for) once, before the workers start
    if len(todo) > 1 and jobs > 1:
        with process_pool(min(jobs, len(todo))) as pool:
            list(pool.map(_pdf_from_file, *zip(*todo.values())))
    else:
        for html_path, pdf_path in todo.values():
            _pdf_from_file(html_path, pdf_path)


# --------------------------------------------------------------------------------------------
# crmlab run
# --------------------------------------------------------------------------------------------
def run_chapter(chapter: str, *, overrides: list[str] | None = None,
                notebooks_dir: str | Path = "notebooks", out: str | Path = "reports/runs",
                stream=None, cache: bool | str | Path | Cache | None = True) -> RunResult:
    """Execute one notebook (validated ``-p`` parameters) into ``out/<chapter>.ipynb``.

    Through the execution cache unless ``cache=False`` (``--no-cache``). The notebook is
    replaced in one rename, and only by a successful run; a failed run is left in
    ``out/<chapter>.failed.ipynb``.
    """
    stream = stream or sys.stderr
    notebooks_dir = project_path(notebooks_dir)
    source = notebooks_dir / (chapter if chapter.endswith(".ipynb") else f"{chapter}.ipynb")
    name = source.stem
    if not source.exists():
        have = sorted(p.stem for p in Path(notebooks_dir).glob("*.ipynb"))
        raise ParameterError(f"chapter {chapter!r}: {source} not found; available: "
                             f"{', '.join(have) or 'none'}. Pass one of these names "
                             "(run_chapter(chapter=...), crmlab run CHAPTER) or the folder "
                             "that holds it (notebooks_dir=..., --notebooks DIR).")
    from ..notebook import check_parameters

    declared = notebook_parameters(source)
    shared, per = parse_overrides(overrides)
    values = {**shared, **per.get(name, {})}
    checked = check_parameters(values, declared, where=f"notebook {name}")
    run = ChapterRun(name, 0, checked.get("lang", declared.get("lang").default
                                          if "lang" in declared else "zh"),
                     source, checked, declared)
    from ..preflight import check_runs

    check_runs([run], f"notebook {name}")  # columns and dates of the user's file, before running
    out = Path(out)
    store = resolve_cache(cache)
    key, parts = Fingerprints(cwd=Path.cwd()).chapter(run) if store else (None, None)
    final = out / f"{name}.ipynb"
    tmp = out / f".{name}.{uuid.uuid4().hex[:8]}.ipynb"
    try:
        res = execute_cached(run, tmp, out / f"{name}.log", cache=store, key=key, parts=parts,
                             cwd=Path.cwd())
        if not res.ok:
            failed = out / f"{name}.failed.ipynb"
            if tmp.exists():
                os.replace(tmp, failed)
            res.output = failed
            raise BuildError(res.describe_failure())
        os.replace(tmp, final)
        res.output = final
    finally:
        tmp.unlink(missing_ok=True)
    what = "cached" if res.cached else f"ok in {res.seconds:.1f} s"
    print(f"crmlab run: {name} {what} → {res.output}", file=stream)
    return res


# --------------------------------------------------------------------------------------------
# crmlab handouts
# --------------------------------------------------------------------------------------------
def student_notebook(nb, lang: str | None = None):
    """A copy of ``nb`` for students: solutions replaced by stubs, outputs cleared.

    The ``parameters`` cell is kept. With ``lang``, only that language's narrative is kept.
    Solution cells keep only their tags (no other metadata), so nothing of a solution survives.
    """
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "markdown" and lang:
            cell_lang = asm._lang_of(tags)
            if cell_lang not in (None, lang):
                continue
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            if "solution" in tags:
                cell.source = i18n.t("notebook.stub", lang or "zh") + "\n"
                cell.metadata = nbformat.NotebookNode({"tags": ["exercise-stub"]})
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("papermill", None)
    return nb


def _handout_html(nb_path: Path, lang: str, number: int, title: str, bib: dict) -> str:
    """Render one notebook (code shown, exercises and solutions kept) as HTML, its citations
    resolved against ``bib`` and listed on its references page."""
    ch = asm.read_chapter(nb_path, nb_path.stem, number, lang, show_code=True,
                          skip_tags={"injected-parameters", "papermill-error-cell-tag"})
    prof = load_profile({"name": "handout", "title": title, "chapters": {nb_path.stem: {}}})
    text = "\n".join(payload for kind, payload in ch.blocks if kind == "markdown")
    cited = set(re.findall(r"@([A-Za-z0-9_:\-]+)", text))
    return asm.assemble([ch], profile=prof, lang=lang, show_ids=True,
                        bib={k: v for k, v in bib.items() if k in cited})  # its own references


def _in_language(cells, lang: str) -> list:
    """``cells`` without the markdown cells of the other language (tag ``lang-xx``)."""
    return [c for c in cells if c.cell_type != "markdown"
            or asm._lang_of(set(c.get("metadata", {}).get("tags", []))) in (None, lang)]


def answer_notebook(nb, lang: str):
    """A copy of an executed chapter for the ``lang`` answer key: its outputs and solutions kept,
    the other language's narrative cells left out."""
    nb = copy.deepcopy(nb)
    nb.cells = _in_language(nb.cells, lang)
    return nb


def handouts(profile: str | Path | None = "cdnow", *, lang: str | None = None,
             out: str | Path = "reports/handouts", notebooks_dir: str | Path = "notebooks",
             profiles_dir: str | Path | None = None, jobs: int = 2, pdf: bool = True,
             progress: bool = True, stream=None,
             cache: bool | str | Path | Cache | None = True,
             bibliography_path: str | Path | None = None) -> dict[str, dict[str, list[Path]]]:
    """Student notebooks, executed answer keys and an HTML and PDF of each, per language.

    The answer keys are the chapters of ``profile`` run with its parameters, exactly as
    :func:`build` runs them (the same chapters, numbers and values, checked the same way
    before anything runs), so an answer key shows the numbers of that profile's report, and
    after ``crmlab build`` of the profile every answer key comes from the execution cache.
    ``profile=None`` runs every chapter found with its own defaults (``lang`` only).

    Layout: ``out/<lang>/student/<chapter>.ipynb|.html|.pdf`` and
    ``out/<lang>/answers/<chapter>.ipynb|.html|.pdf``, published atomically (all languages
    at once, see :class:`OutputFolder`). Answer keys and pages come from the cache when
    unchanged (``cache=False`` runs and renders everything). Citations are resolved against
    ``bibliography_path`` (default ``data/references.yml``) and each page lists its references.
    The answer key of a language holds that language's narrative only.
    """
    stream = stream or sys.stderr
    langs = _langs(lang, list(i18n.LANGS))
    if profile is not None:
        runs = plan(load_profile(profile, profiles_dir), notebooks_dir, langs)
    else:
        runs = []
        for lg in langs:
            for number, chapter in enumerate(discover(project_path(notebooks_dir)), 1):
                declared = notebook_parameters(chapter.notebook)
                params = {"lang": lg} if "lang" in declared else {}
                runs.append(ChapterRun(chapter.name, number, lg, chapter.notebook, params,
                                       declared))
    sources = [r.source for r in runs if r.lang == langs[0]]  # the report's, in its order
    if not sources:
        raise BuildError(f"no chapter notebooks (NN_name.ipynb) in {notebooks_dir}.")
    bib_path = Path(bibliography_path or default_bibliography())
    bib = bibliography.load(bib_path)
    out = Path(out)
    store = resolve_cache(cache)
    fingerprints = Fingerprints(cwd=Path.cwd())
    made: dict[str, dict[str, list[Path]]] = {}
    with OutputFolder(out, stream if progress else None) as folder:
        build_dir = folder.new_build()
        try:
            results = execute_all(runs, {lg: build_dir / lg for lg in langs}, jobs=jobs,
                                  cwd=Path.cwd(), progress=Progress(runs, stream, progress),
                                  cache=store, fingerprints=fingerprints)
            bad = [r for r in results if not r.ok]
            if bad or len(results) < len(runs):
                raise BuildError("answer keys failed:\n" + "\n".join(r.describe_failure()
                                                                    for r in bad))
            by_key = {(r.run.lang, r.run.chapter): r for r in results}
            todo: dict[str, tuple[Path, Path]] = {}
            to_store: list[tuple[str, dict[str, Path]]] = []
            for lg in langs:
                student_dir, answer_dir = build_dir / lg / "student", build_dir / lg / "answers"
                student_dir.mkdir(parents=True)
                (build_dir / lg / "executed").rename(answer_dir)
                made[lg] = {"student": [], "answers": []}
                for number, src in enumerate(sources, 1):
                    nb = nbformat.read(src, as_version=4)
                    student = student_notebook(nb, lg)
                    spath = student_dir / src.name
                    nbformat.write(student, spath)
                    apath = answer_dir / src.name
                    answer = answer_notebook(nbformat.read(apath, as_version=4), lg)
                    nbformat.write(answer, apath.with_suffix(".tmp"))
                    os.replace(apath.with_suffix(".tmp"), apath)
                    (answer_dir / f"{src.stem}.log").unlink(missing_ok=True)
                    (answer_dir / f"{src.stem}.parameters.yml").unlink(missing_ok=True)
                    made[lg]["student"].append(spath)
                    made[lg]["answers"].append(apath)
                    for path, kind in ((spath, "student"), (apath, "answers")):
                        word = {"student": {"zh": "学生版", "en": "student"},
                                "answers": {"zh": "答案", "en": "answer key"}}[kind][lg]
                        title = f"{asm.source_title(src, lg) or src.stem} ({word})"
                        files = {"page.html": path.with_suffix(".html")}
                        if pdf:
                            files["page.pdf"] = path.with_suffix(".pdf")
                        made[lg][kind] += list(files.values())
                        made_from = (source_digest(src) if kind == "student"
                                     else by_key[(lg, src.stem)].key)
                        rkey = (fingerprints.render(kind="handout", page=kind, lang=lg,
                                                    number=number, title=title,
                                                    made_from=made_from,
                                                    bibliography=file_digest(bib_path))
                                if store is not None and made_from else None)
                        entry = store.get("renders", rkey, needs=files) if rkey else None
                        if entry is not None and all(store.copy_out(entry, n, p)
                                                     for n, p in files.items()):
                            continue
                        files["page.html"].write_text(
                            _handout_html(path, lg, number, title, bib), encoding="utf-8")
                        if pdf:
                            todo[f"{lg}/{kind}/{src.stem}"] = (files["page.html"],
                                                               files["page.pdf"])
                        if rkey:
                            to_store.append((rkey, files))
            if todo:
                _write_pdfs(todo, jobs)
            for rkey, files in to_store:
                store.put("renders", rkey, files, meta={"handout": str(files["page.html"].name)})
            folder.publish(build_dir, langs)
        except BaseException:
            folder.discard(build_dir)
            raise
    made = {lg: {k: [out / lg / p.relative_to(build_dir / lg) for p in v]
                 for k, v in kinds.items()} for lg, kinds in made.items()}
    if progress:
        print(f"crmlab handouts: done → {out}", file=stream)
    return made
