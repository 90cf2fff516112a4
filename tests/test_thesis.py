"""The thesis frame and the words that follow the data (issue #12).

One build per module, on a user-style log generated here (GB18030 CSV, Chinese headers,
timestamps with a time of day) with light chapter options, in zh and en. A second run of the
RFM chapter with other parameters shows that the generated sentences follow the parameters.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import crmlab
from crmlab import narrative
from crmlab.report import assemble as asm
from crmlab.report import build
from crmlab.report.profiles import PROFILE_KEYS

pytestmark = pytest.mark.slow  # chapters executed or reports built: scheduled first (conftest.py)

ROOT = Path(__file__).resolve().parents[1]
CSV_COLUMNS = {"customer_id": "会员编号", "date": "下单时间", "amount": "实付金额"}
LIGHT = {
    "01_value_theory": {"bank_customers": 200, "survey_respondents": 150},
    "02_rfm": {"n_bins": 4, "distributor_customers": 100},
    "03_clv": {"benchmark_logs": ["m18"], "models": ["bgnbd", "paretonbd"]},
    "04_segments": {"k_max": 3, "n_bootstrap": 1},
    "05_strategy": {"campaign_customers": 1500, "n_sims": 50},
}


def _own_log(directory: Path) -> tuple[Path, pd.DataFrame]:
    tx = crmlab.datasets.simulate_retail(400, seed=11)
    frame = tx.frame.assign(date=tx.frame["date"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    path = directory / "某商城订单.csv"
    frame.rename(columns=CSV_COLUMNS).to_csv(path, index=False, encoding="gb18030")
    return path, tx.frame


def _profile(path: Path) -> dict:
    return {
        "name": "own-shop",
        "title": {"zh": "某商城客户价值研究", "en": "Customer value at a web shop"},
        "author": {"zh": "李四", "en": "Li Si"},
        "supervisor": {"zh": "指导教师：王五", "en": "Supervisor: Wang Wu"},
        "institution": {"zh": "某大学管理学院", "en": "School of Management"},
        # no date: the cover omits it
        "acknowledgements": {"zh": "感谢王五老师的指导。", "en": "I thank Wang Wu."},
        "languages": ["zh", "en"],
        "parameters": {"dataset": str(path), "customer_col": "会员编号", "date_col": "下单时间",
                       "amount_col": "实付金额", "time_unit": "W", "currency": "CNY", "seed": 5},
        "chapters": dict(LIGHT),
    }


# The English build: three chapters, the RFM chapter with other parameters (5 points, the
# 8-class rules, the top 10%), so that its generated sentences can be compared with the zh run's
# (every narrative output carries both languages).
EN_CHAPTERS = {"02_rfm": {**LIGHT["02_rfm"], "n_bins": 5, "segment_rules": "cn8", "top_share": 0.1},
               "04_segments": LIGHT["04_segments"], "05_strategy": LIGHT["05_strategy"]}


@pytest.fixture(scope="module")
def thesis(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("thesis")
    path, frame = _own_log(tmp)
    results, pages = {}, {}
    for lg, chapters in (("zh", dict(LIGHT)), ("en", EN_CHAPTERS)):
        profile = {**_profile(path), "chapters": chapters}
        if "only" in PROFILE_KEYS:  # every chapter found is built unless the profile narrows it
            profile["only"] = list(chapters)
        res = build(profile, lang=lg, jobs=2, out=tmp / lg, pdf=False, progress=False)
        assert res.ok, [r.describe_failure() for r in res.failures]
        results[lg] = res
        pages[lg] = res.outputs[lg]["html"].read_text(encoding="utf-8")
    return {"html": pages, "frame": frame, "path": path, "tmp": tmp, "results": results}


def _text(page: str) -> str:
    """Visible text of a page (no tags, styles or embedded images)."""
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(re.sub(r"\s+", " ", page))


def _chapter(page: str, n: int) -> str:
    m = re.search(rf'<section class="chapter[^"]*" id="chapter-{n}">(.*?)</section>', page, re.S)
    assert m, f"chapter {n} missing"
    return m.group(1)


def _benchmark_free(chapter_html: str) -> str:
    """A chapter without its benchmark-log comparison section (the one place CDNOW may be
    named on a user's data)."""
    return re.sub(r'<h2 id="sec-[0-9-]+"><span class="secno">[0-9.]+</span> (六个基准日志|The six '
                  r'benchmark logs|基准日志|Benchmark logs).*?(?=<h2 |\Z)', "", chapter_html,
                  flags=re.S)


def test_no_cdnow_words_on_own_data(thesis):
    for lg, page in thesis["html"].items():
        body = _benchmark_free(page)
        body = re.sub(r'<section class="references".*?</section>', "", body, flags=re.S)
        text = _text(body)
        for word in ("CDNOW", "23,570", "1997"):
            assert word not in text, f"{lg}: {word!r} outside the benchmark comparison: " \
                f"...{text[max(0, text.find(word) - 120):text.find(word) + 80]}..."


def test_chapter_one_states_own_counts_and_span(thesis):
    frame = thesis["frame"]
    customers, orders = frame["customer_id"].nunique(), len(frame)
    first, last = frame["date"].min().strftime("%Y-%m-%d"), frame["date"].max().strftime("%Y-%m-%d")
    for lg, page in thesis["html"].items():
        intro = _text(_chapter(page, 1))
        assert f"{customers:,}" in intro and f"{orders:,}" in intro, lg
        assert first in intro and last in intro, lg
        assert "某商城订单.csv" in intro  # the data set is named by its file


def test_zh_order_and_sections(thesis):
    page = thesis["html"]["zh"]
    titles = re.findall(r'<h1 class="chapter-title"><span class="chapno">第(\d+)章</span> ([^<]+)</h1>',
                        page)
    assert titles[0] == ("1", "绪论") and titles[-1] == ("7", "结论与展望")
    assert [int(n) for n, _ in titles] == list(range(1, 8))
    text = _text(page)
    for word in ("ABSTRACT", "Key words", "国内外研究现状", "技术路线图", "实施与保障", "忠诚度阶梯",
                 "研究内容与方法", "论文结构", "管理启示", "研究不足", "研究展望", "参考文献", "致谢"):
        assert word in text, word
    assert "图1-1 技术路线图" in text
    # the RFM chapter is chapter 3 now, so its first figure is 图3-1
    assert "图3-1" in _text(_chapter(page, 3))
    # GB/T 7714: a literature-review reference added for segmentation
    assert "WEDEL M, KAMAKURA W A. Market segmentation" in text


def test_en_counterparts(thesis):
    page = thesis["html"]["en"]
    titles = re.findall(r'<h1 class="chapter-title"><span class="chapno">Chapter (\d+)</span> '
                        r'([^<]+)</h1>', page)
    assert titles[0] == ("1", "Introduction") and titles[-1] == ("5", "Conclusions and outlook")
    text = _text(page)
    for word in ("Literature review", "Research framework", "Implementation and safeguards",
                 "The loyalty ladder", "Limitations", "Managerial implications", "Figure 1.1"):
        assert word in text, word
    assert "ABSTRACT" not in text  # the English thesis has its own abstract only


def test_cover_omits_missing_fields(thesis):
    page = thesis["html"]["zh"]
    cover = re.search(r'<section class="cover">(.*?)</section>', page, re.S).group(1)
    assert "指导教师：王五" in cover and "李四" in cover
    assert "cover-date" not in cover  # the profile gives no date


def test_parameters_in_headings_and_text(thesis):
    zh = _chapter(thesis["html"]["zh"], 3)
    en = _chapter(thesis["html"]["en"], 2)  # the en build starts with the RFM chapter
    assert re.search(r"<h2[^>]*>.*RFM 表与 4 点积分法</h2>", zh)
    assert re.search(r"<h2[^>]*>.*5-point scoring</h2>", en)
    assert "the 8-class model" in _text(en) and "top 10%" in _text(en)
    assert "5 点积分法" not in _text(zh) and "10 类" not in _text(zh)
    assert "5 类四分位规则" in _text(zh)  # n_bins=4 → the quartile rule set, named with its size
    # the chosen model is named in chapter 1 (research content and methods)
    model_used = _finding(thesis, "03_clv", "zh", "model_used")
    assert model_used in ("bgnbd", "paretonbd")
    shown = crmlab.clv.MODELS[model_used].name  # BG/NBD, Pareto/NBD
    assert f"以 {shown} 模型" in _text(_chapter(thesis["html"]["zh"], 1))


def _executed(thesis, chapter: str, lang: str) -> Path:
    folder = thesis["results"][lang].outputs[lang]["html"].parent / "executed"
    return next(folder.glob(f"{chapter}*.ipynb"))


def _finding(thesis, chapter: str, lang: str, key: str):
    ch = asm.read_chapter(_executed(thesis, chapter, lang), chapter, 0, lang)
    return next(f["value"] for f in ch.findings if f["key"] == key)


def test_abstract_and_conclusions_carry_the_runs_numbers(thesis):
    for lg in ("zh", "en"):
        page = thesis["html"][lg]
        abstract = _text(re.search(r'<section class="abstract" id="abstract">(.*?)</section>',
                                   page, re.S).group(1))
        n_chapters = len(re.findall(r'<section class="chapter', page))
        conclusion = _text(_chapter(page, n_chapters))
        executed = thesis["results"][lg].outputs[lg]["html"].parent / "executed"
        for nbpath in sorted(executed.glob("0*.ipynb")):
            ch = asm.read_chapter(nbpath, nbpath.stem, 0, lg)
            assert ch.findings, nbpath.stem
            for f in ch.findings:
                sentence = f["text"][lg]
                if isinstance(f["value"], (int, float)):  # a number of this run, in its sentence
                    assert re.search(r"\d", sentence), sentence
                assert sentence in abstract, (lg, sentence)
                assert sentence in conclusion, (lg, sentence)
    en_abstract = _text(re.search(r'id="abstract-en"(.*?)</section>', thesis["html"]["zh"],
                                  re.S).group(1))
    frame = thesis["frame"]
    assert f"{frame['customer_id'].nunique():,} customers" in en_abstract
    assert "Key words" in en_abstract


def test_shares_print_as_percentages(thesis):
    zh = _chapter(thesis["html"]["zh"], 3)
    table = re.search(r'id="tab-3-rfm.segments-table".*?</table>', zh, re.S).group(0)
    assert re.search(r">\d+(\.\d)?%<", table), "segment shares are not percentages"
    assert not re.search(r">0\.\d{3}<", table)


def _narrative(path: Path, lang: str) -> list[str]:
    """The generated sentences of an executed chapter, in ``lang`` (both are recorded)."""
    nb = nbformat.read(path, as_version=4)
    return [o["metadata"]["crmlab"]["text"][lang] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if (o.get("metadata") or {}).get("crmlab", {})
            .get("kind") == "narrative"]


def test_a_parameter_changes_a_sentence(thesis):
    """The RFM chapter ran with 4 points (zh build) and with 5 points, the 8-class rules and the
    top 10% (en build): the same generated sentences, read in Chinese, differ accordingly."""
    four = _narrative(_executed(thesis, "02_rfm", "zh"), "zh")
    five = _narrative(_executed(thesis, "02_rfm", "en"), "zh")
    assert "## RFM 表与 4 点积分法" in four and "## RFM 表与 5 点积分法" in five
    assert "## 客户细分：8 类客户模型" in five
    assert "## Case 3-1：多指标选出前 10% 的重点客户" in five
    assert "## Case 3-1：多指标选出前 20% 的重点客户" in four
    assert four[0] == five[0]  # the data paragraph: same data, same sentence
    case = _finding(thesis, "02_rfm", "en", "case31_top_sales_share")
    text = next(f["text"]["zh"] for f in asm.read_chapter(_executed(thesis, "02_rfm", "en"),
                                                          "02_rfm", 2, "en").findings
                if f["key"] == "case31_top_sales_share")
    assert text.startswith("Case 3-1 选出的前 10% 客户") and f"{case:.1%}" in text


def test_catalogue_is_one_source_with_named_placeholders():
    entries = narrative.load_text()
    for key, texts in entries.items():
        names = {lang: set(re.findall(r"{(\w+)", texts[lang])) for lang in texts}
        assert names["zh"] == names["en"], key
        assert not re.search(r"{\s*[:}]|{\d", texts["zh"] + texts["en"]), f"{key}: positional"
    with pytest.raises(crmlab.ParameterError, match="customers"):
        narrative.render("data.summary", "zh", dataset="x")


def test_percent_format():
    assert narrative.percent(0.01) == "1%"
    assert narrative.percent(0.1594) == "15.9%"
    assert narrative.percent(1.0) == "100%"


def test_handout_has_no_thesis_frame(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 标题\n\n## 节\n\n文字")]
    path = tmp_path / "02_x.ipynb"
    nbformat.write(nb, path)
    ch = asm.read_chapter(path, "02_x", 1, "zh")
    from crmlab.report.profiles import load_profile

    prof = load_profile({"name": "handout", "title": "t", "chapters": {"02_x": {}}})
    page = asm.assemble([ch], profile=prof, lang="zh", bib={}, embed_fonts=False)
    assert "绪论" not in page and "第1章" in page


# --- pure functions behind the ladder and the implementation plan (no notebook runs) ----------
def _log(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date", "referrals"]).assign(
        date=lambda d: pd.to_datetime(d["date"], format="ISO8601"))


LOG = _log([
    ("a", "2025-01-05", 0), ("a", "2025-03-01 18:30", 0), ("a", "2025-04-01", 0),  # 1 → 3
    ("b", "2025-01-02", 0), ("b", "2025-01-09", 0), ("b", "2025-02-01", 1), ("b", "2025-02-02", 0),
    ("b", "2025-05-01", 0),
    ("c", "2025-02-27", 0), ("c", "2025-02-28 23:59", 0),                          # 2 → 2
    ("d", "2025-03-02", 0),                                                         # after cal
])


def test_ladder_snapshots_moves_and_climb():
    snap = crmlab.value.ladder_snapshots(LOG, "2025-02-28", "2025-06-30", loyal_at=4)
    assert list(snap.index) == ["a", "b", "c"]  # d bought only after calibration
    assert snap.loc["a"].tolist() == ["stage.first_time", "stage.repeat"]
    assert snap.loc["b", "stage_calibration"] == "stage.loyal"  # no referral data: not advocate
    assert snap.loc["c", "stage_calibration"] == "stage.repeat"  # 23:59 on the last day counts
    moves = crmlab.value.ladder_moves(snap)
    assert moves.loc["stage.first_time", "stage.repeat"] == 1.0
    assert moves.loc["stage.repeat", "stage.repeat"] == 1.0
    assert crmlab.value.climb_share(snap) == 1.0
    counts = crmlab.value.ladder_counts(snap)
    assert counts["n_calibration"].tolist() == [1, 1, 1, 0]
    assert counts["share_observation"].sum() == pytest.approx(1.0)
    with_ref = crmlab.value.ladder_snapshots(LOG, "2025-02-28", "2025-06-30", referral_col="referrals")
    assert with_ref.loc["b", "stage_calibration"] == "stage.advocate"
    with pytest.raises(crmlab.ParameterError, match="referral_col"):
        crmlab.value.ladder_snapshots(LOG, "2025-02-28", "2025-06-30", referral_col="推荐")
    rungs = crmlab.value.ladder_strategies("zh")
    assert rungs.loc[["stage.suspect", "stage.prospect"], "observable"].tolist() == [False, False]
    assert rungs["observable"].sum() == 4


def test_kpi_baselines_are_measured():
    from types import SimpleNamespace

    from crmlab.strategy import implementation

    allocation = pd.DataFrame({"allocation": [300.0, 100.0], "customers_covered": [3, 5]})
    policy = SimpleNamespace(best=pd.Series({"roi": 0.42}))
    base = implementation.kpi_baselines(LOG, "2025-02-28", "2025-06-30", allocation=allocation,
                                        policy=policy)
    # a, b, c bought by 28 Feb; a and b bought again afterwards
    assert base["retention"] == pytest.approx(2 / 3)
    assert base["repurchase"] == pytest.approx(3 / 4)  # a, b, c of a, b, c, d
    assert base["cost_per_contact"] == pytest.approx(50.0)
    assert base["roi"] == pytest.approx(0.42)
    table = implementation.kpi_table(base, "zh", "CNY")
    assert table["baseline"].tolist() == ["66.7%", "75%", "50.00 CNY", "42%"]


def test_implementation_plan_owner_budget_timeline():
    from crmlab.strategy import implementation

    allocation = pd.DataFrame({
        "label": ["重要价值客户", "重要挽留客户", "一般发展客户"],
        "allocation": [500.0, 900.0, 100.0], "customers_covered": [5, 18, 10],
        "channel": ["客户经理 + 电话", "电话 + 短信", "短信"]})
    plan = implementation.implementation_plan(allocation, "zh")
    assert list(plan.index) == ["重要挽留客户", "重要价值客户", "一般发展客户"]  # by budget
    assert plan["owner"].tolist() == ["客服中心", "客户经理团队", "CRM 运营组"]
    assert plan["budget"].sum() == 1500.0
    assert plan["timeline"].iloc[0].startswith("第 1–3 个月")
    assert plan["timeline"].iloc[-1].startswith("第 4–12 个月")
    with pytest.raises(crmlab.ParameterError, match="crmlab.strategy.plan"):
        implementation.implementation_plan(allocation.drop(columns="channel"))
