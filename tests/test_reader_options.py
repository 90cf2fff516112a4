"""How a user's file is read (``encoding``, ``sheet``, ``date_format``, ``decimal``,
``timezone``) reaches the chapters: ``crmlab.datasets.load``, the chapters' parameters, profiles
and ``crmlab run -p``, and pre-flight reads the file the way the chapter will.

One chapter really runs (``crmlab run 02_rfm`` on a European-style export, its day-first
timestamps read without ``date_format``); everything else is checked without executing a
notebook. What pre-flight must still refuse is a column of year-last dates whose day/month order
cannot be known (no day above 12): the same export cut to the first twelve days of each month.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml

import crmlab
from crmlab import datasets
from crmlab import notebook as nbk
from crmlab.errors import DataError, ParameterError
from crmlab.preflight import READER_OPTIONS, check_dataset
from crmlab.report import read_findings

pytestmark = pytest.mark.slow  # chapters executed or reports built: scheduled first (conftest.py)

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
STOCK = ["01_value_theory", "02_rfm", "03_clv", "04_segments", "05_strategy"]
DAY_FIRST = "%d/%m/%Y %H:%M"
COLUMNS = {"customer": "客户编号", "date": "下单时间", "amount": "实付金额"}


def _european(x: float) -> str:
    """12,50 and 1.234,56: a decimal comma and a point between thousands."""
    return f"{x:,.2f}".replace(",", "\0").replace(".", ",").replace("\0", ".")


def _orders() -> pd.DataFrame:
    """A seeded purchase log: 400 members first buying in 2023's first half, then repeating
    over 18 months; timestamps to the minute, a few orders above 1,000."""
    rng = np.random.default_rng(2024)
    n = 400
    first = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.uniform(0, 180, n), unit="D")
    rows = []
    for c in range(n):
        repeats = np.sort(rng.uniform(0, 540, rng.poisson(3)))
        for when in [first[c], *(first[c] + pd.to_timedelta(repeats, unit="D"))]:
            value = rng.gamma(2.0, 60.0) * (25 if rng.random() < 0.03 else 1)
            rows.append((f"VIP{c:05d}", when.floor("min"), round(value, 2)))
    frame = pd.DataFrame(rows, columns=list(COLUMNS.values()))
    frame = frame[frame["下单时间"] < "2024-07-01"]
    return frame.sample(frac=1, random_state=1).reset_index(drop=True)  # export order


def _write_export(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` as a European shop system exports it: `;`-separated, decimal commas, dates
    written day first with a time of day (28/05/2024 06:00), Chinese headers, a store column."""
    text = frame.assign(下单时间=frame["下单时间"].dt.strftime(DAY_FIRST),
                        实付金额=frame["实付金额"].map(_european), 门店="上海一店")
    text.to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """The whole log: its days above 12 show that the day comes first."""
    frame = _orders()
    assert (frame["实付金额"] >= 1000).any()  # some amounts carry a thousands point
    return _write_export(frame, tmp_path_factory.mktemp("reader-options") / "订单导出.csv")


@pytest.fixture(scope="module")
def ambiguous(tmp_path_factory) -> Path:
    """The orders of the first twelve days of each month: every date reads both ways
    (03/05/2024 06:00 is 3 May or 5 March) and nothing in the file says which."""
    frame = _orders()
    frame = frame[frame["下单时间"].dt.day <= 12].reset_index(drop=True)
    assert (frame["下单时间"].dt.day != frame["下单时间"].dt.month).any()
    return _write_export(frame, tmp_path_factory.mktemp("ambiguous") / "订单导出.csv")


def _expected(path: Path) -> pd.DataFrame:
    """The export read independently with pandas, in the format the file is written in."""
    raw = pd.read_csv(path, sep=";", decimal=",", thousands=".", encoding="utf-8")
    return raw.assign(when=pd.to_datetime(raw["下单时间"], format=DAY_FIRST))


