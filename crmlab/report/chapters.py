"""Chapter discovery: every chapter of a notebooks folder, in file-name order.

A chapter is a notebook ``NN_name.ipynb`` (two digits, an underscore, a name), paired by jupytext
with its text source ``NN_name.md``. :func:`discover` lists them in file-name order, so a new
chapter (``crmlab new-chapter 06_loyalty``) reaches the report and the handouts without a profile
edit; :func:`select` applies a profile's explicit choice (``only:`` / ``exclude:``). The report
(:func:`crmlab.report.plan`) and the handouts (:func:`crmlab.report.handouts`) both use them, so
they always agree on the chapters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParameterError
from ..preflight import READER_OPTIONS

CHAPTER_NAME = re.compile(r"^[0-9]{2}_[A-Za-z0-9][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ChapterSource:
    """One chapter found in a notebooks folder.

    Attributes
    ----------
    name : str
        ``NN_name`` (the file stem), the chapter's key in profiles and ``-p CHAPTER.KEY=VALUE``.
    notebook : Path
        The ``.ipynb`` that is executed.
    text : Path or None
        The paired ``.md`` text source, when there is one.
    """

    name: str
    notebook: Path
    text: Path | None = None


def check_name(name: str) -> str:
    """``name`` when it is a valid chapter name ``NN_name``; a ParameterError naming the fix
    otherwise."""
    if not CHAPTER_NAME.match(str(name)):
        raise ParameterError(
            f"chapter name {name!r} must be two digits, an underscore and a name of letters, "
            f"digits or underscores, e.g. 06_loyalty (the digits set its place in the report).")
    return str(name)


def discover(notebooks_dir: str | Path) -> list[ChapterSource]:
    """Every chapter of ``notebooks_dir``, in file-name order.

    Raises
    ------
    ParameterError
        When the folder does not exist, or a text source ``NN_name.md`` has no notebook yet (the
        message names the ``jupytext --sync`` command that makes it).
    """
    directory = Path(notebooks_dir)
    if not directory.is_dir():
        raise ParameterError(f"notebooks folder {directory} does not exist; pass the folder that "
                             f"holds the NN_name.ipynb chapters (notebooks_dir=..., "
                             f"--notebooks DIR).")
    stems = sorted({p.stem for p in directory.glob("[0-9][0-9]_*")
                    if p.suffix in (".ipynb", ".md") and CHAPTER_NAME.match(p.stem)})
    found = []
    for stem in stems:
        notebook, text = directory / f"{stem}.ipynb", directory / f"{stem}.md"
        if not notebook.exists():
            raise ParameterError(f"chapter {stem}: {text} has no notebook {notebook.name} yet; "
                                 f"run `jupytext --sync {text}` to make it.")
        found.append(ChapterSource(stem, notebook, text if text.exists() else None))
    return found


def _names(value, what: str, where: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable) or isinstance(value, dict):
        raise ParameterError(f"{where}: `{what}` must be a list of chapter names, e.g. "
                             f"`{what}: [02_rfm, 03_clv]`.")
    return [str(v) for v in value]


def select(found: list[ChapterSource], *, parameters=None, only=None, exclude=None,
           where: str = "profile", directory: str | Path | None = None) -> list[ChapterSource]:
    """The chapters a profile builds: every chapter ``found``, or those in ``only``, minus
    ``exclude``, always in file-name order.

    ``parameters`` (chapter → its parameters) never restricts the selection; each chapter it,
    ``only`` or ``exclude`` names must exist (a ParameterError lists the chapters found).
    """
    names = [c.name for c in found]
    only, exclude = _names(only, "only", where), _names(exclude, "exclude", where) or []
    for what, listed in (("chapters", list(parameters or {})), ("only", only or []),
                         ("exclude", exclude)):
        unknown = [n for n in listed if n not in names]
        if unknown:
            folder = Path(directory) if directory is not None else None
            missing = folder / f"{unknown[0]}.ipynb" if folder else f"{unknown[0]}.ipynb"
            raise ParameterError(f"{where}: `{what}` names chapter {unknown[0]!r}, which has no "
                                 f"notebook {missing}; chapters found: "
                                 f"{', '.join(names) or 'none'}.")
    chosen = [c for c in found if (only is None or c.name in only) and c.name not in exclude]
    if not chosen:
        raise ParameterError(f"{where}: no chapter to build (found: {', '.join(names) or 'none'}"
                             f"; only: {only}, exclude: {exclude}). Add a chapter with "
                             f"`crmlab new-chapter NN_name`, or loosen `only`/`exclude`.")
    return chosen


# --------------------------------------------------------------------------------------------
# the opening "how to run" cells
# --------------------------------------------------------------------------------------------
HOW_TO_RUN_TAG = "how-to-run"
HOW_TO_RUN = {
    "zh": "**如何运行本章。** 在 JupyterLab 中打开本章（`make lab`），选择菜单“运行 → 运行全部单元格”。"
          "要换数据或改分析，只改下面的参数单元格：每行一个参数，`#` 后面是它的说明。例如改为 "
          "`dataset: str = \"cdnow-sample\"` 先用小样本试运行，或把 `dataset` 设为你自己的交易文件路径，"
          "然后重新运行全部单元格。也可以在命令行运行：`crmlab run {name} -p dataset=cdnow-sample`。"
          "设置与数据加载单元格已折叠，点击单元格左侧的竖条即可展开。",
    "en": "**How to run this chapter.** Open it in JupyterLab (`make lab`) and choose Run → Run All "
          "Cells. To use other data or change the analysis, edit only the parameters cell below: one "
          "parameter per line, explained after its `#`. For example, write "
          "`dataset: str = \"cdnow-sample\"` for a quick trial on the sample, or set `dataset` to the "
          "path of your own transaction file, then run all cells again. From the command line: "
          "`crmlab run {name} -p dataset=cdnow-sample`. The setup and data-loading cells are "
          "collapsed; click the bar at the left of a cell to expand it.",
}


def how_to_run(name: str, lang: str) -> str:
    """The text of a chapter's opening "how to run" cell in ``lang`` (the cell is tagged
    ``how-to-run``: shown in the notebook and the handouts, left out of the thesis)."""
    return HOW_TO_RUN[lang].format(name=name)


# --------------------------------------------------------------------------------------------
# crmlab new-chapter
# --------------------------------------------------------------------------------------------
TEMPLATE = Path(__file__).parent / "templates" / "chapter.md"
PAIRING = ('# Each chapter is a MyST Markdown notebook (NN_name.md) paired with NN_name.ipynb.\n'
           'formats = "ipynb,md:myst"\nnotebook_metadata_filter = "kernelspec,-jupytext"\n'
           'cell_metadata_filter = "tags,jupyter,-all"\n')


def chapter_text(name: str) -> str:
    """The MyST Markdown text of a new chapter ``name`` from the template."""
    name = check_name(name)
    topic = name.split("_", 1)[1].replace("_", " ").strip().capitalize()
    return (TEMPLATE.read_text(encoding="utf-8").replace("__NAME__", name)
            .replace("__TOPIC__", topic)
            .replace("__HOWTO_ZH__", how_to_run(name, "zh"))
            .replace("__HOWTO_EN__", how_to_run(name, "en")))


def sync(text_source: Path) -> Path:
    """``jupytext --sync`` one text source (pairing from the folder's ``jupytext.toml``);
    returns the paired ``.ipynb``."""
    from jupytext.cli import jupytext as jupytext_cli

    jupytext_cli(["--sync", "--quiet", str(text_source)])
    return text_source.with_suffix(".ipynb")


def new_chapter(name: str, notebooks_dir: str | Path = "notebooks") -> tuple[Path, Path]:
    """Scaffold chapter ``name`` (``NN_name``) in ``notebooks_dir`` from the template.

    Writes ``NN_name.md`` (the text source) and its paired ``NN_name.ipynb``: the shared
    parameters cell, collapsed setup and load cells, a zh/en narrative pair, a table, a figure,
    findings, and an exercise with its solution. The folder gets a ``jupytext.toml`` when it has
    none. Returns the two paths.

    Raises
    ------
    ParameterError
        For a bad name, a missing folder, or a chapter that exists already (nothing is
        overwritten).
    """
    name = check_name(name)
    directory = Path(notebooks_dir)
    if not directory.is_dir():
        raise ParameterError(f"notebooks folder {directory} does not exist; create it or pass "
                             f"the folder of the chapters (new_chapter(notebooks_dir=...), "
                             f"--notebooks DIR).")
    taken = [p for p in (directory / f"{name}.md", directory / f"{name}.ipynb") if p.exists()]
    if taken:
        raise ParameterError(f"chapter {name} exists already ({taken[0]}); choose another name, "
                             f"e.g. the next free number.")
    config = directory / "jupytext.toml"
    if not config.exists():
        config.write_text(PAIRING, encoding="utf-8")
    text_source = directory / f"{name}.md"
    text_source.write_text(chapter_text(name), encoding="utf-8")
    try:
        notebook = sync(text_source)
    except BaseException:
        text_source.unlink(missing_ok=True)
        text_source.with_suffix(".ipynb").unlink(missing_ok=True)
        raise
    return text_source, notebook


# --------------------------------------------------------------------------------------------
# conventions every chapter follows (checked without running anything)
# --------------------------------------------------------------------------------------------
# The reader options (encoding, sheet, date_format, decimal, timezone) are pre-flight's list:
# what a chapter declares and passes to crmlab.datasets.load is what pre-flight checks.
SHARED_PARAMETERS = ("dataset", "customer_col", "date_col", "amount_col", *READER_OPTIONS,
                     "observation_end", "calibration_end", "time_unit", "currency", "lang", "seed")
LOAD_ARGUMENTS = ("customer_col", "date_col", "amount_col", *READER_OPTIONS, "observation_end",
                  "calibration_end", "currency", "n_simulated", "seed")
# Frame manipulation that belongs in crmlab, not in a chapter (calls into crmlab are fine).
FRAME_METHODS = ("groupby", "apply", "agg", "aggregate", "transform", "pivot_table", "sample")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_REFS = re.compile(r"@(?:fig|tab):[\w.\-]*\w|@[a-z]+\d{4}\w*")
_CITES = re.compile(r"@([a-z]+\d{4}\w*)")


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _lang_tags(cell) -> list[str]:
    return [t for t in _tags(cell) if t.startswith("lang-")]


def convention_problems(notebook: str | Path, *, references: str | Path | None = None
                        ) -> dict[str, list[str]]:
    """The conventions a chapter notebook breaks, by convention (empty lists when it follows
    them). Nothing is executed.

    Conventions (see ``notebooks/README.md``, "Writing a chapter"):

    ``parameters``
        The first code cell, and only it, is tagged ``parameters``; it declares the shared
        parameters (:data:`SHARED_PARAMETERS`), each with a type and a ``#`` comment that
        papermill reads too; ``time_unit``'s comment lists the valid units.
    ``setup``
        The second code cell is ``nb.setup(globals(), chapter="NN_name")``, the third loads the
        data with ``crmlab.datasets.load(dataset, ...)``, passing it the parameters of
        :data:`LOAD_ARGUMENTS` (the column names, the reader options ``encoding`` ...
        ``timezone``, the period bounds...); both are tagged ``remove-input`` and collapsed in
        JupyterLab (``jupyter.source_hidden``).
    ``narrative``
        Every markdown cell has one ``lang-zh``/``lang-en`` tag; a zh cell (with Chinese) is
        followed by its en twin (without), with the same citations and cross-references; the
        chapter opens with its title pair then a ``how-to-run`` pair.
    ``code``
        Code cells define nothing (no ``def``, ``class``, ``lambda``) and hold no frame
        arithmetic (that belongs in crmlab); outputs are not saved.
    ``exercises``
        At least one exercise; each ``solution`` code cell follows its zh and en prompts,
        tagged ``exercise``.
    ``findings``
        The chapter records findings (``nb.finding``) and keywords (``nb.keywords``).
    ``citations``
        Every ``[@key]`` cited is in ``data/references.yml``.
    """
    import ast

    import nbformat
    import yaml

    from ..notebook import notebook_parameters
    from ..units import UNITS

    path = Path(notebook)
    name = path.stem
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    code = [c for c in cells if c.cell_type == "code"]
    md = [c for c in cells if c.cell_type == "markdown"]
    out: dict[str, list[str]] = {k: [] for k in ("parameters", "setup", "narrative", "code",
                                                  "exercises", "findings", "citations")}

    # parameters
    p = out["parameters"]
    if not code or "parameters" not in _tags(code[0]):
        p.append("the first code cell must be the one tagged `parameters`.")
    n_param = sum("parameters" in _tags(c) for c in cells)
    if n_param != 1:
        p.append(f"{n_param} cells are tagged `parameters`; exactly one must be.")
    declared = notebook_parameters(path) if n_param else {}
    missing = [s for s in SHARED_PARAMETERS if s not in declared]
    if n_param and missing:
        p.append(f"the parameters cell lacks the shared parameters {missing}; copy them from "
                 f"another chapter (or from `crmlab new-chapter`).")
    for pname, param in declared.items():
        if not (param.annotation and param.help):
            p.append(f"parameter {pname} needs a type and a `#` comment, e.g. "
                     f"`{pname}: int = 5  # what it does`.")
    if declared:
        import papermill

        inferred = papermill.inspect_notebook(str(path))
        if set(inferred) != set(declared):
            p.append(f"papermill reads the parameters {sorted(inferred)}, crmlab reads "
                     f"{sorted(declared)}: write one `name: type = value  # comment` per line.")
    if "time_unit" in declared:
        listed = set(re.findall(r'"([A-Z])"', declared["time_unit"].help or ""))
        if listed != set(UNITS):
            p.append(f"time_unit's comment must list the valid units {sorted(UNITS)}.")

    # setup and load cells
    s = out["setup"]
    setup_call = f'nb.setup(globals(), chapter="{name}")'
    if len(code) < 3:
        s.append("a chapter needs the parameters, setup and load cells first.")
    else:
        if setup_call not in code[1].source:
            s.append(f"the second code cell must call `{setup_call}`.")
        load = code[2].source
        if "crmlab.datasets.load(dataset," not in load or "require_amount=True" not in load:
            s.append("the third code cell must load the data with "
                     "`crmlab.datasets.load(dataset, ..., require_amount=True)`.")
        absent = [a for a in LOAD_ARGUMENTS if f"={a}" not in load]
        if absent:
            s.append(f"the load cell must pass the parameters {absent} to crmlab.datasets.load; "
                     f"copy the call from another chapter (or from `crmlab new-chapter`).")
        for i, cell in ((2, code[1]), (3, code[2])):
            if "remove-input" not in _tags(cell):
                s.append(f"code cell {i} (setup/load) must be tagged `remove-input`.")
            if not cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"):
                s.append(f"code cell {i} (setup/load) must be collapsed in JupyterLab: metadata "
                         f"`jupyter: {{source_hidden: true}}`.")
    if any("read_transactions" in c.source or "load_cdnow" in c.source for c in code):
        s.append("load data only through crmlab.datasets.load (not read_transactions or "
                 "load_cdnow).")

    # narrative
    n = out["narrative"]
    for i, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            continue
        if len(_lang_tags(cell)) != 1:
            n.append(f"markdown cell {i + 1} needs exactly one tag lang-zh or lang-en.")
        elif "lang-zh" in _tags(cell):
            nxt = cells[i + 1] if i + 1 < len(cells) else None
            if nxt is None or nxt.cell_type != "markdown" or "lang-en" not in _tags(nxt):
                n.append(f"markdown cell {i + 1} (zh) must be followed by its en twin.")
                continue
            if not _CJK.search(cell.source) or _CJK.search(nxt.source):
                n.append(f"cells {i + 1}/{i + 2}: the zh cell holds Chinese, its en twin none.")
            if sorted(_REFS.findall(cell.source)) != sorted(_REFS.findall(nxt.source)):
                n.append(f"cells {i + 1}/{i + 2}: zh and en cite and cross-reference "
                         f"differently.")
    if len(md) < 4 or not (md[0].source.startswith("# ") and md[1].source.startswith("# ")):
        n.append("the chapter opens with its title, `# ...`, in zh then en.")
    elif not all(HOW_TO_RUN_TAG in _tags(c) for c in md[2:4]):
        n.append(f"after the title, a zh/en pair tagged `{HOW_TO_RUN_TAG}` tells a student how "
                 f"to run the chapter and where to change parameters.")

    # code
    c_ = out["code"]
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            c_.append(f"code cell {i + 1} has saved outputs; clear them (nbstripout).")
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as exc:
            c_.append(f"code cell {i + 1} is not valid Python: {exc.msg}.")
            continue
        if any(isinstance(x, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))
               for x in ast.walk(tree)):
            c_.append(f"code cell {i + 1} defines a function or class: move it into crmlab.")
        if "solution" in _tags(cell):
            continue
        methods = [ast.unparse(x) for x in ast.walk(tree) if isinstance(x, ast.Call)
                   and isinstance(x.func, ast.Attribute) and x.func.attr in FRAME_METHODS]
        arithmetic = [ast.unparse(x) for x in ast.walk(tree) if isinstance(x, (ast.BinOp, ast.Compare))
                      and any(isinstance(side, ast.Subscript) for side in
                              ([x.left, x.right] if isinstance(x, ast.BinOp)
                               else [x.left, *x.comparators]))]
        arithmetic = [a for a in arithmetic if not a.startswith(("ctx.", "{"))]
        if methods or arithmetic:
            c_.append(f"code cell {i + 1}: frame manipulation belongs in crmlab: "
                      f"{methods + arithmetic}.")

    # exercises
    e = out["exercises"]
    solutions = [i for i, c in enumerate(cells) if "solution" in _tags(c)]
    if not solutions:
        e.append("add at least one exercise: zh and en prompts tagged `exercise`, then a code "
                 "cell tagged `solution`.")
    for i in solutions:
        prompts = cells[max(i - 2, 0):i]
        if cells[i].cell_type != "code" or len(prompts) < 2 or not all(
                c.cell_type == "markdown" and "exercise" in _tags(c) for c in prompts):
            e.append(f"solution cell {i + 1} must be a code cell right after its zh and en "
                     f"prompts tagged `exercise`.")

    # findings
    sources = "\n".join(c.source for c in code)
    if "nb.finding(" not in sources:
        out["findings"].append("record the chapter's findings with nb.finding(key, value, zh=..., "
                               "en=...): the abstract is built from them.")
    if "nb.keywords(" not in sources:
        out["findings"].append("give the chapter's keywords with nb.keywords(zh=[...], en=[...]).")

    # citations
    text = "\n".join(c.source for c in md)
    cited = set(_CITES.findall(text))
    if references is None:
        from .builder import default_bibliography

        references = default_bibliography()
    ref_path = Path(references)
    if cited:
        keys = {e_["key"] for e_ in yaml.safe_load(ref_path.read_text(encoding="utf-8")) or []}
        unknown = sorted(cited - keys)
        if unknown:
            out["citations"].append(f"citation keys {unknown} are not in {ref_path}; add them "
                                    f"there.")
    return out
