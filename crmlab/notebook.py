"""The runtime contract between the chapter notebooks and the report builder.

A chapter notebook calls a handful of helpers from this module. They validate the parameters
before anything is computed, and they emit figures, tables and findings together with
machine-readable metadata, so that :mod:`crmlab.report` can number, caption and assemble them
*without recomputing anything*.

Notebook conventions
--------------------
Cells, in order:

1. Markdown narrative: every narrative cell exists twice, tagged ``lang-zh`` and ``lang-en``.
   The report keeps only the chosen language; JupyterLab shows both. The first level-1 heading
   (``# ...``) of a chapter is its title, ``##`` headings are its numbered sections.
2. A code cell tagged ``parameters``: typed literals with a trailing comment each, e.g.
   ``n_bins: int = 5  # quantile bins per RFM dimension``. Shared names: ``dataset``,
   ``customer_col``, ``date_col``, ``amount_col``, ``observation_end``, ``calibration_end``,
   ``time_unit``, ``currency``, ``lang``, ``seed``. No derived values in it.
3. (papermill inserts ``injected-parameters`` here.)
4. The setup cell, tagged ``remove-input``::

       import crmlab
       from crmlab import notebook as nb
       ctx = nb.setup(globals(), chapter="02_rfm")

   :func:`setup` reads ``notebooks/02_rfm.ipynb`` to learn the declared parameters and their
   types, and raises :class:`crmlab.errors.ParameterError` (listing the valid parameters) for an
   unknown name, a wrong type, ``calibration_end >= observation_end`` or a bad ``lang``. It also
   registers the CJK font for figures and seeds ``random``/``numpy``. It returns a
   :class:`Context` (``ctx.lang``, ``ctx.seed``, ``ctx.params``, ``ctx.t(key)``...).
5. Analysis cells: short calls into crmlab, then one of

   - ``nb.show_figure(fig)``: ``fig`` made by :func:`crmlab.plots.figure` (key and caption are
     taken from ``fig.crmlab_key`` / ``fig.crmlab_caption``), or pass ``key=``/``caption=``;
   - ``nb.show_table(frame, key, caption)``: the report renders the table itself from the data
     (HTML-escaped, customer ids pseudonymised unless ``--show-ids``);
   - ``nb.finding(key, value, zh="前20%客户贡献了{value:.1%}的收入", en="The top 20% ... {value:.1%}")``:
     a computed finding; the abstract is assembled from the findings, and tests read them with
     :func:`crmlab.report.read_findings`;
   - ``nb.data_ledger(tx, path=...)`` once per data set: the appendix shows the ledger and the
     file's SHA-256;
   - ``nb.keywords(zh=[...], en=[...])``: abstract keywords contributed by the chapter.

6. Exercises: a markdown prompt (both languages; tag it ``exercise`` too), then a code cell
   tagged ``solution``. Handouts replace solution cells with a stub. The thesis leaves out
   solutions, cells tagged ``exercise`` and the markdown cells directly before a solution.

Cross-references and citations in narrative markdown: ``@fig:KEY`` and ``@tab:KEY`` become
"图3-1" / "Figure 3.1" links; ``[@bibkey]`` (or ``[@key1; @key2]``) cites an entry of
``data/references.yml``.

Keys must be unique within a chapter; letters, digits, ``-``, ``_`` and ``.`` only.

Sources
-------
Each chapter is authored as one MyST Markdown notebook, ``notebooks/NN_name.md``, paired by
jupytext (``notebooks/jupytext.toml``) with ``NN_name.ipynb``, which papermill executes. Saving
either file in JupyterLab updates both; after editing the ``.md`` elsewhere, run
``jupytext --sync notebooks/NN_name.md``. :func:`pairing_problems` says when the two disagree.
"""

from __future__ import annotations

import ast
import base64
import datetime as _dt
import hashlib
import html
import io
import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import i18n
from .checks import bound_end, parse_date
from .errors import ParameterError

#: MIME type of a table emitted by :func:`show_table` (JSON, pandas "split" orient).
TABLE_MIME = "application/vnd.crmlab.table+json"
#: Metadata namespace in every output emitted here.
META = "crmlab"
#: Environment variable the builder sets so that :func:`setup` finds the source notebooks.
NOTEBOOKS_ENV = "CRMLAB_NOTEBOOKS_DIR"

