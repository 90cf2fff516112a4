"""One row per customer: the BTYD summary (frequency, recency, T, monetary_value) and course RFM.

The computation is written once, as an Ibis expression, and runs wherever the data lives:

* on an embedded DuckDB connection (the default; no server). Parquet and CSV paths are streamed
  by DuckDB and never loaded whole into pandas;
* on the backend of an Ibis table you pass in, e.g. a PySpark table
  (``ibis.pyspark.connect(spark).table("transactions")``), so a warehouse-sized log is summarised
  where it lives and only the per-customer result comes back.

Definitions (lifetimes', with its single ``freq`` split in two)
--------------------------------------------------------------
``aggregate`` ("D", "W" or "M") is the period within which a customer's purchases merge into
one: a day, a Monday-to-Sunday week, or a calendar month. ``time_unit`` ("D", "W" or "M") is
the unit in which recency, T and duration_holdout are expressed. lifetimes'
``summary_data_from_transaction_data(freq=X)`` is ``aggregate=X, time_unit=X``; the published
BTYD studies use ``aggregate="D", time_unit="W"``.

* ``frequency``: number of periods with a purchase, minus one (repeat purchase periods).
* ``recency``: start of the last purchase period minus start of the first, in ``time_unit``.
* ``T``: start of the period holding ``observation_end`` (or ``calibration_end``) minus start of
  the first purchase period, in ``time_unit``.
* ``monetary_value``: mean value of the repeat purchase periods (the amounts of one period are
  summed first), 0 for customers without repeats.

Unit rule: when ``aggregate == time_unit`` durations are whole numbers of periods (for months,
the difference of calendar-month ordinals, as lifetimes' ``to_period("M")`` intends). Otherwise
the number of days between period starts is converted with :mod:`crmlab.units`: weeks are
``days / 7`` and months ``days / (365.25 / 12)``, so e.g. ``aggregate="D", time_unit="W"``
gives fractional weeks.

Exact, reproducible sums
------------------------
Floating-point addition is not associative, and a parallel engine (DuckDB's threads, Spark's
partitions) adds a customer's amounts in whatever order its hash aggregation sees them, so a
float sum can differ in the last bits between two runs on the same log. crmlab therefore sums
amounts as exact decimals: every amount is rounded once to ``AMOUNT_SCALE`` = 9 decimal places
(``DECIMAL(38, 9)``, totals up to 10^29), all sums and differences of sums are exact integer
arithmetic whatever the order, and each result is converted to float64 once, at the end.

The rule for the scale: the rounding must be exact for currency and negligible for anything
else. An amount with up to 9 decimals (cents, mills, ...) below 2^22 = 4,194,304 is recovered
digit for digit from its float64 (checked on DuckDB; Spark rounds the shortest decimal form of
the float, exact at any size), so the sums of such amounts are the exact sums, and a total below
2^53 / 10^9 ~ 9 million comes back as the float64 nearest to it. Any other amount (larger, or
with more decimals, e.g. simulated spend) moves by at most 5e-10, well inside the 1e-9 agreement
with lifetimes. ``summarise``, ``rfm_table`` and hence ``compress`` are therefore bit-for-bit
identical between runs, thread counts and partitionings of one engine. Amounts must be finite
and below ``AMOUNT_LIMIT`` = 10^20 in magnitude.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .checks import parse_date
from .errors import DataError, ParameterError
from .units import DAYS_PER_UNIT, check_unit

__all__ = ["summarise", "compress", "rfm_table"]

REQUIRED = ("customer_id", "date")
SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value", "first_purchase",
                   "last_purchase", "n_transactions", "total_amount")
HOLDOUT_COLUMNS = ("frequency_holdout", "monetary_value_holdout", "duration_holdout")
PATTERN_COLUMNS = ("frequency", "recency", "T")

# A timestamp string carries a zone when a time of day is followed by Z, UTC or an offset.
_TZ_PATTERN = r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d*)?)?\s*(Z|UTC|[+-]\d{2}(:?\d{2})?)$"
_SECONDS_PER_DAY = 86400

#: Decimal places to which amounts are rounded before they are summed exactly (module docstring).
AMOUNT_SCALE = 9
#: Largest amount magnitude accepted: DECIMAL(38, 9) holds 29 integer digits, which leaves
#: room for a billion transactions of the largest amount in one sum.
AMOUNT_LIMIT = 1e20


# --------------------------------------------------------------------------------------------
# Input: any supported source -> a clean Ibis table (customer_id str, date timestamp[, amount])
# --------------------------------------------------------------------------------------------

class _Input:
    """A prepared Ibis table plus what was learned while preparing it."""

    def __init__(self, table, source: str, has_amount: bool, tz_converted: bool, engine=None):
        self.table = table
        self.engine = engine
        self.source = source
        self.has_amount = has_amount
        self.tz_converted = tz_converted


#: Memory cap of the default embedded DuckDB, in MB (at most 75% of the machine's memory).
#: Beyond it DuckDB spills to a temporary folder. The summary sorts each customer's
#: transactions (a window) and aggregates by customer, both of which spill gracefully: on a
#: 2-core VM, 10 million rows peak at about 800 MB of RSS and 100 million rows at about
#: 840 MB in the same time as with 5 GB (a log with one customer holding half of 20 million
#: rows too; ``benchmarks/RESULTS.md``). The environment variable CRMLAB_DUCKDB_MEMORY_LIMIT
#: (e.g. "4GB") replaces it; or pass your own connection, e.g.
#: ``engine=ibis.duckdb.connect(memory_limit="8GB")``.
DUCKDB_MEMORY_MB = 650


def _default_engine():
    import tempfile

    import ibis

    con = ibis.duckdb.connect(temp_directory=str(Path(tempfile.gettempdir()) / "crmlab-duckdb"),
                              preserve_insertion_order=False)
    # Timezone-aware data are converted to UTC; make DuckDB's casts agree with pandas'.
    con.raw_sql("SET TimeZone='UTC'")
    limit = os.environ.get("CRMLAB_DUCKDB_MEMORY_LIMIT")
    if not limit:
        try:
            total_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
        except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
            total_mb = 8192
        limit = f"{int(min(DUCKDB_MEMORY_MB, 0.75 * total_mb))}MB"
    con.raw_sql(f"SET memory_limit='{limit}'")
    return con


def _is_ibis_table(obj) -> bool:
    try:
        import ibis.expr.types as ir
    except ImportError:  # pragma: no cover - ibis is a core dependency
        return False
    return isinstance(obj, ir.Table)


def _check_columns(columns, source: str) -> bool:
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise DataError(
            f"{source}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, columns))}. "
            "A transaction log needs customer_id and date (and optionally amount); rename the "
            "columns or read the file with crmlab.read_transactions(..., customer=..., date=...)."
        )
    return "amount" in columns


def _prepare(tx, engine, fn: str) -> _Input:
    """Turn ``tx`` into an Ibis table on the right backend, validating what can be validated."""
    if _is_ibis_table(tx):
        if engine is not None and engine is not tx.get_backend():
            raise ParameterError(
                f"{fn}: engine= names a different connection than the one the Ibis table lives "
                "on; leave engine=None to run on the table's own backend."
            )
        return _prepare_ibis(tx, f"Ibis table ({tx.get_backend().name})")

    if engine is None or engine == "duckdb":
        engine = _default_engine()
    elif isinstance(engine, str):
        raise ParameterError(
            f"{fn}: engine={engine!r} is not known; use None or 'duckdb' for embedded DuckDB, or "
            "pass an Ibis connection (e.g. ibis.pyspark.connect(spark))."
        )

    if hasattr(tx, "frame") and isinstance(getattr(tx, "frame", None), pd.DataFrame):
        return _prepare_pandas(tx.frame, str(getattr(tx, "source", "transactions")), engine)
    if isinstance(tx, pd.DataFrame):
        return _prepare_pandas(tx, "DataFrame", engine)
    if isinstance(tx, (str, os.PathLike)):
        return _prepare_path(tx, engine)
    raise ParameterError(
        f"{fn} got a {type(tx).__name__}; pass a crmlab.Transactions, a pandas DataFrame, a "
        "Parquet/CSV path or an Ibis table."
    )


def _prepare_path(path, engine) -> _Input:
    text = os.fspath(path)
    has_glob = any(ch in text for ch in "*?[")
    if not has_glob and not Path(text).exists():
        raise DataError(f"{text}: no such file; check the path (globs like logs/*.parquet work).")
    suffix = "".join(Path(text.rstrip("/")).suffixes[-1:]).lower()
    if Path(text).is_dir():
        text, suffix = str(Path(text) / "*.parquet"), ".parquet"
    try:
        if suffix in (".parquet", ".pq"):
            table = engine.read_parquet(text)
        elif suffix in (".csv", ".txt", ".tsv") or text.lower().endswith((".csv.gz", ".csv.zst")):
            table = engine.read_csv(text)
            dtype = table.schema().get("date")
            if dtype is not None and dtype.is_timestamp() and dtype.timezone is not None:
                # DuckDB reads naive values next to offsets as UTC: look at the raw text.
                raw = engine.read_csv(text, types={"date": "VARCHAR"})
                _string_tz_counts(raw["date"], raw, text)
        else:
            raise ParameterError(
                f"{text}: cannot tell the format from the name; use a .parquet or .csv file, or "
                "read it with crmlab.read_transactions first."
            )
    except ParameterError:
        raise
    except Exception as exc:  # noqa: BLE001 - any engine error on read becomes a DataError
        raise DataError(f"{text}: could not be read ({type(exc).__name__}: {exc}).") from None
    return _prepare_ibis(table, text, engine)


def _tz_flags_pandas(values: pd.Series) -> pd.Series:
    """True where a value (datetime or string) carries a timezone, for an object column."""
    def aware(v) -> bool:
        if isinstance(v, str):
            return re.search(_TZ_PATTERN, v.strip()) is not None
        return getattr(v, "tzinfo", None) is not None
    return values.map(aware).astype(bool)


def _prepare_pandas(frame: pd.DataFrame, source: str, engine) -> _Input:
    import ibis

    has_amount = _check_columns(list(frame.columns), source)
    cols = ["customer_id", "date"] + (["amount"] if has_amount else [])
    df = frame[cols].copy(deep=False)

    cid = df["customer_id"]
    if pd.api.types.is_float_dtype(cid) and np.all(np.mod(cid.dropna(), 1) == 0):
        cid = cid.astype("Int64")  # ids read as floats because of missing values: 12.0 -> "12"
    if not pd.api.types.is_string_dtype(cid) or cid.dtype == object:
        cid = cid.astype("str").where(cid.notna(), None)
    df["customer_id"] = cid

    date = df["date"]
    tz_converted = False
    if isinstance(date.dtype, pd.DatetimeTZDtype):
        date = date.dt.tz_convert("UTC").dt.tz_localize(None)
        tz_converted = True
    elif not pd.api.types.is_datetime64_dtype(date):
        non_null = date.dropna()
        flags = _tz_flags_pandas(non_null)
        if flags.any() and not flags.all():
            rows = lambda mask: ", ".join(map(str, non_null.index[mask][:3]))  # noqa: E731
            _refuse_mixed_tz(source, int(flags.sum()), int((~flags).sum()),
                             f"; e.g. rows {rows(flags.to_numpy())} have a timezone, rows "
                             f"{rows(~flags.to_numpy())} do not")
        try:
            date = _to_datetime(date, utc=bool(flags.any()))
            tz_converted = bool(flags.any())
        except (ValueError, TypeError) as exc:
            raise DataError(
                f"{source}: column date could not be parsed as dates ({exc}). Read the log with "
                "crmlab.read_transactions(..., date_format=...) to parse and clean it."
            ) from None
    df["date"] = date.astype("datetime64[us]")

    if has_amount:
        if not pd.api.types.is_numeric_dtype(df["amount"]) or pd.api.types.is_bool_dtype(df["amount"]):
            raise DataError(
                f"{source}: column amount is not numeric (dtype {df['amount'].dtype}); convert it "
                "or read the log with crmlab.read_transactions, which parses amounts."
            )
        df["amount"] = df["amount"].astype("float64")

    # A memtable is bound to no backend; _execute runs it on ``engine`` (DuckDB by default).
    return _Input(ibis.memtable(df), source, has_amount, tz_converted, engine)


def _to_datetime(values: pd.Series, utc: bool) -> pd.Series:
    try:
        out = pd.to_datetime(values, utc=utc)
    except (ValueError, TypeError):
        out = pd.to_datetime(values, utc=utc, format="mixed")  # e.g. dates with and without time
    return out.dt.tz_localize(None) if utc else out


def _refuse_mixed_tz(source: str, n_aware: int, n_naive: int, examples: str = "") -> None:
    if n_aware and n_naive:
        raise DataError(
            f"{source}: column date mixes timezone-aware values ({n_aware:,}) with naive ones "
            f"({n_naive:,}){examples}. Make them consistent: give every value an offset, or "
            "convert all to local time without one."
        )


def _string_tz_counts(date, table, source: str) -> int:
    """Number of timezone-aware values in a string date column; refuse a mixture."""
    aware = date.re_search(_TZ_PATTERN)
    counts = table.aggregate(
        n_aware=aware.ifelse(1, 0).sum(), n_naive=(~aware).ifelse(1, 0).sum()
    ).execute().iloc[0]
    n_aware, n_naive = int(counts["n_aware"] or 0), int(counts["n_naive"] or 0)
    _refuse_mixed_tz(source, n_aware, n_naive)
    return n_aware


def _prepare_ibis(table, source: str, engine=None) -> _Input:
    import ibis.expr.datatypes as dt

    has_amount = _check_columns(list(table.columns), source)
    schema = table.schema()
    date = table["date"]
    dtype = schema["date"]
    tz_converted = False
    if dtype.is_string():
        n_aware = _string_tz_counts(date, table, source)
        if n_aware:
            date = date.cast(dt.Timestamp(timezone="UTC")).cast(dt.Timestamp())
            tz_converted = True
        else:
            date = date.cast(dt.Timestamp())
    elif dtype.is_timestamp():
        if dtype.timezone is not None:
            date = date.cast(dt.Timestamp())
            tz_converted = True
    elif dtype.is_date():
        date = date.cast(dt.Timestamp())
    else:
        raise DataError(
            f"{source}: column date has type {dtype}, not a date or timestamp; convert it or read "
            "the log with crmlab.read_transactions."
        )
    cols = {"customer_id": table["customer_id"].cast("string"), "date": date}
    if has_amount:
        if not schema["amount"].is_numeric() or schema["amount"].is_boolean():
            raise DataError(
                f"{source}: column amount has type {schema['amount']}, not a number; convert it "
                "or read the log with crmlab.read_transactions, which parses amounts."
            )
        cols["amount"] = table["amount"].cast("float64")
    return _Input(table.select(**cols), source, has_amount, tz_converted, engine)


# --------------------------------------------------------------------------------------------
# Dates and periods
# --------------------------------------------------------------------------------------------

def _timestamp(value, name: str, tz_converted: bool) -> pd.Timestamp:
    ts = parse_date(value, name)
    if ts.tzinfo is not None:
        if not tz_converted:
            raise ParameterError(
                f"{name}={value!r} has a timezone but the transaction dates are naive; pass a "
                "naive date (e.g. '1997-09-30')."
            )
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def _period_start(ts: pd.Timestamp, aggregate: str) -> pd.Timestamp:
    # W is the Monday-to-Sunday week: pandas' "W" (W-SUN) periods, DuckDB/Spark date_trunc('week').
    return ts.to_period(aggregate).start_time


def _scalar_duration(start: pd.Timestamp, end: pd.Timestamp, aggregate: str, unit: str) -> float:
    if aggregate == unit == "M":
        return float((end.year * 12 + end.month) - (start.year * 12 + start.month))
    return (end - start).days / DAYS_PER_UNIT[unit]


def _duration(start, end, aggregate: str, unit: str):
    """Ibis expression: period start ``start`` to ``end`` in ``unit`` (see module docstring)."""
    if aggregate == unit == "M":
        months = (end.year() * 12 + end.month()) - (start.year() * 12 + start.month())
        return months.cast("float64")
    seconds = end.epoch_seconds().cast("int64") - start.epoch_seconds().cast("int64")
    return seconds.cast("float64") / (_SECONDS_PER_DAY * DAYS_PER_UNIT[unit])


def _exact(amount):
    """Ibis expression: a float amount as an exact DECIMAL(38, AMOUNT_SCALE), ready to sum."""
    import ibis.expr.datatypes as dt

    return amount.cast(dt.Decimal(38, AMOUNT_SCALE))


def _exact_difference(a, b):
    """Ibis expression: ``a - b`` of two exact sums, still exact on every engine.

    Spark gives the difference of two DECIMAL(38, s) one more digit of precision than 38 and so
    drops a decimal place; as DECIMAL(37, s) (28 integer digits, far above AMOUNT_LIMIT times
    any transaction count) the difference fits DECIMAL(38, s) on Spark and DuckDB alike.
    """
    import ibis.expr.datatypes as dt

    narrow = dt.Decimal(37, AMOUNT_SCALE)
    return a.cast(narrow) - b.cast(narrow)


def _as_float(value):
    """Ibis expression: an exact decimal sum converted to float64, once, at the end."""
    return value.cast("float64")


# --------------------------------------------------------------------------------------------
# The expression
# --------------------------------------------------------------------------------------------

def _flag_periods(tx, aggregate: str, groups):
    """``tx`` with two flags about its purchase periods, from one window over each customer's
    transactions in time order (``groups``: the customer, and calibration/holdout if split).

    ``new_period`` is 1 on the first transaction of each period (the period differs from the
    previous transaction's), so its sum counts the periods with a purchase; ``in_first_period``
    marks the transactions of the first period, whose amounts lifetimes leaves out of
    ``monetary_value``. Transactions in time order have non-decreasing periods, so a period's
    transactions are adjacent and ties in time never straddle two periods.

    This replaces an aggregation over (customer, period) groups: sorting each customer's few
    rows costs DuckDB about two-thirds as much as a hash table of ~one entry per transaction,
    and it spills gracefully (10 million rows: 2.0 s instead of 2.9 s for the raw query;
    100 million rows in 30 s within a 650 MB cap; ``benchmarks/RESULTS.md``).
    """
    import ibis

    if aggregate == "D":
        period = tx.date.date()
    else:
        period = tx.date.truncate(aggregate).date()
    w = ibis.window(group_by=groups, order_by=tx.date)
    previous = period.lag().over(w)
    return tx.mutate(
        new_period=(previous.isnull() | (previous != period)).ifelse(1, 0),
        in_first_period=period == period.first().over(w),
    )


def _customer_stats(tx, end_period, aggregate: str, unit: str, has_amount: bool):
    """Per customer BTYD statistics of the flagged transactions ``tx`` (see _flag_periods):
    one aggregation by customer."""
    import ibis

    aggs = dict(first_purchase=tx.date.min(), last_purchase=tx.date.max(),
                n_transactions=tx.count(), n_periods=tx.new_period.sum())
    if has_amount:
        exact = _exact(tx.amount)
        aggs.update(total_amount=exact.sum(), first_value=exact.sum(where=tx.in_first_period))
    cust = tx.group_by("customer_id").aggregate(**aggs)
    # The first and last purchase periods are those of the first and last purchase (truncation
    # is monotone).
    cust = cust.mutate(first_period=cust.first_purchase.truncate(aggregate),
                       last_period=cust.last_purchase.truncate(aggregate))
    end = ibis.literal(end_period, type="timestamp")
    cols = dict(
        customer_id=cust.customer_id,
        frequency=(cust.n_periods - 1).cast("float64"),
        recency=_duration(cust.first_period, cust.last_period, aggregate, unit),
        T=_duration(cust.first_period, end, aggregate, unit),
    )
    if has_amount:
        repeats = cust.n_periods - 1
        cols["monetary_value"] = (repeats > 0).ifelse(
            _as_float(_exact_difference(cust.total_amount, cust.first_value))
            / repeats.cast("float64"), 0.0)
    cols.update(first_purchase=cust.first_purchase, last_purchase=cust.last_purchase,
                n_transactions=cust.n_transactions.cast("int64"))
    if has_amount:
        cols["total_amount"] = _as_float(cust.total_amount)
    return cust.select(**cols)


def _summary_expr(t, *, obs_end, cal_end, aggregate, unit, has_amount):
    """The whole summary as one Ibis expression (runs unchanged on DuckDB and PySpark)."""
    import ibis

    valid = t.filter(t.customer_id.notnull(), t.date.notnull(), t.date <= obs_end)
    if cal_end is None:
        flagged = _flag_periods(valid, aggregate, [valid.customer_id])
        return _customer_stats(flagged, _period_start(obs_end, aggregate), aggregate, unit,
                               has_amount).order_by("customer_id")
    # One window for both parts: each customer's calibration and holdout transactions are
    # ordered (and their periods counted) separately, as lifetimes counts holdout periods
    # among the holdout transactions only.
    valid = valid.mutate(holdout=valid.date > cal_end)
    flagged = _flag_periods(valid, aggregate, [valid.customer_id, valid.holdout])
    cal = _customer_stats(flagged.filter(~flagged.holdout), _period_start(cal_end, aggregate),
                          aggregate, unit, has_amount)
    hold_tx = flagged.filter(flagged.holdout)
    hold = hold_tx.group_by(hold_id=hold_tx.customer_id).aggregate(
        frequency_holdout=hold_tx.new_period.sum(),
        # lifetimes: the mean of the raw holdout transactions (not of period sums).
        **({"monetary_value_holdout": _as_float(_exact(hold_tx.amount).sum())
            / hold_tx.count().cast("float64")} if has_amount else {}))
    joined = cal.left_join(hold, cal.customer_id == hold.hold_id)
    duration = _scalar_duration(_period_start(cal_end, aggregate),
                                _period_start(obs_end, aggregate), aggregate, unit)
    extra = dict(frequency_holdout=joined.frequency_holdout.fill_null(0).cast("float64"))
    if has_amount:
        extra["monetary_value_holdout"] = joined.monetary_value_holdout.fill_null(0.0)
    extra["duration_holdout"] = ibis.literal(duration, type="float64")
    return joined.select(*cal.columns, **extra).order_by("customer_id")


def _execute(expr, engine, source: str = "the transaction log"):
    try:
        backend = engine if engine is not None else expr.get_backend()
        if getattr(backend, "name", None) == "duckdb":
            # Arrow straight to pandas, once: Ibis's own DuckDB result conversion costs ~0.4 s
            # more on a million customers. _to_frame fixes the dtypes either way.
            return backend.to_pyarrow(expr).to_pandas()
        return backend.execute(expr)
    except Exception as exc:  # noqa: BLE001 - an engine failure must not surface as a raw trace
        raise DataError(
            f"{source}: the query engine could not summarise the log ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}). Check the column types, or read "
            "the log with crmlab.read_transactions, which parses and cleans them."
        ) from None


def _check_input(stats, source, obs_end, name="observation_end"):
    if stats["rows"] == 0 or pd.isna(stats["first_date"]):
        raise DataError(f"{source}: the transaction log is empty (no row with a date).")
    if stats["first_date"] > obs_end:
        raise DataError(
            f"{source}: {name} {obs_end} is before the first transaction "
            f"({pd.Timestamp(stats['first_date'])}); choose a later {name}."
        )
    if stats.get("null_amount"):
        raise DataError(
            f"{source}: column amount is missing in {stats['null_amount']:,} transactions; fill or "
            "drop them (crmlab.read_transactions reports and drops them), or drop the amount "
            "column to summarise without monetary values."
        )
    if stats.get("bad_amount"):
        raise DataError(
            f"{source}: column amount is not a finite number below {AMOUNT_LIMIT:.0e} in "
            f"magnitude in {stats['bad_amount']:,} transactions (NaN, infinite or huge); fix or "
            "drop them. Amounts are summed exactly as decimals with "
            f"{AMOUNT_SCALE} decimal places."
        )


def _report(stats, source, end_name):
    notes = []
    if stats["null_customer"]:
        notes.append(f"{stats['null_customer']:,} transactions without customer_id were dropped")
    if stats["null_date"]:
        notes.append(f"{stats['null_date']:,} transactions without date were dropped")
    if stats["after_end"]:
        notes.append(f"{stats['after_end']:,} transactions after {end_name} were excluded")
    if notes:
        warnings.warn(f"{source}: " + "; ".join(notes) + ".", UserWarning, stacklevel=3)


def summarise(tx, *, observation_end, calibration_end=None, time_unit="D", aggregate="D",
              engine=None) -> pd.DataFrame:
    """Summarise a transaction log into one row per customer (BTYD statistics).

    Parameters
    ----------
    tx : crmlab.Transactions, pandas.DataFrame, str or Path, or ibis Table
        The log, with columns ``customer_id``, ``date`` and optionally ``amount``. A path to a
        Parquet (or CSV) file, directory or glob is streamed by DuckDB without loading it into
        pandas. An Ibis table runs on its own backend (DuckDB, PySpark, ...).
    observation_end : date-like
        End of the observation period (inclusive). Later transactions are excluded; their
        number is in ``attrs["excluded_after_end"]`` and a warning says so.
    calibration_end : date-like, optional
        End of the calibration period (inclusive). When given, frequency, recency, T,
        monetary_value and the purchase columns describe the calibration period, only customers
        whose first purchase is on or before it are kept, and the holdout columns describe
        ``(calibration_end, observation_end]``.
    time_unit : {"D", "W", "M"}
        Unit of recency, T and duration_holdout. With a finer ``aggregate`` durations are
        fractional: weeks are days / 7, months are days / (365.25 / 12) = days / 30.4375 (the
        mean Gregorian month). When ``aggregate == time_unit`` they are whole periods.
    aggregate : {"D", "W", "M"}
        Purchases of one customer within one period (day, Monday-Sunday week, calendar month)
        count as one purchase, and their amounts are summed.
    engine : None, "duckdb" or an Ibis connection
        Where to compute for pandas and path inputs. None is a fresh embedded DuckDB whose
        memory is capped at 650 MB (spilling to a temporary folder beyond it;
        ``CRMLAB_DUCKDB_MEMORY_LIMIT`` overrides the cap). An Ibis table always runs on its
        own backend.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), with ``frequency``, ``recency``, ``T`` and
        ``monetary_value`` exactly as lifetimes' ``summary_data_from_transaction_data`` with
        ``freq=aggregate`` when ``time_unit == aggregate`` (monetary_value: mean of the repeat
        period sums, 0 without repeats); ``first_purchase``, ``last_purchase`` (raw timestamps),
        ``n_transactions`` (rows, before merging) and ``total_amount``. With ``calibration_end``
        also, as lifetimes' ``calibration_and_holdout_data``: ``frequency_holdout`` (periods
        with purchases in the holdout), ``monetary_value_holdout`` (mean of the raw holdout
        transactions, 0 if none) and ``duration_holdout``. Without an amount column there are no
        monetary columns (``monetary_value``, ``total_amount``, ``monetary_value_holdout``).
        ``attrs`` holds ``time_unit``, ``aggregate``, ``observation_end``, ``calibration_end``,
        ``has_monetary``, ``source``, ``rows_read``, ``excluded_after_end``,
        ``dropped_null_customer`` and ``dropped_null_date``.

    Notes
    -----
    Differences from lifetimes: transactions after ``observation_end`` are dropped by their
    timestamp, whereas lifetimes keeps those that fall in the same period as
    ``observation_end``; lifetimes' ``freq="M"`` fails on pandas 3, crmlab's works.

    Amounts are summed exactly as decimals (9 decimal places) and converted to float64 at the
    end, so the result is bit-for-bit the same in every run, whatever the number of threads or
    partitions (see the module docstring); it differs from lifetimes' float sums by rounding
    only (~1e-16 relative).

    Raises
    ------
    ParameterError
        Unknown unit, ``calibration_end >= observation_end``, unusable dates or engine.
    DataError
        Missing columns, ``observation_end`` before the first transaction, timezone-aware and
        naive dates mixed, missing amounts, NaN, infinite or huge (>= 1e20) amounts,
        unparseable dates.
    """
    unit = check_unit(time_unit, "time_unit")
    agg = check_unit(aggregate, "aggregate")
    inp = _prepare(tx, engine, "summarise")
    obs_end = _timestamp(observation_end, "observation_end", inp.tz_converted)
    cal_end = None
    if calibration_end is not None:
        cal_end = _timestamp(calibration_end, "calibration_end", inp.tz_converted)
        if cal_end >= obs_end:
            raise ParameterError(
                f"calibration_end ({cal_end.date()}) must be before observation_end "
                f"({obs_end.date()}); the holdout period is (calibration_end, observation_end]."
            )
    t = inp.table
    stats = _input_stats(t, obs_end, inp)
    _check_input(stats, inp.source, obs_end)
    if cal_end is not None and stats["first_date"] > cal_end:
        raise DataError(
            f"{inp.source}: calibration_end {cal_end} is before the first transaction "
            f"({pd.Timestamp(stats['first_date'])}); no customer is in the calibration period."
        )
    _report(stats, inp.source, "observation_end")

    expr = _summary_expr(t, obs_end=obs_end, cal_end=cal_end, aggregate=agg, unit=unit,
                         has_amount=inp.has_amount)
    out = _to_frame(_execute(expr, inp.engine, inp.source))
    out.attrs.update(
        time_unit=unit, aggregate=agg, observation_end=obs_end, calibration_end=cal_end,
        has_monetary=inp.has_amount, source=inp.source, rows_read=stats["rows"],
        excluded_after_end=stats["after_end"], dropped_null_customer=stats["null_customer"],
        dropped_null_date=stats["null_date"],
    )
    return out


def _input_stats(t, obs_end, inp):
    """Counts the user must hear about, in one aggregate query over the input."""
    import ibis

    one, zero = ibis.literal(1), ibis.literal(0)
    valid = t.customer_id.notnull() & t.date.notnull()
    aggs = dict(
        rows=t.count(),
        null_customer=t.customer_id.isnull().ifelse(one, zero).sum(),
        null_date=t.date.isnull().ifelse(one, zero).sum(),
        after_end=(valid & (t.date > obs_end)).ifelse(one, zero).sum(),
        first_date=t.date.min(where=valid),
        last_date=t.date.max(),
    )
    if inp.has_amount:
        kept = valid & (t.date <= obs_end)
        aggs["null_amount"] = (kept & t.amount.isnull()).ifelse(one, zero).sum()
        # NaN, infinite or too large to be summed exactly (NaN sorts above every number in
        # DuckDB and Spark, so the comparison catches it too).
        aggs["bad_amount"] = (kept & (t.amount.isnan() | (t.amount.abs() >= AMOUNT_LIMIT))
                              ).ifelse(one, zero).sum()
    return _clean_stats(_execute(t.aggregate(**aggs), inp.engine, inp.source).iloc[0], aggs)


def _clean_stats(row, aggs):
    out = {}
    for k in aggs:
        v = row[k]
        if k in ("first_date", "last_date"):
            out[k] = pd.Timestamp(v) if pd.notna(v) else pd.NaT
        else:
            out[k] = 0 if pd.isna(v) else int(v)
    return out


def _to_frame(df: pd.DataFrame) -> pd.DataFrame:
    df = df.set_index("customer_id")
    df.index = df.index.astype("str")
    df.index.name = "customer_id"
    for c in ("first_purchase", "last_purchase"):
        if c in df:
            df[c] = pd.to_datetime(df[c]).astype("datetime64[us]")
    return df


# --------------------------------------------------------------------------------------------
# compress
# --------------------------------------------------------------------------------------------

def compress(summary: pd.DataFrame) -> pd.DataFrame:
    """Collapse a summary into its unique (frequency, recency, T) patterns with ``weights``.

    Customers with the same calibration statistics have the same likelihood, so fitters can
    work on the patterns and weight each by its count: on large logs this is far fewer rows.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`summarise` (any frame with frequency, recency and T). A column
        ``n_periods`` (discrete-time models) is kept as part of the pattern when present.

    Returns
    -------
    pandas.DataFrame
        One row per unique pattern, columns ``frequency``, ``recency``, ``T`` [, ``n_periods``]
        and ``weights`` (int64 counts summing to the number of customers), sorted by the
        pattern, with the same ``attrs`` as ``summary``.
    """
    if not isinstance(summary, pd.DataFrame):
        raise ParameterError(
            f"compress expects the DataFrame returned by crmlab.summarise, got {type(summary).__name__}."
        )
    keys = list(PATTERN_COLUMNS) + (["n_periods"] if "n_periods" in summary.columns else [])
    missing = [c for c in keys if c not in summary.columns]
    if missing:
        raise DataError(
            f"compress: the summary lacks column(s) {', '.join(missing)}; found "
            f"{', '.join(map(str, summary.columns))}. Build it with crmlab.summarise."
        )
    out = (summary.groupby(keys, sort=True, dropna=False).size()
           .rename("weights").astype("int64").reset_index())
    out.attrs = dict(summary.attrs)
    return out


# --------------------------------------------------------------------------------------------
# RFM base table
# --------------------------------------------------------------------------------------------

def rfm_table(tx, *, analysis_date, monetary="total", engine=None) -> pd.DataFrame:
    """The course RFM base table: one row per customer with recency, frequency and monetary.

    Parameters
    ----------
    tx : crmlab.Transactions, pandas.DataFrame, str or Path, or ibis Table
        As for :func:`summarise`.
    analysis_date : date-like
        The day of the analysis. Transactions after it are excluded (counted in
        ``attrs["excluded_after_end"]``).
    monetary : {"total", "mean"}
        Monetary as the total amount of the customer's transactions, or their mean.
    engine : None, "duckdb" or an Ibis connection
        As for :func:`summarise`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``recency`` (whole days from the day of the last purchase
        to ``analysis_date``), ``frequency`` (number of transactions, every row counts) and
        ``monetary`` (absent when the log has no amount). ``attrs``: ``analysis_date``,
        ``recency_unit`` ("D"), ``monetary`` and ``has_monetary``.

    Notes
    -----
    This is the RFM of the marketing textbooks (最近一次购买, 购买频率, 购买金额), not the BTYD
    statistics of :func:`summarise`: here recency is the time *since* the last purchase
    (small is good) whereas BTYD recency is the time from the first to the last purchase
    (large is good); frequency counts every transaction, including the first and several on
    one day, whereas BTYD frequency counts repeat purchase periods; monetary is the total (or
    mean) of all purchases, whereas BTYD monetary_value averages repeat purchases only.

    Amounts are summed exactly as decimals, as in :func:`summarise`, so the table is
    bit-for-bit reproducible; the mean is that exact total divided by ``frequency``.
    """
    if monetary not in ("total", "mean"):
        raise ParameterError(f"monetary={monetary!r}; use 'total' or 'mean'.")
    inp = _prepare(tx, engine, "rfm_table")
    when = _timestamp(analysis_date, "analysis_date", inp.tz_converted)
    t = inp.table
    stats = _input_stats(t, when, inp)
    _check_input(stats, inp.source, when, name="analysis_date")
    _report(stats, inp.source, "analysis_date")

    import ibis

    valid = t.filter(t.customer_id.notnull(), t.date.notnull(), t.date <= when)
    aggs = dict(last_day=valid.date.max(), frequency=valid.count())
    if inp.has_amount:
        aggs["monetary"] = _exact(valid.amount).sum()
    cust = valid.group_by("customer_id").aggregate(**aggs)
    day = ibis.literal(when.normalize(), type="timestamp")
    cols = dict(customer_id=cust.customer_id,
                recency=((day.epoch_seconds().cast("int64")
                          - cust.last_day.truncate("D").epoch_seconds().cast("int64"))
                         // _SECONDS_PER_DAY).cast("int64"),
                frequency=cust.frequency.cast("int64"))
    if inp.has_amount:
        total = _as_float(cust.monetary)
        cols["monetary"] = total if monetary == "total" else total / cust.frequency.cast("float64")
    out = _to_frame(_execute(cust.select(**cols).order_by("customer_id"), inp.engine, inp.source))
    out.attrs.update(analysis_date=when, recency_unit="D", monetary=monetary,
                     has_monetary=inp.has_amount, source=inp.source,
                     excluded_after_end=stats["after_end"],
                     dropped_null_customer=stats["null_customer"],
                     dropped_null_date=stats["null_date"])
    return out
