"""Pre-flight checks: a wrong column or date is found from the header and one date scan."""

import numpy as np
import pandas as pd
import pytest

from crmlab.errors import DataError, ParameterError
from crmlab.preflight import check_dataset


@pytest.fixture
def log(tmp_path):
    """A GBK export with Chinese headers: 2023-01-01 00:00:00 to 2024-12-31 23:59:59."""
    rng = np.random.default_rng(11)
    n = 300
    seconds = rng.integers(0, 2 * 365 * 86400, n)
    dates = pd.Timestamp("2023-01-01") + pd.to_timedelta(seconds, unit="s")
    dates = dates.append(pd.DatetimeIndex(["2023-01-01 00:00:00", "2024-12-31 23:59:59"]))
    frame = pd.DataFrame({"会员号": [f"M{i % 40}" for i in range(len(dates))],
                          "下单时间": dates.strftime("%Y/%m/%d %H:%M:%S"),
                          "实付金额": "99.5"})
    path = tmp_path / "orders_gbk.csv"
    frame.to_csv(path, index=False, encoding="gbk")
    return path


def test_a_good_file_passes_and_reports_its_span(log):
    got = check_dataset(str(log), customer="会员号", date="下单时间", amount="实付金额",
                        observation_end="2024-12-31", calibration_end="2024-06-30")
    assert got.first == pd.Timestamp("2023-01-01") and got.last == pd.Timestamp("2024-12-31 23:59:59")
    assert got.columns == {"customer_id": "会员号", "date": "下单时间", "amount": "实付金额"}
    frame = pd.read_csv(log, encoding="gbk")
    when = pd.to_datetime(frame["下单时间"], format="%Y/%m/%d %H:%M:%S")
    # a date bound is the whole day: 2024-06-30 23:59 is calibration, 2024-12-31 23:59:59 is in
    assert got.n_calibration == int((when < "2024-07-01").sum())
    assert got.n_holdout == int((when >= "2024-07-01").sum())
    assert got.n_calibration + got.n_holdout == len(frame)


def test_columns_found_by_name_when_not_given(log):
    got = check_dataset(log)
    assert got.columns["customer_id"] == "会员号"


def test_a_misspelled_column_names_the_profile_key_flag_and_argument(log):
    with pytest.raises(ParameterError) as info:
        check_dataset(str(log), customer="会员", where="profile my-data")
    msg = str(info.value)
    for fragment in ("profile my-data", "customer_col='会员'", "did you mean '会员号'",
                     "-p customer_col=", "customer='<column>'", "下单时间"):
        assert fragment in msg, (fragment, msg)


@pytest.mark.parametrize("kw,fragments", [
    ({"observation_end": "2022-06-30"}, ["observation_end=2022-06-30", "before the first",
                                         "2023-01-01 to 2024-12-31", "-p observation_end="]),
    ({"observation_end": "2052-12-31"}, ["observation_end=2052-12-31", "after the last"]),
    ({"calibration_end": "2022-12-31"}, ["calibration period is empty", "-p calibration_end="]),
    ({"observation_end": "2024-12-31", "calibration_end": "2025-01-15"},
     ["calibration_end=2025-01-15 must be before observation_end=2024-12-31"]),
    ({"observation_end": "2025-01-20", "calibration_end": "2025-01-10"},
     ["holdout period is empty", "calibration_end=2025-01-10", "calibration_end="]),
    ({"observation_end": "soon"}, ["observation_end='soon' is not a date"]),
])
def test_dates_outside_the_data_or_empty_periods_fail(log, kw, fragments):
    with pytest.raises(ParameterError) as info:
        check_dataset(log, **kw)
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_the_last_day_counts_whole_so_a_holdout_of_one_day_is_not_empty(log):
    got = check_dataset(log, observation_end="2024-12-31", calibration_end="2024-12-30")
    assert got.n_holdout >= 1  # 2024-12-31 23:59:59 is inside observation_end=2024-12-31
    with pytest.raises(ParameterError, match="holdout period is empty"):
        check_dataset(log, observation_end="2024-12-31 12:00", calibration_end="2024-12-31 11:00")


def test_builtin_data_sets_skip_the_file_scan():
    assert check_dataset("cdnow", customer="nope", observation_end="1900-01-01") is None