_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_LITERAL_TYPES = (str, int, float, bool, list, dict, tuple, type(None))
# Globals IPython / Jupyter put in a user namespace; never parameters.
_IPYTHON_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}

i18n.register({
    "notebook.stub": {"zh": "# 练习：在这里写出你的代码", "en": "# Exercise: write your code here"},
})


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Parameter:
    """One declared parameter of a notebook's ``parameters`` cell."""

    name: str
    default: Any
    annotation: str | None
    help: str = ""

    @property
    def type_name(self) -> str:
        if self.annotation:
            return self.annotation
        return "any" if self.default is None else type(self.default).__name__

    def describe(self) -> str:
        text = f"{self.name}: {self.type_name} = {self.default!r}"
        return f"{text}  # {self.help}" if self.help else text


def parse_parameters(source: str, *, where: str = "parameters cell") -> dict[str, Parameter]:
    """Parse the source of a ``parameters`` cell into ``{name: Parameter}``.

    Every statement must be ``name = literal`` or ``name: type = literal``; the trailing
    comment on the line is the help text.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ParameterError(f"{where}: line {exc.lineno} is not valid Python ({exc.msg}).") from None
    lines = source.splitlines()
    out: dict[str, Parameter] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, annotation, value = node.target.id, ast.unparse(node.annotation), node.value
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name)):
            name, annotation, value = node.targets[0].id, None, node.value
        else:
            raise ParameterError(
                f"{where}: line {node.lineno} is not `name: type = literal`; the parameters "
                "cell may only hold typed literal assignments.")
        try:
            default = ast.literal_eval(value) if value is not None else None
        except ValueError:
            raise ParameterError(
                f"{where}: the default of {name!r} (line {node.lineno}) is not a literal; "
                "move derived values out of the parameters cell.") from None
        last = lines[node.end_lineno - 1]
        comment = last.split("#", 1)[1].strip() if "#" in last else ""
        out[name] = Parameter(name, default, annotation, comment)
    return out


def notebook_parameters(path: str | os.PathLike) -> dict[str, Parameter]:
    """The parameters declared in the notebook at ``path`` (empty if it has no parameters cell)."""
    import nbformat

    path = Path(path)
    if not path.exists():
        raise ParameterError(f"{path}: notebook not found.")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return parse_parameters(cell.source, where=f"{path.name}, parameters cell")
    return {}


def _allowed_types(param: Parameter) -> tuple[tuple[type, ...], bool]:
    """The Python types accepted for ``param`` and whether None is accepted."""
    names = {"int": int, "float": float, "str": str, "bool": bool, "list": list,
             "dict": dict, "tuple": tuple}
    ann = (param.annotation or "").replace(" ", "")
    nullable = param.default is None or "None" in ann or ann.startswith("Optional[")
    found: list[type] = []
    # `list[str]` → list; `Optional[str]`, `str | None`, `Union[int, str]` → their members
    outer = ann if ann.startswith(("Optional[", "Union[")) else re.sub(r"\[.*?\]", "", ann)
    for token in re.findall(r"[A-Za-z_]+", outer):
        if token in names:
            found.append(names[token])
        elif token == "List":
            found.append(list)
        elif token == "Dict":
            found.append(dict)
    if not found and param.default is not None:
        found.append(type(param.default))
    types = tuple(found)
    if float in types:
        types += (int,)
    if list in types:
        types += (tuple,)
    return types, nullable


def check_parameters(values: dict[str, Any], declared: dict[str, Parameter], *,
                     where: str = "notebook") -> dict[str, Any]:
    """Validate ``values`` against ``declared`` and return them, coerced.

    Raises :class:`ParameterError` for an unknown name, a wrong type, a bad ``lang``,
    ``time_unit``, an unparseable date or ``calibration_end >= observation_end``. The message
    lists the valid parameters. Dates given as ``datetime.date`` (YAML does that) become ISO
    strings when the parameter is a string.
    """
    valid = "\n".join("  " + p.describe() for p in declared.values())
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise ParameterError(
            f"{where}: unknown parameter{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(map(repr, unknown))}{did_you_mean(unknown, declared)}. "
            f"Valid parameters:\n{valid}")
    out: dict[str, Any] = {}
    for name, value in values.items():
        param = declared[name]
        if name in DURATION_PARAMETERS and not isinstance(value, str):
            _check_duration(value, name, where)  # `-p horizon=52`: the unit is missing
        types, nullable = _allowed_types(param)
        if isinstance(value, (_dt.date, _dt.datetime)) and str in types:
            value = value.isoformat()
        if value is None and nullable:
            out[name] = None
            continue
        ok = not types or (isinstance(value, types)
                           and not (isinstance(value, bool) and bool not in types))
        if not ok:
            raise ParameterError(
                f"{where}: parameter {name!r} must be {param.type_name}, got "
                f"{type(value).__name__} {value!r}. Valid parameters:\n{valid}")
        if (isinstance(value, int) and not isinstance(value, bool)
                and isinstance(param.default, float)):
            value = float(value)  # `-p rate=1` for a float parameter
        out[name] = value
    _check_semantics({**{n: p.default for n, p in declared.items()}, **out}, where, valid)
    return out


def did_you_mean(unknown, known) -> str:
    """`` (did you mean 'n_bins'?)`` for names close to a known one, else ``""``."""
    import difflib

    hints = [m[0] for u in unknown for m in [difflib.get_close_matches(u, list(known), 1)] if m]
    return f" (did you mean {', '.join(map(repr, hints))}?)" if hints else ""


# parameters that are durations written with their unit ("52W", "12M", "1Y")
DURATION_PARAMETERS = ("horizon", "clv_horizon")


def _check_duration(value, name: str, where: str) -> None:
    from .units import parse_duration

    try:
        parse_duration(value, name)
    except ParameterError as exc:
        raise ParameterError(f"{where}: {exc}") from None


def _check_semantics(merged: dict[str, Any], where: str, valid: str) -> None:
    for name in DURATION_PARAMETERS:
        if merged.get(name) is not None:
            _check_duration(merged[name], name, where)
    if "lang" in merged:
        try:
            i18n.check_lang(merged["lang"])
        except ParameterError as exc:
            raise ParameterError(f"{where}: {exc}") from None
    if merged.get("time_unit") is not None:
        from .units import check_unit

        try:
            check_unit(merged["time_unit"])
        except ParameterError as exc:
            raise ParameterError(f"{where}: {exc}") from None
    dates = {}
    for name in ("calibration_end", "observation_end"):
        value = merged.get(name)
        if value in (None, ""):
            continue
        # pandas reads "June" as 0001-06-01: insist on an ISO date first
        if not re.match(r"^\d{4}-\d{1,2}-\d{1,2}([ T][\d:.]+)?$", str(value).strip()):
            raise ParameterError(f"{where}: {name}={value!r} is not a date; write it as 'YYYY-MM-DD'.")
        dates[name] = parse_date(value, name, where=where)
    # a date means the whole day, a time of day is taken as given (checks.bound_end)
    if len(dates) == 2 and bound_end(dates["calibration_end"]) >= bound_end(dates["observation_end"]):
        raise ParameterError(
            f"{where}: calibration_end ({dates['calibration_end'].date()}) must be before "
            f"observation_end ({dates['observation_end'].date()}); the holdout period lies "
            "between them.")


# --------------------------------------------------------------------------------------------
# Setup and context
# --------------------------------------------------------------------------------------------
@dataclass
class Context:
    """What a chapter knows about its run: parameters, language, seed."""

    chapter: str
    params: dict[str, Any]
    declared: dict[str, Parameter] = field(repr=False, default_factory=dict)

    @property
    def lang(self) -> str:
        return self.params.get("lang", "zh")

    @property
    def seed(self) -> int | None:
        return self.params.get("seed")

    @property
    def customer_col(self) -> str:
        return self.params.get("customer_col") or "customer_id"

    def t(self, key: str, **fmt) -> str:
        """Translate ``key`` into this run's language."""
        return i18n.t(key, self.lang, **fmt)

    def __getitem__(self, name: str):
        return self.params[name]


