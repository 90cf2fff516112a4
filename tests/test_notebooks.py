"""Every chapter notebook found in notebooks/: checked against its conventions (cheap, nothing
runs), then executed with papermill, through crmlab's executor (``execute_one``, one
papermill process per run, as ``crmlab build`` runs them).

Conventions (``crmlab.report.chapters.convention_problems``): the parameters cell, the collapsed
setup and load cells, zh/en narrative pairs opening with the title and the how-to-run note,
code that only calls crmlab, exercises with solutions, findings, citations. Executions (shared by the tests through one module-scoped fixture, two at a time):

- every chapter with its defaults in zh and in en, on the CDNOW 1/10 sample (``dataset=
  "cdnow-sample"``; the notebooks' own default is the full CDNOW log, timed in
  ``benchmarks/notebooks.py``);
- every chapter on a small simulated case (``dataset="simulated-retail"``);
- every chapter on a user-style CSV with Chinese headers, GB18030-encoded, passed as
  ``dataset=<path>`` with the column names passed through;
- three bad parameters, which must stop at the setup cell with crmlab's message;
- an event log without amounts passed as ``dataset=<path>`` to a chapter that analyses spend,
  which must stop at the loading cell with crmlab's DataError.

The simulated and CSV runs use lighter chapter options (fewer bootstrap refits, one benchmark
log...) to keep the suite fast; the zh/en runs use the chapter defaults.
"""

from __future__ import annotations

import functools
import math
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import papermill as pm
import pytest

import crmlab
from crmlab import notebook as nbk
from crmlab.report import read_findings
from crmlab.report.chapters import convention_problems, discover
from crmlab.report.execute import execute_one
from crmlab.report.profiles import ChapterRun

