"""crmlab.summarise / compress / rfm_table against lifetimes and hand computations."""

from __future__ import annotations

import warnings

import ibis
import numpy as np
import pandas as pd
import pytest
from lifetimes.utils import summary_data_from_transaction_data

import crmlab
from crmlab.datasets import BENCHMARKS, load_benchmark, load_cdnow
from crmlab.errors import DataError, ParameterError

from _logs import random_log

LIFETIMES_COLS = ["frequency", "recency", "T", "monetary_value"]
MONTH_DAYS = 365.25 / 12


def on_or_before(dates: pd.Series, end: pd.Timestamp) -> pd.Series:
    """Rows inside an end bound as a user means it, by calendar dates (not by crmlab's cut):
    a date (midnight) is the whole day, a time of day is inclusive as given."""
    if end == end.normalize():
        return pd.Series([d <= end.date() for d in dates.dt.date], index=dates.index)
    return dates <= end


def lifetimes_reference(df, obs_end, freq):
    """lifetimes' summary_data_from_transaction_data(freq=freq) for D and W.

    For "M", lifetimes 0.11.3 raises on pandas 3 (it divides by np.timedelta64(1, "M")). Its
    intent, to_period("M") followed by period differences, is reproduced by mapping every
    calendar month to one day (its month ordinal) and running lifetimes with freq="D".
    crmlab excludes rows after observation_end by timestamp (lifetimes keeps those in the
    same period), so the reference gets the same rows: a date bound includes its whole day.
    """
    df = df[on_or_before(df["date"], obs_end)]
    if freq != "M":
        return summary_data_from_transaction_data(df, "customer_id", "date", "amount",
                                                  observation_period_end=obs_end, freq=freq)
    epoch = pd.Timestamp("1970-01-01")
    as_day = lambda s: epoch + pd.to_timedelta(s.dt.year * 12 + s.dt.month, unit="D")  # noqa: E731
    mapped = df.assign(date=as_day(df["date"]))
    end = as_day(pd.Series([obs_end]))[0]
    return summary_data_from_transaction_data(mapped, "customer_id", "date", "amount",
                                              observation_period_end=end, freq="D")


def lifetimes_cal_holdout(df, cal_end, obs_end, freq):
    """lifetimes' calibration_and_holdout_data, whose own code fails on pandas 3
    ("No objects to concatenate"), reproduced formula by formula from lifetimes/utils.py."""
    cal = lifetimes_reference(df[on_or_before(df["date"], cal_end)], cal_end, freq)
    hold = df[~on_or_before(df["date"], cal_end) & on_or_before(df["date"], obs_end)].copy()
    hold["period"] = hold["date"].dt.to_period(freq)
    out = cal.join(hold.groupby("customer_id")["period"].nunique().rename("frequency_holdout"))
    out = out.join(hold.groupby("customer_id")["amount"].mean().rename("monetary_value_holdout"))
    out = out.fillna(0)
    out["duration_holdout"] = float((obs_end.to_period(freq) - cal_end.to_period(freq)).n)
    return out