_CURRENT: Context | None = None
# Customer ids registered by data_ledger in this kernel (pseudonym order; crmlab.pseudonyms).
_IDS = None


def _find_notebook(chapter: str) -> Path:
    name = chapter if chapter.endswith(".ipynb") else f"{chapter}.ipynb"
    candidates = []
    if os.environ.get(NOTEBOOKS_ENV):
        candidates.append(Path(os.environ[NOTEBOOKS_ENV]) / name)
    candidates += [Path.cwd() / name, Path.cwd() / "notebooks" / name,
                   Path(__file__).resolve().parents[1] / "notebooks" / name]
    for path in candidates:
        if path.exists():
            return path
    raise ParameterError(
        f"setup(chapter={chapter!r}): cannot find {name} (looked in "
        f"{', '.join(str(c.parent) for c in candidates)}). Set {NOTEBOOKS_ENV} to the notebooks "
        "folder.")


def _cell_signature(nb) -> list[tuple]:
    """What pairing must preserve: cell type, source and tags (outputs and ids excluded)."""
    return [(c.cell_type, c.source.strip("\n"), tuple(c.metadata.get("tags", []))) for c in nb.cells]


def pairing_problems(directory: str | os.PathLike) -> list[str]:
    """Chapters of ``directory`` whose ``NN_name.md`` text source and ``NN_name.ipynb`` disagree.

    A chapter is a file ``NN_name.md`` or ``NN_name.ipynb`` (two digits, an underscore). Each must
    have its pair, and the two must hold the same cells (type, source, tags). The fix named in each
    message is ``jupytext --sync``, which keeps whichever file was saved last.
    """
    import jupytext
    import nbformat

    directory = Path(directory)
    stems = sorted({p.stem for p in directory.glob("[0-9][0-9]_*") if p.suffix in (".md", ".ipynb")})
    problems = []
    for stem in stems:
        md, ipynb = directory / f"{stem}.md", directory / f"{stem}.ipynb"
        if not md.exists() or not ipynb.exists():
            have, missing = (md, ipynb) if md.exists() else (ipynb, md)
            problems.append(f"{missing} is missing: run `jupytext --sync {have}` (pairing is set in "
                            f"{directory / 'jupytext.toml'}).")
            continue
        if _cell_signature(jupytext.read(md)) != _cell_signature(nbformat.read(ipynb, as_version=4)):
            newer = md if md.stat().st_mtime >= ipynb.stat().st_mtime else ipynb
            problems.append(f"{md.name} and {ipynb.name} hold different cells: run "
                            f"`jupytext --sync {newer}` (it keeps the file saved last, {newer.name}).")
    return problems