def test_missing_file_and_unreadable_file(tmp_path):
    with pytest.raises(ParameterError, match="neither a built-in data set"):
        check_dataset(tmp_path / "nope.csv")
    bad = tmp_path / "x.parquet"
    bad.write_bytes(b"PAR1garbage")
    with pytest.raises(DataError, match="not a readable Parquet"):
        check_dataset(bad)


def test_parquet_and_excel_headers(tmp_path):
    frame = pd.DataFrame({"cust": ["a", "b"], "when": pd.to_datetime(["2021-01-01", "2021-03-01"])})
    frame.to_parquet(tmp_path / "x.parquet")
    got = check_dataset(tmp_path / "x.parquet", customer="cust", date="when")
    assert (got.first, got.last) == (pd.Timestamp("2021-01-01"), pd.Timestamp("2021-03-01"))
    with pytest.raises(ParameterError, match="date_col='wen'"):
        check_dataset(tmp_path / "x.parquet", customer="cust", date="wen")
    frame.to_excel(tmp_path / "x.xlsx", index=False)
    got = check_dataset(tmp_path / "x.xlsx", customer="cust", date="when")
    assert got.n_dates == 2


def _profile(log, **params):
    from crmlab.report.profiles import load_profile

    return load_profile({"name": "my-data", "title": "t",
                         "parameters": {"dataset": str(log), "observation_end": "2024-12-31",
                                        "calibration_end": "2024-06-30", **params},
                         "chapters": {"03_clv": {}}})


def test_plan_stops_on_a_misspelled_customer_col(log):
    from crmlab.report.profiles import plan

    runs = plan(_profile(log, customer_col="会员号"), "notebooks", ["zh"])
    assert any(r.chapter == "03_clv" for r in runs)
    with pytest.raises(ParameterError) as info:
        plan(_profile(log, customer_col="会员"), "notebooks", ["zh"])
    assert "profile my-data, chapter" in str(info.value)
    assert "-p customer_col=" in str(info.value)
    # a -p override is checked the same way
    with pytest.raises(ParameterError, match="empty"):
        plan(_profile(log), "notebooks", ["zh"], overrides=["calibration_end=2025-01-15",
                                                             "observation_end=2025-01-20"])


def test_build_stops_before_any_chapter_runs(log, tmp_path, monkeypatch):
    from crmlab.report import builder

    def no_run(*args, **kwargs):
        raise AssertionError("a chapter was executed")

    monkeypatch.setattr(builder, "execute_all", no_run)
    monkeypatch.setattr(builder, "execute_cached", no_run)
    with pytest.raises(ParameterError, match="observation_end=2052-12-31"):
        builder.build(_profile(log, observation_end="2052-12-31"), out=tmp_path, pdf=False,
                      progress=False, cache=False)


def test_run_stops_before_the_chapter_runs(log, tmp_path, monkeypatch):
    """`crmlab run` checks the user's file as `crmlab build` does: a misspelled column stops it
    before the kernel starts, with exit status 2 and the fix."""
    from crmlab import cli
    from crmlab.report import builder

    def no_run(*args, **kwargs):
        raise AssertionError("a chapter was executed")

    monkeypatch.setattr(builder, "execute_cached", no_run)
    code = cli.main(["run", "02_rfm", "-p", f"dataset={log}", "-p", "customer_col=会员",
                     "--out", str(tmp_path)])
    assert code == 2


@pytest.mark.parametrize("kw", [{}, {"observation_end": "2024-12-31 12:00",
                                     "calibration_end": "2024-03-31"}])
def test_duckdb_and_pandas_scans_agree(tmp_path, kw, monkeypatch):
    import crmlab.preflight

    monkeypatch.setattr(crmlab.preflight, "SAMPLE_ROWS", 500)  # the 年月日 rows lie beyond
    rng = np.random.default_rng(5)
    n = 3000
    when = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 2 * 365 * 86400, n), "s")
    text = pd.Series(when.strftime("%Y/%m/%d %H:%M:%S"))
    # a few 年月日 dates late in the file, where the first rows never show them
    late = np.arange(n - 40, n, 7)
    text.iloc[late] = [f"{t.year}年{t.month}月{t.day}日" for t in when[late]]
    frame = pd.DataFrame({"customer_id": rng.integers(0, 300, n), "date": text, "amount": 1.5})
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    a = check_dataset(path, engine="pandas", **kw)
    b = check_dataset(path, engine="duckdb", **kw)
    assert (a.engine, b.engine) == ("pandas", "duckdb")
    for attr in ("first", "last", "n_dates", "n_calibration", "n_holdout", "observation_end",
                 "calibration_end"):
        assert getattr(a, attr) == getattr(b, attr), attr
    assert a.n_dates == n