def _crmlab(*args, cwd=ROOT, **env):
    exe = Path(sys.executable).with_name("crmlab")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "crmlab.cli"]
    return subprocess.run([*cmd, *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", env={**os.environ, **env}, timeout=600)


# --------------------------------------------------------------------------------------------
# crmlab run: the chapter reads the file with -p decimal, its day-first dates as written
# --------------------------------------------------------------------------------------------
def _outputs(path: Path) -> dict:
    """The facts, ledger and tables an executed chapter recorded (kind → list / key → frame)."""
    nb = nbformat.read(path, as_version=4)
    out: dict = {"facts": [], "ledger": [], "tables": {}}
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else []:
            meta = (o.get("metadata") or {}).get(nbk.META) or {}
            if meta.get("kind") in ("facts", "ledger"):
                out[meta["kind"]].append(meta)
            payload = (o.get("data") or {}).get(nbk.TABLE_MIME)
            if payload:
                out["tables"][meta["key"]] = pd.DataFrame(
                    payload["data"], columns=payload["columns"],
                    index=pd.Index(payload["index"], name=payload["index_names"][0]))
    return out


def test_run_reads_a_semicolon_export_with_decimal_commas_and_day_first_timestamps(
        export, tmp_path):
    # no date_format: 28/05/2024 06:00 shows the order, and the reader takes it
    out = tmp_path / "runs"
    res = _crmlab("run", "02_rfm", "-p", f"dataset={export}",
                  "-p", "decimal=,", "-p", "lang=en", "-p", "distributor_customers=120",
                  "--out", str(out), "--no-cache", OMP_NUM_THREADS="1",
                  CRMLAB_CACHE=str(tmp_path / "cache"))
    assert res.returncode == 0, res.stderr[-3000:]
    got = _outputs(out / "02_rfm.ipynb")
    raw = _expected(export)
    # the data: every row kept, the span and the split of the file as written
    first, last = raw["when"].min().normalize(), raw["when"].max().normalize()
    cal = (first + (last - first) * 2 / 3).normalize()  # load's default split
    facts = got["facts"][0]["facts"]
    assert (facts["customers"], facts["orders"]) == (raw["客户编号"].nunique(), len(raw))
    assert (facts["first_date"], facts["last_date"]) == (f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}")
    assert facts["calibration_end"] == f"{cal:%Y-%m-%d}"
    ledger = got["ledger"][0]["ledger"]
    assert ledger["rows_kept"] == ledger["rows_read"] == len(raw) and ledger["dropped"] == {}
    assert ledger["date_format"] == DAY_FIRST and ledger["decimal"] == ","
    # the RFM of the customers shown: recency, frequency and spend up to the calibration end
    upto = raw[raw["when"] < cal + pd.Timedelta(days=1)]
    by = upto.groupby("客户编号")
    scores = got["tables"]["rfm.scores"]
    assert len(scores) == 10
    spend = by["实付金额"].sum().reindex(scores.index)
    count = by.size().reindex(scores.index)
    recency = (cal - by["when"].max().dt.normalize()).dt.days.reindex(scores.index)
    monetary, frequency, days = (scores.iloc[:, i].to_numpy() for i in (2, 1, 0))
    np.testing.assert_allclose(monetary, spend.to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(frequency, count.to_numpy())
    np.testing.assert_array_equal(days, recency.to_numpy())
    assert read_findings(out / "02_rfm.ipynb")["n_customers"] == upto["客户编号"].nunique()


def test_run_on_dates_that_read_both_ways_stops_in_preflight_with_the_fix_for_this_route(
        ambiguous, tmp_path):
    out = tmp_path / "runs"
    res = _crmlab("run", "02_rfm", "-p", f"dataset={ambiguous}", "-p", "decimal=,",
                  "--out", str(out), "--no-cache", CRMLAB_CACHE=str(tmp_path / "cache"))
    assert res.returncode == 2, res.stderr
    msg = res.stderr
    for fragment in ("notebook 02_rfm", "订单导出.csv", "'下单时间'", "cannot be known",
                     "-p date_format='%d/%m/%Y %H:%M'", '`date_format: "%d/%m/%Y %H:%M"`',
                     "date_format='%d/%m/%Y %H:%M'", "'%m/%d/%Y %H:%M' when the month does"):
        assert fragment in msg, (fragment, msg)
    assert "--date-format" not in msg and "Traceback" not in msg
    assert not out.exists() or not any(out.iterdir())  # papermill never started


# --------------------------------------------------------------------------------------------
# pre-flight reads the file as the chapter will
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_preflight_reads_day_first_dates_and_refuses_dates_that_read_both_ways(
        export, ambiguous, engine):
    raw = _expected(export)
    for date_format in (None, DAY_FIRST):  # the order shown by the file, or given
        got = check_dataset(export, date_format=date_format, decimal=",", engine=engine)
        assert (got.first, got.last, got.n_dates) == (raw["when"].min(), raw["when"].max(),
                                                      len(raw))
        upto = got.calibration_end + pd.Timedelta(days=1)
        assert got.n_calibration == int((raw["when"] < upto).sum())
    with pytest.raises(ParameterError) as info:
        check_dataset(ambiguous, engine=engine, where="profile my-data, chapter 02_rfm")
    msg = str(info.value)
    assert msg.startswith("profile my-data, chapter 02_rfm: 订单导出.csv")
    # the first value whose day and month differ, at its row in the file
    written = _expected(ambiguous)["下单时间"]
    i = int(np.flatnonzero(written.str[:2] != written.str[3:5])[0])
    assert f"reads both ways ('{written[i]}' at row {i + 2} is day" in msg
    assert "-p date_format='%d/%m/%Y %H:%M'" in msg
    got = check_dataset(ambiguous, date_format=DAY_FIRST, engine=engine)
    assert (got.first, got.last) == (_expected(ambiguous)["when"].min(),
                                     _expected(ambiguous)["when"].max())


def test_preflight_and_load_read_a_gbk_export_with_the_encoding_given(export, tmp_path):
    path = tmp_path / "订单_gbk.csv"
    path.write_bytes(export.read_text(encoding="utf-8").encode("gbk"))
    got = check_dataset(path, encoding="gbk", date_format=DAY_FIRST)
    assert got.columns["customer_id"] == "客户编号"
    tx = datasets.load(str(path), encoding="gbk", date_format=DAY_FIRST, decimal=",")
    assert tx.ledger.encoding == "gbk" and len(tx.frame) == len(_expected(export))
    # a wrong encoding: io's message, with the fix as profile key and -p flag
    with pytest.raises(DataError) as info:
        check_dataset(path, encoding="utf-8", date_format=DAY_FIRST)
    assert "-p encoding=" in str(info.value) and "--encoding" not in str(info.value)


def test_dates_that_read_both_ways_are_refused_until_the_order_is_given(tmp_path):
    """No day above 12: 03/05/2024 is 3 May or 5 March, and nothing in the file says which."""
    path = tmp_path / "会员.csv"
    path.write_text("会员号,日期,金额\nA,03/05/2024,10\nB,04/05/2024,20\nA,05/06/2024,30\n"
                    "C,01/07/2024,40\n", encoding="utf-8")
    for call in (lambda: check_dataset(path), lambda: datasets.load(str(path))):
        with pytest.raises(ParameterError) as info:
            call()
        msg = str(info.value)
        assert "cannot be known" in msg and "'03/05/2024' at row 2" in msg
        assert "-p date_format=%d/%m/%Y" in msg and '`date_format: "%d/%m/%Y"`' in msg
    day_first = datasets.load(str(path), date_format="%d/%m/%Y")
    month_first = datasets.load(str(path), date_format="%m/%d/%Y")
    assert list(day_first.frame["date"].dt.strftime("%m-%d")) == ["05-03", "05-04", "06-05",
                                                                   "07-01"]
    assert list(month_first.frame["date"].dt.strftime("%m-%d")) == ["03-05", "04-05", "05-06",
                                                                     "01-07"]
    assert check_dataset(path, date_format="%d/%m/%Y").last == pd.Timestamp("2024-07-01")


def test_load_reads_day_first_timestamps_and_refuses_what_preflight_refuses(export, ambiguous):
    """A chapter run in JupyterLab has no pre-flight: load reads what crmlab run reads and
    refuses what it refuses, with the same message."""
    tx = datasets.load(str(export), decimal=",")
    raw = _expected(export)
    assert tx.ledger.date_format == DAY_FIRST and tx.ledger.dropped == {}
    assert sorted(tx.frame["date"]) == sorted(raw["when"])
    # 03/05/2024 06:00 is 3 May in this file: each customer's first order as written
    firsts = tx.frame.groupby("customer_id")["date"].min()
    assert firsts.to_dict() == raw.groupby("客户编号")["when"].min().to_dict()
    with pytest.raises(ParameterError) as preflight:
        check_dataset(ambiguous, decimal=",")
    with pytest.raises(ParameterError) as load:
        datasets.load(str(ambiguous), decimal=",")
    assert str(load.value) == str(preflight.value)
    assert "cannot be known" in str(load.value)
    assert "-p date_format='%d/%m/%Y %H:%M'" in str(load.value)


# --------------------------------------------------------------------------------------------
# time zones, Excel sheets
# --------------------------------------------------------------------------------------------
def test_load_converts_offset_timestamps_to_the_timezone(tmp_path):
    rng = np.random.default_rng(8)
    n = 240
    utc = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 200 * 86400, n), unit="s")
    zones = rng.choice(["+08:00", "+00:00", "-05:00"], n)  # a shop with branches abroad
    local = [(t + pd.Timedelta(hours=int(z[:3]))).strftime("%Y-%m-%dT%H:%M:%S") + z
             for t, z in zip(utc, zones)]
    frame = pd.DataFrame({"会员号": [f"M{i % 60:03d}" for i in range(n)], "支付时间": local,
                          "实付金额": rng.gamma(2.0, 40.0, n).round(2)})
    path = tmp_path / "跨境订单.csv"
    frame.to_csv(path, index=False, encoding="utf-8")
    tx = datasets.load(str(path), date="支付时间", timezone="Asia/Shanghai")
    direct = crmlab.read_transactions(path, date="支付时间", timezone="Asia/Shanghai")
    pd.testing.assert_series_equal(tx.frame["date"], direct.frame["date"])
    expected = (pd.to_datetime(frame["支付时间"], utc=True).dt.tz_convert("Asia/Shanghai")
                .dt.tz_localize(None))
    assert sorted(tx.frame["date"]) == sorted(expected)
    assert tx.ledger.timezone == "Asia/Shanghai"
    # without it each timestamp keeps the wall-clock time written in the file
    as_written = datasets.load(str(path), date="支付时间").frame["date"]
    assert sorted(as_written) == sorted(pd.to_datetime([t[:19] for t in local]))
    assert sorted(as_written) != sorted(expected)
    # pre-flight scans the same instants
    got = check_dataset(path, date="支付时间", timezone="Asia/Shanghai")
    assert (got.first, got.last) == (expected.min(), expected.max())


def test_an_excel_sheet_other_than_the_first(tmp_path):
    path = tmp_path / "导出.xlsx"
    orders = pd.DataFrame({"客户编号": ["A", "B", "A", "C"],
                           "交易日期": ["13/01/2024", "02/02/2024", "25/03/2024", "30/04/2024"],
                           "金额": [12.5, 30.0, 8.0, 99.9]})
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"说明": ["本表由系统导出"]}).to_excel(book, sheet_name="说明", index=False)
        orders.to_excel(book, sheet_name="订单", index=False)
    got = check_dataset(path, sheet="订单")
    assert (got.first, got.last) == (pd.Timestamp("2024-01-13"), pd.Timestamp("2024-04-30"))
    tx = datasets.load(str(path), sheet="订单")
    assert tx.frame["amount"].sum() == pytest.approx(orders["金额"].sum())
    with pytest.raises(ParameterError, match="customer"):  # the first sheet has no orders
        check_dataset(path)
    with pytest.raises(DataError) as info:
        check_dataset(path, sheet="订购")
    assert "no sheet named '订购'" in str(info.value) and "-p sheet=" in str(info.value)