def user_parameters(namespace: dict[str, Any]) -> dict[str, Any]:
    """The literal-valued user globals of a notebook namespace (parameter candidates).

    Names starting with ``_``, IPython's own names, modules, functions and other objects are
    not parameters; papermill only ever injects literals.
    """
    return {k: v for k, v in namespace.items()
            if not k.startswith("_") and k not in _IPYTHON_NAMES
            and isinstance(v, _LITERAL_TYPES)}


def setup(namespace: dict[str, Any], chapter: str) -> Context:
    """Validate a chapter's parameters and prepare the run; call it first, with ``globals()``.

    Parameters
    ----------
    namespace : dict
        The notebook's ``globals()``, after the parameters (and papermill's injected cell).
    chapter : str
        The notebook's stem, e.g. ``"02_rfm"``; ``notebooks/<chapter>.ipynb`` is parsed for
        the declared parameters.

    Returns
    -------
    Context

    Raises
    ------
    ParameterError
        Unknown or mistyped parameter, bad ``lang``/``time_unit``/date, or
        ``calibration_end >= observation_end``; the message lists the valid parameters.
        Unknown names are checked on the first call in a kernel (a papermill run); when the
        setup cell is run again interactively, only the declared parameters are re-checked.
    """
    global _CURRENT
    declared = notebook_parameters(_find_notebook(chapter))
    given = user_parameters(namespace)
    if _CURRENT is not None and _CURRENT.chapter == chapter:
        # Re-running the setup cell in JupyterLab: later cells have defined variables of their
        # own by now, so only the declared parameters are checked again.
        given = {k: v for k, v in given.items() if k in declared}
    checked = check_parameters(given, declared, where=f"notebook {chapter}")
    namespace.update(checked)
    params = {name: checked.get(name, p.default) for name, p in declared.items()}
    from .plots import use_cjk_font

    use_cjk_font()
    seed = params.get("seed")
    if isinstance(seed, int):
        import numpy as np

        random.seed(seed)
        np.random.seed(seed)
    _CURRENT = Context(chapter=chapter, params=params, declared=declared)
    global _IDS
    _IDS = None  # a new chapter registers its own data
    return _CURRENT