# --------------------------------------------------------------------------------------------
# dates written year last: the day/month order must be shown and read
# --------------------------------------------------------------------------------------------
def _year_last_log(tmp_path, fmt: str, n: int = 600, name: str = "log.csv"):
    """A log sorted by date from 1 January 2024, its dates written in ``fmt``."""
    rng = np.random.default_rng(3)
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        np.sort(rng.integers(0, 180 * 86400, n)), unit="s")
    when = when.floor("min")
    frame = pd.DataFrame({"customer_id": rng.integers(0, 80, n), "date": when.strftime(fmt),
                          "amount": 1.5})
    path = tmp_path / name
    frame.to_csv(path, index=False, encoding="utf-8")
    return path, pd.Series(when)


def test_the_day_month_guard_refuses_dates_read_in_the_wrong_order():
    """The reader reads both orders of 28/05/2024 06:00 right; the guard compares what it read
    with the dates as written, so a reading with day and month swapped (as the reader once
    did) or dropped is refused."""
    from crmlab.preflight import _check_day_month

    written = pd.Series(["28/05/2024 06:00", "03/05/2024 07:30", "12/01/2024 09:00"])
    right = pd.Series(pd.to_datetime(written, format="%d/%m/%Y %H:%M"))
    assert _check_day_month(written, right, "orders.csv", "下单时间", 2, "") is True
    swapped = pd.Series(pd.to_datetime(written, format="%m/%d/%Y %H:%M", errors="coerce"))
    assert swapped.isna().sum() == 1  # 28/05 dropped, 03/05 read as 5 March
    with pytest.raises(ParameterError) as info:
        _check_day_month(written, swapped, "orders.csv", "下单时间", 2, "chapter 02_rfm: ")
    msg = str(info.value)
    for fragment in ("chapter 02_rfm: orders.csv", "writes the day first ('28/05/2024 06:00' at "
                     "row 2)", "3 of its 3 dates would be dropped or have day and month swapped",
                     "-p date_format='%d/%m/%Y %H:%M'", '`date_format: "%d/%m/%Y %H:%M"`',
                     "date_format='%d/%m/%Y %H:%M'"):
        assert fragment in msg, (fragment, msg)


@pytest.mark.parametrize("fmt", ["%m.%d.%Y %H:%M", "%d.%m.%Y", "%d-%m-%Y %H:%M:%S", "%m-%d-%Y"])
def test_year_last_dates_with_dots_and_dashes_are_read_in_the_order_they_show(fmt, tmp_path):
    """Dots and dashes in either order (05.28.2024 06:00, 28-05-2024): the reader once knew
    dots day first only and no dashes, so such a column lost its days above 12 and had the rest
    swapped; pre-flight refused it. Now pre-flight and the chapters read it as written."""
    from crmlab import datasets

    path, when = _year_last_log(tmp_path, fmt)
    when = when if "%H" in fmt else when.dt.normalize()
    got = check_dataset(path)
    assert (got.first, got.last, got.n_dates) == (when.min(), when.max(), len(when))
    tx = datasets.load(str(path))
    assert list(tx.frame["date"]) == list(when)
    assert tx.ledger.dropped == {} and tx.ledger.date_format == fmt
    assert list(datasets.load(str(path), date_format=fmt).frame["date"]) == list(when)