pytestmark = pytest.mark.slow  # chapters executed or reports built: scheduled first (conftest.py)

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
CHAPTERS = [c.name for c in discover(NB_DIR)]  # every chapter found, in file-name order
CONVENTIONS = ["parameters", "setup", "narrative", "code", "exercises", "findings", "citations"]
# Lighter options for the simulated-case and user-file runs (the zh/en runs keep the defaults);
# a chapter not listed runs with its defaults.
LIGHT = {
    "01_value_theory": {"bank_customers": 300, "survey_respondents": 200},
    "02_rfm": {"distributor_customers": 120},
    "03_clv": {"benchmark_logs": ["m18"]},
    "04_segments": {"k_max": 4, "n_bootstrap": 1},
    "05_strategy": {"campaign_customers": 2000, "n_sims": 100},
}
SIM_CUSTOMERS = 800
CSV_COLUMNS = {"customer_id": "客户编号", "date": "交易日期", "amount": "金额"}
BAD = {
    "unknown": {"n_binz": 4},
    "type": {"n_bins": "five"},
    "dates": {"observation_end": "1997-06-30", "calibration_end": "1997-09-30"},
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _source(chapter: str) -> Path:
    return NB_DIR / f"{chapter}.ipynb"


def _read(chapter: str):
    return nbformat.read(_source(chapter), as_version=4)


def _user_csv(directory: Path) -> Path:
    """A user's export: Chinese headers, slash dates, an extra column, GB18030 encoding."""
    tx = crmlab.datasets.simulate_retail(600, seed=7)
    frame = tx.frame.assign(date=tx.frame["date"].dt.strftime("%Y/%m/%d"), 门店="上海一店")
    path = directory / "我的交易.csv"
    frame.rename(columns=CSV_COLUMNS).to_csv(path, index=False, encoding="gb18030")
    return path


def _log_without_amounts(directory: Path) -> Path:
    """An event log (customer, date) with no amount column, as a CRM export of visits might be."""
    tx = crmlab.datasets.simulate_retail(200, seed=3)
    path = directory / "visits.csv"
    tx.frame[["customer_id", "date"]].to_csv(path, index=False)
    return path


def _execute(job):
    name, chapter, params, out = job
    run = ChapterRun(chapter, int(chapter[:2]), params.get("lang", "zh"), _source(chapter), params)
    return name, execute_one(run, out, out.with_suffix(".log"), cwd=ROOT)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Execute every run once; returns {run name: (output path, RunResult)}."""
    # fail fast: minutes of executions are pointless on notebooks that disagree with their text
    problems = nbk.pairing_problems(NB_DIR)
    if problems:
        pytest.fail("\n".join(problems))
    tmp = tmp_path_factory.mktemp("notebook-runs")
    csv = _user_csv(tmp)
    jobs = []
    for chapter in CHAPTERS:
        jobs.append((f"en/{chapter}", chapter, {"dataset": "cdnow-sample", "lang": "en"}))
        jobs.append((f"zh/{chapter}", chapter, {"dataset": "cdnow-sample", "lang": "zh"}))
        jobs.append((f"sim/{chapter}", chapter, {"dataset": "simulated-retail", "n_simulated": SIM_CUSTOMERS,
                                                 "lang": "en", **LIGHT.get(chapter, {})}))
        jobs.append((f"csv/{chapter}", chapter, {"dataset": str(csv), "customer_col": "客户编号",
                                                 "date_col": "交易日期", "amount_col": "金额",
                                                 "lang": "zh", **LIGHT.get(chapter, {})}))
    for kind, params in BAD.items():
        jobs.append((f"bad/{kind}", "02_rfm", {"dataset": "cdnow-sample", **params}))
    jobs.append(("bad/no-amount", "03_clv", {"dataset": str(_log_without_amounts(tmp))}))
    jobs = [(name, ch, params, tmp / (name.replace("/", "__") + ".ipynb")) for name, ch, params in jobs]
    # Two kernels at a time on a 2-core machine; keep each kernel's BLAS/OpenMP to one thread.
    saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = dict(pool.map(_execute, jobs))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {name: (out, results[name]) for name, _, _, out in jobs} | {"_csv": (csv, None)}


def _ok(runs, name):
    out, res = runs[name]
    assert res.ok, f"{name} failed:\n{res.error}"
    return out


def _outputs(path, kind):
    nb = nbformat.read(path, as_version=4)
    return [o["metadata"][nbk.META] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if (o.get("metadata") or {}).get(nbk.META, {}).get("kind") == kind]


# --------------------------------------------------------------------------------------------
# executed runs
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("run", ["en", "zh", "sim", "csv"])
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_without_errors(runs, run, chapter):
    out = _ok(runs, f"{run}/{chapter}")
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    findings = read_findings(out)
    assert len(findings) >= 4, findings
    for key, value in findings.items():
        assert value is not None, key
        if isinstance(value, float):
            assert math.isfinite(value), (key, value)
    figures, tables = _outputs(out, "figure"), _outputs(out, "table")
    assert figures and tables
    keys = [m["key"] for m in figures] + [m["key"] for m in tables]
    assert len(keys) == len(set(keys)), "figure/table keys must be unique within a chapter"
    assert all(m["caption"].strip() for m in figures + tables)
    assert _outputs(out, "ledger") and _outputs(out, "keywords")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_captions_follow_lang(runs, chapter):
    zh = _outputs(_ok(runs, f"zh/{chapter}"), "table") + _outputs(_ok(runs, f"zh/{chapter}"), "figure")
    en = _outputs(_ok(runs, f"en/{chapter}"), "table") + _outputs(_ok(runs, f"en/{chapter}"), "figure")
    assert all(CJK.search(m["caption"]) for m in zh), [m["caption"] for m in zh]
    assert not any(CJK.search(m["caption"]) for m in en), [m["caption"] for m in en]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_findings_do_not_depend_on_language(runs, chapter):
    zh, en = read_findings(_ok(runs, f"zh/{chapter}")), read_findings(_ok(runs, f"en/{chapter}"))
    assert zh.keys() == en.keys()
    for key in zh:
        if isinstance(zh[key], (int, float)):
            # summaries are exact (decimal sums), so the language changes no number; 1e-9 leaves
            # room only for an optimiser's last iterations
            assert zh[key] == pytest.approx(en[key], rel=1e-9, abs=1e-12), key


def _cdnow_sample():
    tx = crmlab.datasets.load_cdnow(sample=True)
    return tx, tx.meta["observation_end"], tx.meta["calibration_end"]


def test_value_theory_findings_equal_crmlab(runs):
    f = read_findings(_ok(runs, "en/01_value_theory"))
    tx, obs, _ = _cdnow_sample()
    revenue = crmlab.summarise(tx, observation_end=obs, time_unit="W")["total_amount"]
    top20 = float(crmlab.value.concentration(revenue, shares=(0.2,))["value_share"].iloc[0])
    assert 0 < f["top20_share"] < 1
    assert f["top20_share"] == pytest.approx(top20, rel=1e-12)
    assert f["gini"] == pytest.approx(crmlab.value.gini(revenue), rel=1e-12)
    assert f["whale_peak"] >= 1  # the peak of cumulative profit is at least the total
    # retention economics with the defaults: margin m, r=0.6, d=0.1, delta=0.05
    assert f["retention_clv_change"] == pytest.approx((0.65 / (1.1 - 0.65)) / (0.6 / (1.1 - 0.6)) - 1, rel=1e-9)
    bank = crmlab.datasets.simulate_bank(2000, seed=42)
    scores = crmlab.value.value_scores(bank, method="entropy").scores
    vm = crmlab.value.value_matrix(scores["current_value"], scores["potential_value"], split="median")
    assert f["bank_top_share"] == pytest.approx(float((vm["value_class"] == "top").mean()), rel=1e-12)


def test_rfm_findings_equal_crmlab(runs):
    f = read_findings(_ok(runs, "en/02_rfm"))
    tx, obs, cal = _cdnow_sample()
    scores = crmlab.rfm.score(crmlab.rfm_table(tx, analysis_date=cal), bins=5, weights=[1.0, 1.0, 1.0])
    cn8 = crmlab.rfm.segment(scores, rules="cn8", split="median")
    assert f["important_value_share"] == pytest.approx(float((cn8["segment"] == "important_value").mean()))
    summary = crmlab.summarise(tx, observation_end=obs, calibration_end=cal, time_unit="W")
    seg = crmlab.rfm.segment(scores, rules="classic10")
    rho = crmlab.rfm.validate(scores, summary, by="segment", segments=seg).spearman[0]
    assert f["first_segment_share"] == pytest.approx(float((seg["segment"] == seg["segment"].cat.categories[0]).mean()))
    assert -1 <= f["rfm_spearman"] <= 1
    assert f["rfm_spearman"] == pytest.approx(float(rho), rel=1e-12)
    assert f["n_customers"] == len(scores)
    assert 0.2 <= f["case31_top_sales_share"] < 1  # the best 20% hold at least their head count
    d = crmlab.datasets.simulate_distributor(300, seed=42)
    top = crmlab.rfm.select_top(d, {"sales_value": "+", "sales_volume": "+", "receivables": "-",
                                    "purchase_cycle": "-"}, weights="entropy", share=0.2)
    chosen = d.loc[top.index[top["selected"]], "sales_value"].sum() / d["sales_value"].sum()
    assert f["case31_top_sales_share"] == pytest.approx(chosen, rel=1e-12)
    # the top 20% by sales alone hold at least as much as any other 20% (Case 3-1's comparison)
    assert chosen <= f["sales_top_share"] < 1


def test_clv_findings_equal_crmlab(runs):
    f = read_findings(_ok(runs, "en/03_clv"))
    tx, obs, cal = _cdnow_sample()
    summary = crmlab.summarise(tx, observation_end=obs, calibration_end=cal, time_unit="W")
    fitted = {k: crmlab.clv.fit(k, crmlab.compress(summary), seed=42) for k in ("bgnbd", "mbgnbd", "paretonbd")}
    bics = {k: m.bic_ for k, m in fitted.items()}
    best = min(bics, key=bics.get)
    # the model that wins by BIC is the one P(alive), CLV and the holdout findings come from
    assert f["model_used"] == best and f["best_model_bic"] == fitted[best].name
    [keywords] = _outputs(_ok(runs, "en/03_clv"), "keywords")  # the abstract names it too
    assert fitted[best].name in keywords["words"]["en"] and f"{fitted[best].name}模型" in keywords["words"]["zh"]
    chosen = fitted[best]
    gg = crmlab.clv.fit("gammagamma", summary)
    assert f["mean_p_alive"] == pytest.approx(float(chosen.p_alive(summary).mean()), rel=1e-6)
    clv = chosen.clv(gg, 52, 0.1, data=summary, rate_unit="Y")  # horizon "52W" of a weekly summary
    assert f["total_clv"] == pytest.approx(float(clv.sum()), rel=1e-6)
    report = crmlab.clv.holdout_report({chosen.name: chosen}, summary, lang="en")
    assert f["holdout_mae"] == pytest.approx(float(report["MAE"].iloc[0]), rel=1e-6)
    assert f["holdout_bias"] == pytest.approx(float(report["aggregate bias"].iloc[0]), rel=1e-6, abs=1e-9)
    assert -1 < f["holdout_bias"] < 1
    cohorts = crmlab.datasets.load_retention_cohorts()
    sbg = crmlab.clv.fit("sbg", cohorts["regular"].loc[:7], n_customers=1000)
    assert f["sbg_derl"] == pytest.approx(float(sbg.derl(0.1)), rel=1e-9)
    # the cohorts are counted in years, and the sentence says so (never a bare "period")
    [derl] = [o["text"] for o in _outputs(_ok(runs, "en/03_clv"), "finding") if o["key"] == "sbg_derl"]
    assert cohorts.attrs["time_unit"] == "year"
    assert f"{f['sbg_derl']:.2f} 年" in derl["zh"] and f"{f['sbg_derl']:.2f} 期" not in derl["zh"]
    assert f"{f['sbg_derl']:.2f} years" in derl["en"] and "period" not in derl["en"]


def test_segment_findings_plausible(runs):
    f = read_findings(_ok(runs, "en/04_segments"))
    assert 2 <= f["k"] <= 6  # the default k range
    assert 0 < f["stability"] <= 1 and 0 < f["tree_accuracy"] <= 1
    assert 0 < f["top_segment_revenue_share"] <= 1
    d = crmlab.datasets.simulate_distributor(300, seed=42)
    assert f["b2b_largest_type_share"] == pytest.approx(
        float(d["customer_type"].value_counts(normalize=True).max()))


def test_strategy_findings_equal_crmlab(runs):
    f = read_findings(_ok(runs, "en/05_strategy"))
    camp = crmlab.datasets.simulate_campaign(10000, seed=42)
    effect = crmlab.strategy.ab_test(camp, treatment="treatment", outcome="response", kind="proportion")["effect"]
    assert f["response_effect"] == pytest.approx(float(effect.iloc[0]), rel=1e-12)
    assert 0 < f["best_fraction"] <= 1
    assert 0 < f["top_class_churn_share"] <= 1


def test_simulated_case_uses_the_simulation(runs):
    f = read_findings(_ok(runs, "sim/03_clv"))
    tx = crmlab.datasets.simulate_retail(SIM_CUSTOMERS, seed=42)
    summary = crmlab.summarise(tx, observation_end=tx.meta["observation_end"].normalize(),
                               calibration_end=tx.meta["calibration_end"].normalize(), time_unit="W")
    fitted = {k: crmlab.clv.fit(k, crmlab.compress(summary), seed=42) for k in ("bgnbd", "mbgnbd", "paretonbd")}
    chosen = crmlab.clv.select_model(fitted).model
    assert f["model_used"] == crmlab.clv.select_model(fitted).key
    assert f["mean_p_alive"] == pytest.approx(float(chosen.p_alive(summary).mean()), rel=1e-6)


def test_user_csv_with_chinese_headers_is_read(runs):
    f = read_findings(_ok(runs, "csv/01_value_theory"))
    csv, _ = runs["_csv"]
    tx = crmlab.read_transactions(csv, customer="客户编号", date="交易日期", amount="金额")
    obs = tx.frame["date"].max().normalize()
    revenue = crmlab.summarise(tx, observation_end=obs, time_unit="W")["total_amount"]
    assert len(revenue) == 600
    assert f["top20_share"] == pytest.approx(
        float(crmlab.value.concentration(revenue, shares=(0.2,))["value_share"].iloc[0]), rel=1e-12)
    ledgers = _outputs(_ok(runs, "csv/01_value_theory"), "ledger")
    assert ledgers[0]["file"] == csv.name and ledgers[0]["sha256"]


@pytest.mark.parametrize("kind,message", [
    ("unknown", "unknown parameter 'n_binz'"),
    ("type", "parameter 'n_bins' must be int"),
    ("dates", "calibration_end (1997-09-30) must be before observation_end (1997-06-30)"),
])
def test_bad_parameter_fails_fast_with_crmlab_message(runs, kind, message):
    out, res = runs[f"bad/{kind}"]
    assert not res.ok, "a bad parameter must stop the notebook"
    assert "): ParameterError: " in res.error  # "cell N (In [..]: 'first line'): ename: evalue"
    assert message in res.error
    if kind != "dates":
        assert "Valid parameters" in res.error and "n_bins: int = 5" in res.error
    nb = nbformat.read(out, as_version=4)
    failed = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
              and any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert len(failed) == 1 and "nb.setup(" in nb.cells[failed[0]].source  # before any computation
    later = [c for c in nb.cells[failed[0] + 1:] if c.cell_type == "code"]
    assert later and all(c.get("execution_count") is None for c in later)


def test_log_without_amounts_stops_with_crmlab_data_error(runs):
    out, res = runs["bad/no-amount"]
    assert not res.ok, "a chapter that analyses spend must refuse a log without amounts"
    assert "): DataError: " in res.error  # crmlab's message, not a KeyError from pandas
    assert "needs purchase amounts" in res.error and "amount_col=" in res.error
    nb = nbformat.read(out, as_version=4)
    failed = [c for c in nb.cells if c.cell_type == "code"
              and any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert len(failed) == 1 and "crmlab.datasets.load(" in failed[0].source


# --------------------------------------------------------------------------------------------
# static conventions (no execution)
# --------------------------------------------------------------------------------------------
@functools.cache
def _problems(chapter: str) -> dict[str, list[str]]:
    return convention_problems(_source(chapter))


def test_the_chapters_are_found():
    assert CHAPTERS[:5] == ["01_value_theory", "02_rfm", "03_clv", "04_segments", "05_strategy"]


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_follows_the_convention(chapter, convention):
    """Each chapter found, each convention (nothing runs): see convention_problems."""
    assert _problems(chapter)[convention] == [], "\n".join(_problems(chapter)[convention])


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_papermill_reads_the_documented_parameters(chapter):
    declared = nbk.notebook_parameters(_source(chapter))
    inferred = pm.inspect_notebook(str(_source(chapter)))
    assert set(inferred) == set(declared) and all(inferred[n]["help"] for n in inferred)
    assert set(re.findall(r'"([A-Z])"', declared["time_unit"].help)) == set(crmlab.units.UNITS)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_cross_references_resolve(runs, chapter):
    out = _ok(runs, f"en/{chapter}")
    nb = nbformat.read(out, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    figures = {m["key"] for m in _outputs(out, "figure")}
    tables = {m["key"] for m in _outputs(out, "table")}
    for kind, ref in re.findall(r"@(fig|tab):([\w.\-]*\w)", text):
        assert ref in (figures if kind == "fig" else tables), f"{chapter}: @{kind}:{ref} shows nothing"


def test_every_chapter_is_paired_with_its_text_source():
    assert (NB_DIR / "jupytext.toml").exists()
    assert not (NB_DIR / "_build_notebooks.py").exists(), "chapters are authored as .md, not generated"
    found = sorted(p.stem for p in NB_DIR.glob("[0-9][0-9]_*.md"))
    assert found == sorted(p.stem for p in NB_DIR.glob("[0-9][0-9]_*.ipynb")) and found
    assert nbk.pairing_problems(NB_DIR) == []


def test_pairing_problems_name_the_sync_command(tmp_path):
    import shutil

    for f in ("02_rfm.md", "02_rfm.ipynb", "03_clv.md", "jupytext.toml"):
        shutil.copy(NB_DIR / f, tmp_path / f)
    md = tmp_path / "02_rfm.md"
    md.write_text(md.read_text(encoding="utf-8").replace("# RFM 分析", "# RFM 分析（修订）", 1), encoding="utf-8")
    problems = nbk.pairing_problems(tmp_path)
    assert len(problems) == 2
    assert any("03_clv.ipynb is missing" in p and "jupytext --sync" in p for p in problems)
    assert any("02_rfm.md and 02_rfm.ipynb hold different cells" in p for p in problems)


def test_a_cell_saved_in_jupyterlab_reaches_the_text_source(tmp_path):
    """JupyterLab saves through jupytext's contents manager: an edit made in the .ipynb lands in
    the paired .md (and the other way round), so nothing written in Jupyter is ever lost."""
    import asyncio
    import shutil

    from jupytext import AsyncTextFileContentsManager  # what jupyter-server uses with jupytext

    for f in ("02_rfm.md", "02_rfm.ipynb", "jupytext.toml"):
        shutil.copy(NB_DIR / f, tmp_path / f)
    cm = AsyncTextFileContentsManager(root_dir=str(tmp_path))

    async def open_and_save(path, edit=None):
        model = await cm.get(path)
        if edit:
            edit(model["content"])
        await cm.save(model, path)

    new_cell = nbformat.v4.new_markdown_cell("课堂补充：一个新的讨论题。", metadata={"tags": ["lang-zh"]})
    asyncio.run(open_and_save("02_rfm.ipynb", lambda nb: nb.cells.append(new_cell)))
    assert "课堂补充：一个新的讨论题。" in (tmp_path / "02_rfm.md").read_text(encoding="utf-8")
    assert nbk.pairing_problems(tmp_path) == []
    # and an edit of the text source reaches the notebook on the next open + save
    md = tmp_path / "02_rfm.md"
    md.write_text(md.read_text(encoding="utf-8").replace("课堂补充", "课后补充"), encoding="utf-8")
    asyncio.run(open_and_save("02_rfm.md"))
    ipynb = nbformat.read(tmp_path / "02_rfm.ipynb", as_version=4)
    assert any("课后补充" in c.source for c in ipynb.cells)
    assert all(not c.get("outputs") for c in ipynb.cells if c.cell_type == "code")
