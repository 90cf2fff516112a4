"""The report builder: papermill runs → thesis HTML/PDF, failures, atomicity, handouts.

The five real chapters are written elsewhere; these tests build two tiny chapters that follow
the notebook conventions of :mod:`crmlab.notebook` and call real crmlab code (the CDNOW sample
and a matplotlib figure). One build in both languages (with PDF) is shared by most tests.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import nbformat
import pytest

from crmlab.errors import BuildError, ParameterError
from crmlab.report import build, handouts, load_profile, plan, read_findings
from crmlab.report.assemble import figure_bytes
from crmlab.report.chapters import discover

from _chapters import SOLUTION_MARKER, TITLE_EN, TITLE_ZH, make_alpha, make_beta

pytestmark = pytest.mark.slow  # chapters executed or reports built: scheduled first (conftest.py)

PROFILE = {
    "name": "tiny",
    "title": {"zh": TITLE_ZH, "en": TITLE_EN},
    "author": {"zh": "测试作者", "en": "Test Author"},
    "institution": {"zh": "测试大学", "en": "Test University"},
    "date": "2026",
    "keywords": {"zh": ["客户价值"], "en": ["customer value"]},
    "parameters": {"seed": 42},
    "chapters": {"01_alpha": {}, "02_beta": {}},
}


def strip_volatile(text: str) -> str:
    """Drop the build time; also the git commit, since other sessions commit to this work
    tree while the tests run (the commit is an input that may legitimately change)."""
    text = re.sub(r'<span class="volatile"[^>]*>.*?</span>', "", text)
    return re.sub(r"(Git 提交|Git commit)</th><td>[^<]*", r"\1</th><td>", text)


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return unicodedata.normalize("NFKC", "".join(p.extract_text() or "" for p in reader.pages))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    nbdir = root / "notebooks"
    nbdir.mkdir()
    make_alpha(nbdir)
    make_beta(nbdir)
    return root


@pytest.fixture(scope="module")
def built(project):
    """One build of the tiny profile, both languages, HTML and PDF."""
    result = build(PROFILE, lang="all", jobs=2, out=project / "out",
                   notebooks_dir=project / "notebooks", progress=False)
    return result


def test_build_writes_html_and_pdf_in_both_languages(built, project):
    assert built.ok
    for lang in ("zh", "en"):
        files = built.outputs[lang]
        assert files["html"] == project / "out" / "tiny" / lang / "thesis.html"
        assert files["html"].stat().st_size > 10_000
        assert files["pdf"].read_bytes()[:5] == b"%PDF-"
        executed = project / "out" / "tiny" / lang / "executed"
        assert (executed / "01_alpha.ipynb").exists() and (executed / "01_alpha.log").exists()
    assert not list((project / "out" / "tiny").glob(".tmp-*"))


def test_html_has_numbered_figures_toc_references_and_crossrefs(built):
    zh = built.outputs["zh"]["html"].read_text(encoding="utf-8")
    en = built.outputs["en"]["html"].read_text(encoding="utf-8")
    assert "图2-1 客户消费金额分布" in zh and "表2-1 消费最高的客户" in zh
    assert "Figure 2.1 Distribution of spend per customer" in en and "Table 2.1 Top customers" in en
    # the cross-references link to the numbered items, also across chapters
    assert zh.count('href="#fig-2-spend">图2-1</a>') == 2
    assert en.count('href="#tab-2-top">Table 2.1</a>') == 1
    assert '<nav class="toc"' in zh and "目录" in zh and 'href="#chapter-2"' in zh
    assert "第3章 第二章标题" in zh and "Chapter 3 Second chapter title" in en
    assert 'href="#sec-2-1"' in zh  # numbered section in the TOC (chapter 1 is the 绪论)
    # references: GB/T 7714 in zh (numbered citation), APA in en (author-year)
    assert "FADER P S, HARDIE B G S, LEE K L." in zh and "[J]. Marketing Science, 2005, 24(2): 275-284" in zh
    # numbered in order of first citation (the 绪论's literature review cites first); the
    # number in the text is the entry's number in the list
    cite = re.search(r'<sup class="cite"><a href="#ref-fader2005counting">\[(\d+)\]</a></sup>', zh)
    assert cite and re.search(rf'<li id="ref-fader2005counting"><span class="refno">\[{cite.group(1)}\]', zh)
    assert "(Fader et al., 2005)" in en and "Fader, P. S., Hardie, B. G. S., &amp; Lee, K. L. (2005)" in en
    # the abstract carries the computed findings and keywords
    findings = read_findings(built.outputs["zh"]["html"].parent / "executed" / "01_alpha.ipynb")
    assert 0 < findings["top_share"] < 1
    assert f"{findings['top_share']:.1%}" in zh.split('id="toc"')[0]
    assert "客户价值；客户集中度" in zh and "customer value; concentration" in en
    # self-contained: no external resources
    assert not re.search(r'(src|href)="(https?:)?//', zh)
    # appendix: parameters, ledger with rows, environment
    for needed in ("A.1 运行参数", "top_share", "读取行数", "6919", "零金额行（保留）", "pandas", "Git"):
        assert needed in zh
    assert "Rows read" in en and "Zero-amount rows (kept)" in en and "rows_read" not in zh


def test_each_report_keeps_only_its_language(built):
    zh = built.outputs["zh"]["html"].read_text(encoding="utf-8")
    en = built.outputs["en"]["html"].read_text(encoding="utf-8")
    assert "中文叙述段落" in zh and "English narrative paragraph" not in zh
    assert "English narrative paragraph" in en and "中文叙述段落" not in en
    assert "This chapter studies" not in zh and "本章考察" not in en
    # exercises and solutions stay out of the thesis
    assert SOLUTION_MARKER not in zh and "练习 1" not in zh and "Exercise 1" not in en


def test_wide_table_goes_on_a_landscape_page_without_breaking_numbers(built):
    """Issue 8: a 12-column table with long text ran off the right edge of A4 portrait."""
    from pypdf import PdfReader

    for lang, caption in (("en", "WIDE_TABLE_X plan"), ("zh", "宽表：各类策略与预算")):
        text = built.outputs[lang]["html"].read_text(encoding="utf-8")
        wide = re.search(r'<div class="table-wrap wide" id="tab-3-plan">(.*?)</div>', text, re.S)
        assert wide, "the 12-column table is not marked wide"
        assert caption in wide.group(1)
        assert '<td class="text">' in wide.group(1)  # long text keeps a minimum width
        assert 'class="num">2,469,135.782<' in wide.group(1)
        assert 'class="table-wrap wide"' not in text.split('id="tab-2-top"')[0][-60:]
        reader = PdfReader(str(built.outputs[lang]["pdf"]))
        pages = [(float(p.mediabox.width), float(p.mediabox.height),
                  unicodedata.normalize("NFKC", p.extract_text() or "")) for p in reader.pages]
        with_table = [(w, h, t) for w, h, t in pages if "2,469,135.782" in t]
        assert with_table, "the wide table's numbers are missing from the PDF (or broken)"
        for w, h, t in with_table:
            assert w > h, "the wide table's page is not landscape"
            assert "11,111,111.019" in t  # the last numeric column is on the page, unbroken
        assert sum(w > h for w, h, _ in pages) == len(with_table)  # nothing else landscape
        # the page of the top-customers table (its pseudonyms are not C00001 in general)
        top = [(w, h) for w, h, t in pages if {"zh": "消费最高的客户", "en": "Top customers"}[lang] in t]
        assert top and all(w < h for w, h in top)  # narrow tables stay portrait


def test_table_layout_rule():
    from crmlab.report.assemble import column_widths, table_layout

    narrow = column_widths(["a", "b"], [[("1.000", True), ("x", False)]])
    assert table_layout(narrow) == ("normal", [[0, 1]])
    long_text = "word " * 40
    head = ["segment"] + [f"c{i}" for i in range(11)]
    row = ([("General retention", False)] + [("12,345,678.910", True)] * 9
           + [(long_text, False)] * 2)
    layout, groups = table_layout(column_widths(head, [row]))
    assert layout == "wide" and groups == [list(range(12))]
    huge = column_widths(["segment"] + [f"c{i}" for i in range(40)],
                         [[("General retention", False)] + [("12,345,678.910", True)] * 40])
    layout, groups = table_layout(huge)
    assert layout == "wide" and len(groups) > 1
    assert all(g[0] == 0 for g in groups)  # each part repeats the row label
    assert sorted({j for g in groups for j in g}) == list(range(41))


def test_pdf_text_has_chinese_title_and_caption(built):
    text = pdf_text(built.outputs["zh"]["pdf"])
    assert TITLE_ZH in text
    assert "图2-1 客户消费金额分布" in text.replace("\n", "")
    assert "Figure 2.1" in pdf_text(built.outputs["en"]["pdf"])


def test_customer_ids_are_pseudonymised_by_default(built):
    executed = built.outputs["zh"]["html"].parent / "executed" / "01_alpha.ipynb"
    nb = nbformat.read(executed, as_version=4)
    payload = next(o["data"]["application/vnd.crmlab.table+json"] for c in nb.cells
                   if c.cell_type == "code" for o in c.get("outputs", [])
                   if "application/vnd.crmlab.table+json" in o.get("data", {}))
    real_ids = [row[0] for row in payload["data"]]
    assert payload["id_columns"] == ["客户编号"]  # the column's header, in the report's language
    html = built.outputs["zh"]["html"].read_text(encoding="utf-8")
    table = html.split('id="tab-2-top"')[1].split("</table>")[0]
    assert "<th>客户编号</th>" in table
    assert len(re.findall(r"<td>C\d{5}</td>", table)) == len(real_ids)  # crmlab.pseudonyms
    for real in real_ids:
        assert f"<td>{real}</td>" not in table


def test_same_inputs_give_the_same_report(built, project):
    again = build(PROFILE, lang="zh", jobs=2, out=project / "again",
                  notebooks_dir=project / "notebooks", progress=False, pdf=False)
    first = built.outputs["zh"]["html"].read_text(encoding="utf-8")
    second = again.outputs["zh"]["html"].read_text(encoding="utf-8")
    assert figure_bytes(first) == figure_bytes(second) and figure_bytes(first)
    for chapter in ("01_alpha", "02_beta"):
        assert (read_findings(built.outputs["zh"]["html"].parent / "executed" / f"{chapter}.ipynb")
                == read_findings(again.outputs["zh"]["html"].parent / "executed" / f"{chapter}.ipynb"))
    # only the timestamp may differ
    assert strip_volatile(first) == strip_volatile(second)
    assert first != strip_volatile(first)


def test_failed_chapter_stops_build_and_keeps_previous_report(built, project):
    good = built.outputs["zh"]["html"]
    before = good.read_bytes()
    with pytest.raises(BuildError) as err:
        build(PROFILE, lang="zh", overrides=["01_alpha.fail=true"], out=project / "out",
              notebooks_dir=project / "notebooks", progress=False, pdf=False)
    msg = str(err.value)
    assert "chapter 01_alpha (zh) failed" in msg
    assert "cell 6" in msg and "AssertionError: failure requested by the test" in msg
    assert "02_beta" not in msg  # the other chapter ran fine
    log = Path(re.search(r"log: (\S+)", msg).group(1))
    assert log.exists() and log.parent.parent.name == "zh.failed"
    assert "AssertionError" in log.read_text(encoding="utf-8")
    assert good.read_bytes() == before  # the previous good report survives
    assert not list((project / "out" / "tiny").glob(".tmp-*"))


def test_keep_going_marks_the_failure_and_data_text_is_escaped(project):
    """Chapter 2 fails and chapter 1 still builds, with `<script>` in a table value."""
    evil = "<script>alert('x')</script>"
    profile = {**PROFILE, "chapters": {"01_alpha": {"label": evil}, "02_beta": {"fail": True}}}
    res = build(profile, lang="en", keep_going=True, show_ids=True, show_code=True,
                out=project / "kg", notebooks_dir=project / "notebooks", progress=False,
                pdf=False)
    assert [r.run.chapter for r in res.failures] == ["02_beta"]
    html = res.outputs["en"]["html"].read_text(encoding="utf-8")
    assert "This chapter failed to build" in html and "AssertionError" in html
    assert 'class="toc-chapter toc-failed"' in html
    assert "Second chapter title" in html  # the failed chapter keeps its title
    assert "Figure 2.1 Distribution of spend" in html  # chapter 1 (after the 绪论) still built
    # escaping: the value shows as text, and the report holds no live script at all
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<td>C00001</td>" not in html  # --show-ids keeps the real ids
    # --show-code: code cells appear, except the setup cells tagged remove-input
    assert '<pre class="code">totals = tx.frame.groupby(' in html
    assert "nb.setup(globals()" not in html


def test_profile_is_validated_before_anything_runs(project, tmp_path):
    nbdir = project / "notebooks"
    cases = [
        ({**PROFILE, "chapters": {"01_alpha": {"n_bins": 4}}}, [], "unknown parameter 'n_bins'"),
        ({**PROFILE, "chapters": {"01_alpha": {"top_share": "big"}}}, [], "must be float"),
        (PROFILE, ["calibration_end=1999-01-01"], "calibration_end (1999-01-01) must be before"),
        (PROFILE, ["currency=EUR"], "declared by no chapter"),
        ({**PROFILE, "chapters": {"09_missing": {}}}, [], "has no notebook"),
        ({**PROFILE, "parameters": {"lang": "en"}}, [], "--lang"),
    ]
    for profile, over, expected in cases:
        with pytest.raises(ParameterError) as err:
            build(profile, lang="zh", overrides=over, out=tmp_path, notebooks_dir=nbdir,
                  progress=False)
        assert expected in str(err.value)
        assert "Valid parameters" in str(err.value) or expected in ("declared by no chapter",
                                                                   "has no notebook", "--lang",
                                                                   "calibration_end (1999-01-01) must be before")
    assert not any(tmp_path.iterdir())  # nothing ran, nothing written
    runs = plan(load_profile(PROFILE), nbdir, ["en"], ["top_share=0.1", "02_beta.n=5"])
    assert runs[0].parameters == {"seed": 42, "lang": "en", "top_share": 0.1}
    assert runs[1].parameters == {"seed": 42, "lang": "en", "n": 5}


@pytest.mark.parametrize("name", ["cdnow", "bank-case", "distributor-case", "my-data"])
def test_builtin_profiles_load(name):
    root = Path(__file__).resolve().parents[1]
    prof = load_profile(name, root / "reports" / "profiles")
    assert prof.text("title", "zh") and prof.text("title", "en")
    # stock profiles name no chapters: every chapter found is built (issue 13.3)
    assert prof.chapters == {} and prof.only is None and prof.exclude == []
    if name == "my-data":  # its data set is a file the user has not made yet
        return
    runs = plan(prof, root / "notebooks", ["zh", "en"])
    found = [c.name for c in discover(root / "notebooks")]
    assert [r.chapter for r in runs] == found * 2 and len(found) >= 5


def test_handouts_reveal_no_solution(tmp_path):
    nbdir = tmp_path / "handout-nb"
    nbdir.mkdir()
    make_alpha(nbdir)
    made = handouts(None, lang="zh", out=tmp_path / "handouts", notebooks_dir=nbdir,
                    progress=False)  # no profile: the chapter's own defaults
    # the handouts take the chapters the report takes
    assert [p.stem for p in made["zh"]["student"][::3]] == [c.name for c in discover(nbdir)]
    student_nb, student_html, student_pdf = made["zh"]["student"]
    answer_nb, answer_html, answer_pdf = made["zh"]["answers"]
    assert SOLUTION_MARKER not in student_html.read_text(encoding="utf-8")
    solution = next(c.source for c in nbformat.read(nbdir / "01_alpha.ipynb", 4).cells
                    if "solution" in c.metadata.get("tags", []))
    student_raw = student_nb.read_text(encoding="utf-8")
    for line in solution.splitlines():
        assert line.strip() not in student_raw
    assert SOLUTION_MARKER not in student_raw and SOLUTION_MARKER not in pdf_text(student_pdf)
    assert "在这里写出你的代码" in student_raw
    student = nbformat.read(student_nb, 4)
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
    assert any("parameters" in c.metadata.get("tags", []) for c in student.cells)
    assert not any("lang-en" in c.metadata.get("tags", []) for c in student.cells)
    # the answer key is executed and has the solution and its output
    answer_raw = answer_nb.read_text(encoding="utf-8")
    assert SOLUTION_MARKER in answer_raw and SOLUTION_MARKER in pdf_text(answer_pdf)
    assert read_findings(answer_nb)["top_share"] > 0
    # the student version has no findings yet: no empty abstract page, and none in its contents;
    # the answer key has its abstract
    assert 'id="abstract"' not in student_html.read_text(encoding="utf-8")
    # its references to figures are not "not found" errors but "appear when run"
    assert "运行本章后生成" in student_html.read_text(encoding="utf-8")
    assert "未找到" not in student_html.read_text(encoding="utf-8")
    assert "运行本章后生成" not in answer_html.read_text(encoding="utf-8")
    assert "摘要" not in pdf_text(student_pdf)
    assert 'id="abstract"' in answer_html.read_text(encoding="utf-8")
    assert "摘要" in pdf_text(answer_pdf)
    # citations are resolved (GB/T 7714 numbers) and each handout lists its references
    for pdf in (student_pdf, answer_pdf):
        text = pdf_text(pdf)
        assert "[@" not in text and "fader2005counting" not in text
        assert "参考文献" in text and "FADER P S" in text and "[1]" in text
        assert "SCHMITTLEIN" not in text  # only the references the chapter cites
    # the zh answer key holds no English cells: not in the notebook, nor on its pages
    answer = nbformat.read(answer_nb, 4)
    assert not any("lang-en" in c.metadata.get("tags", []) for c in answer.cells)
    assert any("lang-zh" in c.metadata.get("tags", []) for c in answer.cells)
    for text in (answer_raw, answer_html.read_text(encoding="utf-8"), pdf_text(answer_pdf)):
        assert "English narrative paragraph" not in text and "compute the share" not in text