def quiet_summarise(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return crmlab.summarise(*args, **kwargs)


def assert_same(ours: pd.DataFrame, ref: pd.DataFrame, cols):
    ref = ref.copy()
    ref.index = ref.index.astype(str)
    assert sorted(ours.index) == sorted(ref.index)
    ref = ref.loc[ours.index]
    for c in cols:
        np.testing.assert_allclose(ours[c].to_numpy(float), ref[c].to_numpy(float),
                                   rtol=1e-9, atol=1e-9, err_msg=c)


@pytest.fixture(scope="module")
def log():
    return random_log(7)


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow()


# ------------------------------------------------------------------ lifetimes parity

@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_random_log_matches_lifetimes(log, freq):
    obs_end = pd.Timestamp("2020-01-15 12:00")  # mid-week, mid-month: later rows exist
    assert (log["date"] > obs_end).any()
    ours = quiet_summarise(log, observation_end=obs_end, aggregate=freq, time_unit=freq)
    assert_same(ours, lifetimes_reference(log, obs_end, freq), LIFETIMES_COLS)
    assert ours.attrs["excluded_after_end"] == int((log["date"] > obs_end).sum())
    # the log really has the cases the definitions differ on
    assert (ours["frequency"] == 0).any() and (ours["n_transactions"] > ours["frequency"] + 1).any()


@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_cdnow_matches_lifetimes(cdnow, freq):
    df = cdnow.frame
    obs_end = cdnow.meta["observation_end"]
    ours = crmlab.summarise(cdnow, observation_end=obs_end, aggregate=freq, time_unit=freq)
    assert len(ours) == 23570  # Fader & Hardie's CDNOW cohort
    assert_same(ours, lifetimes_reference(df, obs_end, freq), LIFETIMES_COLS)


@pytest.mark.parametrize("freq", ["D", "W", "M"])
def test_calibration_holdout_matches_lifetimes_formulas(log, freq):
    cal_end, obs_end = pd.Timestamp("2019-09-30"), pd.Timestamp("2020-03-31")
    ours = quiet_summarise(log, observation_end=obs_end, calibration_end=cal_end,
                           aggregate=freq, time_unit=freq)
    ref = lifetimes_cal_holdout(log, cal_end, obs_end, freq)
    assert_same(ours, ref, LIFETIMES_COLS + ["frequency_holdout", "monetary_value_holdout",
                                             "duration_holdout"])
    first = log.groupby("customer_id")["date"].min()
    assert set(ours.index) == set(first[first <= cal_end].index)
    assert ours["frequency_holdout"].gt(0).any()


@pytest.mark.parametrize("freq", ["D", "W"])
def test_a_period_split_by_calibration_end_counts_in_both_parts(log, freq):
    """calibration_end at noon: a customer's purchases that morning are calibration, those in
    the afternoon are a holdout period of their own (lifetimes counts holdout periods among
    the holdout transactions only)."""
    cal_end, obs_end = pd.Timestamp("2019-09-30 12:00"), pd.Timestamp("2020-03-31")
    key = log["date"].dt.to_period(freq)
    straddle = (log[key == cal_end.to_period(freq)].groupby("customer_id")["date"]
                .agg(lambda d: (d <= cal_end).any() and (d > cal_end).any()))
    assert straddle.any()  # the log has such customers
    ours = quiet_summarise(log, observation_end=obs_end, calibration_end=cal_end,
                           aggregate=freq, time_unit=freq)
    ref = lifetimes_cal_holdout(log, cal_end, obs_end, freq)
    assert_same(ours, ref, LIFETIMES_COLS + ["frequency_holdout", "monetary_value_holdout"])


def test_daily_aggregate_in_weeks_and_months(log):
    obs_end = pd.Timestamp("2020-06-30")
    days = lifetimes_reference(log, obs_end, "D")
    for unit, per in (("W", 7.0), ("M", MONTH_DAYS)):
        ours = quiet_summarise(log, observation_end=obs_end, time_unit=unit)
        ref = days.assign(recency=days["recency"] / per, T=days["T"] / per)
        assert_same(ours, ref, LIFETIMES_COLS)
        assert ours.attrs["time_unit"] == unit and ours.attrs["aggregate"] == "D"
    assert not np.allclose(ours["T"], ours["T"].round())  # fractional months


def test_purchase_columns_and_attrs(log):
    obs_end = pd.Timestamp("2020-06-30")
    ours = quiet_summarise(log, observation_end=obs_end, time_unit="W")
    kept = log[on_or_before(log["date"], obs_end)].groupby("customer_id")
    assert list(ours.columns) == ["frequency", "recency", "T", "monetary_value", "first_purchase",
                                  "last_purchase", "n_transactions", "total_amount"]
    pd.testing.assert_series_equal(ours["first_purchase"], kept["date"].min(), check_names=False,
                                   check_index_type=False, check_dtype=False)
    pd.testing.assert_series_equal(ours["last_purchase"], kept["date"].max(), check_names=False,
                                   check_index_type=False, check_dtype=False)
    assert (ours["n_transactions"].to_numpy() == kept.size().to_numpy()).all()
    np.testing.assert_allclose(ours["total_amount"], kept["amount"].sum(), rtol=1e-12)
    assert ours.index.name == "customer_id" and ours.index.is_monotonic_increasing
    a = ours.attrs
    assert (a["time_unit"], a["aggregate"], a["observation_end"], a["calibration_end"],
            a["has_monetary"]) == ("W", "D", obs_end, None, True)


def test_without_amount_has_no_monetary_columns(log):
    ours = quiet_summarise(log.drop(columns="amount"), observation_end="2020-06-30",
                           calibration_end="2020-01-31")
    assert not {"monetary_value", "total_amount", "monetary_value_holdout"} & set(ours.columns)
    assert ours.attrs["has_monetary"] is False
    ref = lifetimes_cal_holdout(log, pd.Timestamp("2020-01-31"), pd.Timestamp("2020-06-30"), "D")
    assert_same(ours, ref, ["frequency", "recency", "T", "frequency_holdout"])


# ------------------------------------------------------------------ inputs and engines

def test_parquet_csv_ibis_and_transactions_inputs_agree(log, tmp_path):
    kw = dict(observation_end="2020-03-31", calibration_end="2019-12-31", time_unit="W")
    base = quiet_summarise(log, **kw)
    log.to_parquet(tmp_path / "log.parquet")
    log.to_csv(tmp_path / "log.csv", index=False)
    con = ibis.duckdb.connect()
    # ibis 12 + sqlglot 28.10 (the pin): create_table works (with sqlglot 30 it does not)
    table = con.create_table("tx", log)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        tx = crmlab.read_transactions(log)
    others = [tmp_path / "log.parquet", str(tmp_path / "log.csv"), table, tx]
    for other in others:
        got = quiet_summarise(other, **kw)
        pd.testing.assert_frame_equal(got, base, check_exact=False, rtol=1e-12)
        assert got.attrs["excluded_after_end"] == base.attrs["excluded_after_end"]


def test_timezone_aware_dates_keep_their_wall_clock_time(log):
    """As read_transactions reads them: no purchase moves to another day."""
    aware = log.assign(date=log["date"].dt.tz_localize("Asia/Shanghai"))
    got = quiet_summarise(aware, observation_end=pd.Timestamp("2020-03-31", tz="Asia/Shanghai"))
    pd.testing.assert_frame_equal(got, quiet_summarise(log, observation_end="2020-03-31"))
    strings = log.assign(date=log["date"].dt.strftime("%Y-%m-%dT%H:%M:%S+08:00"))
    pd.testing.assert_frame_equal(quiet_summarise(strings, observation_end="2020-03-31"),
                                  quiet_summarise(log, observation_end="2020-03-31"))


def test_an_offset_never_moves_a_purchase_to_another_day(tmp_path):
    df = pd.DataFrame({"customer_id": ["a", "a", "b"],
                       "date": ["2024-01-01T01:00:00+08:00", "2024-01-02T23:30:00-05:00",
                                "2023-12-31T23:59:59Z"],
                       "amount": [1.0, 2.0, 3.0]})
    con = ibis.duckdb.connect()
    con.create_table("tz", df)
    for tx in (df, con.table("tz")):
        got = quiet_summarise(tx, observation_end="2024-01-02", time_unit="D")
        assert got.loc["a", "first_purchase"] == pd.Timestamp("2024-01-01 01:00")
        assert got.loc["a", "last_purchase"] == pd.Timestamp("2024-01-02 23:30")
        assert got.loc["a", "frequency"] == 1 and got.loc["b", "T"] == 2
    df.to_csv(tmp_path / "tz.csv", index=False)
    by_path = quiet_summarise(tmp_path / "tz.csv", observation_end="2024-01-02")
    by_reader = quiet_summarise(crmlab.read_transactions(tmp_path / "tz.csv"),
                                observation_end="2024-01-02")
    pd.testing.assert_frame_equal(by_path, by_reader)
    assert by_path.loc["a", "first_purchase"] == pd.Timestamp("2024-01-01 01:00")


@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_benchmark_customer_counts(name):
    """Customer counts of the six logs in Reutterer, Platzer & Schröder (2021), data README."""
    tx = load_benchmark(name)
    s = quiet_summarise(tx, observation_end=tx.meta["observation_end"],
                        calibration_end=tx.meta["calibration_end"], time_unit="W")
    expected = {"cdnow": 2357, "grocery": 1525, "m18": 831, "donations": 21166,
                "office": 1000, "dietary": 1000}[name]
    assert len(s) == expected
    assert s.attrs["has_monetary"] == tx.has_amount
    assert (s["T"] >= s["recency"]).all() and (s["duration_holdout"] > 0).all()


# ------------------------------------------------------------------ errors

def test_calibration_end_must_precede_observation_end(log):
    with pytest.raises(ParameterError, match="calibration_end"):
        crmlab.summarise(log, observation_end="2020-01-01", calibration_end="2020-01-01")


def test_observation_end_before_first_transaction(log):
    with pytest.raises(DataError, match="before the first transaction"):
        crmlab.summarise(log, observation_end="2018-01-01")


def test_mixed_timezones_are_refused(tmp_path):
    df = pd.DataFrame({"customer_id": ["a", "a", "b"],
                       "date": ["2020-01-01 10:00:00+08:00", "2020-01-02 09:00:00",
                                "2020-01-03 11:00:00"]})
    with pytest.raises(DataError, match="mixes timezone-aware"):
        crmlab.summarise(df, observation_end="2020-02-01")
    df.to_csv(tmp_path / "mixed.csv", index=False)
    # a file is refused as read_transactions refuses it (the same reader)
    with pytest.raises(DataError) as by_reader:
        crmlab.read_transactions(tmp_path / "mixed.csv")
    with pytest.raises(DataError) as by_summary:
        crmlab.summarise(tmp_path / "mixed.csv", observation_end="2020-02-01")
    assert str(by_summary.value) == str(by_reader.value)
    objects = df.assign(date=[pd.Timestamp("2020-01-01 10:00", tz="UTC"),
                              pd.Timestamp("2020-01-02"), pd.Timestamp("2020-01-03")])
    with pytest.raises(DataError, match="mixes timezone-aware"):
        crmlab.summarise(objects, observation_end="2020-02-01")


def test_null_customers_are_counted_and_dropped(log):
    bad = log.copy()
    bad.loc[[3, 10, 11], "customer_id"] = None
    with pytest.warns(UserWarning, match="3 transactions without customer_id"):
        got = crmlab.summarise(bad, observation_end="2021-12-31")
    assert got.attrs["dropped_null_customer"] == 3
    assert got["n_transactions"].sum() == len(log) - 3


def test_missing_columns_name_what_was_found():
    df = pd.DataFrame({"cust": ["a"], "when": ["2020-01-01"]})
    with pytest.raises(DataError, match="missing column.*customer_id, date; found cust, when"):
        crmlab.summarise(df, observation_end="2020-02-01")


def test_bad_units_and_inputs():
    df = pd.DataFrame({"customer_id": ["a"], "date": pd.to_datetime(["2020-01-01"])})
    with pytest.raises(ParameterError, match="time_unit"):
        crmlab.summarise(df, observation_end="2020-02-01", time_unit="Q")
    with pytest.raises(ParameterError, match="aggregate"):
        crmlab.summarise(df, observation_end="2020-02-01", aggregate="Y")
    with pytest.raises(ParameterError, match="got a list"):
        crmlab.summarise([1, 2], observation_end="2020-02-01")
    with pytest.raises(DataError, match="no such file"):
        crmlab.summarise("/nonexistent/log.parquet", observation_end="2020-02-01")
    with pytest.raises(DataError, match="amount is missing"):
        crmlab.summarise(df.assign(amount=[np.nan]), observation_end="2020-02-01")


def test_an_unparseable_date_in_a_csv_is_dropped_and_counted_as_read_transactions_does(tmp_path):
    (tmp_path / "bad.csv").write_text("customer_id,date\na,2020-01-01\na,not a date\n"
                                      "a,2020-01-05\n")
    got = crmlab.summarise(tmp_path / "bad.csv", observation_end="2020-02-01")
    ledger = got.attrs["ledger"]
    assert ledger.dropped == {"unparseable_date": 1} and ledger.rows_kept == 2
    assert got.loc["a", "frequency"] == 1 and got.attrs["rows_read"] == 2


# ------------------------------------------------------------------ compress

def test_compress_patterns_expand_back_to_the_summary(log):
    s = quiet_summarise(log, observation_end="2020-06-30", aggregate="W", time_unit="W")
    c = crmlab.compress(s)
    assert list(c.columns) == ["frequency", "recency", "T", "weights"]
    assert c["weights"].dtype == np.int64 and c["weights"].sum() == len(s)
    assert not c.duplicated(["frequency", "recency", "T"]).any()
    assert len(c) < len(s)
    expanded = np.repeat(c[["frequency", "recency", "T"]].to_numpy(), c["weights"], axis=0)
    original = s[["frequency", "recency", "T"]].to_numpy()
    order = lambda a: a[np.lexsort(a.T[::-1])]  # noqa: E731
    np.testing.assert_array_equal(order(expanded), order(original))
    assert c.attrs["time_unit"] == "W" and c.attrs["observation_end"] == s.attrs["observation_end"]


def test_compress_keeps_n_periods_and_rejects_non_summaries():
    s = pd.DataFrame({"frequency": [1, 1, 1], "recency": [2, 2, 2], "T": [5, 5, 5],
                      "n_periods": [6, 6, 7]})
    assert crmlab.compress(s)["weights"].tolist() == [2, 1]
    with pytest.raises(DataError, match="lacks column"):
        crmlab.compress(pd.DataFrame({"frequency": [1]}))


# ------------------------------------------------------------------ rfm_table

@pytest.mark.parametrize("monetary", ["total", "mean"])
def test_rfm_table_course_definitions(log, monetary):
    day = pd.Timestamp("2020-01-15")
    with pytest.warns(UserWarning, match="after analysis_date"):
        rfm = crmlab.rfm_table(log, analysis_date=day, monetary=monetary)
    kept = log[on_or_before(log["date"], day)].groupby("customer_id")  # the whole day
    assert (log["date"].dt.date == day.date()).any()
    recency = (day - kept["date"].max().dt.normalize()).dt.days
    assert (rfm["recency"].to_numpy() == recency.to_numpy()).all()
    assert (rfm["frequency"].to_numpy() == kept.size().to_numpy()).all()
    expected = kept["amount"].sum() if monetary == "total" else kept["amount"].mean()
    np.testing.assert_allclose(rfm["monetary"], expected, rtol=1e-12)
    assert rfm.attrs["recency_unit"] == "D" and rfm.attrs["monetary"] == monetary


def test_rfm_frequency_differs_from_btyd_frequency():
    df = pd.DataFrame({"customer_id": ["a"] * 3,
                       "date": pd.to_datetime(["2020-01-01 09:00", "2020-01-01 17:00",
                                               "2020-01-01 18:00"]),
                       "amount": [1.0, 2.0, 3.0]})
    rfm = crmlab.rfm_table(df, analysis_date="2020-01-11")
    btyd = crmlab.summarise(df, observation_end="2020-01-11")
    assert rfm.loc["a", "frequency"] == 3 and btyd.loc["a", "frequency"] == 0
    assert rfm.loc["a", "recency"] == 10 and btyd.loc["a", "recency"] == 0
    assert rfm.loc["a", "monetary"] == 6.0 and btyd.loc["a", "monetary_value"] == 0.0
    with pytest.raises(ParameterError, match="monetary"):
        crmlab.rfm_table(df, analysis_date="2020-01-11", monetary="median")


# ------------------------------------------------------------------ reproducible sums

def cents_log(seed: int = 3, rows: int = 300_000, customers: int = 3_000) -> pd.DataFrame:
    """A log big enough for DuckDB's parallel hash aggregation: ~100 rows per customer, amounts
    in cents, so float sums depend on the order in which the threads add them."""
    rng = np.random.default_rng(seed)
    cid = rng.integers(0, customers, rows)
    seconds = rng.integers(0, 365 * 86400, rows)
    return pd.DataFrame({
        "customer_id": np.char.add("c", cid.astype(str).astype(object).astype(str)),
        "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(seconds, unit="s"),
        "amount": np.round(rng.gamma(2.0, 30.0, rows), 2),
    })


@pytest.fixture(scope="module")
def big_log():
    return cents_log()


def test_summaries_are_bit_identical_between_parallel_runs(big_log):
    """With float sums (before crmlab summed exact decimals) this log gave ~1,200 customers
    whose monetary_value, total_amount or monetary_value_holdout changed between runs."""
    kw = dict(observation_end="2020-12-31", calibration_end="2020-09-30", time_unit="W")
    runs = [quiet_summarise(big_log, **kw)]  # the default engine (all cores)
    runs += [quiet_summarise(big_log, engine=ibis.duckdb.connect(threads=4), **kw)
             for _ in range(3)]
    assert runs[0].attrs["has_monetary"] and len(runs[0]) > 2_900
    for other in runs[1:]:
        pd.testing.assert_frame_equal(other, runs[0], check_exact=True)
    patterns = [crmlab.compress(r) for r in runs]
    for other in patterns[1:]:
        pd.testing.assert_frame_equal(other, patterns[0], check_exact=True)


@pytest.mark.parametrize("monetary", ["total", "mean"])
def test_rfm_table_is_bit_identical_between_parallel_runs(big_log, monetary):
    runs = [crmlab.rfm_table(big_log, analysis_date="2020-12-31", monetary=monetary,
                             engine=ibis.duckdb.connect(threads=4)) for _ in range(3)]
    for other in runs[1:]:
        pd.testing.assert_frame_equal(other, runs[0], check_exact=True)


def test_sums_of_cents_are_exact(big_log):
    """total_amount is the float nearest the exact sum of the amounts in cents (all totals
    here are far below 2**53 / 10**9, where DuckDB's decimal-to-float conversion is exact
    up to one rounding), and monetary_value agrees with lifetimes' float mean to 1e-9."""
    obs_end = pd.Timestamp("2020-12-31")
    ours = quiet_summarise(big_log, observation_end=obs_end)
    cents = (big_log["amount"] * 100).round().astype("int64")
    exact = cents.groupby(big_log["customer_id"]).sum().loc[ours.index]
    np.testing.assert_array_equal(ours["total_amount"].to_numpy(), exact.to_numpy() / 100)
    ref = summary_data_from_transaction_data(big_log, "customer_id", "date", "amount",
                                             observation_period_end=obs_end, freq="D")
    assert_same(ours, ref, LIFETIMES_COLS)


def test_amounts_with_many_decimals_still_match_lifetimes(log):
    """Rounding to 9 decimals before the exact sums moves a simulated (non-currency) amount by
    at most 5e-10: the lifetimes parity of 1e-9 holds, holdout columns included."""
    cal_end, obs_end = pd.Timestamp("2019-12-31"), pd.Timestamp("2020-06-30")
    odd = log.assign(amount=log["amount"] * np.pi / 7.0)
    assert (odd["amount"] != odd["amount"].round(9)).mean() > 0.9
    ours = quiet_summarise(odd, observation_end=obs_end)
    assert_same(ours, lifetimes_reference(odd, obs_end, "D"), LIFETIMES_COLS)
    ours = quiet_summarise(odd, observation_end=obs_end, calibration_end=cal_end)
    assert_same(ours, lifetimes_cal_holdout(odd, cal_end, obs_end, "D"),
                LIFETIMES_COLS + ["monetary_value_holdout"])


def test_unusable_amounts_are_refused(log):
    for value, what in [(np.inf, "infinite"), (-1e21, "huge")]:
        bad = log.copy()
        bad.loc[[4, 9], "amount"] = value
        with pytest.raises(DataError, match=f"amount is not a finite number.*2 trans.*{what}"):
            quiet_summarise(bad, observation_end="2020-06-30")
        with pytest.raises(DataError, match="amount is not a finite number"):
            crmlab.rfm_table(bad, analysis_date="2020-06-30")


# ------------------------------------------------------------------ errors and global state

def test_a_wrong_engine_is_a_parameter_error_not_a_data_error(log):
    with pytest.raises(ParameterError, match="engine= must be None, 'duckdb' or an Ibis"):
        crmlab.summarise(log, observation_end="2020-03-31", engine=object())
    with pytest.raises(ParameterError, match="engine= must be"):
        crmlab.rfm_table(log, analysis_date="2020-03-31", engine=42)


def test_values_the_engine_cannot_convert_are_a_data_error():
    con = ibis.duckdb.connect()
    con.raw_sql("CREATE TABLE t AS SELECT 'a' AS customer_id, 'not a date' AS date")
    with pytest.raises(DataError, match="Check the column types"):
        crmlab.summarise(con.table("t"), observation_end="2020-03-31")


@pytest.mark.parametrize("value", ["lots", "8GB'; SELECT 1; --", "-1GB", "0MB"])
def test_a_bad_memory_limit_variable_is_named_with_an_example(log, monkeypatch, value):
    monkeypatch.setenv("CRMLAB_DUCKDB_MEMORY_LIMIT", value)
    with pytest.raises(ParameterError, match="CRMLAB_DUCKDB_MEMORY_LIMIT=.*e.g. CRMLAB_DUCKDB_"
                                             "MEMORY_LIMIT=8GB"):
        crmlab.summarise(log, observation_end="2020-03-31")


def test_a_good_memory_limit_variable_is_applied(monkeypatch):
    from crmlab.summary import _default_engine

    monkeypatch.setenv("CRMLAB_DUCKDB_MEMORY_LIMIT", " 300 mb ")
    con = _default_engine()
    setting = con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    assert setting.startswith("286.1") or setting.startswith("300")  # MiB or MB display


def test_duckdb_spills_to_a_private_folder_of_this_process():
    import os
    import subprocess
    import sys
    from pathlib import Path

    from crmlab.summary import _default_engine

    con = _default_engine()
    folder = Path(con.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0])
    assert folder.name.startswith("crmlab-duckdb-") and folder.is_dir()
    assert folder.stat().st_uid == os.getuid() and folder.stat().st_mode & 0o777 == 0o700
    code = ("from crmlab.summary import _default_engine; c = _default_engine(); "
            "print(c.raw_sql(\"SELECT current_setting('temp_directory')\").fetchone()[0])")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert other and Path(other) != folder
    assert not Path(other).exists()  # removed when that process ended