def current() -> Context | None:
    """The context of the last :func:`setup` call in this kernel (None before setup)."""
    return _CURRENT


def _lang(lang: str | None) -> str:
    if lang is not None:
        return i18n.check_lang(lang)
    return _CURRENT.lang if _CURRENT else "zh"


def _check_key(key: str, what: str) -> str:
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise ParameterError(
            f"{what} key {key!r} is invalid; use letters, digits, '-', '_' or '.', e.g. "
            "'rfm-heatmap'.")
    return key


def _display(data: dict, meta: dict) -> None:
    from IPython.display import display

    display(data, raw=True, metadata={META: meta})


# --------------------------------------------------------------------------------------------
# Display helpers
# --------------------------------------------------------------------------------------------
def figure_png(fig) -> bytes:
    """The figure as PNG bytes, with no volatile metadata (same figure → same bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def show_figure(fig, key: str | None = None, caption: str | None = None) -> None:
    """Display a figure with its key and caption for the report, then close it.

    ``fig`` may be a matplotlib Figure, an Axes or a seaborn grid. Key and caption default to
    ``fig.crmlab_key`` / ``fig.crmlab_caption`` set by :func:`crmlab.plots.figure`.
    """
    import matplotlib.pyplot as plt

    if hasattr(fig, "get_figure") and not hasattr(fig, "savefig"):
        fig = fig.get_figure()
    if not hasattr(fig, "savefig") and hasattr(fig, "figure"):
        fig = fig.figure  # seaborn FacetGrid / PairGrid
    key = key or getattr(fig, "crmlab_key", None)
    caption = caption if caption is not None else getattr(fig, "crmlab_caption", None)
    if key is None or caption is None:
        raise ParameterError("show_figure: the figure has no key/caption; make it with "
                             "crmlab.plots.figure(key, caption) or pass key= and caption=.")
    _check_key(key, "figure")
    png = figure_png(fig)
    data = {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": caption}
    if _IDS is not None and _IDS.map:  # a copy with pseudonyms, for reports without --show-ids
        from .pseudonyms import PNG_PSEUDO_MIME, pseudonymise_figure

        if pseudonymise_figure(fig, _IDS.known):
            data[PNG_PSEUDO_MIME] = base64.b64encode(figure_png(fig)).decode("ascii")
    plt.close(fig)
    _display(data, {"kind": "figure", "key": key, "caption": str(caption)})


def _jsonable(value):
    import numpy as np
    import pandas as pd

    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v != v:
            return None  # NaN: a blank cell
        if v in (float("inf"), float("-inf")):
            return "∞" if v > 0 else "-∞"  # JSON has no infinity
        return v
    if isinstance(value, (pd.Timestamp, _dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, (pd.Timedelta,)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Series, pd.Index)):
        return [_jsonable(v) for v in list(value)]
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _joined_name(levels) -> str:
    """One header for a column of a MultiIndex: its levels joined by " / ", with a level equal
    to the one before it (``("clv", "clv")``, a value beside its ``lower``/``upper``) or empty
    left out."""
    parts: list[str] = []
    for level in map(str, levels):
        if level and (not parts or parts[-1] != level):
            parts.append(level)
    return " / ".join(parts)


def table_payload(frame, *, id_columns=None, customer_col: str = "customer_id",
                  max_rows: int = 60) -> dict:
    """A JSON-serialisable description of ``frame`` (split orient plus id columns).

    At most ``max_rows`` rows are kept; ``n_rows`` records the full length.
    """
    import pandas as pd

    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if hasattr(frame, "summary") and not isinstance(frame, pd.DataFrame):
        frame = frame.summary  # a crmlab result object
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"show_table: expected a DataFrame, got {type(frame).__name__}.")
    index_names = [None if n is None else str(n) for n in frame.index.names]
    show_index = not (isinstance(frame.index, pd.RangeIndex) and frame.index.name is None)
    columns = ([_joined_name(c) for c in frame.columns]
               if isinstance(frame.columns, pd.MultiIndex) else [str(c) for c in frame.columns])
    if id_columns is None:
        id_names = {"customer_id", customer_col}
        id_columns = [c for c in columns if c in id_names]
        if show_index and any(n in id_names for n in index_names if n):
            id_columns.append("__index__")
    n_rows = len(frame)
    frame = frame.iloc[:max_rows]
    index = [_jsonable(list(i) if isinstance(i, tuple) else i) for i in frame.index]
    return {
        "n_rows": n_rows,
        "columns": columns,
        "index_names": index_names,
        "show_index": show_index,
        "index": index,
        "data": [[_jsonable(v) for v in row] for row in frame.itertuples(index=False, name=None)],
        "dtypes": [str(t) for t in frame.dtypes],
        "id_columns": list(id_columns),
    }


def localise(frame, lang: str | None = None):
    """A copy of ``frame`` (DataFrame or Series) with column and index labels in ``lang``.

    Labels are looked up with :func:`crmlab.tables.label` (``col.<name>`` first, then the name
    itself); unknown labels and non-strings are kept. Category names in text columns (e.g. the
    ``outcome`` of a test table) are translated the same way, a key ``<column>.<value>`` taking
    precedence (``source.entropy`` reads 熵权法 where ``entropy`` alone reads 信息熵), and in
    Chinese boolean cells read 是 / 否.
    """
    import pandas as pd

    from .tables import label

    lang = _lang(lang)
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    out = frame.copy()

    def tr(index):
        if isinstance(index, pd.MultiIndex):
            return index.set_levels([lvl.map(lambda v: label(v, lang)) for lvl in index.levels],
                                    verify_integrity=False).set_names(
                [label(n, lang) for n in index.names])
        new = index.map(lambda v: label(v, lang))
        return new.rename(label(index.name, lang))

    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if pd.api.types.is_bool_dtype(col):
            if lang == "zh":
                out.isetitem(i, col.map(lambda v: _BOOL_ZH.get(v, v)).astype(object))
        elif (isinstance(col.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(col)
              or pd.api.types.is_string_dtype(col)):
            values = col.dropna().unique()
            if len(values) and all(isinstance(v, str) for v in values):
                name = out.columns[i]
                mapping = {v: i18n.t(f"{name}.{v}", lang) if i18n.has(f"{name}.{v}") else label(v, lang)
                           for v in values}
                if any(k != v for k, v in mapping.items()):
                    out.isetitem(i, col.map(lambda v: mapping.get(v, v)).astype(object))
    out.columns = tr(out.columns)
    out.index = tr(out.index)
    return out


_BOOL_ZH = {True: "是", False: "否"}


def show_table(frame, key: str | None = None, caption: str | None = None, *, id_columns=None,
               digits: int = 3, note: str | None = None, max_rows: int = 60,
               percent=None) -> None:
    """Display a table with a key and caption; the report renders it from the data.

    Parameters
    ----------
    frame : pandas.DataFrame, Series or crmlab.tables.Table
        Column and index labels are shown in the run's language (through
        :func:`crmlab.tables.label`). A :class:`~crmlab.tables.Table` brings its own key,
        caption and note, each of which the arguments below override.
    key, caption : str
        Stable key (for numbering and ``@tab:key`` references) and the localised caption.
    id_columns : list of str, optional
        Columns holding customer ids (pseudonymised in reports); ``"__index__"`` means the
        index. By default ``customer_id`` (and the run's ``customer_col``) are detected.
    digits : int
        Decimals for floats in the report. NaN shows as a blank cell and ±inf as ∞ / -∞.
    max_rows : int
        Rows shown in the report (the caption says how many there are in all).
    note : str, optional
        A source or note printed under the table.
    percent : list of str or bool, optional
        Columns holding shares, printed by the report as percentages (0.159 → 15.9%). By
        default every column whose name has the word ``share`` (``share_customers``,
        ``value_share``...); ``True`` means every numeric column, ``False`` none.
    """
    import pandas as pd

    from .tables import Table

    lang = _lang(None)
    if isinstance(frame, Table):
        tab = frame
        key = key or tab.key
        caption = caption if caption is not None else tab.caption_in(lang)
        note = note if note is not None else (tab.note_in(lang) or None)
        frame = tab.frame
    elif not isinstance(frame, (pd.DataFrame, pd.Series)) and hasattr(frame, "summary"):
        frame = frame.summary  # a crmlab result object
    if key is None or caption is None:
        raise ParameterError("show_table: give key= and caption= (or pass a crmlab.tables.Table).")
    _check_key(key, "table")
    if not isinstance(frame, (pd.DataFrame, pd.Series)):
        raise ParameterError(f"show_table: expected a DataFrame or Table, got {type(frame).__name__}.")
    ctx = _CURRENT
    customer_col = ctx.customer_col if ctx else "customer_id"
    if id_columns is None:  # detect id columns on the untranslated names
        raw = frame.to_frame() if isinstance(frame, pd.Series) else frame
        names = {"customer_id", customer_col}
        id_columns = [str(c) for c in raw.columns if c in names]
        show_index = not (isinstance(raw.index, pd.RangeIndex) and raw.index.name is None)
        if show_index and any(n in names for n in raw.index.names if n):
            id_columns.append("__index__")
        id_columns = [c if c == "__index__" else str(_label(c, lang)) for c in id_columns]
    raw = frame.to_frame() if isinstance(frame, pd.Series) else frame
    shown = localise(frame, lang)
    payload = table_payload(shown, id_columns=id_columns, customer_col=customer_col,
                            max_rows=max_rows)
    payload["digits"] = int(digits)
    payload["percent_columns"] = _percent_columns(raw, payload["columns"], percent)
    text = f"{caption}\n{shown.to_string(max_rows=30)}"
    html_table = shown.to_html(max_rows=30, escape=True, border=0)  # pandas escapes cell text
    _display({TABLE_MIME: payload, "text/html": f"<p><b>{html.escape(caption)}</b></p>"
              + html_table, "text/plain": text},
             {"kind": "table", "key": key, "caption": str(caption), "note": note})


_SHARE_WORD = re.compile(r"(^|_)share(_|$)")


def _percent_columns(raw, shown_columns: list[str], percent) -> list[str]:
    """The shown (localised) names of the columns of ``raw`` to print as percentages."""
    import pandas as pd

    if percent is False:
        return []
    picked = []
    for j, col in enumerate(raw.columns):
        name = "_".join(map(str, col)) if isinstance(col, tuple) else str(col)
        if percent is True:
            hit = pd.api.types.is_numeric_dtype(raw.iloc[:, j])
        elif percent:
            hit = col in percent or name in percent
        else:
            hit = bool(_SHARE_WORD.search(name))
        if hit and j < len(shown_columns):
            picked.append(shown_columns[j])
    return picked


def _label(name, lang):
    from .tables import label

    return label(name, lang)


def format_finding(template: str, value) -> str:
    """Render a finding template: ``{value}`` (with an optional format spec) is the value."""
    try:
        return template.format(value=value)
    except (ValueError, TypeError, KeyError, IndexError):
        return template.replace("{value}", str(value))


def finding(key: str, value, *, zh: str, en: str, keyword: bool = False):
    """Record a computed finding; the abstract is built from these. Returns ``value``.

    ``zh``/``en`` are templates in which ``{value}`` (format spec allowed, e.g.
    ``{value:.1%}``) is the computed value. The report HTML-escapes the rendered text.
    """
    _check_key(key, "finding")
    if not isinstance(zh, str) or not isinstance(en, str):
        raise ParameterError(f"finding {key!r}: zh= and en= must both be text templates.")
    text = {"zh": format_finding(zh, value), "en": format_finding(en, value)}
    lang = _lang(None)
    _display({"text/markdown": html.escape(text[lang]), "text/plain": text[lang]},
             {"kind": "finding", "key": key, "value": _jsonable(value), "text": text})
    return value


def keywords(*, zh: list[str], en: list[str]) -> None:
    """Contribute abstract keywords (both languages, same length)."""
    if len(zh) != len(en):
        raise ParameterError("keywords: give the same number of zh and en keywords.")
    lang = _lang(None)
    words = {"zh": [str(w) for w in zh], "en": [str(w) for w in en]}
    _display({"text/plain": ", ".join(words[lang])}, {"kind": "keywords", "words": words})


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_ledger(tx, *, path: str | os.PathLike | None = None, name: str | None = None) -> None:
    """Record the data ledger (rows read/kept/dropped) and the data file hash for the appendix."""
    ledger = tx.ledger.to_dict() if hasattr(tx.ledger, "to_dict") else dict(tx.ledger)
    meta = getattr(tx, "meta", {}) or {}
    path = path or meta.get("path") or meta.get("file")
    digest = None
    if path is not None and Path(path).is_file():
        digest = file_sha256(path)
    info = {"kind": "ledger", "name": name or str(ledger.get("source", "")),
            "ledger": _jsonable(ledger), "sha256": digest,
            "file": Path(path).name if path is not None else None,
            "customers": int(tx.frame["customer_id"].nunique()) if hasattr(tx, "frame") else None}
    lang = _lang(None)
    label = {"zh": "数据", "en": "Data"}[lang]
    data = {"text/plain": f"{label}: {info['name']} — {ledger.get('rows_kept', '?')} rows"}
    if hasattr(tx, "frame") and "customer_id" in tx.frame.columns:
        # The customers in pseudonym order: C00001... in figures, tables and raw outputs
        # follow it (crmlab.pseudonyms).
        from .pseudonyms import IDS_MIME, Pseudonyms, registry_order

        global _IDS
        order = registry_order(tx.frame["customer_id"].unique())
        _IDS = _IDS or Pseudonyms()
        _IDS.register(order)
        data[IDS_MIME] = order
    _display(data, info)


# --------------------------------------------------------------------------------------------
# Narrative that follows the data (templates of crmlab/report/text.yml)
# --------------------------------------------------------------------------------------------
def _narrative(key: str, text: dict[str, str]) -> None:
    lang = _lang(None)
    _display({"text/markdown": text[lang], "text/plain": text[lang]},
             {"kind": "narrative", "key": key, "text": text})


def say(*keys: str, **values) -> dict[str, str]:
    """Display generated narrative: the catalogue templates ``keys`` filled with ``values``.

    The templates live in ``crmlab/report/text.yml`` (zh and en, named placeholders); several
    keys are joined into one paragraph. A value may be ``{"zh": ..., "en": ...}``. The report
    renders the text as narrative markdown (headings ``##`` included, so a heading can carry a
    parameter: ``nb.say("rfm.h.scores", n_bins=n_bins)``). Returns the text in both languages.
    """
    from . import narrative

    if not keys:
        raise ParameterError("say: give at least one text key, e.g. nb.say('rfm.method', ...).")
    parts = [narrative.render_all(k, **values) for k in keys]
    sep = {"zh": "", "en": " "}
    text = {lang: sep[lang].join(p[lang] for p in parts) for lang in i18n.LANGS}
    _narrative("+".join(keys), text)
    return text


def describe_data(tx, *, time_unit: str = "W", extra: tuple = ()) -> dict:
    """Display the chapter's generated data paragraph and record the data facts.

    The facts (:func:`crmlab.narrative.data_facts`: data set name, customers, orders, date
    span, calibration/holdout split, time unit, currency) go into the output metadata, where
    the report's introduction and conclusion find them. CDNOW's provenance sentence appears
    only when the data set is CDNOW. ``extra`` keys (e.g. the chapter's simulated cases) are
    appended to the paragraph. Returns the facts.
    """
    from . import narrative

    facts = narrative.data_facts(tx, time_unit=time_unit)
    _display({"text/plain": f"facts: {facts['customers']} customers, {facts['orders']} orders"},
             {"kind": "facts", "facts": _jsonable(facts)})
    keys = ["data.summary"]
    if facts["is_cdnow"]:
        keys.append("data.cdnow")
    elif facts["simulated"]:
        keys.append("data.simulated")
    keys += list(extra)
    say(*keys, **{k: v for k, v in facts.items() if k not in ("is_cdnow", "simulated")})
    return facts
