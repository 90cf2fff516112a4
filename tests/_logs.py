"""Seeded transaction logs and their reference summaries, shared by the summary tests
(DuckDB and Spark). The references are written from the definitions with plain pandas and
``datetime.date`` arithmetic; nothing of crmlab's own cut is reused."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd


def random_log(seed: int, n_customers: int = 300) -> pd.DataFrame:
    """A log with same-day repeats, times of day, single-purchase customers and late rows."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2019-01-01")
    for c in range(n_customers):
        first = start + pd.Timedelta(days=int(rng.integers(0, 400)))
        n = int(rng.choice([1, 1, 2, 3, 5, 8]))
        days = np.sort(rng.integers(0, 420, size=n))
        days[0] = 0
        for d in days:
            for _ in range(int(rng.choice([1, 1, 1, 2]))):  # same-day repeats
                ts = first + pd.Timedelta(days=int(d), minutes=int(rng.integers(0, 24 * 60)))
                rows.append((f"c{c:04d}", ts, round(float(rng.gamma(2.0, 20.0)), 2)))
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


CAL_DAY = dt.date(2023, 12, 31)
OBS_DAY = dt.date(2024, 6, 30)
UNIT_DAYS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}
COLUMNS = ["frequency", "recency", "T", "monetary_value", "litt", "frequency_holdout",
           "monetary_value_holdout", "total_amount_holdout", "duration_holdout"]


def at(day: dt.date, hh: int, mm: int, ss: int) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime(day.year, day.month, day.day, hh, mm, ss))


def timestamped_log(seed: int = 2024, n_customers: int = 3000) -> pd.DataFrame:
    """Orders at uniform seconds of the day over 2023-01-01 .. 2024-07-31 (a month after
    OBS_DAY), with the boundary cases placed on purpose."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01")
    span = (pd.Timestamp("2024-07-31") - start).days
    rows = []
    for c in range(n_customers):
        first = int(rng.integers(0, span))
        days = np.sort(np.concatenate([[first], rng.integers(first, span + 1,
                                                             size=int(rng.geometric(0.3)) - 1)]))
        for d in days:
            for _ in range(int(rng.choice([1, 1, 1, 2, 3]))):  # same-day purchases
                ts = start + pd.Timedelta(days=int(d), seconds=int(rng.integers(0, 86400)))
                rows.append((f"u{c:05d}", ts, round(float(rng.gamma(2.0, 30.0)), 2)))
    special = []
    day_after = {CAL_DAY: CAL_DAY + dt.timedelta(days=1), OBS_DAY: OBS_DAY + dt.timedelta(days=1)}
    for k, day in enumerate((CAL_DAY, OBS_DAY)):
        nxt = day_after[day]
        special += [
            # first purchases on the boundary day: at midnight, in the day, at its last second
            (f"b{k}first_midnight", [at(day, 0, 0, 0)]),
            (f"b{k}first_noon", [at(day, 12, 30, 0)]),
            (f"b{k}first_last_second", [at(day, 23, 59, 59), at(day, 23, 59, 59)]),
            # a repeat on the boundary day, at both of its ends, and the day after
            (f"b{k}repeat_end", [at(day - dt.timedelta(days=40), 9, 0, 0), at(day, 23, 59, 59)]),
            (f"b{k}repeat_start", [at(day - dt.timedelta(days=3), 18, 0, 0), at(day, 0, 0, 0)]),
            (f"b{k}next_midnight", [at(day - dt.timedelta(days=10), 8, 0, 0),
                                    at(nxt, 0, 0, 0)]),
            (f"b{k}both_sides", [at(day - dt.timedelta(days=1), 23, 59, 59), at(day, 0, 0, 0),
                                 at(day, 23, 59, 59), at(nxt, 0, 0, 0), at(nxt, 0, 0, 1)]),
        ]
    for cid, stamps in special:
        for i, ts in enumerate(stamps):
            rows.append((cid, ts, 10.0 + i))
    df = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # any row order


def reference(df: pd.DataFrame, cal_day: dt.date, obs_day: dt.date, unit: str) -> pd.DataFrame:
    """The summary from the definitions, by calendar days (``datetime.date``)."""
    per = UNIT_DAYS[unit]
    day = pd.Series([ts.date() for ts in df["date"]], index=df.index)
    cal = df[day <= cal_day].assign(day=day)
    hold = df[(day > cal_day) & (day <= obs_day)].assign(day=day)
    hold_groups = dict(list(hold.groupby("customer_id")))
    out = {}
    for cid, g in cal.groupby("customer_id"):
        daily = g.groupby("day")["amount"].sum().sort_index()  # same-day purchases merged
        days = list(daily.index)
        x = len(days) - 1
        gaps = [(b - a).days / per for a, b in zip(days, days[1:])]
        h = hold_groups.get(cid)
        out[cid] = dict(
            frequency=float(x),
            recency=(days[-1] - days[0]).days / per,
            T=(cal_day - days[0]).days / per,
            monetary_value=float(daily.iloc[1:].mean()) if x > 0 else 0.0,
            litt=sum(math.log(g_) for g_ in gaps),
            frequency_holdout=0.0 if h is None else float(h["day"].nunique()),
            monetary_value_holdout=0.0 if h is None else float(h["amount"].mean()),
            total_amount_holdout=0.0 if h is None else float(h["amount"].sum()),
            duration_holdout=(obs_day - cal_day).days / per,
        )
    ref = pd.DataFrame.from_dict(out, orient="index")
    ref.index.name = "customer_id"
    return ref.sort_index()


def assert_matches(ours: pd.DataFrame, ref: pd.DataFrame, cols=COLUMNS, rtol=1e-9):
    assert list(ours.index) == list(ref.index)
    for c in cols:
        np.testing.assert_allclose(ours[c].to_numpy(float), ref[c].to_numpy(float),
                                   rtol=rtol, atol=1e-9, err_msg=c)
