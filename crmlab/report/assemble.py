"""Assemble executed notebooks into one thesis-style HTML document (never recomputing).

The inputs are the outputs of :mod:`crmlab.notebook` helpers, found by their ``crmlab``
metadata: figures (PNG), tables (JSON data), findings, keywords and data ledgers. Narrative
is the markdown cells tagged with the report's language (``lang-zh`` / ``lang-en``); cells
tagged ``exercise`` or ``solution``, and the markdown cells right before a ``solution`` cell
(the exercise prompt), stay out of the thesis. Every data-derived string is
HTML-escaped here; raw HTML produced by a notebook is never copied into the report.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import nbformat
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from .. import i18n
from ..notebook import META, TABLE_MIME, parse_parameters
from ..pseudonyms import IDS_MIME, PNG_PSEUDO_MIME, Pseudonyms
from . import bibliography

TEMPLATES = Path(__file__).parent / "templates"
SKIP_TAGS = {"parameters", "injected-parameters", "papermill-error-cell-tag", "exercise",
             "solution", "how-to-run"}  # how-to-run: the chapter's note to students
PACKAGES = ("crmlab", "pandas", "numpy", "scipy", "statsmodels", "scikit-learn", "lifetimes",
            "matplotlib", "seaborn", "ibis-framework", "duckdb", "papermill", "nbconvert",
            "weasyprint", "mplfonts")

i18n.register({
    "report.abstract": {"zh": "摘要", "en": "Abstract"},
    "report.keywords": {"zh": "关键词", "en": "Keywords"},
    "report.toc": {"zh": "目录", "en": "Contents"},
    "report.references": {"zh": "参考文献", "en": "References"},
    "report.appendix": {"zh": "附录：可复现性信息", "en": "Appendix: reproducibility"},
    "report.app.params": {"zh": "运行参数", "en": "Parameters used"},
    "report.app.data": {"zh": "数据台账", "en": "Data ledger"},
    "report.app.env": {"zh": "运行环境", "en": "Environment"},
    "report.chapter": {"zh": "第{n}章", "en": "Chapter {n}"},
    "report.figure": {"zh": "图{c}-{n}", "en": "Figure {c}.{n}"},
    "report.table": {"zh": "表{c}-{n}", "en": "Table {c}.{n}"},
    "report.failed": {"zh": "本章构建失败", "en": "This chapter failed to build"},
    "report.rows_shown": {"zh": "（显示前{k}行，共{n}行）", "en": " (first {k} of {n} rows)"},
    "report.findings_of": {"zh": "{title}：", "en": "{title}: "},
    "report.param": {"zh": "参数", "en": "Parameter"},
    "report.value": {"zh": "取值", "en": "Value"},
    "report.chapter_col": {"zh": "章", "en": "Chapter"},
    "report.item": {"zh": "项目", "en": "Item"},
    "report.built": {"zh": "生成时间", "en": "Built"},
    "report.git": {"zh": "Git 提交", "en": "Git commit"},
    "report.seed": {"zh": "随机种子", "en": "Random seed"},
    "report.profile": {"zh": "配置文件", "en": "Profile"},
    "report.python": {"zh": "Python 版本", "en": "Python"},
    "report.sha": {"zh": "数据文件 SHA-256", "en": "Data file SHA-256"},
    "report.ids": {"zh": "客户编号已假名化（C00001…）；使用 --show-ids 显示原编号。",
                   "en": "Customer ids are pseudonymised (C00001…); use --show-ids to show them."},
    "report.unresolved": {"zh": "未找到", "en": "not found"},
    "report.unresolved_unrun": {"zh": "运行本章后生成", "en": "appears when the chapter is run"},
    "report.source": {"zh": "资料来源：", "en": "Source: "},
    "report.table_part": {"zh": "（续，第{k}/{n}部分）", "en": "(continued, part {k} of {n})"},
})

_XREF = re.compile(r"@(fig|tab):([A-Za-z0-9](?:[A-Za-z0-9_.\-]*[A-Za-z0-9])?)")
_CITE = re.compile(r"\[(@[A-Za-z0-9_:\-]+(?:\s*;\s*@[A-Za-z0-9_:\-]+)*)\]")
_HEAD = re.compile(r"<h([1-4])([^>]*)>(.*?)</h\1>", re.S)


@dataclass
class Chapter:
    name: str
    number: int
    title: str = ""
    blocks: list = field(default_factory=list)  # (kind, payload)
    figures: dict = field(default_factory=dict)  # key -> label
    tables: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)
    keywords: list = field(default_factory=list)
    ledgers: list = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    failed: str | None = None
    sections: list = field(default_factory=list)  # (anchor, label, title)
    html: str = ""
    executed: bool = False  # any code cell has outputs (a student handout has none)
    customer_ids: list = field(default_factory=list)  # registered by data_ledger, in order
    facts: dict = field(default_factory=dict)  # data facts (crmlab.notebook.describe_data)
    lang: str = ""


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _lang_of(tags: set[str]) -> str | None:
    for tag in tags:
        if tag.startswith("lang-"):
            return tag[5:]
    return None


def exercise_prompts(cells) -> set[int]:
    """Indices of the markdown cells right before a ``solution`` cell (its prompt, in both
    languages), so an untagged prompt stays out of the thesis too."""
    out: set[int] = set()
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and "solution" in _tags(cell):
            j = i - 1
            while j >= 0 and cells[j].cell_type == "markdown":
                out.add(j)
                j -= 1
    return out


def read_chapter(path: Path, name: str, number: int, lang: str, *,
                 show_code: bool = False, skip_tags=None) -> Chapter:
    """Collect the blocks of one executed notebook for ``lang`` (nothing is rendered yet).

    Cells tagged with one of ``skip_tags`` (default :data:`SKIP_TAGS`) are left out.
    """
    skip_tags = SKIP_TAGS if skip_tags is None else set(skip_tags)
    nb = nbformat.read(path, as_version=4)
    chapter = Chapter(name=name, number=number)
    chapter.lang = lang
    injected = (nb.metadata.get("papermill") or {}).get("parameters") or {}
    for cell in nb.cells:
        tags = _tags(cell)
        if cell.cell_type == "code" and "parameters" in tags:
            declared = parse_parameters(cell.source)
            chapter.parameters = {k: p.default for k, p in declared.items()}
    chapter.parameters.update(injected)
    prompts = exercise_prompts(nb.cells) if "exercise" in skip_tags else set()
    for i, cell in enumerate(nb.cells):
        tags = _tags(cell)
        if tags & skip_tags or i in prompts:
            continue
        if cell.cell_type == "markdown":
            cell_lang = _lang_of(tags)
            if cell_lang in (None, lang):
                chapter.blocks.append(("markdown", cell.source))
            continue
        if cell.cell_type != "code":
            continue
        if show_code and "remove-input" not in tags and cell.source.strip():
            chapter.blocks.append(("code", cell.source))
        for out in cell.get("outputs", []):
            chapter.executed = True
            _read_output(chapter, out, show_code=show_code)
    return chapter


def _read_output(chapter: Chapter, out, *, show_code: bool) -> None:
    kind = out.get("output_type")
    if kind == "error":
        chapter.blocks.append(("error", f"{out.get('ename')}: {out.get('evalue')}"))
        return
    meta = (out.get("metadata") or {}).get(META)
    data = out.get("data") or {}
    if meta:
        what = meta.get("kind")
        if what == "figure":
            chapter.blocks.append(("figure", {**meta, "png": data.get("image/png", ""),
                                              "png_pseudo": data.get(PNG_PSEUDO_MIME)}))
        elif what == "table":
            chapter.blocks.append(("table", {**meta, "payload": data.get(TABLE_MIME) or {}}))
        elif what == "finding":
            chapter.findings.append(meta)
            chapter.blocks.append(("finding", meta))
        elif what == "keywords":
            chapter.keywords.append(meta.get("words") or {})
        elif what == "ledger":
            chapter.ledgers.append(meta)
            chapter.customer_ids.extend(data.get(IDS_MIME) or [])
        elif what == "narrative":  # generated prose: rendered like the chapter's own markdown
            text = (meta.get("text") or {}).get(chapter.lang or "", "")
            if text:
                chapter.blocks.append(("markdown", text))
        elif what == "facts" and not chapter.facts:
            chapter.facts = dict(meta.get("facts") or {})
        return
    if not show_code:
        return
    if kind == "stream":
        chapter.blocks.append(("output", out.get("text", "")))
    elif "image/png" in data:
        chapter.blocks.append(("image", data["image/png"]))
    elif "text/plain" in data:
        chapter.blocks.append(("output", data["text/plain"]))


def number_items(chapters: list[Chapter], lang: str) -> None:
    """Assign 图c-n / Figure c.n and 表c-n / Table c.n labels and anchors, per chapter."""
    for ch in chapters:
        nf = nt = 0
        for kind, payload in ch.blocks:
            if kind == "figure":
                nf += 1
                label = i18n.t("report.figure", lang, c=ch.number, n=nf)
                ch.figures[payload["key"]] = label
                payload["label"], payload["anchor"] = label, f"fig-{ch.number}-{payload['key']}"
            elif kind == "table":
                nt += 1
                label = i18n.t("report.table", lang, c=ch.number, n=nt)
                ch.tables[payload["key"]] = label
                payload["label"], payload["anchor"] = label, f"tab-{ch.number}-{payload['key']}"


def _resolve(chapters: list[Chapter], current: Chapter, kind: str, key: str):
    """Find a label for ``@kind:key``: the current chapter first, then the others."""
    for ch in [current] + [c for c in chapters if c is not current]:
        table = ch.figures if kind == "fig" else ch.tables
        if key in table:
            return f"{kind}-{ch.number}-{key}", table[key]
    return None


def _markdown():
    import mistune

    return mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])


def _fmt_cell(value, digits: int, percent: bool = False) -> str:
    if percent and isinstance(value, (int, float)) and not isinstance(value, bool):
        from ..narrative import percent as _pct

        return _pct(value)
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ""
        return f"{value:,.{digits}f}" if abs(value) >= 1e4 else f"{value:.{digits}f}"
    if isinstance(value, list):
        return " / ".join(_fmt_cell(v, digits) for v in value)
    return str(value)


# Table layout. Widths are estimated in em of the table's own font: a Latin character is
# about 0.5 em, a CJK (wide) character 1 em, plus 0.8 em of cell padding. Numbers never wrap;
# text wraps at spaces (or between CJK characters) but a text column keeps TEXT_MIN_EM.
PORTRAIT_EM = 58.0   # A4 portrait text width (16.6 cm = 470 pt) at the 8 pt print size
LANDSCAPE_EM = 104.0  # A4 landscape text width (25.7 cm = 728 pt) at the 7 pt wide size
WIDE_COLUMNS = 9     # more columns than this: landscape even if the estimate fits portrait
TEXT_MIN_EM = 8.0    # a wrapping text column is never narrower than this
TEXT_MAX_EM = 16.0   # ... and is not estimated wider than this (it wraps beyond)
_PAD_EM = 0.8


def _text_em(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in text)


def _word_em(text: str) -> float:
    """Width of the longest unbreakable piece (CJK text may break between characters)."""
    words = re.split(r"[\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+", text)
    return max((_text_em(w) for w in words), default=0.0)


def column_widths(head: list[str], body: list[list[tuple[str, bool]]]) -> list[tuple]:
    """Estimated ``(minimum, preferred, wraps)`` width (em) of each column; ``body`` rows hold
    ``(text, is_number)`` cells. A column wraps when a text cell is longer than TEXT_MAX_EM."""
    out = []
    for j, h in enumerate(head):
        cells = [row[j] for row in body if j < len(row)]
        num = max((_text_em(t) for t, is_num in cells if is_num), default=0.0)
        text = [t for t, is_num in cells if not is_num]
        natural = max((_text_em(t) for t in text), default=0.0)
        head_min = _word_em(h)  # headers wrap between words
        wraps = natural > TEXT_MAX_EM
        if wraps:
            low = max(TEXT_MIN_EM, max(_word_em(t) for t in text), num, head_min)
            pref = max(TEXT_MAX_EM, low)
        else:
            low = pref = max(natural, num, head_min)
        out.append((low + _PAD_EM, pref + _PAD_EM, wraps))
    return out


def table_layout(widths: list[tuple]) -> tuple[str, list[list[int]]]:
    """``("normal"|"wide", column groups)`` from :func:`column_widths`.

    A table with more than WIDE_COLUMNS columns, or whose preferred width exceeds the
    portrait text block, is "wide": in print it goes on a landscape page in a smaller font.
    One whose minimum width exceeds even the landscape block is split into column groups,
    each repeating the first column (the index or row label).
    """
    if len(widths) <= WIDE_COLUMNS and sum(w[1] for w in widths) <= PORTRAIT_EM:
        return "normal", [list(range(len(widths)))]
    if sum(w[0] for w in widths) <= LANDSCAPE_EM or len(widths) <= 2:
        return "wide", [list(range(len(widths)))]
    groups, current, used = [], [0], widths[0][0]
    for j in range(1, len(widths)):
        if used + widths[j][0] > LANDSCAPE_EM and len(current) > 1:
            groups.append(current)
            current, used = [0], widths[0][0]
        current.append(j)
        used += widths[j][0]
    groups.append(current)
    return "wide", groups


def render_table(payload: dict, meta: dict, lang: str, ids: Pseudonyms) -> str:
    """An escaped HTML table from a :func:`crmlab.notebook.table_payload`.

    A table wider than the portrait text block (see :func:`table_layout`) is marked
    ``wide``: in print it sits on an A4 landscape page in a 7 pt font, and one too wide for
    that is split into column groups. Number cells never wrap; long text cells keep a
    readable minimum width.
    """
    esc = html.escape
    digits = int(payload.get("digits", 3))
    id_cols = set(payload.get("id_columns") or [])
    pct_cols = set(payload.get("percent_columns") or [])
    columns = payload.get("columns") or []
    show_index = payload.get("show_index", True)
    head = []
    if show_index:
        head.append(" / ".join(n for n in payload.get("index_names") or [] if n) or "")
    head += columns
    body = []  # rows of (text, is_number, is_header)
    for idx, row in zip(payload.get("index") or [], payload.get("data") or []):
        cells = []
        if show_index:
            value = ids(idx) if "__index__" in id_cols else idx
            cells.append((_fmt_cell(value, digits), False, True))
        for col, value in zip(columns, row):
            value = ids(value) if col in id_cols else value
            is_num = isinstance(value, (int, float)) and not isinstance(value, bool)
            cells.append((_fmt_cell(value, digits, col in pct_cols), is_num, False))
        body.append(cells)
    widths = column_widths(head, [[(t, n) for t, n, _ in r] for r in body])
    layout, groups = table_layout(widths)
    text_cols = {j for j, w in enumerate(widths) if w[2]}

    def cell(j, text, is_num, is_head):
        cls = "num" if is_num else ("text" if j in text_cols else "")
        attr = f' class="{cls}"' if cls else ""
        tag = "th" if is_head else "td"
        return f"<{tag}{attr}>{esc(text)}</{tag}>"

    def one_table(cols):
        heads = "".join(('<th class="text">' if j in text_cols else "<th>")
                        + f"{esc(head[j])}</th>" for j in cols)
        rows = "".join("<tr>" + "".join(cell(j, *r[j]) for j in cols if j < len(r)) + "</tr>"
                       for r in body)
        return f"<table><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table>"

    caption = f"{meta['label']} {meta.get('caption', '')}"
    n_rows, shown = payload.get("n_rows", len(body)), len(body)
    if n_rows > shown:
        caption += i18n.t("report.rows_shown", lang, k=shown, n=n_rows)
    note = meta.get("note")
    note_html = (f'<p class="table-note">{esc(i18n.t("report.source", lang))}{esc(note)}</p>'
                 if note else "")
    tables = []
    for g, cols in enumerate(groups):
        if g:
            part = i18n.t("report.table_part", lang, k=g + 1, n=len(groups))
            tables.append(f'<p class="caption table-caption table-part">{esc(part)}</p>')
        tables.append(one_table(cols))
    cls = "table-wrap" if layout == "normal" else "table-wrap wide"
    split = f' data-parts="{len(groups)}"' if len(groups) > 1 else ""
    return (f'<div class="{cls}" id="{esc(meta["anchor"])}"{split}>'
            f'<p class="caption table-caption">{esc(caption)}</p>'
            f'{"".join(tables)}{note_html}</div>')


def render_chapter(ch: Chapter, chapters: list[Chapter], lang: str, ids: Pseudonyms,
                   bib: dict, cited: list[str]) -> None:
    """Fill ``ch.html``, ``ch.title`` and ``ch.sections``."""
    esc = html.escape
    md = _markdown()
    parts = []
    counters = [0, 0, 0]

    def xref(m):
        found = _resolve(chapters, ch, m.group(1), m.group(2))
        if not found:
            # In a chapter that has not been run (a student handout) the figures and tables
            # do not exist yet; in a run chapter a dangling reference is an error to show.
            why, cls = (("report.unresolved", "xref-missing") if ch.executed
                        else ("report.unresolved_unrun", "xref-pending"))
            return (f'<span class="{cls}">{esc(m.group(0))} '
                    f'({esc(i18n.t(why, lang))})</span>')
        return f'<a class="xref" href="#{esc(found[0])}">{esc(found[1])}</a>'

    def cite(m):
        keys = [k.strip()[1:] for k in m.group(1).split(";")]
        known = [k for k in keys if k in bib]
        if not known:
            return esc(m.group(0))
        for k in known:
            if k not in cited:
                cited.append(k)
        if lang == "zh":
            nums = ",".join(str(cited.index(k) + 1) for k in known)
            return f'<sup class="cite"><a href="#ref-{esc(known[0])}">[{nums}]</a></sup>'
        inner = "; ".join(esc(bibliography.cite_author_year(bib[k])) for k in known)
        return f'<a class="cite" href="#ref-{esc(known[0])}">({inner})</a>'

    def heading(m):
        level, text = int(m.group(1)), m.group(3)
        plain = re.sub(r"<[^>]+>", "", text).strip()
        if level == 1 and not ch.title:
            ch.title = html.unescape(plain)
            return ""
        depth = max(0, min(level - 2, 2))
        counters[depth] += 1
        for i in range(depth + 1, 3):
            counters[i] = 0
        number = ".".join(str(x) for x in [ch.number, *counters[:depth + 1]])
        anchor = f"sec-{number.replace('.', '-')}"
        if depth == 0:
            ch.sections.append((anchor, number, html.unescape(plain)))
        tag = f"h{depth + 2}"
        return f'<{tag} id="{anchor}"><span class="secno">{number}</span> {text}</{tag}>'

    for kind, payload in ch.blocks:
        if kind == "markdown":
            text = _CITE.sub(cite, payload)
            text = _XREF.sub(xref, text)
            parts.append(_HEAD.sub(heading, md(text)))
        elif kind == "figure":
            png = (payload.get("png_pseudo") if ids.enabled else None) or payload["png"]
            parts.append(
                f'<figure id="{esc(payload["anchor"])}"><img alt="{esc(payload["label"])}" '
                f'src="data:image/png;base64,{esc(png)}"/>'
                f'<figcaption class="caption">{esc(payload["label"])} '
                f'{esc(payload.get("caption", ""))}</figcaption></figure>')
        elif kind == "table":
            parts.append(render_table(payload["payload"], payload, lang, ids))
        elif kind == "finding":
            text = (payload.get("text") or {}).get(lang, "")
            parts.append(f'<p class="finding">{esc(text)}</p>')
        elif kind == "code":
            parts.append(f'<pre class="code">{esc(payload)}</pre>')
        elif kind == "output":
            parts.append(f'<pre class="output">{esc(ids.text(payload))}</pre>')
        elif kind == "image":
            parts.append(f'<img class="output" alt="" src="data:image/png;base64,{esc(payload)}"/>')
        elif kind == "error":
            parts.append(f'<pre class="error">{esc(ids.text(payload))}</pre>')
    if ch.failed:
        parts.append(f'<div class="failed"><strong>{esc(i18n.t("report.failed", lang))}'
                     f'</strong><pre>{esc(ch.failed)}</pre></div>')
    ch.html = "\n".join(parts)
    if not ch.title:
        ch.title = ch.name


def source_title(source: Path, lang: str) -> str | None:
    """The chapter title from a source notebook (for a chapter that failed to run)."""
    try:
        nb = nbformat.read(source, as_version=4)
    except Exception:
        return None
    for cell in nb.cells:
        if cell.cell_type == "markdown" and _lang_of(_tags(cell)) in (None, lang):
            m = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if m:
                return m.group(1).strip()
    return None


def environment_info() -> dict:
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    commit = "unknown"
    try:
        root = Path(__file__).resolve().parents[2]
        rev = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root,
                             capture_output=True, text=True, timeout=10)
        if rev.returncode == 0:
            commit = rev.stdout.strip()
            dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                   cwd=root, capture_output=True, text=True, timeout=10)
            if dirty.stdout.strip():
                commit += " (+ uncommitted changes)"
    except (OSError, subprocess.SubprocessError):
        pass
    return {"python": sys.version.split()[0], "versions": versions, "commit": commit}


def _env():
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["t"] = lambda key, lang, **kw: i18n.t(key, lang, **kw)
    return env


def assemble(chapters: list[Chapter], *, profile, lang: str, bib: dict,
             show_ids: bool = False, built_at: _dt.datetime | None = None,
             embed_fonts: bool = True, thesis: bool | None = None) -> str:
    """The whole thesis as one self-contained HTML string.

    With ``thesis`` (the default for every profile but a single-notebook handout, whose
    profile is named ``handout``) the chapters are framed as a thesis
    (:mod:`crmlab.report.thesis`): 第1章 绪论 first, the analysis chapters numbered from 2,
    结论与展望 last, a generated abstract opening and, in Chinese, an English ABSTRACT.

    With ``embed_fonts`` (the default) the page carries WOFF2 subsets of its CJK fonts
    (:func:`crmlab.report.fonts.embed_fonts`), so it renders without Chinese system fonts.
    """
    ids = Pseudonyms(enabled=not show_ids)
    for ch in chapters:  # the order data_ledger registered, as the kernels drew figures
        ids.register(ch.customer_ids)
    if thesis is None:
        thesis = getattr(profile, "name", "") != "handout"
    frame = None
    if thesis:
        from . import thesis as _thesis

        chapters, frame = _thesis.frame(list(chapters), profile, lang)
    number_items(chapters, lang)
    cited: list[str] = []
    for ch in chapters:
        render_chapter(ch, chapters, lang, ids, bib, cited)
    entries = bibliography.ordered(bib, cited, lang)
    if lang == "zh":
        refs = [(e.key, bibliography.to_html(bibliography.gbt7714(e))) for e in entries]
    else:
        refs = [(e.key, bibliography.to_html(bibliography.apa(e))) for e in entries]
    keywords = list(dict.fromkeys(
        profile.keywords(lang) + [w for ch in chapters for kw in ch.keywords
                                  for w in kw.get(lang, [])]))
    env_info = environment_info()
    seeds = sorted({str(ch.parameters.get("seed")) for ch in chapters
                    if ch.parameters.get("seed") is not None})
    param_rows = [(f"{ch.number}", k, repr(v)) for ch in chapters
                  for k, v in sorted(ch.parameters.items())]
    built = (built_at or _dt.datetime.now(_dt.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    css = (TEMPLATES / "thesis.css").read_text(encoding="utf-8")
    page = _env().get_template("thesis.html.j2").render(
        lang=lang, profile=profile, chapters=chapters, refs=refs, keywords=keywords,
        css=Markup(css), env=env_info, seeds=seeds, param_rows=param_rows, built=built,
        show_ids=show_ids, Markup=Markup, t=lambda key, **kw: i18n.t(key, lang, **kw),
        abstract_intro=frame.abstract_intro if frame else profile.text("abstract", lang),
        english=frame.english if frame else {}, thesis=bool(frame),
        acknowledgements=profile.text("acknowledgements", lang))
    if embed_fonts:
        from .fonts import embed_fonts as _embed

        page = _embed(page)
    return page


def figure_bytes(html_text: str) -> list[bytes]:
    """The embedded PNG images of a report, in order (for determinism checks)."""
    return [base64.b64decode(m) for m in
            re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html_text)]