def test_duckdb_reads_the_whole_column_when_its_first_rows_do_not_show_the_order(
        tmp_path, monkeypatch):
    """A log sorted by date from 1 January shows no day above 12 in its first rows: pre-flight
    reads the whole column (which shows the day first) instead of refusing it."""
    import crmlab.preflight

    monkeypatch.setattr(crmlab.preflight, "SAMPLE_ROWS", 30)  # 1 to 10 January
    path, when = _year_last_log(tmp_path, "%d/%m/%Y %H:%M")
    assert (when.iloc[:30].dt.day <= 12).all() and (when.dt.day > 12).any()
    for engine in ("duckdb", "pandas"):
        got = check_dataset(path, engine=engine)
        assert (got.first, got.last, got.n_dates) == (when.min(), when.max(), len(when))
        assert got.engine == "pandas"
        upto = got.calibration_end + pd.Timedelta(days=1)
        assert got.n_calibration == int((when < upto).sum())
    # first rows that show the order are scanned by DuckDB
    monkeypatch.setattr(crmlab.preflight, "SAMPLE_ROWS", 200)
    assert (when.iloc[:200].dt.day > 12).any()
    got = check_dataset(path, engine="duckdb")
    assert got.engine == "duckdb" and (got.first, got.last) == (when.min(), when.max())


def _iso_then_year_last(tmp_path, late_fmt: str, days_above_12: bool):
    """3,000 orders with ISO timestamps, then 60 written year last in ``late_fmt``: days 1-12
    only (the order cannot be known) or days up to 28 (it shows)."""
    rng = np.random.default_rng(11)
    n = 3000
    when = pd.Timestamp("2023-01-01") + pd.to_timedelta(
        np.sort(rng.integers(0, 365 * 86400, n)), unit="s")
    when = pd.Series(when.floor("min"))
    text = when.dt.strftime("%Y-%m-%d %H:%M:%S")
    late = np.arange(n - 60, n)
    day = rng.integers(1, 29 if days_above_12 else 13, late.size)
    day[0] = 28 if days_above_12 else 5
    when.iloc[late] = [pd.Timestamp(2023, 12, int(d), 10, 30) for d in day]
    text.iloc[late] = when.iloc[late].dt.strftime(late_fmt)
    frame = pd.DataFrame({"customer_id": rng.integers(0, 300, n), "date": text, "amount": 2.0})
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False, encoding="utf-8")
    return path, when


def test_duckdb_scan_checks_year_last_dates_beyond_the_first_rows(tmp_path, monkeypatch):
    """A large file whose first rows are ISO and whose year-last dates come later: DuckDB once
    read them with the first known format that fits (03/05 as 5 March) and pre-flight passed,
    so only the chapter stopped. Now such dates send the column to pandas' full check."""
    import crmlab.preflight

    monkeypatch.setattr(crmlab.preflight, "SAMPLE_ROWS", 500)  # the year-last rows lie beyond
    # days 1 to 12 only: refused before any chapter runs, by both scans, with the same words
    # (the reader's: ISO mixed with dates that read both ways)
    from crmlab.errors import CrmlabError

    path, _ = _iso_then_year_last(tmp_path, "%d/%m/%Y %H:%M", days_above_12=False)
    said = []
    for engine in ("pandas", "duckdb"):
        with pytest.raises(CrmlabError, match="cannot be known") as info:
            check_dataset(path, engine=engine)
        said.append(str(info.value))
    assert said[0] == said[1] and "-p date_format=" in said[0]
    # days up to 28: the order shows, and every date is read as written
    path, when = _iso_then_year_last(tmp_path, "%d/%m/%Y %H:%M", days_above_12=True)
    got = check_dataset(path, engine="duckdb")
    assert got.engine == "pandas"
    assert (got.first, got.last, got.n_dates) == (when.min(), when.max(), len(when))
    upto = got.calibration_end + pd.Timedelta(days=1)
    assert got.n_calibration == int((when < upto).sum())


def test_duckdb_scan_keeps_its_route_when_the_first_rows_decide(tmp_path, monkeypatch):
    """First rows that show the day first, and a whole column in that order with one
    separator: DuckDB scans it. A later date with another separator goes to pandas."""
    import crmlab.preflight

    monkeypatch.setattr(crmlab.preflight, "SAMPLE_ROWS", 200)
    path, when = _year_last_log(tmp_path, "%d/%m/%Y %H:%M")
    assert (when.iloc[:200].dt.day > 12).any()
    got = check_dataset(path, engine="duckdb")
    assert got.engine == "duckdb" and got.n_dates == len(when)
    frame = pd.read_csv(path, dtype=str)
    frame.loc[len(frame) - 1, "date"] = when.iloc[-1].strftime("%d.%m.%Y %H:%M")
    frame.to_csv(path, index=False)
    got = check_dataset(path, engine="duckdb")
    assert got.engine == "pandas" and got.n_dates == len(when) and got.last == when.max()