# --------------------------------------------------------------------------------------------
# values, built-in data sets, chapters, profiles
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("arg,value,fragments", [
    ("encoding", "gbkk", ["encoding='gbkk' is not a text encoding", "-p encoding=gb18030"]),
    ("date_format", "dd/mm/yyyy", ["no strptime code", "-p date_format=%d/%m/%Y",
                                   '`date_format: "%d/%m/%Y"`']),
    ("decimal", ";", ["decimal=';'", "-p decimal=,", '`decimal: ","`']),
    ("timezone", "Asia/Shanghia", ["not a known time zone", "-p timezone=Asia/Shanghai"]),
])
def test_a_bad_option_names_the_profile_key_flag_and_argument(export, arg, value, fragments):
    for call in (lambda: check_dataset(export, **{arg: value}, where="profile my-data"),
                 lambda: datasets.load(str(export), **{arg: value})):
        with pytest.raises(ParameterError) as info:
            call()
        for fragment in fragments:
            assert fragment in str(info.value), (fragment, str(info.value))


def test_builtin_data_sets_are_read_as_shipped_whatever_the_options():
    """The options describe the user's file, like the column names: a built-in data set ignores
    them, so a profile written for one's own file can be tried on -p dataset=cdnow-sample."""
    options = {"encoding": "gbk", "sheet": "订单", "date_format": "%d/%m/%Y", "decimal": ",",
               "timezone": "Asia/Shanghai"}
    plain = datasets.load("cdnow-sample")
    given = datasets.load("cdnow-sample", **options)
    pd.testing.assert_frame_equal(given.frame, plain.frame)
    assert given.meta["calibration_end"] == plain.meta["calibration_end"]
    assert check_dataset("cdnow", **options) is None
    # a value that is wrong for any file is still refused
    with pytest.raises(ParameterError, match="-p timezone=Asia/Shanghai"):
        datasets.load("cdnow-sample", timezone="Asia/Shanghia")


