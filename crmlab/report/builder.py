"""``crmlab build``, ``crmlab handouts`` and ``crmlab run``: orchestration and atomic output.

Everything is written under a temporary folder next to the destination and moved into place
only when the whole language build succeeded, so the previous good report survives a failed
build. A failed build leaves its executed notebooks and logs in ``<lang>.failed/``.
"""

from __future__ import annotations

import copy
import datetime as _dt
import re
import shutil
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import i18n
from ..errors import BuildError, CrmlabError, ParameterError
from ..notebook import META, notebook_parameters
from . import assemble as asm
from . import bibliography
from .chapters import discover
from .execute import Progress, RunResult, execute_all, execute_one
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


def _replace_dir(src: Path, dst: Path) -> None:
    """Move ``src`` to ``dst``, replacing ``dst``; the old one is removed only afterwards."""
    old = None
    if dst.exists():
        old = dst.with_name(f".old-{uuid.uuid4().hex[:8]}-{dst.name}")
        dst.rename(old)
    src.rename(dst)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


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
          progress: bool = True, stream=None) -> BuildResult:
    """Build the thesis report(s) of a profile: papermill runs, then HTML and PDF.

    Returns a :class:`BuildResult`. Raises :class:`ParameterError` for a bad profile or
    parameter (before anything runs) and :class:`BuildError` when a chapter fails (unless
    ``keep_going``) or assembly fails; the message names chapter, cell, error and log.
    """
    import time

    stream = stream or sys.stderr
    t0 = time.perf_counter()
    prof = load_profile(profile, profiles_dir)
    langs = _langs(lang, prof.languages)
    runs = plan(prof, notebooks_dir, langs, overrides)  # validates before anything runs
    bib = bibliography.load(bibliography_path or default_bibliography())
    root = Path(out) / prof.name
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{uuid.uuid4().hex[:8]}"
    dirs = {lg: tmp / lg for lg in langs}
    result = BuildResult(profile=prof.name)
    try:
        if progress:
            print(f"crmlab build: profile {prof.name}, {len(runs)} chapter runs "
                  f"({', '.join(langs)}), {jobs} at a time", file=stream, flush=True)
        result.results = execute_all(runs, dirs, jobs=jobs, keep_going=keep_going,
                                     cwd=Path.cwd(),
                                     progress=Progress(runs, stream, enabled=progress))
        result.seconds["execute"] = time.perf_counter() - t0
        failures = result.failures
        if failures and not keep_going:
            moved = {}
            for lg in {r.run.lang for r in failures}:
                dest = root / f"{lg}.failed"
                if dest.exists():
                    shutil.rmtree(dest)
                dirs[lg].rename(dest)
                moved[lg] = dest
            lines = []
            for r in failures:
                rel = lambda p: moved[r.run.lang] / p.relative_to(dirs[r.run.lang])  # noqa: E731
                r.log, r.output = rel(r.log), rel(r.output)
                lines.append(r.describe_failure())
            raise BuildError("build stopped (use --keep-going to build the other chapters):\n"
                             + "\n".join(lines))
        by_key = {(r.run.lang, r.run.chapter): r for r in result.results}
        built_at = _dt.datetime.now(_dt.timezone.utc)
        t_html = 0.0
        for lg in langs:
            chapters = []
            for run in [r for r in runs if r.lang == lg]:
                res = by_key.get((lg, run.chapter))
                if res is not None and res.ok:
                    ch = asm.read_chapter(res.output, run.chapter, run.number, lg,
                                          show_code=show_code)
                else:
                    ch = asm.Chapter(name=run.chapter, number=run.number,
                                     title=asm.source_title(run.source, lg) or run.chapter,
                                     parameters=dict(run.parameters))
                    ch.failed = (res.describe_failure().replace(str(tmp / lg), str(root / lg))
                                 if res else "not run (an earlier chapter failed)")
                chapters.append(ch)
            t1 = time.perf_counter()
            html_text = asm.assemble(chapters, profile=prof, lang=lg, bib=bib,
                                     show_ids=show_ids, built_at=built_at)
            html_path = dirs[lg] / "thesis.html"
            html_path.write_text(html_text, encoding="utf-8")
            t2 = time.perf_counter()
            t_html += t2 - t1
            result.outputs[lg] = {"html": html_path}
            if progress:
                print(f"  ✓ {lg}: thesis.html ({t2 - t1:.1f} s)", file=stream, flush=True)
        result.seconds["html"] = t_html
        if pdf:
            t3 = time.perf_counter()
            pdfs = {lg: dirs[lg] / "thesis.pdf" for lg in langs}
            _write_pdfs({lg: (result.outputs[lg]["html"], pdfs[lg]) for lg in langs}, jobs)
            for lg in langs:
                result.outputs[lg]["pdf"] = pdfs[lg]
            result.seconds["pdf"] = time.perf_counter() - t3
            if progress:
                print(f"  ✓ thesis.pdf ({', '.join(langs)}): {result.seconds['pdf']:.1f} s",
                      file=stream, flush=True)
        for lg in langs:  # move into place only now, every language complete
            final = root / lg
            _replace_dir(dirs[lg], final)
            shutil.rmtree(root / f"{lg}.failed", ignore_errors=True)
            result.outputs[lg] = {k: final / v.name for k, v in result.outputs[lg].items()}
            for r in result.results:
                if r.run.lang == lg:
                    r.output = final / "executed" / r.output.name
                    r.log = final / "executed" / r.log.name
        result.seconds["total"] = time.perf_counter() - t0
        if progress:
            print(f"crmlab build: done in {result.seconds['total']:.1f} s → {root}"
                  + (f"; {len(result.failures)} chapter(s) FAILED" if result.failures else ""),
                  file=stream, flush=True)
        return result
    except CrmlabError:
        raise
    except Exception as exc:
        raise BuildError(f"assembling the {prof.name} report failed: {type(exc).__name__}: "
                         f"{exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _pdf_from_file(html_path: Path, pdf_path: Path) -> Path:
    from .pdf import write_pdf

    return write_pdf(html_path.read_text(encoding="utf-8"), pdf_path)


def _write_pdfs(todo: dict[str, tuple[Path, Path]], jobs: int) -> None:
    """Render PDFs, in parallel processes when there are several (font subsetting is CPU-bound)."""
    from .pdf import lite_fonts

    lite_fonts()  # make the cached fonts once, before the workers race for them
    if len(todo) > 1 and jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
            list(pool.map(_pdf_from_file, *zip(*todo.values())))
    else:
        for html_path, pdf_path in todo.values():
            _pdf_from_file(html_path, pdf_path)


# --------------------------------------------------------------------------------------------
# crmlab run
# --------------------------------------------------------------------------------------------
def run_chapter(chapter: str, *, overrides: list[str] | None = None,
                notebooks_dir: str | Path = "notebooks", out: str | Path = "reports/runs",
                stream=None) -> RunResult:
    """Execute one notebook (validated ``-p`` parameters) into ``out/<chapter>.ipynb``."""
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
    out = Path(out)
    res = execute_one(run, out / f"{name}.ipynb", out / f"{name}.log", cwd=Path.cwd())
    if not res.ok:
        raise BuildError(res.describe_failure())
    print(f"crmlab run: {name} ok in {res.seconds:.1f} s → {res.output}", file=stream)
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


def handouts(*, lang: str | None = None, out: str | Path = "reports/handouts",
             notebooks_dir: str | Path = "notebooks", jobs: int = 2, pdf: bool = True,
             progress: bool = True, stream=None,
             bibliography_path: str | Path | None = None) -> dict[str, dict[str, list[Path]]]:
    """Student notebooks, executed answer keys and an HTML and PDF of each, per language.

    Layout: ``out/<lang>/student/<chapter>.ipynb|.html|.pdf`` and
    ``out/<lang>/answers/<chapter>.ipynb|.html|.pdf``. Written atomically per language.
    The chapters are those of the report (:func:`crmlab.report.chapters.discover`); citations
    are resolved against ``bibliography_path`` (default ``data/references.yml``) and each page
    lists its references. The answer key of a language holds that language's narrative only.
    """
    stream = stream or sys.stderr
    langs = _langs(lang, list(i18n.LANGS))
    sources = [c.notebook for c in discover(project_path(notebooks_dir))]  # as the report does
    if not sources:
        raise BuildError(f"no chapter notebooks (NN_name.ipynb) in {notebooks_dir}.")
    bib = bibliography.load(Path(bibliography_path or default_bibliography()))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".tmp-{uuid.uuid4().hex[:8]}"
    runs = []
    for lg in langs:
        for number, src in enumerate(sources, 1):
            declared = notebook_parameters(src)
            params = {"lang": lg} if "lang" in declared else {}
            runs.append(ChapterRun(src.stem, number, lg, src, params, declared))
    made: dict[str, dict[str, list[Path]]] = {}
    try:
        results = execute_all(runs, {lg: tmp / lg for lg in langs}, jobs=jobs,
                              cwd=Path.cwd(), progress=Progress(runs, stream, progress))
        bad = [r for r in results if not r.ok]
        if bad or len(results) < len(runs):
            raise BuildError("answer keys failed:\n" + "\n".join(r.describe_failure()
                                                                for r in bad))
        todo: dict[str, tuple[Path, Path]] = {}
        for lg in langs:
            student_dir, answer_dir = tmp / lg / "student", tmp / lg / "answers"
            student_dir.mkdir(parents=True)
            (tmp / lg / "executed").rename(answer_dir)
            made[lg] = {"student": [], "answers": []}
            for number, src in enumerate(sources, 1):
                nb = nbformat.read(src, as_version=4)
                student = student_notebook(nb, lg)
                spath = student_dir / src.name
                nbformat.write(student, spath)
                apath = answer_dir / src.name
                nbformat.write(answer_notebook(nbformat.read(apath, as_version=4), lg), apath)
                (answer_dir / f"{src.stem}.log").unlink(missing_ok=True)
                (answer_dir / f"{src.stem}.parameters.yml").unlink(missing_ok=True)
                made[lg]["student"].append(spath)
                made[lg]["answers"].append(apath)
                for path, kind in ((spath, "student"), (apath, "answers")):
                    word = {"student": {"zh": "学生版", "en": "student"},
                            "answers": {"zh": "答案", "en": "answer key"}}[kind][lg]
                    title = f"{asm.source_title(src, lg) or src.stem} ({word})"
                    html_path = path.with_suffix(".html")
                    html_path.write_text(_handout_html(path, lg, number, title, bib),
                                         encoding="utf-8")
                    made[lg][kind].append(html_path)
                    if pdf:
                        todo[f"{lg}/{kind}/{src.stem}"] = (html_path, path.with_suffix(".pdf"))
                        made[lg][kind].append(path.with_suffix(".pdf"))
        if todo:
            _write_pdfs(todo, jobs)
        for lg in langs:
            _replace_dir(tmp / lg, out / lg)
            made[lg] = {k: [out / lg / p.relative_to(tmp / lg) for p in v]
                        for k, v in made[lg].items()}
        if progress:
            print(f"crmlab handouts: done → {out}", file=stream)
        return made
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
