"""Timestamped logs: a date bound means the whole day, and summarise(path) reads what
read_transactions reads.

The reference is written from the definitions (Fader & Hardie; lifetimes' calibration and
holdout columns) with plain pandas and Python ``datetime.date`` arithmetic: purchases are
grouped by calendar day, a date bound keeps every purchase whose calendar day is not after it.
Nothing of crmlab's cut (an end-of-day instant compared with timestamps) is reused.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings

import pandas as pd
import pytest

import crmlab
from crmlab.errors import DataError

from _logs import CAL_DAY, COLUMNS, OBS_DAY, assert_matches, reference, timestamped_log

def quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return crmlab.summarise(*args, **kwargs)


@pytest.fixture(scope="module")
def log():
    return timestamped_log()


def test_the_log_has_the_boundary_cases(log):
    day = log["date"].dt.date
    for d in (CAL_DAY, OBS_DAY):
        on = log[day == d]
        assert (on["date"].dt.time == dt.time(0, 0)).any()
        assert (on["date"].dt.time == dt.time(23, 59, 59)).any()
        assert len(on) > 10  # and ordinary customers buying that day
    first = log.groupby("customer_id")["date"].min().dt.date
    assert (first == CAL_DAY).sum() >= 5  # first purchases on the calibration end day
    assert log.groupby(["customer_id", day]).size().gt(1).sum() > 500  # same-day purchases
    assert log["customer_id"].nunique() > 3000 and (day > OBS_DAY).any()


@pytest.mark.parametrize("unit", ["D", "W", "M"])
def test_date_bounds_include_the_whole_day(log, unit):
    ours = quiet(log, observation_end="2024-06-30", calibration_end="2023-12-31",
                 time_unit=unit, regularity=True)
    ref = reference(log, CAL_DAY, OBS_DAY, unit)
    assert_matches(ours, ref)
    # the customers whose first purchase was on the calibration end day are all there
    for cid in ("b0first_midnight", "b0first_noon", "b0first_last_second"):
        assert ours.loc[cid, "frequency"] == 0 and ours.loc[cid, "T"] == 0
    assert ours.loc["b0both_sides", "frequency_holdout"] == 1  # the day after, merged
    assert ours.loc["b0both_sides", "frequency"] == 1  # the day before and the boundary day
    assert "b1both_sides" not in ours.index  # its first purchase is in the holdout
    excluded = int((log["date"].dt.date > OBS_DAY).sum())
    assert ours.attrs["excluded_after_end"] == excluded
    assert ours.attrs["observation_end"] == pd.Timestamp("2024-06-30")


def test_date_bound_without_calibration(log):
    ours = quiet(log, observation_end=pd.Timestamp("2024-06-30"), time_unit="W")
    ref = reference(log, OBS_DAY, OBS_DAY, "W")
    assert_matches(ours, ref, ["frequency", "recency", "T", "monetary_value"])
    assert ours.loc["b1first_last_second", "n_transactions"] == 2
    assert ours.loc["b1both_sides", "frequency"] == 1  # not the day after
    assert ours.loc["b1both_sides", "n_transactions"] == 3


def test_a_bound_with_a_time_of_day_is_taken_as_given(log):
    end = pd.Timestamp("2024-06-30 12:00")
    ours = quiet(log, observation_end="2024-06-30 12:00", time_unit="D")
    kept = log[log["date"] <= end]
    ref = reference(kept, OBS_DAY, OBS_DAY, "D")
    assert_matches(ours, ref, ["frequency", "recency", "T", "monetary_value"])
    assert "b1first_last_second" not in ours.index and "b1first_noon" not in ours.index
    assert ours.loc["b1first_midnight", "frequency"] == 0
    assert ours.loc["b1repeat_end", "frequency"] == 0  # its 23:59:59 repeat is after noon


def test_bounds_on_the_same_day(log):
    # calibration_end, a whole day, ends after observation_end at 18:00 that day
    with pytest.raises(crmlab.errors.ParameterError, match="must be before observation_end"):
        quiet(log, observation_end="2024-06-30 18:00", calibration_end="2024-06-30")
    # a time earlier the same day leaves a holdout of the rest of that day
    got = quiet(log, observation_end="2024-06-30 23:00", calibration_end="2024-06-30 06:00")
    assert got["frequency_holdout"].sum() > 0 and (got["duration_holdout"] == 0).all()


def test_rfm_table_analysis_date_is_the_whole_day(log):
    rfm = quiet_rfm(log, analysis_date="2024-06-30")
    day = pd.Series([ts.date() for ts in log["date"]], index=log.index)
    kept = log[day <= OBS_DAY].assign(day=day)
    last = kept.groupby("customer_id")["day"].max()
    expect = pd.Series([(OBS_DAY - d).days for d in last], index=last.index)
    assert (rfm["recency"] == expect.loc[rfm.index]).all()
    assert (rfm["frequency"] == kept.groupby("customer_id").size().loc[rfm.index]).all()
    assert rfm.loc["b1first_last_second", "recency"] == 0


def quiet_rfm(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return crmlab.rfm_table(*args, **kwargs)


def test_datasets_load_keeps_the_last_day(tmp_path, log):
    path = tmp_path / "orders.csv"
    log[log["date"].dt.date <= OBS_DAY].to_csv(path, index=False)
    tx = crmlab.datasets.load(str(path))
    assert tx.meta["observation_end"] == pd.Timestamp("2024-06-30")
    s = quiet(tx, observation_end=tx.meta["observation_end"],
              calibration_end=tx.meta["calibration_end"], time_unit="W")
    assert s.attrs["excluded_after_end"] == 0  # the orders of the last day are all in
    timed = crmlab.datasets.load(str(path), observation_end="2024-06-30 12:00")
    assert timed.meta["observation_end"] == pd.Timestamp("2024-06-30 12:00")


# ------------------------------------------------------------------ regularity (litt)

def test_litt_is_zero_without_repeats_and_compress_keeps_it(log):
    s = quiet(log, observation_end="2024-06-30", calibration_end="2023-12-31", time_unit="W",
              regularity=True)
    assert (s.loc[s["frequency"] == 0, "litt"] == 0).all()
    assert (s.loc[s["frequency"] > 0, "litt"] != 0).any()
    c = crmlab.compress(s)
    assert list(c.columns) == ["frequency", "recency", "T", "litt", "weights"]
    assert c["weights"].sum() == len(s)
    back = s.groupby(["frequency", "recency", "T", "litt"]).size()
    assert len(back) == len(c)
    plain = quiet(log, observation_end="2024-06-30", calibration_end="2023-12-31", time_unit="W")
    assert "litt" not in plain.columns
    pd.testing.assert_frame_equal(plain, s.drop(columns="litt"))


def test_litt_in_months_with_monthly_periods():
    df = pd.DataFrame({"customer_id": ["a"] * 4 + ["b"],
                       "date": pd.to_datetime(["2024-01-31 10:00", "2024-01-02", "2024-03-01",
                                               "2024-06-15 23:59:59", "2024-02-01"], format="mixed"),
                       "amount": 1.0})
    s = quiet(df, observation_end="2024-06-30", aggregate="M", time_unit="M", regularity=True)
    # months Jan, Mar, Jun: gaps of 2 and 3 months
    assert s.loc["a", "litt"] == pytest.approx(math.log(2) + math.log(3), abs=1e-11)
    assert s.loc["b", "litt"] == 0


# ------------------------------------------------------------------ summarise(path)

CHINESE = {"customer_id": "会员号", "date": "下单时间", "amount": "实付金额"}


@pytest.fixture(scope="module")
def gbk_file(tmp_path_factory, log):
    path = tmp_path_factory.mktemp("gbk") / "orders_gbk.csv"
    out = log.rename(columns=CHINESE)
    out["下单时间"] = out["下单时间"].dt.strftime("%Y-%m-%d %H:%M:%S")
    out["商品"] = "商品甲"  # an extra column, in Chinese too
    out.to_csv(path, index=False, encoding="gbk")
    return path


def test_a_gbk_csv_with_chinese_headers(gbk_file, log):
    kw = dict(observation_end="2024-06-30", calibration_end="2023-12-31", time_unit="W",
              regularity=True)
    by_path = quiet(gbk_file, **kw)
    tx = crmlab.read_transactions(gbk_file)
    by_frame = quiet(tx.frame, **kw)
    pd.testing.assert_frame_equal(by_path, by_frame)
    assert_matches(by_path, reference(log, CAL_DAY, OBS_DAY, "W"))
    ledger = by_path.attrs["ledger"]
    assert ledger.encoding == "gb18030" and ledger.rows_read == len(log)
    assert ledger.columns == {"customer_id": "会员号", "date": "下单时间", "amount": "实付金额"}


def test_utf8_csv_tsv_parquet_and_excel_give_the_same_summary(tmp_path, log):
    small = log[log["customer_id"].str.startswith(("u000", "b"))]
    kw = dict(observation_end="2024-06-30", calibration_end="2023-12-31", time_unit="W")
    ref = reference(small, CAL_DAY, OBS_DAY, "W")
    out = small.rename(columns=CHINESE)
    files = {"utf8bom.csv": lambda p: out.to_csv(p, index=False, encoding="utf-8-sig"),
             "tab.tsv": lambda p: out.to_csv(p, index=False, sep="\t"),
             "orders.parquet": lambda p: out.to_parquet(p),
             "orders.xlsx": lambda p: out.to_excel(p, index=False)}
    for name, write in files.items():
        write(tmp_path / name)
        got = quiet(tmp_path / name, **kw)
        assert_matches(got, ref, [c for c in COLUMNS if c != "litt"])
        assert got.attrs["ledger"].columns["customer_id"] == "会员号", name
        assert got.attrs["ledger"].rows_kept == len(small), name


def test_path_keywords_name_the_columns(tmp_path, log):
    small = log[log["customer_id"].str.startswith("u00")]
    path = tmp_path / "odd.csv"
    small.rename(columns={"customer_id": "who", "date": "when", "amount": "paid"}).to_csv(
        path, index=False)
    got = quiet(path, observation_end="2024-06-30", customer="who", date="when", amount="paid")
    ref = reference(small, OBS_DAY, OBS_DAY, "D")
    assert_matches(got, ref, ["frequency", "recency", "T", "monetary_value"])
    with pytest.raises(DataError, match="no column named 'buyer'.*customer="):
        quiet(path, observation_end="2024-06-30", customer="buyer", date="when")


def test_date_format_and_dirty_amounts_go_through_read_transactions(tmp_path):
    path = tmp_path / "dirty.csv"
    path.write_text("客户编号,交易日期,金额\nA,05/03/2024,\"¥1,200.50\"\nA,07/03/2024,¥30\n"
                    "B,06/03/2024,-5\nB,06/03/2024,8\n,06/03/2024,9\n", encoding="utf-8")
    got = quiet(path, observation_end="2024-03-31", date_format="%d/%m/%Y")
    assert got.loc["A", "monetary_value"] == 30.0 and got.loc["A", "recency"] == 2
    ledger = got.attrs["ledger"]
    assert ledger.dropped == {"missing_customer_id": 1, "negative_amount": 1}
    assert ledger.date_format == "%d/%m/%Y"


def test_the_streaming_route_keeps_read_transactions_row_policy(tmp_path):
    path = tmp_path / "policy.csv"
    path.write_text("customer_id,date,amount\n a ,2024-01-01 10:00:00,5\n"
                    "a,2024-01-03 10:00:00,7\nNULL,2024-01-03 11:00:00,1\n"
                    "b,,3\nb,2024-01-04 09:00:00,\nb,2024-01-05 09:00:00,-2\n"
                    "b,2024-01-06 09:00:00,4\n00123,2024-01-06 09:00:00,4\n")
    got = quiet(path, observation_end="2024-01-31")
    tx = crmlab.read_transactions(path)
    pd.testing.assert_frame_equal(got, quiet(tx, observation_end="2024-01-31"))
    assert got.attrs["ledger"].dropped == tx.ledger.dropped
    assert got.attrs["ledger"].rows_read == tx.ledger.rows_read
    assert list(got.index) == ["00123", "a", "b"]


def test_day_first_dates_in_a_utf8_csv_are_read_as_read_transactions_reads_them(tmp_path):
    """DuckDB's CSV sniffer would pick a day/month order by itself: such files go through
    read_transactions, so its rules and ledger hold on both routes."""
    path = tmp_path / "dmy.csv"
    path.write_text("customer_id,date,amount\na,01/02/2023,5\na,03/02/2023,6\nb,02/03/2023,7\n")
    got = quiet(path, observation_end="2023-12-31")
    tx = crmlab.read_transactions(path)
    pd.testing.assert_frame_equal(got, quiet(tx, observation_end="2023-12-31"))
    assert got.attrs["ledger"].to_dict() == tx.ledger.to_dict()


def test_a_semicolon_csv_is_read_with_read_transactions_decimal_rules(tmp_path):
    """In a ";" file "1.234" is 1234 to read_transactions (a decimal comma country): the
    DuckDB reader would take 1.234, so such files go through read_transactions."""
    path = tmp_path / "semi.csv"
    path.write_text("customer_id;date;amount\na;2023-01-02;1.234\na;2023-01-05;12\n")
    got = quiet(path, observation_end="2023-12-31")
    tx = crmlab.read_transactions(path)
    pd.testing.assert_frame_equal(got, quiet(tx, observation_end="2023-12-31"))
    assert got.loc["a", "total_amount"] == tx.frame["amount"].sum()


def test_keywords_on_frames_ibis_tables_and_parquet_globs(tmp_path, log):
    import ibis

    small = log[log["customer_id"].str.startswith("u00")]
    ref = reference(small, OBS_DAY, OBS_DAY, "D")
    named = small.rename(columns=CHINESE)
    con = ibis.duckdb.connect()
    half = len(named) // 2
    named.iloc[:half].to_parquet(tmp_path / "part1.parquet")
    named.iloc[half:].to_parquet(tmp_path / "part2.parquet")
    kw = dict(customer="会员号", date="下单时间", amount="实付金额")
    for tx, extra in ((named, kw), (con.create_table("named", named), kw),
                      (str(tmp_path / "part*.parquet"), {}), (tmp_path, {})):
        got = quiet(tx, observation_end="2024-06-30", **extra)
        assert_matches(got, ref, ["frequency", "recency", "T", "monetary_value"])
    with pytest.raises(crmlab.errors.ParameterError, match="encoding= apply to files only"):
        quiet(named, observation_end="2024-06-30", encoding="gbk", **kw)