@pytest.mark.parametrize("chapter", STOCK)
def test_every_chapter_declares_the_options_empty_and_says_what_empty_means(chapter):
    """That they are declared and passed to load at all is a convention (tests/test_chapters.py,
    convention_problems); here: empty by default, so the file is read as detected."""
    declared = nbk.notebook_parameters(NB_DIR / f"{chapter}.ipynb")
    for name in READER_OPTIONS:
        assert declared[name].default == "" and declared[name].annotation == "str"
        assert "(\"\": " in declared[name].help  # says what an empty value means


def test_the_new_chapter_template_declares_the_options_empty():
    from crmlab.report.chapters import chapter_text

    text = chapter_text("06_loyalty")
    for name in READER_OPTIONS:
        assert re.search(rf'^{name}: str = ""  # ', text, re.M)


def test_the_keys_documented_in_my_data_are_valid_chapter_parameters():
    text = (ROOT / "reports" / "profiles" / "my-data.yml").read_text(encoding="utf-8")
    documented = re.findall(r"(?m)^  # (\w+):", text)
    assert set(READER_OPTIONS) <= set(documented)
    # uncommented as written, they are what a chapter accepts
    on = re.sub(r"(?m)^  # (" + "|".join(READER_OPTIONS) + r"):", r"  \1:", text)
    params = yaml.safe_load(on)["parameters"]
    assert params["date_format"] == "%d/%m/%Y" and params["decimal"] == ","
    for chapter in ("01_value_theory", "05_strategy"):
        declared = nbk.notebook_parameters(NB_DIR / f"{chapter}.ipynb")
        checked = nbk.check_parameters({k: params[k] for k in READER_OPTIONS}, declared)
        assert checked == {k: params[k] for k in READER_OPTIONS}


def test_a_profile_sets_the_options_for_the_preflight_of_every_chapter(export, ambiguous):
    from crmlab.report.profiles import load_profile, plan

    def profile(path, **params):
        return load_profile({"name": "my-data", "title": "t",
                             "parameters": {"dataset": str(path), **params}})

    runs = plan(profile(ambiguous, date_format=DAY_FIRST, decimal=","), NB_DIR, ["zh"])
    assert set(STOCK) <= {r.chapter for r in runs}
    assert all(r.parameters["date_format"] == DAY_FIRST for r in runs)
    with pytest.raises(ParameterError) as info:
        plan(profile(ambiguous, decimal=","), NB_DIR, ["zh"])
    assert "profile my-data, chapter 01_value_theory" in str(info.value)
    assert '`date_format: "%d/%m/%Y %H:%M"`' in str(info.value)
    # -p sets it as well as the profile does
    assert plan(profile(ambiguous, decimal=","), NB_DIR, ["zh"],
                overrides=[f"date_format={DAY_FIRST}"])
    # a file that shows its order needs none
    assert set(STOCK) <= {r.chapter for r in plan(profile(export, decimal=","), NB_DIR, ["zh"])}
